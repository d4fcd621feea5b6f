package storage

import (
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/storage/hlc"
)

// TestEachUnsortedReproducesTheShard: the states EachUnsorted gives
// (members in any order, tombstones included) rebuild the shard they came
// from, as Each's do.
func TestEachUnsortedReproducesTheShard(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for i := range 300 {
		h.do(fmt.Sprintf("SET_ADD (1)s (2){(4)m%03d(1)x}", i))
		h.do(fmt.Sprintf("HASH_UPDATE (1)h (1){(4)f%03d(3)v%02d}", i, i%100))
		if i%3 == 0 {
			h.do(fmt.Sprintf("SET_DISCARD (1)s (1){(4)m%03d}", i/2))
			h.do(fmt.Sprintf("HASH_REMOVE (1)h (1)[(4)f%03d]", i/2))
		}
		h.wall++
	}
	h.do("SET:STR (1)k (1)v")
	src := h.shards[0]
	for name, each := range map[string]func(func(*Delta) bool){"Each": src.Each, "EachUnsorted": src.EachUnsorted} {
		dst := NewShard(true)
		n := 0
		each(func(d *Delta) bool {
			dst.Apply(d)
			n++
			return true
		})
		if got, want := dump(dst), dump(src); got != want || n != 3 {
			t.Errorf("%s gave %d states, rebuilding\n%s\nwant\n%s", name, n, got, want)
		}
	}
}

// TestEachUnsortedGivesALongListInParts: a list longer than
// listStatePart, with more tombstones than that too, comes from
// EachUnsorted in parts of bounded size, the first with the key's expiry;
// through the codec, the parts rebuild the shard, and fn's false stops the
// walk within the list.
func TestEachUnsortedGivesALongListInParts(t *testing.T) {
	defer func(old int) { listStatePart = old }(listStatePart)
	listStatePart = 7
	h := newHarness(t, 1, true, 1)
	for i := range 40 {
		h.do(fmt.Sprintf("LIST_PUSH_RIGHT (1)l (2)[(3)r%02d(1)x]", i))
		h.do(fmt.Sprintf("LIST_PUSH_LEFT (1)l (1)[(3)l%02d]", i))
		if i%2 == 0 {
			h.do("LIST_POP_LEFT (1)l 1")
		}
		h.wall++
	}
	h.do("LIST_POP_RIGHT (1)l 3")
	h.do("LIST_PUSH_RIGHT (1)s (2)[(1)a(1)b]")
	h.do("SET_EXPIRY (1)l 100000")
	h.do("SET:STR (1)k (1)v")
	src := h.shards[0]
	dst := NewShard(true)
	parts, expiries := 0, 0
	src.EachUnsorted(func(d *Delta) bool {
		if d.Key == "l" {
			parts++
			if n := len(d.Val.Elems) + len(d.Val.Tombs); n > 2*listStatePart {
				t.Errorf("a part of %d elements and tombstones", n)
			}
			if d.Exp.At != 0 {
				expiries++
			}
		}
		ds, err := DecodeDeltas(AppendDelta(nil, d), nil)
		if err != nil || len(ds) != 1 {
			t.Fatalf("%v: %d deltas, %v", d.Key, len(ds), err)
		}
		dst.Apply(&ds[0])
		return true
	})
	if got, want := dump(dst), dump(src); got != want {
		t.Errorf("rebuilding from the parts:\n%s\nwant\n%s", got, want)
	}
	if *dst.Digest(hlc.Stamp{}) != *src.Digest(hlc.Stamp{}) {
		t.Error("the rebuilt shard's digest differs")
	}
	if parts < 10 || expiries != 1 {
		t.Errorf("the list came in %d parts, %d with its expiry; want more than 10, one", parts, expiries)
	}
	calls := 0
	src.EachUnsorted(func(d *Delta) bool {
		calls++
		return d.Key != "l" || calls < 2
	})
	if calls > 3 {
		t.Errorf("fn was called %d times after asking to stop", calls)
	}
}
