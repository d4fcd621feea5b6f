package router

import (
	"net"
	"sync"
	"time"
)

// authBudget bounds password guessing: each source address has a bucket
// of AUTH attempts that refills at a steady rate. An attempt takes one
// before the password is checked (so parallel connections cannot run
// ahead of the bucket) and a successful one gives it back: only failures
// spend the budget. An empty bucket refuses AUTH at once, without the
// cost of a password hash, so a guessing flood does not take the cores
// from other clients either. Time is passed in.
type authBudget struct {
	mu      sync.Mutex
	burst   float64       // attempts a full bucket holds
	every   time.Duration // one attempt comes back per this
	sources map[string]*bucket
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was last brought up to date
}

// maxSources is how many addresses the budget tracks before it forgets
// those whose buckets are full again.
const maxSources = 1 << 16

// newAuthBudget allows perMinute failed attempts per source and minute,
// as many at once; perMinute <= 0 allows every attempt.
func newAuthBudget(perMinute int) *authBudget {
	if perMinute <= 0 {
		return nil
	}
	return &authBudget{burst: float64(perMinute), every: time.Minute / time.Duration(perMinute),
		sources: map[string]*bucket{}}
}

// take takes an attempt for source at now. It returns 0, or how long
// until the next attempt would be allowed.
func (a *authBudget) take(source string, now time.Time) time.Duration {
	if a == nil {
		return 0
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.refill(source, now)
	if b.tokens < 1 {
		return time.Duration((1 - b.tokens) * float64(a.every))
	}
	b.tokens--
	return 0
}

// refund gives back the attempt of an AUTH that succeeded.
func (a *authBudget) refund(source string, now time.Time) {
	if a == nil {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	b := a.refill(source, now)
	b.tokens = min(a.burst, b.tokens+1)
}

// refill returns source's bucket brought up to now (a.mu held).
func (a *authBudget) refill(source string, now time.Time) *bucket {
	b := a.sources[source]
	if b == nil {
		if len(a.sources) >= maxSources {
			a.forgetFull(now)
		}
		b = &bucket{tokens: a.burst, at: now}
		a.sources[source] = b
		return b
	}
	if now.After(b.at) {
		b.tokens = min(a.burst, b.tokens+float64(now.Sub(b.at))/float64(a.every))
		b.at = now
	}
	return b
}

// forgetFull drops the buckets that are full at now: a new bucket starts
// full anyway (a.mu held).
func (a *authBudget) forgetFull(now time.Time) {
	for s, b := range a.sources {
		if b.tokens+float64(now.Sub(b.at))/float64(a.every) >= a.burst {
			delete(a.sources, s)
		}
	}
}

// sourceOf is the address an AUTH budget is kept for: the peer's IP (every
// port of a host shares it), or the whole address for other networks.
func sourceOf(addr net.Addr) string {
	if tcp, ok := addr.(*net.TCPAddr); ok {
		return tcp.IP.String()
	}
	if addr == nil {
		return ""
	}
	return addr.Network() + ":" + addr.String()
}
