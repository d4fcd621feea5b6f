"""The asyncio client: the Client's command methods, awaited.

    client = await AsyncClient.connect("localhost", 9955)
    await client.set("foo", "bar")
    (await client.get("foo")).value  # 'bar'
    await client.close()
"""

from __future__ import annotations

import asyncio
import collections
from typing import Any, AsyncIterator, Optional, Tuple

from .client import AuthenticationError, Client
from .command_interface import CommandInterface, request_from
from .response import ERROR_STATUSES, Response, reply_error
from .socket_client import SocketClosedError, encode_text

__all__ = ["AsyncClient"]


class AsyncClient(CommandInterface):
    """One connection, for asyncio. Every command method of Client is a
    coroutine here (await client.get("k")). Requests from several tasks are
    serialized on the connection, each waiting for its own reply; published
    messages are set aside for read_async(), as with Client."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *,
                 binary: bool = False, raise_errors: bool = False) -> None:
        self._reader, self._writer = reader, writer
        self._lock = asyncio.Lock()
        self._async: collections.deque = collections.deque()
        self._binary = binary
        self._raise = raise_errors

    @classmethod
    async def connect(cls, host: str, port: int, *, no_login: bool = False,
                      username: str = Client.DEFAULT_ADMIN_USERNAME, password: str = Client.DEFAULT_ADMIN_PASSWORD,
                      db_index: Optional[int] = None, timeout: Optional[float] = None, binary: bool = False,
                      raise_errors: bool = False, ssl_context: Any = None) -> "AsyncClient":
        """Connect, log in (unless no_login) and switch database, as Client
        does; timeout bounds the connection's opening; ssl_context speaks
        TLS."""
        reader, writer = await asyncio.wait_for(asyncio.open_connection(host, port, ssl=ssl_context), timeout)
        c = cls(reader, writer, binary=binary)
        try:
            if not no_login:
                reply = await c.auth(username, password)
                if not reply.is_ok():
                    raise AuthenticationError("AUTH as %r refused: %s" % (username, reply))
            if db_index is not None:
                await c.switch_db(db_index)
        except BaseException:
            await c.close()
            raise
        c._raise = raise_errors
        return c

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    async def close(self) -> None:
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (ConnectionError, OSError):
            pass

    async def _frame(self) -> bytes:
        try:
            size = int.from_bytes(await self._reader.readexactly(4), "big")
            return await self._reader.readexactly(size)
        except asyncio.IncompleteReadError:
            raise SocketClosedError("the server closed the connection") from None

    async def _read_reply(self) -> Response:
        while True:
            raw = await self._frame()
            if raw.startswith(b"ASYNC"):
                self._async.append(Response(raw, binary=self._binary))
                continue
            return Response(raw, binary=self._binary)

    async def _raw(self, request: Any) -> Response:
        data = encode_text(request)
        async with self._lock:
            self._writer.write(len(data).to_bytes(4, "big") + data)
            await self._writer.drain()
            r = await self._read_reply()
        if self._raise and r.status.value in ERROR_STATUSES:
            raise reply_error(r)
        return r

    def _command(self, command: str, *args: Any):
        return self._raw(request_from(command, *args))

    async def read_async(self) -> Response:
        """The next published message (value: (channel, message))."""
        async with self._lock:
            if self._async:
                return self._async.popleft()
            r = Response(await self._frame(), binary=self._binary)
            if not r.is_async():
                raise RuntimeError("a reply arrived while waiting for a message: %r" % r)
            return r

    async def scan_iter(self, pattern: str = "", count: int = 100) -> AsyncIterator[str]:  # type: ignore[override]
        """Every key matching pattern, page by page."""
        cursor = "0"
        while True:
            r = await self.scan(cursor, pattern, count)
            if not r.is_ok():
                raise reply_error(r)
            cursor, keys = r.value
            for k in keys:
                yield k
            if cursor == "0":
                return

    async def set_scan_iter(self, key: str, pattern: str = "", count: int = 100) -> AsyncIterator[str]:  # type: ignore[override]
        """Every member of a set matching pattern, page by page."""
        async for page in self._member_pages_async(self.set_scan, key, pattern, count):
            for m in page:
                yield m

    async def hash_scan_iter(self, key: str, pattern: str = "", count: int = 100) -> AsyncIterator[Tuple[str, str]]:  # type: ignore[override]
        """Every (field, value) of a hash whose field matches pattern."""
        async for page in self._member_pages_async(self.hash_scan, key, pattern, count):
            for item in page.items():
                yield item

    async def _member_pages_async(self, scan: Any, key: str, pattern: str, count: int) -> AsyncIterator[Any]:
        cursor = 0
        while True:
            r = await scan(key, cursor, pattern, count)
            if not r.is_ok():
                raise reply_error(r)
            cursor, page = r.value
            yield page
            if cursor == 0:
                return
