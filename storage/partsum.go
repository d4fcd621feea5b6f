package storage

import (
	"github.com/cespare/xxhash/v2"
	"github.com/vanitydb/vanity/storage/hlc"
)

// A set, hash or list keeps the sum of its parts' hashes (memberMap.sum,
// listVal.sum): each member or field with its stamp, each list element
// with its value register, each tombstone. A sum does not depend on the
// order parts came in, and a change of one part adds its new hash and
// takes its old one away, so it is kept as the value changes at the cost
// of one hash per part changed. A digest read (AppendStateDigest) compares
// replicas' copies of a key by it, in time that does not grow with the
// collection. Equal parts give equal sums; different parts give different
// sums but with the chance of a 64-bit collision.

// memberSum is the hash of one live member (or field) and its state.
func memberSum(name string, st mstate) uint64 {
	h := mix(xxhash.Sum64String(name) ^ st.s.Time)
	h = mix(h ^ st.s.Actor)
	if st.v != "" {
		h = mix(h ^ xxhash.Sum64String(st.v))
	}
	return mix(h ^ partMember)
}

// deadSum is the hash of one removed member (or field), removed at s.
func deadSum(name string, s hlc.Stamp) uint64 {
	h := mix(xxhash.Sum64String(name) ^ s.Time)
	h = mix(h ^ s.Actor)
	h = mix(h ^ partDead)
	return mix(h ^ partMember)
}

// elemSum is the hash of one list element and its value register.
func elemSum(e elemView) uint64 {
	h := mix(uint64(e.id.Pos) ^ e.id.S.Time)
	h = mix(h ^ e.id.S.Actor)
	h = mix(h ^ e.vs.Time)
	h = mix(h ^ e.vs.Actor)
	return mix(h ^ xxhash.Sum64(e.v) ^ partElem)
}

// tombSum is the hash of one list tombstone.
func tombSum(id ElemID, s hlc.Stamp) uint64 {
	h := mix(uint64(id.Pos) ^ id.S.Time)
	h = mix(h ^ id.S.Actor)
	h = mix(h ^ s.Time)
	h = mix(h ^ s.Actor)
	return mix(h ^ partTomb)
}

// Marks that keep the hashes of different kinds of part apart.
const (
	partMember = 0x6d656d6265720001
	partDead   = 0x6465616400000002
	partElem   = 0x656c656d00000003
	partTomb   = 0x746f6d6200000004
)

// mix is a bijective 64-bit finalizer (splitmix64's): chaining it over a
// part's fields, each folded in by xor, changes the result whenever one
// field does.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}
