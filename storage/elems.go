package storage

import (
	"encoding/binary"
	"slices"
	"sort"
	"unsafe"

	"github.com/vanitydb/vanity/storage/hlc"
)

// elems holds a list's elements in id order, packed: a run of chunks,
// each a byte buffer of up to chunkEntries elements (chunkBytes or so),
// every element encoded against its chunk's base id. A pushed element
// costs its value and a few bytes, with no pointer for the collector to
// follow: held as a struct with its value in an allocation of its own, an
// element of 100 bytes took 168 (56 for its ids and string header, 112
// for the value's size class), and a million of them faulted in twice the
// pages redis-server's did (docs/decisions.md, "A list packs its
// elements").
//
// An element is found by index by walking the chunks from the nearer end,
// then the chunk's elements from its nearer end: the ends, where pushes
// and pops go, are at once; the middle of a list of millions is a walk
// over its thousands of chunks (as LINDEX's is in Redis's).
type elems struct {
	cs   []*elemChunk // cs[head:] are the chunks, in order, none empty
	head int
	n    int
	// ends holds the first and the last element's ids while known[0] and
	// known[1]: a push reads both (the position it takes, the join's
	// order), and decoding them each time was a tenth of LPUSH's time. An
	// insert at an end sets that end; a removal there forgets it.
	ends  [2]ElemID
	known [2]bool
}

// elemChunk is a run of packed elements in b[lo:hi], each an entry as
// below.
// Its free bytes lie on both sides, so that pushes at either end seldom
// move it.
type elemChunk struct {
	b      []byte
	lo, hi int
	n      int
	base   ElemID // what each element's id is encoded against
}

// An element's entry is, in order:
//   - a flags byte (entryActor, entryVS);
//   - its id's position and stamp's time less the base's, as varints;
//   - its stamp's actor as a uvarint, if not the base's (entryActor);
//   - its value register's stamp (time, actor) as uvarints, if not its
//     id's stamp (entryVS: a LIST_SET wrote it);
//   - the value's length as a uvarint, and the value;
//   - the length of all that, written backwards (backLen), so that the
//     chunk reads from its end as well as its start.
//
// A push costs its value and 6-8 bytes.
const (
	entryActor = 1 << iota
	entryVS
)

// chunkEntries and chunkBytes bound a chunk: an element joins one that
// holds fewer than chunkEntries and would then hold at most chunkBytes
// (a lone element may exceed it). Variables, so that tests can make
// chunks of a few elements.
var (
	chunkEntries = 128
	chunkBytes   = 8 << 10
)

// elemView is an element read from its chunk: v is the chunk's own bytes,
// valid until the list next changes.
type elemView struct {
	id ElemID
	vs hlc.Stamp
	v  []byte
}

// bytesOf views s's bytes, to be read only.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// view views e, its value to be read only.
func (e *elem) view() elemView { return elemView{id: e.id, vs: e.vs, v: bytesOf(e.v)} }

// header appends e's entry up to its value to dst.
func header(dst []byte, base ElemID, e elemView) []byte {
	flags := byte(0)
	if e.id.S.Actor != base.S.Actor {
		flags |= entryActor
	}
	if e.vs != e.id.S {
		flags |= entryVS
	}
	dst = append(dst, flags)
	dst = binary.AppendVarint(dst, e.id.Pos-base.Pos)
	dst = binary.AppendVarint(dst, int64(e.id.S.Time-base.S.Time))
	if flags&entryActor != 0 {
		dst = binary.AppendUvarint(dst, e.id.S.Actor)
	}
	if flags&entryVS != 0 {
		dst = binary.AppendUvarint(dst, e.vs.Time)
		dst = binary.AppendUvarint(dst, e.vs.Actor)
	}
	return binary.AppendUvarint(dst, uint64(len(e.v)))
}

// backLen is the number of bytes l takes written backwards.
func backLen(l int) int {
	n := 1
	for l >= 1<<7 {
		l >>= 7
		n++
	}
	return n
}

