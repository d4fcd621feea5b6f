// Package cluster is the router's view of a Vanity cluster: it implements
// router.Backend by sending each command to the storage node that
// coordinates its partition, one call per node per turn of an event loop
// (Sender), splitting commands whose partitions have different
// coordinators and assembling their replies (scatter.go), lists and counts
// keys from as many complete copies as the read level asks, reading the
// keys they disagree on, and retrying while a partition moves as a
// command does (keys.go), and
// it connects
// the router to the other routers (peers.go: publish/subscribe, and the
// users, whose changes a router tells the others as the changed account,
// applied without a read).
//
// Routing: nodes advertise, in gossip tags, the cluster's shape (its
// partition and replica counts, which the router takes unless configured
// with them: shape.go) and the partitions they serve, and the router asks
// them directly when gossip may lag. Each partition has
// a list of candidate coordinators: the replicas of its preference list
// that serve it, in order, then any other node that serves it. A command
// goes to the first candidate not under suspicion. A node that cannot be
// reached, or does not answer in time, is suspected at once (without
// waiting for gossip), so the next commands go to the next candidate; it
// is cleared when it answers again. A serial run's time says nothing of
// its node's health: a slow one makes the router ping the node, and only
// an unanswered ping makes it suspected (Backend.pingSlow). A command a node did not run (it does
// not serve the partition now, or the run never reached it) is retried
// elsewhere for up to RetryFor (split, if its partitions have come to
// have different coordinators: Backend.spread); a read is also retried when its node
// failed to answer, and so is a write on the serial path, which carries
// an id that makes it take effect once (docs/serial.md); any other write
// whose fate is unknown answers that it is not confirmed. Every run carries a deadline (RequestTimeout): a node does
// not start it later, so a write the router has given up on cannot take
// effect after writes acknowledged since. Commands queued behind the runs
// in flight to a node (Config.MaxInFlight) leave together when one comes
// back; one that comes back while the loop reads the nodes' sockets leaves
// them for the turn's Flush, to go with the turn's commands
// (Sender.Polling). They go to the next candidate when the node is found
// slow or fails to answer, never to it with a fresh deadline
// (Backend.leaveBacklog).
//
// Guarantees weaker than the single process (docs/cluster.md): commands
// whose keys span partitions coordinated by different nodes are not
// atomic: MANY_GET reads each node's part at its own moment; SET_UNION,
// SET_INTERSECT and SET_DIFF read their sources one by one and their _INTO
// forms then replace dest; SET_MOVE removes the member from the source and
// then adds it to dest. RESET and PERSIST reach every node. A transaction
// must keep its keys in one partition (use {tags}). Commands on the
// serial path (proto.Serial: the conditional ones, and those of sessions
// at CONSISTENCY SERIAL) go to the key's coordinator in runs of their
// own, which the node runs as rounds of consensus (docs/serial.md). A
// read at R > 1 of one partition is a digest read (digest.go): the
// coordinator runs it and the other replicas send digests, in the same
// turn, the coordinator's partner first (ring.ByPartner: the replica its
// node's serial rounds ask first) unless its digests kept disagreeing
// with that coordinator's lately (digestpeers.go); a SERIAL read of one key with three
// copies too, the digests being the two acceptors' registers. A read of a key its job writes
// (before or after the write) is not: it runs in its coordinator's run, in
// the job's order, and only there (ref.tied: never hedged or retried on
// another replica, where it could see the job's writes out of order); a
// job's items of one partition take one node, picked once per job
// (jobPicks); and a job with a serial command beside ordinary ones on one
// key runs item by item, so that a job's items take effect in order.
//
// Backend is safe for concurrent use.
package cluster

import (
	"context"
	"crypto/tls"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/router"
	"github.com/vanitydb/vanity/router/users"
)

