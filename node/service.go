package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
)

// ServiceConfig configures a storage node process in a cluster.
type ServiceConfig struct {
	Node        Config // Cluster is forced on
	Name        string
	RPCAddr     string // listen address for routers and nodes
	GossipAddr  string
	Join        []string
	Secret      []byte
	Replicas    int           // replica count of the ring (Cluster II); 1 serves primaries only
	ReapTimeout time.Duration // a failed member leaves the ring after this
	Fast        bool          // gossip timings for tests on one machine
	Logger      *slog.Logger
	// MaxTransfers bounds partitions moving into this node at once, so
	// rebalancing leaves room for clients.
	MaxTransfers int
	// TransferRate bounds the bytes per second of partition data moving
	// into this node (default 64 MiB/s; negative: unlimited).
	TransferRate int64
	// AntiEntropy is how long a sweep comparing every partition this node
	// serves with a peer replica takes (default 5 minutes; negative: no
	// comparisons, tombstones are still purged). Replicated clusters only.
	AntiEntropy time.Duration
	// TombstoneGrace is how long deletions are remembered on replicated
	// nodes (default twice the reap timeout; it must exceed it).
	TombstoneGrace time.Duration
	// MaxHints bounds the bytes of hints kept for replicas that are away
	// (default 256 MiB; negative: none are kept, anti-entropy and reads
	// repair those replicas instead).
	MaxHints int64
	// KeepStaleData starts a node that was away longer than the reap
	// timeout on its data anyway (after the whole cluster was down).
	KeepStaleData bool
}

// MaxClusterPartitions is the largest partition count a cluster supports.
const MaxClusterPartitions = 2048

// Service is a storage node in a cluster: the node, its RPC server, its
// gossip membership, and the loop that moves partitions to where the
// ring says they belong.
type Service struct {
	cfg    ServiceConfig
	log    *slog.Logger
	node   *Node
	coord  *Coordinator
	rpc    *rpc.Server
	lis    net.Listener
	gossip *gossip.Gossip
	ring   ring.Current

	mu         sync.Mutex
	peers      map[string]*rpc.Client // by RPC address
	moving     map[int]bool           // partitions being moved in
	movedIn    map[int]time.Time      // when each partition last finished moving in
	rings      *ring.Builder
	hints      *replication.HintStore // nil with one replica or no persistence
	pace       throttle               // of the data moving in
	advMu      sync.Mutex             // serializes advertise
	lastTag    string
	ringSince  time.Time // when the ring last changed
	leaving    bool
	reconciled chan struct{} // signalled after each reconcile
	kick       chan struct{} // asks Run to reconcile now
	advKick    chan struct{} // asks the advertiser to gossip the held set
	advDone    chan struct{} // closed when the advertiser has stopped
	entropy    entropyCounters
	catching   []int // partitions to catch up on after a restart
	wg         sync.WaitGroup
}

