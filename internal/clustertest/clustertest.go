// Package clustertest runs a whole Vanity cluster inside one test process:
// storage nodes and routers on 127.0.0.1 ports, data in temporary
// directories, gossip with LAN-local timings. It is for tests only; the
// real binaries are exercised by scripts/cluster and the end-to-end tests.
package clustertest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/freeport"
	"github.com/vanitydb/vanity/internal/tlsconf"
	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
	"github.com/vanitydb/vanity/router/cluster"
	"github.com/vanitydb/vanity/router/users"
	"github.com/vanitydb/vanity/storage/wal"
)

// Options shape a cluster.
type Options struct {
	Partitions int // default 64: small clusters rebalance fast
	Replicas   int // default 1
	Logger     *slog.Logger
	Prefix     string // of member names, for tests that start two clusters
	// These are the nodes' (node.ServiceConfig).
	AntiEntropy    time.Duration
	MaxHints       int64
	ReapTimeout    time.Duration
	TombstoneGrace time.Duration
	// Skew sets the physical clocks of the nodes, in the order they are
	// added: node i's runs Skew[i] ahead (machines' clocks differ by up
	// to the routers' MaxClockOffset).
	Skew []time.Duration
	// RPCTLS wraps every node's and router's internal RPC in mutual TLS.
	RPCTLS *tlsconf.RPC
	// RequestTimeout is the routers' (cluster.Config.RequestTimeout):
	// default theirs.
	RequestTimeout time.Duration
	// MaxMemory and LiveHeap are the nodes' memory limit and its
	// reading (node.Config): the nodes share this process's heap, so a
	// test gives them a reading of its own.
	MaxMemory uint64
	LiveHeap  func() uint64
}

// Cluster is a running test cluster.
type Cluster struct {
	t       testing.TB
	opts    Options
	secret  []byte
	seed    string // gossip address everyone joins
	mu      sync.Mutex
	Nodes   []*Node
	Routers []*Router
	next    int
}

// Node is one storage node.
type Node struct {
	Name   string
	Dir    string
	Gossip string
	// RPC is the internal RPC address: a free port at the first start,
	// the same one at every restart, as a machine's configured --rpc is
	// (a restart on a new port leaves gossip handing out the old one for
	// a moment, which production, with fixed ports, never sees).
	RPC     string
	Service *node.Service
	skew    time.Duration
	cancel  context.CancelFunc
	done    chan struct{}
	Running bool
}

// Router is one router.
type Router struct {
	Name    string
	Addr    string // client address
	Backend *cluster.Backend
	Server  *router.Server
	cancel  context.CancelFunc
	done    chan struct{}
}

// FreeAddr returns a loopback address whose port is free for TCP and UDP
// (gossip uses both), picked outside the kernel's ephemeral range so that
// no other process's connection takes it while a restarted node is down.
func FreeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// New starts nodes and routers and waits until every partition is served.
func New(t testing.TB, nodes, routers int, opts Options) *Cluster {
	t.Helper()
	if opts.Partitions == 0 {
		opts.Partitions = 64
	}
	if opts.Replicas == 0 {
		opts.Replicas = 1
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
		if os.Getenv("VANITY_TEST_LOG") != "" {
			opts.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
		}
	}
	c := &Cluster{t: t, opts: opts, secret: []byte("test-secret")}
	for i := 0; i < nodes; i++ {
		c.AddNode()
	}
	for i := 0; i < routers; i++ {
		c.AddRouter()
	}
	t.Cleanup(c.Close)
	c.WaitServed(nodes)
	return c
}

// Seed returns the gossip address new members join.
func (c *Cluster) Seed() string { return c.seed }

// AddNode starts a new node and returns its index.
func (c *Cluster) AddNode() int {
	c.t.Helper()
	return c.AddNodeIn(c.t.TempDir())
}

// AddNodeIn is AddNode keeping the node's data in dir (a disk of the
// test's choosing).
func (c *Cluster) AddNodeIn(dir string) int {
	c.t.Helper()
	c.mu.Lock()
	c.next++
	name := fmt.Sprintf("%snode-%d", c.opts.Prefix, c.next)
	var skew time.Duration
	if c.next <= len(c.opts.Skew) {
		skew = c.opts.Skew[c.next-1]
	}
	c.mu.Unlock()
	n := &Node{Name: name, Dir: dir, Gossip: FreeAddr(c.t), RPC: FreeAddr(c.t), skew: skew}
	c.startNode(n)
	c.mu.Lock()
	c.Nodes = append(c.Nodes, n)
	c.mu.Unlock()
	return len(c.Nodes) - 1
}