// Config configures a router's cluster backend.
type Config struct {
	Name       string
	GossipAddr string
	RPCAddr    string // this router's RPC address (other routers call it)
	Join       []string
	// JoinTimeout bounds how long Start keeps trying to reach a member
	// of Join (default 2 minutes): peers may start later.
	JoinTimeout time.Duration
	Secret      []byte
	// RPCServerTLS and RPCClientTLS, when set, wrap the internal RPC in
	// mutual TLS (internal/tlsconf.RPC).
	RPCServerTLS, RPCClientTLS *tls.Config
	// Partitions and Replicas are the cluster's shape, which every
	// member shares; 0 takes the nodes' (gossip.LearnShape, shape.go).
	Partitions, Replicas int
	ReapTimeout          time.Duration
	Fast                 bool
	Logger               *slog.Logger
	// RetryFor bounds how long a command is retried while partitions move.
	RetryFor time.Duration
	// RequestTimeout is how long a node may take to start a command: each
	// run carries the deadline now+RequestTimeout, after which the node
	// refuses it (default 1 s).
	RequestTimeout time.Duration
	// MaxClockOffset is the largest difference between the clocks of a
	// router and a node (default 250 ms): a router waits that long past a
	// run's deadline before it gives up on a write, so the write cannot
	// take effect later.
	MaxClockOffset time.Duration
	// Now is the clock the deadlines are read from (default time.Now).
	Now func() time.Time
	// MaxInFlight bounds the runs an event loop has in flight to one node
	// (default 1); what it flushes meanwhile goes together when one comes
	// back.
	MaxInFlight int
	// MaxSerialInFlight bounds the serial runs (docs/serial.md) an event
	// loop has in flight to one node (default 1): what it flushes meanwhile
	// goes together, so the node runs their rounds together. A round's
	// fixed cost is most of a serial write's (docs/decisions.md, "One
	// serial run in flight per node"), and a key's commands from one router
	// meet at its coordinator's gates, not in contending proposals.
	MaxSerialInFlight int
}

// DefaultMaxSerialInFlight is Config.MaxSerialInFlight's default.
const DefaultMaxSerialInFlight = 1

// newID returns an id for a serial write, unique among this router's and
// (by its random prefix) those of every other router.
func (b *Backend) newID() [16]byte {
	var id [16]byte
	binary.BigEndian.PutUint64(id[:8], b.idPrefix)
	binary.BigEndian.PutUint64(id[8:], b.ids.Add(1))
	return id
}

// Backend routes commands to storage nodes.
type Backend struct {
	cfg Config
	log *slog.Logger
	// shape is the cluster's partition and replica counts, from Config
	// or learned from the nodes (nil until then; it never changes after).
	shape atomic.Pointer[shape]
	// mismatched holds the nodes logged as having another shape
	// (sameShape); guarded by mu.
	mismatched map[string]bool
	// idPrefix (random) and ids name this router's serial writes (newID).
	idPrefix uint64
	ids      atomic.Uint64
	gossip   *gossip.Gossip
	routes   atomic.Pointer[routes]
	lis      net.Listener
	rpcSrv   *rpc.Server

	mu         sync.Mutex
	clients    map[string]*rpc.Client
	transports map[string]Transport // over clients, made once per node
	// known is a copy of transports read without the lock (every
	// command asks for one), replaced when one is made.
	known   atomic.Pointer[map[string]Transport]
	serving map[string][]bool // by RPC address, as the node last answered

	pollMu   sync.Mutex // one poll at a time
	lastPoll time.Time

	reloadMu   sync.Mutex // one users reload at a time
	lastReload time.Time
	server     *router.Server
	users      *users.Store
	poller     rpc.Poller // the server's event loops, which read the nodes' answers (nil: a goroutine per connection)
	health     health
	// wg owns the goroutines of commands that span nodes, retries and the
	// RPC server.
	wg sync.WaitGroup
	// life ends when Run does: retries give up.
	life    context.Context
	endLife context.CancelFunc
	// dial returns the transport to a node (default: the RPC client).
	dial func(addr string) Transport
	// seen is the latest node clock the answers showed (rpcTransport).
	seen clockFloor
	// digestPeers are the replicas digest reads ask last for a while.
	digestPeers digestPeers
}

