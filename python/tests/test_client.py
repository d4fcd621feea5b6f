"""Every client method against a real server."""

import math
import threading
import time
import warnings

from vanity import AuthenticationError, AuthLevel, BitOp, BitUnit, Client, DeadlineIf, KeyIf, ListEnd, TTLMode, ServerConstant, ServerType, SocketClosedError, WatchError

from .support import ServerTestCase


class BasicTest(ServerTestCase):
    def test_seed_readme_example(self):
        client = Client("127.0.0.1", self.server.port)
        response = client.set("foo", "bar")
        self.assertTrue(response.is_ok())
        response = client.get("foo")
        self.assertEqual(response.value, "bar")
        client.exit()
        with self.assertRaises(SocketClosedError):
            client.read_response()
        client.close()

    def test_ping(self):
        r = self.client.ping()
        self.assertTrue(r.is_pong())
        self.assertEqual(r.value, "")
        self.assertEqual(self.client.ping(" hello").value, " hello")

    def test_set_picks_the_type(self):
        c = self.client
        self.assertTrue(c.set("s", "text").is_ok())
        self.assertTrue(c.set("i", 42).is_ok())
        self.assertTrue(c.set("f", 1.5).is_ok())
        self.assertEqual(c.get("s").value, "text")
        r = c.get("i")
        self.assertTrue(r.type_is_int())
        self.assertEqual(r.value, 42)
        r = c.get("f")
        self.assertTrue(r.type_is_float())
        self.assertEqual(r.value, 1.5)
        with self.assertRaises(TypeError):
            c.set("b", True)

    def test_type_exists_delete(self):
        c = self.client
        c.set("s", "v")
        r = c.type("s")
        self.assertTrue(r.is_ok() and r.type_is_str() and r.type_only)
        self.assertIsNone(r.value)
        self.assertTrue(c.exists("s").is_ok())
        self.assertTrue(c.delete("s").is_ok())
        self.assertTrue(c.delete("s").is_error())
        self.assertTrue(c.exists("s").is_null())
        self.assertTrue(c.get("s").is_null())
        self.assertTrue(c.type("s").is_null())

    def test_numbers(self):
        c = self.client
        self.assertEqual(c.incr_int("i").value, 1)
        self.assertEqual(c.incr_int("i", 10).value, 11)
        self.assertEqual(c.decr_int("i", 20).value, -9)
        self.assertEqual(c.incr_float("f", 1.5).value, 1.5)
        self.assertEqual(c.decr_float("f", 0.25).value, 1.25)
        c.set("g", 123.456)
        self.assertEqual(c.incr_float("g", -456.789).value, -333.333)
        c.set("h", 1e308)
        self.assertEqual(c.incr_float("h", 1e308).value, math.inf)
        self.assertTrue(math.isnan(c.incr_float("h", -math.inf).value))
        c.set("m", 2 ** 63 - 1)
        r = c.incr_int("m")
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, "integer overflow")
        self.assertTrue(c.incr_int("g").is_bad_type())
        c.set("s", "abc")
        self.assertEqual(c.str_len("s").value, 3)
        self.assertTrue(c.str_len("nope").is_bad_type())

    def test_unicode_lengths_count_bytes(self):
        c = self.client
        self.assertTrue(c.set("clé", "€uro").is_ok())
        self.assertEqual(c.get("clé").value, "€uro")
        self.assertEqual(c.str_len("clé").value, len("€uro".encode()))

    def test_binary_values_round_trip(self):
        c = self.client
        blob = bytes(range(256)) * 3
        self.assertTrue(c.set(b"\x00key\xff", blob).is_ok())
        got = c.get(b"\x00key\xff").value
        self.assertEqual(got.encode("utf-8", "surrogateescape"), blob)
        c.set("echo", got)  # a decoded value sent back stays the same bytes
        self.assertEqual(c.get("echo").value, got)
        raw = Client("127.0.0.1", self.server.port, binary=True)
        self.addCleanup(raw.close)
        self.assertEqual(raw.get(b"\x00key\xff").value, blob)

    def test_many_get(self):
        c = self.client
        c.set("foo", "bar")
        c.set("i", -8)
        r = c.many_get("foo", "i", "nop")
        self.assertTrue(r.type_is_array())
        self.assertEqual(r.value, ["bar", -8, None])
        self.assertEqual([e[0] for e in r.elements], [ServerType.STRING, ServerType.INT, ServerType.NULL])
        self.assertEqual(c.many_get().value, [])

    def test_databases_and_reset(self):
        c = self.client
        c.set("k", "zero")
        self.assertTrue(c.switch_db(3).is_ok())
        self.assertTrue(c.get("k").is_null())
        c.set("k", "three")
        r = c.switch_db(16)
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, " db index must be less than 16")
        self.assertTrue(c.reset().is_ok())
        self.assertTrue(c.get("k").is_null())
        c.switch_db(0)
        self.assertEqual(c.get("k").value, "zero")
        d = self.connect(db_index=3)
        self.assertTrue(d.get("k").is_null())

    def test_persist_disabled(self):
        r = self.client.persist()
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, "Persistence disabled")

    def test_bad_request(self):
        r = self.client.request("GET")
        self.assertTrue(r.is_bad_request())
        self.assertEqual(r.body, " InvalidRequest: unexpected end of message")
        r = self.client.send_request("FOO") or self.client.read_response()
        self.assertTrue(r.is_bad_request())


