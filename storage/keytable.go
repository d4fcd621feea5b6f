package storage

import (
	"hash/maphash"
	"iter"
	"math/bits"
	"unsafe"
)

// keyTable is one database's keys in a shard: an open-addressing hash
// table probed linearly, each slot holding the key's hash, the key and its
// entry side by side. A lookup starts at the slot its hash names and finds
// the hash, the key's header and the entry in one place: one miss to
// memory where Go's map takes two before the key's bytes (its group's
// control word, then the slot), which is most of a command's time on a
// large shard (docs/decisions.md, "A shard's keys are a table of our
// own").
//
// The hash is maphash's with a seed of the process's own (the runtime's
// map hash), so that keys chosen to collide in one process collide in no
// other. A removed key leaves a deleted mark where a later slot of its
// run needs it (probes walk past it), or an empty slot at a run's end;
// the marks go when the table is rebuilt, at a growth.
//
// Ranging over the table (all) yields every key once; the loop may store
// a new entry for the key it is at (put of a key present never moves
// one) or delete any key, but not add keys. The zero table is empty.
type keyTable struct {
	slots []keySlot
	live  int // keys stored
	used  int // slots not empty: keys and deleted marks
}

type keySlot struct {
	hash uint64 // slotEmpty, slotDeleted, or the key's hash (never either)
	key  string
	e    entry
}

const (
	slotEmpty   = 0
	slotDeleted = 1
)

var keySeed = maphash.MakeSeed()

// keyHash is key's hash, kept clear of the two marks.
func keyHash(key string) uint64 {
	h := maphash.String(keySeed, key)
	if h <= slotDeleted {
		h += 2
	}
	return h
}

// len returns the number of keys stored.
func (t *keyTable) len() int { return t.live }

// find returns the index of key's slot, or -1.
func (t *keyTable) find(key string) int {
	if t.live == 0 {
		return -1
	}
	h := keyHash(key)
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == h && s.key == key {
			return int(i)
		}
		if s.hash == slotEmpty {
			return -1
		}
	}
}

// get returns key's entry (a copy) and whether the table holds key. The
// table reads key's bytes during the call only.
func (t *keyTable) get(key []byte) (entry, bool) {
	return t.getString(unsafe.String(unsafe.SliceData(key), len(key)))
}

// getString is get for a key held as a string.
func (t *keyTable) getString(key string) (entry, bool) {
	if i := t.find(key); i >= 0 {
		return t.slots[i].e, true
	}
	return entry{}, false
}

// has reports whether the table holds key.
func (t *keyTable) has(key string) bool { return t.find(key) >= 0 }

// put stores e as key's entry. A key not held yet is stored as given:
// the table keeps the string, so the caller must not change its bytes.
func (t *keyTable) put(key string, e entry) {
	h := keyHash(key)
	if t.slots != nil {
		mask := uint64(len(t.slots) - 1)
		free := -1
		for i := h & mask; ; i = (i + 1) & mask {
			s := &t.slots[i]
			if s.hash == h && s.key == key {
				s.e = e
				return
			}
			if s.hash == slotDeleted && free < 0 {
				free = int(i)
			}
			if s.hash == slotEmpty {
				if free >= 0 { // reuse the first deleted mark of the run
					t.slots[free] = keySlot{hash: h, key: key, e: e}
					t.live++
					return
				}
				break
			}
		}
	}
	if (t.used+1)*8 > len(t.slots)*7 {
		t.rebuild(t.live + 1)
	}
	t.insert(h, key, e)
	t.live++
	t.used++
}

// insert stores a key known to be absent in the first free slot of its run
// (the caller counts it).
func (t *keyTable) insert(h uint64, key string, e entry) {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		if t.slots[i].hash == slotEmpty {
			t.slots[i] = keySlot{hash: h, key: key, e: e}
			return
		}
	}
}

// rebuild moves every key to a new array, the least power of two at most
// half full with n keys, dropping the deleted marks: a table full of keys
// doubles, one full of marks keeps its size or shrinks.
func (t *keyTable) rebuild(n int) {
	size := max(8, 1<<bits.Len(uint(2*n-1)))
	old := t.slots
	t.slots = make([]keySlot, size)
	t.used = t.live
	for i := range old {
		if s := &old[i]; s.hash > slotDeleted {
			t.insert(s.hash, s.key, s.e)
		}
	}
}

// del removes key, if held.
func (t *keyTable) del(key string) {
	if i := t.find(key); i >= 0 {
		t.delAt(i)
	}
}

// clear removes every key, keeping the table's room.
func (t *keyTable) clear() {
	clear(t.slots)
	t.live, t.used = 0, 0
}

// release removes every key and gives the table's room back.
func (t *keyTable) release() { *t = keyTable{} }

// all yields every key and a copy of its entry (see keyTable for what the
// loop may change).
func (t *keyTable) all() iter.Seq2[string, entry] {
	return func(yield func(string, entry) bool) {
		for i := 0; i < len(t.slots); i++ {
			if s := &t.slots[i]; s.hash > slotDeleted && !yield(s.key, s.e) {
				return
			}
		}
	}
}

// at returns the entry in slot i (from find), to change in place until the
// next put or del.
func (t *keyTable) at(i int) *entry { return &t.slots[i].e }

// delAt removes the key in slot i (from find).
func (t *keyTable) delAt(i int) {
	mask := len(t.slots) - 1
	if t.slots[(i+1)&mask].hash == slotEmpty {
		t.slots[i] = keySlot{} // the run ends here: no probe needs to walk past it
		t.used--
	} else {
		t.slots[i] = keySlot{hash: slotDeleted}
	}
	t.live--
}
