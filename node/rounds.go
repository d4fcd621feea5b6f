package node

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/ring"
)

// A proposer's rounds (docs/serial.md): the acceptors it reaches, one
// call per acceptor per round carrying every proposal's phase (a bare
// majority asked first, the rest told what was chosen as Learns), and the
// round that counts their votes until each proposal is settled, the
// acceptors asked have answered or the deadline passes.

// acceptor is one replica's side of the serial path, as a proposer reaches
// it: done gets one vote per phase of ms, in order, or the error that kept
// the acceptor from voting on any (which counts as a refusal of each).
type acceptor interface {
	Name() string
	Phases(ms []rpc.Phase, timeout time.Duration, done func([]rpc.Vote, error))
}

// Phases implements acceptor over the internal RPC: one call for every
// phase.
func (r rpcReplica) Phases(ms []rpc.Phase, timeout time.Duration, done func([]rpc.Vote, error)) {
	buf := payloads.Get().(*[]byte)
	*buf = rpc.AppendPhases((*buf)[:0], ms)
	r.client.Go(rpc.KindPhases, *buf, timeout, func(out []byte, err error) {
		var vs []rpc.Vote
		if err == nil {
			vs, err = rpc.DecodeVotes(slices.Clone(out), nil) // out is the connection's
		}
		if err == nil && len(vs) != len(ms) {
			err = fmt.Errorf("%w: %d votes for %d phases", rpc.ErrMalformed, len(vs), len(ms))
		}
		done(vs, err)
	})
	payloads.Put(buf) // Go copied it
}

// localAcceptor is the proposer's own node.
type localAcceptor struct {
	name string
	n    *Node
}

func (l localAcceptor) Name() string { return l.name }

func (l localAcceptor) Phases(ms []rpc.Phase, _ time.Duration, done func([]rpc.Vote, error)) {
	vs := make([]rpc.Vote, len(ms))
	err := l.n.Votes(ms, func(i int, v rpc.Vote) {
		v.State = slices.Clone(v.State)
		vs[i] = v
	})
	done(vs, err)
}

// asker is what a proposer's rounds know of it: its name, after which
// they order its other acceptors (ring.ByPartner), the learner that
// brings what a round chose to the acceptors it did not ask, and the
// acceptors found failing or slow lately, asked last (nil: none of
// either).
type asker struct {
	self  string
	learn *learner
	slow  *slowPeers
}

// rounds runs one round of props (startRound) and returns when it ends.
func rounds(k asker, props []*proposal) {
	done := make(chan struct{})
	startRound(k, props, func() { close(done) })
	<-done
}

// round is one round of a set of proposals: each proposal's phase goes to
// a bare majority of its acceptors first, and to the others if those are
// not enough (startRound), one call per acceptor (in parallel; the local
// one, last, runs on the caller's goroutine), and each vote, in arrival
// order, goes to its proposal. The round ends, and end runs once, on whichever
// goroutine ended it, when every proposal is settled, every acceptor
// asked has answered, or the latest deadline passes. Once every round's
// outcome is known, votes still wanted (a lost Accept's) are waited for
// as long again as the round took, at least a millisecond: a slower
// acceptor counts as unknown. So are the votes missing once every
// acceptor was asked and each proposal heard a majority that left it
// undecided (graceLocked).
type round struct {
	mu        sync.Mutex
	learn     *learner
	slow      *slowPeers
	calls     []*call // every acceptor's
	first     []*call // acceptors asked at once
	later     []*call // acceptors asked only if the first are not enough
	asked     int
	answered  int
	pending   int // proposals not settled
	undecided int // proposals whose outcome is not known
	waiting   int // proposals that have not waited enough (proposal.waited)
	start     time.Time
	timeout   time.Duration
	timers    []*time.Timer // the deadline's, the hedge's, the grace's
	graced    bool          // the grace's is set
	ended     bool
	end       func()
}

