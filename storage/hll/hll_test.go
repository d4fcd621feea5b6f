package hll

import (
	"bytes"
	"encoding/hex"
	"fmt"
	"testing"
)

// sketchOf counts the elements in an empty sketch.
func sketchOf(elements ...string) *Sketch {
	sk := &Sketch{}
	for _, e := range elements {
		sk.Add([]byte(e))
	}
	return sk
}

func numbered(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(prefix, i)
	}
	return out
}

// TestAsRedis: the counts, and the strings, redis-server 7.0.15 gave for
// the same elements: PFADD h1 a b c (and its sparse string, byte for
// byte), el0..el999, x0..x49999 (dense by then), and the union of the
// first two.
func TestAsRedis(t *testing.T) {
	h1 := sketchOf("a", "b", "c")
	want, _ := hex.DecodeString("48594c4c01000000000000000000008060f38050b1844bfb80425a")
	if got := h1.Encode(); !bytes.Equal(got, want) {
		t.Errorf("PFADD h1 a b c: %x, redis-server wrote %x", got, want)
	}
	if n := h1.Count(); n != 3 {
		t.Errorf("PFCOUNT h1: %d, want 3", n)
	}
	h2 := sketchOf(numbered("el", 1000)...)
	if n := h2.Count(); n != 1005 {
		t.Errorf("PFCOUNT of el0..el999: %d, redis-server 1005", n)
	}
	if b := h2.Encode(); len(b) != 1916 {
		t.Errorf("el0..el999's sparse string: %d bytes, redis-server's 1916", len(b))
	}
	h3 := sketchOf(numbered("x", 50000)...)
	if n := h3.Count(); n != 49908 {
		t.Errorf("PFCOUNT of x0..x49999: %d, redis-server 49908", n)
	}
	if b := h3.Encode(); len(b) != hdrSize+denseSize {
		t.Errorf("x0..x49999: %d bytes, want dense (%d)", len(b), hdrSize+denseSize)
	}
	u := *h1
	u.Merge(h2)
	if n := u.Count(); n != 1008 {
		t.Errorf("PFCOUNT h1 h2: %d, redis-server 1008", n)
	}
	if n := (&Sketch{}).Count(); n != 0 {
		t.Errorf("an empty sketch counts %d", n)
	}
}

// TestRoundTrip: what Encode writes, Decode reads back to the same
// registers, sparse and dense; a dense sketch stays dense.
func TestRoundTrip(t *testing.T) {
	for _, sk := range []*Sketch{{}, sketchOf("a"), sketchOf(numbered("el", 1000)...), sketchOf(numbered("x", 50000)...)} {
		b := sk.Encode()
		got, ok := Decode(b)
		if !ok || got.Regs != sk.Regs {
			t.Fatalf("a sketch of %d bytes did not decode to its registers (%v)", len(b), ok)
		}
		if again := got.Encode(); !bytes.Equal(again, b) {
			t.Errorf("decoded and encoded again: %d bytes, first %d", len(again), len(b))
		}
	}
	dense := sketchOf(numbered("x", 50000)...)
	d, _ := Decode(dense.Encode())
	small := Sketch{Dense: d.Dense}
	small.Add([]byte("a"))
	if b := small.Encode(); len(b) != hdrSize+denseSize {
		t.Errorf("a dense sketch was written sparse (%d bytes)", len(b))
	}
	if b := New(); !bytes.Equal(b, []byte("HYLL\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x7f\xff")) {
		t.Errorf("an empty sketch: %q", b)
	}
	var big Sketch
	big.Regs[7] = maxVal + 1 // a value the sparse form cannot hold
	if b := big.Encode(); len(b) != hdrSize+denseSize {
		t.Errorf("a register over %d was written sparse", maxVal)
	}
}

// TestDecodeRefuses: strings that are not sketches.
func TestDecodeRefuses(t *testing.T) {
	good := sketchOf("a", "b").Encode()
	for name, s := range map[string][]byte{
		"empty":           nil,
		"not HYLL":        append([]byte("HYLX"), good[4:]...),
		"an encoding 2":   append(append([]byte("HYLL\x02"), good[5:hdrSize]...), good[hdrSize:]...),
		"a short dense":   append(append([]byte("HYLL\x00"), good[5:hdrSize]...), make([]byte, 10)...),
		"too few":         append(append([]byte{}, good[:hdrSize]...), 0x7f, 0xfe),
		"too many":        append(append([]byte{}, good[:hdrSize]...), 0x7f, 0xff, 0x00),
		"a cut XZERO":     append(append([]byte{}, good[:hdrSize]...), 0x7f),
		"just the header": good[:hdrSize],
	} {
		if _, ok := Decode(s); ok {
			t.Errorf("%s: decoded", name)
		}
	}
}

// FuzzDecode: any string decodes or is refused without a panic, and what
// decodes encodes to a string that decodes to the same registers.
func FuzzDecode(f *testing.F) {
	f.Add(sketchOf("a", "b", "c").Encode())
	f.Add(sketchOf(numbered("x", 20000)...).Encode())
	f.Fuzz(func(t *testing.T, s []byte) {
		sk, ok := Decode(s)
		if !ok {
			return
		}
		again, ok := Decode(sk.Encode())
		if !ok || again.Regs != sk.Regs {
			t.Fatalf("a decoded sketch does not survive encoding")
		}
	})
}

// TestAddToAsDecodeAddEncode: AddTo gives the string that decoding,
// adding and encoding gives, for no sketch, a sparse one and a dense one
// (changed in place, its cache marked stale); nothing when no register
// grows; and refuses a string that is no sketch.
func TestAddToAsDecodeAddEncode(t *testing.T) {
	dense := sketchOf(numbered("x", 50000)...).Encode()
	dense[15] = 0 // a valid cache, as Redis's PFCOUNT leaves it
	for name, c := range map[string]struct {
		s      []byte
		exists bool
	}{"none": {nil, false}, "sparse": {sketchOf("a", "b").Encode(), true}, "dense": {dense, true}} {
		elements := [][]byte{[]byte("x7"), []byte("x7")}
		for i := range 200 { // enough new elements that some raise a dense sketch's register
			elements = append(elements, []byte(fmt.Sprint("q", i)))
		}
		var want Sketch
		if c.exists {
			want, _ = Decode(c.s)
		}
		grew := false
		for _, e := range elements {
			grew = want.Add(e) || grew
		}
		out, changed, ok := AddTo(string(c.s), c.exists, elements)
		if !ok || changed != grew {
			t.Fatalf("%s: changed %v ok %v, want changed %v", name, changed, ok, grew)
		}
		if !grew {
			t.Fatalf("%s: the elements raise no register: choose others", name)
		}
		got, _ := Decode(out)
		if got.Regs != want.Regs || got.Dense != (name == "dense") || out[15]&0x80 == 0 {
			t.Errorf("%s: the registers (or encoding, or cache flag %x) differ from decoding, adding and encoding", name, out[15])
		}
		again, changed, ok := AddTo(string(out), true, elements)
		if !ok || changed || again != nil {
			t.Errorf("%s: adding the same elements again changed it (%v, %d bytes)", name, changed, len(again))
		}
	}
	if _, _, ok := AddTo("plain text", true, [][]byte{[]byte("a")}); ok {
		t.Error("a string that is no sketch was added to")
	}
}
