package node

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/storage"
)

// Which partitions a cluster node holds: the reconcile loop that compares
// what the ring assigns this node with what the members claim, claims the
// partitions nobody holds, and drops those it no longer should; and a
// graceful leave.

// buildRing makes the ring of storage nodes that are members: alive or
// failed (a failed node keeps its place until reaped), not leaving.
func (s *Service) buildRing(members []gossip.Member) *ring.Ring {
	var ms []ring.Member
	for _, m := range members {
		if m.Role == gossip.RoleNode && (m.State == gossip.Alive || m.State == gossip.Failed) {
			ms = append(ms, ring.Member{ID: m.Name, Addr: m.RPC})
		}
	}
	r, err := s.rings.Build(ms)
	if err != nil {
		return nil
	}
	if cur := s.ring.Load(); cur == nil || cur.Version() != r.Version() {
		s.ring.Store(r)
		s.mu.Lock()
		s.ringSince = time.Now()
		s.mu.Unlock()
		s.log.Info("ring changed", "members", len(ms), "version", fmt.Sprintf("%016x", r.Version()))
		if r.ReplicaCount() < s.cfg.Replicas {
			s.log.Warn("fewer storage nodes than replicas: each partition has fewer copies until more nodes join",
				"nodes", len(ms), "replicas", s.cfg.Replicas, "copies", r.ReplicaCount())
		}
	}
	return s.ring.Load()
}

// chooseStamps writes compact stamps once every node of the cluster reads
// them, and full ones while any does not (a node of an older version,
// during a rolling upgrade).
func (s *Service) chooseStamps(members []gossip.Member) {
	compact := gossip.ReadCompactStamps(members)
	if storage.CompactStamps() != compact {
		storage.SetCompactStamps(compact)
		s.log.Info("stamps chosen", "compact", compact)
	}
}

// claim says that the member at rpc (in state) holds a partition.
type claim struct {
	rpc   string
	state gossip.State
}

// reconcile starts moving in the partitions this node should hold, and
// advertises what it holds.
func (s *Service) reconcile(ctx context.Context) {
	defer func() {
		select {
		case s.reconciled <- struct{}{}:
		default:
		}
	}()
	members := s.gossip.Members()
	s.chooseStamps(members)
	r := s.buildRing(members)
	s.advertiseSoon()
	s.mu.Lock()
	leaving := s.leaving
	s.mu.Unlock()
	if r == nil || leaving {
		return
	}
	self := r.IndexOf(s.cfg.Name)
	if self < 0 {
		return
	}
	parts := len(s.node.parts)
	since := time.Now() // claims gathered from here on may predate moves that finish meanwhile
	// Who holds what: asked of each reachable node directly (gossip tags
	// lag), and taken from the tag of a node that cannot be asked.
	// A node that has left may still be handing its partitions off: it is
	// asked too, and only ignored once it no longer answers.
	var others []gossip.Member
	for _, m := range members {
		if m.Role == gossip.RoleNode && m.Name != s.cfg.Name {
			others = append(others, m)
		}
	}
	helds := make([][]bool, len(others))
	states := make([]gossip.State, len(others))
	var wg sync.WaitGroup
	for i, m := range others {
		wg.Add(1)
		go func() {
			defer wg.Done()
			helds[i], states[i] = s.heldBy(ctx, m, parts)
		}()
	}
	wg.Wait()
	claims := gatherClaims(others, helds, states, parts)
	s.noteHolders(members, claims)
	s.mu.Lock()
	stable := time.Since(s.ringSince) >= s.settle()
	s.mu.Unlock()
	if !stable {
		return // act on a ring every node has had time to see
	}
	if s.place(ctx, r, self, claims, since) {
		s.advertiseSoon()
	}
}

// heldBy returns the partitions member m holds, asked of it directly
// (gossip tags lag) or taken from its tag when it cannot be asked, and the
// state its claims count with.
func (s *Service) heldBy(ctx context.Context, m gossip.Member, parts int) ([]bool, gossip.State) {
	held := gossip.DecodeParts(m.Tags[gossip.PartsTag], parts)
	state := m.State
	if m.State == gossip.Failed {
		return held, state
	}
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	raw, err := s.peer(m.RPC).Call(qctx, rpc.KindInfo, nil)
	cancel()
	var info Info
	switch {
	case err == nil && json.Unmarshal(raw, &info) == nil:
		if h := gossip.DecodeParts(info.HeldSet, parts); h != nil {
			held = h
		}
		if state == gossip.Left {
			state = gossip.Leaving // still there, still handing off
		}
	case m.State == gossip.Left:
		held = nil // gone for good
	}
	return held, state
}