// routes is an immutable routing table.
type routes struct {
	ring   *ring.Ring
	owners [][]string // candidate coordinators of each partition, by RPC address, in order
	// partners holds, for each partition and each of its owners, the
	// partition's other owners in ring.ByPartner's order from that
	// owner's node (partnersOf).
	partners [][][]string
	nodes    []string          // RPC addresses of live nodes
	routers  []string          // RPC addresses of the other live routers
	failed   map[string]string // RPC address to name, of failed nodes
	members  []gossip.Member
	names    map[string]string // RPC address to name, of the ring's nodes
	held     map[string]int    // partitions each member serves, by name
	ready    bool              // every partition is served by a read quorum of alive nodes (readNeed)
}

// leaving returns the RPC addresses of the nodes gossip says are leaving
// the cluster (they still serve what they have not handed off).
func (rt *routes) leaving() []string {
	var out []string
	for _, m := range rt.members {
		if m.Role == gossip.RoleNode && m.State == gossip.Leaving {
			out = append(out, m.RPC)
		}
	}
	return out
}

// moving reports whether partition p is moving by these routes: one of
// its replicas by the ring is alive but does not serve it (its copy is
// still arriving), so fewer nodes serve it than it will have.
func (rt *routes) moving(p int) bool {
	if rt.ring == nil || p >= len(rt.owners) {
		return false
	}
	for _, i := range rt.ring.Replicas(p) {
		addr := rt.ring.Member(int(i)).Addr
		if slices.Contains(rt.nodes, addr) && !slices.Contains(rt.owners[p], addr) {
			return true
		}
	}
	return false
}

// partnersOf returns the owners of partition p other than addr, in
// ring.ByPartner's order from addr's node; the caller must not change
// them.
func (rt *routes) partnersOf(p int, addr string) []string {
	if p < len(rt.partners) {
		for k, a := range rt.owners[p] {
			if a == addr {
				return rt.partners[p][k]
			}
		}
	}
	return rt.byPartner(rt.ownersOf(p), addr)
}

// byPartner returns the owners other than addr in ring.ByPartner's order
// from addr's node.
func (rt *routes) byPartner(owners []string, addr string) []string {
	var out []string
	for _, a := range owners {
		if a != addr {
			out = append(out, a)
		}
	}
	by := ring.ByPartner(rt.name(addr))
	slices.SortStableFunc(out, func(x, y string) int { return by(rt.name(x), rt.name(y)) })
	return out
}

// name returns the name of the node at addr, or addr when the table has
// no names (a fixed one, in tests).
func (rt *routes) name(addr string) string {
	if n, ok := rt.names[addr]; ok {
		return n
	}
	return addr
}

// ErrUnavailable is returned when no node can serve a partition.
var ErrUnavailable = errors.New("unavailable")

