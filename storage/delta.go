package storage

import (
	"cmp"
	"strings"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// NumDBs is the number of databases every shard holds: the sixteen that
// clients use, SystemDB, PromiseDB, AppliedDB and FenceDB.
const NumDBs = 20

// SystemDB is the database the cluster keeps its own data in (users); no
// client can switch to it.
const SystemDB = 16

// Delta is a joinable fragment of one key's state, or a database-wide reset.
// Every write produces deltas; replicas, the WAL and snapshots all exchange
// them; Shard.Apply joins one into a shard. A full key state is a Delta too
// (Shard.State). Deltas never alias shard memory that changes. A delta a
// command makes (Exec) borrows its key's bytes, its slices and some of
// its strings from its Ctx (Ctx.Borrowed), so it lives until the Ctx is
// reset; one decoded or built otherwise owns them and may live on.
type Delta struct {
	DB     uint8
	DBWide bool      // a RESET: Reset applies to every key of DB
	Key    string    // unused when DBWide
	Reset  hlc.Stamp // components ordered before Reset are removed
	Exp    Expiry    // deadline register; untouched when Exp.S is zero
	Val    ValDelta  // Val.Kind is TypeNone when no typed state changed
	More   []ValDelta
	// lentKey says Key is a command's borrowed bytes: a shard keeps a
	// copy of it (keepKey), and a write that changes a value in place
	// (a counter, a set, a list) costs no allocation for its key.
	lentKey bool
}

// keepKey returns d's key as a string a shard may keep: a lent one is
// copied first, and the copy replaces it.
func (d *Delta) keepKey() string {
	if d.lentKey {
		d.Key, d.lentKey = strings.Clone(d.Key), false
	}
	return d.Key
}

// Expiry is the deadline register of a key: the absolute deadline At in unix
// milliseconds (0: no deadline), written at stamp S. Last writer wins.
type Expiry struct {
	S  hlc.Stamp
	At int64
}

// ValDelta is a fragment of the state of one typed value.
type ValDelta struct {
	Kind proto.Type
	TS   hlc.Stamp // type stamp: the latest operation that asserted Kind

	// STR, INT, FLOAT: the base register (zero Reg: not written).
	Reg hlc.Stamp
	Str string
	// cell, when the writer made one, holds Reg and Str already, so the
	// register takes it without a copy (see strVal).
	cell  *strCell
	Int   int64
	Float float64
	// INT, FLOAT: the slot versions the register includes, and the slots.
	Absorbed []Slot
	Slots    []Slot

	// SET and HASH: member (field) registers. A dead member is a tombstone.
	Members []Member
	// lent says the members' names and values are a command's borrowed
	// bytes (Borrowed.str), valid until its Ctx's next Reset: a join
	// copies what it keeps of them. A decoded delta's are its own.
	lent bool

	// LIST: elements, and removed element ids.
	Elems []Elem
	Tombs []Tomb
}

// Slot is one actor's share of a counter since Birth. Join keeps the slot
// with the greater (Birth, Last).
type Slot struct {
	Actor       uint64
	Birth, Last hlc.Stamp
	Int         int64 // total added by the actor (wrapping arithmetic)
	Float       float64
}

// Member is a set member or a hash field, written at S.
type Member struct {
	Name  string
	S     hlc.Stamp
	Dead  bool
	Value string // hash field value
}

// ElemID identifies a list element: its position and the stamp of the push
// that created it. Elements are ordered by (Pos, S).
type ElemID struct {
	Pos int64
	S   hlc.Stamp
}

// Less orders element ids.
func (a ElemID) Less(b ElemID) bool {
	return a.Pos < b.Pos || a.Pos == b.Pos && a.S.Less(b.S)
}

// Compare returns -1, 0 or +1 as a orders before, equal to or after b.
func (a ElemID) Compare(b ElemID) int {
	if c := cmp.Compare(a.Pos, b.Pos); c != 0 {
		return c
	}
	return a.S.Compare(b.S)
}

// Elem is a list element whose value register was written at VS.
type Elem struct {
	ID    ElemID
	VS    hlc.Stamp
	Value string
}

// Tomb records the removal of a list element at S.
type Tomb struct {
	ID ElemID
	S  hlc.Stamp
}

// maxStamp returns the latest stamp anywhere in d.
func (d *Delta) maxStamp() hlc.Stamp {
	m := d.Reset.Max(d.Exp.S)
	m = m.Max(d.Val.maxStamp())
	for i := range d.More {
		m = m.Max(d.More[i].maxStamp())
	}
	return m
}

func (v *ValDelta) maxStamp() hlc.Stamp {
	m := v.TS.Max(v.Reg)
	for _, s := range v.Slots {
		m = m.Max(s.Last)
	}
	for _, s := range v.Absorbed {
		m = m.Max(s.Last)
	}
	for _, x := range v.Members {
		m = m.Max(x.S)
	}
	for _, e := range v.Elems {
		m = m.Max(e.VS).Max(e.ID.S)
	}
	for _, t := range v.Tombs {
		m = m.Max(t.S)
	}
	return m
}

// MaxStamp returns the latest stamp in d, which a receiving node's clock
// must observe.
func (d *Delta) MaxStamp() hlc.Stamp { return d.maxStamp() }
