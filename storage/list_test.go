package storage

import (
	"fmt"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestDequeFollowsASlice inserts and removes at random places and checks
// the deque against a slice after each step, its buffer a power of two
// that holds the elements and is not mostly empty once past 16.
func TestDequeFollowsASlice(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var q deque
		var want []string
		next := 0
		for range rapid.IntRange(1, 300).Draw(t, "steps") {
			if len(want) == 0 || rapid.IntRange(0, 9).Draw(t, "op") < 6 {
				i := rapid.IntRange(0, len(want)).Draw(t, "at")
				v := fmt.Sprint(next)
				next++
				q.insert(i, elem{v: v})
				want = slices.Insert(want, i, v)
			} else {
				i := rapid.IntRange(0, len(want)-1).Draw(t, "at")
				q.remove(i)
				want = slices.Delete(want, i, i+1)
			}
			got := make([]string, q.n)
			for i := range got {
				got[i] = q.at(i).v
			}
			if !slices.Equal(got, want) {
				t.Fatalf("deque %q, want %q", got, want)
			}
			size := len(q.buf)
			if size&(size-1) != 0 || size < q.n || size > 16 && q.n < size/4 {
				t.Fatalf("buffer of %d for %d elements", size, q.n)
			}
		}
	})
}

// TestDrainedListGivesItsBufferBack pushes 10,000 elements, pops all but
// ten: the buffer shrinks with them.
func TestDrainedListGivesItsBufferBack(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for range 100 {
		h.do("LIST_PUSH_RIGHT (1)q (100)[" + repeatElem(100) + "]")
	}
	for range 9990 {
		h.do("LIST_POP_LEFT (1)q 1")
	}
	x := h.shards[0].lookup(0, []byte("q")).visible().(*listVal)
	if x.elems.n != 10 || len(x.elems.buf) > 64 {
		t.Fatalf("%d elements in a buffer of %d", x.elems.n, len(x.elems.buf))
	}
}

func repeatElem(n int) string {
	b := []byte("(1)v")
	for range n - 1 {
		b = append(b, " (1)v"...)
	}
	return string(b)
}

// BenchmarkListStateWithTombstones exports the state of a list that a
// queue drained: 50,000 pops, each a tombstone kept for the tombstone
// grace. A quorum read of the key, a digest and anti-entropy export it.
func BenchmarkListStateWithTombstones(b *testing.B) {
	x := &listVal{}
	d := ValDelta{Kind: proto.TypeList}
	for i := range 50_000 {
		s := hlc.Stamp{Time: uint64(1000 + i), Actor: uint64(i % 3)}
		d.Tombs = append(d.Tombs, Tomb{ID: ElemID{Pos: int64(i), S: s}, S: s})
	}
	x.join(&d, hlc.Stamp{}, true)
	var out ValDelta
	for b.Loop() {
		x.state(&out)
	}
	if len(out.Tombs) != 50_000 || !slices.IsSortedFunc(out.Tombs, func(a, b Tomb) int { return a.ID.Compare(b.ID) }) {
		b.Fatalf("%d tombstones, sorted %v", len(out.Tombs), slices.IsSortedFunc(out.Tombs, func(a, b Tomb) int { return a.ID.Compare(b.ID) }))
	}
}