// StartService opens the node's data, listens for RPC and joins the
// cluster. Run does the rest.
func StartService(cfg ServiceConfig) (*Service, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Replicas < 1 {
		cfg.Replicas = 1
	}
	if cfg.MaxTransfers < 1 {
		cfg.MaxTransfers = 2
	}
	if cfg.TransferRate == 0 {
		cfg.TransferRate = 64 << 20
	}
	if cfg.ReapTimeout == 0 {
		cfg.ReapTimeout = 24 * time.Hour
	}
	if cfg.AntiEntropy == 0 {
		cfg.AntiEntropy = 5 * time.Minute
	}
	if cfg.TombstoneGrace == 0 {
		cfg.TombstoneGrace = 2 * cfg.ReapTimeout
	}
	if cfg.TombstoneGrace <= cfg.ReapTimeout {
		return nil, fmt.Errorf("node: the tombstone grace (%s) must be longer than the reap timeout (%s), or a node "+
			"that comes back could bring deleted data with it", cfg.TombstoneGrace, cfg.ReapTimeout)
	}
	if cfg.MaxHints == 0 {
		cfg.MaxHints = 256 << 20
	}
	cfg.Node.Cluster = true
	if cfg.Replicas > 1 {
		// Replicas receive deltas late, twice and out of order (hints,
		// repair): removals must leave tombstones, or an older add
		// arriving after a remove would bring the element back on one
		// copy only.
		cfg.Node.KeepTombstones = true
	}
	cfg.Node.Logger = cfg.Logger
	if cfg.Node.Partitions > MaxClusterPartitions {
		return nil, fmt.Errorf("node: a cluster supports at most %d partitions", MaxClusterPartitions)
	}
	n, err := New(cfg.Node)
	if err != nil {
		return nil, err
	}
	s := &Service{cfg: cfg, log: cfg.Logger, node: n, peers: map[string]*rpc.Client{}, moving: map[int]bool{}, movedIn: map[int]time.Time{},
		rings:      ring.NewBuilder(n.Partitions(), cfg.Replicas),
		reconciled: make(chan struct{}, 1), kick: make(chan struct{}, 1),
		advKick: make(chan struct{}, 1), advDone: make(chan struct{})}
	s.pace.rate = float64(max(cfg.TransferRate, 0))
	if err := checkAway(cfg, n, time.Now()); err != nil {
		n.Close()
		return nil, err
	}
	if err := s.markAlive(time.Now()); err != nil {
		n.Close()
		return nil, err
	}
	if s.hints, err = openHints(cfg, n); err != nil {
		n.Close()
		return nil, err
	}
	s.lis, err = net.Listen("tcp", cfg.RPCAddr)
	if err != nil {
		n.Close()
		return nil, err
	}
	s.coord = &Coordinator{node: n, hints: nil, log: cfg.Logger, readRepairs: &s.entropy.readRepairs}
	if cfg.Replicas > 1 {
		s.coord.replicas = s.others
	}
	if s.hints != nil {
		s.coord.hints = s.hints
	}
	s.rpc = rpc.NewServer(cfg.Secret, s.handle, cfg.Logger)
	s.rpc.HandleInline(s.handleInline)
	if cfg.Replicas > 1 {
		s.catching = n.StartCatchUp() // before the served set is first gossiped
	}
	s.lastTag = gossip.EncodeParts(n.Held())
	s.gossip, err = gossip.Start(gossip.Config{
		Name: cfg.Name, Role: gossip.RoleNode, BindAddr: cfg.GossipAddr, RPCAddr: s.lis.Addr().String(),
		Join: cfg.Join, Secret: cfg.Secret, ReapTimeout: cfg.ReapTimeout, Fast: cfg.Fast, Logger: cfg.Logger,
		Tags: map[string]string{gossip.PartsTag: s.lastTag},
	})
	if err != nil {
		s.lis.Close()
		n.Close()
		return nil, err
	}
	return s, nil
}

// Node returns the storage node.
func (s *Service) Node() *Node { return s.node }

// Coordinator returns the node's coordinator.
func (s *Service) Coordinator() *Coordinator { return s.coord }

// RPCAddr returns the address the node serves RPC on.
func (s *Service) RPCAddr() string { return s.lis.Addr().String() }

// Join merges this node's cluster with the one the members at addrs are
// in. Partitions both clusters hold are merged, not overwritten.
func (s *Service) Join(addrs []string) error { return s.gossip.Join(addrs) }

// MemberState returns the gossip state of member name as seen here
// ("alive", "failed", "leaving", "left"), or "" if unknown.
func (s *Service) MemberState(name string) string {
	st, ok := s.gossip.State(name)
	if !ok {
		return ""
	}
	return st.String()
}

// Hints returns the node's hint store (nil with one replica or without
// persistence).
func (s *Service) Hints() *replication.HintStore { return s.hints }

// RemoveFailed is an administrator's decision that the failed member name
// will not come back: the ring drops it and its partitions are served
// again elsewhere (empty, unless replicated). See vanity-node remove.
func (s *Service) RemoveFailed(name string) error { return s.gossip.Remove(name) }

// Reconciled is signalled each time the node has compared what it holds
// with the ring (tests wait on it).
func (s *Service) Reconciled() <-chan struct{} { return s.reconciled }

// Run serves until ctx ends, then shuts down (without leaving the ring:
// call Leave first for a graceful exit).
func (s *Service) Run(ctx context.Context) error {
	s.wg.Add(2)
	go func() {
		defer s.wg.Done()
		s.rpc.Serve(s.lis)
	}()
	go func() {
		defer s.wg.Done()
		s.node.Run(ctx)
	}()
	go s.advertiser(ctx)
	if s.hints != nil {
		s.wg.Add(1)
		go s.deliverHints(ctx)
	}
	if s.cfg.Replicas > 1 {
		s.wg.Add(1)
		go s.antiEntropy(ctx)
		if len(s.catching) > 0 {
			s.wg.Add(1)
			go s.catchUp(ctx, s.catching)
		}
	}
	s.wg.Add(1)
	go s.keepAlive(ctx)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	for {
		s.reconcile(ctx)
		select {
		case <-ctx.Done():
			s.shutdown()
			return nil
		case <-s.gossip.Changes():
		case <-s.kick:
		case <-tick.C:
		}
	}
}

