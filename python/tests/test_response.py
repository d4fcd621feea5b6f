"""Response decoding, without a server."""

import math
import unittest
import warnings

from vanity import Response, ResponseError, ServerConstant, ServerType, format_arg


class ResponseTest(unittest.TestCase):
    def test_values(self):
        cases = {
            "OK": (ServerConstant.OK, None, None),
            "OK:STR (3)bar": (ServerConstant.OK, ServerType.STRING, "bar"),
            "OK:INT -8": (ServerConstant.OK, ServerType.INT, -8),
            "OK:FLOAT 1.500000": (ServerConstant.OK, ServerType.FLOAT, 1.5),
            "OK:FLOAT -inf": (ServerConstant.OK, ServerType.FLOAT, -math.inf),
            "OK:BOOL false": (ServerConstant.OK, ServerType.BOOL, False),
            "OK:LIST (2)[(5)world(5)hello]": (ServerConstant.OK, ServerType.LIST, ["world", "hello"]),
            "OK:SET (2){(1)b(1)c}": (ServerConstant.OK, ServerType.SET, {"b", "c"}),
            "OK:HASH (1){(1)k(1)1}": (ServerConstant.OK, ServerType.HASH, {"k": "1"}),
            "OK:ARR (3)[:STR (3)bar:INT -8:NULL ]": (ServerConstant.OK, ServerType.ARRAY, ["bar", -8, None]),
            "ASYNC:PUBLISH (4)chan(5)hello": (ServerConstant.ASYNC, ServerType.PUBLISH, ("chan", "hello")),
        }
        for raw, (status, typ, value) in cases.items():
            with self.subTest(raw=raw):
                r = Response(raw)
                self.assertEqual((r.status, r.type, r.value), (status, typ, value))

    def test_nan(self):
        self.assertTrue(math.isnan(Response("OK:FLOAT nan").value))

    def test_bodies(self):
        r = Response("ERROR(7)bad key")
        self.assertTrue(r.is_error())
        self.assertEqual(r.body, "bad key")
        self.assertIsNone(r.type)
        r = Response("BAD_TYPE")
        self.assertTrue(r.is_bad_type())
        self.assertIsNone(r.body)

    def test_pipe_and_agg(self):
        r = Response("OK:PIPE(3)OK:STR (3)barOK:INT 5OK:INT ")
        self.assertTrue(r.type_is_pipe())
        self.assertEqual([x.value for x in r.value], ["bar", 5, None])
        self.assertTrue(r.value[2].type_only and r.value[2].type_is_int())
        r = Response("OK:AGG(2)QUEUEDBAD_STATE")
        self.assertTrue(r.type_is_agg())
        self.assertTrue(r.value[0].is_queued() and r.value[1].is_bad_state())

    def test_malformed(self):
        for raw in ["", "WHAT", "OK:STR (9)bar", "OK:FOO 1", "OK:ARR (1)[(1)a]"]:
            with self.subTest(raw=raw):
                with self.assertRaises(ResponseError):
                    Response(raw)
        with warnings.catch_warnings(record=True) as w:
            warnings.simplefilter("always")
            Response("OKjunk")
        self.assertTrue(w)

    def test_format_arg(self):
        self.assertEqual(format_arg("é"), b"(2)\xc3\xa9")
        self.assertEqual(format_arg({"b", "a"}), b"(2){(1)a(1)b}")
        self.assertEqual(format_arg({"f": "v"}), b"(1){(1)f(1)v}")
        self.assertEqual(format_arg(1e-05), b"1e-05")
        with self.assertRaises(TypeError):
            format_arg(True)
        with self.assertRaises(TypeError):
            format_arg(object())


if __name__ == "__main__":
    unittest.main()
