package record

import (
	"bytes"
	"errors"
	"io"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var file []byte
	payloads := [][]byte{{}, []byte("a"), bytes.Repeat([]byte("xyz"), 1000)}
	for _, p := range payloads {
		file = Append(file, p)
	}
	b := file
	r := bytes.NewReader(file)
	for i, want := range payloads {
		got, size, err := Parse(b, 1<<20)
		if err != nil || !bytes.Equal(got, want) || size != HeaderSize+len(want) {
			t.Fatalf("Parse record %d: %q, %d, %v", i, got, size, err)
		}
		b = b[size:]
		got, err = Read(r, 1<<20, nil)
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("Read record %d: %q, %v", i, got, err)
		}
	}
	if _, err := Read(r, 1<<20, nil); err != io.EOF {
		t.Fatalf("Read at the end: %v, want io.EOF", err)
	}
}

// TestBuiltInPlace: Begin and End frame a payload appended in between
// exactly as Append does.
func TestBuiltInPlace(t *testing.T) {
	rec, start := Begin([]byte("prefix"))
	rec = append(rec, "payload"...)
	End(rec, start)
	if want := Append([]byte("prefix"), []byte("payload")); !bytes.Equal(rec, want) {
		t.Fatalf("in place %x, Append %x", rec, want)
	}
}

// TestTorn: every strict prefix of a record is incomplete, to Parse and
// to Read.
func TestTorn(t *testing.T) {
	rec := Append(nil, []byte("hello, world"))
	for n := 1; n < len(rec); n++ {
		if _, _, err := Parse(rec[:n], 1<<20); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("Parse of %d of %d bytes: %v", n, len(rec), err)
		}
		if _, err := Read(bytes.NewReader(rec[:n]), 1<<20, nil); !errors.Is(err, ErrIncomplete) {
			t.Fatalf("Read of %d of %d bytes: %v", n, len(rec), err)
		}
	}
}

// TestDamage: no single flipped bit, in the header or the payload, gives
// a record back.
func TestDamage(t *testing.T) {
	rec := Append(nil, []byte("hello, world"))
	for i := range rec {
		for bit := 0; bit < 8; bit++ {
			bad := bytes.Clone(rec)
			bad[i] ^= 1 << bit
			if p, _, err := Parse(bad, 1<<20); err == nil {
				t.Fatalf("byte %d bit %d flipped: parsed %q", i, bit, p)
			}
			if p, err := Read(bytes.NewReader(bad), 1<<20, nil); err == nil {
				t.Fatalf("byte %d bit %d flipped: read %q", i, bit, p)
			}
		}
	}
}

func TestTooLong(t *testing.T) {
	rec := Append(nil, make([]byte, 100))
	if _, _, err := Parse(rec, 99); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Parse over the bound: %v", err)
	}
	if _, err := Read(bytes.NewReader(rec), 99, nil); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Read over the bound: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	f.Add(Append(nil, []byte("seed")))
	f.Add([]byte{0, 0, 0, 1, 0, 0, 0, 0, 'x'})
	f.Fuzz(func(t *testing.T, b []byte) {
		p, size, err := Parse(b, 1<<16)
		if err != nil {
			return
		}
		if !bytes.Equal(Append(nil, p), b[:size]) {
			t.Fatalf("parsed %q from %x, which is not its framing", p, b[:size])
		}
	})
}
