package storage

import (
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// BenchmarkLongList pushes onto, reads the first 100 elements of and pops
// from a list of 1,000,000 elements (redis-benchmark's LPUSH, LRANGE_100
// and LPOP on its one key), on a shard that drops removed elements at
// once, as a lone server's does.
func BenchmarkLongList(b *testing.B) {
	h := newHarness(b, 1, false, 1)
	fillLarge(b, h, "LIST_PUSH_RIGHT", "q", 1_000_000)
	for _, bm := range []struct{ name, req string }{
		{"push", "LIST_PUSH_LEFT (1)q (1)[(1)v]"},
		{"range100", "LIST_RANGE (1)q 0 99"},
		{"pop", "LIST_POP_LEFT (1)q 1"},
	} {
		b.Run(bm.name, func(b *testing.B) {
			var req proto.Request
			if err := proto.ParseRequest([]byte(bm.req), &req); err != proto.ErrNone {
				b.Fatal(err)
			}
			for b.Loop() {
				h.exec(&req)
				h.deltas = h.deltas[:0]
			}
		})
	}
}
