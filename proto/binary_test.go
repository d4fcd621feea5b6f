package proto

import (
	"math"
	"reflect"
	"testing"
)

// sameRequest compares two requests field by field (NaN equals NaN; an
// empty Elems equals a nil one: storage treats both as no elements).
func sameRequest(a, b *Request) bool {
	x, y := *a.Clone(), *b.Clone()
	if math.IsNaN(x.Float) && math.IsNaN(y.Float) {
		x.Float, y.Float = 0, 0
	}
	if math.IsNaN(x.Float2) && math.IsNaN(y.Float2) {
		x.Float2, y.Float2 = 0, 0
	}
	if len(x.Elems) == 0 && len(y.Elems) == 0 {
		x.Elems, y.Elems = nil, nil
	}
	return reflect.DeepEqual(x, y)
}

// TestBinaryRoundTrip: every request of the golden corpus and the fuzz
// seeds that parses comes back from its binary form unchanged, with nothing
// left over, and stops decoding at each of its proper prefixes.
func TestBinaryRoundTrip(t *testing.T) {
	texts := append([]string{
		"SET:STR (0) (0)", "SET:INT (1)k -9223372036854775808", "SET:FLOAT (1)k nan",
		"HASH_UPDATE (1)h (0){}", "LIST_PUSH_LEFT (1)l (3)[(0)(1)a(2)bc]", "EDIT_USER (1)u PEER",
		"SET_DIFF_INTO (1)d (1)a (1)b", "LIST_SET (1)l -1 (1)x",
		"SET_IF:STR (1)k (1)a (2)bc", "SET_IF:INT (1)k 5 -6", "SET_IF:FLOAT (1)k 1.5 nan",
		"SET_IF_ABSENT:INT (1)k 7", "DEL_IF:FLOAT (1)k 2.25", "SET_TTL_IF_ABSENT:STR (1)k (1)v 1500",
		"GET_SET:FLOAT (1)k 0.5", "GET_DEL (1)k", "LOCK_ACQUIRE (1)m (1)o 1000", "LOCK_REFRESH (1)m 7 1000",
		"LOCK_RELEASE (1)m -7", "LOCK_INFO (1)m", "STR_APPEND (1)k (2)ab", "HASH_INCR (1)h (1)f -3",
		"FENCED (4)jobs 117 SET:INT (1)k 5", "FENCED (0) -1 SET_IF:STR (1)k (1)a (2)bc",
		"ONCE (2)r1 LIST_POP_LEFT (1)q 1", "RETRY (0) FENCED (1)l 9 DEL (1)k",
		"LIST_MOVE (1)a (1)b RIGHT LEFT", "LIST_MOVE (0) (2)bc LEFT RIGHT",
		"SET_EXPIRY_IF (1)k 1.5 SOME_EARLIER", "SET_EXPIRY_AT_IF (1)k -3 NONE", "SET_EXPIRY_IF (1)k 7 ALWAYS",
		"SET_WITH:STR (1)k (1)v ABSENT AFTER 1500", "GET_SET_WITH:FLOAT (1)k 1.5 PRESENT KEEP 0", "SET_WITH:INT (1)k -1 ALWAYS AT -5",
	}, fuzzSeeds...)
	round := 0
	for _, text := range texts {
		var req Request
		if ParseRequest([]byte(text), &req) != ErrNone || req.Cmd.Blocking() {
			continue // a router runs a blocking pop as tries: it never crosses the RPC
		}
		b := AppendBinary(nil, &req)
		var back Request
		rest, err := DecodeBinary(append(b, 0xEE), &back)
		if err != nil || len(rest) != 1 {
			t.Fatalf("%q: decode: %v, %d bytes left", text, err, len(rest))
		}
		if !sameRequest(&req, &back) {
			t.Fatalf("%q: decoded %+v, want %+v", text, back, req)
		}
		for n := 0; n < len(b); n++ {
			if _, err := DecodeBinary(b[:n], &back); err == nil {
				t.Fatalf("%q: a %d-byte prefix of %d decoded", text, n, len(b))
			}
		}
		round++
	}
	if round < 15 {
		t.Fatalf("only %d requests parsed", round)
	}
}

