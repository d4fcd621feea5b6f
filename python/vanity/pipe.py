"""Batching: Pipe sends many requests as one PIPE request (PROTOCOL.md
section 7); Transaction runs them atomically (section 8.3)."""

import warnings

from .command_interface import CommandInterface, request_from
from .socket_client import encode_text

__all__ = ["Pipe", "Transaction"]

_NOT_IN_PIPE = {"AUTH", "ADD_USER", "EDIT_USER", "DEL_USER", "CHANGE_PASSWORD"}


class Pipe(CommandInterface):
    """Queues commands; execute() sends them as one PIPE request and returns
    its Response, whose value is the list of inner responses."""

    def __init__(self, client):
        self._client = client
        self._requests = []

    def __len__(self):
        return len(self._requests)

    def _command(self, command, *args):
        if command in _NOT_IN_PIPE:
            warnings.warn("Command will fail: %s is not allowed in a pipe" % command)
        self._requests.append(request_from(command, *args))

    def _raw(self, request):
        self._requests.append(encode_text(request))

    def request(self, command, *args):
        self._command(command, *args)

    def execute(self):
        """Send the queued requests and clear the queue."""
        body = b"PIPE(%d)" % len(self._requests) + b"".join(self._requests)
        self._requests = []
        return self._client._raw(body)


class WatchError(Exception):
    """A transaction ran nothing: a key its session watched
    (transact_watch), or one it checked (key_version_is), changed first.
    Read again and retry."""


class Transaction(Pipe):
    """Queues commands and runs them atomically: execute() sends
    TRANSACT_BEGIN, the commands and TRANSACT_COMMIT in one PIPE and
    returns the commit's Response (value: one Response per command).

    If a queued command is malformed the server cannot commit; the
    transaction is then discarded and ValueError raised. If a watched or
    checked key changed (PROTOCOL.md 12.21), nothing ran and WatchError is
    raised.

        with client.transaction() as tx:
            tx.incr_int("a")
            tx.incr_int("b")
        tx.result.value  # [<Response ...>, <Response ...>]
    """

    def __init__(self, client):
        super().__init__(client)
        self.result = None

    def execute(self):
        body = [b"TRANSACT_BEGIN"] + self._requests + [b"TRANSACT_COMMIT"]
        self._requests = []
        r = self._client._raw(b"PIPE(%d)" % len(body) + b"".join(body))
        if r.is_ok() and r.value and r.value[-1].is_null():
            raise WatchError("a watched or checked key changed; the transaction ran nothing")
        if not r.is_ok() or not r.value or not r.value[-1].type_is_agg():
            bad = [x for x in (r.value or []) if x.is_bad_request()]
            if r.value and r.value[0].is_ok():
                self._client.transact_discard()
            raise ValueError("transaction not committed: %r" % (bad[0] if bad else r))
        self.result = r.value[-1]
        return self.result

    def __enter__(self):
        return self

    def __exit__(self, exc_type, *exc):
        if exc_type is None:
            self.execute()