func (c *Cluster) startNode(n *Node) {
	c.t.Helper()
	snap := filepath.Join(n.Dir, "vanity.db")
	var join []string
	if c.seed != "" {
		join = []string{c.seed}
	}
	svc, err := node.StartService(node.ServiceConfig{
		Node: node.Config{Partitions: c.opts.Partitions, SnapshotPath: snap, WALDir: node.WALPath(snap),
			Fsync: wal.SyncAlways, HeldPath: filepath.Join(n.Dir, "held"),
			Now:       func() time.Time { return time.Now().Add(n.skew) },
			MaxMemory: c.opts.MaxMemory, LiveHeap: c.opts.LiveHeap},
		Name: n.Name, RPCAddr: n.RPC, GossipAddr: n.Gossip, Join: join, Secret: c.secret,
		RPCServerTLS: c.opts.RPCTLS.ServerConfig(), RPCClientTLS: c.opts.RPCTLS.ClientConfig(),
		Replicas: c.opts.Replicas, Fast: true, Logger: c.opts.Logger.With("node", n.Name), MaxTransfers: 8,
		AntiEntropy: c.opts.AntiEntropy, MaxHints: c.opts.MaxHints, ReapTimeout: c.opts.ReapTimeout,
		TombstoneGrace: c.opts.TombstoneGrace, RPCLoops: 1, // as vanity-node on two cores
	})
	if err != nil {
		c.t.Fatal(err)
	}
	if c.seed == "" {
		c.seed = n.Gossip
	}
	n.RPC = svc.RPCAddr()
	ctx, cancel := context.WithCancel(context.Background())
	n.Service, n.cancel, n.done, n.Running = svc, cancel, make(chan struct{}), true
	go func() {
		defer close(n.done)
		svc.Run(ctx)
	}()
}

// StopNode stops a node abruptly (no hand-off), as a crash would, keeping
// its data directory.
func (c *Cluster) StopNode(i int) {
	n := c.Nodes[i]
	if !n.Running {
		return
	}
	n.cancel()
	<-n.done
	n.Running = false
}

// WaitReady waits until node i is ready (its /ready: no partition still
// catching up after a restart).
func (c *Cluster) WaitReady(i int) {
	c.t.Helper()
	n := c.Nodes[i]
	deadline := time.Now().Add(60 * time.Second)
	for n.Service.Ready() != nil {
		if time.Now().After(deadline) {
			c.t.Fatalf("%s not ready: %v", n.Name, n.Service.Ready())
		}
		time.Sleep(20 * time.Millisecond) // polling /ready, as an operator's script would
	}
}

// WaitSettled waits until no running node sees a partition moving
// (Service.Moving, the vanity_partitions_moving gauge): every node counts
// each partition's replicas as its holders, so a serial command needs only
// a majority of them and one more node may go down. After a restart the
// restarted node is ready first; the others see it serving a moment later.
func (c *Cluster) WaitSettled() {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		moving := map[string]int{}
		for _, n := range c.Nodes {
			if m := n.Service.Moving(); n.Running && m > 0 {
				moving[n.Name] = m
			}
		}
		if len(moving) == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("partitions still seen moving: %v", moving)
		}
		time.Sleep(20 * time.Millisecond) // polling the gauge, as an operator's script would
	}
}

// RestartNode starts a stopped node again on its data.
func (c *Cluster) RestartNode(i int) {
	c.t.Helper()
	n := c.Nodes[i]
	if n.Running {
		return
	}
	c.startNode(n)
}

// LeaveNode removes a node gracefully: it hands its partitions off, then
// stops.
func (c *Cluster) LeaveNode(i int) {
	c.t.Helper()
	n := c.Nodes[i]
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := n.Service.Leave(ctx); err != nil {
		c.t.Fatalf("%s did not hand off: %v", n.Name, err)
	}
	c.StopNode(i)
}

