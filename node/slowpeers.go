package node

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/replication"
)

// slowPeers are peers found failing, or slower than a hedge: for slowFor
// after, a serial round asks them after the others (rounds.go), and so
// does a quorum read (Coordinator.quorumReads), so that a partner that is
// down or cut off costs one round or read its hedge, not every one.
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

// last returns peers with those slow now after the others, in their order
// otherwise: peers itself when none is slow (the usual case), a copy when
// some are.
func (s *slowPeers) last(peers []replication.Replica) []replication.Replica {
	if s == nil {
		return peers
	}
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.until) == 0 {
		return peers
	}
	slow := func(r replication.Replica) bool {
		t, ok := s.until[r.Name()]
		return ok && now.Before(t)
	}
	if !slices.ContainsFunc(peers, slow) {
		return peers
	}
	out := make([]replication.Replica, 0, len(peers))
	for _, r := range peers {
		if !slow(r) {
			out = append(out, r)
		}
	}
	for _, r := range peers {
		if slow(r) {
			out = append(out, r)
		}
	}
	return out
}
