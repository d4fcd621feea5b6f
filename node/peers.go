package node

import (
	"encoding/binary"
	"sync/atomic"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring"
)

// Connections to the other nodes, and replication.Replica for each.

func (s *Service) peer(addr string) *rpc.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerLocked(addr)
}

// peerLocked is peer with s.mu held.
func (s *Service) peerLocked(addr string) *rpc.Client {
	c := s.peers[addr]
	if c == nil {
		c = rpc.NewClient(addr, s.cfg.Secret, 2).UseTLS(s.cfg.RPCClientTLS)
		if s.poller != nil {
			c.UsePoller(s.poller)
		}
		s.peers[addr] = c
	}
	return c
}

// others returns the replicas of partition p other than this node, by the
// current ring, and the ring's replica count. The slice is shared: it must
// not be changed.
func (s *Service) others(p int) ([]replication.Replica, int) {
	sets := s.currentSets()
	if sets == nil {
		return nil, 1
	}
	return sets.of[p], sets.ring.ReplicaCount()
}

// currentSets returns the replica sets of the current ring (nil: none
// yet), building them at the first call after the ring changed.
func (s *Service) currentSets() *replicaSets {
	r := s.ring.Load()
	if r == nil {
		return nil
	}
	sets := s.sets.Load()
	if sets == nil || sets.ring != r {
		sets = s.replicaSets(r)
		s.sets.Store(sets)
	}
	return sets
}

// replicaSets lists, for one ring, each partition's replicas other than
// this node, for the coordinator's every write: partitions with the same
// preference list share one slice. accs holds each partition's acceptors
// on the serial path, built at first use (Service.acceptors).
type replicaSets struct {
	ring *ring.Ring
	of   [][]replication.Replica
	accs []atomic.Pointer[acceptorSet]
}

// replicaSets builds the sets of ring r.
func (s *Service) replicaSets(r *ring.Ring) *replicaSets {
	sets := &replicaSets{ring: r, of: make([][]replication.Replica, r.Partitions()),
		accs: make([]atomic.Pointer[acceptorSet], r.Partitions())}
	byMember := make([]replication.Replica, len(r.Members()))
	shared := map[string][]replication.Replica{}
	var key []byte
	for p := range sets.of {
		prefs := r.Replicas(p)
		key = key[:0]
		for _, i := range prefs {
			key = binary.AppendUvarint(key, uint64(i))
		}
		if out, ok := shared[string(key)]; ok {
			sets.of[p] = out
			continue
		}
		var out []replication.Replica
		for _, i := range prefs {
			m := r.Member(int(i))
			if m.ID == s.cfg.Name {
				continue
			}
			if byMember[i] == nil {
				byMember[i] = s.replica(m.ID, m.Addr)
			}
			out = append(out, byMember[i])
		}
		shared[string(key)] = out
		sets.of[p] = out
	}
	return sets
}

// replica returns the replication.Replica for the member name at addr.
func (s *Service) replica(name, addr string) replication.Replica {
	return NewReplica(name, s.peer(addr))
}