class ListTest(ServerTestCase):
    def test_lists(self):
        c = self.client
        self.assertEqual(c.list_push_left("l", ["hello", "world"]).value, 2)
        self.assertEqual(c.get("l").value, ["world", "hello"])
        self.assertEqual(c.list_push_right("l", ["a", "b"]).value, 4)
        self.assertEqual(c.list_len("l").value, 4)
        self.assertEqual(c.list_get("l", -1).value, "b")
        r = c.list_get("l", 10)
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, "index out of range")
        self.assertTrue(c.list_set("l", 0, "X").is_ok())
        self.assertEqual(c.list_pop_left("l").value, ["X"])
        self.assertEqual(c.list_pop_right("l", 2).value, ["a", "b"])
        c.list_push_right("r", list("0123456"))
        self.assertEqual(c.list_range("r", 1, 3).value, ["1", "2", "3"])
        self.assertEqual(c.list_trim("r", 1, 4).value, 3)
        self.assertEqual(c.get("r").value, ["1", "2", "3", "4"])
        c.list_push_right("x", ["a", "x", "b", "x"])
        self.assertEqual(c.list_remove("x", "x", 0).value, 2)
        self.assertTrue(c.list_range("l", 0, -1).type_is_list())
        c.set("s", "v")
        r = c.list_len("s")
        self.assertTrue(r.is_bad_type())
        self.assertEqual(r.body, "not a list")


class SetTest(ServerTestCase):
    def test_sets(self):
        c = self.client
        self.assertEqual(c.set_add("s", {"one", "two", "three"}).value, 3)
        self.assertEqual(c.set_add("s", ["one", "four"]).value, 1)
        r = c.set_all("s")
        self.assertTrue(r.type_is_set())
        self.assertEqual(r.value, {"one", "two", "three", "four"})
        self.assertEqual(c.set_len("s").value, 4)
        r = c.set_contains("s", "one")
        self.assertTrue(r.type_is_bool())
        self.assertIs(r.value, True)
        self.assertIs(c.set_contains("s", "zzz").value, False)
        self.assertEqual(c.set_discard("s", {"one", "z"}).value, 1)
        removed = c.set_remove("s", 1).value
        self.assertEqual(len(removed), 1)
        self.assertEqual(c.set_len("s").value, 2)
        self.assertIs(c.set_move("s", "t", sorted(c.set_all("s").value)[0]).value, True)
        c.set_add("A", {"a", "b", "c"})
        c.set_add("B", {"b", "d"})
        self.assertEqual(c.set_union("A", "B").value, {"a", "b", "c", "d"})
        self.assertEqual(c.set_union_into("U", "A", "B").value, 4)
        self.assertEqual(c.set_union_len("A", "B").value, 4)
        self.assertEqual(c.set_intersect("A", "B").value, {"b"})
        self.assertEqual(c.set_intersect_into("I", "A", "B").value, 1)
        self.assertEqual(c.set_intersect_len("A", "B").value, 1)
        self.assertEqual(c.set_diff("A", "B").value, {"a", "c"})
        self.assertEqual(c.set_diff_into("D", "A", "B").value, 2)
        self.assertEqual(c.set_diff_len("A", "B").value, 2)
        c.set_add("C", {"c"})
        self.assertEqual(c.set_diff_many("A", "B", "C").value, {"a"})
        self.assertEqual(c.set_diff_many_into("M", "A", "B", "C").value, 1)
        self.assertEqual(c.set_all("M").value, {"a"})
        members = {"m%d" % i for i in range(60)}
        c.set_add("big", members)
        seen = list(c.set_scan_iter("big", count=4))
        self.assertEqual(sorted(seen), sorted(members))
        cursor, page = c.set_scan("big", 0, "m1?", 1000).value
        self.assertEqual((cursor, page), (0, {"m%d" % i for i in range(10, 20)}))
        self.assertTrue(c.set_scan("big", -1).is_error())
        picked = c.set_random("big", 5).value
        self.assertEqual(len(set(picked)), 5)
        self.assertTrue(set(picked) <= members)
        self.assertEqual(len(c.set_random("big", -100).value), 100)
        self.assertEqual(c.set_random("nothing", 3).value, [])
        c.set("str", "v")
        r = c.set_union("A", "str")
        self.assertTrue(r.is_bad_type())
        self.assertEqual(r.body, "not a set")


