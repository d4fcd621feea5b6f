package storage

import (
	"slices"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// listVal is a LIST: elements ordered by their ids, each with a value
// register (LIST_SET), and the ids of removed elements as tombstones.
// Pushing right takes a position above the last element, pushing left one
// below the first; ties between concurrent pushes fall to the stamp.
type listVal struct {
	ts    hlc.Stamp
	elems elems
	tombs tombSet
	sum   uint64 // of every element's elemSum and tombstone's tombSum (partsum.go)
}

// elem is an element on its way into a list.
type elem struct {
	id ElemID
	vs hlc.Stamp
	v  string
}

func (x *listVal) kind() proto.Type { return proto.TypeList }
func (x *listVal) stamp() hlc.Stamp { return x.ts }
func (x *listVal) live() bool       { return x.elems.n > 0 }
func (x *listVal) hollow() bool     { return x.elems.n == 0 && x.tombs.len() == 0 }

// find returns the index of id, or where it would be inserted. The ends
// are looked at first, where pops remove and pushes add.
func (x *listVal) find(id ElemID) (int, bool) {
	q := &x.elems
	if q.n == 0 {
		return 0, false
	}
	if first := q.firstID(); !first.Less(id) {
		return 0, first == id
	}
	switch last := q.lastID(); {
	case last.Less(id):
		return q.n, false
	case last == id:
		return q.n - 1, true
	}
	return q.search(id)
}

func (x *listVal) join(d *ValDelta, r hlc.Stamp, keep bool) value {
	// Elements the delta's tombstones remove, by index, go in one pass
	// after: one at a time, each removal from the middle would shift half
	// the list.
	var gone []int
	var sum0 uint64 // elemSum of gone[0], taken when it is read
	var at []found  // each tombstone's place in the list, when they are many
	if len(d.Tombs) > 4 && x.elems.n > 0 {
		at = x.indexes(len(d.Tombs), func(k int) ElemID { return d.Tombs[k].ID })
	}
	for k, t := range d.Tombs {
		if t.ID.S.Less(r) {
			continue
		}
		s := t.S
		i, ok := 0, false
		if at != nil {
			i, ok = at[k].i, at[k].i >= 0
		} else {
			i, ok = x.find(t.ID)
		}
		if ok {
			// The tombstone takes the stamp of the value it removes (a
			// LIST_SET concurrent with the removal may be later), as it
			// does when that value arrives after it (below): the type
			// stamp then does not depend on the order deltas came in.
			if at != nil && len(gone) > 0 {
				s = s.Max(at[k].vs)
			} else {
				e := x.elems.at(i)
				s = s.Max(e.vs)
				if len(gone) == 0 {
					sum0 = elemSum(e)
				}
			}
			gone = append(gone, i)
		}
		if keep {
			old, had := x.tombs.get(t.ID)
			if had {
				x.sum -= tombSum(t.ID, old)
			}
			x.tombs.put(t.ID, old.Max(s))
			x.sum += tombSum(t.ID, old.Max(s))
			x.ts = x.ts.Max(s).Max(t.ID.S)
		}
	}
	if len(gone) == 1 { // a pop's: the element is not read again
		x.sum -= sum0
		x.elems.remove(gone[0])
	} else {
		x.removeAt(gone)
	}
	// New elements are merged in once the delta is read: a whole state
	// taken at a reset (a serial write's) brings every element back under
	// new ids among the old ones, and inserting each would shift the list.
	var few [4]elem // the usual push's, without an allocation
	adds := few[:0]
	q := &x.elems
	at = nil // each element's index in the list, when they are many
	if len(d.Elems) > 4 {
		adds = make([]elem, 0, len(d.Elems))
		if inside(q, d.Elems) > 4 {
			at = x.indexes(len(d.Elems), func(k int) ElemID { return d.Elems[k].ID })
		}
	}
	for k, e := range d.Elems {
		if e.ID.S.Less(r) {
			continue
		}
		if ts, dead := x.tombs.get(e.ID); dead {
			if ts.Less(e.VS) {
				x.sum += tombSum(e.ID, e.VS) - tombSum(e.ID, ts)
				x.tombs.put(e.ID, e.VS)
				x.ts = x.ts.Max(e.VS)
			}
			continue
		}
		var i int
		found := false
		switch {
		case at != nil:
			i, found = at[k].i, at[k].i >= 0
		case q.n > 0 && !q.lastID().Less(e.ID) && !e.ID.Less(q.firstID()):
			i, found = x.find(e.ID) // not beyond either end, where pushes go
		}
		if !found {
			adds = append(adds, elem{id: e.ID, vs: e.VS, v: e.Value})
			continue
		}
		if cur := q.at(i); cur.vs.Less(e.VS) {
			x.sum -= elemSum(cur)
			q.remove(i)
			next := elem{id: e.ID, vs: e.VS, v: e.Value}
			q.insert(i, next.view())
			x.sum += elemSum(next.view())
			x.ts = x.ts.Max(e.VS)
		}
	}
	x.add(adds)
	return x
}

// inside counts the elements of es whose ids are not beyond either end
// of q (where pushes go): those a join must look for among q's.
func inside(q *elems, es []Elem) int {
	if q.n == 0 {
		return 0
	}
	first, last, n := q.firstID(), q.lastID(), 0
	for _, e := range es {
		if !last.Less(e.ID) && !e.ID.Less(first) {
			n++
		}
	}
	return n
}

// found is where an id is in a list: the element's index (-1: none) and
// its value register's stamp.
type found struct {
	i  int
	vs hlc.Stamp
}

// indexes returns where in the list each of n ids is (id(k) the k-th):
// the ids in order, then one walk over the list from the first, where
// finding each would walk to its chunk and decode it (LIST_INSERT's
// rewrite of a window sends hundreds of thousands of them into a long
// list). Replacing an element's value in place keeps every index.
func (x *listVal) indexes(n int, id func(k int) ElemID) []found {
	out := make([]found, n)
	order := make([]int, n)
	for k := range order {
		order[k] = k
	}
	slices.SortFunc(order, func(a, b int) int { return id(a).Compare(id(b)) })
	j := 0
	if from, _ := x.find(id(order[0])); from < x.elems.n {
		x.elems.each(from, x.elems.n-1, func(i int, e elemView) bool {
			for ; j < n && id(order[j]).Less(e.id); j++ {
				out[order[j]].i = -1
			}
			for ; j < n && id(order[j]) == e.id; j++ {
				out[order[j]] = found{i, e.vs}
			}
			return j < n
		})
	}
	for ; j < n; j++ {
		out[order[j]].i = -1
	}
	return out
}

// removeAt removes the elements at the given indexes (in any order, an
// index perhaps more than once): one at a time when they are few (for the
// list's length: each costs a walk to its chunk and a move inside it),
// else in one pass that rebuilds the list.
func (x *listVal) removeAt(gone []int) {
	slices.Sort(gone)
	gone = slices.Compact(gone)
	if few(len(gone), x.elems.n) {
		for k := len(gone) - 1; k >= 0; k-- { // the highest first: the others keep their index
			x.sum -= elemSum(x.elems.at(gone[k]))
			x.elems.remove(gone[k])
		}
		return
	}
	x.elems.filter(func(i int, e elemView) bool {
		if _, found := slices.BinarySearch(gone, i); found {
			x.sum -= elemSum(e)
			return false
		}
		return true
	})
}

// few reports whether k changes to a list of n elements are made one at
// a time rather than in a pass that rebuilds the list: at most four, or
// one for every sixteen elements (a relabelled window of LIST_INSERT's in
// a long list: BenchmarkListInsertAtOnePlace).
func few(k, n int) bool { return k <= 4 || k*16 <= n }

// add puts new elements (none of them in the list) in their places: at
// an end one at a time, as pushes come, a few one at a time, else merged
// in one pass. The same
// id twice keeps the later value register, as joining it twice would.
func (x *listVal) add(adds []elem) {
	if len(adds) == 0 {
		return
	}
	if !slices.IsSortedFunc(adds, func(a, b elem) int { return a.id.Compare(b.id) }) {
		slices.SortStableFunc(adds, func(a, b elem) int { return a.id.Compare(b.id) })
	}
	w := 0
	for k := range adds {
		if w > 0 && adds[w-1].id == adds[k].id {
			if adds[w-1].vs.Less(adds[k].vs) {
				adds[w-1] = adds[k]
			}
			continue
		}
		adds[w] = adds[k]
		w++
	}
	adds = adds[:w]
	for k := range adds {
		e := &adds[k]
		x.sum += elemSum(e.view())
		x.ts = x.ts.Max(e.vs).Max(e.id.S)
	}
	q := &x.elems
	switch {
	case q.n == 0 || q.lastID().Less(adds[0].id):
		for k := range adds {
			q.insert(q.n, adds[k].view())
		}
	case adds[len(adds)-1].id.Less(q.firstID()):
		for k := len(adds) - 1; k >= 0; k-- {
			q.insert(0, adds[k].view())
		}
	case few(len(adds), q.n):
		for k := range adds {
			i, _ := x.find(adds[k].id)
			q.insert(i, adds[k].view())
		}
	default:
		q.merge(adds)
	}
}

func (x *listVal) prune(r hlc.Stamp) bool {
	if x.ts.Less(r) {
		return false
	}
	x.ts = hlc.Stamp{}
	x.elems.filter(func(_ int, e elemView) bool {
		if e.id.S.Less(r) {
			x.sum -= elemSum(e)
			return false
		}
		x.ts = x.ts.Max(e.vs).Max(e.id.S)
		return true
	})
	x.tombs.filter(func(id ElemID, _ hlc.Stamp) bool { return id.S.Less(r) },
		func(id ElemID, s hlc.Stamp) { x.sum -= tombSum(id, s) })
	x.tombs.each(func(id ElemID, s hlc.Stamp) { x.ts = x.ts.Max(s).Max(id.S) })
	return !x.hollow()
}

// states gives part the list's state in parts of at most statePart
// tombstones or elements: the tombstones first (in the order a whole
// state lists them), then the elements in order. It reports whether part
// asked for more.
func (x *listVal) states(part func(ValDelta) bool) bool {
	ok := true
	tombs := make([]Tomb, 0, min(x.tombs.len(), statePart))
	x.tombs.merged(func(id ElemID, st hlc.Stamp) {
		if !ok {
			return
		}
		if tombs = append(tombs, Tomb{ID: id, S: st}); len(tombs) == statePart {
			ok = part(ValDelta{Tombs: tombs})
			tombs = tombs[:0]
		}
	})
	elems := make([]Elem, 0, min(x.elems.n, statePart))
	for i := 0; ok && (i < x.elems.n || len(tombs) > 0); {
		elems = elems[:0]
		to := min(x.elems.n, i+statePart) - 1
		x.elems.each(i, to, func(_ int, e elemView) bool {
			elems = append(elems, Elem{ID: e.id, VS: e.vs, Value: string(e.v)})
			return true
		})
		i = to + 1
		ok = part(ValDelta{Tombs: tombs, Elems: elems}) // the tombstones left over go with the first elements
		tombs = nil
	}
	return ok
}

func (x *listVal) state(d *ValDelta) {
	*d = ValDelta{Kind: proto.TypeList, TS: x.ts}
	if x.elems.n > 0 {
		d.Elems = make([]Elem, x.elems.n)
		x.elems.each(0, x.elems.n-1, func(i int, e elemView) bool {
			d.Elems[i] = Elem{ID: e.id, VS: e.vs, Value: string(e.v)}
			return true
		})
	}
	if n := x.tombs.len(); n > 0 {
		// A queue's pops leave one tombstone each until the tombstone
		// grace: millions on a busy key, listed in the order they are
		// packed in (the order of their pushes), which is as canonical
		// as the ids' own: any one order of a set is.
		d.Tombs = x.tombs.appendInOrder(make([]Tomb, 0, n))
	}
}
