package cluster

import (
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
)

// shape is the cluster's shape as this router routes by it, with the
// builder of its rings.
type shape struct {
	gossip.Shape
	rings *ring.Builder
}

func newShape(s gossip.Shape) *shape {
	return &shape{Shape: s, rings: ring.NewBuilder(s.Partitions, s.Replicas)}
}

// learnShape returns the shape this router routes by, settling it the
// first time the nodes say what it is: a count Config leaves at 0 is the
// one most nodes gossip, or the default if none gossips it (a node of an
// older version). It returns nil while no node is known.
func (b *Backend) learnShape(members []gossip.Member) *shape {
	if sh := b.shape.Load(); sh != nil {
		return sh
	}
	nodes := 0
	for _, m := range members {
		if m.Role == gossip.RoleNode && m.State != gossip.Left {
			nodes++
		}
	}
	if nodes == 0 {
		return nil
	}
	learned := gossip.LearnShape(members)
	s := gossip.Shape{Partitions: b.cfg.Partitions, Replicas: b.cfg.Replicas}
	from := func(n *int, theirs, def int, what string) {
		switch {
		case *n != 0:
		case theirs != 0:
			*n = theirs
		default:
			*n = def
			b.log.Warn("no node gossips its "+what+" (a node of an older version): assuming the default; "+
				"start the router with --"+what+" if it is not the cluster's", what, def)
		}
	}
	from(&s.Partitions, learned.Partitions, ring.DefaultPartitions, "partitions")
	from(&s.Replicas, learned.Replicas, ring.DefaultReplicas, "replicas")
	if b.shape.CompareAndSwap(nil, newShape(s)) {
		b.log.Info("routing by the cluster's shape", "partitions", s.Partitions, "replicas", s.Replicas,
			"partitions_from", source(b.cfg.Partitions), "replicas_from", source(b.cfg.Replicas))
	}
	return b.shape.Load()
}

// source names where a count of the shape came from.
func source(configured int) string {
	if configured != 0 {
		return "flag"
	}
	return "nodes"
}

// sameShape drops the nodes whose shape is not the router's: their keys
// hash to other partitions, or their copies and quorums are counted
// otherwise, so they are not routed to. Each is logged once, with the flag
// that would fix it.
func (b *Backend) sameShape(sh *shape, members []gossip.Member) []gossip.Member {
	kept := members[:0:0]
	for _, m := range members {
		err := m.ShapeMismatch(b.cfg.Name, sh.Shape)
		if err == nil {
			kept = append(kept, m)
			continue
		}
		b.mu.Lock()
		first := !b.mismatched[m.Name]
		if first {
			b.mismatched[m.Name] = true
		}
		b.mu.Unlock()
		if first {
			b.log.Error("a node is not routed to", "err", err)
		}
	}
	return kept
}

// partitions is the cluster's partition count (0 until it is known).
func (b *Backend) partitions() int {
	if sh := b.shape.Load(); sh != nil {
		return sh.Partitions
	}
	return 0
}

// replicas is the cluster's replica count (0 until it is known).
func (b *Backend) replicas() int {
	if sh := b.shape.Load(); sh != nil {
		return sh.Replicas
	}
	return 0
}

// partition returns key's partition (0 until the shape is known, when no
// partition has owners).
func (b *Backend) partition(key []byte) int {
	if n := b.partitions(); n > 0 {
		return ring.PartitionOf(key, n)
	}
	return 0
}

// ownersOf returns the candidate coordinators of partition p (none for a
// partition rt does not know: before the shape is).
func (rt *routes) ownersOf(p int) []string {
	if p < 0 || p >= len(rt.owners) {
		return nil
	}
	return rt.owners[p]
}
