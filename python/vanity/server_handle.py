"""Start and stop a vanity server process, for tests and scripts
(PROTOCOL.md section 10.6)."""

import os
import socket
import subprocess
import time

__all__ = ["ServerHandle", "find_executable"]


def find_executable(path=None):
    """The server binary: path if given, else $VANITY_BIN, else bin/vanity
    in the current directory or in the repository this package lives in."""
    candidates = []
    if path:
        candidates.append(path)
    if os.environ.get("VANITY_BIN"):
        candidates.append(os.environ["VANITY_BIN"])
    candidates.append(os.path.join("bin", "vanity"))
    here = os.path.dirname(os.path.abspath(__file__))
    candidates.append(os.path.join(here, "..", "..", "bin", "vanity"))
    for c in candidates:
        if os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    raise FileNotFoundError("no vanity binary (tried %s); run `make build` or set VANITY_BIN" % ", ".join(candidates))


class ServerHandle:
    """A vanity server process.

    start() launches it and waits until its port accepts connections
    (rather than sleeping a fixed time). stop() kills it with SIGKILL, as
    the seed harness does, so tests exercise crash recovery. Use port=0 to
    let the server pick a free port; the chosen one is then in .port.
    """

    STARTUP_TIMEOUT = 30.0

    def __init__(self, *, port=9955, executable_path=None, no_db_persist=True, no_users_persist=True,
                 persist_file=None, use_cwd=False, log_file=None, log_level=None, no_logging=True,
                 users_file=None, host="127.0.0.1", extra_args=(), cwd=None, env=None):
        self.port = port
        self.host = host
        self.executable_path = find_executable(executable_path)
        self.no_db_persist, self.no_users_persist = no_db_persist, no_users_persist
        self.persist_file, self.users_file = persist_file, users_file
        self.use_cwd, self.no_logging = use_cwd, no_logging
        self.log_file, self.log_level = log_file, log_level
        self.extra_args = list(extra_args)
        self.cwd, self.env = cwd, env
        self._requested_port = port
        self._process = None

    def args(self):
        a = [self.executable_path]
        if self._requested_port is not None:
            a.append("--port=%d" % self._requested_port)
        if self.use_cwd:
            a.append("--use-cwd")
        a.append("--no-db-persist" if self.no_db_persist else None)
        if not self.no_db_persist and self.persist_file:
            a.append("--persist-file=%s" % self.persist_file)
        a.append("--no-users-persist" if self.no_users_persist else None)
        if not self.no_users_persist and self.users_file:
            a.append("--users-file=%s" % self.users_file)
        if self.log_file:
            a.append("--log-file=%s" % self.log_file)
        if self.log_level:
            a.append("--log-level=%s" % self.log_level)
        if self.no_logging:
            a.append("--no-logging")
        return [x for x in a if x] + self.extra_args

    def start(self):
        if self.is_running():
            raise RuntimeError("the server is already running")
        self._process = subprocess.Popen(self.args(), stdout=subprocess.PIPE, stderr=None,
                                         cwd=self.cwd, env=self.env)
        # The server prints "vanity listening on HOST:PORT" once it serves.
        line = self._process.stdout.readline().decode(errors="replace").strip()
        if not line.startswith("vanity listening on "):
            self.stop()
            raise RuntimeError("the server did not start: %r" % line)
        self.port = int(line.rsplit(":", 1)[1])
        deadline = time.monotonic() + self.STARTUP_TIMEOUT
        while True:
            try:
                socket.create_connection((self.host, self.port), timeout=1).close()
                return self
            except OSError:
                if time.monotonic() > deadline or not self.is_running():
                    self.stop()
                    raise RuntimeError("the server is not accepting connections on port %d" % self.port)
                time.sleep(0.01)

    def stop(self):
        if self._process is None:
            return
        if self._process.poll() is None:
            self._process.kill()
        self._process.wait()
        if self._process.stdout:
            self._process.stdout.close()
        self._process = None

    def wait(self, timeout=None):
        """Wait for the process to exit by itself; return its exit status."""
        code = self._process.wait(timeout)
        self._process.stdout.close()
        self._process = None
        return code

    def restart(self):
        self.stop()
        return self.start()

    def is_running(self):
        return self._process is not None and self._process.poll() is None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