// putBack writes l backwards into b (backLen(l) bytes): the last byte
// holds the lowest seven bits, and each byte but the first says that
// another comes before it.
func putBack(b []byte, l int) {
	for i := len(b) - 1; i >= 0; i-- {
		b[i] = byte(l & 0x7f)
		if i > 0 {
			b[i] |= 0x80
		}
		l >>= 7
	}
}

// getBack reads the length written backwards ending at b's end, and the
// bytes it took.
func getBack(b []byte) (l, n int) {
	for shift := 0; ; shift += 7 {
		c := b[len(b)-1-n]
		l |= int(c&0x7f) << shift
		n++
		if c&0x80 == 0 {
			return l, n
		}
	}
}

// encode writes the entry of header h and value v into dst, which is
// exactly entrySize long.
func encode(dst []byte, h []byte, v []byte) {
	copy(dst, h)
	copy(dst[len(h):], v)
	putBack(dst[len(h)+len(v):], len(h)+len(v))
}

// entrySize is the size of an entry with header h and a value of n bytes.
func entrySize(h []byte, n int) int { return len(h) + n + backLen(len(h)+n) }

// decode reads the entry at b[o:], and returns it and the offset after it.
func (c *elemChunk) decode(o int) (elemView, int) {
	b := c.b
	start := o
	flags := b[o]
	o++
	dp, k := binary.Varint(b[o:])
	o += k
	dt, k := binary.Varint(b[o:])
	o += k
	e := elemView{id: ElemID{Pos: c.base.Pos + dp, S: hlc.Stamp{Time: c.base.S.Time + uint64(dt), Actor: c.base.S.Actor}}}
	if flags&entryActor != 0 {
		e.id.S.Actor, k = binary.Uvarint(b[o:])
		o += k
	}
	e.vs = e.id.S
	if flags&entryVS != 0 {
		e.vs.Time, k = binary.Uvarint(b[o:])
		o += k
		e.vs.Actor, k = binary.Uvarint(b[o:])
		o += k
	}
	l, k := binary.Uvarint(b[o:])
	o += k
	e.v = b[o : o+int(l) : o+int(l)]
	o += int(l)
	return e, o + backLen(o-start)
}

// value returns the value of the entry at b[o:] and the offset after the
// entry, reading past its ids without decoding them (a reply's read).
func (c *elemChunk) value(o int) ([]byte, int) {
	b := c.b
	start := o
	flags := b[o]
	o++
	skip := 2 // the position's and time's varints
	if flags&entryActor != 0 {
		skip++
	}
	if flags&entryVS != 0 {
		skip += 2
	}
	for ; skip > 0; o++ {
		if b[o] < 0x80 {
			skip--
		}
	}
	l, k := binary.Uvarint(b[o:])
	o += k
	end := o + int(l)
	return b[o:end:end], end + backLen(end-start)
}

// prev returns the offset of the entry that ends at offset end.
func (c *elemChunk) prev(end int) int {
	l, n := getBack(c.b[:end])
	return end - n - l
}

// offset returns where the chunk's j-th entry starts (its end for j = n),
// reading from the nearer end.
func (c *elemChunk) offset(j int) int {
	if j <= c.n/2 {
		o := c.lo
		for range j {
			_, o = c.decode(o)
		}
		return o
	}
	o := c.hi
	for range c.n - j {
		o = c.prev(o)
	}
	return o
}

// fits reports whether an entry of size bytes may join the chunk.
func (c *elemChunk) fits(size int) bool {
	return c.n < chunkEntries && c.hi-c.lo+size <= chunkBytes
}

// room makes size free bytes at offset o, moving what lies before o
// towards the front (or what lies after it towards the back), and returns
// where they start.
func (c *elemChunk) room(o, size int, front bool) int {
	if front && c.lo < size || !front && len(c.b)-c.hi < size {
		o += c.relayout(size, front)
	}
	if front {
		copy(c.b[c.lo-size:], c.b[c.lo:o])
		c.lo -= size
		return o - size
	}
	copy(c.b[o+size:], c.b[o:c.hi])
	c.hi += size
	return o
}