class HashTest(ServerTestCase):
    def test_hashes(self):
        c = self.client
        self.assertTrue(c.hash_set("h", {"f1": "v1", "f2": "v2"}).is_ok())
        r = c.hash_all("h")
        self.assertTrue(r.type_is_hash())
        self.assertEqual(r.value, {"f1": "v1", "f2": "v2"})
        self.assertEqual(c.hash_get("h", "f1").value, "v1")
        r = c.hash_get("h", "nope")
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, "bad key")
        self.assertIs(c.hash_contains("h", "f2").value, True)
        self.assertEqual(c.hash_len("h").value, 2)
        self.assertEqual(c.hash_key_len("h", "f1").value, 2)
        self.assertEqual(sorted(c.hash_keys("h").value), ["f1", "f2"])
        self.assertEqual(sorted(c.hash_values("h").value), ["v1", "v2"])
        self.assertEqual(c.hash_many_get("h", ["f1", "f3"]).value, ["v1", None])
        self.assertEqual(c.hash_remove("h", ["f1", "zz"]).value, 1)
        self.assertEqual(c.hash_update("h", {"f2": "X", "f3": "Y"}).value, 1)
        self.assertEqual(c.hash_all("h").value, {"f2": "X", "f3": "Y"})
        self.assertEqual(dict(c.hash_scan_iter("h", count=1)), {"f2": "X", "f3": "Y"})
        self.assertEqual(c.hash_scan("h", 0, "f3").value, [0, {"f3": "Y"}])
        drawn = c.hash_random("h", -4).value
        self.assertEqual(len(drawn), 8)
        self.assertTrue(all({"f2": "X", "f3": "Y"}[f] == v for f, v in zip(drawn[::2], drawn[1::2])))
        c.set("s", "v")
        r = c.hash_len("s")
        self.assertTrue(r.is_bad_type())
        self.assertEqual(r.body, "not hash")


class PipeTest(ServerTestCase):
    def test_pipe(self):
        c = self.client
        p = c.pipe()
        self.assertIsNone(p.set("foo", "bar"))
        p.get("foo")
        p.incr_int("i", 5)
        p.type("i")
        p.delete("zzz")
        r = p.execute()
        self.assertTrue(r.is_ok() and r.type_is_pipe())
        self.assertEqual([x.status for x in r.value],
                         [ServerConstant.OK, ServerConstant.OK, ServerConstant.OK, ServerConstant.OK, ServerConstant.ERROR])
        self.assertEqual(r.value[1].value, "bar")
        self.assertEqual(r.value[2].value, 5)
        self.assertTrue(r.value[3].type_only)
        self.assertEqual(len(p), 0)
        self.assertEqual(p.execute().value, [])

    def test_pipe_warns_on_user_commands(self):
        p = self.client.pipe()
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            p.add_user("user", "pass")
        self.assertIn("not allowed in a pipe", str(w[0].message))
        r = p.execute()
        self.assertTrue(r.value[0].is_error())

    def test_pipe_switch_db_lasts(self):
        c = self.client
        c.set("k", "zero")
        p = c.pipe()
        p.switch_db(1)
        p.get("k")
        r = p.execute()
        self.assertTrue(r.value[1].is_null())
        self.assertTrue(c.get("k").is_null())