// startRound starts a round of props for proposer k, which ends with end.
func startRound(k asker, props []*proposal, end func()) {
	var calls []*call
	byName := map[string]*call{}
	deadline := props[0].deadline
	for _, p := range props {
		if p.deadline.After(deadline) {
			deadline = p.deadline
		}
		for _, a := range p.accs {
			c := byName[a.Name()]
			if c == nil {
				c = &call{a: a, props: make([]*proposal, 0, len(props)), ms: make([]rpc.Phase, 0, len(props)), yes: make([]bool, 0, len(props))}
				byName[a.Name()] = c
				calls = append(calls, c)
			}
			c.props = append(c.props, p)
			c.ms = append(c.ms, p.m)
			c.yes = append(c.yes, false)
		}
	}
	// A round asks a bare majority first: this node, whose vote costs no
	// message, then the others in ring.ByPartner order (the replica a
	// router asks for a read's digest comes first) until each proposal has
	// a majority of each of its sets to ask; the rest only once those have
	// all answered and a proposal is not settled (one failed, refused, or
	// peeks disagree), or after hedgeAfter (hedgeWritesAfter for a round
	// that waits for fsyncs). A round so sends as many messages as a
	// QUORUM read does, and a proposer's rounds meet one peer, whose fsync
	// covers the calls of every proposal it votes on (docs/serial.md,
	// "Fewer acceptors"). What a round chose goes to the acceptors it did
	// not ask as Learns (learn.go). An acceptor that failed or was hedged
	// lately goes after the others (slowPeers).
	partner := ring.ByPartner(k.self)
	now := time.Now()
	rank := func(c *call) int {
		switch {
		case c.a.Name() == k.self:
			return 0
		case k.slow.slow(c.a.Name(), now):
			return 2
		}
		return 1
	}
	for _, c := range calls {
		c.rank = rank(c)
	}
	slices.SortStableFunc(calls, func(x, y *call) int {
		if x.rank != y.rank {
			return x.rank - y.rank
		}
		return partner(x.a.Name(), y.a.Name())
	})
	r := &round{learn: k.learn, slow: k.slow, calls: calls, pending: len(props), undecided: len(props), waiting: len(props),
		start: now, timeout: time.Until(deadline), end: end}
	first, later := majorityFirst(calls, props)
	r.first, r.later = first, later
	r.asked = len(first)
	r.mu.Lock()
	r.timers = append(r.timers, time.AfterFunc(max(r.timeout, 0), r.finish))
	if len(r.later) > 0 {
		hedge := hedgeWritesAfter
		if !slices.ContainsFunc(props, func(p *proposal) bool { return p.m.Kind != rpc.KindPeek }) {
			hedge = hedgeAfter
		}
		r.timers = append(r.timers, time.AfterFunc(hedge, r.hedge))
	}
	r.mu.Unlock()
	r.send(first)
}

// send makes the calls cs, until the round has ended (its deadline may
// pass, or a hedge's calls go out, while they are made). The other
// acceptors' calls leave first; this node's vote, which runs on this
// goroutine (and, but for a peek, waits for an fsync), is taken while they
// are on their way.
func (r *round) send(cs []*call) {
	for _, local := range []bool{false, true} {
		for _, c := range cs {
			if _, l := c.a.(localAcceptor); l == local && !r.over() {
				c.a.Phases(c.ms, r.timeout, func(vs []rpc.Vote, err error) { r.answer(c, vs, err) })
			}
		}
	}
}

// over reports whether the round has ended.
func (r *round) over() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.ended
}

// answer counts call c's votes vs (or its error).
func (r *round) answer(c *call, vs []rpc.Vote, err error) {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	r.answered++
	c.answered = true
	if err != nil {
		r.slow.mark(c.a.Name(), time.Now())
	}
	for j, p := range c.props {
		if p.settled {
			continue
		}
		var v rpc.Vote
		if err == nil {
			v = vs[j]
		}
		c.yes[j] = v.Yes
		was, waited := p.decided, p.waited()
		if p.take(c.a.Name(), v, err) {
			r.pending--
		}
		if !was && p.decided {
			r.undecided--
		}
		if !waited && p.waited() {
			r.waiting--
		}
	}
	if r.pending == 0 {
		r.endLocked()
		return
	}
	var later []*call
	if r.answered == r.asked {
		if len(r.later) == 0 {
			r.endLocked()
			return
		}
		later = r.askLaterLocked()
	}
	r.graceLocked()
	r.mu.Unlock()
	if later != nil {
		r.send(later)
	}
}

