"""Framed socket transport: every message is a 4-byte big-endian length and
that many payload bytes (PROTOCOL.md section 1.2)."""

import socket

__all__ = ["SocketClient", "SocketClosedError", "encode_text"]

BUFFER_SIZE = 1024


class SocketClosedError(ConnectionError):
    """The peer closed the connection."""


def encode_text(msg):
    """Return msg as bytes: bytes pass through, str is UTF-8 encoded.

    Lone surrogates produced when decoding non-UTF-8 replies (see Response)
    are turned back into the original bytes, so values round-trip exactly.
    """
    if isinstance(msg, (bytes, bytearray, memoryview)):
        return bytes(msg)
    return msg.encode("utf-8", "surrogateescape")


class SocketClient:
    """One TCP connection carrying framed messages.

    Not thread-safe by itself; Client adds the locking.
    """

    BUFFER_SIZE = BUFFER_SIZE

    def __init__(self, host, port, timeout=None, ssl_context=None):
        """ssl_context (an ssl.SSLContext) makes the connection speak TLS,
        checking the server's certificate against host."""
        sock = socket.create_connection((host, port), timeout=timeout)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if ssl_context is not None:
            try:
                sock = ssl_context.wrap_socket(sock, server_hostname=host)
            except BaseException:
                sock.close()
                raise
        self._sock = sock
        self._buf = bytearray()

    def send(self, msg):
        """Send one frame. Its length counts bytes, not characters."""
        data = encode_text(msg)
        self._sock.sendall(len(data).to_bytes(4, "big") + data)

    def _fill(self, n):
        while len(self._buf) < n:
            chunk = self._sock.recv(max(65536, n - len(self._buf)))
            if not chunk:
                raise SocketClosedError("the server closed the connection")
            self._buf += chunk

    def read_size(self):
        self._fill(4)
        size = int.from_bytes(self._buf[:4], "big")
        del self._buf[:4]
        return size

    def recv(self, size=BUFFER_SIZE):
        self._fill(size)
        out = bytes(self._buf[:size])
        del self._buf[:size]
        return out

    def read_frame(self):
        """Read one frame and return its payload as bytes."""
        return self.recv(self.read_size())

    def read_msg(self):
        """Read one frame and return its payload decoded as text."""
        return self.read_frame().decode("utf-8", "surrogateescape")

    def settimeout(self, timeout):
        self._sock.settimeout(timeout)

    def close(self):
        try:
            self._sock.close()
        except OSError:
            pass
