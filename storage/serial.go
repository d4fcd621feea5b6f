package storage

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// The storage side of the serial path (docs/serial.md): a key's acceptor
// register as a shard holds it, and a command run on the state a
// proposer chose.
//
// A key's accepted proposal is its ordinary state: a serial write
// replaces the key's whole state by one stamped at the proposal's ballot
// (reset, register and deadline all at the ballot), so the latest stamp
// in the state is the ballot it was accepted at, and copies of the state
// join as the register should (the higher ballot wins, whole) wherever
// they travel: the log, snapshots, transfers, anti-entropy. The promise
// is an empty STR in PromiseDB written at the promised ballot, for the
// same reasons.

// PromiseDB is the database of the acceptors' promises: key k's promise
// is an empty STR k written at the promised ballot. One promise covers k
// in every database (a proposer on k in one database may refuse one in
// another: contention, never unsafe). No client can reach it.
const PromiseDB = 17

// Serial reports whether an acceptor of s has promised for key: its
// promise, or the tombstone a chosen proposal left of it, is still kept.
// Such a key is written through its consensus (docs/serial.md, "Mixing
// with ordinary writes").
func (s *Shard) Serial(key []byte) bool {
	_, ok := s.dbs[PromiseDB].get(key)
	return ok
}

// Rewrites reports whether req, run on s's state, rewrites its key whole
// from a value of another type: INCR_NUMBER on an INT or a STR
// (PROTOCOL.md §12.8), INCR_INT_TEXT on a STR or a FLOAT (§12.29)
// (proto.Command.MayRewrite). Two coordinators doing
// so at once would each start from the same old value, so a cluster runs
// such a command on its serial path.
func (s *Shard) Rewrites(db int, req *proto.Request) bool {
	if !req.Cmd.MayRewrite() {
		return false
	}
	e, ok := s.lookup(db, req.Key())
	if !ok {
		return false
	}
	switch e.visible().(type) {
	case strVal:
		return true
	case *counter[int64]:
		return req.Cmd == proto.CmdIncrNumber // to a FLOAT
	case *counter[float64]:
		return req.Cmd == proto.CmdIncrIntText // to an INT
	}
	return false
}

// Acceptor returns key's acceptor register in s: the highest ballot
// promised, and the ballot of the proposal accepted (the latest stamp of
// the key's state in db, a database reset included; zero: none).
func (s *Shard) Acceptor(db int, key []byte) (promised, accepted hlc.Stamp) {
	if e, ok := s.lookup(PromiseDB, key); ok {
		promised = e.reset
		if v := e.visible(); v != nil {
			promised = promised.Max(v.stamp())
		}
	}
	accepted = s.dbReset[db]
	if e, ok := s.lookup(db, key); ok {
		accepted = accepted.Max(s.latest(db, key, &e))
	}
	return promised, accepted
}

// latest returns the latest stamp in the state of key's entry e in db, as
// the state's maxStamp would, without building the state: each value's
// state goes through one pooled ValDelta (the Delta built before was most
// of what an acceptor allocated per vote).
func (s *Shard) latest(db int, key []byte, e *entry) hlc.Stamp {
	m := e.reset
	if x, ok := s.exps[db][string(key)]; ok {
		m = m.Max(x.S)
	}
	v := valDeltas.Get().(*ValDelta)
	switch val := e.val.(type) {
	case nil:
	case *multi:
		for _, x := range val.vals {
			x.state(v)
			m = m.Max(v.maxStamp())
		}
	default:
		val.state(v)
		m = m.Max(v.maxStamp())
	}
	*v = ValDelta{}
	valDeltas.Put(v)
	return m
}

// valDeltas recycles the ValDelta latest reads values' states into.
var valDeltas = sync.Pool{New: func() any { return new(ValDelta) }}

// Admits reports whether d, sent by another replica (replication, read
// repair, hinted handoff, anti-entropy, a restarted replica's catch-up),
// may join s. An acceptor of the serial path takes a key's state only at
// or above the ballot it promised for the key (P1), whoever brings it: a
// state below was refused, or would have been, by this acceptor, and
// copying it in from another one could make an unchosen proposal chosen
// after a proposer built a newer one without it (two pops of one element,
// found by the queue checker after a node's restart). A key no proposer
// prepared has no promise and admits everything; so do database resets
// and the hidden databases (promises only add caution; records and fences
// are read against the state's own ballot).
func (s *Shard) Admits(d *Delta) bool {
	if d.DBWide || int(d.DB) >= SystemDB {
		return true
	}
	e, ok := s.dbs[PromiseDB].getString(d.Key)
	if !ok {
		return true
	}
	promised := e.reset
	if v := e.visible(); v != nil {
		promised = promised.Max(v.stamp())
	}
	return !d.MaxStamp().Less(promised)
}

// AppliedDB is the database of the serial path's applied records (the
// commands a key's chain of states holds, serial.Applied): key k's is a
// STR written at the ballot of the proposal it belongs to, opaque here. It
// travels, joins and persists as any key does, so it stays with the state
// of the same ballot (a record at another stamp belongs to another state:
// an older one, or k in another database). No client can reach it.
const AppliedDB = 18

