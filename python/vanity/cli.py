"""Interactive client: python3 -m vanity [host] port [no-auth]
(PROTOCOL.md section 10.7). Each line is sent verbatim as one request and
the raw reply payload is printed."""

import os
import sys

from .socket_client import SocketClient, SocketClosedError

USAGE = "usage: vanity-cli [host] port [no-auth]"


def parse_args(argv):
    """Return (host, port, auth) from the seed CLI's argument forms."""
    args = list(argv)
    auth = True
    if args and args[-1] == "no-auth":
        auth = False
        args.pop()
    if len(args) == 1:
        host, port = "localhost", args[0]
    elif len(args) == 2:
        host, port = args
    elif len(args) == 0 and not auth:
        raise ValueError(USAGE)
    else:
        raise ValueError(USAGE)
    try:
        port = int(port)
    except ValueError:
        raise ValueError("invalid port %r\n%s" % (port, USAGE))
    return host, port, auth


def prompt(host, port):
    shown = host if len(host) <= 15 else host[:12] + "..."
    return "vanity@%s:%d> " % (shown, port)


def _setup_readline():
    try:
        import readline
    except ImportError:
        return None
    path = os.path.join(os.path.expanduser("~"), ".vanity_cli_history")
    try:
        readline.read_history_file(path)
    except OSError:
        pass
    readline.set_history_length(1000)
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
        host, port, auth = parse_args(argv)
    except ValueError as e:
        print(e, file=stdout)
        return 1
    try:
        sock = SocketClient(host, port)
    except OSError as e:
        print("cannot connect to %s:%d: %s" % (host, port, e), file=stdout)
        return 1
    save = _setup_readline() if stdin is None and sys.stdin.isatty() else None
    print("Welcome to Vanity!", file=stdout)
    print('Type "exit" to exit.', file=stdout)
    try:
        if auth:
            sock.send(b"AUTH (6)vanity (6)vanity")
            sock.read_frame()
        while True:
            if stdin is None:
                try:
                    line = input(prompt(host, port))
                except EOFError:
                    print(file=stdout)
                    return 0
            else:
                stdout.write(prompt(host, port))
                line = stdin.readline()
                if not line:
                    return 0
                line = line.rstrip("\n")
            if line == "exit":
                return 0
            sock.send(line)
            reply = sock.read_frame()
            print(reply.decode("utf-8", "backslashreplace"), file=stdout)
    except SocketClosedError:
        print("Connection closed.", file=stdout)
        return 0
    except KeyboardInterrupt:
        print("\nExiting.", file=stdout)
        return 0
    finally:
        if save:
            save()
        sock.close()


if __name__ == "__main__":
    sys.exit(main())
