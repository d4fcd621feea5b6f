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
	elems deque
	tombs map[ElemID]hlc.Stamp
	sum   uint64 // of every element's elemSum and tombstone's tombSum (partsum.go)
}

type elem struct {
	id ElemID
	vs hlc.Stamp
	v  string
}

func (x *listVal) kind() proto.Type { return proto.TypeList }
func (x *listVal) stamp() hlc.Stamp { return x.ts }
func (x *listVal) live() bool       { return x.elems.n > 0 }
func (x *listVal) hollow() bool     { return x.elems.n == 0 && len(x.tombs) == 0 }

// find returns the index of id, or where it would be inserted.
func (x *listVal) find(id ElemID) (int, bool) {
	lo, hi := 0, x.elems.n
	for lo < hi {
		mid := int(uint(lo+hi) >> 1)
		if x.elems.at(mid).id.Less(id) {
			lo = mid + 1
		} else {
			hi = mid
		}
	}
	return lo, lo < x.elems.n && x.elems.at(lo).id == id
}

func (x *listVal) join(d *ValDelta, r hlc.Stamp, keep bool) value {
	for _, t := range d.Tombs {
		if t.ID.S.Less(r) {
			continue
		}
		s := t.S
		if i, found := x.find(t.ID); found {
			// The tombstone takes the stamp of the value it removes (a
			// LIST_SET concurrent with the removal may be later), as it
			// does when that value arrives after it (below): the type
			// stamp then does not depend on the order deltas came in.
			s = s.Max(x.elems.at(i).vs)
			x.sum -= elemSum(x.elems.ptr(i))
			x.elems.remove(i)
		}
		if keep {
			if x.tombs == nil {
				x.tombs = make(map[ElemID]hlc.Stamp)
			}
			old, had := x.tombs[t.ID]
			if had {
				x.sum -= tombSum(t.ID, old)
			}
			x.tombs[t.ID] = old.Max(s)
			x.sum += tombSum(t.ID, old.Max(s))
			x.ts = x.ts.Max(s).Max(t.ID.S)
		}
	}
	for _, e := range d.Elems {
		if e.ID.S.Less(r) {
			continue
		}
		if ts, dead := x.tombs[e.ID]; dead {
			if ts.Less(e.VS) {
				x.sum += tombSum(e.ID, e.VS) - tombSum(e.ID, ts)
				x.tombs[e.ID] = e.VS
				x.ts = x.ts.Max(e.VS)
			}
			continue
		}
		// Pushes arrive in order at either end; check those first.
		var i int
		var found bool
		switch {
		case x.elems.n == 0 || x.elems.at(x.elems.n-1).id.Less(e.ID):
			i = x.elems.n
		case e.ID.Less(x.elems.at(0).id):
			i = 0
		default:
			i, found = x.find(e.ID)
		}
		if found {
			if cur := x.elems.ptr(i); cur.vs.Less(e.VS) {
				x.sum -= elemSum(cur)
				cur.vs, cur.v = e.VS, e.Value
				x.sum += elemSum(cur)
				x.ts = x.ts.Max(e.VS)
			}
			continue
		}
		x.elems.insert(i, elem{id: e.ID, vs: e.VS, v: e.Value})
		x.sum += elemSum(x.elems.ptr(i))
		x.ts = x.ts.Max(e.VS).Max(e.ID.S)
	}
	return x
}

func (x *listVal) prune(r hlc.Stamp) bool {
	if x.ts.Less(r) {
		return false
	}
	x.ts = hlc.Stamp{}
	for i := 0; i < x.elems.n; {
		if e := x.elems.ptr(i); e.id.S.Less(r) {
			x.sum -= elemSum(e)
			x.elems.remove(i)
		} else {
			x.ts = x.ts.Max(e.vs).Max(e.id.S)
			i++
		}
	}
	for id, s := range x.tombs {
		if id.S.Less(r) {
			x.sum -= tombSum(id, s)
			delete(x.tombs, id)
		} else {
			x.ts = x.ts.Max(s).Max(id.S)
		}
	}
	return !x.hollow()
}

func (x *listVal) state(d *ValDelta) {
	*d = ValDelta{Kind: proto.TypeList, TS: x.ts}
	if x.elems.n > 0 {
		d.Elems = make([]Elem, x.elems.n)
		for i := range d.Elems {
			e := x.elems.at(i)
			d.Elems[i] = Elem{ID: e.id, VS: e.vs, Value: e.v}
		}
	}
	if len(x.tombs) > 0 {
		d.Tombs = make([]Tomb, 0, len(x.tombs))
		for id, s := range x.tombs {
			d.Tombs = append(d.Tombs, Tomb{ID: id, S: s})
		}
		// A queue's pops leave one tombstone each until the tombstone
		// grace: tens of thousands on a busy key.
		slices.SortFunc(d.Tombs, func(a, b Tomb) int { return a.ID.Compare(b.ID) })
	}
}

// deque is a ring buffer of list elements with O(1) access by index and at
// both ends. Its capacity is a power of two.
type deque struct {
	buf  []elem
	head int
	n    int
}

func (q *deque) at(i int) elem     { return q.buf[(q.head+i)&(len(q.buf)-1)] }
func (q *deque) ptr(i int) *elem   { return &q.buf[(q.head+i)&(len(q.buf)-1)] }
func (q *deque) set(i int, e elem) { q.buf[(q.head+i)&(len(q.buf)-1)] = e }
func (q *deque) mask(i int) int    { return i & (len(q.buf) - 1) }

func (q *deque) grow() {
	if q.n < len(q.buf) {
		return
	}
	q.resize(max(4, 2*len(q.buf)))
}

// shrink halves a buffer left three quarters empty, so that a queue
// drained of a burst gives its memory back; an empty one gives all of it.
func (q *deque) shrink() {
	switch {
	case q.n == 0:
		q.buf, q.head = nil, 0
	case len(q.buf) > 16 && q.n <= len(q.buf)/4:
		q.resize(len(q.buf) / 2)
	}
}

// resize moves the elements, in order, to a new buffer of size (a power
// of two, at least n).
func (q *deque) resize(size int) {
	nb := make([]elem, size)
	if end := q.head + q.n; end <= len(q.buf) {
		copy(nb, q.buf[q.head:end])
	} else { // wrapped: head to the buffer's end, then its start
		k := copy(nb, q.buf[q.head:])
		copy(nb[k:], q.buf[:end-len(q.buf)])
	}
	q.buf, q.head = nb, 0
}

// insert puts e at index i, shifting the shorter side.
func (q *deque) insert(i int, e elem) {
	q.grow()
	if i < q.n-i {
		q.head = q.mask(q.head - 1)
		for k := 0; k < i; k++ {
			q.set(k, q.at(k+1))
		}
	} else {
		for k := q.n; k > i; k-- {
			q.set(k, q.at(k-1))
		}
	}
	q.n++
	q.set(i, e)
}

// remove deletes the element at index i, shifting the shorter side.
func (q *deque) remove(i int) {
	if i < q.n-1-i {
		for k := i; k > 0; k-- {
			q.set(k, q.at(k-1))
		}
		q.set(0, elem{})
		q.head = q.mask(q.head + 1)
	} else {
		for k := i; k < q.n-1; k++ {
			q.set(k, q.at(k+1))
		}
		q.set(q.n-1, elem{})
	}
	q.n--
	q.shrink()
}
