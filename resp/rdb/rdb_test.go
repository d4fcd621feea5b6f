package rdb

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestChecksum: Redis's CRC-64 of "123456789" is its published check
// value.
func TestChecksum(t *testing.T) {
	if got := checksum([]byte("123456789")); got != 0xe9c6d914c4b8d9ca {
		t.Errorf("checksum %x", got)
	}
}

func strs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

// TestDecodeRedisPayloads decodes payloads redis-server 7.0.15 wrote with
// DUMP: raw, integer and LZF strings; lists as quicklists of listpacks
// (every integer width, a 70-byte string, a node compressed with LZF);
// intsets of 16, 32 and 64 bits; sets and hashes in their listpack and
// plain encodings (small lists of entries per node, per set and per hash
// were configured, so a few entries make each form).
func TestDecodeRedisPayloads(t *testing.T) {
	for _, c := range []struct {
		name, hex string
		want      Value
	}{
		{"string", "000568656c6c6f0a006372df766534200a", Value{Kind: String, Str: []byte("hello")}},
		{"int16 string", "00c139300a009d94ea2793fc08b9", Value{Kind: String, Str: []byte("12345")}},
		{"int8 string", "00c09c0a00ff77a3b766addee4", Value{Kind: String, Str: []byte("-100")}},
		{"int32 string", "00c240420f000a004ff5eb5407088b03", Value{Kind: String, Str: []byte("1000000")}},
		{"LZF string", "00c30a4067016161e05900026263640a00c92b4908154c88bb", Value{Kind: String, Str: []byte(strings.Repeat("a", 100) + "bcd")}},
		{"list of one listpack", "1201020f0f00000003008161028162020301ff0a00dca1e67d50055048", Value{Kind: List, Elems: strs("a", "b", "3")}},
		{"list of integers", "120302121200000004000501dffb02c12c02ded402ff021b1b0000000400f1204e03f270110104f290eefe04f30094357705ff02c32440640b640000000300f400f2052a01200a0d09f4000efad5feffffff09e04678e03c000148ff0a00c29f92676b67a968",
			Value{Kind: List, Elems: strs("5", "-5", "300", "-300", "20000", "70000", "-70000", "2000000000", "5000000000", "-5000000000", strings.Repeat("x", 70))}},
		{"list of three nodes", "1203021717000000040082653003826531038265320382653303ff021717000000040082653403826535038265360382653703ff020f0f00000002008265380382653903ff0a00d5221c8045d1d255",
			Value{Kind: List, Elems: strs("e0", "e1", "e2", "e3", "e4", "e5", "e6", "e7", "e8", "e9")}},
		{"intset16", "0b0e0200000003000000010002000300" + "0a00a5025ce26d6e4d1b", Value{Kind: Set, Elems: strs("1", "2", "3")}},
		{"intset32", "0b100400000002000000f9ffffffa08601000a005f12725b91707ffb", Value{Kind: Set, Elems: strs("-7", "100000")}},
		{"intset64", "0b10080000000100000000e40b54020000000a0053935aaf4529be5a", Value{Kind: Set, Elems: strs("10000000000")}},
		{"set", "02030163016101620a00d51bc2f0968e69c3", Value{Kind: Set, Elems: strs("c", "a", "b")}},
		{"set of integers", "0203c001c003c0020a008d3c9c86b0b0059d", Value{Kind: Set, Elems: strs("1", "3", "2")}},
		{"hash listpack", "10121200000004008166028176028167020101ff0a0023c1a5e35dfae81c", Value{Kind: Hash, Elems: strs("f", "v", "g", "1")}},
		{"hash", "04030163c0030161c0010162c0020a00ac2e9e5ad98a602f", Value{Kind: Hash, Elems: strs("c", "3", "a", "1", "b", "2")}},
	} {
		p, err := hex.DecodeString(c.hex)
		if err != nil {
			t.Fatal(c.name, err)
		}
		got, err := Decode(p)
		if err != nil || got.Kind != c.want.Kind || !bytes.Equal(got.Str, c.want.Str) ||
			!slices.EqualFunc(got.Elems, c.want.Elems, bytes.Equal) {
			t.Errorf("%s: %v %q %q, %v; want %v %q %q", c.name, got.Kind, got.Str, got.Elems, err, c.want.Kind, c.want.Str, c.want.Elems)
		}
	}
}

// withFooter returns body with a version and a correct checksum.
func withFooter(body []byte, version uint16) []byte {
	p := binary.LittleEndian.AppendUint16(slices.Clone(body), version)
	return binary.LittleEndian.AppendUint64(p, checksum(p))
}

