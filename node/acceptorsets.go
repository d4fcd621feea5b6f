package node

import (
	"slices"

	"github.com/vanitydb/vanity/replication"
)

// The acceptors a serial command's rounds ask: its partition's replicas,
// and its holders while it moves.

// acceptors returns the acceptors of partition p and the sets a phase
// needs a majority of each: p's replicas by the current ring (this node
// among them if it is one: a proposer need not hold the partition), and,
// while the partition moves (its holders by the last claims are other
// nodes: a member joined or left), its holders as a second set, whose
// members are asked too (docs/serial.md, P5). A quorum of the new set
// alone could miss one of the old set that chose a proposal before the
// new replicas had it; a majority of each always meets both.
func (s *Service) acceptors(p int) ([]acceptor, [][]string) {
	own := s.ownAcceptors(p)
	if own == nil {
		return nil, nil
	}
	out, set := own.accs, own.sets[0]
	var old []holder
	if h := s.holders.Load(); h != nil && p < len(h.of) {
		old = h.of[p]
	}
	if len(old) == 0 || len(old) == len(set) && !slices.ContainsFunc(old, func(h holder) bool { return !slices.Contains(set, h.name) }) {
		return out, own.sets
	}
	out = slices.Clone(out) // the holders that are not replicas join it
	held := make([]string, len(old))
	for i, h := range old {
		held[i] = h.name
		switch {
		case slices.Contains(set, h.name):
		case h.name == s.cfg.Name:
			out = append(out, localAcceptor{name: s.cfg.Name, n: s.node})
		default:
			out = append(out, rpcReplica{name: h.name, client: s.peer(h.rpc)})
		}
	}
	return out, [][]string{set, held}
}

// movedAway reports whether partition p has left this node: the node
// neither serves p completely nor is one of its replicas by its ring (it
// left the cluster, or a new owner took p's one copy over). A proposal
// for a key of p then goes to the node that serves it.
func (s *Service) movedAway(p int) bool {
	own := s.ownAcceptors(p)
	return own != nil && !slices.Contains(own.sets[0], s.cfg.Name) && !s.node.serves(p)
}

// acceptorSet is a partition's acceptors by one ring, and the one
// replica set they make. Shared: it must not be changed.
type acceptorSet struct {
	accs []acceptor
	sets [][]string
}

// ownAcceptors returns partition p's acceptors by the current ring:
// its other replicas, and this node, as one set (nil: a replica is not an
// acceptor). They are built once per
// ring and partition (every serial command asks).
func (s *Service) ownAcceptors(p int) *acceptorSet {
	rs := s.currentSets()
	if rs != nil {
		if as := rs.accs[p].Load(); as != nil {
			return as
		}
	}
	var others []replication.Replica
	n := 1
	if rs != nil {
		others, n = rs.of[p], rs.ring.ReplicaCount()
	}
	as := &acceptorSet{accs: make([]acceptor, 0, n+1)}
	for _, o := range others {
		a, ok := o.(acceptor)
		if !ok {
			return nil
		}
		as.accs = append(as.accs, a)
	}
	if len(as.accs) < n {
		as.accs = append(as.accs, localAcceptor{name: s.cfg.Name, n: s.node})
	}
	set := make([]string, len(as.accs))
	for i, a := range as.accs {
		set[i] = a.Name()
	}
	as.sets = [][]string{set}
	if rs != nil {
		rs.accs[p].Store(as)
	}
	return as
}

// Moving counts the partitions this node sees moving: their holders by
// the last claims are not their replica set by its ring (a member joined
// or left, or a restarted replica not yet seen serving again). A serial
// command on such a partition needs a majority of both sets (P5), so one
// more node down can stop it until the move is seen to end.
func (s *Service) Moving() int {
	n := 0
	for p := range s.node.parts {
		if _, sets := s.acceptors(p); len(sets) > 1 {
			n++
		}
	}
	return n
}