// Start joins the cluster as a router.
func Start(cfg Config) (*Backend, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.RetryFor == 0 {
		cfg.RetryFor = 5 * time.Second
	}
	if cfg.RequestTimeout == 0 {
		cfg.RequestTimeout = time.Second
	}
	if cfg.MaxClockOffset == 0 {
		cfg.MaxClockOffset = 250 * time.Millisecond
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.MaxInFlight == 0 {
		cfg.MaxInFlight = 1
	}
	if cfg.MaxSerialInFlight == 0 {
		cfg.MaxSerialInFlight = DefaultMaxSerialInFlight
	}
	b := &Backend{cfg: cfg, log: cfg.Logger, clients: map[string]*rpc.Client{}, mismatched: map[string]bool{}, transports: map[string]Transport{}, serving: map[string][]bool{},
		health: health{nodes: map[string]*nodeHealth{}}}
	if cfg.Partitions > 0 && cfg.Replicas > 0 {
		b.shape.Store(newShape(gossip.Shape{Partitions: cfg.Partitions, Replicas: cfg.Replicas}))
	}
	b.idPrefix = rand.Uint64()
	b.life, b.endLife = context.WithCancel(context.Background())
	var err error
	b.lis, err = net.Listen("tcp", cfg.RPCAddr)
	if err == nil && cfg.RPCServerTLS != nil {
		b.lis = tls.NewListener(b.lis, cfg.RPCServerTLS)
	}
	if err != nil {
		return nil, err
	}
	b.rpcSrv = rpc.NewServer(cfg.Secret, b.handle, cfg.Logger)
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		b.rpcSrv.Serve(b.lis)
	}()
	b.gossip, err = gossip.Start(gossip.Config{
		Name: cfg.Name, Role: gossip.RoleRouter, BindAddr: cfg.GossipAddr, RPCAddr: b.lis.Addr().String(),
		Join: cfg.Join, JoinTimeout: cfg.JoinTimeout, Secret: cfg.Secret, ReapTimeout: cfg.ReapTimeout, Fast: cfg.Fast, Logger: cfg.Logger,
	})
	if err != nil {
		b.rpcSrv.Close()
		b.wg.Wait()
		return nil, err
	}
	b.refresh()
	return b, nil
}

// Attach connects the router server and user store this backend serves
// (for messages and user reloads from other routers).
func (b *Backend) Attach(srv *router.Server, store *users.Store) {
	b.mu.Lock()
	b.server, b.users = srv, store
	if p := srv.Poller(); p != nil {
		// The event loops read the nodes' answers (connections dialed
		// from now on).
		b.poller = p
		for _, c := range b.clients {
			c.UsePoller(p)
		}
	}
	b.mu.Unlock()
}

// Run keeps the routes current until ctx ends, then leaves the cluster.
func (b *Backend) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			b.endLife()
			b.gossip.Leave()
			b.gossip.Shutdown()
			b.rpcSrv.Close()
			b.wg.Wait()
			b.mu.Lock()
			for _, c := range b.clients {
				c.Close()
			}
			b.mu.Unlock()
			return nil
		case <-b.gossip.Changes():
			b.poll(ctx)
			b.refresh()
		case <-tick.C:
			b.poll(ctx)
			b.refresh()
			// A backstop for a users change whose notice was lost (this
			// router was unreachable for a moment).
			if time.Since(b.lastReloadTime()) > usersBackstop {
				if err := b.ReloadUsers(ctx); err != nil && ctx.Err() == nil {
					b.log.Debug("reloading users failed", "err", err)
				}
			}
		}
	}
}

