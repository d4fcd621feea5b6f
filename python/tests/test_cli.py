"""The CLI, driven through a pipe and in process."""

import io
import os
import subprocess
import sys
import time

from vanity import cli, words

from .support import ServerTestCase

PYTHON_DIR = os.path.abspath(os.path.join(os.path.dirname(__file__), ".."))


class CLITest(ServerTestCase):
    def run_cli(self, *args, lines=(), env=None):
        p = subprocess.run([sys.executable, "-m", "vanity", *args], input="\n".join(lines) + "\n",
                           capture_output=True, text=True, cwd=PYTHON_DIR, timeout=30,
                           env={**os.environ, "VANITY_PASSWORD": "", **(env or {})})
        return p.returncode, p.stdout, p.stderr

    def port(self):
        return str(self.server.port)

    def test_words(self):
        code, out, _ = self.run_cli("-p", self.port(), lines=[
            "set n 5", "incrby n 3", 'set s "5"', "type s", "lpush todo milk eggs", "lrange todo 0 -1",
            "hset h a 1", "hgetall h", "mget n nope", "gett x", "incrby s 1", "exit", "get n"])
        self.assertEqual(code, 0)
        self.assertEqual(out, "\n".join([
            "OK", "(integer) 8", "OK", "str", "(integer) 2", '1) "eggs"\n2) "milk"', "(integer) 1",
            '1) "a" => "1"', "1) (integer) 8\n2) (nil)",
            '(error) unknown command "gett" (type help for the list)', "(error) BAD_TYPE"]) + "\n")

    def test_one_shot_and_login(self):
        self.assertEqual(self.run_cli("-p", self.port(), "set", "greeting", "hello world")[:2], (0, "OK\n"))
        self.assertEqual(self.run_cli("-p", self.port(), "get", "greeting")[:2], (0, '"hello world"\n'))
        self.assertEqual(self.run_cli("-p", self.port(), "add_user", "alice", "wonderland")[:2], (0, "OK\n"))
        self.assertEqual(self.run_cli("-p", self.port(), "-u", "alice", "-a", "wonderland", "get", "greeting")[:2],
                         (0, '"hello world"\n'))
        self.assertEqual(self.run_cli("-p", self.port(), "-u", "alice", "get", "greeting",
                                      env={"VANITY_PASSWORD": "wonderland"})[:2], (0, '"hello world"\n'))
        code, _, err = self.run_cli("-p", self.port(), "-u", "alice", "-a", "nope", "get", "greeting")
        self.assertEqual(code, 1)
        self.assertIn('cannot log in as "alice"', err)
        self.assertEqual(self.run_cli("-p", self.port(), "--no-auth", "get", "greeting")[:2], (1, "(error) DENIED\n"))

    def test_raw_session(self):
        code, out, _ = self.run_cli("--raw", "127.0.0.1", self.port(),
                                    lines=["PING", "SET:STR (3)foo (3)bar", "GET (3)foo", "exit", "PING"])
        self.assertEqual(code, 0)
        self.assertIn("Welcome to Vanity!", out)
        self.assertIn('Type "exit" to exit.', out)
        self.assertIn("vanity@127.0.0.1:%d> PONG:STR (0)" % self.server.port, out)
        self.assertIn("OK:STR (3)bar", out)
        self.assertEqual(out.count("PONG"), 1)  # nothing after exit was sent

    def test_raw_no_auth_and_close(self):
        code, out, _ = self.run_cli("--raw", "127.0.0.1", self.port(), "no-auth", lines=["GET (3)foo", "EXIT"])
        self.assertEqual(code, 0)
        self.assertIn("DENIED", out)
        self.assertIn("Connection closed.", out)

    def test_subscriber_prints_messages_as_they_arrive(self):
        p = subprocess.Popen([sys.executable, "-m", "vanity", "-p", self.port(), "subscribe", "news"],
                             stdout=subprocess.PIPE, text=True, cwd=PYTHON_DIR)
        self.addCleanup(p.stdout.close)
        self.addCleanup(p.wait)
        self.addCleanup(p.kill)
        self.assertEqual(p.stdout.readline(), "(integer) 1\n")
        self.client.publish("news", "hello world")
        self.assertEqual(p.stdout.readline(), 'message from "news": "hello world"\n')

    def test_argument_forms(self):
        o = cli.parse_args(["9955"], {})
        self.assertEqual((o.host, o.port, o.auth, o.words), ("127.0.0.1", 9955, True, None))
        o = cli.parse_args(["h", "1", "no-auth"], {})
        self.assertEqual((o.host, o.port, o.auth), ("h", 1, False))
        o = cli.parse_args(["-h", "db1", "-p", "7000", "get", "foo"], {})
        self.assertEqual((o.host, o.port, o.words, o.password), ("db1", 7000, ["get", "foo"], "vanity"))
        o = cli.parse_args(["-u", "bob"], {"VANITY_PASSWORD": "env"})
        self.assertEqual((o.user, o.password), ("bob", "env"))
        for bad, why in ((["h", "x"], "invalid port 'x'"), (["a", "b", "c"], "'a' is not a command"),
                         (["-p", "x"], "argument -p/--port: invalid int value: 'x'"), (["-p", "70000"], "invalid port 70000")):
            with self.assertRaises(ValueError) as e:
                cli.parse_args(bad, {})
            self.assertIn(why, str(e.exception))
            self.assertIn("usage:", str(e.exception))
        self.assertEqual(cli.prompt("a-very-long-hostname.example", 1), "vanity@a-very-long-...:1> ")
        self.assertEqual(cli.prompt("h", 1, 3), "vanity@h:1[3]> ")

    def test_in_process(self):
        out = io.StringIO()
        code = cli.main(["-p", self.port()], stdin=io.StringIO("PING\nping hi\n"), stdout=out)
        self.assertEqual(code, 0)
        self.assertEqual(out.getvalue(), 'PONG\n"hi"\n')