// AppliedDelta records rec as key's applied record at ballot b. The
// delta's value shares rec's memory (a shard copies a value into the
// key's cell as it applies it): rec must not change while the delta is
// in use.
func AppliedDelta(key string, b hlc.Stamp, rec []byte) Delta {
	return Delta{DB: AppliedDB, Key: key, Val: ValDelta{Kind: proto.TypeStr, TS: b, Reg: b, Str: unsafe.String(unsafe.SliceData(rec), len(rec))}}
}

// AppendApplied appends key's applied record to dst if it was written at
// ballot at, and reports whether it was.
func (s *Shard) AppendApplied(dst, key []byte, at hlc.Stamp) ([]byte, bool) {
	out, written, ok := s.AppendLatestApplied(dst, key)
	if !ok || at.IsZero() || written != at {
		return dst, false
	}
	return out, true
}

// AppendLatestApplied appends key's applied record whatever ballot it was
// written at, and reports that ballot (zero and false: none). Outside the
// serial path, where every record written was applied, any record that
// lists a command proves it ran.
func (s *Shard) AppendLatestApplied(dst, key []byte) ([]byte, hlc.Stamp, bool) {
	e, ok := s.lookup(AppliedDB, key)
	if !ok {
		return dst, hlc.Stamp{}, false
	}
	v, ok := e.visible().(strVal)
	if !ok {
		return dst, hlc.Stamp{}, false
	}
	return append(dst, v.str()...), v.stamp(), true
}

// PromiseDelta records a promise of ballot b for key.
func PromiseDelta(key string, b hlc.Stamp) Delta {
	return Delta{DB: PromiseDB, Key: key, Val: ValDelta{Kind: proto.TypeStr, TS: b, Reg: b}}
}

// PromiseDone is the delta that drops key's promise once a proposal of
// ballot b, which covers it, is accepted: a tombstone at b, purged in
// time like any other.
func PromiseDone(key string, b hlc.Stamp) Delta {
	return Delta{DB: PromiseDB, Key: key, Reset: b}
}

// Proposal is the commands run on a key's chosen state for ballot B (one,
// or several folded into one proposal: Run), at wall time Wall (unix
// milliseconds).
type Proposal struct {
	DB    int
	Key   []byte
	B     hlc.Stamp
	Wall  int64
	Wrote bool // a command run changed the state
	sh    *Shard
	runs  int // commands run so far
}

// Propose runs req, a command on key alone, on the key's state in db
// (state: an encoded Delta, AppendDelta's form, or empty for none) as the
// proposal of ballot b: its stamps (and a lock's token) are b, its wall
// time the later of b's and now's, since a ballot promised ahead of time
// (a proposer's standing promise) may be older than the command, whose
// times (a TTL's deadline, a lease's end) count from when it runs. It
// appends the reply to dst.
func Propose(db int, key []byte, state []byte, b, now hlc.Stamp, req *proto.Request, rand func(int) int, dst []byte) (Proposal, []byte, error) {
	p, err := Restate(db, key, state, b, now)
	if err != nil {
		return p, dst, err
	}
	dst, _ = p.Run(req, rand, dst)
	return p, dst, nil
}

// scratchShards are the shards proposals run on, reused (Release).
var scratchShards = sync.Pool{New: func() any { return NewShard(true) }}

// Release gives back the shard p ran on, once nothing reads p again
// (its state is encoded: AppendState copies it).
func (p *Proposal) Release() {
	if p.sh == nil {
		return
	}
	p.sh.clear()
	scratchShards.Put(p.sh)
	p.sh = nil
}

// Run runs req, a command on p's key alone, after those p ran before, and
// appends its reply to dst; it reports whether req changed the state.
// Several commands folded into one proposal run as the single process
// runs a pipeline: each at a stamp above the last (the ballot, then a
// logical tick more each), so that each sees the one before it; State
// stamps the outcome at the ballot whatever stamps they wrote.
func (p *Proposal) Run(req *proto.Request, rand func(int) int, dst []byte) ([]byte, bool) {
	t := p.B
	t.Time += uint64(p.runs)
	p.runs++
	c := Ctx{T: t, Wall: p.Wall, DB: p.DB, Locate: func([]byte) *Shard { return p.sh }, Rand: rand}
	dst = Exec(&c, req, dst)
	wrote := len(c.Deltas) > 0
	p.Wrote = p.Wrote || wrote
	return dst, wrote
}

// Restate returns the proposal of ballot b that leaves key's state in db
// as it is: what a proposer re-proposes to finish a proposal it found.
func Restate(db int, key []byte, state []byte, b, now hlc.Stamp) (Proposal, error) {
	p := Proposal{DB: db, Key: key, B: b, Wall: max(b.Wall(), now.Wall()), sh: scratchShards.Get().(*Shard)}
	ds, err := decodeState(nil, state, db, key)
	if err != nil {
		return p, err
	}
	for i := range ds {
		p.sh.Apply(&ds[i])
	}
	return p, nil
}