// refresh rebuilds the routing table from gossip and what the nodes said
// they serve.
func (b *Backend) refresh() *routes {
	if b.gossip == nil {
		return b.routes.Load() // a fixed table (tests)
	}
	members := b.gossip.Members()
	sh := b.learnShape(members)
	if sh == nil { // no node has said yet: nothing to route to
		rt := &routes{members: members, failed: map[string]string{}, names: map[string]string{}}
		b.routes.Store(rt)
		return rt
	}
	members = b.sameShape(sh, members)
	rt := &routes{members: members, failed: map[string]string{}, names: map[string]string{}}
	var ms []ring.Member
	for _, m := range members {
		switch {
		case m.Role == gossip.RoleNode && (m.State == gossip.Alive || m.State == gossip.Failed):
			ms = append(ms, ring.Member{ID: m.Name, Addr: m.RPC})
			rt.names[m.RPC] = m.Name
			if m.State == gossip.Alive {
				rt.nodes = append(rt.nodes, m.RPC)
			} else {
				rt.failed[m.RPC] = m.Name
			}
		case m.Role == gossip.RoleRouter && m.State == gossip.Alive && m.Name != b.cfg.Name:
			rt.routers = append(rt.routers, m.RPC)
		}
	}
	rt.ring, _ = sh.rings.Build(ms)
	// What each node serves: what it said over RPC is fresher than its
	// gossiped tag; a failed node's tag says what waits for it.
	b.mu.Lock()
	polled := b.serving
	b.mu.Unlock()
	serves := map[string][]bool{} // by name
	state := map[string]gossip.State{}
	rt.held = map[string]int{}
	for _, m := range members {
		if m.Role != gossip.RoleNode {
			continue
		}
		state[m.Name] = m.State
		if m.State == gossip.Left {
			continue
		}
		held := polled[m.RPC]
		if held == nil || m.State == gossip.Failed {
			held = gossip.DecodeParts(m.Tags[gossip.PartsTag], sh.Partitions)
		}
		serves[m.Name] = held
		for _, h := range held {
			if h {
				rt.held[m.Name]++
			}
		}
	}
	rt.owners = make([][]string, sh.Partitions)
	rt.ready = true
	for p := range rt.owners {
		rt.owners[p] = candidates(rt.ring, p, members, serves, state)
		// Ready: enough alive nodes serve every partition.
		served := 0
		for _, m := range members {
			if h := serves[m.Name]; m.Role == gossip.RoleNode && m.State == gossip.Alive && p < len(h) && h[p] {
				served++
			}
		}
		rt.ready = rt.ready && served >= readNeed(rt.ring, p, state)
	}
	rt.partners = make([][][]string, len(rt.owners))
	for p, owners := range rt.owners {
		rt.partners[p] = make([][]string, len(owners))
		for k, addr := range owners {
			rt.partners[p][k] = rt.byPartner(owners, addr)
		}
	}
	b.routes.Store(rt)
	return rt
}

// readNeed is how many alive nodes must serve partition p before the
// router counts it served: a read quorum of its replicas, so that a
// QUORUM read does not meet copies still coming in (a fresh cluster's
// replicas copy their partitions for seconds after the first owner
// serves); or, when fewer of its replicas are alive, as many as are (at
// least one), so a cluster that lost nodes still serves what it can.
func readNeed(r *ring.Ring, p int, state map[string]gossip.State) int {
	if r == nil {
		return 1
	}
	reps := r.Replicas(p)
	alive := 0
	for _, i := range reps {
		if state[r.Member(int(i)).ID] == gossip.Alive {
			alive++
		}
	}
	return max(1, min(proto.ConsQuorum.Need(len(reps)), alive))
}

// candidates lists, in order, the nodes a command on partition p may go
// to: the replicas of its preference list that are alive and serve it;
// other alive nodes serving it; leaving ones; a failed one last (its
// partitions wait for it). When nothing serves p yet, its primary, which
// takes it over.
func candidates(r *ring.Ring, p int, members []gossip.Member, serves map[string][]bool,
	state map[string]gossip.State) []string {
	var out []string
	has := func(name string) bool { h := serves[name]; return p < len(h) && h[p] }
	add := func(addr string) {
		if !slices.Contains(out, addr) {
			out = append(out, addr)
		}
	}
	if r != nil {
		for _, i := range r.Replicas(p) {
			m := r.Member(int(i))
			if state[m.ID] == gossip.Alive && has(m.ID) {
				add(m.Addr)
			}
		}
	}
	for _, want := range []gossip.State{gossip.Alive, gossip.Leaving, gossip.Failed} {
		for _, m := range members {
			if m.Role == gossip.RoleNode && m.State == want && has(m.Name) {
				add(m.RPC)
			}
		}
	}
	if len(out) == 0 && r != nil {
		out = append(out, r.Member(r.Primary(p)).Addr)
	}
	return out
}

