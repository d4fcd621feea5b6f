package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestElemsFollowASlice inserts and removes at random places, keeps or
// drops elements in one pass, and checks the packed elements against a
// slice after each step: by index, forwards and backwards from anywhere,
// and by id. Chunks hold a few elements, so that a few steps make many.
// The elements' ids and stamps are drawn far apart and close together,
// with value registers of their own or their id's, and values of every
// length up to more than a chunk.
func TestElemsFollowASlice(t *testing.T) {
	defer func(n, b int) { chunkEntries, chunkBytes = n, b }(chunkEntries, chunkBytes)
	rapid.Check(t, func(t *rapid.T) {
		chunkEntries = rapid.IntRange(1, 6).Draw(t, "chunkEntries")
		chunkBytes = rapid.IntRange(16, 300).Draw(t, "chunkBytes")
		var q elems
		var want []elem
		stamp := func(label string) hlc.Stamp {
			return hlc.Stamp{Time: rapid.Uint64().Draw(t, label+"Time"), Actor: rapid.Uint64Range(0, 3).Draw(t, label+"Actor")}
		}
		for range rapid.IntRange(1, 200).Draw(t, "steps") {
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case len(want) == 0 || op < 6:
				i := rapid.IntRange(0, len(want)).Draw(t, "at")
				e := elem{id: ElemID{Pos: rapid.Int64().Draw(t, "pos"), S: stamp("s")}}
				e.vs = e.id.S
				if rapid.Bool().Draw(t, "set") {
					e.vs = stamp("vs")
				}
				e.v = strings.Repeat(string(rune('a'+len(want)%26)), rapid.IntRange(0, 400).Draw(t, "len"))
				q.insert(i, e.view())
				want = slices.Insert(want, i, e)
			case op < 9:
				i := rapid.IntRange(0, len(want)-1).Draw(t, "at")
				q.remove(i)
				want = slices.Delete(want, i, i+1)
			default:
				drop := rapid.IntRange(0, 3).Draw(t, "drop every")
				q.filter(func(i int, _ elemView) bool { return drop == 0 || i%drop != 0 })
				var kept []elem
				for i, e := range want {
					if drop == 0 || i%drop != 0 {
						kept = append(kept, e)
					}
				}
				want = kept
			}
			same := func(how string, i int, got elemView) {
				if w := want[i]; got.id != w.id || got.vs != w.vs || string(got.v) != w.v {
					t.Fatalf("%s: element %d is %v %v %d bytes, want %v %v %d bytes", how, i, got.id, got.vs, len(got.v), w.id, w.vs, len(w.v))
				}
			}
			if q.n != len(want) {
				t.Fatalf("%d elements, want %d", q.n, len(want))
			}
			for i := range want {
				same("at", i, q.at(i))
			}
			if len(want) == 0 {
				continue
			}
			// The ends' ids are kept while known: asked after some steps
			// only, so that the next steps find them known or not.
			if rapid.Bool().Draw(t, "ends") {
				if got, w := q.firstID(), want[0].id; got != w {
					t.Fatalf("first id %v, want %v", got, w)
				}
				if got, w := q.lastID(), want[len(want)-1].id; got != w {
					t.Fatalf("last id %v, want %v", got, w)
				}
			}
			from := rapid.IntRange(0, len(want)-1).Draw(t, "from")
			next := from
			q.each(from, len(want)-1, func(i int, e elemView) bool {
				if i != next {
					t.Fatalf("each from %d gave index %d after %d", from, i, next-1)
				}
				same("each", i, e)
				next++
				return true
			})
			if next != len(want) {
				t.Fatalf("each from %d stopped at %d of %d", from, next, len(want))
			}
			to := rapid.IntRange(from, len(want)-1).Draw(t, "to")
			next = from
			q.eachValue(from, to, func(i int, v []byte) bool {
				if i != next || string(v) != want[next].v {
					t.Fatalf("eachValue from %d: value %d (index %d) has %d bytes, want %d", from, next, i, len(v), len(want[next].v))
				}
				next++
				return true
			})
			if next != to+1 {
				t.Fatalf("eachValue from %d to %d stopped at %d", from, to, next)
			}
			next = from
			q.eachBack(from, 0, func(i int, e elemView) bool {
				if i != next {
					t.Fatalf("eachBack from %d gave index %d after %d", from, i, next+1)
				}
				same("eachBack", i, e)
				next--
				return true
			})
			if next != -1 {
				t.Fatalf("eachBack from %d stopped at %d", from, next)
			}
			for _, c := range q.chunks() {
				if c.n == 0 || c.lo < 0 || c.hi > len(c.b) || c.lo > c.hi {
					t.Fatalf("a chunk of %d elements in bytes %d-%d of %d", c.n, c.lo, c.hi, len(c.b))
				}
			}
		}
	})
}