// relayout gives the chunk at least size free bytes at its front (or its
// back): three quarters of its free space on that side, the rest on the
// other, in a buffer twice what it then holds (within chunkBytes, unless
// one element is larger) when moving its elements would not leave a
// quarter of them free. It returns how far the elements moved.
func (c *elemChunk) relayout(size int, front bool) int {
	used := c.hi - c.lo
	b := c.b
	if len(b)-used < size+used/4 {
		if capacity := max(64, min(chunkBytes, 2*(used+size)), used+size); capacity > len(b) {
			b = make([]byte, capacity)
		}
	}
	free := len(b) - used
	side := max(size, free-free/4)
	lo := free - side
	if front {
		lo = side
	}
	copy(b[lo:], c.b[c.lo:c.hi])
	shift := lo - c.lo
	c.b, c.lo, c.hi = b, lo, lo+used
	return shift
}

// newChunk returns an empty chunk whose elements are encoded against
// base, with room for size bytes: a list's first chunk takes what its
// first element needs, later ones chunkBytes (a list that fills a chunk
// is a long one).
func newChunk(base ElemID, size int, first bool) *elemChunk {
	capacity := max(size, chunkBytes)
	if first {
		capacity = max(64, 2*size)
	}
	return &elemChunk{b: make([]byte, capacity), base: base}
}

// put writes entry e at the chunk's j-th place, moving the entries on
// the shorter side. An empty chunk takes its first entry on the side its
// free bytes are: at its start when they follow it (a chunk pushed after
// the last), at its end when they precede it (one pushed before the
// first), so that the next pushes there move nothing.
func (c *elemChunk) put(j int, e elemView) {
	var scratch [64]byte
	h := header(scratch[:0], c.base, e)
	size := entrySize(h, len(e.v))
	o := c.offset(j)
	front := o-c.lo < c.hi-o
	if c.n == 0 {
		front = c.lo > 0
	}
	o = c.room(o, size, front)
	encode(c.b[o:o+size], h, e.v)
	c.n++
}

// drop removes the chunk's j-th entry, moving its shorter side.
func (c *elemChunk) drop(j int) {
	o := c.offset(j)
	_, end := c.decode(o)
	size := end - o
	if o-c.lo < c.hi-end {
		copy(c.b[c.lo+size:], c.b[c.lo:o])
		c.lo += size
	} else {
		copy(c.b[o:], c.b[end:c.hi])
		c.hi -= size
	}
	c.n--
}

// fit gives back the memory of a chunk left three quarters empty.
func (c *elemChunk) fit() {
	if used := c.hi - c.lo; len(c.b) > 1024 && used < len(c.b)/4 {
		b := make([]byte, max(64, 2*used))
		lo := (len(b) - used) / 2
		copy(b[lo:], c.b[c.lo:c.hi])
		c.b, c.lo, c.hi = b, lo, lo+used
	}
}

// first and last return the chunk's first and last entries.
func (c *elemChunk) first() elemView { e, _ := c.decode(c.lo); return e }
func (c *elemChunk) last() elemView  { e, _ := c.decode(c.prev(c.hi)); return e }

// chunks returns the chunks in order.
func (q *elems) chunks() []*elemChunk { return q.cs[q.head:] }

// locate returns the chunk holding the list's i-th element (its index
// in q.cs) and the element's place in it, walking from the nearer end.
func (q *elems) locate(i int) (int, int) {
	if i < q.n/2 {
		for k := q.head; ; k++ {
			if c := q.cs[k]; i < c.n {
				return k, i
			} else {
				i -= c.n
			}
		}
	}
	i = q.n - 1 - i // counted from the back
	for k := len(q.cs) - 1; ; k-- {
		if c := q.cs[k]; i < c.n {
			return k, c.n - 1 - i
		} else {
			i -= c.n
		}
	}
}

// at returns the i-th element, its value a view valid until the list
// next changes.
func (q *elems) at(i int) elemView {
	k, j := q.locate(i)
	e, _ := q.cs[k].decode(q.cs[k].offset(j))
	return e
}