// poll asks every live node which partitions it serves (gossip tags can
// lag by seconds), unless another poll has just done so.
func (b *Backend) poll(ctx context.Context) {
	if b.gossip == nil {
		return
	}
	b.pollMu.Lock()
	defer b.pollMu.Unlock()
	if time.Since(b.lastPoll) < 20*time.Millisecond {
		return
	}
	var nodes []string
	for _, m := range b.gossip.Members() {
		if m.Role == gossip.RoleNode && (m.State == gossip.Alive || m.State == gossip.Leaving) {
			nodes = append(nodes, m.RPC)
		}
	}
	sets := make([][]bool, len(nodes))
	var wg sync.WaitGroup
	for i, addr := range nodes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cctx, cancel := context.WithTimeout(ctx, time.Second)
			defer cancel()
			raw, err := b.client(addr).Call(cctx, rpc.KindInfo, nil)
			var info struct {
				Serving string `json:"serving"`
			}
			if err == nil && json.Unmarshal(raw, &info) == nil {
				sets[i] = gossip.DecodeParts(info.Serving, b.partitions())
			}
		}()
	}
	wg.Wait()
	serving := make(map[string][]bool, len(nodes))
	for i, addr := range nodes {
		if sets[i] != nil {
			serving[addr] = sets[i]
		}
	}
	b.mu.Lock()
	b.serving = serving
	b.mu.Unlock()
	b.lastPoll = time.Now()
}

func (b *Backend) client(addr string) *rpc.Client {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.clientLocked(addr)
}

// clientLocked is client with b.mu held.
func (b *Backend) clientLocked(addr string) *rpc.Client {
	c := b.clients[addr]
	if c == nil {
		c = rpc.NewClient(addr, b.cfg.Secret, 4).UseTLS(b.cfg.RPCClientTLS)
		if b.poller != nil {
			c.UsePoller(b.poller)
		}
		b.clients[addr] = c
	}
	return c
}

// ringVersion is the version of the ring this router routes by (0: none),
// sent with each command so a node can name a stale router in its error.
func (b *Backend) ringVersion() uint64 {
	if r := b.routes.Load().ring; r != nil {
		return r.Version()
	}
	return 0
}

// RingState is the version of the ring this router routes by (0: none
// yet) and the members gossip knows, counted by state.
func (b *Backend) RingState() (uint64, map[string]int) {
	members := map[string]int{}
	for _, m := range b.gossip.Members() {
		members[m.State.String()]++
	}
	return b.ringVersion(), members
}

// WaitReady blocks until every partition is served by a read quorum of
// alive nodes (readNeed) and at least minNodes nodes are alive, or ctx
// ends.
func (b *Backend) WaitReady(ctx context.Context, minNodes int) error {
	for {
		b.poll(ctx)
		rt := b.refresh()
		if len(rt.nodes) >= minNodes && rt.ready {
			return nil
		}
		select {
		case <-ctx.Done():
			unserved := 0
			for p := range rt.owners {
				if len(rt.owners[p]) == 0 || rt.failed[rt.owners[p][0]] != "" {
					unserved++
				}
			}
			return fmt.Errorf("%d storage nodes alive (%d wanted), partitions not all served (%d without a live candidate): %w",
				len(rt.nodes), minNodes, unserved, ctx.Err())
		case <-time.After(50 * time.Millisecond): // polling until the cluster serves
		}
	}
}

// Ready reports whether the router can route every command: every
// partition is served by a read quorum of alive nodes (readNeed).
func (b *Backend) Ready() error {
	rt := b.refresh()
	if !rt.ready {
		return fmt.Errorf("not every partition is served (%d storage nodes alive)", len(rt.nodes))
	}
	return nil
}

// Routers returns the RPC addresses of the other alive routers, as gossip
// knows them now.
func (b *Backend) Routers() []string { return b.refresh().routers }

// RPCAddr returns this router's RPC address.
func (b *Backend) RPCAddr() string { return b.lis.Addr().String() }
