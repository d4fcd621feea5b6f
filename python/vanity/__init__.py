"""Vanity client for Python: the seed client's API (Client, Pipe, Response,
AuthLevel, SocketClient, ServerHandle), using only the standard library.

    >>> from vanity import Client
    >>> client = Client("localhost", 9955)
    >>> client.set("foo", "bar").is_ok()
    True
    >>> client.get("foo").value
    'bar'
    >>> client.exit()
"""

from .client import AuthenticationError, Client
from .command_interface import AuthLevel, BitOp, BitUnit, Consistency, DeadlineIf, KeyIf, ListEnd, TTLMode, format_arg, request_from
from .pipe import Pipe, Transaction, WatchError
from .pool import Pool, PoolTimeout, SessionCommandError
from .response import OutOfMemoryError, ReplyError, Response, ResponseError, ServerConstant, ServerType
from .aio import AsyncClient
from .server_handle import ServerHandle, find_executable
from .socket_client import SocketClient, SocketClosedError

__version__ = "0.1.0"

__all__ = [
    "AsyncClient", "AuthLevel", "AuthenticationError", "BitOp", "BitUnit", "Client", "OutOfMemoryError", "ReplyError", "Consistency", "DeadlineIf", "KeyIf", "ListEnd", "TTLMode", "Pipe", "Pool", "PoolTimeout", "Response",
    "ResponseError", "ServerConstant", "SessionCommandError",
    "ServerHandle", "ServerType", "SocketClient", "SocketClosedError", "Transaction", "WatchError",
    "find_executable", "format_arg", "request_from",
]
