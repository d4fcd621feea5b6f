"""Interactive client: python3 -m vanity [flags] [command words...]

The same CLI as `vanity cli` (internal/cli): commands typed as words and
replies printed the way redis-cli prints them; --raw sends each line as a
request frame and prints the reply frame, as the seed's vanity_cli.py did
(PROTOCOL.md section 10.7), whose positional forms [host] port [no-auth]
still work."""

import argparse
import os
import queue
import re
import select
import ssl
import sys
import threading

from .commands import COMMANDS, GROUPS
from .response import Response, ServerConstant, ServerType
from .socket_client import SocketClient
from .words import WordsError, lookup, parse_words, split_words

USAGE = ("usage: vanity-cli (or python3 -m vanity) [-h HOST] [-p PORT] [-u USER] [-a PASSWORD] [-n DB] [--no-auth] "
         "[--raw] [--tls] [--tls-ca FILE] [--tls-cert FILE --tls-key FILE] [command ...]")
LOCAL_WORDS = ("help", "exit", "quit")
_ERRORS = (ServerConstant.ERROR, ServerConstant.DENIED, ServerConstant.BAD_REQUEST, ServerConstant.BAD_TYPE,
           ServerConstant.INTERNAL_ERROR, ServerConstant.BAD_STATE)


class _Parser(argparse.ArgumentParser):
    """An argument parser that reports a bad argument as a ValueError
    naming it, for its caller to print, rather than printing the usage
    itself and exiting."""

    def error(self, message):
        raise ValueError("%s\n%s" % (message, USAGE))


def _parser():
    p = _Parser(prog="vanity-cli", add_help=False, usage=USAGE[len("usage: "):])
    p.add_argument("--help", action="help", help="show this help")
    p.add_argument("-h", "--host", default="127.0.0.1")
    p.add_argument("-p", "--port", type=int, default=9955)
    p.add_argument("-u", "--user", default="vanity")
    p.add_argument("-a", "--password", default=None)
    p.add_argument("-n", "--db", type=int, default=0)
    p.add_argument("--no-auth", action="store_true")
    p.add_argument("--raw", action="store_true")
    p.add_argument("--tls", action="store_true")
    p.add_argument("--tls-ca", default=None)
    p.add_argument("--tls-cert", default=None)
    p.add_argument("--tls-key", default=None)
    p.add_argument("words", nargs=argparse.REMAINDER)
    return p


def parse_args(argv, environ=None):
    """Return the options: host, port, user, password, db, auth, raw, words."""
    environ = os.environ if environ is None else environ
    o = _parser().parse_args(list(argv))
    if o.password is None:
        o.password = environ.get("VANITY_PASSWORD") or ("vanity" if o.user == "vanity" else "")
    o.auth = not o.no_auth
    words = o.words
    o.words = None
    if words:
        first = words[0].partition(":")[0]
        if (_raw_command(words[0]) if o.raw else lookup(first)) or first.lower() in LOCAL_WORDS:
            o.words = words
        else:  # the seed's positional form: [host] port [no-auth]
            if words[-1] == "no-auth":
                o.auth = False
                words = words[:-1]
            if len(words) == 1:
                port = words[0]
            elif len(words) == 2:
                o.host, port = words
            else:
                raise ValueError("%r is not a command\n%s" % (words[0], USAGE))
            try:
                o.port = int(port)
            except ValueError:
                raise ValueError("invalid port %r\n%s" % (port, USAGE))
    if not 0 < o.port < 65536:
        raise ValueError("invalid port %d\n%s" % (o.port, USAGE))
    return o


def _raw_command(frame):
    """Whether a frame starts with a command word (the longest prefix)."""
    run = re.match(r"[A-Z_]*", frame).group()
    return any(run[:n] in COMMANDS for n in range(len(run), 0, -1))


def prompt(host, port, db=0):
    shown = host if len(host) <= 15 else host[:12] + "..."
    if db:
        return "vanity@%s:%d[%d]> " % (shown, port, db)
    return "vanity@%s:%d> " % (shown, port)


def quote(b):
    """A value as redis-cli shows it: printable text as is, bytes escaped."""
    if isinstance(b, str):
        b = b.encode("utf-8", "surrogateescape")
    out = []
    text = b.decode("utf-8", "surrogateescape")
    for ch in text:
        o = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\r":
            out.append("\\r")
        elif ch == "\t":
            out.append("\\t")
        elif 0xDC80 <= o <= 0xDCFF:  # a byte that is not UTF-8
            out.append("\\x%02x" % (o - 0xDC00))
        elif o < 32 or o == 127 or (o >= 128 and not ch.isprintable()):
            out.extend("\\x%02x" % x for x in ch.encode("utf-8"))
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _numbered(items, indent):
    width = len(str(len(items)))
    lines = []
    for i, render in enumerate(items):
        prefix = "%*d) " % (width, i + 1)
        lines.append((" " * indent if i else "") + prefix + render(indent + len(prefix)))
    return "\n".join(lines)


