package node

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/serial"
)

// A round asks a bare majority of its acceptors first (rounds.go), so the
// others miss what it chose. The learner brings it to them: a chosen
// Accept's proposal goes to each acceptor the round did not ask as a Learn
// (docs/serial.md, "Fewer acceptors"), gathered per acceptor and sent as
// one call learnAfter after the first one waits, or at once when learnMax
// wait. A Learn costs its acceptor no fsync and its proposer no vote to
// count, and one call carries the choices of many rounds: the copy outside
// the majority stays a few milliseconds behind, as a replica of an
// ordinary write may. A Learn that is lost (the acceptor down, the call
// failed) is not sent again: the key's next round that asks that acceptor,
// read repair and anti-entropy bring its copy up, as for any replica.
type learner struct {
	mu      sync.Mutex
	queues  map[string]*learnQueue
	closed  bool
	pending sync.WaitGroup // armed timers
	learned *atomic.Int64  // Learns sent
}

// learnQueue is one acceptor's Learns waiting to be sent.
type learnQueue struct {
	a     acceptor
	ms    []rpc.Phase
	timer *time.Timer // armed while ms waits
}

const (
	learnAfter   = 5 * time.Millisecond
	learnMax     = 256
	learnTimeout = time.Second
)

func newLearner(learned *atomic.Int64) *learner {
	return &learner{queues: map[string]*learnQueue{}, learned: learned}
}

// add queues ms, Learns of chosen proposals, for acceptor a.
func (l *learner) add(a acceptor, ms []rpc.Phase) {
	if l == nil || len(ms) == 0 {
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	q := l.queues[a.Name()]
	if q == nil {
		q = &learnQueue{}
		l.queues[a.Name()] = q
	}
	q.a = a // the latest connection to it
	q.ms = append(q.ms, ms...)
	if len(q.ms) >= learnMax {
		if q.timer != nil && q.timer.Stop() {
			l.pending.Done()
		}
		q.timer = nil
		batch := q.ms
		q.ms = nil
		l.mu.Unlock()
		l.send(a, batch)
		return
	}
	if q.timer == nil {
		l.pending.Add(1)
		var t *time.Timer
		t = time.AfterFunc(learnAfter, func() { l.flush(q, &t) }) // t is read under mu
		q.timer = t
	}
	l.mu.Unlock()
}

// flush sends what q holds, when its timer *t fires.
func (l *learner) flush(q *learnQueue, t **time.Timer) {
	defer l.pending.Done()
	l.mu.Lock()
	a, batch := q.a, q.ms
	q.ms = nil
	if q.timer == *t {
		q.timer = nil
	}
	closed := l.closed
	l.mu.Unlock()
	if !closed && len(batch) > 0 {
		l.send(a, batch)
	}
}

// send makes one call of Learns; its answer means nothing.
func (l *learner) send(a acceptor, ms []rpc.Phase) {
	l.learned.Add(int64(len(ms)))
	a.Phases(ms, learnTimeout, func([]rpc.Vote, error) {})
}

// close drops what waits and returns once no timer can fire.
func (l *learner) close() {
	l.mu.Lock()
	l.closed = true
	for _, q := range l.queues {
		if q.timer != nil && q.timer.Stop() {
			l.pending.Done()
		}
		q.timer, q.ms = nil, nil
	}
	l.mu.Unlock()
	l.pending.Wait()
}

// learns returns, as Learns, the phases of call c whose proposals the
// round chose at an Accept: c's acceptor was not asked.
func learns(c *call) []rpc.Phase {
	var out []rpc.Phase
	for j, p := range c.props {
		if p.m.Kind == rpc.KindAccept && p.ph != nil && p.ph.Outcome() == serial.Won {
			m := c.ms[j]
			m.Kind, m.Next, m.Deadline = rpc.KindLearn, 0, 0
			out = append(out, m)
		}
	}
	return out
}
