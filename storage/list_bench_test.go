package storage

import (
	"strings"
	"testing"
	"time"

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

// BenchmarkListGrowth pushes 4,000,000 elements of 100 bytes onto one
// list and reports the slowest push: a list that copied all its elements
// whenever its buffer doubled stalled a push (and its partition) for a
// second at 4 million.
func BenchmarkListGrowth(b *testing.B) {
	var req proto.Request
	if err := proto.ParseRequest([]byte("LIST_PUSH_RIGHT (1)q (1)[(100)"+strings.Repeat("v", 100)+"]"), &req); err != proto.ErrNone {
		b.Fatal(err)
	}
	var slowest time.Duration
	for b.Loop() {
		h := newHarness(b, 1, false, 1)
		for range 4_000_000 {
			start := time.Now()
			h.exec(&req)
			h.deltas = h.deltas[:0]
			slowest = max(slowest, time.Since(start))
		}
	}
	b.ReportMetric(float64(slowest.Microseconds())/1000, "ms-slowest-push")
}