func (s *Service) shutdown() {
	<-s.advDone // serf must not be asked to change tags once shut down
	s.gossip.Shutdown()
	s.rpc.Close()
	s.wg.Wait()
	s.coord.Wait()
	s.mu.Lock()
	for _, c := range s.peers {
		c.Close()
	}
	s.mu.Unlock()
	if err := s.node.Close(); err != nil {
		s.log.Error("closing the WAL failed", "err", err)
	}
}

// Leave announces a graceful departure and waits until every partition
// this node held has moved to another node, or ctx ends.
func (s *Service) Leave(ctx context.Context) error {
	s.mu.Lock()
	s.leaving = true
	s.mu.Unlock()
	if err := s.gossip.Leave(); err != nil {
		return err
	}
	if s.cfg.Replicas > 1 {
		return s.leaveReplicas(ctx)
	}
	for {
		// Done once every partition moved and its new owner confirmed.
		n := s.node.Handing()
		if n == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: %d partitions not handed off: %w", n, ctx.Err())
		case <-time.After(100 * time.Millisecond): // polling the hand-offs other nodes drive
		}
	}
}

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
	claims := make([][]claim, parts)
	var cmu sync.Mutex
	// A node that has left may still be handing its partitions off: it is
	// asked too, and only ignored once it no longer answers.
	var others []gossip.Member
	for _, m := range members {
		if m.Role == gossip.RoleNode && m.Name != s.cfg.Name {
			others = append(others, m)
		}
	}
	asked := make(chan struct{}, len(others))
	for _, m := range others {
		go func(m gossip.Member) {
			defer func() { asked <- struct{}{} }()
			held := gossip.DecodeParts(m.Tags[gossip.PartsTag], parts)
			state := m.State
			if m.State != gossip.Failed {
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
			}
			cmu.Lock()
			defer cmu.Unlock()
			for p, h := range held {
				if h {
					claims[p] = append(claims[p], claim{m.RPC, state})
				}
			}
		}(m)
	}
	for range others {
		<-asked
	}
	s.mu.Lock()
	stable := time.Since(s.ringSince) >= s.settle()
	s.mu.Unlock()
	if !stable {
		return // act on a ring every node has had time to see
	}
	serving := s.node.Held()
	if s.cfg.Replicas > 1 {
		if s.reconcileReplicas(ctx, r, self, claims, serving) {
			s.advertiseSoon()
		}
		return
	}
	changed := false
	for p := 0; p < parts; p++ {
		if r.Primary(p) != self {
			continue
		}
		if s.busy(p) {
			continue
		}
		src, waiting := source(claims[p])
		// Serving p while another node holds it too (two nodes claimed it
		// with different views of the ring, or a hand-off was never
		// confirmed): its copy is merged into ours, then dropped. Values
		// merge, so neither copy's writes are lost.
		merge := serving[p]
		s.mu.Lock()
		stale := merge && s.movedIn[p].After(since)
		s.mu.Unlock()
		switch {
		case merge && (src == "" || stale):
			// Nothing to merge, or the claim is the old owner's, seen
			// before our move of p finished and it dropped its copy.
			continue
		case src != "":
			s.transfer(ctx, p, src, merge, false)
		case !waiting:
			// Nobody has it: a new cluster, a partition never written, or
			// our own copy handed off to a node that never took it (then
			// complete: nobody served it since). Claimed only once the
			// ring has been stable for a while, so nodes still discovering
			// each other rarely both claim it; if they do, the merge above
			// reunites the copies.
			if err := s.node.SetHeld(p, true); err == nil {
				changed = true
			}
		}
	}
	if changed {
		s.advertiseSoon()
	}
}