class TransactionTest(ServerTestCase):
    def test_transaction_commands(self):
        c = self.client
        self.assertTrue(c.transact_commit().is_bad_state())
        self.assertTrue(c.transact_begin().is_ok())
        self.assertTrue(c.set("k", "v").is_queued())
        self.assertTrue(c.get("k").is_queued())
        self.assertTrue(c.switch_db(1).is_bad_state())
        r = c.transact_commit()
        self.assertTrue(r.type_is_agg())
        self.assertEqual(r.value[1].value, "v")
        c.transact_begin()
        c.set("z", "v")
        self.assertTrue(c.transact_discard().is_ok())
        self.assertTrue(c.get("z").is_null())

    def test_watch(self):
        c, other = self.client, self.connect()
        c.set("b", 10)
        self.assertTrue(c.transact_watch("b", "n").is_ok())
        other.set("b", 0)
        c.transact_begin()
        c.set("b", 8)
        self.assertTrue(c.transact_commit().is_null())
        self.assertEqual(c.get("b").value, 0)
        c.transact_watch("b")
        self.assertTrue(c.transact_unwatch().is_ok())
        other.set("b", 1)
        c.transact_begin()
        c.incr_int("b", 1)
        self.assertEqual(c.transact_commit().value[0].value, 2)
        version = c.key_version("b").value
        self.assertTrue(c.key_version_is("b", version).value)
        c.transact_begin()
        c.key_version_is("b", version)
        c.incr_int("b", 1)
        self.assertEqual([x.value for x in c.transact_commit().value], [True, 3])
        self.assertFalse(c.key_version_is("b", version).value)
        # The transaction helper: a watched key changed, WatchError.
        c.transact_watch("b")
        other.incr_int("b", 1)
        with self.assertRaises(WatchError):
            with c.transaction() as tx:
                tx.incr_int("b", 100)
        self.assertEqual(c.get("b").value, 4)
        with c.transaction() as tx:
            tx.key_version_is("b", c.key_version("b").value)
            tx.incr_int("b", 1)
        self.assertEqual([x.value for x in tx.result.value], [True, 5])

    def test_transaction_helper(self):
        c = self.client
        with c.transaction() as tx:
            tx.incr_int("a")
            tx.incr_int("b", 2)
            tx.get("a")
        self.assertEqual([x.value for x in tx.result.value], [1, 2, 1])

    def test_malformed_transaction_is_discarded(self):
        c = self.client
        tx = c.transaction()
        tx.set("k", "v")
        tx._raw(b"GET")
        with self.assertRaises(ValueError):
            tx.execute()
        self.assertTrue(c.get("k").is_null())  # not queued any more: runs now
        self.assertTrue(c.transact_commit().is_bad_state())


