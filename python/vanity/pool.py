"""A pool of connections for threaded applications (the Go client's DB)."""

from __future__ import annotations

import contextlib
import queue
import re
import socket
import ssl
import threading
from typing import Any, Iterator, Optional

from .client import Client
from .command_interface import CommandInterface, request_from
from .commands import COMMANDS
from .response import ReplyError, Response
from .socket_client import SocketClosedError, encode_text

__all__ = ["Pool", "PoolTimeout", "SessionCommandError"]

_WORD = re.compile(rb"\s*([A-Z_]+)")


class PoolTimeout(TimeoutError):
    """No connection of the pool came free in time."""


class SessionCommandError(ValueError):
    """A command that changes a connection's session (SWITCH_DB, AUTH,
    CONSISTENCY, transactions by hand, SUBSCRIBE) sent through a Pool,
    where the next borrower would inherit it. Pass db_index to the Pool,
    or use pool.client() for the duration of a session."""


def _command_of(request: bytes) -> Optional[str]:
    """The longest command word the request starts with, as the server
    matches it."""
    m = _WORD.match(request)
    if not m:
        return None
    word = m.group(1).decode()
    for n in range(len(word), 0, -1):
        if word[:n] in COMMANDS:
            return word[:n]
    return None


class Pool(CommandInterface):
    """Up to `size` Clients shared by threads: each command borrows one
    (connecting a new one while fewer than `size` are open, else waiting up
    to `wait_timeout` seconds), and gives it back.

    A connection that fails is closed and replaced by the next command. A
    read whose connection broke is retried on a fresh connection (up to
    `retries` times); a write is not, since it may have run: the error is
    raised. Keyword arguments (username, password, db_index, timeout,
    binary) are the Client's.

        pool = Pool("localhost", 9955, size=8)
        pool.set("foo", "bar")
        pool.get("foo").value  # 'bar'
    """

    def __init__(self, host: str, port: int, *, size: int = 8, retries: int = 2,
                 wait_timeout: Optional[float] = None, **client_kwargs: Any) -> None:
        if size < 1:
            raise ValueError("a pool needs at least one connection")
        self.host, self.port = host, port
        self._kwargs = client_kwargs
        self._retries = retries
        self._wait = wait_timeout
        self._idle: "queue.LifoQueue[Client]" = queue.LifoQueue()
        self._slots = threading.BoundedSemaphore(size)
        self._closed = False
        self._put(self._take())  # fail now on a bad address or password

    def __enter__(self) -> "Pool":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Close the idle connections; those in use close when given back."""
        self._closed = True
        while True:
            try:
                c = self._idle.get_nowait()
            except queue.Empty:
                return
            c.close()
            self._slots.release()

    def _take(self) -> Client:
        if self._closed:
            raise RuntimeError("the pool is closed")
        while True:
            try:
                c = self._idle.get_nowait()
            except queue.Empty:
                break
            if self._alive(c):
                return c
            self._put(c, broken=True)  # the server closed it (a restart)
        if self._slots.acquire(blocking=False):
            return self._connect()
        # Wait for a connection to come back, or for a slot.
        try:
            return self._idle.get(timeout=self._wait)
        except queue.Empty:
            raise PoolTimeout("no connection free within %s s" % self._wait) from None

    @staticmethod
    def _alive(c: Client) -> bool:
        """Whether an idle connection is still open: a peek that would
        block (the server neither closed it nor sent anything unasked)."""
        sock = c._socket._sock
        if isinstance(sock, ssl.SSLSocket):
            return True  # TLS sends records unasked (session tickets): no cheap check; reads are retried
        try:
            sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT)
        except BlockingIOError:
            return True
        except OSError:
            return False
        return False

    def _connect(self) -> Client:
        try:
            return Client(self.host, self.port, **self._kwargs)
        except BaseException:
            self._slots.release()
            raise

    def _put(self, c: Client, broken: bool = False) -> None:
        if broken or self._closed:
            c.close()
            self._slots.release()
            return
        self._idle.put(c)

    @contextlib.contextmanager
    def client(self) -> Iterator[Client]:
        """Borrow one connection for several commands (a pipe, a
        transaction, a subscription, a database switch). It is closed
        afterwards rather than shared again: the block may have changed its
        session."""
        c = self._take()
        try:
            yield c
        finally:
            self._put(c, broken=True)

    def _command(self, command: str, *args: Any) -> Response:
        return self._raw(request_from(command, *args))

    def _raw(self, request: Any) -> Response:
        request = encode_text(request)
        cmd = _command_of(request)
        cls = COMMANDS[cmd].cls if cmd else "session"
        if cls.endswith("!"):
            raise SessionCommandError("%s changes the connection's session" % cmd)
        attempt = 0
        while True:
            c = self._take()
            try:
                r = c._raw(request)
            except ReplyError:
                self._put(c)  # an error reply: the connection is fine
                raise
            except (SocketClosedError, OSError):
                self._put(c, broken=True)
                if cls != "read" or attempt >= self._retries:
                    raise
                attempt += 1
                continue
            except BaseException:
                self._put(c, broken=True)
                raise
            self._put(c)
            return r
