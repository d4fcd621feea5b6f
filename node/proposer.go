package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// The proposer's side of the serial path (docs/serial.md): a node that a
// router sends a serial command to runs Paxos for it over the acceptors
// of the key's partition (itself among them) and answers once a majority
// accepted the state the command left, or once a majority agreed on the
// state a read found.

// acceptor is one replica's side of the serial path, as a proposer reaches
// it: done gets the vote, or the error that kept it from voting (which
// counts as a refusal).
type acceptor interface {
	Name() string
	Phase(kind rpc.Kind, m *rpc.Phase, timeout time.Duration, done func(rpc.Vote, error))
}

// Phase implements acceptor over the internal RPC.
func (r rpcReplica) Phase(kind rpc.Kind, m *rpc.Phase, timeout time.Duration, done func(rpc.Vote, error)) {
	r.client.Go(kind, rpc.AppendPhase(nil, m), timeout, func(out []byte, err error) {
		var v rpc.Vote
		if err == nil {
			err = rpc.DecodeVote(out, &v)
			v.State = slices.Clone(v.State) // out is the connection's
		}
		done(v, err)
	})
}

// localAcceptor is the proposer's own node.
type localAcceptor struct {
	name string
	n    *Node
}

func (l localAcceptor) Name() string { return l.name }

func (l localAcceptor) Phase(kind rpc.Kind, m *rpc.Phase, _ time.Duration, done func(rpc.Vote, error)) {
	switch kind {
	case rpc.KindPrepare:
		done(l.n.Prepare(m, nil))
	case rpc.KindPeek:
		done(l.n.Peek(m, nil))
	default:
		done(l.n.Accept(m))
	}
}

// hasSerial reports whether any command of r runs on the serial path.
func hasSerial(r *rpc.Run) bool {
	for i := range r.Cmds {
		if c := &r.Cmds[i]; proto.Serial(c.Read, c.Write, c.Reqs) {
			return true
		}
	}
	return false
}

// serialRun runs every command of r on the serial path, each on a
// goroutine it waits for, and answers them in r's order.
func (s *Service) serialRun(r *rpc.Run, res *Result) {
	s.node.clock.Observe(hlc.Stamp{Time: r.Floor})
	deadline := time.Now().Add(replicateTimeout)
	if r.Deadline != 0 {
		deadline = time.UnixMilli(r.Deadline)
	}
	type outcome struct {
		st    rpc.Status
		reply []byte
	}
	outs := make([]outcome, len(r.Cmds))
	var wg sync.WaitGroup
	for i := range r.Cmds {
		wg.Go(func() {
			st, reply := s.propose(&r.Cmds[i], deadline)
			outs[i] = outcome{st, reply}
		})
	}
	wg.Wait()
	res.reset(r.Answers())
	for i := range r.Cmds {
		if o := outs[i]; o.st == rpc.StatusOK && len(r.Cmds[i].Reqs) == 1 && r.Cmds[i].Digest == rpc.DigestNone {
			res.Replies = append(res.Replies, o.reply...)
			res.end(rpc.StatusOK)
		} else {
			res.refuse(r.Cmds[i].Answers(), o.st, string(o.reply))
		}
	}
}

// Serial path errors, as the client reads them (PROTOCOL.md §12.1).
const (
	msgSerialOneKey   = "SERIAL runs one command on one key: run a transaction or a command of several keys at QUORUM"
	msgSerialDigest   = "SERIAL reads are not digest reads"
	msgSerialNoQuorum = "the serial path reached no majority of the key's replicas in time (the command did not run)"
	msgSerialUnknown  = "the serial path lost its majority after proposing; the write is not confirmed (it may have been applied)"
)

