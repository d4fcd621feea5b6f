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
	defer func(b uint8) { chunkBits = b }(chunkBits)
	chunkBits = 2 // chunks of 4: a few steps make a ring of them
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
			if len(want) > 0 { // the same elements, read a run at a time from anywhere
				from := rapid.IntRange(0, len(want)-1).Draw(t, "from")
				var runs []string
				for i := from; i < len(want); {
					run := q.run(i, len(want)-i)
					for _, e := range run {
						runs = append(runs, e.v)
					}
					i += len(run)
				}
				if !slices.Equal(runs, want[from:]) {
					t.Fatalf("runs from %d read %q, want %q", from, runs, want[from:])
				}
			}
			size := q.size()
			if size&(size-1) != 0 || size < q.n || size > 16 && q.n < size/4 && size > 8<<chunkBits {
				t.Fatalf("ring of %d for %d elements", size, q.n)
			}
			for p := q.n; p < size; p++ { // no slot outside the elements keeps one
				if *q.ptr(p) != (elem{}) {
					t.Fatalf("slot %d of %d holds %q past %d elements", p, size, q.ptr(p).v, q.n)
				}
			}
		}
	})
}

// TestListFindIsALowerBound: find answers as a linear scan would, for ids
// below, at and above either end and between elements (it looks at the
// ends before searching).
func TestListFindIsALowerBound(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		var x listVal
		var ids []ElemID
		for _, pos := range rapid.SliceOfDistinct(rapid.Int64Range(-50, 50), rapid.ID).Draw(t, "positions") {
			ids = append(ids, ElemID{Pos: pos * 2}) // even: odd positions fall between
		}
		slices.SortFunc(ids, func(a, b ElemID) int { return a.Compare(b) })
		for _, id := range ids {
			x.elems.insert(x.elems.n, elem{id: id})
		}
		for pos := int64(-102); pos <= 102; pos++ {
			id := ElemID{Pos: pos}
			want := 0
			for want < len(ids) && ids[want].Less(id) {
				want++
			}
			i, found := x.find(id)
			if i != want || found != (want < len(ids) && ids[want] == id) {
				t.Fatalf("find(%d) in %v = %d, %v; want %d", pos, ids, i, found, want)
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
	x := h.shards[0].visibleOf(0, "q").(*listVal)
	if x.elems.n != 10 || x.elems.size() > 64 {
		t.Fatalf("%d elements in a ring of %d", x.elems.n, x.elems.size())
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
	inOrder := func(a, b Tomb) int { return bornCompare(a.ID, b.ID) }
	if len(out.Tombs) != 50_000 || !slices.IsSortedFunc(out.Tombs, inOrder) {
		b.Fatalf("%d tombstones, in order %v", len(out.Tombs), slices.IsSortedFunc(out.Tombs, inOrder))
	}
}

// TestListJoinInBulkEqualsOneByOne joins a delta of many elements and
// tombstones (ids among the list's, between them and beyond its ends,
// some twice) into a list at once, and the same parts one delta each
// (tombstones first, as a join takes them): the two lists are equal, in
// order, with equal sums. Bulk joins remove and merge in one pass.
func TestListJoinInBulkEqualsOneByOne(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		keep := rapid.Bool().Draw(t, "keep")
		id := func(label string) ElemID {
			return ElemID{Pos: rapid.Int64Range(-20, 20).Draw(t, label+" pos"),
				S: hlc.Stamp{Time: rapid.Uint64Range(1, 6).Draw(t, label+" time"), Actor: 1}}
		}
		vs := func(label string) hlc.Stamp {
			return hlc.Stamp{Time: rapid.Uint64Range(1, 9).Draw(t, label), Actor: 2}
		}
		var base ValDelta
		for range rapid.IntRange(0, 30).Draw(t, "elements") {
			base.Elems = append(base.Elems, Elem{ID: id("base"), VS: vs("base vs"), Value: rapid.StringN(0, 2, 2).Draw(t, "v")})
		}
		var d ValDelta
		for range rapid.IntRange(0, 12).Draw(t, "tombs") {
			tid := id("tomb")
			if len(base.Elems) > 0 && rapid.IntRange(0, 3).Draw(t, "of an element") > 0 {
				tid = base.Elems[rapid.IntRange(0, len(base.Elems)-1).Draw(t, "which")].ID
			}
			d.Tombs = append(d.Tombs, Tomb{ID: tid, S: vs("tomb s")})
		}
		for range rapid.IntRange(0, 30).Draw(t, "adds") {
			d.Elems = append(d.Elems, Elem{ID: id("add"), VS: vs("add vs"), Value: rapid.StringN(0, 2, 2).Draw(t, "v")})
		}
		r := hlc.Stamp{Time: rapid.Uint64Range(0, 3).Draw(t, "reset")}
		bulk, single := &listVal{}, &listVal{}
		for _, e := range base.Elems { // one by one: base ids may repeat
			one := ValDelta{Elems: []Elem{e}}
			bulk.join(&one, hlc.Stamp{}, keep)
			single.join(&one, hlc.Stamp{}, keep)
		}
		bulk.join(&d, r, keep)
		for _, tb := range d.Tombs {
			one := ValDelta{Tombs: []Tomb{tb}}
			single.join(&one, r, keep)
		}
		for _, e := range d.Elems {
			one := ValDelta{Elems: []Elem{e}}
			single.join(&one, r, keep)
		}
		var a, b ValDelta
		bulk.state(&a)
		single.state(&b)
		if fmt.Sprint(a) != fmt.Sprint(b) || bulk.sum != single.sum || bulk.ts != single.ts {
			t.Fatalf("bulk join:\n%v (sum %x, ts %v)\none by one:\n%v (sum %x, ts %v)", a, bulk.sum, bulk.ts, b, single.sum, single.ts)
		}
		for i := 1; i < bulk.elems.n; i++ {
			if !bulk.elems.ptr(i - 1).id.Less(bulk.elems.ptr(i).id) {
				t.Fatalf("elements out of order at %d: %v", i, a.Elems)
			}
		}
	})
}
