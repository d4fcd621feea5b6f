"""Command lines typed by people ("set foo bar", "lpush todo milk eggs") read
into request frames, by the command table generated from the Go one
(commands.py). The rules are the Go CLI's (proto/words.go): a command name in
any letter case or its Redis alias, one word per argument, a container taking
the rest of the line; SET and SET_TTL type their value from the word (an
unquoted integer is an INT, an unquoted decimal a FLOAT, anything else or
anything quoted a STR), and SET:STR and the like force the type."""

import re

from .commands import COMMANDS

__all__ = ["WordsError", "split_words", "parse_words", "lookup"]

_INT = re.compile(rb"[+-]?[0-9]+\Z")
_FLOAT = re.compile(rb"[+-]?(([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?|inf|infinity|nan)\Z", re.I)
_ALIASES = {c.alias: name for name, c in COMMANDS.items() if c.alias and c.alias not in COMMANDS}
_CONTAINERS = ("arr", "list", "set", "hash")
_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "a": b"\a", "b": b"\b"}


class WordsError(ValueError):
    """A command line that cannot be read into a request."""


def lookup(name):
    """The command word a person means: a command in any case, or an alias."""
    up = name.upper()
    if up in COMMANDS:
        return up
    return _ALIASES.get(up)


def split_words(line):
    """Split a line at whitespace into (bytes, quoted) words. "Double quotes"
    take \\" \\\\ \\n \\r \\t \\a \\b and \\xHH; 'single quotes' are literal
    but for \\'. A closing quote must end the word."""
    words = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i].isspace():
            i += 1
        if i == n:
            return words
        q = line[i]
        if q not in "\"'":
            start = i
            while i < n and not line[i].isspace():
                i += 1
            words.append((line[start:i].encode("utf-8", "surrogateescape"), False))
            continue
        i += 1
        out = bytearray()
        while True:
            if i == n:
                raise WordsError("unbalanced quotes: %s not closed" % q)
            c = line[i]
            if c == q:
                i += 1
                break
            if c == "\\" and i + 1 < n:
                i += 1
                c = line[i]
                if q == "'":
                    out += (b"" if c == "'" else b"\\") + c.encode("utf-8", "surrogateescape")
                elif c == "x" and re.match(r"[0-9a-fA-F]{2}", line[i + 1:i + 3]):
                    out.append(int(line[i + 1:i + 3], 16))
                    i += 2
                else:
                    out += _ESCAPES.get(c, c.encode("utf-8", "surrogateescape"))
            else:
                out += c.encode("utf-8", "surrogateescape")
            i += 1
        if i < n and not line[i].isspace():
            raise WordsError("unbalanced quotes: a closing quote must end the word")
        words.append((bytes(out), True))


def _framed(b):
    return b"(%d)" % len(b) + b


def _seq(words, open_, close, per):
    return b"(%d)%s" % (len(words) // per, open_) + b"".join(_framed(w) for w, _ in words) + close


def _typed(word, forced):
    text, quoted = word
    if forced is None:
        if quoted:
            forced = "STR"
        elif _INT.match(text) and -2**63 <= int(text) < 2**63:
            forced = "INT"
        elif re.search(rb"[0-9]", text) and _FLOAT.match(text):
            forced = "FLOAT"
        else:
            forced = "STR"
    if forced == "STR":
        return forced, _framed(text)
    if forced == "INT" and not _INT.match(text):
        raise WordsError("wrong arguments: invalid integer %r" % text.decode("utf-8", "replace"))
    if forced == "FLOAT" and not _FLOAT.match(text):
        raise WordsError("wrong arguments: invalid float %r" % text.decode("utf-8", "replace"))
    return forced, text


def parse_words(words):
    """Return the request frame for a list of (bytes, quoted) words."""
    if not words:
        raise WordsError("unknown command: empty line")
    name = words[0][0].decode("utf-8", "replace")
    forced = None
    if ":" in name[1:]:
        name, _, t = name.partition(":")
        forced = t.upper()
        if forced not in ("STR", "INT", "FLOAT"):
            raise WordsError("wrong arguments: %r is not STR, INT or FLOAT" % t)
    cmd = lookup(name)
    if cmd is None or cmd == "PIPE":
        raise WordsError('unknown command "%s" (type help for the list)' % name)
    kinds, params = COMMANDS[cmd].kinds, COMMANDS[cmd].params
    if forced and "typed" not in kinds:
        raise WordsError("wrong arguments: only SET, SET_TTL and the compare-and-set commands take a type after ':'")
    usage = WordsError("wrong arguments: usage: %s %s" % (cmd, params))
    rest = list(words[1:])
    out = [cmd.encode()]
    for ki, kind in enumerate(kinds):
        if kind == "raw":
            out[0] += b" ".join(w for w, _ in rest)
            rest = []
            continue
        if not rest and kind not in _CONTAINERS:
            raise usage
        if kind == "str":
            out.append(_framed(rest.pop(0)[0]))
        elif kind in ("int", "millis"):
            out.append(_typed(rest.pop(0), "INT")[1])
        elif kind == "float":
            out.append(_typed(rest.pop(0), "FLOAT")[1])
        elif kind in ("arr", "list", "set"):
            # Every word but those of the arguments after it (one each).
            n = max(0, len(rest) - (len(kinds) - ki - 1))
            out.append(_seq(rest[:n], b"{" if kind == "set" else b"[", b"}" if kind == "set" else b"]", 1))
            rest = rest[n:]
        elif kind == "hash":
            if len(rest) % 2:
                raise WordsError("wrong arguments: a field without a value; usage: %s %s" % (cmd, params))
            out.append(_seq(rest, b"{", b"}", 2))
            rest = []
        elif kind in ("level", "consistency", "end", "when", "keyif", "ttlmode", "unit", "bitop"):
            out.append(rest.pop(0)[0].upper())
        elif kind == "typed":
            if len(rest) < 2:
                raise usage
            key, value = rest.pop(0), rest.pop(0)
            t, encoded = _typed(value, forced)
            out[0] += b":" + t.encode()
            out.append(_framed(key[0]))
            out.append(encoded)
            forced = t  # a later "also" value takes the same type
        elif kind == "also":
            out.append(_typed(rest.pop(0), forced)[1])
        elif kind == "once":
            # The id, then the write it names: its own line.
            if len(rest) < 2:
                raise usage
            out += [_framed(rest.pop(0)[0]), parse_words(rest)]
            rest = []
        elif kind == "fence":
            # The lock, the token, then the write they fence: its own line.
            if len(rest) < 3:
                raise usage
            lock, token = rest.pop(0), rest.pop(0)
            out += [_framed(lock[0]), _typed(token, "INT")[1], parse_words(rest)]
            rest = []
    if rest:
        raise usage
    return b" ".join(out)
