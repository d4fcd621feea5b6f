package storage

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// The growth benchmarks grow one collection to 4,000,000 elements or
// members and report the slowest command: what a client waits when the
// collection's storage grows at its largest.

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

// BenchmarkSetGrowth adds 4,000,000 members of 19 bytes to one set, one a
// command, and reports the slowest add: the list of live members a random
// pick draws from (memberMap.names) was one slice, copied whole whenever
// it grew.
func BenchmarkSetGrowth(b *testing.B) {
	reqs := make([]proto.Request, 4_000_000)
	for i := range reqs {
		m := fmt.Sprintf("member:%012d", i)
		if err := proto.ParseRequest(fmt.Appendf(nil, "SET_ADD (1)s (1){(%d)%s}", len(m), m), &reqs[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
	}
	var slowest time.Duration
	for b.Loop() {
		h := newHarness(b, 1, false, 1)
		for i := range reqs {
			start := time.Now()
			h.exec(&reqs[i])
			h.deltas = h.deltas[:0]
			slowest = max(slowest, time.Since(start))
		}
	}
	b.ReportMetric(float64(slowest.Microseconds())/1000, "ms-slowest-add")
}
