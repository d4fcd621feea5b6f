package storage

import (
	"encoding/binary"
	"slices"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// entry is the state of one key: a reset stamp that removes everything
// written before it (DEL, whole-value writes, expiry) and the typed value
// (a *multi after concurrent type changes). The key's deadline register,
// which most keys lack, is kept beside the entries (Shard.exps), so an
// entry takes 32 bytes, and it lives in its database's table itself
// (keyTable): a lookup reads the key's value with one pointer fewer to
// follow (a cache miss each on a large shard), and a new key allocates one
// object fewer. A write changes a copy and stores it back in the slot it
// found (Apply).
type entry struct {
	reset hlc.Stamp
	val   value
}

// visible returns the value a reader sees, or nil when the key is missing.
func (e *entry) visible() value {
	switch v := e.val.(type) {
	case nil:
		return nil
	case *multi:
		var best value
		for _, x := range v.vals {
			if x.live() && (best == nil || best.stamp().Less(x.stamp())) {
				best = x
			}
		}
		return best
	default:
		if v.live() {
			return v
		}
		return nil
	}
}

// find returns the value of kind k, or nil.
func (e *entry) find(k proto.Type) value {
	switch v := e.val.(type) {
	case nil:
		return nil
	case *multi:
		for _, x := range v.vals {
			if x.kind() == k {
				return x
			}
		}
		return nil
	default:
		if v.kind() == k {
			return v
		}
		return nil
	}
}

func (e *entry) joinVal(d *ValDelta, r hlc.Stamp, keep bool) {
	if d.Kind == proto.TypeNone || d.TS.Less(r) {
		return
	}
	if v := e.find(d.Kind); v != nil {
		w := v.join(d, r, keep)
		if w != v {
			e.swap(v, w)
		}
		if w.hollow() {
			e.drop(w)
		}
		return
	}
	v := newValue(d.Kind).join(d, r, keep)
	if v.hollow() {
		return
	}
	switch cur := e.val.(type) {
	case nil:
		e.val = v
	case *multi:
		cur.vals = append(cur.vals, v)
	default:
		e.val = &multi{vals: []value{cur, v}}
	}
}

// swap puts w where the entry holds v.
func (e *entry) swap(v, w value) {
	if m, ok := e.val.(*multi); ok {
		m.vals[slices.Index(m.vals, v)] = w
	} else {
		e.val = w
	}
}

// drop removes v from the entry.
func (e *entry) drop(v value) {
	m, ok := e.val.(*multi)
	if !ok {
		e.val = nil
		return
	}
	if i := slices.Index(m.vals, v); i >= 0 {
		m.vals = slices.Delete(m.vals, i, i+1)
	}
	e.normalize()
}

// normalize unwraps a multi holding fewer than two values.
func (e *entry) normalize() {
	if m, ok := e.val.(*multi); ok {
		switch len(m.vals) {
		case 0:
			e.val = nil
		case 1:
			e.val = m.vals[0]
		}
	}
}

// prune drops everything of key's entry e ordered before its reset.
func (s *Shard) prune(db int, key string, e *entry) {
	if x, ok := s.expiry(db, key); ok && x.S.Less(e.reset) {
		delete(s.exps[db], key)
	}
	if e.val != nil && !e.val.prune(e.reset) {
		e.val = nil
	}
	e.normalize()
}

// Shard is the state of one partition: sixteen databases of keys. It is not
// safe for concurrent use; the owner serializes access (see package doc).
type Shard struct {
	keep    bool
	warmed  uint64 // Warm's loads, kept
	dbs     [NumDBs]keyTable
	dbReset [NumDBs]hlc.Stamp
	// exps holds, per database, the deadline register of every key that
	// has one (a cleared deadline is a register too: At 0).
	exps [NumDBs]map[string]Expiry
	// volatile holds, per database, the keys that have a deadline, for the
	// expiry sweep.
	volatile [NumDBs]map[string]int64
	// shown counts, per database, the keys a reader would see if no
	// deadline had passed (entries whose visible value is not nil), so
	// that counting a database's keys (Live) walks only its volatile ones.
	shown [NumDBs]int
}

// shows reports whether entry e holds a value a reader sees, deadlines
// aside.
func (e *entry) shows() bool { return e.visible() != nil }

// expiry returns key's deadline register in db, if it has one.
func (s *Shard) expiry(db int, key string) (Expiry, bool) {
	if m := s.exps[db]; m != nil {
		x, ok := m[key]
		return x, ok
	}
	return Expiry{}, false
}

// deadline returns key's live deadline in db (unix ms), or 0.
func (s *Shard) deadline(db int, key []byte) int64 {
	if m := s.exps[db]; m != nil {
		return m[string(key)].At
	}
	return 0
}

// expired reports whether key's deadline in db has passed at wall time now.
func (s *Shard) expired(db int, key []byte, now int64) bool {
	at := s.deadline(db, key)
	return at != 0 && now > at
}

// NewShard returns an empty shard. keepTombstones must be true whenever
// deltas can arrive late or out of order (replicated partitions); a lone
// shard fed in order drops removed elements at once.
func NewShard(keepTombstones bool) *Shard {
	return &Shard{keep: keepTombstones}
}

// clear empties s for reuse, keeping its maps' room.
func (s *Shard) clear() {
	for i := range s.dbs {
		s.dbs[i].clear()
		clear(s.exps[i])
		clear(s.volatile[i])
	}
	s.dbReset = [NumDBs]hlc.Stamp{}
	s.shown = [NumDBs]int{}
}

// lookup returns key's entry in db, and whether there is one. The entry is
// a copy: only Apply, resetDB and purge change entries.
func (s *Shard) lookup(db int, key []byte) (entry, bool) {
	return s.dbs[db].get(key)
}

// Len returns the number of stored entries in db, tombstones included.
func (s *Shard) Len(db int) int { return s.dbs[db].len() }

// Warm looks up the key d joins into, and the stamp of the value it
// holds, without changing anything. Warming the keys of a batch before
// applying it lets the processor overlap their misses to memory, which do
// not depend on each other; the Apply of each that follows finds its slot
// and value in the cache (docs/decisions.md, "A replica looks its keys up
// ahead of a call").
func (s *Shard) Warm(d *Delta) {
	if d.DBWide || int(d.DB) >= NumDBs {
		return
	}
	if e, ok := s.dbs[d.DB].getString(d.Key); ok && e.val != nil {
		s.warmed += e.val.stamp().Time // stored, so the loads stay
	}
}

// Apply joins d into the shard. Apply is idempotent, commutative and
// associative over deltas: replicas that apply the same deltas in any order,
// any number of times, hold the same state.
func (s *Shard) Apply(d *Delta) {
	db := int(d.DB)
	if db >= NumDBs {
		return
	}
	if d.DBWide {
		s.resetDB(db, d.Reset)
		return
	}
	r := d.Reset.Max(s.dbReset[db])
	t := &s.dbs[db]
	at := t.find(d.Key)
	had := at >= 0
	var e entry
	if had {
		e = *t.at(at)
	}
	was := had && e.shows()
	// A key with a promise keeps its removals' stamps in a shard that
	// keeps no tombstones too: its latest stamp is what the serial path
	// checks a key against to tell that it was written since its last
	// proposal (Acceptor), and a removal that left no stamp (a pop, a DEL
	// through a transaction) would let a standing promise's older state
	// bring what it removed back.
	keep := s.keep || db != PromiseDB && s.dbs[PromiseDB].len() > 0 && s.dbs[PromiseDB].has(d.Key)
	if !had && !keep && !d.hasContent(r) {
		return
	}
	old := e
	grew := e.reset.Less(r)
	if grew {
		e.reset = r
	}
	if !d.Exp.S.IsZero() && !d.Exp.S.Less(e.reset) {
		if cur, ok := s.expiry(db, d.Key); !ok || cur.S.Less(d.Exp.S) {
			if s.exps[db] == nil {
				s.exps[db] = make(map[string]Expiry)
			}
			s.exps[db][d.keepKey()] = d.Exp
		}
	}
	if grew && d.Val.Kind == proto.TypeList {
		// A list's join looks each element of the delta up among those
		// there: a whole state at a reset (a serial write's, a list laid
		// out again) would look every new element up among the old ones
		// the reset removes. Removed first, the state's elements go into
		// an empty list in order. (A string's register changes in place,
		// which removing it first would spoil.)
		s.prune(db, d.Key, &e)
	}
	e.joinVal(&d.Val, e.reset, keep)
	for i := range d.More {
		e.joinVal(&d.More[i], e.reset, keep)
	}
	if grew {
		s.prune(db, d.Key, &e)
	}
	removed := false
	if e.val == nil {
		if _, hasExp := s.expiry(db, d.Key); !keep || e.reset.IsZero() && !hasExp {
			if had {
				t.delAt(at)
			}
			delete(s.exps[db], d.Key)
			removed = true
		}
	}
	switch {
	case removed:
	case had:
		if e.reset != old.reset || e.val != old.val {
			*t.at(at) = e // a value changed in place (a counter, a list) needs no store
		}
	default:
		t.put(d.keepKey(), e)
	}
	if grew || removed || !d.Exp.S.IsZero() {
		s.trackDeadline(db, d, removed)
	}
	if is := !removed && e.shows(); is != was {
		if is {
			s.shown[db]++
		} else {
			s.shown[db]--
		}
	}
}

// hasContent reports whether d carries anything that survives reset r.
func (d *Delta) hasContent(r hlc.Stamp) bool {
	if d.Val.Kind != proto.TypeNone && !d.Val.TS.Less(r) {
		return true
	}
	for i := range d.More {
		if !d.More[i].TS.Less(r) {
			return true
		}
	}
	return false
}

func (s *Shard) trackDeadline(db int, d *Delta, removed bool) {
	at := int64(0)
	if !removed {
		x, _ := s.expiry(db, d.Key)
		at = x.At
	}
	if at == 0 {
		if s.volatile[db] != nil {
			delete(s.volatile[db], d.Key)
		}
		return
	}
	if s.volatile[db] == nil {
		s.volatile[db] = make(map[string]int64)
	}
	s.volatile[db][d.keepKey()] = at // the key is kept only with a deadline
}

// resetDB removes everything in db written before r.
func (s *Shard) resetDB(db int, r hlc.Stamp) {
	if !s.dbReset[db].Less(r) {
		return
	}
	s.dbReset[db] = r
	shown := 0
	for key, e := range s.dbs[db].all() {
		if e.reset.Less(r) {
			e.reset = r
			s.prune(db, key, &e)
			s.dbs[db].put(key, e)
		}
		if _, hasExp := s.expiry(db, key); e.val == nil && (!s.keep || !hasExp && e.reset.IsZero()) {
			s.dbs[db].del(key)
			delete(s.exps[db], key)
		}
		if x, _ := s.expiry(db, key); x.At == 0 && s.volatile[db] != nil {
			delete(s.volatile[db], key)
		}
		if e.shows() { // a deleted entry holds nothing
			shown++
		}
	}
	s.shown[db] = shown
	if s.dbs[db].len() == 0 {
		s.dbs[db].release()
		s.exps[db] = nil
		s.volatile[db] = nil
	}
}

// DBReset returns db's database-wide reset (RESET) as a delta, if any.
func (s *Shard) DBReset(db int) (Delta, bool) {
	if s.dbReset[db].IsZero() {
		return Delta{}, false
	}
	return Delta{DB: uint8(db), DBWide: true, Reset: s.dbReset[db]}, true
}

// State returns the whole state of key in db as a delta, or false if the
// shard holds nothing for it.
func (s *Shard) State(db int, key []byte) (Delta, bool) {
	e, ok := s.lookup(db, key)
	if !ok {
		return Delta{}, false
	}
	return s.state(db, string(key), &e), true
}

// AppendState appends the encoding (AppendDelta) of the whole state of key
// in db, and reports whether the shard holds anything for it. It encodes
// in place: nothing is allocated for a string, integer or float.
func (s *Shard) AppendState(dst []byte, db int, key []byte) ([]byte, bool) {
	e, ok := s.lookup(db, key)
	if !ok {
		return dst, false
	}
	// The key is not kept: the delta lives only while it is encoded.
	k := unsafe.String(unsafe.SliceData(key), len(key))
	if out, ok := s.appendPlainState(dst, db, k, &e, compactStamps.Load()); ok {
		return out, true
	}
	d := s.state(db, k, &e)
	return AppendDelta(dst, &d), true
}

// appendPlainState appends the encoding of the whole state of key's entry
// e in db when e holds a string, a counter or no value, and reports false
// for anything else. Its delta stays on the stack: built through the value
// interface's state method, as state builds it, the delta moved to the
// heap, 288 bytes for every digest read of a string.
func (s *Shard) appendPlainState(dst []byte, db int, key string, e *entry, compact bool) ([]byte, bool) {
	d := Delta{DB: uint8(db), Key: key, Reset: e.reset}
	switch v := e.val.(type) {
	case nil:
	case strVal:
		v.state(&d.Val)
	case *counter[int64]:
		v.state(&d.Val)
	case *counter[float64]:
		v.state(&d.Val)
	default:
		return dst, false
	}
	d.Exp, _ = s.expiry(db, key)
	return appendDelta(dst, &d, compact), true
}

// AppendStateDigest appends what stands for key's whole state in db when
// replicas compare their copies of it (a digest read): AppendState's
// encoding for a string or a counter (a type conflict's values in the
// order of their kinds); for a set, hash or list, the same encoding
// without its parts, followed by the sum of their hashes (partsum.go).
// Replicas that hold the same state append the same bytes, and a
// collection's costs nothing in its size. It reports whether the shard
// holds anything for key.
func (s *Shard) AppendStateDigest(dst []byte, db int, key []byte) ([]byte, bool) {
	e, ok := s.lookup(db, key)
	if !ok {
		return dst, false
	}
	// The key is not kept: the delta lives only while it is encoded.
	k := unsafe.String(unsafe.SliceData(key), len(key))
	var sum uint64
	var val ValDelta
	switch v := e.val.(type) {
	case *memberMap:
		val, sum = ValDelta{Kind: v.k, TS: v.ts}, v.sum
	case *listVal:
		val, sum = ValDelta{Kind: proto.TypeList, TS: v.ts}, v.sum
	case *multi:
		// A type conflict's values, in the order of their kinds: replicas
		// may hold them in any order.
		d := s.state(db, k, &e)
		vals := append([]ValDelta{d.Val}, d.More...)
		slices.SortFunc(vals, func(a, b ValDelta) int { return int(a.Kind) - int(b.Kind) })
		d.Val, d.More = vals[0], vals[1:]
		return AppendCanonical(dst, &d), true
	default:
		if out, ok := s.appendPlainState(dst, db, k, &e, false); ok {
			return out, true
		}
		d := s.state(db, k, &e)
		return AppendCanonical(dst, &d), true
	}
	d := Delta{DB: uint8(db), Key: k, Reset: e.reset, Val: val}
	d.Exp, _ = s.expiry(db, k)
	dst = AppendCanonical(dst, &d)
	return binary.LittleEndian.AppendUint64(dst, sum), true
}

// state returns the whole state of key's entry e in db as a delta.
func (s *Shard) state(db int, key string, e *entry) Delta {
	var d Delta
	s.stateInto(&d, db, key, e, byName)
	return d
}

// An order says whether a state's members must come in their canonical
// order (by name): where its encoding is hashed or compared (digests, the
// serial path's states), two replicas of one state must encode it alike.
// A state that is only applied (snapshots, transfers) need not be: sorting
// a set of 100,000 members was two thirds of its capture.
type order bool

const (
	byName   order = true
	anyOrder order = false
)

// stateInto sets *d to the whole state of key's entry e in db. A caller
// that walks many keys passes one d for all (the values' state methods
// make it escape: a Delta per key was the most of what a snapshot
// allocated).
func (s *Shard) stateInto(d *Delta, db int, key string, e *entry, o order) {
	*d = Delta{DB: uint8(db), Key: key, Reset: e.reset}
	d.Exp, _ = s.expiry(db, key)
	switch v := e.val.(type) {
	case nil:
	case *multi:
		d.More = make([]ValDelta, len(v.vals)-1)
		valueState(v.vals[0], &d.Val, o)
		for i, x := range v.vals[1:] {
			valueState(x, &d.More[i], o)
		}
	default:
		valueState(v, &d.Val, o)
	}
}

// statePart bounds the elements and tombstones of a list, or the members
// of a set or hash, that one delta of its state carries in EachUnsorted.
// Deltas join: a value's state in parts joins into the same value as the
// whole, so a snapshot or a partition's transfer of a value of millions
// need not copy it whole first. That copy, a slice of every element made
// under the partition's lock at each snapshot and then encoded whole into
// one record, cost redis-benchmark's RPUSH into one long list more than a
// tenth of the process's time (docs/decisions.md). A variable for tests.
var statePart = 4096

// statesInParts gives fn the state of key's entry e in db in parts, if it
// is a list, set or hash larger than statePart (else it does nothing and
// reports false), and reports whether fn asked for more.
func (s *Shard) statesInParts(d *Delta, db int, key string, e *entry, fn func(*Delta) bool) (done, more bool) {
	switch v := e.val.(type) {
	case *listVal:
		if v.elems.n+v.tombs.len() > statePart {
			return true, v.states(s.parts(d, db, key, e, proto.TypeList, v.ts, fn))
		}
	case *memberMap:
		if v.m.len()+len(v.dead) > statePart {
			return true, v.states(s.parts(d, db, key, e, v.k, v.ts, fn))
		}
	}
	return false, true
}

// parts returns the function that gives fn one part of the state of key's
// entry e in db, a value of kind k and stamp ts: each part with the kind,
// the stamp and the entry's reset, the first with the key's expiry. It
// reports whether fn asked for more.
func (s *Shard) parts(d *Delta, db int, key string, e *entry, k proto.Type, ts hlc.Stamp, fn func(*Delta) bool) func(ValDelta) bool {
	first := true
	return func(v ValDelta) bool {
		v.Kind, v.TS = k, ts
		*d = Delta{DB: uint8(db), Key: key, Reset: e.reset, Val: v}
		if first {
			d.Exp, _ = s.expiry(db, key)
			first = false
		}
		return fn(d)
	}
}

// valueState sets *d to v's whole state, its members in order o.
func valueState(v value, d *ValDelta, o order) {
	if m, ok := v.(*memberMap); ok && o == anyOrder {
		m.unsortedState(d)
		return
	}
	v.state(d)
}

// Each calls fn with the state of every key, and of every database reset,
// as deltas, each encoded canonically (a set's or hash's members by name).
// Joining them all into an empty shard reproduces this shard. d is
// reused: fn must not keep it beyond the call (a copy of *d may be kept
// while the shard is not modified).
func (s *Shard) Each(fn func(d *Delta) bool) { s.each(fn, byName) }

// EachUnsorted is Each with a set's or hash's members in any order, and a
// large list, set or hash in parts (statesInParts): for states that are
// only applied (a snapshot, a partition's transfer), not hashed or
// compared. fn must not keep d, nor a copy of it: a value's parts share
// their slices.
func (s *Shard) EachUnsorted(fn func(d *Delta) bool) { s.each(fn, anyOrder) }

func (s *Shard) each(fn func(d *Delta) bool, o order) {
	var d Delta
	for db := range s.dbs {
		if !s.dbReset[db].IsZero() {
			d = Delta{DB: uint8(db), DBWide: true, Reset: s.dbReset[db]}
			if !fn(&d) {
				return
			}
		}
		for key, e := range s.dbs[db].all() {
			if o == anyOrder {
				if done, ok := s.statesInParts(&d, db, key, &e, fn); done {
					if !ok {
						return
					}
					continue
				}
			}
			s.stateInto(&d, db, key, &e, o)
			if !fn(&d) {
				return
			}
		}
	}
}

// Expired returns up to max deletion deltas for keys in db whose deadline
// is before now (unix ms). Each delta resets its key at the end of the
// deadline's millisecond, so writes made after the key expired survive it
// on every replica. Keys are sampled in the map's random order.
//
// A serial key (one an acceptor promised for, docs/serial.md) is left
// alone: its state changes only by its acceptors' rounds (P1). A deletion
// stamped at its deadline would read as an accepted ballot newer than the
// key's real one, and a Prepare counting that acceptor would take the
// older state under it for the latest: a lock whose lease had run out on
// one replica, taken again while a newer holder's lease ran (the lock
// checker found it under network faults). Its expiry is read at every
// command, and its next write drops it.
func (s *Shard) Expired(db int, now int64, max int, out []Delta) []Delta {
	n := 0
	for key, at := range s.volatile[db] {
		if n >= max {
			break
		}
		n++
		if serial := s.dbs[PromiseDB].has(key); now > at && !serial {
			out = append(out, Delta{DB: uint8(db), Key: key, Reset: hlc.EndOfMilli(at)})
		}
	}
	return out
}

// Volatile returns the number of keys in db that carry a deadline.
func (s *Shard) Volatile(db int) int { return len(s.volatile[db]) }
