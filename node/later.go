package node

import (
	"sync"
	"time"
)

// A node sends some things to a peer with nobody waiting for them: the
// chosen states a serial round's unasked acceptors learn (learn.go). Sent
// one by one they would cost the peer a wake-up, a system call and a
// message each; gathered, one call carries many. laterSends gathers them
// per peer and sends each peer's as one call laterAfter after the first
// one waits, or at once when laterMax wait. The copy that receives them
// stays a few milliseconds behind, as a replica of an ordinary write may.

const (
	laterAfter = 5 * time.Millisecond
	laterMax   = 256
)

// named is a peer that things are sent to.
type named interface{ Name() string }

// laterSends gathers things of type T for peers of type P; send makes one
// call of a batch (it must not block: the calls are asynchronous).
type laterSends[P named, T any] struct {
	send    func(to P, batch []T)
	mu      sync.Mutex
	queues  map[string]*laterQueue[P, T]
	closed  bool
	pending sync.WaitGroup // armed timers
}

// laterQueue is one peer's things waiting to be sent.
type laterQueue[P named, T any] struct {
	to    P
	batch []T
	timer *time.Timer // armed while batch waits
}

func newLaterSends[P named, T any](send func(to P, batch []T)) *laterSends[P, T] {
	return &laterSends[P, T]{send: send, queues: map[string]*laterQueue[P, T]{}}
}

// add queues xs for peer to.
func (l *laterSends[P, T]) add(to P, xs ...T) {
	if l == nil || len(xs) == 0 {
		return
	}
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return
	}
	q := l.queues[to.Name()]
	if q == nil {
		q = &laterQueue[P, T]{}
		l.queues[to.Name()] = q
	}
	q.to = to // the latest connection to it
	q.batch = append(q.batch, xs...)
	if len(q.batch) >= laterMax {
		if q.timer != nil && q.timer.Stop() {
			l.pending.Done()
		}
		q.timer = nil
		batch := q.batch
		q.batch = nil
		l.mu.Unlock()
		l.send(to, batch)
		return
	}
	if q.timer == nil {
		l.pending.Add(1)
		var t *time.Timer
		t = time.AfterFunc(laterAfter, func() { l.flush(q, &t) }) // t is read under mu
		q.timer = t
	}
	l.mu.Unlock()
}

// flush sends what q holds, when its timer *t fires.
func (l *laterSends[P, T]) flush(q *laterQueue[P, T], t **time.Timer) {
	defer l.pending.Done()
	l.mu.Lock()
	to, batch := q.to, q.batch
	q.batch = nil
	if q.timer == *t {
		q.timer = nil
	}
	closed := l.closed
	l.mu.Unlock()
	if !closed && len(batch) > 0 {
		l.send(to, batch)
	}
}

// close drops what waits and returns once no timer can fire.
func (l *laterSends[P, T]) close() {
	if l == nil {
		return
	}
	l.mu.Lock()
	l.closed = true
	for _, q := range l.queues {
		if q.timer != nil && q.timer.Stop() {
			l.pending.Done()
		}
		q.timer, q.batch = nil, nil
	}
	l.mu.Unlock()
	l.pending.Wait()
}
