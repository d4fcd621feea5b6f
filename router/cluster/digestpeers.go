package cluster

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// digestPeers steers digest reads away from a replica whose digests keep
// disagreeing with one coordinator's: one cut off from that coordinator
// (the others reach both) misses its writes, so every read of a key
// written meanwhile would take a second round trip (the coordinator's
// quorum read). After digestMissesToAvoid disagreements in a row, that
// replica is asked after the others, for that coordinator's reads, for
// digestAvoidFor; then it is tried again. Agreement resets the count; a
// read with a failed part counts neither way (the failure has its own
// handling: suspicion).
type digestPeers struct {
	any    atomic.Bool // some pair has misses or is avoided: the fast path's test
	mu     sync.Mutex
	misses map[[2]string]int       // (coordinator, peer): disagreements in a row
	avoid  map[[2]string]time.Time // (coordinator, peer): asked last until then
}

const (
	digestMissesToAvoid = 3
	digestAvoidFor      = time.Second
)

// outcome records whether peer's digest agreed with coordinator's.
func (d *digestPeers) outcome(coord, peer string, agree bool) {
	if agree && !d.any.Load() {
		return
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.misses == nil {
		d.misses, d.avoid = map[[2]string]int{}, map[[2]string]time.Time{}
	}
	k := [2]string{coord, peer}
	switch {
	case agree:
		delete(d.misses, k)
	case d.misses[k]+1 >= digestMissesToAvoid:
		delete(d.misses, k)
		d.avoid[k] = now.Add(digestAvoidFor)
	default:
		d.misses[k]++
	}
	d.any.Store(len(d.misses) > 0 || len(d.avoid) > 0)
}

// last moves the candidates in out that coord's digest reads avoid now
// after the others, in their order otherwise.
func (d *digestPeers) last(coord string, out []string) {
	if !d.any.Load() || len(out) < 2 {
		return
	}
	now := time.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	avoided := func(p string) bool {
		k := [2]string{coord, p}
		until, ok := d.avoid[k]
		if ok && !now.Before(until) {
			delete(d.avoid, k)
			ok = false
		}
		return ok
	}
	slices.SortStableFunc(out, func(x, y string) int {
		ax, ay := avoided(x), avoided(y)
		switch {
		case ax == ay:
			return 0
		case ay:
			return -1
		}
		return 1
	})
	d.any.Store(len(d.misses) > 0 || len(d.avoid) > 0)
}
