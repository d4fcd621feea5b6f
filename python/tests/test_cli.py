"""The interactive client, driven through a pipe."""

import io
import subprocess
import sys
import os

from vanity import cli

from .support import ServerTestCase

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class CLITest(ServerTestCase):
    def run_cli(self, *args, lines):
        p = subprocess.run([sys.executable, "-m", "vanity", *args], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, cwd=PYTHON_DIR, timeout=30)
        return p.returncode, p.stdout

    def test_session(self):
        code, out = self.run_cli("127.0.0.1", str(self.server.port),
                                 lines=["PING", "SET:STR (3)foo (3)bar", "GET (3)foo", "exit", "PING"])
        self.assertEqual(code, 0)
        self.assertIn("Welcome to Vanity!", out)
        self.assertIn('Type "exit" to exit.', out)
        self.assertIn("vanity@127.0.0.1:%d> PONG:STR (0)" % self.server.port, out)
        self.assertIn("OK:STR (3)bar", out)
        self.assertEqual(out.count("PONG"), 1)  # nothing after exit was sent

    def test_no_auth_and_close(self):
        code, out = self.run_cli("127.0.0.1", str(self.server.port), "no-auth", lines=["GET (3)foo", "EXIT"])
        self.assertEqual(code, 0)
        self.assertIn("DENIED", out)
        self.assertIn("Connection closed.", out)

    def test_argument_forms(self):
        self.assertEqual(cli.parse_args(["9955"]), ("localhost", 9955, True))
        self.assertEqual(cli.parse_args(["h", "1"]), ("h", 1, True))
        self.assertEqual(cli.parse_args(["1", "no-auth"]), ("localhost", 1, False))
        self.assertEqual(cli.parse_args(["h", "1", "no-auth"]), ("h", 1, False))
        for bad in ([], ["h", "x"], ["a", "b", "c"]):
            with self.assertRaises(ValueError):
                cli.parse_args(bad)
        self.assertEqual(cli.prompt("a-very-long-hostname.example", 1), "vanity@a-very-long-...:1> ")

    def test_in_process(self):
        out = io.StringIO()
        code = cli.main(["127.0.0.1", str(self.server.port)], stdin=io.StringIO("PING\n"), stdout=out)
        self.assertEqual(code, 0)
        self.assertIn("PONG:STR (0)", out.getvalue())
