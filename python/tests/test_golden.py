"""The Python client decodes and encodes exactly as the Go side does, on the
shared golden files of proto/testdata."""

import json
import math
import os
import unittest

from vanity import AuthLevel, Consistency, Response, request_from

from .support import TESTDATA, golden_bytes


def latin1(b):
    return bytes(b).decode("latin-1")


def value_json(typ, value, type_only):
    m = {"type": typ.value}
    if type_only:
        m["type_only"] = True
        return m
    t = typ.value
    if t == "STR":
        m["str"] = latin1(value)
    elif t == "INT":
        m["int"] = value
    elif t == "FLOAT":
        if math.isnan(value):
            m["float"] = "nan"
        elif math.isinf(value):
            m["float"] = "inf" if value > 0 else "-inf"
        else:
            m["float"] = value
    elif t == "BOOL":
        m["bool"] = value
    elif t == "LIST":
        m["strs"] = [latin1(s) for s in value]
    elif t == "SET":
        m["strs"] = sorted(latin1(s) for s in value)
    elif t == "HASH":
        m["pairs"] = sorted([latin1(k), latin1(v)] for k, v in value.items())
    elif t == "PUBLISH":
        m["strs"] = [latin1(s) for s in value]
    return m


def canonical(r):
    m = {"status": r.status.value}
    if r.body is not None:
        m["body"] = latin1(r.body)
    if r.type is not None:
        m["value"] = typed_json(r.type, r.value, r.type_only, r.elements)
    return m


def typed_json(typ, value, type_only, elements):
    if typ.value in ("PIPE", "AGG"):
        return {"type": typ.value, "replies": [canonical(x) for x in value]}
    if typ.value == "ARR" and not type_only:
        return {"type": "ARR", "elems": [typed_json(*e) for e in elements]}
    if typ.value == "NULL":
        return {"type": "NULL"}
    return value_json(typ, value, type_only)


def read_golden():
    with open(os.path.join(TESTDATA, "golden.txt"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    reply, out = None, []
    for n, line in enumerate(lines, 1):
        if line.startswith(("< ", "~ ")):
            reply = (n, golden_bytes(line[2:]))
        elif line.startswith("= "):
            out.append((reply[0], reply[1], json.loads(line[2:])))
    return out


class GoldenDecodeTest(unittest.TestCase):
    def test_every_golden_reply_decodes_like_go(self):
        cases = read_golden()
        self.assertGreater(len(cases), 100)
        for line, raw, want in cases:
            with self.subTest(line=line, reply=raw):
                self.assertEqual(canonical(Response(raw, binary=True)), want)


def decode_arg(a):
    (kind, v), = a.items()
    if kind == "str":
        return v
    if kind == "bytes":
        return v.encode("latin-1")
    if kind == "int":
        return int(v)
    if kind == "float":
        return float(v)
    if kind == "list":
        return list(v)
    if kind == "set":
        return set(v)
    if kind == "hash":
        return dict((f, x) for f, x in v)
    if kind == "level":
        return AuthLevel(v)
    if kind == "consistency":
        return Consistency(v)
    raise ValueError(kind)


class GoldenEncodeTest(unittest.TestCase):
    def test_every_encoding_matches_go(self):
        n = 0
        with open(os.path.join(TESTDATA, "encode.txt"), encoding="utf-8") as f:
            for line in f:
                if not line.strip() or line.startswith("#"):
                    continue
                case = json.loads(line)
                args = [decode_arg(a) for a in case["args"]]
                with self.subTest(case=case):
                    self.assertEqual(request_from(case["command"], *args), case["request"].encode("latin-1"))
                n += 1
        self.assertGreater(n, 10)


if __name__ == "__main__":
    unittest.main()
