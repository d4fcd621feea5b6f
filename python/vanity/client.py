"""The Vanity client (PROTOCOL.md section 10.3)."""

from __future__ import annotations

import collections
import threading
from typing import TYPE_CHECKING, Optional

if TYPE_CHECKING:
    import ssl

from .command_interface import CommandInterface, request_from
from .response import ERROR_STATUSES, ReplyError, reply_error, Response
from .socket_client import SocketClient, encode_text

__all__ = ["Client", "AuthenticationError"]


class AuthenticationError(ConnectionError):
    """The server refused the login the Client was asked to make."""


class Client(CommandInterface):
    """A connection to a Vanity server.

    Client("localhost", 9955) connects and logs in as the default admin
    (vanity/vanity) unless no_login is true, then switches database if
    db_index is given. Every command method sends one request and returns
    its Response.

    Thread safety: a Client owns one connection. Its methods hold a lock
    for each request and its reply, so threads may share a Client; replies
    are never mixed up. ASYNC messages (publish/subscribe) that arrive
    between replies are set aside and returned by read_async().

    I/O failures raise exceptions: SocketClosedError when the server closes
    the connection, OSError for other socket errors. A refused login raises
    AuthenticationError from the constructor (the connection is closed).
    ssl_context (ssl.create_default_context(cafile=...)) speaks TLS to a
    server started with --tls-cert.
    Error replies are Responses (is_error(), is_bad_type(), ...), or raise
    ReplyError when the Client is made with raise_errors=True (its subclass
    OutOfMemoryError for a write refused past the server's --max-memory).
    """

    DEFAULT_ADMIN_USERNAME = "vanity"
    DEFAULT_ADMIN_PASSWORD = "vanity"

    def __init__(self, host: str, port: int, *, no_login: bool = False, username: str = DEFAULT_ADMIN_USERNAME,
                 password: str = DEFAULT_ADMIN_PASSWORD, db_index: Optional[int] = None,
                 timeout: Optional[float] = None, binary: bool = False, raise_errors: bool = False,
                 ssl_context: Optional["ssl.SSLContext"] = None) -> None:
        self._socket = SocketClient(host, port, timeout=timeout, ssl_context=ssl_context)
        self._lock = threading.RLock()
        self._async = collections.deque()
        self._binary = binary
        self._raise = False  # the login below reports its own failure
        self.host, self.port = host, port
        try:
            if not no_login:
                reply = self.auth(username, password)
                if not reply.is_ok():
                    raise AuthenticationError("AUTH as %r refused: %s" % (username, reply))
            if db_index is not None:
                self.switch_db(db_index)
        except BaseException:
            self.close()  # a connection that failed to open is not left to the collector
            raise
        self._raise = raise_errors

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    @staticmethod
    def request_from(command, *args):
        """Encode a request (bytes), as the seed client's request_from."""
        return request_from(command, *args)

    def close(self):
        self._socket.close()

    def send_request(self, request):
        """Send one request frame (str or bytes) without reading a reply."""
        with self._lock:
            self._socket.send(request)

    def send_command(self, command, *args):
        self.send_request(request_from(command, *args))

    def read_response(self):
        """Read the next reply, setting ASYNC messages aside."""
        with self._lock:
            while True:
                raw = self._socket.read_frame()
                if raw.startswith(b"ASYNC"):
                    self._async.append(Response(raw, binary=self._binary))
                    continue
                return Response(raw, binary=self._binary)

    def request(self, command, *args):
        """Send a command and return its reply."""
        return self._raw(request_from(command, *args))

    def _command(self, command, *args):
        return self.request(command, *args)

    def _raw(self, request):
        with self._lock:
            self._socket.send(encode_text(request))
            r = self.read_response()
        if self._raise and r.status.value in ERROR_STATUSES:
            raise reply_error(r)
        return r

    def exit(self):
        """Ask the server to close the connection (there is no reply)."""
        with self._lock:
            self._socket.send(b"EXIT")

    def terminate(self):
        """Ask the server to stop (ADMIN only; there is no reply)."""
        with self._lock:
            self._socket.send(b"TERMINATE")

    def read_async(self, block=True, timeout=None):
        """Return the next published message as a Response whose value is
        (channel, message), or None if block is false and none is waiting.
        With block true, reads from the connection until one arrives (or the
        timeout, in seconds, passes: then socket.timeout is raised)."""
        with self._lock:
            if self._async or not block:
                return self._async.popleft() if self._async else None
            self._socket.settimeout(timeout)
            try:
                raw = self._socket.read_frame()
            finally:
                self._socket.settimeout(None)
            r = Response(raw, binary=self._binary)
            if not r.is_async():
                raise RuntimeError("a reply arrived while waiting for a message: %r" % r)
            return r

    def pipe(self):
        from .pipe import Pipe
        return Pipe(self)

    def transaction(self):
        from .pipe import Transaction
        return Transaction(self)