// reconcileReplicas, with several replicas per partition, copies in the
// partitions whose replica set this node is in and does not serve yet
// (from any live holder, which keeps serving), claims those nobody holds,
// and drops those it is no longer a replica of once every live replica
// serves them. It reports whether the served set changed.
func (s *Service) reconcileReplicas(ctx context.Context, r *ring.Ring, self int, claims [][]claim, serving []bool) bool {
	changed := false
	for p := range serving {
		inSet := r.Holds(self, p)
		switch {
		case inSet && !serving[p]:
			if s.busy(p) || s.node.Catching(p) {
				continue
			}
			src, waiting := source(claims[p])
			switch {
			case src != "":
				s.transfer(ctx, p, src, true, true)
			case !waiting:
				if err := s.node.SetHeld(p, true); err == nil {
					changed = true
				}
			}
		case !inSet && serving[p]:
			// Kept until every live replica serves p, so no write is
			// left only here.
			live, all := 0, true
			for _, i := range r.Replicas(p) {
				m := r.Member(int(i))
				st, ok := s.gossip.State(m.ID)
				if !ok || st != gossip.Alive {
					continue
				}
				live++
				has := false
				for _, c := range claims[p] {
					has = has || c.rpc == m.Addr && c.state == gossip.Alive
				}
				all = all && has
			}
			if live > 0 && all {
				if err := s.node.SetHeld(p, false); err == nil {
					if err := s.node.DropPartition(p); err != nil {
						s.log.Warn("dropping a partition failed", "partition", p, "err", err)
					}
					changed = true
				}
			}
		}
	}
	return changed
}

// leaveReplicas ends a graceful leave with several replicas: nothing is
// handed off (the other replicas keep serving), so the node waits until,
// for every partition it holds, every live replica of the ring without it
// serves that partition (they copy it in from whoever has it, this node
// included), then drops its copies.
func (s *Service) leaveReplicas(ctx context.Context) error {
	parts := len(s.node.parts)
	for {
		var ms []ring.Member
		held := map[string][]bool{}
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
				held[m.Name] = gossip.DecodeParts(info.Serving, parts)
			}
		}
		r, err := ring.New(ms, parts, s.cfg.Replicas)
		if err != nil {
			return fmt.Errorf("node: leaving the last node: %w", err)
		}
		waiting := 0
		for p, mine := range s.node.Held() {
			if !mine {
				continue
			}
			for _, i := range r.Replicas(p) {
				m := r.Member(int(i))
				st, _ := s.gossip.State(m.ID)
				if h := held[m.ID]; st == gossip.Alive && (h == nil || !h[p]) {
					waiting++
					break
				}
			}
		}
		if waiting == 0 {
			for p, mine := range s.node.Held() {
				if mine {
					s.node.SetHeld(p, false)
					s.node.DropPartition(p)
				}
			}
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("node: %d partitions not yet copied to their replicas: %w", waiting, ctx.Err())
		case <-time.After(100 * time.Millisecond): // polling the copies other nodes drive
		}
	}
}

// busy reports whether partition p is moving in already, or the node is
// at its limit of transfers.
func (s *Service) busy(p int) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.moving[p] || len(s.moving) >= s.cfg.MaxTransfers
}

// source picks, among the claims on a partition, a live holder to take it
// from, and reports whether a failed node holds it (its data may come
// back with it).
func source(claims []claim) (src string, waiting bool) {
	for _, c := range claims {
		switch c.state {
		case gossip.Alive, gossip.Leaving:
			src = c.rpc
		case gossip.Failed:
			waiting = true
		}
	}
	return src, waiting
}

// transfer moves (or, with copyOnly, copies) partition p in from src in
// the background, then reconciles again: more partitions may be waiting.
func (s *Service) transfer(ctx context.Context, p int, src string, merge, copyOnly bool) {
	s.mu.Lock()
	s.moving[p] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.transferIn(ctx, p, src, merge, copyOnly)
		s.mu.Lock()
		delete(s.moving, p)
		if err == nil {
			s.movedIn[p] = time.Now()
		}
		s.mu.Unlock()
		if err != nil {
			s.log.Warn("bringing a partition in failed; will retry", "partition", p, "from", src, "copy", copyOnly, "err", err)
		}
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}()
}

// claim says that the member at rpc (in state) holds a partition.
type claim struct {
	rpc   string
	state gossip.State
}

// settle is how long the ring must be unchanged before this node claims
// partitions that nobody holds.
func (s *Service) settle() time.Duration {
	if s.cfg.Fast {
		return 500 * time.Millisecond
	}
	return 3 * time.Second
}

// advertiseSoon asks the advertiser to gossip the held set. Gossiping
// waits for the broadcast (up to seconds), which must not hold up a
// hand-off or a reconciliation; routers and nodes ask over RPC meanwhile.
func (s *Service) advertiseSoon() {
	select {
	case s.advKick <- struct{}{}:
	default:
	}
}