// firstID and lastID are the ids at the ends of a list with elements.
func (q *elems) firstID() ElemID {
	if !q.known[0] {
		q.ends[0], q.known[0] = q.cs[q.head].first().id, true
	}
	return q.ends[0]
}

func (q *elems) lastID() ElemID {
	if !q.known[1] {
		q.ends[1], q.known[1] = q.cs[len(q.cs)-1].last().id, true
	}
	return q.ends[1]
}

// search returns the index of id, or where it would be inserted: the
// chunk holding it by a binary search of their first ids, then its place
// there.
func (q *elems) search(id ElemID) (int, bool) {
	cs := q.chunks()
	k := sort.Search(len(cs), func(k int) bool { return id.Less(cs[k].first().id) }) - 1
	i := 0
	for _, c := range cs[:max(k, 0)] {
		i += c.n
	}
	if k < 0 {
		return 0, false
	}
	c := cs[k]
	for j, o := 0, c.lo; j < c.n; j++ {
		var e elemView
		e, o = c.decode(o)
		if !e.id.Less(id) {
			return i + j, e.id == id
		}
	}
	return i + c.n, false
}

// each calls fn with the elements from index from to index to, in
// order, until fn returns false.
func (q *elems) each(from, to int, fn func(i int, e elemView) bool) {
	if from > to {
		return
	}
	k, j := q.locate(from)
	c := q.cs[k]
	o := c.offset(j)
	for i := from; i <= to; i++ {
		for j == c.n {
			k++
			c, j, o = q.cs[k], 0, q.cs[k].lo
		}
		var e elemView
		e, o = c.decode(o)
		if !fn(i, e) {
			return
		}
		j++
	}
}

// eachValue calls fn with the index and value of the elements from
// index from to index to, in order, until fn returns false: a walk of the
// values alone, which decodes no element's id.
func (q *elems) eachValue(from, to int, fn func(i int, v []byte) bool) {
	to = min(to, q.n-1)
	if from > to {
		return
	}
	k, j := q.locate(from)
	c := q.cs[k]
	o := c.offset(j)
	for i := from; i <= to; i++ {
		for o == c.hi {
			k++
			c = q.cs[k]
			o = c.lo
		}
		var v []byte
		v, o = c.value(o)
		if !fn(i, v) {
			return
		}
	}
}

// indexOf returns the index of the first element from index from to
// index to whose value is v, or -1 (LIST_INSERT's pivot, LIST_POS from
// the head).
func (q *elems) indexOf(v []byte, from, to int) int {
	at := -1
	q.eachValue(from, to, func(i int, w []byte) bool {
		if string(w) == string(v) {
			at = i
			return false
		}
		return true
	})
	return at
}

// eachBack calls fn with the elements from index from down to index to,
// until fn returns false.
func (q *elems) eachBack(from, to int, fn func(i int, e elemView) bool) {
	if from < to {
		return
	}
	k, j := q.locate(from)
	c := q.cs[k]
	end := c.offset(j + 1)
	for i := from; i >= to; i-- {
		for end == c.lo {
			k--
			c = q.cs[k]
			end = c.hi
		}
		o := c.prev(end)
		e, _ := c.decode(o)
		if !fn(i, e) {
			return
		}
		end = o
	}
}

// insert puts e at index i.
func (q *elems) insert(i int, e elemView) {
	var scratch [64]byte
	size := entrySize(header(scratch[:0], e.id, e), len(e.v))
	switch {
	case q.n == 0:
		q.cs, q.head = append(q.cs[:0], newChunk(e.id, size, true)), 0
		q.cs[0].put(0, e)
	case i == q.n:
		if c := q.cs[len(q.cs)-1]; c.fits(size) {
			c.put(c.n, e)
		} else {
			c := newChunk(e.id, size, false)
			q.cs = append(q.cs, c)
			c.put(0, e)
		}
	case i == 0:
		if c := q.cs[q.head]; c.fits(size) {
			c.put(0, e)
		} else {
			c := newChunk(e.id, size, false)
			c.lo, c.hi = len(c.b), len(c.b) // pushes come to its front
			q.pushChunkFront(c)
			c.put(0, e)
		}
	default:
		k, j := q.locate(i)
		c := q.cs[k]
		if c.fits(size) {
			c.put(j, e)
			break
		}
		// A full chunk parts at j: the element goes at the end of its
		// first part if it fits there, else in a chunk of its own.
		if j > 0 {
			q.split(k, j)
			if c.fits(size) {
				c.put(j, e)
				break
			}
			k++
		}
		d := newChunk(e.id, size, true)
		q.cs = slices.Insert(q.cs, k, d)
		d.put(0, e)
	}
	if i == 0 {
		q.ends[0], q.known[0] = e.id, true
	}
	if i == q.n {
		q.ends[1], q.known[1] = e.id, true
	}
	q.n++
}