// propose runs the one request of c as proposer until a majority accepts
// it, or deadline. The reply is the command's on success, a message
// otherwise.
func (s *Service) propose(c *rpc.Cmd, deadline time.Time) (rpc.Status, []byte) {
	if c.Digest != rpc.DigestNone {
		return rpc.StatusError, []byte(msgSerialDigest)
	}
	if len(c.Reqs) != 1 {
		return rpc.StatusOK, proto.AppendErrorMsg(nil, msgSerialOneKey)
	}
	req := c.Reqs[0]
	keys := req.Keys(nil)
	if len(keys) == 0 || slices.ContainsFunc(keys[1:], func(k []byte) bool { return string(k) != string(keys[0]) }) {
		return rpc.StatusOK, proto.AppendErrorMsg(nil, msgSerialOneKey)
	}
	key := keys[0]
	p := s.node.partitionOf(key)
	accs := s.acceptors(p)
	if len(accs) == 0 {
		return rpc.StatusUnavailable, fmt.Appendf(nil, "unavailable: partition %d has no replicas in this node's ring", p)
	}
	names := make([]string, len(accs))
	for i, a := range accs {
		names[i] = a.Name()
	}
	if proto.ReadOnly(c.Reqs) {
		// One round trip and no write when the replicas agree.
		m := &rpc.Phase{DB: c.DB, Deadline: deadline.UnixMilli(), Key: key}
		if state, ok := peek(accs, m, deadline); ok {
			_, reply, err := storage.Propose(c.DB, key, state, s.node.clock.Now(), req, rand.IntN, nil)
			if err != nil {
				return rpc.StatusError, []byte(err.Error())
			}
			return rpc.StatusOK, reply
		}
	}
	var seen hlc.Stamp
	// mine is this command's proposal once an Accept of it has left, at
	// ballot mineAt: it may be accepted somewhere, and chosen later.
	var mine *storage.Proposal
	var mineAt hlc.Stamp
	var mineReply []byte
	for attempt := 0; ; attempt++ {
		if attempt > 0 {
			if !backoff(attempt, deadline) {
				break
			}
		}
		b := s.node.clock.Now()
		if !seen.Less(b) {
			b = hlc.Stamp{Time: seen.Time + 1, Actor: s.node.Actor()}
			s.node.clock.Observe(b)
		}
		m := &rpc.Phase{DB: c.DB, Time: b.Time, Actor: b.Actor, Deadline: deadline.UnixMilli(), Key: key}
		ph, agree := round(accs, names, rpc.KindPrepare, m, deadline)
		if ph.Outcome() != serial.Won {
			seen = seen.Max(stampOf(ph.Highest()))
			continue
		}
		latest, state := ph.Latest()
		prop, reply := mine, mineReply
		if proto.ReadOnly(c.Reqs) {
			mine = nil // a read runs again: it changes nothing
		}
		switch {
		case mine != nil && stampOf(latest) == mineAt:
			// This command's own proposal is the latest: finish it (Paxos
			// re-proposes it anyway) rather than run the command again on
			// a state that may already hold its effect.
			prop.B = b
		case mine != nil && mineAt.Less(stampOf(latest)):
			// A later proposal may or may not have been computed from
			// this command's: running it again could apply it twice.
			return rpc.StatusNotConfirmed, []byte(msgSerialUnknown)
		default:
			// Nothing of this command was accepted by the majority that
			// promised, so it was not chosen and never will be: run it on
			// the chosen state.
			p, out, err := storage.Propose(c.DB, key, state, b, req, rand.IntN, nil)
			if err != nil {
				return rpc.StatusError, []byte(err.Error())
			}
			if !p.Wrote && agree {
				return rpc.StatusOK, out // a majority holds the chosen state already
			}
			prop, reply = &p, out
		}
		d, err := prop.State()
		if err != nil { // a container: the client's to write otherwise
			return rpc.StatusOK, proto.AppendErrorMsg(nil, err.Error())
		}
		m.State = storage.AppendDelta(nil, &d)
		mine, mineAt, mineReply = prop, b, reply
		ph, _ = round(accs, names, rpc.KindAccept, m, deadline)
		if ph.Outcome() == serial.Won {
			return rpc.StatusOK, reply
		}
		seen = seen.Max(stampOf(ph.Highest()))
	}
	if mine != nil && !proto.ReadOnly(c.Reqs) {
		return rpc.StatusNotConfirmed, []byte(msgSerialUnknown)
	}
	return rpc.StatusUnavailable, []byte(msgSerialNoQuorum)
}

