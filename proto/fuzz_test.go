package proto

import (
	"bufio"
	"bytes"
	"io"
	"math"
	"reflect"
	"testing"
)

var fuzzSeeds = []string{
	"GET (3)foo", "SET:STR (3)foo (3)bar", "SET :INT(1)i 42", "SET:FLOAT (1)f 1.5e3",
	"MANY_GET (3)[(3)foo(1)i(3)nop]", "HASH_SET (1)k (2){(1)a(1)b (1)c(1)d}",
	"SET_ADD (1)s (2){(1)a(1)b}", "LIST_RANGE (1)k 0 -1", "EDIT_USER (5)user1 ADMIN",
	"PIPE(2)SET:STR(3)foo (3)barGET(3)foo", "PIPE(1)PIPE(1)PINGGET(1)x", "PING hello",
	"INCR_FLOAT (1)f -inf", "CONSISTENCY ONE ALL", "GET (99999999999999999999)x",
	"LIST_MOVE (1)a (1)b RIGHT LEFT", "SET_EXPIRY_IF (1)k 10 LATER",
}

// FuzzParseRequest checks that no input panics the parser, that a parsed
// request survives cloning, and that parsing is deterministic.
func FuzzParseRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req Request
		err := ParseRequest(b, &req)
		if err == ErrNone {
			if !req.Cmd.Valid() {
				t.Fatalf("parsed with invalid command %v", req.Cmd)
			}
			c := req.Clone()
			c2 := req.Clone()
			if math.IsNaN(c.Float) && math.IsNaN(c2.Float) {
				c.Float, c2.Float = 0, 0 // NaN is unequal to itself under DeepEqual
			}
			if !reflect.DeepEqual(c, c2) {
				t.Fatal("clone is not deterministic")
			}
		}
		var again Request
		if err2 := ParseRequest(b, &again); err2 != err {
			t.Fatalf("second parse gave %v, first %v", err2, err)
		}
		_, _ = SkipRequest(b, 0, 1, &again)
	})
}

// FuzzParseReply checks that no input panics the reply decoder and that
// whatever it accepts re-encodes to the same bytes.
func FuzzParseReply(f *testing.F) {
	for _, s := range []string{
		"OK", "OK:STR (3)bar", "OK:ARR (3)[:STR (3)bar:INT -8:NULL ]", "OK:PIPE(2)OKOK:STR (3)bar",
		"OK:HASH (1){(1)k(1)1}", "OK:FLOAT -333.333000", "ASYNC:PUBLISH (4)chan(5)hello",
		"BAD_REQUEST(34) InvalidRequest: invalid operation", "OK:INT ", "OK:AGG(1)QUEUED",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := ParseReply(b)
		if err != nil {
			return
		}
		out := AppendReply(nil, r)
		r2, err := ParseReply(out)
		if err != nil {
			t.Fatalf("re-encoded reply %q does not parse: %v", out, err)
		}
		if out2 := AppendReply(nil, r2); !bytes.Equal(out, out2) {
			t.Fatalf("encoding not stable: %q then %q", out, out2)
		}
	})
}

// FuzzFrameReader feeds a stream of frames in random chunk sizes and checks
// every frame comes out whole and in order.
func FuzzFrameReader(f *testing.F) {
	f.Add([]byte("PING"), []byte("GET (3)foo"), uint16(3), uint8(1))
	f.Add([]byte{}, bytes.Repeat([]byte("x"), 5000), uint16(1000), uint8(7))
	f.Fuzz(func(t *testing.T, a, b []byte, bufSize uint16, chunk uint8) {
		stream := AppendFrame(AppendFrame(nil, a), b)
		r := &chunkReader{data: stream, sizes: []int{int(chunk%13) + 1, int(chunk%5) + 1, int(chunk) + 1}}
		fr := NewFrameReader(bufio.NewReaderSize(r, int(bufSize)+16), MaxRequest)
		for _, want := range [][]byte{a, b} {
			got, err := fr.Next()
			if err != nil {
				t.Fatalf("Next: %v", err)
			}
			if !bytes.Equal(got, want) {
				t.Fatalf("frame mismatch: %d bytes, want %d", len(got), len(want))
			}
		}
		if _, err := fr.Next(); err != io.EOF {
			t.Fatalf("after last frame: %v", err)
		}
	})
}

// chunkReader returns data in chunks whose sizes cycle through sizes.
type chunkReader struct {
	data  []byte
	sizes []int
	k     int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := min(len(p), c.sizes[c.k%len(c.sizes)], len(c.data))
	c.k++
	copy(p, c.data[:n])
	c.data = c.data[n:]
	return n, nil
}

// FuzzRequestChunks feeds one request frame through a FrameReader in random
// chunk sizes and checks it parses exactly as when handed over whole.
func FuzzRequestChunks(f *testing.F) {
	for i, s := range fuzzSeeds {
		f.Add([]byte(s), uint8(i))
	}
	f.Fuzz(func(t *testing.T, payload []byte, chunk uint8) {
		r := &chunkReader{data: AppendFrame(nil, payload), sizes: []int{int(chunk%7) + 1, int(chunk%3) + 1}}
		fr := NewFrameReader(bufio.NewReaderSize(r, 64), MaxRequest)
		got, err := fr.Next()
		if err != nil {
			t.Fatal(err)
		}
		var whole, chunked Request
		e1 := ParseRequest(payload, &whole)
		e2 := ParseRequest(got, &chunked)
		if e1 != e2 {
			t.Fatalf("chunked parse gave %v, whole %v", e2, e1)
		}
		a, b := whole.Clone(), chunked.Clone()
		if math.IsNaN(a.Float) && math.IsNaN(b.Float) {
			a.Float, b.Float = 0, 0
		}
		if e1 == ErrNone && !reflect.DeepEqual(a, b) {
			t.Fatal("chunked parse differs from whole parse")
		}
	})
}

// FuzzAppendRequest checks that every parsed request re-encodes to a text
// that parses back to the same request (as nodes receive them).
func FuzzAppendRequest(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req Request
		if ParseRequest(b, &req) != ErrNone || req.Cmd == CmdPipe {
			return
		}
		enc := AppendRequest(nil, &req)
		var again Request
		if err := ParseRequest(enc, &again); err != ErrNone {
			t.Fatalf("%q re-encoded as %q, which fails: %v", b, enc, err)
		}
		a, c := req.Clone(), again.Clone()
		if math.IsNaN(a.Float) && math.IsNaN(c.Float) {
			a.Float, c.Float = 0, 0
		}
		if len(a.Elems) == 0 {
			a.Elems = nil
		}
		if len(c.Elems) == 0 {
			c.Elems = nil
		}
		if !reflect.DeepEqual(a, c) {
			t.Fatalf("%q -> %q -> %+v, want %+v", b, enc, c, a)
		}
	})
}
