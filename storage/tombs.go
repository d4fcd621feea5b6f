package storage

import (
	"cmp"
	"encoding/binary"
	"slices"
	"sort"

	"github.com/vanitydb/vanity/storage/hlc"
)

// tombSet holds a list's tombstones: the id of each removed element with
// the stamp of its removal. A replica keeps them for the tombstone grace,
// so a queue keeps one per pop for that long (48 hours by default): at 63
// bytes each in a map, a queue popping 1,000 elements a second held 11 GB
// of them. Tombstones added lately stay in a map; once they are many, they
// are packed with the rest into blocks, in the order their elements were
// pushed (bornCompare) and delta-encoded (a queue's ids and stamps come
// close together: 5-12 bytes each, the waiting ones included), which a
// lookup binary-searches and decodes one block of. A queue pops its
// elements in the order they were pushed, so its new tombstones come after
// every packed one: they are packed onto the end, and looking up a new
// element or tombstone stops at the last packed one. Tombstones out of
// that order make everything be packed anew.
type tombSet struct {
	// The tombstones added since the last pack: in tail while each came
	// after the one before and every packed one (bornCompare), a queue's
	// way; otherwise in recent, tail then empty. Either overrides packed.
	tail   []Tomb
	recent map[ElemID]hlc.Stamp
	blocks []tombBlock // the packed tombstones, in bornCompare's order
	last   ElemID      // the last id packed
	n      int         // tombstones packed, those recent overrides included
	over   int         // tombstones packed that recent overrides
}

// tombBlock is up to packBlock packed tombstones (tombWriter) and the
// first one's id.
type tombBlock struct {
	first ElemID
	minR  hlc.Stamp // the earliest removal among them: a purge skips a block with none to drop
	b     []byte
}

// packBlock is the number of tombstones in a block: a lookup decodes up to
// this many.
const packBlock = 64

// packMin is the number of recent tombstones at which they are packed,
// at least (and an eighth of the packed ones, so that packing costs a few
// decodes and encodes a tombstone): lists with fewer pack none.
var packMin = 512

func (t *tombSet) len() int { return len(t.tail) + len(t.recent) + t.n - t.over }

// get returns the stamp of id's tombstone, if there is one.
func (t *tombSet) get(id ElemID) (hlc.Stamp, bool) {
	if t.recent != nil {
		if s, ok := t.recent[id]; ok {
			return s, true
		}
	} else if i, ok := t.inTail(id); ok {
		return t.tail[i].S, true
	}
	return t.packedGet(id)
}

// inTail returns where id is, or would go, in tail.
func (t *tombSet) inTail(id ElemID) (int, bool) {
	if n := len(t.tail); n == 0 || bornCompare(t.tail[n-1].ID, id) < 0 {
		return n, false
	}
	return slices.BinarySearchFunc(t.tail, id, func(x Tomb, id ElemID) int { return bornCompare(x.ID, id) })
}

// put sets id's tombstone to stamp s.
func (t *tombSet) put(id ElemID, s hlc.Stamp) {
	if t.recent == nil {
		i, found := t.inTail(id)
		switch {
		case found:
			t.tail[i].S = s
			return
		case i == len(t.tail) && (t.n == 0 || bornCompare(t.last, id) < 0):
			t.tail = append(t.tail, Tomb{ID: id, S: s})
			t.packIfMany()
			return
		}
		// Out of order: recent takes over from tail.
		t.recent = make(map[ElemID]hlc.Stamp, len(t.tail)+1)
		for _, x := range t.tail {
			t.recent[x.ID] = x.S
		}
		t.tail = nil
	}
	if _, ok := t.recent[id]; !ok && t.n > 0 {
		if _, ok := t.packedGet(id); ok {
			t.over++
		}
	}
	t.recent[id] = s
	t.packIfMany()
}

func (t *tombSet) packIfMany() {
	if len(t.tail)+len(t.recent) >= max(packMin, t.n/8) {
		t.pack(nil)
	}
}