// TestElemsPackFewBytes: a million pushed 100-byte elements take little
// more than their values, however they came.
func TestElemsPackFewBytes(t *testing.T) {
	for _, tc := range []struct {
		name string
		at   func(n int) int
	}{
		{"right", func(n int) int { return n }},
		{"left", func(int) int { return 0 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var q elems
			v := strings.Repeat("v", 100)
			for i := range 1_000_000 {
				s := hlc.Stamp{Time: uint64(1_700_000_000_000+i/50) << 16, Actor: 7}
				pos := int64(i)
				if tc.at(1) == 0 {
					pos = -pos
				}
				q.insert(tc.at(q.n), elemView{id: ElemID{Pos: pos, S: s}, vs: s, v: bytesOf(v)})
			}
			t.Logf("%d bytes an element", q.footprint()/q.n)
			if per := q.footprint() / q.n; per > 115 {
				t.Fatalf("%d bytes an element of 100 bytes", per)
			}
		})
	}
}

// TestListFindIsALowerBound: find answers as a linear scan would, for ids
// below, at and above either end and between elements (it looks at the
// ends before searching), with chunks of a few elements, so that the
// search goes through several.
func TestListFindIsALowerBound(t *testing.T) {
	defer func(n int) { chunkEntries = n }(chunkEntries)
	rapid.Check(t, func(t *rapid.T) {
		chunkEntries = rapid.IntRange(1, 5).Draw(t, "chunkEntries")
		var x listVal
		var ids []ElemID
		for _, pos := range rapid.SliceOfDistinct(rapid.Int64Range(-50, 50), rapid.ID).Draw(t, "positions") {
			ids = append(ids, ElemID{Pos: pos * 2}) // even: odd positions fall between
		}
		slices.SortFunc(ids, func(a, b ElemID) int { return a.Compare(b) })
		for _, id := range ids {
			x.elems.insert(x.elems.n, elemView{id: id})
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
	if x.elems.n != 10 || x.elems.footprint() > 4<<10 {
		t.Fatalf("%d elements in %d bytes", x.elems.n, x.elems.footprint())
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
			if !bulk.elems.at(i - 1).id.Less(bulk.elems.at(i).id) {
				t.Fatalf("elements out of order at %d: %v", i, a.Elems)
			}
		}
	})
}

// TestListInsertMakesRoom inserts, again and again, right after one
// element of a list and right before another: after a while no id orders
// between an element and the one inserted a moment ago after it, so the
// elements around that place are pushed again further apart, and the
// next insertions find room. Then it inserts at random places. The list
// follows a slice throughout, the rewrites stay local (far fewer elements
// than the list holds), and a second shard that joins every delta, once
// or twice each, holds the same state.
func TestListInsertMakesRoom(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	var want []string
	for i := range 1000 {
		want = append(want, fmt.Sprintf("e%d", i))
	}
	h.do("LIST_PUSH_RIGHT (1)k " + encList(want))
	rng := rand.New(rand.NewPCG(3, 4))
	rewrites, rewritten := 0, 0
	insert := func(i int, side, pivot string) {
		t.Helper()
		v := fmt.Sprintf("v%d", i)
		before := len(h.deltas)
		got := h.do(fmt.Sprintf("LIST_INSERT (1)k %s (%d)%s (%d)%s", side, len(pivot), pivot, len(v), v))
		at := slices.Index(want, pivot)
		if side == "RIGHT" {
			at++
		}
		want = slices.Insert(want, at, v)
		if wantReply := fmt.Sprintf("OK:INT %d", len(want)); got != wantReply {
			t.Fatalf("insertion %d: %s, want %s", i, got, wantReply)
		}
		if n := len(h.deltas) - before; n != 1 {
			t.Fatalf("insertion %d made %d deltas", i, n)
		}
		if tombs := len(h.deltas[before].Val.Tombs); tombs > 0 {
			rewrites++
			rewritten += tombs
		}
	}
	for i := range 300 {
		if i%3 == 2 {
			insert(i, "LEFT", "e600")
		} else {
			insert(i, "RIGHT", "e500")
		}
	}
	// The first rewrite reaches an end of the list (pushes left no room
	// between positions); later ones stay near e500.
	if rewrites == 0 || rewritten > 2000 {
		t.Errorf("300 insertions at two places rewrote %d times, %d elements in all", rewrites, rewritten)
	}
	t.Logf("300 insertions at two places: %d rewrites, %d elements", rewrites, rewritten)
	for i := 300; i < 3000; i++ {
		insert(i, []string{"LEFT", "RIGHT"}[rng.IntN(2)], want[rng.IntN(len(want))])
	}
	if got, wantReply := h.do("LIST_RANGE (1)k 0 -1"), string(proto.AppendStrings([]byte("OK"), proto.TypeList, want)); got != wantReply {
		t.Fatalf("list %s, want %s", got, wantReply)
	}
	t.Logf("3000 insertions: %d rewrites, %d elements", rewrites, rewritten)
	for times := 1; times <= 2; times++ {
		g := NewShard(true)
		for _, d := range h.deltas {
			for range times {
				c := roundTrip(t, d)
				g.Apply(&c)
			}
		}
		if dump(g) != dump(h.shards[0]) {
			t.Fatalf("a shard joining the deltas %d times each differs", times)
		}
	}
}

// encList encodes values as a LIST argument.
func encList(values []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "(%d)[", len(values))
	for _, v := range values {
		fmt.Fprintf(&b, "(%d)%s", len(v), v)
	}
	return b.String() + "]"
}
