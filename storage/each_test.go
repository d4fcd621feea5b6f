package storage

import (
	"fmt"
	"testing"
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
