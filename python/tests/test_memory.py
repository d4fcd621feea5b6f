"""The server's memory limit as a Python client meets it."""

import time

from vanity import OutOfMemoryError, ReplyError

from .support import ServerTestCase


class MemoryLimitTest(ServerTestCase):
    server_kwargs = {"extra_args": ["--bcrypt-cost=4", "--max-memory=40MiB"]}

    def test_writes_refused_past_the_limit_and_taken_after_deletes(self):
        c = self.connect(raise_errors=True)
        value = "v" * (1 << 20)
        keys = []
        with self.assertRaises(OutOfMemoryError) as e:
            for i in range(400):
                c.set("k%d" % i, value)
                keys.append("k%d" % i)
        self.assertIsInstance(e.exception, ReplyError)
        self.assertIn("over its --max-memory of 40.0 MiB", str(e.exception))
        self.assertGreater(len(keys), 10)
        self.assertEqual(c.get(keys[0]).value, value)
        for k in keys:
            c.delete(k)
        deadline = time.monotonic() + 30
        while True:
            try:
                c.set("after", "x")
                break
            except OutOfMemoryError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)  # polling the server's reading (every 100 ms)
        self.assertEqual(c.get("after").value, "x")