// packOnto packs the recent tombstones after the packed ones when they
// all come after them (tail does), and reports whether it did.
func (t *tombSet) packOnto() bool {
	if t.n == 0 {
		return false
	}
	rec := t.tail
	if t.recent != nil {
		rec = make([]Tomb, 0, len(t.recent))
		for id, s := range t.recent {
			if bornCompare(t.last, id) >= 0 {
				return false
			}
			rec = append(rec, Tomb{ID: id, S: s})
		}
		slices.SortFunc(rec, func(a, b Tomb) int { return bornCompare(a.ID, b.ID) })
	}
	var w tombWriter
	for _, x := range rec {
		w.add(x.ID, x.S)
	}
	t.blocks = append(t.blocks, w.blocks()...)
	t.last, t.n = w.last, t.n+w.n
	t.tail, t.recent = nil, nil
	return true
}

// filter removes the tombstones drop reports, calls gone with each, and
// returns how many it removed. drop must change nothing (it is asked
// again when the tombstones are packed anew); a pass that removes nothing
// leaves the packed ones as they are.
func (t *tombSet) filter(drop func(id ElemID, s hlc.Stamp) bool, gone func(id ElemID, s hlc.Stamp)) int {
	removed := 0
	if t.n == 0 {
		for id, s := range t.recent {
			if drop(id, s) {
				gone(id, s)
				delete(t.recent, id)
				removed++
			}
		}
		return removed + t.filterTail(drop, gone)
	}
	t.merged(func(id ElemID, s hlc.Stamp) {
		if drop(id, s) {
			gone(id, s)
			removed++
		}
	})
	if removed > 0 {
		t.pack(func(id ElemID, s hlc.Stamp) bool { return !drop(id, s) })
	}
	return removed
}

// filterTail removes the tail's tombstones drop reports, calls gone with
// each, and returns how many it removed.
func (t *tombSet) filterTail(drop func(id ElemID, s hlc.Stamp) bool, gone func(id ElemID, s hlc.Stamp)) int {
	removed := 0
	t.tail = slices.DeleteFunc(t.tail, func(x Tomb) bool {
		if drop(x.ID, x.S) {
			gone(x.ID, x.S)
			removed++
			return true
		}
		return false
	})
	return removed
}

// purge removes the tombstones of removals before horizon, calls gone
// with each, and returns how many it removed. While no recent tombstone
// overrides a packed one (tail holds them), it decodes and packs anew
// only the blocks with a removal before horizon: a queue's oldest.
func (t *tombSet) purge(horizon hlc.Stamp, gone func(id ElemID, s hlc.Stamp)) int {
	drop := func(_ ElemID, s hlc.Stamp) bool { return s.Less(horizon) }
	if t.recent != nil || t.n == 0 {
		return t.filter(drop, gone)
	}
	removed := t.filterTail(drop, gone)
	fromTail := removed
	kept := t.blocks[:0] // each block gives at most one back, in its place
	for _, blk := range t.blocks {
		if !blk.minR.Less(horizon) {
			kept = append(kept, blk)
			continue
		}
		var w tombWriter
		r := tombReader{b: blk.b}
		for r.more() {
			if id, s := r.next(); drop(id, s) {
				gone(id, s)
				removed++
			} else {
				w.add(id, s)
			}
		}
		kept = append(kept, w.blocks()...)
	}
	clear(t.blocks[len(kept):])
	t.blocks = kept
	// last stays: no packed id comes after it, which is what lookups
	// and tail need of it.
	if t.n -= removed - fromTail; t.n == 0 {
		t.blocks, t.last = nil, ElemID{}
	}
	return removed
}

// each calls fn for every tombstone, in no order.
func (t *tombSet) each(fn func(id ElemID, s hlc.Stamp)) {
	if t.n == 0 {
		for id, s := range t.recent {
			fn(id, s)
		}
		for _, x := range t.tail {
			fn(x.ID, x.S)
		}
		return
	}
	t.merged(fn)
}