// AddRouter starts a router and returns its index.
func (c *Cluster) AddRouter() int {
	c.t.Helper()
	c.mu.Lock()
	c.next++
	name := fmt.Sprintf("%srouter-%d", c.opts.Prefix, c.next)
	c.mu.Unlock()
	b, err := cluster.Start(cluster.Config{Name: name, GossipAddr: FreeAddr(c.t), RPCAddr: "127.0.0.1:0",
		Join: []string{c.seed}, Secret: c.secret, Partitions: c.opts.Partitions, Replicas: c.opts.Replicas,
		RPCServerTLS: c.opts.RPCTLS.ServerConfig(), RPCClientTLS: c.opts.RPCTLS.ClientConfig(),
		RequestTimeout: c.opts.RequestTimeout, Fast: true, Logger: c.opts.Logger.With("router", name)})
	if err != nil {
		c.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &Router{Name: name, Backend: b, cancel: cancel, done: make(chan struct{})}
	bdone := make(chan struct{})
	go func() {
		defer close(bdone)
		b.Run(ctx)
	}()
	wctx, wcancel := context.WithTimeout(ctx, 60*time.Second)
	recs, err := b.WaitUsers(wctx, 1)
	wcancel()
	if err != nil {
		c.t.Fatalf("%s: cluster not ready: %v (holders %v)", name, err, c.Holders())
	}
	store, err := users.New(users.Config{Cost: 4, Saver: b}, recs, "vanity", "vanity")
	if err != nil {
		c.t.Fatal(err)
	}
	srv, err := router.New(router.Config{Backend: b, Users: store, Peers: b, Logger: c.opts.Logger,
		SlowLog: router.SlowLogConfig{SlowerThan: router.DefaultSlowerThan, MaxLen: router.DefaultSlowLogLen}}) // vanity-router's
	if err != nil {
		c.t.Fatal(err)
	}
	b.Attach(srv, store)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		c.t.Fatal(err)
	}
	r.Server, r.Addr = srv, l.Addr().String()
	go func() {
		defer close(r.done)
		srv.Serve(l)
		srv.Shutdown(context.Background())
		<-bdone
	}()
	c.mu.Lock()
	c.Routers = append(c.Routers, r)
	c.mu.Unlock()
	return len(c.Routers) - 1
}

// WaitServed waits until every partition is served by one of at least
// minNodes alive nodes, as every router sees it, and every router knows
// every other.
func (c *Cluster) WaitServed(minNodes int) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for _, r := range c.Routers {
		for len(r.Backend.Routers()) < len(c.Routers)-1 {
			if time.Now().After(deadline) {
				c.t.Fatalf("%s sees routers %v of %d", r.Name, r.Backend.Routers(), len(c.Routers))
			}
			time.Sleep(10 * time.Millisecond) // polling gossip
		}
	}
	for _, r := range c.Routers {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		err := r.Backend.WaitReady(ctx, minNodes)
		cancel()
		if err != nil {
			c.t.Fatalf("%s: partitions not all served: %v", r.Name, err)
		}
	}
}

// Close stops everything.
func (c *Cluster) Close() {
	for _, r := range c.Routers {
		r.Server.Shutdown(context.Background())
		r.cancel()
		<-r.done
	}
	for i := range c.Nodes {
		c.StopNode(i)
	}
}

// Holders returns, for each partition, the running nodes that hold it.
func (c *Cluster) Holders() [][]string { return holders(c.opts.Partitions, c.Nodes) }

func holders(partitions int, nodes []*Node) [][]string {
	out := make([][]string, partitions)
	for _, n := range nodes {
		if !n.Running {
			continue
		}
		for p, h := range n.Service.Node().Held() {
			if h {
				out[p] = append(out[p], n.Name)
			}
		}
	}
	return out
}

// WaitSingleHolders waits until every partition is held by exactly one
// running node.
func (c *Cluster) WaitSingleHolders(nodes ...*Node) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		bad := -1
		for p, hs := range holders(c.opts.Partitions, append(c.Nodes, nodes...)) {
			if len(hs) != 1 {
				bad = p
				break
			}
		}
		if bad < 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("partition %d is held by %v", bad, c.Holders())
		}
		time.Sleep(20 * time.Millisecond) // polling the nodes' reconciliation
	}
}

// WaitReplicated waits until every partition is held by exactly n running
// nodes (its replica set, once copies are in and extra copies dropped).
func (c *Cluster) WaitReplicated(n int) {
	c.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		bad := -1
		hs := c.Holders()
		for p := range hs {
			if len(hs[p]) != n {
				bad = p
				break
			}
		}
		if bad < 0 {
			return
		}
		if time.Now().After(deadline) {
			c.t.Fatalf("partition %d is held by %v, want %d nodes", bad, hs[bad], n)
		}
		time.Sleep(10 * time.Millisecond) // polling the nodes' held sets
	}
}

// RunOn runs one request on node n's own copy of the data, as a
// coordinator that does not replicate would (a write only this node
// holds), and returns its reply, or "<status>: <message>".
func RunOn(t testing.TB, n *node.Node, db int, request string) string {
	t.Helper()
	var req proto.Request
	if err := proto.ParseRequest([]byte(request), &req); err != proto.ErrNone {
		t.Fatalf("%q: %v", request, err)
	}
	ch := make(chan *node.Result, 1)
	run := &rpc.Run{Cmds: []rpc.Cmd{{DB: db, Reqs: []*proto.Request{&req}}}}
	node.NewLocalCoordinator(n).Run(run, new(node.Result), func(res *node.Result) { ch <- res }, nil)
	st, out := (<-ch).Entry(0)
	if st != rpc.StatusOK {
		return st.String() + ": " + string(out)
	}
	return string(out)
}