def _value(typ, value, type_only, elements, indent):
    if type_only:
        return typ.value.lower()
    if typ is ServerType.STRING:
        return quote(value)
    if typ is ServerType.INT:
        return "(integer) %d" % value
    if typ is ServerType.FLOAT:
        return "(float) %f" % value
    if typ is ServerType.BOOL:
        return "(true)" if value else "(false)"
    if typ is ServerType.NULL:
        return "(nil)"
    if typ in (ServerType.LIST, ServerType.SET):
        if not value:
            return "(empty %s)" % typ.value.lower()
        return _numbered([lambda _, v=v: quote(v) for v in value], indent)
    if typ is ServerType.HASH:
        if not value:
            return "(empty hash)"
        return _numbered([lambda _, k=k, v=v: quote(k) + " => " + quote(v) for k, v in value.items()], indent)
    if typ is ServerType.ARRAY:
        if not elements:
            return "(empty array)"
        return _numbered([lambda ind, e=e: _value(e[0], e[1], e[2], e[3], ind) for e in elements], indent)
    if typ in (ServerType.PIPE, ServerType.AGG):
        if not value:
            return "(empty array)"
        return _numbered([lambda ind, r=r: format_reply(r, ind) for r in value], indent)
    if typ is ServerType.PUBLISH:
        return "message from %s: %s" % (quote(value[0]), quote(value[1]))
    return repr(value)


def format_reply(r, indent=0):
    """Render a Response the way the Go CLI does (internal/cli/format.go)."""
    if not isinstance(r, Response):
        r = Response(r)
    s = r.status
    if s is ServerConstant.OK:
        return "OK" if r.type is None else _value(r.type, r.value, r.type_only, r.elements, indent)
    if s is ServerConstant.NULL:
        return "(nil)"
    if s is ServerConstant.PONG:
        return quote(r.value) if r.value else "PONG"
    if s is ServerConstant.QUEUED:
        return "QUEUED"
    if s is ServerConstant.ASYNC:
        return _value(r.type, r.value, r.type_only, r.elements, indent)
    return "(error) %s%s" % (s.value, " " + r.body.strip() if r.body else "")


def help_text(args):
    if not args:
        lines = ["Commands are words: set foo bar, get foo, lpush todo milk eggs.",
                 'A quoted value is a string (set n "5"); unquoted, 5 is an INT and 1.5 a FLOAT;',
                 "set:str n 5 forces the type. Redis names work where the arguments are the same.",
                 "help <command> shows one command; exit leaves."]
        for g in GROUPS:
            lines.append("\n%s:" % g)
            for name, c in COMMANDS.items():
                if c.group == g and name != "PIPE":
                    lines.append("  %-20s %s" % (name.lower(), c.summary))
        return "\n".join(lines) + "\n"
    cmd = lookup(args[0])
    if cmd is None:
        return 'no command "%s"; help lists them all\n' % args[0]
    c = COMMANDS[cmd]
    out = "  %s %s\n  %s\n  group: %s\n" % (cmd.lower(), c.params, c.summary, c.group)
    if c.alias and c.alias != cmd:
        out += "  Redis name: %s\n" % c.alias.lower()
    return out


class _Session:
    """One connection; a reader thread prints pub/sub messages as they
    arrive and hands every other frame to the request waiting for it.

    An SSL socket must not be read and written by two threads at once
    (OpenSSL's objects are not thread-safe), so the reader waits for data
    with select() and reads, and requests are written, under one lock."""

    def __init__(self, host, port, on_async, ssl_context=None):
        self.sock = SocketClient(host, port, ssl_context=ssl_context)
        self.replies = queue.Queue()
        self.on_async = on_async
        self.lock = threading.Lock()
        self.closed = False
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _readable(self):
        raw = self.sock._sock
        if isinstance(raw, ssl.SSLSocket) and raw.pending():
            return True
        r, _, _ = select.select([raw], [], [], 0.1)
        return bool(r)

    def _read(self):
        raw = self.sock._sock
        buf = bytearray()
        try:
            while not self.closed:
                if not self._readable():
                    continue
                with self.lock:
                    # Non-blocking: what made the socket readable may be a
                    # TLS record with no data (a session ticket).
                    raw.settimeout(0)
                    try:
                        chunk = raw.recv(65536)
                    except (ssl.SSLWantReadError, BlockingIOError):
                        chunk = None
                    finally:
                        raw.settimeout(None)
                if chunk is None:
                    continue
                if not chunk:
                    break  # the server closed the connection
                buf += chunk
                while len(buf) >= 4:
                    size = int.from_bytes(buf[:4], "big")
                    if len(buf) < 4 + size:
                        break
                    frame = bytes(buf[4:4 + size])
                    del buf[:4 + size]
                    if frame.startswith(b"ASYNC"):
                        self.on_async(frame)
                    else:
                        self.replies.put(frame)
        except (OSError, ValueError):
            pass
        self.replies.put(None)

    def do(self, request):
        """Send a request; return the reply frame, or None once closed."""
        try:
            with self.lock:
                self.sock.send(request)
        except OSError:
            return None
        return self.replies.get()

    def wait(self):
        self.reader.join()

    def close(self):
        self.closed = True
        self.sock.close()


