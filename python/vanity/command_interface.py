"""Request encoding and the command methods shared by Client, Pipe and
Transaction (PROTOCOL.md section 10)."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Tuple, Union

from .socket_client import encode_text

if TYPE_CHECKING:
    from .response import Response

Key = Union[str, bytes]
Number = Union[int, float]

__all__ = ["AuthLevel", "Consistency", "CommandInterface", "format_arg", "request_from"]


class AuthLevel(enum.Enum):
    UNKNOWN = "UNKNOWN"
    USER = "USER"
    PEER = "PEER"
    ADMIN = "ADMIN"


class Consistency(enum.Enum):
    ONE = "ONE"
    QUORUM = "QUORUM"
    ALL = "ALL"
    SERIAL = "SERIAL"


class ListEnd(enum.Enum):
    """An end of a list, for list_move (PROTOCOL.md 12.14)."""
    LEFT = "LEFT"
    RIGHT = "RIGHT"


class DeadlineIf(enum.Enum):
    """When set_expiry_if gives a key a deadline, from the one it has
    (PROTOCOL.md 12.25; Redis's EXPIRE options in comments). A key without
    a deadline never expires: no deadline is later, every one earlier."""
    ALWAYS = "ALWAYS"
    NONE = "NONE"                  # NX
    SOME = "SOME"                  # XX
    LATER = "LATER"                # GT
    EARLIER = "EARLIER"            # LT
    SOME_EARLIER = "SOME_EARLIER"  # XX LT


class KeyIf(enum.Enum):
    """When set_with writes, from whether the key is there (PROTOCOL.md
    12.26; Redis's SET NX and XX)."""
    ALWAYS = "ALWAYS"
    ABSENT = "ABSENT"    # NX
    PRESENT = "PRESENT"  # XX


class TTLMode(enum.Enum):
    """The deadline set_with gives the value (PROTOCOL.md 12.26)."""
    CLEAR = "CLEAR"  # none, as set
    AFTER = "AFTER"  # milliseconds from now (EX, PX)
    AT = "AT"        # milliseconds since 1970 (EXAT, PXAT)
    KEEP = "KEEP"    # the key's own (KEEPTTL)


class BitOp(enum.Enum):
    """What str_bit_op_into makes of its sources (PROTOCOL.md 12.31;
    Redis's BITOP operations)."""
    AND = "AND"
    OR = "OR"
    XOR = "XOR"
    NOT = "NOT"


class BitUnit(enum.Enum):
    """What the range of str_bit_count and str_bit_pos counts in
    (PROTOCOL.md 12.31; Redis's BITCOUNT and BITPOS options)."""
    BYTE = "BYTE"
    BIT = "BIT"


def _framed(value):
    data = encode_text(value)
    return b"(%d)" % len(data) + data


def format_arg(arg):
    """Encode one argument as bytes (section 10.2).

    str and bytes become (n)bytes, counting bytes; int and float their
    decimal text (float as repr: 1e-05, inf, nan); list and tuple (n)[...];
    set and frozenset (n){...} with members sorted, so the bytes are
    deterministic; dict (n){key value ...} in insertion order. Booleans are
    refused: the protocol has no encoding for them.
    """
    if isinstance(arg, bool):
        raise TypeError("booleans have no encoding in the Vanity protocol")
    if isinstance(arg, (AuthLevel, Consistency, ListEnd, DeadlineIf, KeyIf, TTLMode, BitUnit, BitOp)):
        return arg.value.encode()
    if isinstance(arg, (str, bytes, bytearray, memoryview)):
        return _framed(arg)
    if isinstance(arg, (int, float)):
        return repr(arg).encode()
    if isinstance(arg, (list, tuple)):
        return b"(%d)[" % len(arg) + b"".join(_framed(x) for x in arg) + b"]"
    if isinstance(arg, (set, frozenset)):
        members = sorted(encode_text(x) for x in arg)
        return b"(%d){" % len(members) + b"".join(b"(%d)" % len(m) + m for m in members) + b"}"
    if isinstance(arg, dict):
        return b"(%d){" % len(arg) + b"".join(_framed(k) + _framed(v) for k, v in arg.items()) + b"}"
    raise TypeError("cannot encode %s as a Vanity argument" % type(arg).__name__)


def request_from(command, *args):
    """The command word, then the arguments separated by single spaces."""
    return encode_text(command) + b" ".join(format_arg(a) for a in args)


class CommandInterface:
    """One method per command. Subclasses implement _command(), which either
    runs the request (Client) or queues it (Pipe, Transaction)."""

    def _command(self, command: str, *args: Any) -> Response:
        raise NotImplementedError

    # basic and database commands
    def ping(self, msg: Key = "") -> Response:
        return self._raw(b"PING" + encode_text(msg))

    def _raw(self, request: Union[str, bytes]) -> Response:
        raise NotImplementedError

    def get(self, key: Key) -> Response:
        return self._command("GET", key)

    def set(self, key: Key, value: Any) -> Response:
        if isinstance(value, bool):
            raise TypeError("booleans have no encoding in the Vanity protocol")
        if isinstance(value, int):
            return self._command("SET :INT", key, value)
        if isinstance(value, float):
            return self._command("SET :FLOAT", key, value)
        return self._command("SET :STR", key, value)

    def set_ttl(self, key: Key, value: Any, ttl_ms: int) -> Response:
        """Set key to value (typed as set() types it) with a time to live
        of ttl_ms milliseconds, in one write."""
        if isinstance(value, bool):
            raise TypeError("booleans have no encoding in the Vanity protocol")
        if isinstance(value, int):
            return self._command("SET_TTL :INT", key, value, int(ttl_ms))
        if isinstance(value, float):
            return self._command("SET_TTL :FLOAT", key, value, int(ttl_ms))
        return self._command("SET_TTL :STR", key, value, int(ttl_ms))

    @staticmethod
    def _type_word(value: Any) -> str:
        if isinstance(value, bool):
            raise TypeError("booleans have no encoding in the Vanity protocol")
        if isinstance(value, int):
            return "INT"
        if isinstance(value, float):
            return "FLOAT"
        return "STR"

    def set_if(self, key: Key, expected: Any, value: Any) -> Response:
        """Set key to value if it holds expected (of the same type); the
        response is a BOOL saying whether it did (PROTOCOL.md 12.6). The
        single process runs it; a cluster refuses it for now."""
        t = self._type_word(value)
        if self._type_word(expected) != t:
            raise TypeError("expected and value must have one type")
        return self._command("SET_IF :" + t, key, expected, value)

    def set_if_absent(self, key: Key, value: Any) -> Response:
        """Set key to value if it does not exist; a BOOL says whether it did."""
        return self._command("SET_IF_ABSENT :" + self._type_word(value), key, value)

    def set_keep_ttl(self, key: Key, value: Any) -> Response:
        """Set key to value (typed as set() types it), keeping its deadline
        (Redis's SET KEEPTTL; PROTOCOL.md 12.17)."""
        return self._command("SET_KEEP_TTL :" + self._type_word(value), key, value)

    def set_with(self, key: Key, value: Any, when: KeyIf = KeyIf.ALWAYS, ttl: TTLMode = TTLMode.CLEAR,
                 ms: int = 0) -> Response:
        """Set key to value (typed as set() types it) if when holds, with
        the deadline ttl and ms say (Redis's SET with any options but GET;
        PROTOCOL.md 12.26); a BOOL says whether it did."""
        return self._command("SET_WITH :" + self._type_word(value), key, value, KeyIf(when), TTLMode(ttl), int(ms))

    def get_set_with(self, key: Key, value: Any, when: KeyIf = KeyIf.ALWAYS, ttl: TTLMode = TTLMode.CLEAR,
                     ms: int = 0) -> Response:
        """As set_with, answering the value key held (Redis's SET ... GET
        with any other options)."""
        return self._command("GET_SET_WITH :" + self._type_word(value), key, value, KeyIf(when), TTLMode(ttl), int(ms))

    def set_ttl_if_absent(self, key: Key, value: Any, ttl_ms: int) -> Response:
        """Set key to value, expiring after ttl_ms milliseconds, if it does
        not exist (a lease); a BOOL says whether it did."""
        return self._command("SET_TTL_IF_ABSENT :" + self._type_word(value), key, value, int(ttl_ms))

    def set_ttl_if_present(self, key: Key, value: Any, ttl_ms: int) -> Response:
        """Set key to value, expiring after ttl_ms milliseconds, if it
        exists; a BOOL says whether it did."""
        return self._command("SET_TTL_IF_PRESENT :" + self._type_word(value), key, value, int(ttl_ms))

    def rename(self, key: Key, newkey: Key) -> Response:
        """Give key's value and time to live to newkey (replacing what it
        held) and delete key; in a cluster both must be in one partition."""
        return self._command("RENAME", key, newkey)

    def rename_if_absent(self, key: Key, newkey: Key) -> Response:
        """rename() if newkey does not exist; a BOOL says whether it did."""
        return self._command("RENAME_IF_ABSENT", key, newkey)

    def copy(self, key: Key, newkey: Key, replace: bool = True) -> Response:
        """Give newkey a copy of key's value and time to live (replacing what
        it held, or with replace=False only if newkey does not exist); a
        BOOL says whether it copied. In a cluster both must be in one
        partition."""
        return self._command("COPY" if replace else "COPY_IF_ABSENT", key, newkey)

    def get_set(self, key: Key, value: Any) -> Response:
        """Set key to value (typed as set() types it) and answer the value
        it replaced, as get() would have."""
        return self._command("GET_SET :" + self._type_word(value), key, value)

    def get_del(self, key: Key) -> Response:
        """Delete key and answer the value it held, as get() would have."""
        return self._command("GET_DEL", key)

    def lock_acquire(self, name: Key, owner: Key, ttl_ms: int) -> Response:
        """Take the lock if it is free, for ttl_ms milliseconds: the response
        is its fencing token (an INT), or NULL if it is held (PROTOCOL.md
        12.7)."""
        return self._command("LOCK_ACQUIRE", name, owner, int(ttl_ms))

    def lock_refresh(self, name: Key, token: int, ttl_ms: int) -> Response:
        """Extend the lease of the holder of token; a BOOL says whether it did."""
        return self._command("LOCK_REFRESH", name, int(token), int(ttl_ms))

    def lock_release(self, name: Key, token: int) -> Response:
        """Free the lock if token holds it; a BOOL says whether it did."""
        return self._command("LOCK_RELEASE", name, int(token))

    def lock_info(self, name: Key) -> Response:
        """The holder, token and milliseconds left, or NULL if it is free."""
        return self._command("LOCK_INFO", name)

    def fenced(self, lock: Key, token: int, command: str, *args: Any) -> Response:
        """Run a write of one key (command and args as the other methods
        send them, e.g. fenced("jobs", t, "SET :STR", "out", "done")) only if
        token is at least the highest token of lock that a fenced write to
        that key carried; otherwise an ERROR beginning "fenced:" (PROTOCOL.md
        12.11)."""
        return self._command(b"FENCED " + _framed(lock) + b" %d " % int(token) + encode_text(command), *args)

    def once(self, request_id: Key, command: str, *args: Any) -> Response:
        """Run a write of one key, or a blocking pop (command and args as
        fenced() takes them) at most once: if the key's recent commands list request_id, answer
        the reply it had instead of running it again (PROTOCOL.md 12.12).
        After a broken connection, send it again with retry()."""
        return self._command(b"ONCE " + _framed(request_id) + b" " + encode_text(command), *args)

    def retry(self, request_id: Key, command: str, *args: Any) -> Response:
        """The write once() sent with request_id, sent again: never runs it,
        answers its first reply, or an ERROR saying it is not confirmed if
        the key's recent commands no longer list it."""
        return self._command(b"RETRY " + _framed(request_id) + b" " + encode_text(command), *args)

    def str_append(self, key: Key, value: Key) -> Response:
        """Append value to a string, or to a number's text; the new length."""
        return self._command("STR_APPEND", key, value)

    def hash_incr(self, key: Key, field: Key, amount: int) -> Response:
        """Add amount to a field holding an integer's text; the sum."""
        return self._command("HASH_INCR", key, field, int(amount))

    def hash_incr_float(self, key: Key, field: Key, amount: float) -> Response:
        """Add amount to a field holding a number's text and store the
        sum's (Redis's HINCRBYFLOAT); the reply's value is that text."""
        return self._command("HASH_INCR_FLOAT", key, field, float(amount))

    def del_if(self, key: Key, expected: Any) -> Response:
        """Delete key if it holds expected; a BOOL says whether it did."""
        return self._command("DEL_IF :" + self._type_word(expected), key, expected)

    def delete(self, key: Key) -> Response:
        return self._command("DEL", key)

    def persist(self) -> Response:
        return self._command("PERSIST")

    def reset(self) -> Response:
        return self._command("RESET")

    def switch_db(self, db: int) -> Response:
        return self._command("SWITCH_DB", db)

    def type(self, key: Key) -> Response:
        return self._command("TYPE", key)

    def exists(self, key: Key) -> Response:
        return self._command("EXISTS", key)

    def incr_int(self, key: Key, by: int = 1) -> Response:
        return self._command("INCR_INT", key, by)

    def incr_int_text(self, key: Key, by: int = 1) -> Response:
        """As incr_int, and a string or FLOAT holding an integer's text
        becomes an INT (Redis's INCRBY; PROTOCOL.md 12.29)."""
        return self._command("INCR_INT_TEXT", key, by)

    def decr_int(self, key: Key, by: int = 1) -> Response:
        return self._command("INCR_INT", key, -by)

    def incr_float(self, key: Key, by: float = 1.0) -> Response:
        return self._command("INCR_FLOAT", key, float(by))

    def decr_float(self, key: Key, by: float = 1.0) -> Response:
        return self._command("INCR_FLOAT", key, -float(by))

    def str_len(self, key: Key) -> Response:
        return self._command("STR_LEN", key)

    def many_get(self, *keys: Key) -> Response:
        return self._command("MANY_GET", list(keys))

    # users
    def auth(self, username: str, password: str) -> Response:
        return self._command("AUTH", username, password)

    def add_user(self, username: str, password: str) -> Response:
        return self._command("ADD_USER", username, password)

    def edit_user(self, username: str, level: AuthLevel) -> Response:
        return self._command("EDIT_USER", username, AuthLevel(level))

    def del_user(self, username: str) -> Response:
        return self._command("DEL_USER", username)

    def change_password(self, password: str) -> Response:
        return self._command("CHANGE_PASSWORD", password)

    # lists
    def list_len(self, key: Key) -> Response:
        return self._command("LIST_LEN", key)

    def list_get(self, key: Key, index: int) -> Response:
        return self._command("LIST_GET", key, index)

    def list_set(self, key: Key, index: int, value: Any) -> Response:
        return self._command("LIST_SET", key, index, value)

    def list_push_left(self, key: Key, values: Iterable[Key]) -> Response:
        return self._command("LIST_PUSH_LEFT", key, list(values))

    def list_push_right(self, key: Key, values: Iterable[Key]) -> Response:
        return self._command("LIST_PUSH_RIGHT", key, list(values))

    def list_pop_left(self, key: Key, count: int = 1) -> Response:
        return self._command("LIST_POP_LEFT", key, count)

    def list_pop_right(self, key: Key, count: int = 1) -> Response:
        return self._command("LIST_POP_RIGHT", key, count)

    def incr_number(self, key: Key, amount: float) -> Response:
        """Add amount to whatever holds a number: a FLOAT, or an INT or a
        string of a number's text, which becomes a FLOAT (Redis's
        INCRBYFLOAT; in a cluster that conversion runs on the serial path)."""
        return self._command("INCR_NUMBER", key, float(amount))

    def list_move(self, source: Key, dest: Key, from_end: ListEnd = ListEnd.RIGHT,
                  to_end: ListEnd = ListEnd.LEFT) -> Response:
        """Take the element at source's from_end, push it at dest's to_end
        and answer it, in one write (NULL when source is empty); in a
        cluster both keys must be in one partition. The defaults are
        Redis's RPOPLPUSH."""
        return self._command("LIST_MOVE", source, dest, ListEnd(from_end), ListEnd(to_end))

    def list_move_wait(self, source: Key, dest: Key, wait_ms: int, from_end: ListEnd = ListEnd.RIGHT,
                       to_end: ListEnd = ListEnd.LEFT) -> Response:
        """As list_move, waiting up to wait_ms for an element (NULL when
        none came); the defaults are Redis's BRPOPLPUSH."""
        return self._command("LIST_MOVE_WAIT", source, dest, ListEnd(from_end), ListEnd(to_end), int(wait_ms))

    def list_pop_left_wait(self, key: Key, count: int, wait_ms: int) -> Response:
        """As list_pop_left, waiting up to wait_ms for an element (the
        connection waits too; see PROTOCOL.md 12.9)."""
        return self._command("LIST_POP_LEFT_WAIT", key, count, int(wait_ms))

    def list_push_left_if_present(self, key: Key, values: Iterable[Any]) -> Response:
        """Push values onto the head of key's list only if it exists (Redis's
        LPUSHX; PROTOCOL.md 12.28): the new length, 0 when there is none."""
        return self._command("LIST_PUSH_LEFT_IF_PRESENT", key, list(values))

    def list_push_right_if_present(self, key: Key, values: Iterable[Any]) -> Response:
        """As list_push_left_if_present, onto the tail (RPUSHX)."""
        return self._command("LIST_PUSH_RIGHT_IF_PRESENT", key, list(values))

    def str_bit_op_into(self, dest: Key, op: BitOp, *keys: Key) -> Response:
        """Store in dest the bytes of the keys' strings combined by op
        (BitOp.NOT: of one key; shorter strings count as zero bytes): the
        length stored, 0 when dest was deleted (Redis's BITOP)."""
        return self._command("STR_BIT_OP_INTO", dest, BitOp(op), list(keys))

    def hll_add(self, key: Key, *elements: str) -> Response:
        """Count elements in key's HyperLogLog sketch (Redis's PFADD;
        PROTOCOL.md 12.33): 1 when its estimate may have changed or it was
        created, else 0."""
        return self._command("HLL_ADD", key, list(elements))

    def hll_count(self, *keys: Key) -> Response:
        """The estimated number of distinct elements counted in the keys'
        sketches together (Redis's PFCOUNT)."""
        return self._command("HLL_COUNT", list(keys))

    def hll_merge_into(self, dest: Key, *keys: Key) -> Response:
        """Raise dest's sketch to each of the keys' (Redis's PFMERGE)."""
        return self._command("HLL_MERGE_INTO", dest, list(keys))

    def str_get_bit(self, key: Key, offset: int) -> Response:
        """The bit at offset of key's string (Redis's GETBIT; PROTOCOL.md
        12.31): 0 beyond its end or for no key."""
        return self._command("STR_GET_BIT", key, int(offset))

    def str_set_bit(self, key: Key, offset: int, bit: int) -> Response:
        """Set (1) or clear (0) the bit at offset of key's string, zero
        bytes filling a gap, answering the bit it held (Redis's SETBIT)."""
        return self._command("STR_SET_BIT", key, int(offset), int(bit))

    def str_bit_count(self, key: Key, start: int = 0, end: int = -1, unit: BitUnit = BitUnit.BYTE) -> Response:
        """The bits set in key's string from start to end, both included,
        in bytes or bits, negative positions from the end (BITCOUNT)."""
        return self._command("STR_BIT_COUNT", key, int(start), int(end), BitUnit(unit))

    def str_bit_pos(self, key: Key, bit: int, start: int, end: int, unit: BitUnit = BitUnit.BYTE) -> Response:
        """The first bit equal to bit (0 or 1) from start to end, in bytes
        or bits, or -1 (BITPOS with an end)."""
        return self._command("STR_BIT_POS", key, int(bit), int(start), int(end), BitUnit(unit))

    def str_bit_pos_from(self, key: Key, bit: int, start: int = 0) -> Response:
        """The first bit equal to bit from byte start on; past its end the
        string counts as zero bits (BITPOS without an end)."""
        return self._command("STR_BIT_POS_FROM", key, int(bit), int(start))

    def list_insert(self, key: Key, side: ListEnd, pivot: Any, value: Any) -> Response:
        """Put value beside the first element equal to pivot, before it
        (ListEnd.LEFT, Redis's LINSERT BEFORE) or after it (ListEnd.RIGHT;
        PROTOCOL.md 12.30): the new length, -1 when no element equals
        pivot, 0 when there is no list."""
        return self._command("LIST_INSERT", key, ListEnd(side), pivot, value)

    def list_pop_left_wait_any(self, keys: Iterable[Key], count: int, wait_ms: int) -> Response:
        """As list_pop_left_wait, from the first of keys that has an
        element (Redis's BLPOP of several keys; PROTOCOL.md 12.27): a LIST
        of the key, then the elements; empty when none came. A wait_ms of 0
        is one try that waits for nothing (Redis's LMPOP)."""
        return self._command("LIST_POP_LEFT_WAIT_ANY", list(keys), count, int(wait_ms))

    def list_pop_right_wait_any(self, keys: Iterable[Key], count: int, wait_ms: int) -> Response:
        """As list_pop_left_wait_any, from the tails (BRPOP)."""
        return self._command("LIST_POP_RIGHT_WAIT_ANY", list(keys), count, int(wait_ms))

    def list_pop_right_wait(self, key: Key, count: int, wait_ms: int) -> Response:
        """As list_pop_right, waiting up to wait_ms for an element."""
        return self._command("LIST_POP_RIGHT_WAIT", key, count, int(wait_ms))

    def list_range(self, key: Key, start: int, end: int) -> Response:
        return self._command("LIST_RANGE", key, start, end)

    def list_trim(self, key: Key, start: int, end: int) -> Response:
        return self._command("LIST_TRIM", key, start, end)

    def list_remove(self, key: Key, value: Any, count: int = 1) -> Response:
        return self._command("LIST_REMOVE", key, value, count)

    # sets
    def set_add(self, key: Key, values: Iterable[Key]) -> Response:
        return self._command("SET_ADD", key, set(values))

    def set_all(self, key: Key) -> Response:
        return self._command("SET_ALL", key)

    def list_pos(self, key: Key, element: Key, rank: int = 1, count: int = 1) -> Response:
        """The indexes of up to count elements equal to element (0: every
        match), from the rank-th match (1: the first from the head, -1:
        the first from the tail); PROTOCOL.md 12.20."""
        return self._command("LIST_POS", key, element, int(rank), int(count))

    def list_pos_within(self, key: Key, element: Key, rank: int = 1, count: int = 1, maxlen: int = 0) -> Response:
        """As list_pos, among the first maxlen elements the search meets
        (the last, for a negative rank; 0: all): Redis's LPOS MAXLEN."""
        return self._command("LIST_POS_WITHIN", key, element, int(rank), int(count), int(maxlen))

    def set_random(self, key: Key, count: int = 1) -> Response:
        """count distinct members at random (all if fewer), or -count
        draws that may repeat; the set is unchanged (PROTOCOL.md 12.19)."""
        return self._command("SET_RANDOM", key, int(count))

    def set_scan(self, key: Key, cursor: int = 0, pattern: Key = "", count: int = 100) -> Response:
        """One page of SET_SCAN (PROTOCOL.md 12.18): the reply's value is
        [next cursor, {members}]; start with 0, stop when the next cursor
        is 0."""
        return self._command("SET_SCAN", key, int(cursor), pattern, int(count))

    def set_scan_iter(self, key: Key, pattern: Key = "", count: int = 100) -> Iterator[str]:
        """Every member of a set matching pattern, page by page (a Client
        only); one present for the whole scan comes exactly once."""
        for page in self._member_pages(self.set_scan, key, pattern, count):
            yield from page

    def set_remove(self, key: Key, count: int = 1) -> Response:
        return self._command("SET_REMOVE", key, count)

    def set_discard(self, key: Key, values: Iterable[Key]) -> Response:
        return self._command("SET_DISCARD", key, set(values))

    def set_len(self, key: Key) -> Response:
        return self._command("SET_LEN", key)

    def set_contains(self, key: Key, value: Any) -> Response:
        return self._command("SET_CONTAINS", key, value)

    def set_move(self, source: Key, dest: Key, value: Any) -> Response:
        return self._command("SET_MOVE", source, dest, value)

    def set_union(self, *keys: Key) -> Response:
        return self._command("SET_UNION", list(keys))

    def set_union_into(self, dest: Key, *keys: Key) -> Response:
        return self._command("SET_UNION_INTO", dest, list(keys))

    def set_union_len(self, *keys: Key) -> Response:
        return self._command("SET_UNION_LEN", list(keys))

    def set_intersect(self, *keys: Key) -> Response:
        return self._command("SET_INTERSECT", list(keys))

    def set_intersect_into(self, dest: Key, *keys: Key) -> Response:
        return self._command("SET_INTERSECT_INTO", dest, list(keys))

    def set_intersect_len(self, *keys: Key) -> Response:
        return self._command("SET_INTERSECT_LEN", list(keys))

    def set_intersect_len_upto(self, limit: int, *keys: Key) -> Response:
        """set_intersect_len capped at limit (0: none): Redis's SINTERCARD
        LIMIT."""
        return self._command("SET_INTERSECT_LEN_UPTO", list(keys), int(limit))

    def set_diff(self, key1: Key, key2: Key) -> Response:
        return self._command("SET_DIFF", key1, key2)

    def set_diff_into(self, dest: Key, key1: Key, key2: Key) -> Response:
        return self._command("SET_DIFF_INTO", dest, key1, key2)

    def set_diff_len(self, key1: Key, key2: Key) -> Response:
        return self._command("SET_DIFF_LEN", key1, key2)

    def set_diff_many(self, *keys: Key) -> Response:
        return self._command("SET_DIFF_MANY", list(keys))

    def set_diff_many_into(self, dest: Key, *keys: Key) -> Response:
        return self._command("SET_DIFF_MANY_INTO", dest, list(keys))

    # hashes
    def hash_set(self, key: Key, data: Mapping[Key, Key]) -> Response:
        return self._command("HASH_SET", key, dict(data))

    def hash_update(self, key: Key, data: Mapping[Key, Key]) -> Response:
        return self._command("HASH_UPDATE", key, dict(data))

    def hash_all(self, key: Key) -> Response:
        return self._command("HASH_ALL", key)

    def hash_random(self, key: Key, count: int = 1) -> Response:
        """count distinct fields at random (all if fewer), or -count draws
        that may repeat; the value is [field, value, field, value, ...]."""
        return self._command("HASH_RANDOM", key, int(count))

    def hash_scan(self, key: Key, cursor: int = 0, pattern: Key = "", count: int = 100) -> Response:
        """One page of HASH_SCAN: as set_scan, the page a dict of fields
        matching pattern and their values."""
        return self._command("HASH_SCAN", key, int(cursor), pattern, int(count))

    def hash_scan_iter(self, key: Key, pattern: Key = "", count: int = 100) -> Iterator[Tuple[str, str]]:
        """Every (field, value) of a hash whose field matches pattern, page
        by page (a Client only)."""
        for page in self._member_pages(self.hash_scan, key, pattern, count):
            yield from page.items()

    def _member_pages(self, scan: Any, key: Key, pattern: Key, count: int) -> Iterator[Any]:
        cursor = 0
        while True:
            r = scan(key, cursor, pattern, count)
            if not r.is_ok():
                raise ValueError("%s failed: %r" % (scan.__name__.upper(), r.body))
            cursor, page = r.value
            yield page
            if cursor == 0:
                return

    def hash_get(self, key: Key, field: Key) -> Response:
        return self._command("HASH_GET", key, field)

    def hash_contains(self, key: Key, field: Key) -> Response:
        return self._command("HASH_CONTAINS", key, field)

    def hash_len(self, key: Key) -> Response:
        return self._command("HASH_LEN", key)

    def hash_key_len(self, key: Key, field: Key) -> Response:
        return self._command("HASH_KEY_LEN", key, field)

    def hash_remove(self, key: Key, fields: Iterable[Key]) -> Response:
        return self._command("HASH_REMOVE", key, list(fields))

    def hash_keys(self, key: Key) -> Response:
        return self._command("HASH_KEYS", key)

    def hash_values(self, key: Key) -> Response:
        return self._command("HASH_VALUES", key)

    def hash_many_get(self, key: Key, fields: Iterable[Key]) -> Response:
        return self._command("HASH_MANY_GET", key, list(fields))

    # expiry
    def set_expiry(self, key: Key, seconds: float) -> Response:
        return self._command("SET_EXPIRY", key, float(seconds))

    def set_expiry_at(self, key: Key, unix_ms: int) -> Response:
        """Make key expire at unix_ms, milliseconds since 1970 (UTC); a
        time not in the future deletes it (PROTOCOL.md 12.16)."""
        return self._command("SET_EXPIRY_AT", key, int(unix_ms))

    def set_expiry_if(self, key: Key, seconds: float, when: DeadlineIf) -> Response:
        """As set_expiry, only when key's present deadline allows (see
        DeadlineIf); a BOOL says whether it did (PROTOCOL.md 12.25)."""
        return self._command("SET_EXPIRY_IF", key, float(seconds), DeadlineIf(when))

    def set_expiry_at_if(self, key: Key, unix_ms: int, when: DeadlineIf) -> Response:
        """As set_expiry_at, only when key's present deadline allows (see
        DeadlineIf); a BOOL says whether it did."""
        return self._command("SET_EXPIRY_AT_IF", key, int(unix_ms), DeadlineIf(when))

    def get_expiry(self, key: Key) -> Response:
        return self._command("GET_EXPIRY", key)

    def get_expiry_at(self, key: Key) -> Response:
        """key's deadline in milliseconds since 1970 (UTC), or NULL if it
        has none (PROTOCOL.md 12.16)."""
        return self._command("GET_EXPIRY_AT", key)

    def clear_expiry(self, key: Key) -> Response:
        return self._command("CLEAR_EXPIRY", key)

    # transactions
    def transact_begin(self) -> Response:
        return self._command("TRANSACT_BEGIN")

    def transact_commit(self) -> Response:
        return self._command("TRANSACT_COMMIT")

    def transact_discard(self) -> Response:
        return self._command("TRANSACT_DISCARD")

    def transact_watch(self, *keys: Key) -> Response:
        """Watches keys: the next transact_commit runs nothing, and
        answers NULL, if one of them is written, expires or is flushed
        first (PROTOCOL.md 12.21; Redis's WATCH)."""
        return self._command("TRANSACT_WATCH", list(keys))

    def transact_unwatch(self) -> Response:
        return self._command("TRANSACT_UNWATCH")

    def random_key(self) -> Response:
        """A key of the database at random (not uniform), or NULL if it is
        empty (PROTOCOL.md 12.23; Redis's RANDOMKEY)."""
        return self._command("RANDOM_KEY")

    def key_memory(self, key: Key) -> Response:
        """About how many bytes key takes in memory (an estimate), or NULL
        (PROTOCOL.md 12.22; Redis's MEMORY USAGE)."""
        return self._command("KEY_MEMORY", key)

    def key_version(self, key: Key) -> Response:
        """key's version, an INT that changes whenever the key is written
        or its deadline passes (PROTOCOL.md 12.21)."""
        return self._command("KEY_VERSION", key)

    def key_version_is(self, key: Key, version: int) -> Response:
        """Whether key's version is version; queued in a transaction, a
        check that makes the commit run nothing when it fails."""
        return self._command("KEY_VERSION_IS", key, version)

    # publish / subscribe
    def publish(self, channel: Key, message: Key) -> Response:
        return self._command("PUBLISH", channel, message)

    def subscribe(self, channel: Key) -> Response:
        return self._command("SUBSCRIBE", channel)

    def subscribe_pattern(self, pattern: Key) -> Response:
        """Receive the messages of every channel whose name matches
        pattern (KEYS's globs); one message per publication however many
        subscriptions match (PROTOCOL.md 12.15)."""
        return self._command("SUBSCRIBE_PATTERN", pattern)

    def unsubscribe_pattern(self, pattern: Key) -> Response:
        return self._command("UNSUBSCRIBE_PATTERN", pattern)

    def subscribed_patterns(self) -> Response:
        return self._command("SUBSCRIBED_PATTERNS")

    def subscribed(self) -> Response:
        return self._command("SUBSCRIBED")

    def unsubscribe(self, channel: Key) -> Response:
        return self._command("UNSUBSCRIBE", channel)

    def unsubscribe_all(self) -> Response:
        return self._command("UNSUBSCRIBE_ALL")

    # consistency levels (cluster)
    def consistency(self, read: Consistency, write: Consistency) -> Response:
        return self._command("CONSISTENCY", Consistency(read), Consistency(write))

    def get_consistency(self) -> Response:
        return self._command("GET_CONSISTENCY")

    # seeing the keys and the server (PROTOCOL.md sections 12.4 and 12.5)
    def scan(self, cursor: str = "0", pattern: Key = "", count: int = 100) -> Response:
        """One page of SCAN: the reply's value is [next cursor, [keys]];
        start with "0", stop when the next cursor is "0"."""
        return self._command("SCAN", cursor, pattern, count)

    def scan_iter(self, pattern: Key = "", count: int = 100) -> Iterator[str]:
        """Every key matching pattern, page by page (a Client only)."""
        cursor = "0"
        while True:
            r = self.scan(cursor, pattern, count)
            if not r.is_ok():
                raise ValueError("SCAN failed: %r" % (r.body,))
            cursor, keys = r.value
            yield from keys
            if cursor == "0":
                return

    def keys(self, pattern: Key = "") -> Response:
        return self._command("KEYS", pattern)

    def db_size(self) -> Response:
        return self._command("DB_SIZE")

    def info(self) -> Response:
        """INFO: the value is a dict of "section.name" to text."""
        return self._command("INFO")

    def cluster_info(self) -> Response:
        """CLUSTER_INFO (administrators): the ring line, then one
        [name, role, rpc address, state, served, owned] list per member."""
        return self._command("CLUSTER_INFO")
