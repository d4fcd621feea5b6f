package cluster

import (
	"sync"
	"sync/atomic"
	"time"
)

// health is what a router knows of each node's responsiveness: how long
// its answers take (an average), and whether it is suspected. A node is
// suspected the moment a call to it fails or goes unanswered for much
// longer than its answers usually take, without waiting for gossip;
// commands then go to the next candidate coordinator of each partition.
// A suspected node is pinged until it answers, and is then trusted again.
type health struct {
	mu    sync.Mutex
	nodes map[string]*nodeHealth
	// suspects counts the nodes suspected, so that asking about a node
	// while none is (every command, in the usual case) takes no lock.
	suspects atomic.Int32
}

type nodeHealth struct {
	rtt       time.Duration // moving average of answered runs
	suspected bool
	probing   bool
}

// Bounds of the wait before a run's answer counts as slow.
const (
	minSlow = 50 * time.Millisecond
	rttGain = 8 // a run is slow after this many times the usual round trip
)

// probeEvery is the pause between pings of a suspected node.
const probeEvery = 200 * time.Millisecond

func (h *health) node(addr string) *nodeHealth {
	n := h.nodes[addr]
	if n == nil {
		n = &nodeHealth{rtt: 5 * time.Millisecond}
		h.nodes[addr] = n
	}
	return n
}

// suspected reports whether the node at addr is under suspicion.
func (b *Backend) suspected(addr string) bool {
	if b.health.suspects.Load() == 0 {
		return false
	}
	b.health.mu.Lock()
	defer b.health.mu.Unlock()
	n := b.health.nodes[addr]
	return n != nil && n.suspected
}

// suspect puts the node at addr under suspicion (cause says why) and
// pings it until it answers.
func (b *Backend) suspect(addr string, cause error) {
	b.health.mu.Lock()
	n := b.health.node(addr)
	was := n.suspected
	n.suspected = true
	if !was {
		b.health.suspects.Add(1)
	}
	probe := !n.probing
	n.probing = true
	b.health.mu.Unlock()
	if !was {
		b.log.Info("storage node suspected; its partitions go to other replicas", "node", addr, "err", cause)
	}
	if probe {
		b.wg.Add(1)
		go func() {
			defer b.wg.Done()
			b.probe(addr)
		}()
	}
}

// probe pings the node at addr until it answers (it is trusted again) or
// the router stops.
func (b *Backend) probe(addr string) {
	for {
		select {
		case <-b.life.Done():
			return
		case <-time.After(probeEvery): // a pause between pings of a node that does not answer
		}
		if b.ping(addr) == nil {
			b.health.mu.Lock()
			b.health.node(addr).probing = false
			b.health.mu.Unlock()
			b.healthy(addr, 0)
			return
		}
	}
}

// ping pings the node at addr through its transport (as a slow serial
// run's node is pinged, pingSlow) and returns once it answered, or why it
// did not within the request timeout. A transport without pings (the
// single process's) always answers.
func (b *Backend) ping(addr string) error {
	p, ok := b.transport(addr).(pinger)
	if !ok {
		return nil
	}
	answered := make(chan error, 1)
	p.Ping(b.cfg.RequestTimeout, func(err error) { answered <- err })
	return <-answered
}

// healthy records an answer of the node at addr after rtt (0: a ping,
// which says nothing of its runs' time) and ends a suspicion.
func (b *Backend) healthy(addr string, rtt time.Duration) {
	b.health.mu.Lock()
	n := b.health.node(addr)
	was := n.suspected
	n.suspected = false
	if was {
		b.health.suspects.Add(-1)
	}
	if rtt > 0 {
		n.rtt += (rtt - n.rtt) / 8
	}
	b.health.mu.Unlock()
	if was {
		b.log.Info("storage node answers again", "node", addr)
	}
}

// slowAfter is how long a run to the node at addr may go unanswered
// before it counts as slow: many times its usual round trip, within
// bounds.
func (b *Backend) slowAfter(addr string) time.Duration {
	b.health.mu.Lock()
	rtt := b.health.node(addr).rtt
	b.health.mu.Unlock()
	return min(max(rttGain*rtt, minSlow), b.cfg.RequestTimeout/2)
}