class WordsTest(ServerTestCase):
    """The Python reading of words makes the frames the Go one makes
    (proto/words_test.go has the same cases)."""

    CASES = [
        ("get foo", b"GET (3)foo"),
        ("set foo bar", b"SET:STR (3)foo (3)bar"),
        ("set n 5", b"SET:INT (1)n 5"),
        ("set f 1.5", b"SET:FLOAT (1)f 1.5"),
        ('set n "5"', b"SET:STR (1)n (1)5"),
        ("set:str n 5", b"SET:STR (1)n (1)5"),
        ("set s nan", b"SET:STR (1)s (3)nan"),
        ("set_ttl k 7 1500", b"SET_TTL:INT (1)k 7 1500"),
        ("set_if k old new", b"SET_IF:STR (1)k (3)old (3)new"),
        ("set_if n 5 6", b"SET_IF:INT (1)n 5 6"),
        ("set_if:str n 5 6", b"SET_IF:STR (1)n (1)5 (1)6"),
        ("setnx lock me", b"SET_IF_ABSENT:STR (4)lock (2)me"),
        ("del_if lock me", b"DEL_IF:STR (4)lock (2)me"),
        ("set_ttl_if_absent lock me 30000", b"SET_TTL_IF_ABSENT:STR (4)lock (2)me 30000"),
        ("getset k 7", b"GET_SET:INT (1)k 7"),
        ("getdel k", b"GET_DEL (1)k"),
        ("lock_acquire jobs w1 30000", b"LOCK_ACQUIRE (4)jobs (2)w1 30000"),
        ("lock_release jobs 77", b"LOCK_RELEASE (4)jobs 77"),
        ("append log hi", b"STR_APPEND (3)log (2)hi"),
        ("hincrby h f -2", b"HASH_INCR (1)h (1)f -2"),
        ("fenced jobs 117 set out done", b"FENCED (4)jobs 117 SET:STR (3)out (4)done"),
        ("once req-1 lpop q 1", b"ONCE (5)req-1 LIST_POP_LEFT (1)q 1"),
        ("retry req-1 fenced jobs 5 set k v", b"RETRY (5)req-1 FENCED (4)jobs 5 SET:STR (1)k (1)v"),
        ("lpush todo milk eggs", b"LIST_PUSH_LEFT (4)todo (2)[(4)milk(4)eggs]"),
        ("sadd s a b", b"SET_ADD (1)s (2){(1)a(1)b}"),
        ("list_pop_left_wait_any urgent normal 1 500", b"LIST_POP_LEFT_WAIT_ANY (2)[(6)urgent(6)normal] 1 500"),
        ("set_with k v absent after 1500", b"SET_WITH:STR (1)k (1)v ABSENT AFTER 1500"),
        ("set_expiry_if k 10 some_earlier", b"SET_EXPIRY_IF (1)k 10 SOME_EARLIER"),
        ("hset h f1 v1", b"HASH_UPDATE (1)h (1){(2)f1(2)v1}"),
        ("edit_user bob admin", b"EDIT_USER (3)bob ADMIN"),
        ("ping hello world", b"PINGhello world"),
        ('set k "a b\\x00\\n"', b"SET:STR (1)k (5)a b\x00\n"),
    ]

    def test_frames(self):
        for line, frame in self.CASES:
            with self.subTest(line=line):
                self.assertEqual(words.parse_words(words.split_words(line)), frame)

    def test_the_server_reads_them(self):
        for line, _ in self.CASES:
            if line.startswith(("edit_user", "ping")):
                continue
            with self.subTest(line=line):
                r = self.client._raw(words.parse_words(words.split_words(line)))
                self.assertFalse(r.is_bad_request(), r.body)

    def test_refusals(self):
        for line, text in [("gett foo", "unknown command"), ("get", "usage: GET key"), ("get a b", "usage"),
                           ("incrby n x", "invalid integer"), ("hset h f", "a field without a value"),
                           ("set:list k v", "not STR, INT or FLOAT"), ('get "foo', "unbalanced quotes"),
                           ("fenced jobs 117", "usage: FENCED lock token command..."),
                           ("fenced jobs x set k v", "invalid integer")]:
            with self.subTest(line=line):
                with self.assertRaises(words.WordsError) as e:
                    words.parse_words(words.split_words(line))
                self.assertIn(text, str(e.exception))

    def test_format(self):
        for frame, want in [(b"OK", "OK"), (b"NULL", "(nil)"), (b"OK:INT -8", "(integer) -8"),
                            (b"OK:FLOAT 1.500000", "(float) 1.500000"), (b"OK:BOOL true", "(true)"),
                            (b"OK:STR (6)a\"b\x00\n\xff", '"a\\"b\\x00\\n\\xff"'),
                            (b"OK:LIST (0)[]", "(empty list)"),
                            (b"OK:ARR (2)[:STR (3)bar:LIST (2)[(1)a(1)b]]", '1) "bar"\n2) 1) "a"\n   2) "b"'),
                            (b"ERROR(7)bad key", "(error) ERROR bad key"), (b"OK:STR ", "str"),
                            (b"ASYNC:PUBLISH (4)news(2)hi", 'message from "news": "hi"')]:
            with self.subTest(frame=frame):
                self.assertEqual(cli.format_reply(frame), want)