// advertiser gossips the held set when asked, until ctx ends.
func (s *Service) advertiser(ctx context.Context) {
	defer close(s.advDone)
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.advKick:
			s.advertise()
		}
	}
}

// advertise gossips the held set if it changed. Calls are serialized so
// an older set is never gossiped after a newer one, and a set that failed
// to go out is retried on the next call.
func (s *Service) advertise() {
	s.advMu.Lock()
	defer s.advMu.Unlock()
	tag := gossip.EncodeParts(s.node.Held())
	s.mu.Lock()
	same := tag == s.lastTag
	leaving := s.leaving
	s.mu.Unlock()
	// After Leave, serf must not be asked to change tags (memberlist
	// crashes); the other nodes ask a leaving node over RPC instead.
	if same || leaving {
		return
	}
	if err := s.gossip.SetTag(gossip.PartsTag, tag); err != nil {
		s.log.Warn("advertising partitions failed", "err", err)
		return
	}
	s.mu.Lock()
	s.lastTag = tag
	s.mu.Unlock()
}

func (s *Service) peer(addr string) *rpc.Client {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.peerLocked(addr)
}

// peerLocked is peer with s.mu held.
func (s *Service) peerLocked(addr string) *rpc.Client {
	c := s.peers[addr]
	if c == nil {
		c = rpc.NewClient(addr, s.cfg.Secret, 2)
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

func partitionPayload(p int) []byte { return binary.AppendUvarint(nil, uint64(p)) }

// transferIn takes partition p over from the node at src (see
// transfer.go). With merge, this node already serves p and src's copy is
// joined into its own instead of replacing it. With copyOnly (replicas),
// src keeps serving p: the copy is joined into whatever this node already
// has (deltas coordinators sent it meanwhile), and writes after the copy
// reach it from their coordinators, which send every write to the whole
// replica set.
func (s *Service) transferIn(ctx context.Context, p int, src string, merge, copyOnly bool) (err error) {
	c := s.peer(src)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	fetch := func(kind rpc.Kind) ([]byte, error) {
		raw, err := c.Call(cctx, kind, partitionPayload(p))
		if err != nil {
			return nil, err
		}
		out, err := unpack(raw)
		if err != nil {
			return nil, err
		}
		return out, s.pace.wait(cctx, len(out))
	}
	states, err := fetch(rpc.KindStream)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			c.Call(context.Background(), rpc.KindAbort, partitionPayload(p))
		}
	}()
	install := s.node.InstallPartition
	if merge {
		install = s.node.ApplyStream
	}
	if err := install(p, states); err != nil {
		return err
	}
	for round := 0; round < 50; round++ {
		deltas, err := fetch(rpc.KindPull)
		if err != nil {
			return err
		}
		if err := s.node.ApplyStream(p, deltas); err != nil {
			return err
		}
		if len(deltas) < 4096 {
			break
		}
	}
	if copyOnly {
		if _, err := c.Call(cctx, rpc.KindAbort, partitionPayload(p)); err != nil {
			return err
		}
		if err := s.node.SetHeld(p, true); err != nil {
			return err
		}
		s.advertiseSoon()
		s.log.Info("partition copied in", "partition", p, "from", src)
		return nil
	}
	handoff := time.Now()
	raw, err := c.Call(cctx, rpc.KindHandoff, partitionPayload(p))
	if err != nil {
		return err
	}
	last, err := unpack(raw) // not paced: p is unavailable until applied
	if err != nil {
		return err
	}
	if err := s.node.ApplyStream(p, last); err != nil {
		return err
	}
	if err := s.node.SetHeld(p, true); err != nil {
		return err
	}
	s.advertiseSoon()
	unavailable := time.Since(handoff)
	if _, err := c.Call(cctx, rpc.KindDrop, partitionPayload(p)); err != nil {
		s.log.Warn("the old owner did not drop a moved partition", "partition", p, "err", err)
	}
	s.log.Info("partition moved in", "partition", p, "from", src, "merged", merge, "unavailable", unavailable)
	return nil
}

// Info is what KindInfo returns, as JSON.
type Info struct {
	Name       string `json:"name"`
	Partitions int    `json:"partitions"`
	Held       int    `json:"held"`
	HeldSet    string `json:"held_set"` // EncodeParts of the partitions held or being handed off
	Serving    string `json:"serving"`  // EncodeParts of the partitions served
	Ring       string `json:"ring"`
}

