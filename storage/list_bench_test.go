package storage

import (
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// BenchmarkLongList pushes onto, reads the first 100 elements of, and
// pops from a list of 1,000,000 elements (redis-benchmark's LPUSH,
// LRANGE_100 and LPOP on its one key), on a shard that drops removed
// elements at once, as a lone server's does. A pop is measured as a
// queue's step, a push at one end and a pop at the other, so that the
// list stays as long however many times it runs.
func BenchmarkLongList(b *testing.B) {
	h := newHarness(b, 1, false, 1)
	fillLarge(b, h, "LIST_PUSH_RIGHT", "q", 1_000_000)
	for _, bm := range []struct {
		name string
		reqs []string
	}{
		{"push", []string{"LIST_PUSH_LEFT (1)q (1)[(1)v]"}},
		{"range100", []string{"LIST_RANGE (1)q 0 99"}},
		{"queue", []string{"LIST_PUSH_RIGHT (1)q (1)[(1)v]", "LIST_POP_LEFT (1)q 1"}},
	} {
		b.Run(bm.name, func(b *testing.B) {
			reqs := make([]proto.Request, len(bm.reqs))
			for i, text := range bm.reqs {
				if err := proto.ParseRequest([]byte(text), &reqs[i]); err != proto.ErrNone {
					b.Fatal(err)
				}
			}
			for b.Loop() {
				for i := range reqs {
					h.exec(&reqs[i])
				}
				h.deltas = h.deltas[:0]
			}
		})
	}
}
