package storage

import (
	"math/bits"
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
	tombs tombSet
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
func (x *listVal) hollow() bool     { return x.elems.n == 0 && x.tombs.len() == 0 }

// find returns the index of id, or where it would be inserted. The ends
// are looked at first, where pops remove and pushes add: in a list of
// millions a binary search is some twenty misses to memory, which was a
// tenth of a pop's time.
func (x *listVal) find(id ElemID) (int, bool) {
	n := x.elems.n
	if n == 0 {
		return 0, false
	}
	if first := x.elems.ptr(0).id; !first.Less(id) {
		return 0, first == id
	}
	switch last := x.elems.ptr(n - 1).id; {
	case last.Less(id):
		return n, false
	case last == id:
		return n - 1, true
	}
	lo, hi := 1, n-1 // the first is below id, the last above
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
	// Elements the delta's tombstones remove, by index, go in one pass
	// after: one at a time, each removal from the middle would shift half
	// the list.
	var gone []int
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
	x.removeAt(gone)
	// New elements are merged in once the delta is read: a whole state
	// taken at a reset (a serial write's) brings every element back under
	// new ids among the old ones, and inserting each would shift the list.
	var few [4]elem // the usual push's, without an allocation
	adds := few[:0]
	for _, e := range d.Elems {
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
		q := &x.elems
		var i int
		found := false
		if q.n > 0 && !q.ptr(q.n-1).id.Less(e.ID) && !e.ID.Less(q.ptr(0).id) {
			i, found = x.find(e.ID) // not beyond either end, where pushes go
		}
		if !found {
			adds = append(adds, elem{id: e.ID, vs: e.VS, v: e.Value})
			continue
		}
		if cur := x.elems.ptr(i); cur.vs.Less(e.VS) {
			x.sum -= elemSum(cur)
			cur.vs, cur.v = e.VS, e.Value
			x.sum += elemSum(cur)
			x.ts = x.ts.Max(e.VS)
		}
	}
	x.add(adds)
	return x
}

// removeAt removes the elements at the given indexes (in any order, an
// index perhaps more than once): one at a time when they are few, else in
// one pass.
func (x *listVal) removeAt(gone []int) {
	slices.Sort(gone)
	gone = slices.Compact(gone)
	for _, i := range gone {
		x.sum -= elemSum(x.elems.ptr(i))
	}
	if len(gone) <= 4 {
		for k := len(gone) - 1; k >= 0; k-- { // the highest first: the others keep their index
			x.elems.remove(gone[k])
		}
		return
	}
	x.elems.filter(func(i int, _ *elem) bool {
		_, found := slices.BinarySearch(gone, i)
		return !found
	})
}

// add puts new elements (none of them in the list) in their places: at
// an end one at a time, as pushes come, else merged in one pass. The same
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
		x.sum += elemSum(e)
		x.ts = x.ts.Max(e.vs).Max(e.id.S)
	}
	q := &x.elems
	switch {
	case q.n == 0 || q.ptr(q.n-1).id.Less(adds[0].id):
		for _, e := range adds {
			q.insert(q.n, e)
		}
	case adds[len(adds)-1].id.Less(q.ptr(0).id):
		for k := len(adds) - 1; k >= 0; k-- {
			q.insert(0, adds[k])
		}
	case len(adds) <= 4:
		for _, e := range adds {
			i, _ := x.find(e.id)
			q.insert(i, e)
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
	x.elems.filter(func(_ int, e *elem) bool {
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
		for ; i < x.elems.n && len(elems) < statePart; i++ {
			e := x.elems.at(i)
			elems = append(elems, Elem{ID: e.id, VS: e.vs, Value: e.v})
		}
		ok = part(ValDelta{Tombs: tombs, Elems: elems}) // the tombstones left over go with the first elements
		tombs = nil
	}
	return ok
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
	if n := x.tombs.len(); n > 0 {
		// A queue's pops leave one tombstone each until the tombstone
		// grace: millions on a busy key, listed in the order they are
		// packed in (the order of their pushes), which is as canonical
		// as the ids' own: any one order of a set is.
		d.Tombs = x.tombs.appendInOrder(make([]Tomb, 0, n))
	}
}

// deque is a ring of list elements with O(1) access by index and at both
// ends. Its capacity is a power of two. Up to chunkLen elements it is one
// buffer; past that, a ring of chunks of chunkLen elements each, so that
// a long list grows and shrinks by moving chunk pointers: a buffer of
// millions of elements copied whole at each doubling (with a write
// barrier for each element's value) cost a pushing loop a tenth of its
// time, and a push that doubled it waited for the copy. A slot outside
// the elements is always zero (nothing kept alive).
type deque struct {
	chunks [][]elem // each 1<<bits long; a power of two of them
	bits   uint8
	mask   int // the capacity less one
	head   int
	n      int
}

// chunkBits sets the chunk length: 256 elements, 12 KiB (a variable so
// that tests can make chunks of a few elements).
var chunkBits uint8 = 8

func (q *deque) size() int { return len(q.chunks) << q.bits }
func (q *deque) ptr(i int) *elem {
	p := (q.head + i) & q.mask
	c := q.chunks[p>>q.bits]
	return &c[p&(len(c)-1)]
}

// run returns the elements from index i on that lie together in one
// chunk, at most max of them (at least one when i is an element's index).
func (q *deque) run(i, max int) []elem {
	p := (q.head + i) & q.mask
	c := q.chunks[p>>q.bits]
	o := p & (len(c) - 1)
	return c[o:min(len(c), o+max)]
}

func (q *deque) at(i int) elem     { return *q.ptr(i) }
func (q *deque) set(i int, e elem) { *q.ptr(i) = e }
func (q *deque) wrap(i int) int    { return i & q.mask }

// alloc returns an empty layout of capacity size (a power of two, at
// least 4): one buffer up to chunkLen, chunks past it.
func alloc(size int) deque {
	chunkLen := 1 << chunkBits
	if size <= chunkLen {
		return deque{chunks: [][]elem{make([]elem, size)}, bits: uint8(bits.TrailingZeros(uint(size))), mask: size - 1}
	}
	cs := make([][]elem, size/chunkLen)
	for k := range cs {
		cs[k] = make([]elem, chunkLen)
	}
	return deque{chunks: cs, bits: chunkBits, mask: size - 1}
}

// relayout moves the elements, in order, to a new layout of capacity size.
func (q *deque) relayout(size int) {
	nq := alloc(size)
	for i := 0; i < q.n; i++ {
		*nq.ptr(i) = q.at(i)
	}
	nq.n = q.n
	*q = nq
}

func (q *deque) grow() {
	size := q.size()
	switch {
	case q.n < size:
	case size < 1<<chunkBits:
		q.relayout(max(4, 2*size))
	default:
		q.doubleChunks()
	}
}

// doubleChunks doubles a full ring of chunks, moving chunk pointers: the
// chunk holding the head goes first. When the head is inside it, that
// chunk also holds the last elements, before the head; they move to the
// first new chunk, the one place an element is copied.
func (q *deque) doubleChunks() {
	old, chunkLen := q.chunks, 1<<q.bits
	hc, ho := q.head>>q.bits, q.head&(chunkLen-1)
	cs := make([][]elem, 2*len(old))
	for k := range old {
		cs[k] = old[(hc+k)&(len(old)-1)]
	}
	for k := len(old); k < len(cs); k++ {
		cs[k] = make([]elem, chunkLen)
	}
	if ho > 0 {
		copy(cs[len(old)], cs[0][:ho])
		clear(cs[0][:ho])
	}
	q.chunks, q.head, q.mask = cs, ho, 2*q.mask+1
}

// shrink fits a ring left three quarters empty to what it holds, so that
// a queue drained of a burst gives its memory back; an empty one gives
// all of it. A ring of chunks drops its empty chunks: no element moves.
func (q *deque) shrink() {
	size := q.size()
	switch {
	case q.n == 0:
		*q = deque{}
		return
	case size <= 16 || q.n > size/4:
		return
	}
	want := max(16, fit(2*q.n)) // half full at most, more than a quarter
	if want <= 1<<chunkBits || len(q.chunks) == 1 {
		q.relayout(want)
		return
	}
	chunkLen := 1 << q.bits
	hc, ho := q.head>>q.bits, q.head&(chunkLen-1)
	span := (ho + q.n + chunkLen - 1) >> q.bits // the chunks holding elements
	keep := max(want>>q.bits, fit(span))
	if keep >= len(q.chunks) {
		return
	}
	cs := make([][]elem, keep)
	for k := range cs { // the elements' chunks, then empty ones
		cs[k] = q.chunks[(hc+k)&(len(q.chunks)-1)]
	}
	q.chunks, q.head, q.mask = cs, ho, keep<<q.bits-1
}

// filter keeps the elements keep accepts (given each index and element,
// in order), in one pass, and shrinks the ring to fit.
func (q *deque) filter(keep func(i int, e *elem) bool) {
	w := 0
	for i := 0; i < q.n; i++ {
		p := q.ptr(i)
		if !keep(i, p) {
			continue
		}
		if w != i {
			q.set(w, *p)
		}
		w++
	}
	for i := w; i < q.n; i++ {
		q.set(i, elem{})
	}
	q.n = w
	q.shrink()
}

// merge merges adds (in id order, none equal to an element's) into the
// deque in one pass.
func (q *deque) merge(adds []elem) {
	n := q.n + len(adds)
	nq := alloc(fit(n))
	i, j := 0, 0
	for k := range n {
		if j == len(adds) || i < q.n && q.ptr(i).id.Less(adds[j].id) {
			*nq.ptr(k) = q.at(i)
			i++
		} else {
			*nq.ptr(k) = adds[j]
			j++
		}
	}
	nq.n = n
	*q = nq
}

// fit returns the capacity for n elements: the least power of two that
// holds them, at least 4.
func fit(n int) int {
	size := 4
	for size < n {
		size *= 2
	}
	return size
}

// insert puts e at index i, shifting the shorter side.
func (q *deque) insert(i int, e elem) {
	q.grow()
	if i < q.n-i {
		q.head = q.wrap(q.head - 1)
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
		q.head = q.wrap(q.head + 1)
	} else {
		for k := i; k < q.n-1; k++ {
			q.set(k, q.at(k+1))
		}
		q.set(q.n-1, elem{})
	}
	q.n--
	q.shrink()
}
