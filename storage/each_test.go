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

// TestEachUnsortedGivesLargeStatesInParts: a list longer than statePart,
// with more tombstones than that too, and a set and a hash of more
// members than that (dead ones among them) come from EachUnsorted in
// parts of bounded size, each key's first part with its expiry; through
// the codec, the parts rebuild the shard, and fn's false stops the walk
// within a value.
func TestEachUnsortedGivesLargeStatesInParts(t *testing.T) {
	defer func(old int) { statePart = old }(statePart)
	statePart = 7
	h := newHarness(t, 1, true, 1)
	for i := range 40 {
		h.do(fmt.Sprintf("LIST_PUSH_RIGHT (1)l (2)[(3)r%02d(1)x]", i))
		h.do(fmt.Sprintf("LIST_PUSH_LEFT (1)l (1)[(3)l%02d]", i))
		h.do(fmt.Sprintf("SET_ADD (1)s (1){(3)m%02d}", i))
		h.do(fmt.Sprintf("HASH_UPDATE (1)h (1){(3)f%02d(3)v%02d}", i, i))
		if i%2 == 0 {
			h.do("LIST_POP_LEFT (1)l 1")
			h.do(fmt.Sprintf("SET_DISCARD (1)s (1){(3)m%02d}", i/2))
			h.do(fmt.Sprintf("HASH_REMOVE (1)h (1)[(3)f%02d]", i/2))
		}
		h.wall++
	}
	h.do("LIST_POP_RIGHT (1)l 3")
	h.do("LIST_PUSH_RIGHT (5)small (2)[(1)a(1)b]")
	for _, k := range []string{"l", "s", "h"} {
		h.do(fmt.Sprintf("SET_EXPIRY (1)%s 100000", k))
	}
	h.do("SET:STR (1)k (1)v")
	src := h.shards[0]
	dst := NewShard(true)
	parts, expiries := map[string]int{}, map[string]int{}
	src.EachUnsorted(func(d *Delta) bool {
		parts[d.Key]++
		if n := len(d.Val.Elems) + len(d.Val.Tombs) + len(d.Val.Members); n > 2*statePart {
			t.Errorf("%s: a part of %d elements, tombstones or members", d.Key, n)
		}
		if d.Exp.At != 0 {
			expiries[d.Key]++
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
	for _, k := range []string{"l", "s", "h"} {
		if parts[k] < 6 || expiries[k] != 1 {
			t.Errorf("%s came in %d parts, %d with its expiry; want at least 6, one", k, parts[k], expiries[k])
		}
	}
	if parts["small"] != 1 || parts["k"] != 1 {
		t.Errorf("small values came in parts: %v", parts)
	}
	for _, k := range []string{"l", "s", "h"} {
		seen, stopped := 0, false
		src.EachUnsorted(func(d *Delta) bool {
			if stopped {
				t.Errorf("stopping within %s: fn was called again, for %s", k, d.Key)
			}
			if d.Key == k {
				seen++
			}
			stopped = seen == 2
			return !stopped
		})
		if !stopped {
			t.Errorf("%s: fewer than two parts", k)
		}
	}
}
