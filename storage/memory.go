package storage

import (
	"unsafe"

	"github.com/vanitydb/vanity/storage/hlc"
)

// A key's memory (KEY_MEMORY, Redis's MEMORY USAGE) is an estimate of the
// bytes its shard holds for it: the structures' sizes as the compiler lays
// them out, the bytes of its name, values and members, its slot in its
// database's key table and a map slot for each entry a map holds (with the
// spare slots: both are at most 7/8 full), its deadline's registers, and a list's or a collection's
// tombstones. It leaves out the allocator's rounding and the Go runtime's
// own headers, so the heap grows by somewhat more than the estimates it
// holds (TestKeyMemoryEstimatesTheHeap bounds by how much). It walks a
// collection's members: O(n).

// mapSlot is the bytes a map holds for one entry of a key and an element
// of the given sizes: the slot, a control byte, and the spare slots of a
// table at most 7/8 full.
func mapSlot(key, elem uintptr) int { return int((key+elem+1)*8/7) + 1 }

// keySlotBytes is what a database's key table holds for one key: its slot
// and the spare slots of a table at most 7/8 full.
var keySlotBytes = int(unsafe.Sizeof(keySlot{})*8/7) + 1

const (
	stringHeader = unsafe.Sizeof("")
	stampSize    = unsafe.Sizeof(hlc.Stamp{})
)

// keyMemory returns the estimate for key in db, and whether the shard
// holds anything for it.
func (s *Shard) keyMemory(db int, key []byte) (int, bool) {
	e, ok := s.lookup(db, key)
	if !ok {
		return 0, false
	}
	n := len(key) + keySlotBytes
	if e.val != nil {
		n += e.val.footprint()
	}
	if _, ok := s.expiry(db, string(key)); ok {
		n += mapSlot(stringHeader, unsafe.Sizeof(Expiry{})) + mapSlot(stringHeader, unsafe.Sizeof(int64(0)))
	}
	return n, true
}

func (x strVal) footprint() int {
	if x.c == nil {
		return 0
	}
	return cellHead + x.c.n
}

func (x *counter[N]) footprint() int {
	n := int(unsafe.Sizeof(*x))
	slot := int(unsafe.Sizeof(cslot[N]{}))
	if len(x.slots) > 1 || len(x.absorbed) > 1 { // past the inline pair: slices of their own
		n += slot * (cap(x.slots) + cap(x.absorbed))
	}
	return n
}

func (x *memberMap) footprint() int {
	n := int(unsafe.Sizeof(*x))
	for _, c := range x.names.chunks { // the list of names, a string header each
		n += cap(c) * int(stringHeader)
	}
	live := int(unsafe.Sizeof(tslot[mstate]{})*8/7) + 1 // a slot of the live members' table
	for name, m := range x.m.all() {
		n += live + len(name) + len(m.v)
	}
	dead := mapSlot(stringHeader, stampSize)
	for name := range x.dead {
		n += dead + len(name)
	}
	return n
}

func (x *listVal) footprint() int {
	return int(unsafe.Sizeof(*x)) + x.elems.footprint() + x.tombs.footprint()
}

func (t *tombSet) footprint() int {
	n := cap(t.tail)*int(unsafe.Sizeof(Tomb{})) + len(t.recent)*mapSlot(unsafe.Sizeof(ElemID{}), stampSize)
	for _, b := range t.blocks {
		n += int(unsafe.Sizeof(b)) + cap(b.b)
	}
	return n
}

func (x *multi) footprint() int {
	n := int(unsafe.Sizeof(*x))
	for _, v := range x.vals {
		n += int(unsafe.Sizeof(v)) + v.footprint()
	}
	return n
}