def _setup_readline():
    try:
        import readline
    except ImportError:
        return None
    path = os.environ.get("VANITY_HISTFILE") or os.path.join(os.path.expanduser("~"), ".vanity_history")
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)
    names = sorted({n.lower() for n in COMMANDS if n != "PIPE"} |
                   {c.alias.lower() for c in COMMANDS.values() if c.alias} | set(LOCAL_WORDS))

    def complete(text, state):
        if readline.get_begidx() != 0:
            return None
        matches = [n + " " for n in names if n.startswith(text.lower())]
        return matches[state] if state < len(matches) else None

    readline.set_completer(complete)
    readline.parse_and_bind("tab: complete")
    return lambda: _save_history(readline, path)


def _save_history(readline, path):
    try:
        readline.write_history_file(path)
    except OSError:
        pass


def main(argv=None, stdin=None, stdout=None):
    argv = sys.argv[1:] if argv is None else argv
    stdout = stdout or sys.stdout
    try:
        o = parse_args(argv)
    except ValueError as e:
        print(e, file=sys.stderr)
        return 2
    lock = threading.Lock()

    def emit(text):
        with lock:
            print(text, file=stdout, flush=True)

    def on_async(frame):
        emit(frame.decode("utf-8", "backslashreplace") if o.raw else format_reply(frame))

    ctx = None
    if o.tls or o.tls_ca or o.tls_cert:
        ctx = ssl.create_default_context(cafile=o.tls_ca)
        if o.tls_cert:
            ctx.load_cert_chain(o.tls_cert, o.tls_key)
    try:
        s = _Session(o.host, o.port, on_async, ctx)
    except OSError as e:
        print("cannot connect to %s:%d: %s" % (o.host, o.port, e), file=sys.stderr)
        return 1
    db = 0
    interactive = stdin is None and o.words is None and sys.stdin.isatty()
    save = _setup_readline() if interactive else None
    try:
        if o.auth:
            reply = s.do(parse_words([(b"auth", False), (o.user.encode(), True), (o.password.encode(), True)]))
            if reply is None or not reply.startswith(b"OK"):
                msg = 'cannot log in as "%s": %s' % (o.user, format_reply(reply) if reply else "connection closed")
                if o.words is not None or o.user != "vanity" or o.password != "vanity":
                    print(msg, file=sys.stderr)
                    return 1
                if not o.raw:
                    print(msg + "; log in with: auth USER PASSWORD", file=sys.stderr)
        if o.db:
            reply = s.do(b"SWITCH_DB %d" % o.db)
            if reply == b"OK":
                db = o.db

        def run(words):
            """Handle one line of words: returns (status, quit)."""
            nonlocal db
            first = words[0][0].decode("utf-8", "replace").lower()
            if first in ("exit", "quit"):
                return 0, True
            if first == "help":
                with lock:
                    stdout.write(help_text([w.decode("utf-8", "replace") for w, _ in words[1:]]))
                return 0, False
            try:
                request = parse_words(words)
            except WordsError as e:
                emit("(error) %s" % e)
                return 1, False
            reply = s.do(request)
            if reply is None:
                emit("Connection closed.")
                return (0 if lookup(first.partition(":")[0]) in ("EXIT", "TERMINATE") else 1), True
            r = Response(reply)
            if lookup(first) == "SWITCH_DB" and r.is_ok():
                db = int(words[1][0])
            emit(format_reply(r))
            return (1 if r.status in _ERRORS else 0), False

        if o.words is not None:
            if o.raw:
                reply = s.do(" ".join(o.words))
                emit("Connection closed." if reply is None else reply.decode("utf-8", "backslashreplace"))
                return 0 if reply is not None else 1
            words = [(w.encode("utf-8", "surrogateescape"), False) for w in o.words]
            status, quit = run(words)
            if status == 0 and not quit and lookup(o.words[0]) in ("SUBSCRIBE", "SUBSCRIBE_PATTERN"):
                s.wait()
            return status

        if o.raw:
            emit("Welcome to Vanity!")
            emit('Type "exit" to exit.')
        while True:
            p = prompt(o.host, o.port, db)
            if interactive:
                try:
                    line = input(p)
                except EOFError:
                    print(file=stdout)
                    return 0
            else:
                if o.raw:
                    with lock:
                        stdout.write(p)
                        stdout.flush()
                line = (stdin or sys.stdin).readline()
                if not line:
                    return 0
                line = line.rstrip("\n")
            if o.raw:
                if line == "exit":
                    return 0
                reply = s.do(line)
                if reply is None:
                    emit("Connection closed.")
                    return 0
                emit(reply.decode("utf-8", "backslashreplace"))
                continue
            try:
                words = split_words(line)
            except WordsError as e:
                emit("(error) %s" % e)
                continue
            if words and run(words)[1]:
                return 0
    except KeyboardInterrupt:
        print("\nExiting.", file=stdout)
        return 0
    finally:
        if save:
            save()
        s.close()


if __name__ == "__main__":
    sys.exit(main())
