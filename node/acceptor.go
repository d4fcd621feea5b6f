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

// Prepare answers Prepare(m) for m.Key: a promise, with the proposal
// accepted last (its ballot and state, appended to dst), once the
// promise is on disk; or a refusal naming the ballot that outranks m's.
func (n *Node) Prepare(m *rpc.Phase, dst []byte) (rpc.Vote, error) {
	return n.vote(m, dst, func(part *partition, b hlc.Stamp, promised, accepted hlc.Stamp, x *execCtx) (rpc.Vote, bool) {
		if top := promised.Max(accepted); !top.Less(b) {
			return rpc.Vote{Time: top.Time, Actor: top.Actor}, false
		}
		x.c.Deltas = append(x.c.Deltas, storage.PromiseDelta(m.Key, b))
		state, _ := part.shard.AppendState(dst, m.DB, m.Key)
		return rpc.Vote{Yes: true, Time: accepted.Time, Actor: accepted.Actor, State: state}, true
	})
}

// Peek answers a read's first round: the proposal accepted last (ballot
// and state, appended to dst), promising nothing, so nothing is written
// or waited for. A read that finds the highest ballot among a majority
// of peeks held by a majority is done (that proposal is chosen, and no
// later one was chosen before the read began); otherwise it prepares.
func (n *Node) Peek(m *rpc.Phase, dst []byte) (rpc.Vote, error) {
	return n.vote(m, dst, func(part *partition, _ hlc.Stamp, _, accepted hlc.Stamp, _ *execCtx) (rpc.Vote, bool) {
		state, _ := part.shard.AppendState(dst, m.DB, m.Key)
		return rpc.Vote{Yes: true, Time: accepted.Time, Actor: accepted.Actor, State: state}, false
	})
}

// Accept answers Accept(m): the proposal m.State replaces the key's state
// and drops its promise, once on disk, unless a higher ballot was
// promised or accepted here.
func (n *Node) Accept(m *rpc.Phase) (rpc.Vote, error) {
	d, err := storage.DecodeDelta(m.State)
	if err != nil {
		return rpc.Vote{}, err
	}
	b := hlc.Stamp{Time: m.Time, Actor: m.Actor}
	if int(d.DB) != m.DB || d.Key != string(m.Key) || d.DBWide || d.MaxStamp() != b {
		return rpc.Vote{}, fmt.Errorf("%w: a proposal for %d/%q is not its key's whole state at %v", rpc.ErrMalformed, m.DB, m.Key, b)
	}
	return n.vote(m, nil, func(_ *partition, b hlc.Stamp, promised, accepted hlc.Stamp, x *execCtx) (rpc.Vote, bool) {
		if b.Less(promised) || b.Less(accepted) {
			top := promised.Max(accepted)
			return rpc.Vote{Time: top.Time, Actor: top.Actor}, false
		}
		x.c.Deltas = append(x.c.Deltas, d, storage.PromiseDone(m.Key, b))
		return rpc.Vote{Yes: true, Time: m.Time, Actor: m.Actor}, true
	})
}

// vote runs one phase on the acceptor: decide (under the partition's
// lock, given the key's register) returns the vote and, if it changes
// the register, has put the deltas that do in x; they are applied, logged
// and synced before the vote is returned.
func (n *Node) vote(m *rpc.Phase, dst []byte, decide func(part *partition, b hlc.Stamp, promised, accepted hlc.Stamp, x *execCtx) (rpc.Vote, bool)) (rpc.Vote, error) {
	if m.DB < 0 || m.DB >= storage.SystemDB {
		return rpc.Vote{}, errBadPhase
	}
	if m.Deadline != 0 && n.cfg.Now().UnixMilli() > m.Deadline {
		return rpc.Vote{}, ErrExpired
	}
	if err := n.failure(); err != nil {
		return rpc.Vote{}, err
	}
	b := hlc.Stamp{Time: m.Time, Actor: m.Actor}
	n.clock.Observe(b)
	p := n.partitionOf(m.Key)
	part := &n.parts[p]
	x := n.ctxs.Get().(*execCtx)
	defer n.release(x)
	part.mu.Lock()
	if part.state != partServing { // P4: only a complete copy votes
		part.mu.Unlock()
		return rpc.Vote{}, fmt.Errorf("%w: partition %d", ErrNotHeld, p)
	}
	promised, accepted := part.shard.Acceptor(m.DB, m.Key)
	v, changed := decide(part, b, promised, accepted, x)
	var seq uint64
	var err error
	if changed {
		x.dparts = x.dparts[:0]
		for k := range x.c.Deltas {
			part.shard.Apply(&x.c.Deltas[k])
			x.dparts = append(x.dparts, p)
		}
		_, seq, err = n.logCmd(x, nil)
	}
	part.mu.Unlock()
	if err == nil && seq != 0 {
		err = n.synced()
	}
	if err != nil {
		return rpc.Vote{}, err
	}
	return v, nil
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
