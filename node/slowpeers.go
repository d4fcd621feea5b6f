package node

import (
	"sync"
	"time"
)

// slowPeers are peers found failing, or slower than a hedge: for slowFor
// after, a serial round asks them after the others (rounds.go), so that a
// partner that is down or cut off costs one round its hedge, not every
// one.
type slowPeers struct {
	mu    sync.Mutex
	until map[string]time.Time
}

// slowFor is how long a peer that failed or was hedged stays last.
const slowFor = time.Second

func newSlowPeers() *slowPeers {
	return &slowPeers{until: map[string]time.Time{}}
}

// mark records that peer name failed or was slow, now.
func (s *slowPeers) mark(name string, now time.Time) {
	if s == nil {
		return
	}
	s.mu.Lock()
	s.until[name] = now.Add(slowFor)
	s.mu.Unlock()
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
