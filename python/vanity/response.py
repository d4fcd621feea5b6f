"""Decoding of reply payloads (PROTOCOL.md sections 3 and 4)."""

import enum
import math
import warnings

__all__ = ["Response", "ServerConstant", "ServerType", "ResponseError", "ReplyError"]


class ServerConstant(enum.Enum):
    OK = "OK"
    NULL = "NULL"
    ERROR = "ERROR"
    PONG = "PONG"
    DENIED = "DENIED"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    BAD_REQUEST = "BAD_REQUEST"
    BAD_TYPE = "BAD_TYPE"
    QUEUED = "QUEUED"
    BAD_STATE = "BAD_STATE"
    ASYNC = "ASYNC"


class ServerType(enum.Enum):
    STRING = "STR"
    INT = "INT"
    FLOAT = "FLOAT"
    ARRAY = "ARR"
    LIST = "LIST"
    NULL = "NULL"
    SET = "SET"
    BOOL = "BOOL"
    HASH = "HASH"
    PIPE = "PIPE"
    AGG = "AGG"
    PUBLISH = "PUBLISH"


class ResponseError(ValueError):
    """A reply payload that does not follow the protocol."""


class ReplyError(Exception):
    """An error reply (ERROR, DENIED, BAD_REQUEST, BAD_TYPE, INTERNAL_ERROR,
    BAD_STATE), raised by clients made with raise_errors=True. The Response
    is in .response."""

    def __init__(self, response):
        super().__init__("%s%s" % (response.status.value, ": " + response.body if response.body else ""))
        self.response = response


class OutOfMemoryError(ReplyError):
    """A write refused because the server (in a cluster, the node that would
    run it) is past its memory limit, --max-memory (PROTOCOL.md §12.2):
    delete keys, let them expire, or raise the limit. Reads and deletes go
    on."""


def reply_error(response):
    """The ReplyError raise_errors raises for an error reply: an
    OutOfMemoryError for a write refused past the memory limit."""
    body = response.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "surrogateescape")
    if response.status is ServerConstant.ERROR and body and body.startswith("out of memory:"):
        return OutOfMemoryError(response)
    return ReplyError(response)


ERROR_STATUSES = frozenset(("ERROR", "DENIED", "BAD_REQUEST", "BAD_TYPE", "INTERNAL_ERROR", "BAD_STATE"))


# Longest names first, so that no name is matched by a prefix of another.
_STATUSES = sorted(ServerConstant, key=lambda s: -len(s.value))
_TYPES = sorted(ServerType, key=lambda t: -len(t.value))


def _text(b, binary):
    if binary:
        return bytes(b)
    return bytes(b).decode("utf-8", "surrogateescape")


class _Parser:
    def __init__(self, data, binary):
        self.b = data
        self.i = 0
        self.binary = binary

    def fail(self, what):
        raise ResponseError("%s at byte %d of %r" % (what, self.i, bytes(self.b[:200])))

    def startswith(self, s):
        return self.b.startswith(s.encode(), self.i)

    def number(self):
        j = self.i
        if j < len(self.b) and self.b[j] in b"+-":
            j += 1
        while j < len(self.b) and 48 <= self.b[j] <= 57:
            j += 1
        if j == self.i:
            self.fail("expected a number")
        n = int(self.b[self.i:j])
        self.i = j
        return n

    def length(self):
        if not self.startswith("("):
            self.fail("expected (")
        self.i += 1
        n = self.number()
        if not self.startswith(")"):
            self.fail("expected )")
        self.i += 1
        return n

    def body(self):
        n = self.length()
        if self.i + n > len(self.b):
            self.fail("string shorter than its length")
        out = self.b[self.i:self.i + n]
        self.i += n
        return out

    def reply(self):
        start = self.i
        r = Response.__new__(Response)
        r.status = r.type = r.value = r.body = r.elements = None
        r.type_only = False
        for s in _STATUSES:
            if self.startswith(s.value):
                r.status = s
                self.i += len(s.value)
                break
        else:
            self.fail("unknown status")
        if self.i < len(self.b):
            c = self.b[self.i]
            if c == ord("("):
                r.body = _text(self.body(), self.binary)
            elif c == ord(":"):
                r.type, r.value, r.type_only, r.elements = self.value()
        r.raw = bytes(self.b[start:self.i])
        return r

    def value(self):
        self.i += 1  # ':'
        for t in _TYPES:
            if self.startswith(t.value):
                typ = t
                self.i += len(t.value)
                break
        else:
            self.fail("unknown type")
        if typ in (ServerType.PIPE, ServerType.AGG):
            n = self.length()
            return typ, [self.reply() for _ in range(n)], False, None
        if not self.startswith(" "):
            self.fail("expected a space after the type")
        self.i += 1
        if typ is ServerType.NULL:
            return typ, None, False, None
        if self.i >= len(self.b) or not self._starts_payload(typ):
            return typ, None, True, None
        if typ is ServerType.ARRAY:
            n = self.length()
            self.expect("[")
            elements = []
            for _ in range(n):
                if not self.startswith(":"):
                    self.fail("expected an annotated element")
                elements.append(self.value())
            self.expect("]")
            return typ, [e[1] for e in elements], False, elements
        return typ, self.scalar(typ), False, None

    def scalar(self, typ):
        if typ is ServerType.STRING:
            return _text(self.body(), self.binary)
        if typ is ServerType.INT:
            return self.number()
        if typ is ServerType.FLOAT:
            return self.float()
        if typ is ServerType.BOOL:
            if self.startswith("true"):
                self.i += 4
                return True
            if self.startswith("false"):
                self.i += 5
                return False
            self.fail("bad bool")
        if typ is ServerType.LIST:
            n = self.length()
            self.expect("[")
            out = [_text(self.body(), self.binary) for _ in range(n)]
            self.expect("]")
            return out
        if typ is ServerType.SET:
            n = self.length()
            self.expect("{")
            out = {_text(self.body(), self.binary) for _ in range(n)}
            self.expect("}")
            return out
        if typ is ServerType.HASH:
            n = self.length()
            self.expect("{")
            out = {}
            for _ in range(n):
                k = _text(self.body(), self.binary)
                out[k] = _text(self.body(), self.binary)
            self.expect("}")
            return out
        if typ is ServerType.PUBLISH:
            channel = _text(self.body(), self.binary)
            message = _text(self.body(), self.binary)
            return (channel, message)
        self.fail("unhandled type")

    def _starts_payload(self, typ):
        c = self.b[self.i]
        if typ is ServerType.INT:
            return c == ord("-") or 48 <= c <= 57
        if typ is ServerType.FLOAT:
            return c in b"-in" or 48 <= c <= 57
        if typ is ServerType.BOOL:
            return c in b"tf"
        return c == ord("(")

    def expect(self, s):
        if not self.startswith(s):
            self.fail("expected %r" % s)
        self.i += len(s)

    def float(self):
        for text, v in (("nan", math.nan), ("inf", math.inf), ("-inf", -math.inf)):
            if self.startswith(text):
                self.i += len(text)
                return v
        j = self.i
        while j < len(self.b) and (self.b[j] in b"-." or 48 <= self.b[j] <= 57):
            j += 1
        try:
            v = float(self.b[self.i:j])
        except ValueError:
            self.fail("bad float")
        self.i = j
        return v