// TestBinaryRefuses lists inputs that must not decode.
func TestBinaryRefuses(t *testing.T) {
	for name, b := range map[string][]byte{
		"empty":               nil,
		"no command":          {0},
		"unknown command":     {byte(numCommands)},
		"pipe":                {byte(CmdPipe), 1},
		"set of unknown type": append([]byte{byte(CmdSet), byte(TypeList)}, 1, 'k', 1, 'v'),
		"odd hash":            {byte(CmdHashSet), 1, 'h', 1, 1, 'f'},
		"count beyond input":  {byte(CmdSetAdd), 1, 's', 0xff, 0xff, 0xff, 0xff, 0x0f},
		"long string":         {byte(CmdGet), 5, 'a'},
		"bad level":           {byte(CmdEditUser), 1, 'u', 9},
		"bad consistency":     {byte(CmdConsistency), 0, 7},
		"short float":         {byte(CmdIncrFloat), 1, 'k', 0, 0},
		"fenced read":         {byte(CmdFenced), 1, 'l', 2, byte(CmdGet), 1, 'k'},
		"fenced twice":        {byte(CmdFenced), 1, 'l', 2, byte(CmdFenced), 1, 'l', 2, byte(CmdDel), 1, 'k'},
		"fenced nothing":      {byte(CmdFenced), 1, 'l', 2},
		"once read":           {byte(CmdOnce), 1, 'r', byte(CmdGet), 1, 'k'},
		"once twice":          {byte(CmdOnce), 1, 'r', byte(CmdRetry), 1, 'r', byte(CmdDel), 1, 'k'},
		"fenced once":         {byte(CmdFenced), 1, 'l', 2, byte(CmdOnce), 1, 'r', byte(CmdDel), 1, 'k'},
		"blocking pop":        {byte(CmdListPopLeftWait), 1, 'q', 2, 2},
		"once blocking pop":   {byte(CmdOnce), 1, 'r', byte(CmdListPopLeftWait), 1, 'q', 2, 2},
		"try of a set":        {binTry, 1, 'r', byte(CmdSet), byte(TypeStr), 1, 'k', 1, 'v'},
	} {
		var req Request
		if _, err := DecodeBinary(b, &req); err == nil {
			t.Errorf("%s: decoded %+v", name, req)
		}
	}
}

// TestBinaryTry: a blocking pop's try (OnceTry, which only a router
// makes) crosses the RPC as itself, not as a ONCE.
func TestBinaryTry(t *testing.T) {
	for _, cmd := range []Command{CmdListPopLeft, CmdListPopRight} {
		req := Request{Cmd: cmd, Str: [3][]byte{[]byte("q")}, Int: [3]int64{1}, Once: OnceTry, OnceID: []byte("r1")}
		var back Request
		if rest, err := DecodeBinary(AppendBinary(nil, &req), &back); err != nil || len(rest) != 0 || !sameRequest(&req, &back) {
			t.Fatalf("%v: decoded %+v (%v), want %+v", cmd, back, err, req)
		}
	}
}

// FuzzDecodeBinary checks that no input panics the decoder and that what it
// accepts is a request whose binary form decodes to the same request.
func FuzzDecodeBinary(f *testing.F) {
	for _, s := range fuzzSeeds {
		var req Request
		if ParseRequest([]byte(s), &req) == ErrNone {
			f.Add(AppendBinary(nil, &req))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req Request
		rest, err := DecodeBinary(b, &req)
		if err != nil {
			return
		}
		if len(rest) > len(b) {
			t.Fatal("rest longer than the input")
		}
		again := AppendBinary(nil, &req)
		var back Request
		if left, err := DecodeBinary(again, &back); err != nil || len(left) != 0 || !sameRequest(&req, &back) {
			t.Fatalf("re-encoded request does not decode to itself: %v", err)
		}
	})
}