// handleInline serves the data path on the connection's reader goroutine:
// a router's run of commands, and the replica traffic runs cause. What
// waits (replicas, an fsync) continues on a goroutine of the connection.
func (s *Service) handleInline(ctx context.Context, kind rpc.Kind, payload []byte, r rpc.Responder) bool {
	switch kind {
	case rpc.KindRun:
		run := runs.Get().(*rpc.Run)
		if err := rpc.DecodeRun(payload, run); err != nil {
			runs.Put(run)
			r.Reply(rpc.StatusError, []byte(err.Error()))
			return true
		}
		res := results.Get().(*Result)
		s.coord.Run(run, res, func(res *Result) {
			res.out = res.AppendItems(res.out[:0])
			r.Reply(rpc.StatusOK, res.out) // copied into the connection's buffer
			runs.Put(run)
			results.Put(res)
		})
	case rpc.KindReplicateMany:
		parts, deltas, err := decodeStoreBatch(payload)
		var pos uint64
		if err == nil {
			pos, err = s.node.applyReplicas(parts, deltas)
		}
		switch {
		case err != nil:
			r.Reply(rpc.StatusError, []byte(err.Error()))
		case s.node.durableAtOnce(pos):
			s.replyDurable(r, pos)
		default:
			r.Go(func() { s.replyDurable(r, pos) })
		}
	case rpc.KindStatesMany:
		out, err := s.handleStatesMany(payload, nil)
		if err != nil {
			r.Reply(rpc.StatusError, []byte(err.Error()))
		} else {
			r.Reply(rpc.StatusOK, out)
		}
	default:
		return false
	}
	return true
}

// runs and results are reused from one router run to the next.
var (
	runs    = sync.Pool{New: func() any { return new(rpc.Run) }}
	results = sync.Pool{New: func() any { return new(Result) }}
)

// replyDurable answers a store once the log holds pos durably.
func (s *Service) replyDurable(r rpc.Responder, pos uint64) {
	if err := s.node.Durable(pos); err != nil {
		r.Reply(rpc.StatusError, []byte(err.Error()))
		return
	}
	r.Reply(rpc.StatusOK, nil)
}

// handle serves RPC calls.
func (s *Service) handle(ctx context.Context, kind rpc.Kind, payload, dst []byte) (rpc.Status, []byte) {
	fail := func(err error) (rpc.Status, []byte) {
		if errors.Is(err, ErrNotHeld) {
			return rpc.StatusWrongRing, append(dst, err.Error()...)
		}
		return rpc.StatusError, append(dst, err.Error()...)
	}
	partition := func() (int, error) {
		p, k := binary.Uvarint(payload)
		if k <= 0 || p >= uint64(len(s.node.parts)) {
			return 0, rpc.ErrMalformed
		}
		return int(p), nil
	}
	switch kind {
	case rpc.KindPing:
		return rpc.StatusOK, dst
	case rpc.KindDigest, rpc.KindBuckets:
		handler := s.handleDigest
		if kind == rpc.KindBuckets {
			handler = s.handleBuckets
		}
		out, err := handler(payload, dst)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, out
	case rpc.KindPersist:
		if err := s.node.Persist(); err != nil && !errors.Is(err, ErrPersistenceDisabled) {
			return fail(err)
		}
		return rpc.StatusOK, dst
	case rpc.KindStream:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		out, err := s.node.StartStream(p)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, pack(dst, out)
	case rpc.KindPull:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		out, _, err := s.node.PullStream(p)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, pack(dst, out)
	case rpc.KindHandoff:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		out, err := s.node.FinishStream(p)
		if err != nil {
			return fail(err)
		}
		s.advertiseSoon()
		return rpc.StatusOK, pack(dst, out)
	case rpc.KindAbort:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		s.node.AbortStream(p)
		return rpc.StatusOK, dst
	case rpc.KindDrop:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		if err := s.node.DropPartition(p); err != nil {
			return fail(err)
		}
		return rpc.StatusOK, dst
	case rpc.KindInfo:
		held := s.node.Held()
		info := Info{Name: s.cfg.Name, Partitions: len(s.node.parts), HeldSet: gossip.EncodeParts(s.node.Claimed()),
			Serving: gossip.EncodeParts(held)}
		for _, h := range held {
			if h {
				info.Held++
			}
		}
		if r := s.ring.Load(); r != nil {
			info.Ring = fmt.Sprintf("%016x", r.Version())
		}
		out, _ := json.Marshal(info)
		return rpc.StatusOK, append(dst, out...)
	}
	return rpc.StatusError, append(dst, fmt.Sprintf("unknown call kind %d", kind)...)
}