// appendInOrder appends every tombstone to dst in bornCompare's order:
// the order they are packed in, so a list's state lists them without a
// sort, and a replica taking that state packs them onto the end.
func (t *tombSet) appendInOrder(dst []Tomb) []Tomb {
	t.merged(func(id ElemID, s hlc.Stamp) {
		dst = append(dst, Tomb{ID: id, S: s})
	})
	return dst
}

// bornCompare orders element ids by the push that made them, then by
// position: the order tombstones are packed in.
func bornCompare(a, b ElemID) int {
	if c := a.S.Compare(b.S); c != 0 {
		return c
	}
	return cmp.Compare(a.Pos, b.Pos)
}

// merged calls fn for every tombstone in bornCompare's order: the packed
// ones and the recent ones together, a recent one in place of a packed
// one with its id.
func (t *tombSet) merged(fn func(id ElemID, s hlc.Stamp)) {
	rec := t.tail
	if t.recent != nil {
		rec = make([]Tomb, 0, len(t.recent))
		for id, s := range t.recent {
			rec = append(rec, Tomb{ID: id, S: s})
		}
		slices.SortFunc(rec, func(a, b Tomb) int { return bornCompare(a.ID, b.ID) })
	}
	i := 0
	t.eachPacked(func(id ElemID, s hlc.Stamp) {
		for i < len(rec) && bornCompare(rec[i].ID, id) < 0 {
			fn(rec[i].ID, rec[i].S)
			i++
		}
		if i < len(rec) && rec[i].ID == id {
			return // overridden: it comes from rec below
		}
		fn(id, s)
	})
	for ; i < len(rec); i++ {
		fn(rec[i].ID, rec[i].S)
	}
}

// pack encodes every tombstone keep accepts (nil: all) into new blocks
// and empties recent; when fewer than packMin remain, they go back to a
// map instead.
func (t *tombSet) pack(keep func(id ElemID, s hlc.Stamp) bool) {
	if keep == nil && t.packOnto() {
		return
	}
	var w tombWriter
	t.merged(func(id ElemID, s hlc.Stamp) {
		if keep == nil || keep(id, s) {
			w.add(id, s)
		}
	})
	packed := tombSet{blocks: w.blocks(), last: w.last, n: w.n}
	if w.n >= packMin {
		*t = packed
		return
	}
	few := make(map[ElemID]hlc.Stamp, w.n)
	packed.eachPacked(func(id ElemID, s hlc.Stamp) { few[id] = s })
	*t = tombSet{recent: few}
}

// packedGet looks id up among the packed tombstones, overridden ones
// included.
func (t *tombSet) packedGet(id ElemID) (hlc.Stamp, bool) {
	if t.n == 0 || bornCompare(t.last, id) < 0 || bornCompare(id, t.blocks[0].first) < 0 {
		return hlc.Stamp{}, false
	}
	b := sort.Search(len(t.blocks), func(i int) bool { return bornCompare(id, t.blocks[i].first) < 0 }) - 1
	r := tombReader{b: t.blocks[b].b}
	for r.more() {
		got, s := r.next()
		switch bornCompare(got, id) {
		case 0:
			return s, true
		case 1:
			return hlc.Stamp{}, false
		}
	}
	return hlc.Stamp{}, false
}

// eachPacked calls fn for every packed tombstone in bornCompare's order.
func (t *tombSet) eachPacked(fn func(id ElemID, s hlc.Stamp)) {
	for _, blk := range t.blocks {
		r := tombReader{b: blk.b}
		for r.more() {
			fn(r.next())
		}
	}
}

