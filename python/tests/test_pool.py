"""The connection pool: threads sharing a few connections, reads retried on
a fresh connection, writes not, session commands refused."""

import socket
import threading

from vanity import Pool, PoolTimeout, SessionCommandError
from vanity.socket_client import SocketClosedError

from .support import ServerTestCase


class PoolTest(ServerTestCase):
    def pool(self, **kwargs):
        p = Pool("127.0.0.1", self.server.port, **kwargs)
        self.addCleanup(p.close)
        return p

    def break_idle(self, pool):
        """Shut the socket of the connection the pool lends next."""
        c = pool._idle.get_nowait()
        c._socket._sock.shutdown(socket.SHUT_RDWR)
        pool._idle.put(c)

    def test_commands_and_threads(self):
        pool = self.pool(size=3)
        self.assertTrue(pool.set("foo", "bar").is_ok())
        self.assertEqual(pool.get("foo").value, "bar")
        errors = []

        def work():
            try:
                for _ in range(50):
                    pool.incr_int("n", 1)
            except Exception as e:  # reported below
                errors.append(e)

        threads = [threading.Thread(target=work) for _ in range(12)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(pool.get("n").value, 600)
        connected = int(pool.info().value["clients.connected"])
        self.assertLessEqual(connected, 3 + 1)  # the pool's, and the test's own client

    def test_dead_idle_connections_are_replaced(self):
        pool = self.pool(size=1)
        pool.set("k", "v")
        self.break_idle(pool)
        self.assertTrue(pool.set("k", "w").is_ok())  # noticed before use: a new connection
        self.assertEqual(pool.get("k").value, "w")

    def test_reads_are_retried_writes_are_not(self):
        pool = self.pool(size=1)
        pool._alive = lambda c: True  # a connection that dies after the check
        pool.set("k", "v")
        self.break_idle(pool)
        self.assertEqual(pool.get("k").value, "v")  # retried on a new connection
        self.break_idle(pool)
        with self.assertRaises((SocketClosedError, OSError)):
            pool.set("k", "w")  # may have run: raised, not retried
        self.assertEqual(pool.get("k").value, "v")

    def test_session_commands_are_refused(self):
        pool = self.pool(size=1)
        for call in (lambda: pool.switch_db(2), lambda: pool.subscribe("c"), lambda: pool.transact_begin(),
                     lambda: pool.transact_watch("k"), lambda: pool.auth("a", "b")):
            with self.assertRaises(SessionCommandError):
                call()
        with pool.client() as c:  # a borrowed connection may switch; it is not shared again
            c.switch_db(2)
            c.set("in2", 1)
        self.assertTrue(pool.get("in2").is_null())

    def test_raise_errors(self):
        from vanity import ReplyError
        pool = self.pool(size=1, raise_errors=True)
        pool.set("s", "x")
        with self.assertRaises(ReplyError):
            pool.incr_int("s", 1)
        self.assertEqual(pool.get("s").value, "x")  # the same connection, still good
        self.assertEqual(pool._idle.qsize(), 1)

    def test_wait_timeout(self):
        pool = self.pool(size=1, wait_timeout=0.05)
        with pool.client():
            with self.assertRaises(PoolTimeout):
                pool.get("k")
