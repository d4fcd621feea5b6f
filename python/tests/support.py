"""Shared test helpers: a real server per test class, on a free port."""

import os
import shutil
import tempfile
import unittest

from vanity import Client, ServerHandle

REPO = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TESTDATA = os.path.join(REPO, "proto", "testdata")


def golden_bytes(quoted):
    """A golden-file JSON string whose code points 0-255 are the bytes."""
    import json
    return json.loads(quoted).encode("latin-1")


class ServerTestCase(unittest.TestCase):
    """Starts one in-memory server for the class; each test gets a fresh
    admin client on an emptied server."""

    server_kwargs = {}

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="vanity-py-")
        kwargs = dict(port=0, cwd=cls.tmp, extra_args=["--bcrypt-cost=4"])
        kwargs.update(cls.server_kwargs)
        cls.server = ServerHandle(**kwargs).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def setUp(self):
        self.client = self.connect()
        for db in range(15, -1, -1):
            self.client.switch_db(db)
            self.client.reset()

    def connect(self, **kwargs):
        c = Client("127.0.0.1", self.server.port, **kwargs)
        self.addCleanup(c.close)
        return c
