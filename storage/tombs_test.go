package storage

import (
	"maps"
	"runtime"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/vanitydb/vanity/storage/hlc"
)

// withPackMin runs fn with tombstones packed from n recent ones on.
func withPackMin(n int, fn func()) {
	was := packMin
	packMin = n
	defer func() { packMin = was }()
	fn()
}

// TestTombSetFollowsAMap puts, overwrites and filters tombstones (ids
// like a queue's, pushed in order, a stack's and random ones, over
// several actors) and
// checks the set against a map after each step: lookups of present and
// absent ids, the count, and the sorted listing. Packing starts at 3
// recent tombstones, so most steps go through packed blocks of 64.
func TestTombSetFollowsAMap(t *testing.T) {
	withPackMin(3, func() {
		rapid.Check(t, func(t *rapid.T) {
			var ts tombSet
			want := map[ElemID]hlc.Stamp{}
			actors := []uint64{1, 7, 1 << 62, ^uint64(0) - 3}
			stamp := func(label string) hlc.Stamp {
				return hlc.Stamp{Time: rapid.Uint64Range(1000, 1100).Draw(t, label+" time"),
					Actor: actors[rapid.IntRange(0, len(actors)-1).Draw(t, label+" actor")]}
			}
			pos := int64(0)
			now := uint64(1000)
			var ids []ElemID
			for range rapid.IntRange(1, 250).Draw(t, "steps") {
				switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
				case op < 6: // a new id: the queue's next, a stack's same place, or anywhere
					born := stamp("born")
					switch rapid.IntRange(0, 2).Draw(t, "shape") {
					case 0: // pushed after the ones before, as a queue's
						pos++
						now += rapid.Uint64Range(0, 2).Draw(t, "later")
						born.Time = now
					case 2:
						pos = rapid.Int64Range(-50, 50).Draw(t, "pos")
					}
					id := ElemID{Pos: pos, S: born}
					s := stamp("removed")
					ts.put(id, s)
					want[id] = s
					ids = append(ids, id)
				case op < 8 && len(ids) > 0: // a tombstone written again
					id := ids[rapid.IntRange(0, len(ids)-1).Draw(t, "again")]
					s := stamp("again")
					ts.put(id, s)
					want[id] = s
				default: // a purge
					h := stamp("horizon")
					var gone []ElemID
					note := func(id ElemID, _ hlc.Stamp) { gone = append(gone, id) }
					var n int
					if rapid.Bool().Draw(t, "by blocks") {
						n = ts.purge(h, note)
					} else {
						n = ts.filter(func(_ ElemID, s hlc.Stamp) bool { return s.Less(h) }, note)
					}
					var wantGone []ElemID
					for id, s := range want {
						if s.Less(h) {
							wantGone = append(wantGone, id)
							delete(want, id)
						}
					}
					cmp := func(a, b ElemID) int { return a.Compare(b) }
					slices.SortFunc(gone, cmp)
					slices.SortFunc(wantGone, cmp)
					if n != len(wantGone) || !slices.Equal(gone, wantGone) {
						t.Fatalf("a purge below %v removed %d: %v; want %v", h, n, gone, wantGone)
					}
				}
				if ts.len() != len(want) {
					t.Fatalf("len %d, want %d", ts.len(), len(want))
				}
				for _, id := range append(ids, ElemID{Pos: 51}, ElemID{Pos: -51}, ElemID{Pos: pos, S: hlc.Stamp{Time: 999}}) {
					s, ok := ts.get(id)
					if ws, wok := want[id]; s != ws || ok != wok {
						t.Fatalf("get %v: %v %v, want %v %v", id, s, ok, ws, wok)
					}
				}
				got := ts.appendInOrder(nil)
				wantSorted := slices.SortedFunc(maps.Keys(want), bornCompare)
				if len(got) != len(wantSorted) {
					t.Fatalf("%d listed, want %d", len(got), len(wantSorted))
				}
				for i, tb := range got {
					if tb.ID != wantSorted[i] || tb.S != want[tb.ID] {
						t.Fatalf("listed %d: %v at %v, want %v at %v", i, tb.ID, tb.S, wantSorted[i], want[wantSorted[i]])
					}
				}
			}
		})
	})
}

// TestConvergenceWithPackedTombstones is TestConvergence with lists'
// tombstones packed from the second on.
func TestConvergenceWithPackedTombstones(t *testing.T) {
	withPackMin(2, func() { TestConvergence(t) })
}

// TestQueueTombstonesArePacked: a queue that pushed and popped 200,000
// elements keeps their tombstones in a small part of the memory a map of
// them took (63 bytes each), and still finds each one.
func TestQueueTombstonesArePacked(t *testing.T) {
	const n = 200_000
	h := newHarness(t, 1, true, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	push := []byte("LIST_PUSH_RIGHT (1)q (1000)[")
	for range 1000 {
		push = append(push, "(1)x"...)
	}
	push = append(push, ']')
	for range n / 1000 {
		h.do(string(push))
		h.do("LIST_POP_LEFT (1)q 1000")
		h.deltas = nil
	}
	runtime.GC()
	runtime.ReadMemStats(&after)
	x := h.shards[0].entryOf(0, "q").val.(*listVal)
	if x.tombs.len() != n {
		t.Fatalf("%d tombstones, want %d", x.tombs.len(), n)
	}
	per := (float64(after.HeapAlloc) - float64(before.HeapAlloc)) / n
	t.Logf("%.1f bytes a tombstone", per)
	if per > 20 {
		t.Errorf("%.1f bytes a tombstone; want them packed (at most 20)", per)
	}
	var st ValDelta
	x.state(&st)
	for _, tb := range st.Tombs {
		if s, ok := x.tombs.get(tb.ID); !ok || s != tb.S {
			t.Fatalf("tombstone %v at %v: looked up %v %v", tb.ID, tb.S, s, ok)
		}
	}
}

// BenchmarkQueuePopWithTombstones pushes and pops one element of a queue
// on a shard that keeps tombstones, after 1,000,000 pops: what a pop
// costs a cluster's replica once its tombstones are many (and packed).
func BenchmarkQueuePopWithTombstones(b *testing.B) {
	h := newHarness(b, 1, true, 1)
	push := []byte("LIST_PUSH_RIGHT (1)q (1000)[")
	for range 1000 {
		push = append(push, "(1)x"...)
	}
	push = append(push, ']')
	for range 1000 {
		h.do(string(push))
		h.do("LIST_POP_LEFT (1)q 1000")
		h.deltas = nil
	}
	for b.Loop() {
		h.wall++
		h.do("LIST_PUSH_RIGHT (1)q (1)[(1)x]")
		h.do("LIST_POP_LEFT (1)q 1")
		h.deltas = h.deltas[:0]
	}
}
