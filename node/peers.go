package node

import (
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
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
		s.peers[addr] = c
	}
	return c
}

// others returns the replicas of partition p other than this node, by the
// current ring, and the ring's replica count.
func (s *Service) others(p int) ([]replication.Replica, int) {
	r := s.ring.Load()
	if r == nil {
		return nil, 1
	}
	prefs := r.Replicas(p)
	var out []replication.Replica
	for _, i := range prefs {
		m := r.Member(int(i))
		if m.ID != s.cfg.Name {
			out = append(out, s.replica(m.ID, m.Addr))
		}
	}
	return out, len(prefs)
}

// replica returns the replication.Replica for the member name at addr.
func (s *Service) replica(name, addr string) replication.Replica {
	return NewReplica(name, s.peer(addr))
}