// pushChunkFront puts c before the first chunk.
func (q *elems) pushChunkFront(c *elemChunk) {
	if q.head == 0 {
		n := len(q.cs)
		cs := make([]*elemChunk, n+max(4, n), 2*n+max(4, n))
		copy(cs[max(4, n):], q.cs)
		q.cs, q.head = cs, max(4, n)
	}
	q.head--
	q.cs[q.head] = c
}

// split parts chunk k before its j-th element (0 < j < n): the rest
// go to a new chunk after it, on the same base.
func (q *elems) split(k, j int) {
	c := q.cs[k]
	o := c.offset(j)
	d := &elemChunk{b: make([]byte, max(64, 2*(c.hi-o))), base: c.base, n: c.n - j}
	d.lo = (len(d.b) - (c.hi - o)) / 2
	d.hi = d.lo + copy(d.b[d.lo:], c.b[o:c.hi])
	c.hi, c.n = o, j
	q.cs = slices.Insert(q.cs, k+1, d)
}

// remove deletes the element at index i.
func (q *elems) remove(i int) {
	if i == 0 {
		q.known[0] = false
	}
	if i == q.n-1 {
		q.known[1] = false
	}
	k, j := q.locate(i)
	c := q.cs[k]
	c.drop(j)
	q.n--
	if c.n > 0 {
		// A chunk emptied from the middle of the list gives its memory
		// back, and so does a list's only chunk; one at an end of a
		// longer list is being popped, and goes whole once empty
		// (fitting it at each quarter cost pops a tenth of their time,
		// most of it faulting in the new buffers).
		if k != q.head && k != len(q.cs)-1 || len(q.cs)-q.head == 1 {
			c.fit()
		}
		return
	}
	switch {
	case q.n == 0:
		*q = elems{}
	case k == q.head:
		q.cs[k] = nil
		q.head++
		if q.head > 16 && q.head > len(q.cs)/2 { // a queue's chunks go from its front
			q.cs = slices.Clip(append([]*elemChunk(nil), q.cs[q.head:]...))
			q.head = 0
		}
	default:
		q.cs = slices.Delete(q.cs, k, k+1)
	}
}

// filter keeps the elements keep accepts (given each index and element,
// in order), packed anew.
func (q *elems) filter(keep func(i int, e elemView) bool) {
	var w elems
	q.each(0, q.n-1, func(i int, e elemView) bool {
		if keep(i, e) {
			w.insert(w.n, e)
		}
		return true
	})
	*q = w
}

// merge merges adds (in id order, none equal to an element's) into the
// list in one pass.
func (q *elems) merge(adds []elem) {
	var w elems
	j := 0
	q.each(0, q.n-1, func(_ int, e elemView) bool {
		for ; j < len(adds) && adds[j].id.Less(e.id); j++ {
			w.insert(w.n, adds[j].view())
		}
		w.insert(w.n, e)
		return true
	})
	for ; j < len(adds); j++ {
		w.insert(w.n, adds[j].view())
	}
	*q = w
}

// footprint is the memory the list's elements take.
func (q *elems) footprint() int {
	n := cap(q.cs) * int(unsafe.Sizeof((*elemChunk)(nil)))
	for _, c := range q.chunks() {
		n += int(unsafe.Sizeof(*c)) + cap(c.b)
	}
	return n
}