class ExpiryTest(ServerTestCase):
    def test_set_ttl(self):
        c = self.client
        self.assertTrue(c.set_ttl("t", "v", 100000).is_ok())
        self.assertEqual(c.get("t").value, "v")
        r = c.get_expiry("t")
        self.assertTrue(99 < r.value <= 100)
        self.assertTrue(c.set_ttl("n", 7, 100000).is_ok())
        self.assertEqual(c.get("n").value, 7)
        self.assertTrue(c.set_ttl("n", 7, 0).is_error())

    def test_compare_and_set(self):
        c = self.client
        self.assertIs(c.set_if_absent("lock", "me").value, True)
        self.assertIs(c.set_if_absent("lock", "you").value, False)
        self.assertIs(c.del_if("lock", "you").value, False)
        self.assertIs(c.del_if("lock", "me").value, True)
        c.set("n", 10)
        self.assertIs(c.set_if("n", 10, 15).value, True)
        self.assertIs(c.set_if("n", 10, 20).value, False)
        self.assertEqual(c.get("n").value, 15)
        with self.assertRaises(TypeError):
            c.set_if("n", 15, "x")
        self.assertIs(c.set_ttl_if_absent("lease", "me", 100000).value, True)
        self.assertIs(c.set_ttl_if_absent("lease", "you", 100000).value, False)
        self.assertTrue(99 < c.get_expiry("lease").value <= 100)
        self.assertEqual(c.get_set("n", 1).value, 15)
        self.assertEqual(c.get_del("n").value, 1)
        self.assertTrue(c.get_del("n").is_null())

    def test_read_modify_writes(self):
        c = self.client
        self.assertEqual(c.str_append("log", "ab").value, 2)
        self.assertEqual(c.str_append("log", "c").value, 3)
        self.assertEqual(c.get("log").value, "abc")
        self.assertEqual(c.hash_incr("h", "f", 5).value, 5)
        self.assertEqual(c.hash_incr("h", "f", -7).value, -2)

    def test_blocking_pop(self):
        c = self.client
        c.list_push_right("q", ["a"])
        self.assertEqual(c.list_pop_left_wait("q", 1, 1000).value, ["a"])
        self.assertEqual(c.list_pop_right_wait("q", 1, 50).value, [])

    def test_locks(self):
        c = self.client
        token = c.lock_acquire("jobs", "w1", 100000).value
        self.assertTrue(c.lock_acquire("jobs", "w2", 100000).is_null())
        info = c.lock_info("jobs").value
        self.assertEqual(info[0], "w1")
        self.assertEqual(info[1], token)
        self.assertIs(c.lock_refresh("jobs", token + 1, 100000).value, False)
        self.assertIs(c.lock_refresh("jobs", token, 100000).value, True)
        self.assertIs(c.lock_release("jobs", token).value, True)
        self.assertTrue(c.lock_info("jobs").is_null())
        self.assertGreater(c.lock_acquire("jobs", "w2", 100000).value, token)

    def test_fenced(self):
        c = self.client
        token = c.lock_acquire("fence-lock", "w1", 100000).value
        self.assertTrue(c.fenced("fence-lock", token, "SET :STR", "report", "done").is_ok())
        stale = c.fenced("fence-lock", token - 1, "SET :STR", "report", "stale")
        self.assertTrue(stale.is_error())
        self.assertTrue(stale.body.startswith("fenced:"), stale.body)
        self.assertEqual(c.fenced("fence-lock", token, "LIST_PUSH_LEFT", "log", ["ok"]).value, 1)
        self.assertEqual(c.get("report").value, "done")

    def test_set_ttl_if_present(self):
        c = self.client
        self.assertIs(c.set_ttl_if_present("ttl-xx", "a", 5000).value, False)
        self.assertTrue(c.get("ttl-xx").is_null())
        c.set("ttl-xx", "a")
        self.assertIs(c.set_ttl_if_present("ttl-xx", "b", 5000).value, True)
        self.assertEqual(c.get("ttl-xx").value, "b")
        self.assertTrue(0 < c.get_expiry("ttl-xx").value <= 5)

    def test_rename(self):
        c = self.client
        self.assertTrue(c.rename("rn-none", "rn-b").is_error())
        c.set("rn-a", "v")
        self.assertTrue(c.rename("rn-a", "rn-b").is_ok())
        self.assertEqual(c.get("rn-b").value, "v")
        self.assertTrue(c.get("rn-a").is_null())
        c.set("rn-c", "w")
        self.assertIs(c.rename_if_absent("rn-b", "rn-c").value, False)
        self.assertIs(c.rename_if_absent("rn-b", "rn-d").value, True)

    def test_incr_number(self):
        c = self.client
        c.set("num-i", 5)
        self.assertEqual(c.incr_number("num-i", 1.5).value, 6.5)
        self.assertEqual(c.incr_float("num-i", 0.25).value, 6.75)
        c.set("num-s", "abc")
        self.assertTrue(c.incr_number("num-s", 1).is_bad_type())

    def test_hash_incr_float(self):
        c = self.client
        self.assertEqual(c.hash_incr_float("hf", "total", 10.5).value, "10.5")
        self.assertEqual(c.hash_incr_float("hf", "total", -0.25).value, "10.25")
        self.assertEqual(c.hash_get("hf", "total").value, "10.25")

    def test_set_expiry_at(self):
        c = self.client
        c.set("at-k", "v")
        self.assertTrue(c.set_expiry_at("at-k", int(time.time() * 1000) + 60000).is_ok())
        self.assertTrue(55 < c.get_expiry("at-k").value <= 60)
        self.assertTrue(c.set_expiry_at("at-k", 4102444800000).is_ok())
        self.assertEqual(c.get_expiry_at("at-k").value, 4102444800000)
        self.assertTrue(c.get_expiry_at("nothing").is_null())
        c.set("mem", "x" * 1000)
        self.assertGreater(c.key_memory("mem").value, 1000)
        self.assertTrue(c.key_memory("nothing").is_null())
        self.assertTrue(c.exists(c.random_key().value).is_ok())
        self.assertTrue(c.set_expiry_at("at-k", 1000).is_ok())
        self.assertTrue(c.get("at-k").is_null())

    def test_set_keep_ttl(self):
        c = self.client
        c.set_ttl("keep-k", "a", 60000)
        self.assertTrue(c.set_keep_ttl("keep-k", 7).is_ok())
        self.assertEqual(c.get("keep-k").value, 7)
        self.assertTrue(55 < c.get_expiry("keep-k").value <= 60)
        self.assertTrue(c.set_keep_ttl("keep-new", "x").is_ok())
        self.assertTrue(c.get_expiry("keep-new").is_null())

    def test_copy(self):
        c = self.client
        c.list_push_right("cp-l", ["a", "b"])
        self.assertIs(c.copy("cp-l", "cp-m").value, True)
        self.assertEqual(c.list_range("cp-m", 0, -1).value, ["a", "b"])
        self.assertIs(c.copy("cp-l", "cp-m", replace=False).value, False)
        self.assertIs(c.copy("cp-none", "cp-m").value, False)
        self.assertTrue(c.copy("cp-l", "cp-l").is_error())

    def test_list_pos(self):
        c = self.client
        c.list_push_right("pos-l", ["a", "b", "c", "b"])
        self.assertEqual(c.list_pos("pos-l", "b", 1, 0).value, [1, 3])
        self.assertEqual(c.list_pos("pos-l", "b", -1).value, [3])
        self.assertEqual(c.list_pos("pos-l", "z").value, [])
        self.assertTrue(c.list_pos("pos-l", "b", 0).is_error())

    def test_set_expiry_if(self):
        c = self.client
        c.set("expif-k", 1)
        self.assertFalse(c.set_expiry_if("expif-k", 60, DeadlineIf.SOME).value)
        self.assertTrue(c.set_expiry_if("expif-k", 60, DeadlineIf.NONE).value)
        self.assertFalse(c.set_expiry_if("expif-k", 600, DeadlineIf.NONE).value)
        self.assertTrue(c.set_expiry_if("expif-k", 30, DeadlineIf.SOME_EARLIER).value)
        self.assertTrue(25 < c.get_expiry("expif-k").value <= 30)
        self.assertFalse(c.set_expiry_at_if("expif-k", 1000, DeadlineIf.LATER).value)
        self.assertTrue(c.set_expiry_at_if("expif-k", 1000, DeadlineIf.EARLIER).value)
        self.assertTrue(c.get("expif-k").is_null())
        self.assertFalse(c.set_expiry_if("expif-none", 10, DeadlineIf.ALWAYS).value)

    def test_set_with(self):
        c = self.client
        self.assertTrue(c.set_with("sw-k", "a", KeyIf.ABSENT, TTLMode.AFTER, 60000).value)
        self.assertFalse(c.set_with("sw-k", "b", KeyIf.ABSENT).value)
        self.assertEqual(c.get_set_with("sw-k", 7, KeyIf.PRESENT, TTLMode.KEEP).value, "a")
        self.assertEqual(c.get("sw-k").value, 7)
        self.assertTrue(55 < c.get_expiry("sw-k").value <= 60)
        self.assertTrue(c.get_set_with("sw-none", "x", KeyIf.ABSENT).is_null())
        self.assertTrue(c.set_with("sw-k", "c", ttl=TTLMode.AT, ms=1000).value)
        self.assertTrue(c.get("sw-k").is_null())

    def test_incr_int_text(self):
        c = self.client
        c.set("iit-s", "41")
        c.str_append("iit-s", "0")
        self.assertEqual(c.incr_int_text("iit-s", 1).value, 411)
        self.assertEqual(c.incr_int_text("iit-new", -2).value, -2)
        c.set("iit-x", "abc")
        self.assertTrue(c.incr_int_text("iit-x", 1).is_error())

    def test_list_pos_within_and_intersect_upto(self):
        c = self.client
        c.list_push_right("lpw-l", ["a", "b", "a", "c", "a"])
        self.assertEqual(c.list_pos_within("lpw-l", "a", 1, 0, 3).value, [0, 2])
        self.assertEqual(c.list_pos_within("lpw-l", "a", -1, 0, 2).value, [4])
        c.set_add("lpw-s1", ["a", "b", "c"])
        c.set_add("lpw-s2", ["b", "c", "d"])
        self.assertEqual(c.set_intersect_len_upto(1, "lpw-s1", "lpw-s2").value, 1)
        self.assertEqual(c.set_intersect_len_upto(0, "lpw-s1", "lpw-s2").value, 2)

    def test_bits(self):
        c = self.client
        self.assertEqual(c.str_get_bit("bits-b", 7).value, 0)
        self.assertEqual(c.str_bit_pos_from("bits-b", 0).value, 0)
        self.assertEqual(c.str_set_bit("bits-b", 7, 1).value, 0)
        self.assertEqual(c.str_set_bit("bits-b", 9, 1).value, 0)
        self.assertEqual(c.str_get_bit("bits-b", 7).value, 1)
        self.assertEqual(c.str_bit_count("bits-b").value, 2)
        self.assertEqual(c.str_bit_count("bits-b", 0, 7, BitUnit.BIT).value, 1)
        self.assertEqual(c.str_bit_pos("bits-b", 1, 1, -1).value, 9)
        self.assertEqual(c.str_bit_pos_from("bits-b", 0, 0).value, 0)
        self.assertEqual(c.str_bit_op_into("bits-n", BitOp.NOT, "bits-b").value, 2)
        self.assertEqual(c.str_bit_count("bits-n").value, 14)

    def test_hyperloglog(self):
        c = self.client
        self.assertEqual(c.hll_add("hll-a", "alice", "bob", "carol").value, 1)
        self.assertEqual(c.hll_add("hll-a", "alice").value, 0)
        self.assertEqual(c.hll_count("hll-a").value, 3)
        c.hll_add("hll-b", "bob", "dave")
        self.assertEqual(c.hll_count("hll-a", "hll-b", "hll-none").value, 4)
        self.assertTrue(c.hll_merge_into("hll-all", "hll-a", "hll-b").is_ok())
        self.assertEqual(c.hll_count("hll-all").value, 4)
        self.assertTrue(c.get("hll-all").value.startswith("HYLL"))
        c.set("hll-plain", "not a sketch")
        self.assertEqual(c.hll_add("hll-plain", "x").status, ServerConstant.BAD_TYPE)

    def test_list_insert(self):
        c = self.client
        self.assertEqual(c.list_insert("ins-l", ListEnd.LEFT, "a", "x").value, 0)
        c.list_push_right("ins-l", ["a", "c"])
        self.assertEqual(c.list_insert("ins-l", ListEnd.RIGHT, "a", "b").value, 3)
        self.assertEqual(c.list_insert("ins-l", ListEnd.LEFT, "a", "0").value, 4)
        self.assertEqual(c.list_insert("ins-l", ListEnd.LEFT, "z", "x").value, -1)
        self.assertEqual(c.list_range("ins-l", 0, -1).value, ["0", "a", "b", "c"])

    def test_list_push_if_present(self):
        c = self.client
        self.assertEqual(c.list_push_left_if_present("pip-l", ["a"]).value, 0)
        self.assertTrue(c.exists("pip-l").is_null())
        c.list_push_right("pip-l", ["b"])
        self.assertEqual(c.list_push_left_if_present("pip-l", ["a"]).value, 2)
        self.assertEqual(c.list_push_right_if_present("pip-l", ["c"]).value, 3)
        self.assertEqual(c.list_range("pip-l", 0, -1).value, ["a", "b", "c"])

    def test_list_pop_wait_any(self):
        c = self.client
        c.list_push_right("pwa-low", ["l1", "l2"])
        self.assertEqual(c.list_pop_left_wait_any(["pwa-high", "pwa-low"], 1, 1000).value, ["pwa-low", "l1"])
        c.list_push_right("pwa-high", ["h1"])
        self.assertEqual(c.list_pop_right_wait_any(["pwa-high", "pwa-low"], 5, 1000).value, ["pwa-high", "h1"])
        self.assertEqual(c.list_pop_left_wait_any(["pwa-high", "pwa-low"], 5, 1000).value, ["pwa-low", "l2"])
        self.assertEqual(c.list_pop_left_wait_any(["pwa-high", "pwa-low"], 1, 20).value, [])
        # A time of 0 is one try (Redis's LMPOP): nothing at once, or what is there.
        self.assertEqual(c.list_pop_left_wait_any(["pwa-high", "pwa-low"], 1, 0).value, [])
        c.list_push_right("pwa-low", ["l3", "l4"])
        self.assertEqual(c.list_pop_right_wait_any(["pwa-high", "pwa-low"], 5, 0).value, ["pwa-low", "l3", "l4"])

    def test_list_move(self):
        c = self.client
        self.assertEqual(c.list_push_right("mv-jobs", ["a", "b", "c"]).value, 3)
        self.assertEqual(c.list_move("mv-jobs", "mv-doing").value, "c")
        self.assertEqual(c.list_move("mv-jobs", "mv-doing", ListEnd.LEFT, ListEnd.RIGHT).value, "a")
        self.assertEqual(c.list_range("mv-doing", 0, -1).value, ["c", "a"])
        self.assertTrue(c.list_move("mv-none", "mv-doing").is_null())
        c.set("mv-s", "v")
        self.assertTrue(c.list_move("mv-jobs", "mv-s").is_bad_type())
        self.assertEqual(c.list_len("mv-jobs").value, 1)
        self.assertEqual(c.list_move_wait("mv-jobs", "mv-doing", 1000).value, "b")
        self.assertTrue(c.list_move_wait("mv-jobs", "mv-doing", 50).is_null())

    def test_once(self):
        c = self.client
        self.assertEqual(c.once("req-1", "LIST_PUSH_RIGHT", "once-q", ["a"]).value, 1)
        self.assertEqual(c.once("req-1", "LIST_PUSH_RIGHT", "once-q", ["a"]).value, 1)  # not again
        self.assertEqual(c.retry("req-1", "LIST_PUSH_RIGHT", "once-q", ["a"]).value, 1)
        self.assertEqual(c.once("req-2", "LIST_POP_LEFT", "once-q", 1).value, ["a"])
        self.assertEqual(c.retry("req-2", "LIST_POP_LEFT", "once-q", 1).value, ["a"])
        lost = c.retry("req-3", "LIST_POP_LEFT", "once-q", 1)
        self.assertTrue(lost.is_error())
        self.assertIn("not confirmed", lost.body)

    def test_expiry(self):
        c = self.client
        c.set("k", "v")
        self.assertTrue(c.set_expiry("k", 100).is_ok())
        r = c.get_expiry("k")
        self.assertTrue(r.type_is_float())
        self.assertTrue(99 < r.value <= 100)
        self.assertTrue(c.clear_expiry("k").is_ok())
        self.assertTrue(c.get_expiry("k").is_null())
        self.assertTrue(c.set_expiry("k", 0).is_ok())
        self.assertTrue(c.get("k").is_null())
        r = c.set_expiry("k", math.nan)
        self.assertTrue(r.is_error())