// A packed tombstone is a flags byte, then its fields as differences
// from the tombstone before it in its block (the first from zero):
//
//	pos      zigzag varint: Pos minus the one before
//	born     varint: the id's S.Time minus the one before (as zigzag)
//	actor    uvarint, unless flagSameBorn: the id's S.Actor is the one before's
//	removed  zigzag varint: the removal's Time minus the id's S.Time
//	ractor   uvarint, unless flagRemovedByBorn (the removal's actor is the
//	         id's S.Actor) or flagRemovedSame (it is the one before's)
const (
	flagSameBorn = 1 << iota
	flagRemovedByBorn
	flagRemovedSame
)

// tombWriter encodes tombstones, given in bornCompare's order, into blocks.
type tombWriter struct {
	buf   []byte
	index []tombBlock // each block's first id
	offs  []int       // and its offset in buf
	last  ElemID
	n     int
	prev  ElemID    // the last id written in the block
	prevR hlc.Stamp // and its removal's stamp
}

func (w *tombWriter) add(id ElemID, s hlc.Stamp) {
	if w.n%packBlock == 0 {
		w.index = append(w.index, tombBlock{first: id, minR: s})
		w.offs = append(w.offs, len(w.buf))
		w.prev, w.prevR = ElemID{}, hlc.Stamp{}
	}
	if blk := &w.index[len(w.index)-1]; s.Less(blk.minR) {
		blk.minR = s
	}
	var flags byte
	if id.S.Actor == w.prev.S.Actor {
		flags |= flagSameBorn
	}
	switch s.Actor {
	case id.S.Actor:
		flags |= flagRemovedByBorn
	case w.prevR.Actor:
		flags |= flagRemovedSame
	}
	w.buf = append(w.buf, flags)
	w.buf = binary.AppendVarint(w.buf, id.Pos-w.prev.Pos)
	w.buf = binary.AppendVarint(w.buf, int64(id.S.Time-w.prev.S.Time))
	if flags&flagSameBorn == 0 {
		w.buf = binary.AppendUvarint(w.buf, id.S.Actor)
	}
	w.buf = binary.AppendVarint(w.buf, int64(s.Time-id.S.Time))
	if flags&(flagRemovedByBorn|flagRemovedSame) == 0 {
		w.buf = binary.AppendUvarint(w.buf, s.Actor)
	}
	w.prev, w.prevR, w.last = id, s, id
	w.n++
}

// blocks returns what add was given, as blocks sharing one array.
func (w *tombWriter) blocks() []tombBlock {
	for i := range w.index {
		end := len(w.buf)
		if i+1 < len(w.offs) {
			end = w.offs[i+1]
		}
		w.index[i].b = w.buf[w.offs[i]:end:end]
	}
	return w.index
}

// tombReader decodes one block that tombWriter wrote (the blocks come
// from this process's own encoding, so they are well formed).
type tombReader struct {
	b     []byte
	off   int
	prev  ElemID
	prevR hlc.Stamp
}

func (r *tombReader) more() bool { return r.off < len(r.b) }

func (r *tombReader) next() (ElemID, hlc.Stamp) {
	flags := r.b[r.off]
	r.off++
	id := ElemID{Pos: r.prev.Pos + r.varint(), S: hlc.Stamp{Time: r.prev.S.Time + uint64(r.varint()), Actor: r.prev.S.Actor}}
	if flags&flagSameBorn == 0 {
		id.S.Actor = r.uvarint()
	}
	s := hlc.Stamp{Time: id.S.Time + uint64(r.varint())}
	switch {
	case flags&flagRemovedByBorn != 0:
		s.Actor = id.S.Actor
	case flags&flagRemovedSame != 0:
		s.Actor = r.prevR.Actor
	default:
		s.Actor = r.uvarint()
	}
	r.prev, r.prevR = id, s
	return id, s
}

func (r *tombReader) varint() int64 {
	v, n := binary.Varint(r.b[r.off:])
	r.off += n
	return v
}

func (r *tombReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b[r.off:])
	r.off += n
	return v
}
