package node

import (
	"sync"
	"sync/atomic"
	"time"
)

// slowPeers are peers found failing, or slower than a hedge: for slowFor
// after, a serial round asks them after the others (rounds.go), so that a
// partner that is down or cut off costs one round its hedge, not every
// one.
type slowPeers struct {
	mu     sync.Mutex
	until  map[string]time.Time
	marked *atomic.Int64 // counts marks (nil: not counted)
}

// slowFor is how long a peer that failed or was hedged stays last.
const slowFor = time.Second

// newSlowPeers returns an empty set whose marks count in marked (nil:
// not counted).
func newSlowPeers(marked *atomic.Int64) *slowPeers {
	return &slowPeers{until: map[string]time.Time{}, marked: marked}
}

// mark records that peer name failed or was slow, now.
func (s *slowPeers) mark(name string, now time.Time) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.until[name] = now.Add(slowFor)
	s.mu.Unlock()
	if s.marked != nil {
		s.marked.Add(1)
	}
}

// slow reports whether peer name was marked within slowFor of now.
func (s *slowPeers) slow(name string, now time.Time) bool {
	if s == nil {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.until[name]
	if ok && !now.Before(t) {
		delete(s.until, name)
		ok = false
	}
	return ok
}