// round sends one phase to every acceptor and counts the votes until the
// phase is won or lost, every acceptor has voted, or deadline. agree
// reports, for a Prepare, whether a majority of the acceptors reported
// the same accepted ballot, the highest: that proposal is chosen.
func round(accs []acceptor, names []string, kind rpc.Kind, m *rpc.Phase, deadline time.Time) (*serial.Phase, bool) {
	ph := serial.NewPhase(names)
	accepted := map[serial.Ballot]int{}
	collect(accs, kind, m, deadline, func(i int, v rpc.Vote, err error) bool {
		bal := serial.Ballot{Stamp: v.Time, Actor: v.Actor}
		switch {
		case err != nil:
			ph.Refuse(names[i], serial.Ballot{})
		case !v.Yes:
			ph.Refuse(names[i], bal)
		case kind == rpc.KindPrepare:
			ph.Promise(names[i], bal, v.State)
			accepted[bal]++
		default:
			ph.Accepted(names[i])
		}
		return ph.Outcome() != serial.Pending
	})
	best, _ := ph.Latest()
	return ph, accepted[best] >= len(accs)/2+1
}

// peek reads the acceptors' registers without a promise and returns the
// state of the proposal that a majority of them report as accepted last,
// if they do before they all answer or deadline: that proposal is chosen,
// and none after it was chosen before the peek began (every majority that
// could have chosen one meets this one), so a read may answer from it.
func peek(accs []acceptor, m *rpc.Phase, deadline time.Time) ([]byte, bool) {
	need := len(accs)/2 + 1
	count := map[hlc.Stamp]int{}
	var state []byte
	ok := collect(accs, rpc.KindPeek, m, deadline, func(_ int, v rpc.Vote, err error) bool {
		if err != nil || !v.Yes {
			return false
		}
		bal := hlc.Stamp{Time: v.Time, Actor: v.Actor}
		if count[bal]++; count[bal] >= need {
			state = v.State
			return true
		}
		return false
	})
	return state, ok
}

// collect sends one phase to every acceptor (in parallel: the local one,
// last, runs on this goroutine) and hands each vote, in arrival order, to
// take, until take reports it has what it needs, every acceptor has
// answered, or deadline. It reports whether take finished.
func collect(accs []acceptor, kind rpc.Kind, m *rpc.Phase, deadline time.Time, take func(i int, v rpc.Vote, err error) bool) bool {
	type answer struct {
		i   int
		v   rpc.Vote
		err error
	}
	ch := make(chan answer, len(accs)) // sized so no late answer blocks
	timeout := time.Until(deadline)
	for i, a := range accs {
		a.Phase(kind, m, timeout, func(v rpc.Vote, err error) { ch <- answer{i, v, err} })
	}
	timer := time.NewTimer(max(timeout, 0))
	defer timer.Stop()
	for range accs {
		select {
		case a := <-ch:
			if take(a.i, a.v, a.err) {
				return true
			}
		case <-timer.C:
			return false
		}
	}
	return false
}

// backoff waits before another round (rounds that collide back off at
// random, longer each time), and reports whether there is time left.
func backoff(attempt int, deadline time.Time) bool {
	d := time.Duration(rand.Int64N(int64(time.Millisecond) << min(attempt, 5)))
	if time.Now().Add(d).After(deadline) {
		return false
	}
	time.Sleep(d)
	return true
}

// acceptors returns the acceptors of partition p by the current ring:
// its replicas, this node among them if it is one (a proposer need not
// hold the partition).
func (s *Service) acceptors(p int) []acceptor {
	others, n := s.others(p)
	out := make([]acceptor, 0, n)
	for _, o := range others {
		a, ok := o.(acceptor)
		if !ok {
			return nil
		}
		out = append(out, a)
	}
	if len(out) < n {
		out = append(out, localAcceptor{name: s.cfg.Name, n: s.node})
	}
	return out
}

func stampOf(b serial.Ballot) hlc.Stamp { return hlc.Stamp{Time: b.Stamp, Actor: b.Actor} }
