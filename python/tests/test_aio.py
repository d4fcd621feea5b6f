"""The asyncio client, against a real server; and raise_errors."""

import asyncio

from vanity import AsyncClient, AuthenticationError, ReplyError, ServerConstant

from .support import ServerTestCase


class AsyncClientTest(ServerTestCase):
    def run_async(self, coro):
        return asyncio.run(asyncio.wait_for(coro, 30))

    def test_commands_and_concurrent_tasks(self):
        async def main():
            async with await AsyncClient.connect("127.0.0.1", self.server.port) as c:
                self.assertTrue((await c.set("foo", "bar")).is_ok())
                self.assertEqual((await c.get("foo")).value, "bar")
                self.assertEqual((await c.list_push_right("l", ["a", "b"])).value, 2)
                replies = await asyncio.gather(*(c.incr_int("n", 1) for _ in range(100)))
                self.assertEqual(sorted(r.value for r in replies), list(range(1, 101)))
                self.assertEqual(sorted([k async for k in c.scan_iter("", 3)]), ["foo", "l", "n"])
                await c.set_add("tags", {"t%d" % i for i in range(30)})
                self.assertEqual(sorted([m async for m in c.set_scan_iter("tags", "", 2)]), sorted("t%d" % i for i in range(30)))
                await c.hash_update("h", {"a": "1", "b": "2"})
                self.assertEqual(dict([fv async for fv in c.hash_scan_iter("h", "", 1)]), {"a": "1", "b": "2"})
                self.assertTrue((await c.incr_int("foo", 1)).is_bad_type())
        self.run_async(main())

    def test_raise_errors_and_login(self):
        async def main():
            c = await AsyncClient.connect("127.0.0.1", self.server.port, raise_errors=True)
            await c.set("s", "x")
            with self.assertRaises(ReplyError) as e:
                await c.incr_int("s", 1)
            self.assertIs(e.exception.response.status, ServerConstant.BAD_TYPE)
            await c.close()
            with self.assertRaises(AuthenticationError):
                await AsyncClient.connect("127.0.0.1", self.server.port, password="wrong")
        self.run_async(main())

    def test_subscriber(self):
        async def main():
            sub = await AsyncClient.connect("127.0.0.1", self.server.port)
            self.assertEqual((await sub.subscribe("news")).value, 1)
            self.client.publish("news", "hello")
            m = await sub.read_async()
            self.assertEqual(m.value, ("news", "hello"))
            await sub.close()
        self.run_async(main())

    def test_sync_client_raise_errors(self):
        c = self.connect(raise_errors=True)
        c.set("s", "x")
        with self.assertRaises(ReplyError) as e:
            c.list_len("s")
        self.assertTrue(e.exception.response.is_bad_type())
        self.assertTrue(c.get("missing").is_null())  # NULL is a reply, not an error
