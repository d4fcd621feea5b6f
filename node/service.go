package node

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
)

// ServiceConfig configures a storage node process in a cluster.
type ServiceConfig struct {
	Node       Config // Cluster is forced on
	Name       string
	RPCAddr    string // listen address for routers and nodes
	GossipAddr string
	Join       []string
	// JoinTimeout bounds how long Start keeps trying to reach a member
	// of Join (default 2 minutes): peers may start later.
	JoinTimeout time.Duration
	Secret      []byte
	// RPCServerTLS and RPCClientTLS, when set, wrap the internal RPC in
	// mutual TLS (internal/tlsconf.RPC); the secret's handshake runs inside.
	RPCServerTLS, RPCClientTLS *tls.Config
	Replicas                   int           // replica count of the ring (Cluster II); 1 serves primaries only
	ReapTimeout                time.Duration // a failed member leaves the ring after this
	Fast                       bool          // gossip timings for tests on one machine
	Logger                     *slog.Logger
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
	// LeaveTimeout bounds the hand-offs of a leave an operator asks for
	// over RPC (vanity-node leave; default 1 minute).
	LeaveTimeout time.Duration
	// OnLeft, if set, is called once such a leave has handed everything
	// off: the process then stops.
	OnLeft func()
	// StandingPromises bounds the keys whose standing promise this node
	// keeps as a proposer (docs/serial.md): a serial write of such a key
	// takes one round trip instead of two (default 65,536; negative:
	// none, every serial write prepares).
	StandingPromises int
	// RPCLoops, if positive, reads the RPC connections (the calls of
	// routers and peers, and the answers to this node's calls) on that
	// many event loops, each waiting for all of its connections at once,
	// and runs the calls that do not wait there; 0: a reader goroutine
	// per connection.
	RPCLoops int
}

// DefaultStandingPromises is ServiceConfig.StandingPromises' default.
const DefaultStandingPromises = 1 << 16

// MaxClusterPartitions is the largest partition count a cluster supports.
const MaxClusterPartitions = 2048

// Service is a storage node in a cluster: the node, its RPC server, its
// gossip membership, and the loop that moves partitions to where the
// ring says they belong.
type Service struct {
	cfg   ServiceConfig
	log   *slog.Logger
	node  *Node
	coord *Coordinator
	// rpc also runs the serial path's runs on its workers (proposer.go):
	// a run goes deep enough that a new goroutine's stack grew, and was
	// copied, on every run.
	rpc *rpc.Server
	// poller reads the RPC connections when cfg.RPCLoops > 0 (nil: their
	// reader goroutines do); closePoller ends it.
	poller      rpc.Poller
	closePoller func()
	lis         net.Listener
	gossip      *gossip.Gossip
	ring        ring.Current
	sets        atomic.Pointer[replicaSets] // the replica sets of the current ring
	// holders are the members holding each partition by the last
	// reconcile's claims: the serial path's old replica sets while
	// partitions move (docs/serial.md, P5).
	holders atomic.Pointer[partHolders]

	mu         sync.Mutex
	peers      map[string]*rpc.Client // by RPC address
	moving     map[int]bool           // partitions being moved in
	movedIn    map[int]time.Time      // when each partition last finished moving in
	broughtIn  int                    // partitions brought in since the last summary line
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
	standing   *standingPromises
	learns     *learner   // what rounds chose, for the acceptors they did not ask
	slow       *slowPeers // acceptors rounds ask last for a while
	gates      keyGates   // one run at a time proposes writes on a key
	// upgrades counts the commands of ordinary runs sent on the serial
	// path because they write a serial key (upgrade.go).
	upgrades  atomic.Int64
	proposals atomic.Uint64 // serial commands proposed here: their ids' counter
	serial    SerialStats
	wg        sync.WaitGroup
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
	if cfg.StandingPromises == 0 {
		cfg.StandingPromises = DefaultStandingPromises
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
		advKick: make(chan struct{}, 1), advDone: make(chan struct{}),
		standing: newStandingPromises(cfg.StandingPromises)}
	s.learns, s.slow = newLearner(&s.serial.Learns), newSlowPeers(&s.serial.SlowPeers)
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
	if cfg.RPCServerTLS != nil {
		s.lis = tls.NewListener(s.lis, cfg.RPCServerTLS)
	}
	s.coord = &Coordinator{node: n, hints: nil, slow: s.slow, log: cfg.Logger, readRepairs: &s.entropy.readRepairs}
	if cfg.Replicas > 1 {
		s.coord.replicas = s.others
	}
	if s.hints != nil {
		s.coord.hints = s.hints
	}
	s.rpc = rpc.NewServer(cfg.Secret, s.handle, cfg.Logger)
	s.poller, s.closePoller = startPoller(cfg.RPCLoops, cfg.Logger)
	if s.poller != nil {
		s.rpc.UsePoller(s.poller)
	}
	s.rpc.HandleInline(s.handleInline)
	s.rpc.Lend(rpc.KindReplicateMany) // decoded and applied in the call: nothing keeps the frame
	if cfg.Replicas > 1 {
		s.catching = n.StartCatchUp() // before the served set is first gossiped
	}
	s.lastTag = gossip.EncodeParts(n.Held())
	shape := gossip.Shape{Partitions: len(n.parts), Replicas: cfg.Replicas}
	tags := shape.Tags()
	tags[gossip.PartsTag] = s.lastTag
	tags[gossip.StampsTag] = gossip.CompactStamps
	s.gossip, err = gossip.Start(gossip.Config{
		Name: cfg.Name, Role: gossip.RoleNode, BindAddr: cfg.GossipAddr, RPCAddr: s.lis.Addr().String(),
		Join: cfg.Join, JoinTimeout: cfg.JoinTimeout, Secret: cfg.Secret, ReapTimeout: cfg.ReapTimeout, Fast: cfg.Fast, Logger: cfg.Logger,
		Tags: tags,
	})
	if err == nil {
		// A node joining a cluster of another partition or replica count
		// would hash keys, place copies and count quorums differently
		// from every other member.
		if err = gossip.CheckShape(s.gossip.Members(), cfg.Name, shape); err != nil {
			s.gossip.Leave() // it never held anything: it leaves rather than fails
			s.gossip.Shutdown()
		}
	}
	if err != nil {
		s.lis.Close()
		s.closePoller()
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

// RingState is the version of the ring this node serves by (0: none yet)
// and the members gossip knows, counted by state.
func (s *Service) RingState() (uint64, map[string]int) {
	var version uint64
	if r := s.ring.Load(); r != nil {
		version = r.Version()
	}
	members := map[string]int{}
	for _, m := range s.gossip.Members() {
		members[m.State.String()]++
	}
	return version, members
}

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
	s.rpc.Close() // waits for the calls, so for the serial runs on its workers
	s.wg.Wait()
	s.coord.Wait()
	s.learns.close()
	s.mu.Lock()
	for _, c := range s.peers {
		c.Close()
	}
	s.mu.Unlock()
	s.closePoller()
	if err := s.node.Close(); err != nil {
		s.log.Error("closing the WAL failed", "err", err)
	}
}
