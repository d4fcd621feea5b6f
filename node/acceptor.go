package node

import (
	"errors"
	"fmt"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// The acceptor's side of the serial path (docs/serial.md): a key's
// register is its state and its promise in the key's partition
// (storage.Shard.Acceptor), changed under the partition's lock, logged
// like any write and synced to disk before the vote leaves (P1, P3), and
// only on a complete copy (P4).

// ErrExpired is returned for a phase that arrived after its deadline: the
// proposer has given up on it, so it must not take effect.
var ErrExpired = errors.New("node: the phase's deadline passed before it arrived")

// errBadPhase is returned for a phase on a database no client uses.
var errBadPhase = errors.New("node: a serial phase outside the client databases")

// Votes answers the phases ms of one call, in order: each(i, v) gets
// phase i's vote, whose State is only valid during the call. A phase this
// node cannot vote on (a partition it does not serve completely, a
// deadline passed, a malformed proposal) gets a refusal outranked by
// nothing, which its proposer counts as no vote. Votes returns once what
// the phases wrote is on disk (one fsync for the call; none for a call of
// Learns alone), and the votes must not leave before; an error (the log
// failed) is every vote's.
func (n *Node) Votes(ms []rpc.Phase, each func(i int, v rpc.Vote)) error {
	if err := n.failure(); err != nil {
		return err
	}
	x := n.ctxs.Get().(*execCtx)
	defer n.release(x)
	wrote := false
	var scratch []byte
	for i := range ms {
		v, changed, err := n.vote(&ms[i], x, scratch[:0])
		switch {
		case err == nil:
		case errors.Is(err, ErrNotHeld), errors.Is(err, ErrExpired), errors.Is(err, errBadPhase), errors.Is(err, rpc.ErrMalformed):
			v = rpc.Vote{}
		default:
			return err
		}
		wrote = wrote || changed
		each(i, v)
		scratch = v.State
	}
	if wrote {
		return n.synced()
	}
	return nil
}

// register returns key's acceptor register in db on this node, if it
// serves the key's partition completely.
func (n *Node) register(db int, key []byte) (promised, accepted hlc.Stamp, ok bool) {
	part := &n.parts[n.partitionOf(key)]
	part.mu.Lock()
	defer part.mu.Unlock()
	if part.state != partServing {
		return promised, accepted, false
	}
	promised, accepted = part.shard.Acceptor(db, key)
	return promised, accepted, true
}

// peek is a peek's vote taken on this node's own copy for a read it
// answers itself (readHere): the ballot the key accepted last and, if
// want, the key's state appended to dst, but not the applied record,
// which a read does not use (encoding it was an eighth of a node's CPU
// under SERIAL GETs). As a vote, only a complete copy answers (P4).
func (n *Node) peek(db int, key []byte, want bool, dst []byte) (hlc.Stamp, []byte, error) {
	if err := n.failure(); err != nil {
		return hlc.Stamp{}, nil, err
	}
	if db < 0 || db >= storage.SystemDB {
		return hlc.Stamp{}, nil, errBadPhase
	}
	p := n.partitionOf(key)
	part := &n.parts[p]
	part.mu.Lock()
	defer part.mu.Unlock()
	if part.state != partServing {
		return hlc.Stamp{}, nil, fmt.Errorf("%w: partition %d", ErrNotHeld, p)
	}
	_, accepted := part.shard.Acceptor(db, key)
	if want {
		dst = part.shard.AppendSerialState(dst, db, key)
	}
	return accepted, dst, nil
}

// vote decides phase m on its key's register, under the partition's lock
// on a complete copy (P4), and applies and logs what the decision changes
// (reporting whether the vote must wait for an fsync: it changed the
// register, and is not a Learn's). A Prepare or Peek's vote carries the
// state accepted last, appended to dst.
func (n *Node) vote(m *rpc.Phase, x *execCtx, dst []byte) (rpc.Vote, bool, error) {
	if m.DB < 0 || m.DB >= storage.SystemDB {
		return rpc.Vote{}, false, errBadPhase
	}
	if m.Deadline != 0 && n.cfg.Now().UnixMilli() > m.Deadline {
		return rpc.Vote{}, false, ErrExpired
	}
	b := hlc.Stamp{Time: m.Time, Actor: m.Actor}
	var proposal []storage.Delta
	if m.Kind == rpc.KindAccept || m.Kind == rpc.KindLearn {
		ds, err := storage.DecodeProposal(x.proposal, m.State, m.DB, m.Key, b)
		if err != nil {
			return rpc.Vote{}, false, fmt.Errorf("%w: %w", rpc.ErrMalformed, err)
		}
		proposal, x.proposal = ds, ds
	}
	n.clock.Observe(b)
	// The key's one string for the deltas below: the proposal's, which
	// decoding made, or a new one.
	var key string
	if len(proposal) > 0 {
		key = proposal[0].Key
	} else if m.Kind != rpc.KindPeek {
		key = string(m.Key)
	}
	p := n.partitionOf(m.Key)
	part := &n.parts[p]
	x.c.Deltas = x.c.Deltas[:0]
	part.mu.Lock()
	if part.state != partServing { // P4: only a complete copy votes
		part.mu.Unlock()
		return rpc.Vote{}, false, fmt.Errorf("%w: partition %d", ErrNotHeld, p)
	}
	promised, accepted := part.shard.Acceptor(m.DB, m.Key)
	top := promised.Max(accepted)
	refused := rpc.Vote{Time: top.Time, Actor: top.Actor}
	// last is the proposal accepted last, with its applied record.
	last := func() rpc.Vote {
		state := part.shard.AppendSerialState(dst, m.DB, m.Key)
		all, _ := part.shard.AppendApplied(state, m.Key, accepted)
		return rpc.Vote{Yes: true, Time: accepted.Time, Actor: accepted.Actor, State: state, Applied: all[len(state):]}
	}
	var v rpc.Vote
	switch m.Kind {
	case rpc.KindPeek:
		v = last()
	case rpc.KindPrepare:
		// A promise, with the proposal accepted last, unless a ballot at
		// or above b was promised or accepted.
		if !top.Less(b) {
			v = refused
			break
		}
		x.c.Deltas = append(x.c.Deltas, storage.PromiseDelta(key, b))
		v = last()
	default:
		// The proposal replaces the key's state, unless a higher ballot
		// was promised or accepted, and its promise is dropped, or raised
		// to the proposer's next ballot (a standing promise: its next
		// command on the key may skip Prepare). A Learn's proposal is
		// chosen already: it is taken the same way, but the vote means
		// nothing, so nothing waits for an fsync (a later vote's fsync
		// covers it, as the log is written in order). It is taken over a
		// higher promise too (only a proposal accepted at or above it
		// keeps it out): any proposal of a higher ballot holds the effect
		// of a chosen one (the majority it prepared at includes one that
		// accepted it first), so the promise's proposer loses nothing,
		// and the proposer whose own Accept a promise refused (its
		// proposal on the key in another database, a read's Prepare)
		// holds its choice before it answers (round.endLocked).
		keptOut := b.Less(promised) || b.Less(accepted)
		if m.Kind == rpc.KindLearn {
			keptOut = !accepted.Less(b)
		}
		if keptOut {
			v = refused
			break
		}
		done := storage.PromiseDone(key, b)
		if m.Next != 0 {
			done = storage.PromiseDelta(key, hlc.Stamp{Time: m.Next, Actor: m.Actor})
		}
		x.c.Deltas = append(append(x.c.Deltas, proposal...), done)
		if len(m.Applied) > 0 {
			x.c.Deltas = append(x.c.Deltas, storage.AppliedDelta(key, b, m.Applied))
		}
		v = rpc.Vote{Yes: true, Time: m.Time, Actor: m.Actor}
	}
	var err error
	if len(x.c.Deltas) > 0 {
		x.dparts = x.dparts[:0]
		for k := range x.c.Deltas {
			part.shard.Apply(&x.c.Deltas[k])
			x.dparts = append(x.dparts, p)
		}
		_, _, err = n.logCmd(x, nil)
	}
	part.mu.Unlock()
	if err != nil {
		return rpc.Vote{}, false, err
	}
	return v, len(x.c.Deltas) > 0 && m.Kind != rpc.KindLearn, nil
}

// synced makes everything logged so far durable on disk, whatever the
// fsync policy (P3: a forgotten promise could let two proposals be
// chosen). Concurrent callers share fsyncs.
func (n *Node) synced() error {
	if n.wal == nil {
		return nil
	}
	if err := n.wal.Sync(); err != nil {
		n.fail(err)
		return err
	}
	return nil
}