// gatherClaims lists each partition's claims: one per member of others
// whose held set (helds, same order) has it. The lists share one array:
// a node runs this on every ownership pass, many times a second while
// partitions move.
func gatherClaims(others []gossip.Member, helds [][]bool, states []gossip.State, parts int) [][]claim {
	n := 0
	for _, h := range helds {
		for _, x := range h {
			if x {
				n++
			}
		}
	}
	all := make([]claim, 0, n)
	claims := make([][]claim, parts)
	for p := range claims {
		start := len(all)
		for i, h := range helds {
			if p < len(h) && h[p] {
				all = append(all, claim{others[i].RPC, states[i]})
			}
		}
		claims[p] = all[start:len(all):len(all)]
	}
	return claims
}

// holder is a member that holds a partition: its name and RPC address.
type holder struct{ name, rpc string }

// partHolders lists each partition's holders.
type partHolders struct{ of [][]holder }

// noteHolders keeps who holds each partition by claims (the other
// members') and this node's held set, for the serial path: while a
// partition moves, a phase needs a majority of its holders as well as of
// its replica set by the ring (acceptors, docs/serial.md P5). A failed
// holder stays one: it may come back with what it accepted.
func (s *Service) noteHolders(members []gossip.Member, claims [][]claim) {
	names := make(map[string]string, len(members))
	for _, m := range members {
		names[m.RPC] = m.Name
	}
	held := s.node.Held()
	n := len(claims)
	for _, cs := range claims {
		n += len(cs)
	}
	all := make([]holder, 0, n) // one array for every partition's list
	h := &partHolders{of: make([][]holder, len(claims))}
	for p, cs := range claims {
		start := len(all)
		if p < len(held) && held[p] {
			all = append(all, holder{name: s.cfg.Name})
		}
		for _, c := range cs {
			if name, ok := names[c.rpc]; ok {
				all = append(all, holder{name: name, rpc: c.rpc})
			}
		}
		h.of[p] = all[start:len(all):len(all)]
	}
	s.holders.Store(h)
}

// place brings in the partitions whose replica set this node is in and
// does not serve yet, claims those nobody holds, and drops those it is no
// longer a replica of once every live replica serves them. It reports
// whether the served set changed.
//
// Replication decides how a partition comes in. With several copies
// (Replicas > 1) it is copied (the holder keeps serving it; coordinators
// already send this node every write to it) and joined into whatever this
// node has. With one copy nobody else gets its writes, so it is moved: the
// holder stops serving it at the hand-off and drops it once this node
// confirms (transfer.go); and a partition this node serves while another
// node holds it too (two nodes claimed it with different views of the
// ring, or a hand-off was never confirmed) has that copy merged in. Values
// merge, so neither copy's writes are lost.
func (s *Service) place(ctx context.Context, r *ring.Ring, self int, claims [][]claim, since time.Time) bool {
	serving := s.node.Held()
	copied := s.cfg.Replicas > 1
	changed := false
	for p := range serving {
		inSet := r.Holds(self, p)
		switch {
		case inSet && (!serving[p] || !copied):
			if s.busy(p) || s.node.Catching(p) {
				continue
			}
			src, waiting := source(p, claims[p])
			if serving[p] {
				// One copy, served here: merge another holder's copy,
				// unless its claim is the old owner's, seen before our
				// move of p finished and it dropped its copy.
				s.mu.Lock()
				stale := s.movedIn[p].After(since)
				s.mu.Unlock()
				if src != "" && !stale {
					s.transfer(ctx, p, src, true, false)
				}
				continue
			}
			switch {
			case src != "":
				s.transfer(ctx, p, src, copied, copied)
			case !waiting:
				// Nobody has it: a new cluster, a partition never written,
				// or our own copy handed off to a node that never took it
				// (then complete: nobody served it since). Claimed only
				// once the ring has been stable for a while, so nodes
				// still discovering each other rarely both claim it; if
				// they do, their copies are merged (one copy) or joined
				// by anti-entropy (several).
				if err := s.node.SetHeld(p, true); err == nil {
					changed = true
				}
			}
		case !inSet && serving[p] && copied && s.othersServe(r, p, claims[p]) && s.handOver(ctx, r, p):
			// Kept until every live replica serves p, and has this
			// copy joined in, so no write is left only here. (With one
			// copy, p leaves by a move.)
			if err := s.node.SetHeld(p, false); err == nil {
				if err := s.node.DropPartition(p); err != nil {
					s.log.Warn("dropping a partition failed", "partition", p, "err", err)
				}
				changed = true
			}
		}
	}
	return changed
}

