package storage

import (
	"fmt"
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

// BenchmarkListInsertAtOnePlace makes 1,000 insertions right after the
// middle element of a list of n, each just before the one inserted before
// it, the worst place for LIST_INSERT: the first finds no room between
// the positions pushes gave (the elements from there to an end are pushed
// again), and then every few find none between the last insertions.
// Beside it, as many pushes onto the same list, and LIST_POS of the
// pivot (the scan for it alone). ns/insert is what one of them costs on
// average.
func BenchmarkListInsertAtOnePlace(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		pivot := fmt.Sprintf("member:%06d", n/2)
		for _, bm := range []struct{ name, req string }{
			{"insert", "LIST_INSERT (1)q RIGHT (13)" + pivot + " (1)v"},
			{"push", "LIST_PUSH_RIGHT (1)q (1)[(1)v]"},
			{"pos", "LIST_POS (1)q (13)" + pivot + " 1 1"},
		} {
			b.Run(fmt.Sprintf("%s/n=%d", bm.name, n), func(b *testing.B) {
				onFreshList(b, n, bm.req, 1000)
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/insert")
			})
		}
	}
}

// BenchmarkListInsertIntoPushes makes two insertions right after the
// middle element of a list of n built by pushes, whose neighbouring
// positions leave no room: the first takes the neighbour's position with
// its own stamp, the second finds no id between the first and the pivot
// and pushes the elements from there to the nearer end again (half the
// list). An operation is the two.
func BenchmarkListInsertIntoPushes(b *testing.B) {
	for _, n := range []int{10_000, 100_000, 1_000_000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) {
			onFreshList(b, n, fmt.Sprintf("LIST_INSERT (1)q RIGHT (13)member:%06d (1)v", n/2), 2)
		})
	}
}

// onFreshList measures request text run times times on list q of n
// pushed elements (member:000000, …), built anew, untimed, for each
// iteration.
func onFreshList(b *testing.B, n int, text string, times int) {
	var req proto.Request
	if err := proto.ParseRequest([]byte(text), &req); err != proto.ErrNone {
		b.Fatal(err)
	}
	for b.Loop() {
		b.StopTimer()
		h := newHarness(b, 1, false, 1)
		fillLarge(b, h, "LIST_PUSH_RIGHT", "q", n)
		b.StartTimer()
		for range times {
			h.exec(&req)
			h.deltas = h.deltas[:0]
		}
	}
}
