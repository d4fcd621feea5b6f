"""Data and users survive a kill -9 and restart."""

import os
import shutil
import tempfile
import unittest

from vanity import Client, ServerHandle


class PersistenceTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="vanity-py-persist-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.server = ServerHandle(port=0, no_db_persist=False, no_users_persist=False,
                                   persist_file=os.path.join(self.tmp, "data.db"),
                                   users_file=os.path.join(self.tmp, "users.db"),
                                   use_cwd=True, cwd=self.tmp, extra_args=["--bcrypt-cost=4"])
        self.server.start()
        self.addCleanup(self.server.stop)

    def connect(self, **kw):
        c = Client("127.0.0.1", self.server.port, **kw)
        self.addCleanup(c.close)
        return c

    def test_persist_then_kill(self):
        c = self.connect()
        c.set("s", "text")
        c.set("i", 7)
        c.list_push_right("l", ["a", "b"])
        c.set_add("set", {"x"})
        c.hash_set("h", {"f": "v"})
        c.switch_db(4)
        c.set("other", 1.5)
        c.add_user("user1", "pass1")
        self.assertTrue(c.persist().is_ok())
        self.server.restart()  # SIGKILL, then start again
        c = self.connect()
        self.assertEqual(c.get("s").value, "text")
        self.assertEqual(c.get("i").value, 7)
        self.assertEqual(c.get("l").value, ["a", "b"])
        self.assertEqual(c.get("set").value, {"x"})
        self.assertEqual(c.get("h").value, {"f": "v"})
        c.switch_db(4)
        self.assertEqual(c.get("other").value, 1.5)
        self.connect(username="user1", password="pass1")

    def test_terminate(self):
        c = self.connect()
        c.set("k", "v")
        c.terminate()
        self.assertEqual(self.server.wait(10), 0)
        self.server.start()
        self.assertEqual(self.connect().get("k").value, "v")