class PubSubTest(ServerTestCase):
    def test_publish_subscribe(self):
        a = self.connect()
        b = self.connect()
        self.assertEqual(a.subscribe("chan").value, 1)
        self.assertEqual(a.subscribe("chan2").value, 2)
        self.assertEqual(sorted(a.subscribed().value), ["chan", "chan2"])
        self.assertTrue(b.publish("chan", "hello").is_ok())
        m = a.read_async(timeout=10)
        self.assertTrue(m.is_async())
        self.assertEqual(m.value, ("chan", "hello"))
        # A message arriving before a reply is set aside, not returned.
        b.publish("chan2", "again")
        self.assertEqual(a.get("nope").status, ServerConstant.NULL)
        self.assertEqual(a.read_async(timeout=10).value, ("chan2", "again"))
        self.assertIsNone(a.read_async(block=False))
        self.assertEqual(a.unsubscribe("chan").value, 1)
        self.assertTrue(a.unsubscribe_all().is_ok())
        self.assertEqual(a.subscribed().value, [])

    def test_pattern_subscribe(self):
        a = self.connect()
        b = self.connect()
        self.assertEqual(a.subscribe_pattern("news.*").value, 1)
        self.assertEqual(a.subscribe("news.sport").value, 1)
        self.assertEqual(a.subscribed_patterns().value, ["news.*"])
        b.publish("news.sport", "hi")
        b.publish("weather", "rain")
        b.publish("news.local", "fair")
        self.assertEqual(a.read_async(timeout=10).value, ("news.sport", "hi"))  # once, for two matches
        self.assertEqual(a.read_async(timeout=10).value, ("news.local", "fair"))
        self.assertEqual(a.unsubscribe_pattern("news.*").value, 0)
        self.assertEqual(a.subscribed_patterns().value, [])

    def test_consistency(self):
        c = self.client
        self.assertEqual(c.get_consistency().value, ["QUORUM", "QUORUM"])
        self.assertTrue(c.consistency("ONE", "ALL").is_ok())
        self.assertEqual(c.get_consistency().value, ["ONE", "ALL"])

    def test_cluster_info(self):
        # A single process describes itself as standalone; the cluster's
        # reply is exercised by scripts/cluster (its "wait" command).
        self.assertEqual(self.client.cluster_info().value, ["standalone"])