// hedge asks the acceptors left out of a round, once its hedge time is
// up.
func (r *round) hedge() {
	r.mu.Lock()
	if r.ended || len(r.later) == 0 {
		r.mu.Unlock()
		return
	}
	now := time.Now()
	for _, c := range r.first {
		if !c.answered {
			r.slow.mark(c.a.Name(), now)
		}
	}
	later := r.askLaterLocked()
	r.graceLocked()
	r.mu.Unlock()
	r.send(later)
}

// graceLocked gives the votes still missing as long again as the round
// has taken (at least a millisecond) once every outcome is known, or once
// every acceptor has been asked and each proposal has heard a majority
// (proposal.waited). Without the second case, a majority that disagrees
// would wait for an acceptor that cannot answer (cut off from this node,
// or paused) until the deadline, and the command fail.
func (r *round) graceLocked() {
	if r.graced || r.undecided > 0 && (r.waiting > 0 || len(r.later) > 0) {
		return
	}
	r.graced = true
	r.timers = append(r.timers, time.AfterFunc(max(time.Since(r.start), time.Millisecond), r.finish))
}

// askLaterLocked returns the calls left out, now counted as asked.
func (r *round) askLaterLocked() []*call {
	later := r.later
	r.asked, r.later = r.asked+len(later), nil
	return later
}

// finish ends the round at its deadline, or its grace after every
// outcome was known.
func (r *round) finish() {
	r.mu.Lock()
	if r.ended {
		r.mu.Unlock()
		return
	}
	r.endLocked()
}

// endLocked ends the round: r.mu is held, and released before end runs.
// What the round chose goes to the acceptors that did not accept it: those
// it did not ask, those that refused (a promise of another proposal:
// one on the key in another database, or a read's), and those that did
// not answer, read before end lets the proposals move on. This node's own
// copy takes it before end: its proposer answers the client then, and the
// node, the key's coordinator, answers the client's next read from that
// copy, whose join of its peers' states (read repair) its promise may
// refuse (storage.Shard.Admits). The others' go later, with others
// (learn.go).
func (r *round) endLocked() {
	r.ended = true
	for _, t := range r.timers {
		t.Stop()
	}
	var to []acceptor
	var ms [][]rpc.Phase
	for _, c := range r.calls {
		if l := learns(c); len(l) > 0 {
			to, ms = append(to, c.a), append(ms, l)
		}
	}
	r.mu.Unlock()
	for i, a := range to {
		switch _, local := a.(localAcceptor); {
		case local:
			a.Phases(ms[i], learnTimeout, func([]rpc.Vote, error) {})
		case r.learn != nil:
			r.learn.add(a, ms[i]...)
		}
	}
	r.end()
}

// hedgeAfter is how long a round of peeks waits for the bare majority it
// asked first before it asks the other acceptors too; hedgeWritesAfter
// that of a round whose votes wait for an fsync (0.1–3 ms here, and more
// under load), which a hedge would make the third acceptor pay too.
const (
	hedgeAfter       = 2 * time.Millisecond
	hedgeWritesAfter = 10 * time.Millisecond
)

// majorityFirst splits calls (this node's first) into those to make at
// once, the fewest in order that give every proposal of props a majority
// of each of its sets, and the rest.
func majorityFirst(calls []*call, props []*proposal) (first, later []*call) {
	for i := range calls {
		if coveredBy(calls[:i], props) {
			return calls[:i], calls[i:]
		}
	}
	return calls, nil
}

// coveredBy reports whether calls reach a majority of each set of every
// proposal of props. A proposal is in the call of each of its acceptors
// (startRound), so the acceptors it asks are those of its own among the
// calls' (no map of proposals to names: a round allocated one).
func coveredBy(calls []*call, props []*proposal) bool {
	var room [8]string
	for _, p := range props {
		asked := room[:0]
		for _, c := range calls {
			if slices.ContainsFunc(p.accs, func(a acceptor) bool { return a.Name() == c.a.Name() }) {
				asked = append(asked, c.a.Name())
			}
		}
		if !p.majority(asked) {
			return false
		}
	}
	return true
}

// call is one acceptor's part of a round: the phases of the proposals it
// votes on, in one message.
type call struct {
	a        acceptor
	props    []*proposal
	ms       []rpc.Phase
	rank     int    // the order it is asked in: this node, others, slow ones
	answered bool   // its votes (or its failure) came
	yes      []bool // by proposal: its acceptor voted for it
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
