package storage

import (
	"hash/maphash"
	"iter"
	"math/bits"
	"unsafe"
)

// table is an open-addressing hash table from strings, probed linearly,
// each slot holding the key's hash, the key and its value side by side. A
// lookup starts at the slot its hash names and finds the hash, the key's
// header and the value in one place: one miss to memory where Go's map
// takes two before the key's bytes (its group's control word, then the
// slot), which is most of a command's time on a large shard
// (docs/decisions.md, "A shard's keys are a table of our own"). A
// database's keys are one (keyTable), a set's or hash's live members
// another (memberMap.m).
//
// The hash is maphash's with a seed of the process's own (the runtime's
// map hash), so that keys chosen to collide in one process collide in no
// other. A removed key leaves a deleted mark where a later slot of its
// run needs it (probes walk past it), or an empty slot at a run's end;
// the marks go when the table is rebuilt, at a growth.
//
// Ranging over the table (all) yields every key once; the loop may store
// a new value for the key it is at (put of a key present never moves
// one) or delete any key, but not add keys. The zero table is empty.
type table[V any] struct {
	slots []tslot[V]
	live  int // keys stored
	used  int // slots not empty: keys and deleted marks
}

// keyTable is one database's keys in a shard, each with its entry.
type keyTable = table[entry]

// tslot is one slot of a table.
type tslot[V any] struct {
	hash uint64 // slotEmpty, slotDeleted, or the key's hash (never either)
	key  string
	v    V
}

// keySlot is a slot of a database's key table.
type keySlot = tslot[entry]

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
func (t *table[V]) len() int { return t.live }

// find returns the index of key's slot, or -1.
func (t *table[V]) find(key string) int {
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

// get returns what the table holds for key (a copy) and whether it holds
// key. The table reads key's bytes during the call only.
func (t *table[V]) get(key []byte) (V, bool) {
	return t.getString(unsafe.String(unsafe.SliceData(key), len(key)))
}

// getString is get for a key held as a string.
func (t *table[V]) getString(key string) (V, bool) {
	if i := t.find(key); i >= 0 {
		return t.slots[i].v, true
	}
	var zero V
	return zero, false
}

// has reports whether the table holds key.
func (t *table[V]) has(key string) bool { return t.find(key) >= 0 }

// put stores v for key. A key not held yet is stored as given: the table
// keeps the string, so the caller must not change its bytes.
func (t *table[V]) put(key string, v V) {
	h := keyHash(key)
	if t.slots != nil {
		mask := uint64(len(t.slots) - 1)
		free := -1
		for i := h & mask; ; i = (i + 1) & mask {
			s := &t.slots[i]
			if s.hash == h && s.key == key {
				s.v = v
				return
			}
			if s.hash == slotDeleted && free < 0 {
				free = int(i)
			}
			if s.hash == slotEmpty {
				if free >= 0 { // reuse the first deleted mark of the run
					t.slots[free] = tslot[V]{hash: h, key: key, v: v}
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
	t.insert(h, key, v)
	t.live++
	t.used++
}

// insert stores a key known to be absent in the first free slot of its run
// (the caller counts it).
func (t *table[V]) insert(h uint64, key string, v V) {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		if t.slots[i].hash == slotEmpty {
			t.slots[i] = tslot[V]{hash: h, key: key, v: v}
			return
		}
	}
}

// rebuild moves every key to a new array, the least power of two at most
// half full with n keys, dropping the deleted marks: a table full of keys
// doubles, one full of marks keeps its size or shrinks.
func (t *table[V]) rebuild(n int) {
	size := max(8, 1<<bits.Len(uint(2*n-1)))
	old := t.slots
	t.slots = make([]tslot[V], size)
	t.used = t.live
	for i := range old {
		if s := &old[i]; s.hash > slotDeleted {
			t.insert(s.hash, s.key, s.v)
		}
	}
}

// del removes key, if held.
func (t *table[V]) del(key string) {
	if i := t.find(key); i >= 0 {
		t.delAt(i)
	}
}

// clear removes every key, keeping the table's room.
func (t *table[V]) clear() {
	clear(t.slots)
	t.live, t.used = 0, 0
}

// release removes every key and gives the table's room back.
func (t *table[V]) release() { *t = table[V]{} }

// all yields every key and a copy of what the table holds for it (see
// table for what the loop may change).
func (t *table[V]) all() iter.Seq2[string, V] {
	return func(yield func(string, V) bool) {
		for i := 0; i < len(t.slots); i++ {
			if s := &t.slots[i]; s.hash > slotDeleted && !yield(s.key, s.v) {
				return
			}
		}
	}
}

// at returns what slot i (from find) holds, to change in place until the
// next put or del.
func (t *table[V]) at(i int) *V { return &t.slots[i].v }

// delAt removes the key in slot i (from find).
func (t *table[V]) delAt(i int) {
	mask := len(t.slots) - 1
	if t.slots[(i+1)&mask].hash == slotEmpty {
		t.slots[i] = tslot[V]{} // the run ends here: no probe needs to walk past it
		t.used--
	} else {
		t.slots[i] = tslot[V]{hash: slotDeleted}
	}
	t.live--
}