class UserTest(ServerTestCase):
    def test_auth_flow(self):
        anon = self.connect(no_login=True)
        self.assertTrue(anon.get("k").is_denied())
        r = anon.auth("vanity", "wrong")
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, "incorrect password")
        self.assertEqual(anon.auth("nouser", "pass1").body, "user does not exist")
        self.assertEqual(anon.auth("vanity", "abc").body, "password too short")
        self.assertTrue(anon.auth("vanity", "vanity").is_ok())
        self.assertTrue(anon.auth("vanity", "vanity").is_denied())

    def test_refused_login_raises(self):
        # A wrong password raised nothing: the first command got DENIED.
        with self.assertRaises(AuthenticationError):
            self.connect(username="vanity", password="wrong")
        with self.assertRaises(AuthenticationError):
            self.connect(username="nobody", password="pass1")

    def test_user_management(self):
        c = self.client
        self.assertTrue(c.add_user("user1", "pass1").is_ok())
        self.assertEqual(c.add_user("user1", "pass1").body, "user already exists")
        u = self.connect(username="user1", password="pass1")
        self.assertTrue(u.reset().is_denied())
        self.assertTrue(c.edit_user("user1", AuthLevel.ADMIN).is_ok())
        self.assertTrue(u.reset().is_ok())
        self.assertEqual(c.edit_user("user1", AuthLevel.PEER).body, "invalid auth level")
        self.assertTrue(u.change_password("pass2").is_ok())
        self.assertTrue(self.connect(no_login=True).auth("user1", "pass2").is_ok())
        self.assertEqual(c.del_user("vanity").body, "cannot delete self")
        self.assertTrue(c.del_user("user1").is_ok())
        with self.assertRaises(SocketClosedError):
            u.get("k")

    def test_shared_between_threads(self):
        c = self.client
        errors = []

        def work(n):
            for i in range(100):
                r = c.incr_int("counter")
                if not r.type_is_int():
                    errors.append(r)
        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(errors, [])
        self.assertEqual(c.get("counter").value, 400)


class KeysAndInfoTest(ServerTestCase):
    def test_scan_keys_db_size_info(self):
        for i in range(30):
            self.client.set("key:%02d" % i, i)
        self.client.set("other", "x")
        self.assertEqual(self.client.db_size().value, 31)
        self.assertEqual(sorted(self.client.scan_iter("key:*", count=7)), ["key:%02d" % i for i in range(30)])
        self.assertEqual(sorted(self.client.keys("key:0?").value), ["key:%02d" % i for i in range(10)])
        cursor, keys = self.client.scan("0", "", 1000).value
        self.assertEqual((cursor, len(keys)), ("0", 31))
        info = self.client.info().value
        self.assertEqual(info["keyspace.db0"], "keys=31,expires=0,avg_ttl=0")
        self.assertEqual(info["cluster.mode"], "standalone")