// othersServe reports whether at least one live member of partition p's
// replica set in r serves it, and every live one does, by claims (the
// live members' served sets).
func (s *Service) othersServe(r *ring.Ring, p int, claims []claim) bool {
	live, all := 0, true
	for _, i := range r.Replicas(p) {
		m := r.Member(int(i))
		if m.ID == s.cfg.Name {
			continue
		}
		st, ok := s.gossip.State(m.ID)
		if !ok || st != gossip.Alive {
			continue
		}
		live++
		has := false
		for _, c := range claims {
			has = has || c.rpc == m.Addr && c.state == gossip.Alive
		}
		all = all && has
	}
	return live > 0 && all
}

// source picks, among the claims on partition p, a live holder to take it
// from, and reports whether a failed node holds it (its data may come
// back with it). Partitions take their sources in turn among their live
// holders, so a joining node copies from every holder at once rather than
// loading one.
func source(p int, claims []claim) (src string, waiting bool) {
	live := 0
	for _, c := range claims {
		switch c.state {
		case gossip.Alive, gossip.Leaving:
			live++
		case gossip.Failed:
			waiting = true
		}
	}
	if live == 0 {
		return "", waiting
	}
	k := p % live
	for _, c := range claims {
		if c.state == gossip.Alive || c.state == gossip.Leaving {
			if k == 0 {
				return c.rpc, waiting
			}
			k--
		}
	}
	return "", waiting
}

// busy reports whether partition p is moving in already, or the node is
// at its limit of transfers.
func (s *Service) busy(p int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moving[p] || len(s.moving) >= s.cfg.MaxTransfers
}

// settle is how long the ring must be unchanged before this node claims
// partitions that nobody holds.
func (s *Service) settle() time.Duration {
	if s.cfg.Fast {
		return 500 * time.Millisecond
	}
	return 3 * time.Second
}

// Leave announces a graceful departure and waits, or until ctx ends, for
// the other nodes to take over what this node holds. With several copies
// nothing is handed off: once every live replica of the ring without this
// node serves each partition it holds (they copy it in from whoever has
// it, this node included), it drops its copies. With one copy the new
// owners move its partitions away, and it is done once each has confirmed
// (a partition handed off but not confirmed is waited for too).
func (s *Service) Leave(ctx context.Context) error {
	s.mu.Lock()
	s.leaving = true
	s.mu.Unlock()
	if err := s.gossip.Leave(); err != nil {
		return err
	}
	parts := len(s.node.parts)
	for {
		var ms []ring.Member
		var claims []claim // this node's view: one per live node and partition it serves
		served := map[string][]bool{}
		for _, m := range s.gossip.Members() {
			if m.Role != gossip.RoleNode || m.Name == s.cfg.Name {
				continue
			}
			if m.State == gossip.Alive || m.State == gossip.Failed {
				ms = append(ms, ring.Member{ID: m.Name, Addr: m.RPC})
			}
			if m.State != gossip.Alive {
				continue
			}
			qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			raw, err := s.peer(m.RPC).Call(qctx, rpc.KindInfo, nil)
			cancel()
			var info Info
			if err == nil && json.Unmarshal(raw, &info) == nil {
				served[m.RPC] = gossip.DecodeParts(info.Serving, parts)
			}
		}
		r, err := ring.New(ms, parts, s.cfg.Replicas)
		if err != nil {
			return fmt.Errorf("node: leaving the last node: %w", err)
		}
		waiting := 0
		var drop []int
		held := s.node.Held()
		for p, mine := range s.node.Claimed() {
			if !mine {
				continue
			}
			claims = claims[:0]
			for addr, set := range served {
				if set != nil && set[p] {
					claims = append(claims, claim{addr, gossip.Alive})
				}
			}
			if held[p] && s.cfg.Replicas > 1 && s.othersServe(r, p, claims) {
				drop = append(drop, p)
			} else {
				waiting++ // being copied, moved, or confirmed
			}
		}
		if waiting == 0 {
			for _, p := range drop {
				if !s.handOver(ctx, r, p) {
					waiting++ // tried again next round
					break
				}
			}
		}
		if waiting == 0 {
			for _, p := range drop {
				s.node.SetHeld(p, false)
				s.node.DropPartition(p)
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: %d partitions not yet taken over by other nodes: %w", waiting, ctx.Err())
		case <-time.After(100 * time.Millisecond): // polling the copies and moves other nodes drive
		}
	}
}