// See puts lock's chosen state in p's database (state: AppendSerialState's
// form, empty for none) where p's commands read it: the lock a FENCED
// write names, whose current token the write is checked against
// (Ctx.fence). Only p's key is proposed: AppendState and State never
// carry the lock.
func (p *Proposal) See(lock []byte, state []byte) error {
	if string(lock) == string(p.Key) {
		return nil // the key's own state is there already
	}
	ds, err := decodeState(nil, state, p.DB, lock)
	if err != nil {
		return err
	}
	for i := range ds {
		p.sh.Apply(&ds[i]) // the lock's value, and its fence: the newest token it issued
	}
	return nil
}

// AppendSerialState appends key's state in db as the serial path carries
// it (an acceptor's vote, a proposal): the key's whole state, if the
// shard holds any, then its fence (FenceDB), if it has one. Empty: none.
func (s *Shard) AppendSerialState(dst []byte, db int, key []byte) []byte {
	dst, _ = s.AppendState(dst, db, key)
	dst, _ = s.AppendState(dst, FenceDB, key)
	return dst
}

// decodeState decodes AppendSerialState's form for key in db, appended
// to dst.
func decodeState(dst []Delta, state []byte, db int, key []byte) ([]Delta, error) {
	ds, err := DecodeDeltas(state, dst)
	if err != nil {
		return nil, err
	}
	for i := range ds {
		if d := &ds[i]; int(d.DB) != db && d.DB != FenceDB || d.Key != string(key) || d.DBWide {
			return nil, fmt.Errorf("storage: a state of %d/%q proposed for %d/%q", d.DB, d.Key, db, key)
		}
	}
	return ds, nil
}

// DecodeProposal decodes a proposal's state (Proposal.AppendState) for
// key in db at ballot b, as an acceptor takes it, onto dst[:0] (an
// acceptor's reused buffer): the key's whole state written at b, then
// possibly its fence in db, written at b.
func DecodeProposal(dst []Delta, state []byte, db int, key []byte, b hlc.Stamp) ([]Delta, error) {
	ds, err := decodeState(dst[:0], state, db, key)
	if err != nil {
		return nil, err
	}
	if len(ds) == 0 || int(ds[0].DB) != db || len(ds) > 2 || len(ds) == 2 && ds[1].DB != FenceDB {
		return nil, fmt.Errorf("storage: a proposal for %d/%q is not the key's state and fence", db, key)
	}
	for i := range ds {
		if ds[i].MaxStamp() != b {
			return nil, fmt.Errorf("storage: a proposal for %d/%q is not written at its ballot %v", db, key, b)
		}
	}
	return ds, nil
}

// AppendState appends what the acceptors are to hold after p: its State,
// then, if the key has a fence in p's database, that fence's fields
// stamped at the ballot, so that every chosen state carries the fence it
// leaves (a later proposer reads it from the latest state alone).
func (p *Proposal) AppendState(dst []byte) []byte {
	d := p.State()
	dst = AppendDelta(dst, &d)
	if f, ok := p.fence(); ok {
		dst = AppendDelta(dst, &f)
	}
	return dst
}

// fence returns the key's fence in p's database stamped at the ballot.
func (p *Proposal) fence() (Delta, bool) {
	e, ok := p.sh.lookup(FenceDB, p.Key)
	if !ok {
		return Delta{}, false
	}
	m, ok := e.visible().(*memberMap)
	if !ok {
		return Delta{}, false
	}
	d := Delta{DB: FenceDB, Key: string(p.Key), Val: ValDelta{Kind: proto.TypeHash, TS: p.B}}
	for name, st := range m.m.all() {
		if len(name) > 0 && int(name[0]) == p.DB {
			d.Val.Members = append(d.Val.Members, Member{Name: name, S: p.B, Value: st.v})
		}
	}
	slices.SortFunc(d.Val.Members, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
	return d, len(d.Val.Members) > 0
}

// State returns the key's whole state after the command, stamped at the
// ballot: what every acceptor is to hold in place of anything older (a
// tombstone at the ballot when the key is absent). A list, set or hash is
// written whole, every element and member at the ballot (a list's
// elements numbered 0, 1, … in their order): the reset at the ballot drops
// whatever an acceptor held of the key before.
func (p *Proposal) State() Delta {
	d := Delta{DB: uint8(p.DB), Key: string(p.Key), Reset: p.B}
	e, ok := p.sh.lookup(p.DB, p.Key)
	if !ok || p.sh.expired(p.DB, p.Key, p.Wall) {
		return d
	}
	v := e.visible()
	if v == nil {
		return d
	}
	d.Val = wholeValue(v, p.B)
	if at := p.sh.deadline(p.DB, p.Key); at != 0 {
		d.Exp = Expiry{S: p.B, At: at}
	}
	return d
}