// zip builds a ziplist (the encoding of Redis before 7.0) of entries,
// each a string or an int64, as Redis would pick their encodings.
func zip(entries ...any) []byte {
	var body []byte
	prev := 0
	for _, e := range entries {
		var ent []byte
		if prev < 254 {
			ent = append(ent, byte(prev))
		} else {
			ent = binary.LittleEndian.AppendUint32(append(ent, 0xfe), uint32(prev))
		}
		switch v := e.(type) {
		case string:
			switch n := len(v); {
			case n < 64:
				ent = append(ent, byte(n))
			case n < 16384:
				ent = append(ent, 0x40|byte(n>>8), byte(n))
			default:
				ent = binary.BigEndian.AppendUint32(append(ent, 0x80), uint32(n))
			}
			ent = append(ent, v...)
		case int64:
			switch {
			case v >= 0 && v <= 12:
				ent = append(ent, 0xf1+byte(v))
			case v == int64(int8(v)):
				ent = append(ent, 0xfe, byte(v))
			case v == int64(int16(v)):
				ent = binary.LittleEndian.AppendUint16(append(ent, 0xc0), uint16(v))
			case v >= -1<<23 && v < 1<<23:
				ent = append(ent, 0xf0, byte(v), byte(v>>8), byte(v>>16))
			case v == int64(int32(v)):
				ent = binary.LittleEndian.AppendUint32(append(ent, 0xd0), uint32(v))
			default:
				ent = binary.LittleEndian.AppendUint64(append(ent, 0xe0), uint64(v))
			}
		}
		prev = len(ent)
		body = append(body, ent...)
	}
	zl := binary.LittleEndian.AppendUint32(nil, uint32(10+len(body)+1))
	zl = binary.LittleEndian.AppendUint32(zl, uint32(10+len(body)-prev))
	zl = binary.LittleEndian.AppendUint16(zl, uint16(len(entries)))
	return append(append(zl, body...), 0xff)
}

// TestDecodeZiplists reads the encodings of Redis 3.2 to 6.2: a list as a
// quicklist of ziplists (and older, as one ziplist), a hash as a ziplist,
// with every integer form and a string long enough to need a 14-bit
// length and a previous length of five bytes after it.
func TestDecodeZiplists(t *testing.T) {
	long := strings.Repeat("z", 300)
	ints := []any{int64(0), int64(12), int64(13), int64(-100), int64(1000), int64(-1000000), int64(100000000), int64(-1 << 40), "text", long, "after"}
	want := strs("0", "12", "13", "-100", "1000", "-1000000", "100000000", strconv.FormatInt(-1<<40, 10), "text", long, "after")
	zl := zip(ints...)
	one := appendStr([]byte{typeListZiplist}, zl)
	quick := appendStr(appendStr(append([]byte{typeListQuicklist}, 2), zip("first")), zl)
	hash := appendStr([]byte{typeHashZiplist}, zip("f", int64(7), "g", "v"))
	for _, c := range []struct {
		name string
		body []byte
		want Value
	}{
		{"list ziplist", one, Value{Kind: List, Elems: want}},
		{"quicklist", quick, Value{Kind: List, Elems: append(strs("first"), want...)}},
		{"hash ziplist", hash, Value{Kind: Hash, Elems: strs("f", "7", "g", "v")}},
	} {
		got, err := Decode(withFooter(c.body, 6))
		if err != nil || got.Kind != c.want.Kind || !slices.EqualFunc(got.Elems, c.want.Elems, bytes.Equal) {
			t.Errorf("%s: %v %q, %v; want %q", c.name, got.Kind, got.Elems, err, c.want.Elems)
		}
	}
	// A quicklist node stored plain (an element too large to pack).
	plain := appendStr(append([]byte{typeListQuicklist2, 1}, containerPlain), []byte("huge"))
	if got, err := Decode(withFooter(plain, 11)); err != nil || !slices.EqualFunc(got.Elems, strs("huge"), bytes.Equal) {
		t.Errorf("a plain node: %q, %v", got.Elems, err)
	}
}

// TestEncodeRoundTrip: what Encode writes, Decode reads back, for each
// kind and for lengths in each of the length forms.
func TestEncodeRoundTrip(t *testing.T) {
	many := make([][]byte, 20000)
	for i := range many {
		many[i] = []byte(strconv.Itoa(i))
	}
	for _, v := range []Value{
		{Kind: String, Str: []byte("")},
		{Kind: String, Str: bytes.Repeat([]byte("s"), 70000)},
		{Kind: List, Elems: strs("b", "a", "b")},
		{Kind: List, Elems: many},
		{Kind: Set, Elems: strs("x", "y")},
		{Kind: Hash, Elems: strs("f", "1", "g", "")},
	} {
		p := Encode([]byte("prefix"), &v)
		if !bytes.HasPrefix(p, []byte("prefix")) {
			t.Fatal("Encode did not append")
		}
		got, err := Decode(p[len("prefix"):])
		if err != nil || got.Kind != v.Kind || !bytes.Equal(got.Str, v.Str) || !slices.EqualFunc(got.Elems, v.Elems, bytes.Equal) {
			t.Errorf("%v of %d elements: decoded %v of %d, %v", v.Kind, len(v.Elems), got.Kind, len(got.Elems), err)
		}
		if binary.LittleEndian.Uint16(p[len(p)-10:]) != encodeVersion {
			t.Errorf("version %d", binary.LittleEndian.Uint16(p[len(p)-10:]))
		}
	}
}

