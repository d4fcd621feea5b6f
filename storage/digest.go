package storage

import (
	"encoding/binary"
	"slices"

	"github.com/cespare/xxhash/v2"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// DigestLeaves is the number of leaves of a shard's digest.
const DigestLeaves = 256

// Digest is a two-level hash tree of a shard's content, which replicas
// compare to find what differs between their copies of a partition without
// sending it (anti-entropy). Every key belongs to one of DigestLeaves
// buckets by the hash of its database and name; a leaf is the sum of the
// hashes of its bucket's key states, so it does not depend on the order the
// keys are visited in; the root hashes the leaves. Equal shards have equal
// digests; a difference in one key changes one leaf and the root.
//
// A digest leaves out tombstones written before the horizon it is computed
// for: Purge removes those, and replicas purge at slightly different times,
// so they must not count as differences (see Purge).
type Digest [DigestLeaves]uint64

// Root hashes the leaves.
func (dg *Digest) Root() uint64 {
	var buf [DigestLeaves * 8]byte
	for i, l := range dg {
		binary.LittleEndian.PutUint64(buf[i*8:], l)
	}
	return xxhash.Sum64(buf[:])
}

// Bucket returns the digest bucket of key in database db.
func Bucket(db int, key string) int {
	h := xxhash.Sum64String(key) ^ uint64(db+1)*0x9e3779b97f4a7c15
	h ^= h >> 29
	h *= 0xbf58476d1ce4e5b9
	return int(h >> 56)
}

// Digest computes the shard's digest, leaving out tombstones written
// before horizon.
func (s *Shard) Digest(horizon hlc.Stamp) *Digest {
	dg := new(Digest)
	var buf []byte
	var d Delta
	for db := range s.dbs {
		if !s.dbReset[db].IsZero() {
			// A database reset is one stamp, never purged: hash it into
			// the bucket of the empty key.
			d = Delta{DB: uint8(db), DBWide: true, Reset: s.dbReset[db]}
			buf = AppendCanonical(buf[:0], &d)
			dg[Bucket(db, "")] += xxhash.Sum64(buf)
		}
		for key, e := range s.dbs[db].all() {
			s.stateInto(&d, db, key, &e, byName)
			if !d.canonical(horizon) {
				continue
			}
			buf = AppendCanonical(buf[:0], &d)
			dg[Bucket(db, key)] += xxhash.Sum64(buf)
		}
	}
	return dg
}

// EachIn calls fn with the state of every key in the given buckets, and of
// every database reset whose bucket is among them, as Each does. Keys that
// hold nothing but tombstones written before horizon are left out.
func (s *Shard) EachIn(buckets *[DigestLeaves]bool, horizon hlc.Stamp, fn func(d *Delta) bool) {
	var d Delta
	for db := range s.dbs {
		if !s.dbReset[db].IsZero() && buckets[Bucket(db, "")] {
			d = Delta{DB: uint8(db), DBWide: true, Reset: s.dbReset[db]}
			if !fn(&d) {
				return
			}
		}
		for key, e := range s.dbs[db].all() {
			if !buckets[Bucket(db, key)] {
				continue
			}
			s.stateInto(&d, db, key, &e, byName)
			if !d.survives(horizon) {
				continue
			}
			if !fn(&d) {
				return
			}
		}
	}
}

// canonical rewrites a key's state into the form its digest hashes: the
// tombstones written before horizon removed, as Purge would remove them,
// and the values of several types in kind order (their order in an entry
// depends on arrival). It reports false when nothing is left.
func (d *Delta) canonical(horizon hlc.Stamp) bool {
	if len(d.More) == 0 { // one type or none: nothing to sort, no slice
		if v := d.Val; v.Kind != proto.TypeNone && v.purge(horizon) {
			d.Val = v
		} else {
			d.Val = ValDelta{}
		}
		return d.Val.Kind != proto.TypeNone || !d.Reset.Less(horizon) || !d.Exp.S.Less(horizon)
	}
	vals := make([]ValDelta, 0, 1+len(d.More))
	if d.Val.Kind != proto.TypeNone {
		vals = append(vals, d.Val)
	}
	vals = append(vals, d.More...)
	kept := vals[:0]
	for _, v := range vals {
		if v.purge(horizon) {
			kept = append(kept, v)
		}
	}
	slices.SortFunc(kept, func(a, b ValDelta) int { return int(a.Kind) - int(b.Kind) })
	d.Val, d.More = ValDelta{}, nil
	if len(kept) > 0 {
		d.Val = kept[0]
		d.More = kept[1:]
	}
	if len(kept) == 0 && d.Reset.Less(horizon) && d.Exp.S.Less(horizon) {
		return false
	}
	return true
}

// survives reports whether anything of a key's state is left once the
// tombstones written before horizon are removed; it does not change d.
func (d *Delta) survives(horizon hlc.Stamp) bool {
	if !d.Reset.Less(horizon) || !d.Exp.S.Less(horizon) {
		return true
	}
	live := func(v *ValDelta) bool {
		switch v.Kind {
		case proto.TypeNone:
			return false
		case proto.TypeSet, proto.TypeHash:
			return slices.ContainsFunc(v.Members, func(m Member) bool { return !m.Dead || !m.S.Less(horizon) })
		case proto.TypeList:
			return len(v.Elems) > 0 || slices.ContainsFunc(v.Tombs, func(t Tomb) bool { return !t.S.Less(horizon) })
		}
		return true
	}
	if live(&d.Val) {
		return true
	}
	for i := range d.More {
		if live(&d.More[i]) {
			return true
		}
	}
	return false
}

// purge removes v's tombstones written before horizon and reports whether
// anything is left; it mirrors the values' purge methods.
func (v *ValDelta) purge(horizon hlc.Stamp) bool {
	switch v.Kind {
	case proto.TypeSet, proto.TypeHash:
		v.Members = slices.DeleteFunc(v.Members, func(m Member) bool { return m.Dead && m.S.Less(horizon) })
		return len(v.Members) > 0
	case proto.TypeList:
		v.Tombs = slices.DeleteFunc(v.Tombs, func(t Tomb) bool { return t.S.Less(horizon) })
		return len(v.Elems) > 0 || len(v.Tombs) > 0
	}
	return true
}

// Purge removes the tombstones written before horizon: removed set members
// and hash fields, removed list elements, and keys that hold nothing but
// their deletion. It returns how many it removed. A tombstone exists so
// that an older write arriving late cannot bring back what it removed;
// once every replica has seen it and no delta older than it can still
// arrive (hints and repairs are bounded by the reap timeout, and the
// horizon is further back than that), it only costs memory.
func (s *Shard) Purge(horizon hlc.Stamp) int {
	if !s.keep {
		return 0
	}
	n := 0
	for db := range s.dbs {
		m := &s.dbs[db]
		for key, e := range m.all() {
			was := e.val
			n += e.purge(horizon) // tombstones and hollow values: what a reader sees stays (Shard.shown)
			if e.val != was {
				m.put(key, e)
			}
			if x, _ := s.expiry(db, key); e.val == nil && e.reset.Less(horizon) && x.S.Less(horizon) {
				m.del(key)
				delete(s.exps[db], key)
				if s.volatile[db] != nil {
					delete(s.volatile[db], key)
				}
				n++
			}
		}
		if m.len() == 0 {
			m.release()
			s.exps[db] = nil
			s.volatile[db] = nil
		}
	}
	return n
}

// purge removes the entry's values' tombstones written before horizon, and
// values left with nothing.
func (e *entry) purge(horizon hlc.Stamp) int {
	n := 0
	var vals []value
	switch v := e.val.(type) {
	case nil:
		return 0
	case *multi:
		vals = slices.Clone(v.vals)
	default:
		vals = []value{v}
	}
	for _, v := range vals {
		p, ok := v.(purger)
		if !ok {
			continue
		}
		n += p.purge(horizon)
		if v.hollow() {
			e.drop(v)
		}
	}
	return n
}

// purger is a value that keeps tombstones.
type purger interface {
	purge(horizon hlc.Stamp) int
}

func (x *memberMap) purge(horizon hlc.Stamp) int {
	n := 0
	for name, s := range x.dead {
		if s.Less(horizon) {
			x.sum -= deadSum(name, s)
			delete(x.dead, name)
			n++
		}
	}
	return n // the type stamp stays: it orders the value among the key's types
}

func (x *listVal) purge(horizon hlc.Stamp) int {
	return x.tombs.purge(horizon, func(id ElemID, s hlc.Stamp) { x.sum -= tombSum(id, s) })
}