class Response:
    """A decoded reply.

    Attributes: status (ServerConstant), type (ServerType or None), value
    (str, int, float, bool, list, set, dict, tuple for ASYNC messages, a
    list of Response for PIPE and AGG, or None), body (the text after an
    error status, or None), type_only (a TYPE reply: an annotation with no
    value), elements (for ARR: (type, value, type_only, elements) per
    element, keeping each element's annotation) and raw (the payload).

    Text is decoded as UTF-8; bytes that are not valid UTF-8 become lone
    surrogates ("surrogateescape"), which the client encodes back to the
    same bytes, so binary values round-trip. Pass binary=True to get bytes.
    """

    def __init__(self, raw, binary=False):
        if isinstance(raw, str):
            raw = raw.encode("utf-8", "surrogateescape")
        p = _Parser(bytes(raw), binary)
        r = p.reply()
        if p.i != len(p.b):
            warnings.warn("trailing data after the reply: %r" % p.b[p.i:p.i + 50])
        self.status, self.type, self.value = r.status, r.type, r.value
        self.body, self.type_only, self.elements = r.body, r.type_only, r.elements
        self.raw = bytes(raw)

    def __repr__(self):
        return "<Response: status=%s, type=%s, body=%s>" % (
            self.status.value if self.status else None,
            self.type.value if self.type else None,
            self.body,
        )

    __str__ = __repr__

    def is_ok(self):
        return self.status is ServerConstant.OK

    def is_null(self):
        return self.status is ServerConstant.NULL

    def is_error(self):
        return self.status is ServerConstant.ERROR

    def is_pong(self):
        return self.status is ServerConstant.PONG

    def is_denied(self):
        return self.status is ServerConstant.DENIED

    def is_internal_error(self):
        return self.status is ServerConstant.INTERNAL_ERROR

    def is_bad_request(self):
        return self.status is ServerConstant.BAD_REQUEST

    def is_bad_type(self):
        return self.status is ServerConstant.BAD_TYPE

    def is_queued(self):
        return self.status is ServerConstant.QUEUED

    def is_bad_state(self):
        return self.status is ServerConstant.BAD_STATE

    def is_async(self):
        return self.status is ServerConstant.ASYNC

    def type_is_str(self):
        return self.type is ServerType.STRING

    def type_is_int(self):
        return self.type is ServerType.INT

    def type_is_float(self):
        return self.type is ServerType.FLOAT

    def type_is_array(self):
        return self.type is ServerType.ARRAY

    def type_is_null(self):
        return self.type is ServerType.NULL

    def type_is_list(self):
        return self.type is ServerType.LIST

    def type_is_set(self):
        return self.type is ServerType.SET

    def type_is_bool(self):
        return self.type is ServerType.BOOL

    def type_is_hash(self):
        return self.type is ServerType.HASH

    def type_is_pipe(self):
        return self.type is ServerType.PIPE

    def type_is_agg(self):
        return self.type is ServerType.AGG