// TestDecodeRefuses: a damaged footer or value is refused with the error
// naming it; kinds Vanity lacks are refused as unsupported; every cut of a
// good payload is refused, never a panic.
func TestDecodeRefuses(t *testing.T) {
	good := Encode(nil, &Value{Kind: List, Elems: strs("a", "bb", "ccc")})
	flipped := slices.Clone(good)
	flipped[3] ^= 1
	for _, c := range []struct {
		name    string
		payload []byte
		want    error
	}{
		{"too short", []byte("short"), ErrChecksum},
		{"a flipped bit", flipped, ErrChecksum},
		{"a newer version", withFooter([]byte{typeString, 1, 'x'}, maxVersion+1), ErrChecksum},
		{"bytes after the value", withFooter([]byte{typeString, 1, 'x', 'y'}, 9), ErrFormat},
		{"an empty list", withFooter([]byte{typeList, 0}, 9), ErrFormat},
		{"a count past the end", withFooter([]byte{typeList, 0x40 | 0x3f, 0xff, 1, 'x'}, 9), ErrFormat},
		{"a string past the end", withFooter([]byte{typeString, 0x80, 0x7f, 0xff, 0xff, 0xff, 'x'}, 9), ErrFormat},
		{"an LZF string claiming too much", withFooter([]byte{typeString, 0xc3, 2, 0x80, 0x10, 0, 0, 0, 0, 'x'}, 9), ErrFormat},
		{"an LZF reference before the start", withFooter([]byte{typeString, 0xc3, 2, 4, 0x20, 5}, 9), ErrFormat},
		{"a sorted set", withFooter([]byte{typeZSetListpack, 0}, 10), ErrUnsupported},
		{"a stream", withFooter([]byte{typeStream3, 0}, 11), ErrUnsupported},
		{"a hash with field expiries", withFooter([]byte{24, 0}, 12), ErrUnsupported},
		{"an unknown type", withFooter([]byte{200, 0}, 9), ErrFormat},
		{"a ziplist of the wrong size", withFooter(appendStr([]byte{typeListZiplist}, zip("a")[:12]), 9), ErrFormat},
		{"an intset of width 3", withFooter(appendStr([]byte{typeSetIntset}, []byte{3, 0, 0, 0, 1, 0, 0, 0, 1, 2, 3}), 9), ErrFormat},
	} {
		if _, err := Decode(c.payload); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
	for _, p := range [][]byte{good, mustHex("120302121200000004000501dffb02c12c02ded402ff021b1b0000000400f1204e03f270110104f290eefe04f30094357705ff02c32440640b640000000300f400f2052a01200a0d09f4000efad5feffffff09e04678e03c000148ff")} {
		body := p
		if len(p) > 10 && binary.LittleEndian.Uint64(p[len(p)-8:]) == checksum(p[:len(p)-8]) {
			body = p[:len(p)-10]
		}
		for n := range len(body) {
			if _, err := Decode(withFooter(body[:n], 10)); err == nil {
				t.Errorf("the first %d of %d bytes decoded", n, len(body))
			}
		}
	}
}

func mustHex(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzDecode feeds the value decoder arbitrary bytes behind a correct
// footer (random bytes would otherwise stop at the checksum): it must
// refuse or decode without a panic, and what it decodes must encode and
// decode to the same value.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{
		"000568656c6c6f", "00c30a4067016161e05900026263640a", "1201020f0f00000003008161028162020301ff",
		"0b0e0200000003000000010002000300", "10121200000004008166028176028167020101ff", "04030163c0030161c0010162c002",
	} {
		f.Add(mustHex(s))
	}
	f.Add(appendStr([]byte{typeListZiplist}, zip("a", int64(-5), strings.Repeat("q", 70))))
	f.Fuzz(func(t *testing.T, body []byte) {
		v, err := Decode(withFooter(body, 10))
		if err != nil {
			return
		}
		again, err := Decode(Encode(nil, &v))
		if err != nil || again.Kind != v.Kind || !bytes.Equal(again.Str, v.Str) || !slices.EqualFunc(again.Elems, v.Elems, bytes.Equal) {
			t.Fatalf("decoded %v %q %q, which encodes and decodes to %v %q %q, %v", v.Kind, v.Str, v.Elems, again.Kind, again.Str, again.Elems, err)
		}
	})
}
