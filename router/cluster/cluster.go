// Package cluster is the router's view of a Vanity cluster: it implements
// router.Backend by routing each command to the storage node that serves
// its partition, splitting multi-key commands by partition and assembling
// their replies, and it connects the router to the other routers (users,
// publish/subscribe).
//
// Routing: nodes advertise, in a gossip tag, the partitions they serve. A
// command goes to the node that advertises its partition (an alive one
// rather than one that is leaving); a partition nobody advertises goes to
// its primary on the ring, which takes it over. A node answers a command
// for a partition it no longer serves with StatusWrongRing; the router then
// rebuilds its routes and retries, with a short backoff, for up to a few
// seconds. Only calls that certainly did not run are retried.
//
// Guarantees weaker than the single process (docs/cluster.md): commands
// whose keys span partitions are not atomic: MANY_GET reads each partition
// at its own moment; SET_UNION, SET_INTERSECT and SET_DIFF read their
// sources one by one and their _INTO forms then replace dest; SET_MOVE
// removes the member from the source and then adds it to dest. RESET and
// PERSIST reach every node. A transaction must keep its keys in one
// partition (use {tags}).
//
// Backend is safe for concurrent use.
package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"
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
	Name        string
	GossipAddr  string
	RPCAddr     string // this router's RPC address (other routers call it)
	Join        []string
	Secret      []byte
	Partitions  int // must match the nodes' (default ring.DefaultPartitions)
	Replicas    int
	ReapTimeout time.Duration
	Fast        bool
	Logger      *slog.Logger
	// RetryFor bounds how long a command is retried while partitions move.
	RetryFor time.Duration
	// CallTimeout bounds each call to a node (default 5 s): a node cut
	// off by the network answers nothing, not even a reset, and its
	// callers must not wait for it forever. A call that times out may
	// still have been applied; the client is told so.
	CallTimeout time.Duration
}

// Backend routes commands to storage nodes.
type Backend struct {
	cfg    Config
	log    *slog.Logger
	gossip *gossip.Gossip
	routes atomic.Pointer[routes]
	lis    net.Listener
	rpcSrv *rpc.Server
	rings  *ring.Builder

	mu      sync.Mutex
	clients map[string]*rpc.Client
	serving map[string][]bool // by RPC address, as the node last answered

	pollMu   sync.Mutex // one poll at a time
	lastPoll time.Time

	reloadMu   sync.Mutex // one users reload at a time
	lastReload time.Time
	server     *router.Server
	users      *users.Store
	wg         sync.WaitGroup
}

// routes is an immutable routing table.
type routes struct {
	ring    *ring.Ring
	owner   []string          // RPC address of the node serving each partition
	nodes   []string          // RPC addresses of live nodes
	routers []string          // RPC addresses of the other live routers
	failed  map[string]string // RPC address to name, of failed nodes
	members []gossip.Member
	held    map[string]int // partitions each member serves, by name
	ready   bool           // every partition has an alive owner serving it
}

// ErrUnavailable is returned when no node can serve a partition.
var ErrUnavailable = errors.New("unavailable")

// Start joins the cluster as a router.
func Start(cfg Config) (*Backend, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Partitions == 0 {
		cfg.Partitions = ring.DefaultPartitions
	}
	if cfg.Replicas == 0 {
		cfg.Replicas = 1
	}
	if cfg.RetryFor == 0 {
		cfg.RetryFor = 5 * time.Second
	}
	if cfg.CallTimeout == 0 {
		cfg.CallTimeout = 5 * time.Second
	}
	b := &Backend{cfg: cfg, log: cfg.Logger, clients: map[string]*rpc.Client{}, serving: map[string][]bool{},
		rings: ring.NewBuilder(cfg.Partitions, cfg.Replicas)}
	var err error
	b.lis, err = net.Listen("tcp", cfg.RPCAddr)
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
		Join: cfg.Join, Secret: cfg.Secret, ReapTimeout: cfg.ReapTimeout, Fast: cfg.Fast, Logger: cfg.Logger,
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
	b.mu.Unlock()
}

// Run keeps the routes current until ctx ends, then leaves the cluster.
func (b *Backend) Run(ctx context.Context) error {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
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

// refresh rebuilds the routing table from gossip.
func (b *Backend) refresh() *routes {
	members := b.gossip.Members()
	rt := &routes{members: members, failed: map[string]string{}}
	var ms []ring.Member
	for _, m := range members {
		switch {
		case m.Role == gossip.RoleNode && (m.State == gossip.Alive || m.State == gossip.Failed):
			ms = append(ms, ring.Member{ID: m.Name, Addr: m.RPC})
			if m.State == gossip.Alive {
				rt.nodes = append(rt.nodes, m.RPC)
			} else {
				rt.failed[m.RPC] = m.Name
			}
		case m.Role == gossip.RoleRouter && m.State == gossip.Alive && m.Name != b.cfg.Name:
			rt.routers = append(rt.routers, m.RPC)
		}
	}
	rt.ring, _ = b.rings.Build(ms)
	rt.owner = make([]string, b.cfg.Partitions)
	if rt.ring != nil {
		for p := range rt.owner {
			rt.owner[p] = rt.ring.Member(rt.ring.Primary(p)).Addr
		}
	}
	// Holders win over the ring; alive ones over leaving ones, and those
	// over failed ones (whose partitions wait for them). What a node said
	// over RPC is fresher than its gossiped tag.
	b.mu.Lock()
	polled := b.serving
	b.mu.Unlock()
	rt.held = map[string]int{}
	alive := make([]bool, b.cfg.Partitions)
	for _, want := range []gossip.State{gossip.Failed, gossip.Leaving, gossip.Alive} {
		for _, m := range members {
			if m.Role != gossip.RoleNode || m.State != want {
				continue
			}
			held := polled[m.RPC]
			if held == nil || want == gossip.Failed {
				held = gossip.DecodeParts(m.Tags[gossip.PartsTag], b.cfg.Partitions)
			}
			for p, h := range held {
				if h {
					rt.owner[p] = m.RPC
					rt.held[m.Name]++
					alive[p] = want == gossip.Alive
				}
			}
		}
	}
	if b.cfg.Replicas > 1 && rt.ring != nil {
		b.preferReplicas(rt, members, polled)
		for p := range alive {
			alive[p] = rt.owner[p] != "" && rt.failed[rt.owner[p]] == ""
		}
	}
	rt.ready = !slices.Contains(alive, false)
	b.routes.Store(rt)
	return rt
}

// preferReplicas routes each partition to the first live replica of its
// preference list that serves it (the primary, or after a failure the
// next), falling back to any live node serving it.
func (b *Backend) preferReplicas(rt *routes, members []gossip.Member, polled map[string][]bool) {
	serves := map[string][]bool{} // live nodes' served sets, by name
	for _, m := range members {
		if m.Role != gossip.RoleNode || m.State != gossip.Alive {
			continue
		}
		held := polled[m.RPC]
		if held == nil {
			held = gossip.DecodeParts(m.Tags[gossip.PartsTag], b.cfg.Partitions)
		}
		serves[m.Name] = held
	}
	for p := range rt.owner {
		for _, i := range rt.ring.Replicas(p) {
			m := rt.ring.Member(int(i))
			if held := serves[m.ID]; p < len(held) && held[p] {
				rt.owner[p] = m.Addr
				break
			}
		}
	}
}

// poll asks every live node which partitions it serves (gossip tags can
// lag by seconds), unless another poll has just done so.
func (b *Backend) poll(ctx context.Context) {
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
				sets[i] = gossip.DecodeParts(info.Serving, b.cfg.Partitions)
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
	c := b.clients[addr]
	if c == nil {
		c = rpc.NewClient(addr, b.cfg.Secret, 4)
		b.clients[addr] = c
	}
	return c
}

// retryable reports whether a failed call certainly did not run.
func retryable(err error) bool {
	var re *rpc.Error
	if errors.As(err, &re) {
		return re.Status == rpc.StatusWrongRing
	}
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

// call sends a call about partition p to its owner, retrying while the
// partition moves.
func (b *Backend) call(ctx context.Context, p int, kind rpc.Kind, payload []byte) ([]byte, error) {
	deadline := time.Now().Add(b.cfg.RetryFor)
	wait := 2 * time.Millisecond
	rt := b.routes.Load()
	asked := false
	for {
		addr := ""
		if p >= 0 && p < len(rt.owner) {
			addr = rt.owner[p]
		}
		if addr == "" {
			return nil, fmt.Errorf("%w: no storage node for partition %d", ErrUnavailable, p)
		}
		if name, ok := rt.failed[addr]; ok {
			if !asked {
				// Ask the nodes once what they serve: another replica
				// may have it (the routes may predate a restart).
				asked = true
				b.poll(ctx)
				rt = b.refresh()
				continue
			}
			// Not retried: a failed node's partitions wait for it to
			// come back (or for an operator to remove it).
			return nil, fmt.Errorf("%w: partition %d: its node %s is down", ErrUnavailable, p, name)
		}
		out, err := b.callTimed(ctx, addr, kind, payload)
		if err == nil || !retryable(err) || time.Now().After(deadline) {
			return out, b.callError(p, err)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(wait): // back off while the partition moves
		}
		// A hand-off keeps a partition unavailable for tens of
		// milliseconds (two fsyncs): short waits keep a request from
		// waiting much longer than that.
		wait = min(2*wait, 10*time.Millisecond)
		b.poll(ctx)
		rt = b.refresh()
	}
}

// callTimed calls a node (or another router) with the call timeout.
func (b *Backend) callTimed(ctx context.Context, addr string, kind rpc.Kind, payload []byte) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, b.cfg.CallTimeout)
	defer cancel()
	out, err := b.client(addr).Call(cctx, kind, payload)
	if errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil {
		err = fmt.Errorf("no answer from %s within %v (the command may have been applied)", addr, b.cfg.CallTimeout)
	}
	return out, err
}

// callError words a failed call about partition p for the client.
func (b *Backend) callError(p int, err error) error {
	var re *rpc.Error
	switch {
	case err == nil || errors.Is(err, context.Canceled):
		return err
	case errors.As(err, &re):
		return fmt.Errorf("%w: partition %d: %s", ErrUnavailable, p, re.Message)
	}
	return fmt.Errorf("%w: partition %d: %v", ErrUnavailable, p, err)
}

// ringVersion is the version of the ring this router routes by (0: none),
// sent with each command so a node can name a stale router in its error.
func (b *Backend) ringVersion() uint64 {
	if r := b.routes.Load().ring; r != nil {
		return r.Version()
	}
	return 0
}

func (b *Backend) partition(key []byte) int { return ring.PartitionOf(key, b.cfg.Partitions) }

// exec runs one single-partition request.
func (b *Backend) exec(ctx context.Context, db int, req *proto.Request, p int) ([]byte, error) {
	levels := router.ConsistencyOf(ctx)
	return b.call(ctx, p, rpc.KindExec, rpc.AppendExec(nil, b.ringVersion(), db, levels[0], levels[1], req))
}

// Exec implements router.Backend.
func (b *Backend) Exec(ctx context.Context, db int, req *proto.Request, dst []byte) ([]byte, error) {
	if req.Cmd.Class() == proto.ClassDatabase {
		return b.broadcastReset(ctx, db, dst)
	}
	keys := req.Keys(nil)
	p, single := b.onePartition(keys)
	if single {
		out, err := b.exec(ctx, db, req, p)
		return append(dst, out...), err
	}
	switch req.Cmd {
	case proto.CmdManyGet:
		return b.manyGet(ctx, db, req, dst)
	case proto.CmdSetMove:
		return b.setMove(ctx, db, req, dst)
	}
	return b.setAlgebra(ctx, db, req, dst)
}

// onePartition reports whether all keys share a partition (no keys: yes,
// partition 0).
func (b *Backend) onePartition(keys [][]byte) (int, bool) {
	if len(keys) == 0 {
		return 0, true
	}
	p := b.partition(keys[0])
	for _, k := range keys[1:] {
		if b.partition(k) != p {
			return 0, false
		}
	}
	return p, true
}

func (b *Backend) broadcastReset(ctx context.Context, db int, dst []byte) ([]byte, error) {
	if err := b.broadcast(ctx, rpc.KindReset, []byte{byte(db)}); err != nil {
		return dst, err
	}
	return append(dst, proto.ReplyOK...), nil
}

// broadcast calls every live node in parallel. It refuses while a node is
// down: RESET or PERSIST would silently miss that node's partitions.
func (b *Backend) broadcast(ctx context.Context, kind rpc.Kind, payload []byte) error {
	rt := b.routes.Load()
	if len(rt.failed) > 0 {
		names := slices.Sorted(maps.Values(rt.failed))
		return fmt.Errorf("%w: %s down; their partitions would be missed", ErrUnavailable, strings.Join(names, ", "))
	}
	errs := make(chan error, len(rt.nodes))
	for _, addr := range rt.nodes {
		go func(addr string) {
			_, err := b.callTimed(ctx, addr, kind, payload)
			errs <- err
		}(addr)
	}
	var first error
	for range rt.nodes {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	if len(rt.nodes) == 0 {
		return fmt.Errorf("%w: no storage node", ErrUnavailable)
	}
	return first
}

// ExecBatch implements router.Backend: a transaction runs on the node of
// its partition, so its keys must share one.
func (b *Backend) ExecBatch(ctx context.Context, db int, reqs []*proto.Request, dst []byte) ([]byte, []int, error) {
	var keys [][]byte
	for _, r := range reqs {
		if r.Cmd.Class() == proto.ClassDatabase {
			return dst, nil, &router.CommandError{Msg: "RESET cannot run in a transaction in a cluster"}
		}
		keys = r.Keys(keys)
	}
	p, single := b.onePartition(keys)
	if !single {
		return dst, nil, &router.CommandError{Msg: "transaction keys span partitions; co-locate them with {tags}"}
	}
	levels := router.ConsistencyOf(ctx)
	out, err := b.call(ctx, p, rpc.KindBatch, rpc.AppendBatch(nil, b.ringVersion(), db, levels[0], levels[1], reqs))
	if err != nil {
		return dst, nil, err
	}
	replies, err := rpc.DecodeStrings(out)
	if err != nil {
		return dst, nil, err
	}
	ends := make([]int, len(replies))
	for i, r := range replies {
		dst = append(dst, r...)
		ends[i] = len(dst)
	}
	return dst, ends, nil
}

// Persist implements router.Backend: every node writes a snapshot.
func (b *Backend) Persist(ctx context.Context) error {
	return b.broadcast(ctx, rpc.KindPersist, nil)
}

// parallel runs fn for each item concurrently and returns the first error.
func parallel[T any](items []T, fn func(T) error) error {
	errs := make(chan error, len(items))
	for _, it := range items {
		go func(it T) { errs <- fn(it) }(it)
	}
	var first error
	for range items {
		if err := <-errs; err != nil && first == nil {
			first = err
		}
	}
	return first
}

// manyGet splits MANY_GET by partition and reassembles the values in the
// requested order.
func (b *Backend) manyGet(ctx context.Context, db int, req *proto.Request, dst []byte) ([]byte, error) {
	groups := map[int][]int{}
	for i, k := range req.Elems {
		p := b.partition(k)
		groups[p] = append(groups[p], i)
	}
	values := make([][]byte, len(req.Elems))
	type group struct {
		p   int
		idx []int
	}
	var gs []group
	for p, idx := range groups {
		gs = append(gs, group{p, idx})
	}
	err := parallel(gs, func(g group) error {
		sub := proto.Request{Cmd: proto.CmdManyGet}
		for _, i := range g.idx {
			sub.Elems = append(sub.Elems, req.Elems[i])
		}
		out, err := b.exec(ctx, db, &sub, g.p)
		if err != nil {
			return err
		}
		r, err := proto.ParseReply(out)
		if err != nil || r.Value.Type != proto.TypeArr || len(r.Value.Elems) != len(g.idx) {
			return fmt.Errorf("cluster: unexpected MANY_GET reply %q", out)
		}
		for k, i := range g.idx {
			values[i] = proto.AppendValue(nil, r.Value.Elems[k])
		}
		return nil
	})
	if err != nil {
		return dst, err
	}
	dst = proto.AppendContainerHeader(append(dst, proto.ReplyOK...), proto.TypeArr, len(values))
	for _, v := range values {
		dst = append(dst, v...)
	}
	return proto.AppendContainerEnd(dst, proto.TypeArr), nil
}

// readSet fetches one set with SET_ALL; a BAD_TYPE reply is returned as
// badType.
func (b *Backend) readSet(ctx context.Context, db int, key []byte) (members [][]byte, badType []byte, err error) {
	out, err := b.exec(ctx, db, &proto.Request{Cmd: proto.CmdSetAll, Str: [3][]byte{key}}, b.partition(key))
	if err != nil {
		return nil, nil, err
	}
	r, err := proto.ParseReply(out)
	if err != nil {
		return nil, nil, err
	}
	if r.Status == proto.StatusBadType {
		return nil, out, nil
	}
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeSet {
		return nil, nil, fmt.Errorf("cluster: unexpected SET_ALL reply %q", out)
	}
	return r.Value.Strs, nil, nil
}

// setAlgebra runs SET_UNION, SET_INTERSECT, SET_DIFF and their _LEN and
// _INTO forms across partitions: read every source set (type-checking all
// first), compute here, and for _INTO replace dest on its node.
func (b *Backend) setAlgebra(ctx context.Context, db int, req *proto.Request, dst []byte) ([]byte, error) {
	var keys [][]byte
	var dest []byte
	switch req.Cmd {
	case proto.CmdSetUnion, proto.CmdSetUnionLen, proto.CmdSetIntersect, proto.CmdSetIntersectLen:
		keys = req.Elems
	case proto.CmdSetUnionInto, proto.CmdSetIntersectInto:
		dest, keys = req.Str[0], req.Elems
	case proto.CmdSetDiff, proto.CmdSetDiffLen:
		keys = [][]byte{req.Str[0], req.Str[1]}
	case proto.CmdSetDiffInto:
		dest, keys = req.Str[0], [][]byte{req.Str[1], req.Str[2]}
	default:
		return dst, fmt.Errorf("cluster: %v cannot span partitions", req.Cmd)
	}
	sets := make([]map[string]bool, len(keys))
	var bad []byte
	var mu sync.Mutex
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	err := parallel(idx, func(i int) error {
		members, badType, err := b.readSet(ctx, db, keys[i])
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if badType != nil {
			bad = badType
			return nil
		}
		set := make(map[string]bool, len(members))
		for _, m := range members {
			set[string(m)] = true
		}
		sets[i] = set
		return nil
	})
	if err != nil {
		return dst, err
	}
	if bad != nil {
		return append(dst, bad...), nil
	}
	result := map[string]bool{}
	switch req.Cmd {
	case proto.CmdSetUnion, proto.CmdSetUnionLen, proto.CmdSetUnionInto:
		for _, s := range sets {
			for m := range s {
				result[m] = true
			}
		}
	case proto.CmdSetIntersect, proto.CmdSetIntersectLen, proto.CmdSetIntersectInto:
		if len(sets) > 0 {
			for m := range sets[0] {
				in := true
				for _, s := range sets[1:] {
					in = in && s[m]
				}
				if in {
					result[m] = true
				}
			}
		}
	default:
		for m := range sets[0] {
			if !sets[1][m] {
				result[m] = true
			}
		}
	}
	names := make([]string, 0, len(result))
	for m := range result {
		names = append(names, m)
	}
	sort.Strings(names)
	switch req.Cmd {
	case proto.CmdSetUnionLen, proto.CmdSetIntersectLen, proto.CmdSetDiffLen:
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(names))), nil
	case proto.CmdSetUnionInto, proto.CmdSetIntersectInto, proto.CmdSetDiffInto:
		args := [][]byte{{byte(db)}, dest}
		for _, n := range names {
			args = append(args, []byte(n))
		}
		out, err := b.call(ctx, b.partition(dest), rpc.KindStore, rpc.AppendStrings(nil, args))
		return append(dst, out...), err
	}
	return proto.AppendStrings(append(dst, proto.ReplyOK...), proto.TypeSet, names), nil
}

// setMove moves a member between sets on different partitions: type
// checks, then remove from the source, then add to dest.
func (b *Backend) setMove(ctx context.Context, db int, req *proto.Request, dst []byte) ([]byte, error) {
	src, dest, member := req.Str[0], req.Str[1], req.Str[2]
	for _, k := range [][]byte{src, dest} {
		out, err := b.exec(ctx, db, &proto.Request{Cmd: proto.CmdType, Str: [3][]byte{k}}, b.partition(k))
		if err != nil {
			return dst, err
		}
		if string(out) != "NULL" && string(out) != "OK:SET " {
			return proto.AppendBadTypeMsg(dst, proto.MsgNotASet), nil
		}
	}
	discard := proto.Request{Cmd: proto.CmdSetDiscard, Str: [3][]byte{src}, Elems: [][]byte{member}}
	out, err := b.exec(ctx, db, &discard, b.partition(src))
	if err != nil {
		return dst, err
	}
	if string(out) != "OK:INT 1" {
		return proto.AppendBool(append(dst, proto.ReplyOK...), false), nil
	}
	add := proto.Request{Cmd: proto.CmdSetAdd, Str: [3][]byte{dest}, Elems: [][]byte{member}}
	if _, err := b.exec(ctx, db, &add, b.partition(dest)); err != nil {
		return dst, err
	}
	return proto.AppendBool(append(dst, proto.ReplyOK...), true), nil
}

// ClusterInfo implements router.Informer: one array per member (name,
// role, RPC address, state, partitions served, partitions the ring gives
// it: those whose replica set it is in, which with one replica are those
// it is primary for) after a header string with the ring's version,
// partition count and replica count. Served differs from owned while
// partitions move.
func (b *Backend) ClusterInfo(ctx context.Context, dst []byte) ([]byte, error) {
	b.poll(ctx)
	rt := b.refresh()
	version := "none"
	if rt.ring != nil {
		version = fmt.Sprintf("%016x", rt.ring.Version())
	}
	owned := map[string]int{}
	if rt.ring != nil {
		for p := 0; p < b.cfg.Partitions; p++ {
			for _, i := range rt.ring.Replicas(p) {
				owned[rt.ring.Member(int(i)).ID]++
			}
		}
	}
	dst = proto.AppendContainerHeader(dst, proto.TypeArr, len(rt.members)+1)
	dst = proto.AppendStr(dst, fmt.Sprintf("ring %s partitions %d replicas %d", version, b.cfg.Partitions, b.cfg.Replicas))
	for _, m := range rt.members {
		dst = proto.AppendContainerHeader(dst, proto.TypeArr, 6)
		dst = proto.AppendStr(dst, m.Name)
		dst = proto.AppendStr(dst, m.Role)
		dst = proto.AppendStr(dst, m.RPC)
		dst = proto.AppendStr(dst, m.State.String())
		dst = proto.AppendInt(dst, int64(rt.held[m.Name]))
		dst = proto.AppendInt(dst, int64(owned[m.Name]))
		dst = proto.AppendContainerEnd(dst, proto.TypeArr)
	}
	return proto.AppendContainerEnd(dst, proto.TypeArr), nil
}

// ---- routers ----

// usersKey is where the cluster keeps its users: a hash in the system
// database, field = name, value = users.EncodeRecord.
var usersKey = []byte("{vanity}:users")

// SystemDB is the database of cluster data (storage.SystemDB).
const SystemDB = 16

// LoadUsers reads the users from the cluster.
func (b *Backend) LoadUsers(ctx context.Context) ([]users.Record, error) {
	out, err := b.exec(ctx, SystemDB, &proto.Request{Cmd: proto.CmdHashAll, Str: [3][]byte{usersKey}}, b.partition(usersKey))
	if err != nil {
		return nil, err
	}
	r, err := proto.ParseReply(out)
	if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeHash {
		return nil, fmt.Errorf("cluster: unexpected users reply %q", out)
	}
	var recs []users.Record
	for i := 0; i+1 < len(r.Value.Strs); i += 2 {
		rec, err := users.DecodeRecord(string(r.Value.Strs[i+1]))
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
	return recs, nil
}

// Save implements users.Saver: one field of the users hash per account.
func (b *Backend) Save(_ []users.Record, changed users.Record, deleted bool) error {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	var req proto.Request
	if deleted {
		req = proto.Request{Cmd: proto.CmdHashRemove, Str: [3][]byte{usersKey}, Elems: [][]byte{[]byte(changed.Name)}}
	} else {
		req = proto.Request{Cmd: proto.CmdHashUpdate, Str: [3][]byte{usersKey},
			Elems: [][]byte{[]byte(changed.Name), []byte(users.EncodeRecord(changed))}}
	}
	out, err := b.exec(ctx, SystemDB, &req, b.partition(usersKey))
	if err != nil {
		return err
	}
	if len(out) < 2 || string(out[:2]) != "OK" {
		return fmt.Errorf("cluster: saving a user: %q", out)
	}
	return nil
}

// Publish implements router.Peers.
func (b *Backend) Publish(channel, message string) {
	rt := b.routes.Load()
	if len(rt.routers) == 0 {
		return
	}
	payload := rpc.AppendStrings(nil, [][]byte{[]byte(channel), []byte(message)})
	for _, addr := range rt.routers {
		if err := b.client(addr).Post(context.Background(), rpc.KindPublish, payload); err != nil {
			b.log.Warn("forwarding a message to a router failed", "router", addr, "err", err)
		}
	}
}

// UsersChanged implements router.Peers.
func (b *Backend) UsersChanged(ctx context.Context) error {
	rt := b.refresh() // a router that joined a moment ago must hear too
	return parallel(rt.routers, func(addr string) error {
		_, err := b.callTimed(ctx, addr, rpc.KindUsers, nil)
		return err
	})
}

// usersBackstop is how often a router rereads the users unprompted.
const usersBackstop = 5 * time.Second

func (b *Backend) lastReloadTime() time.Time {
	b.reloadMu.Lock()
	defer b.reloadMu.Unlock()
	return b.lastReload
}

// ReloadUsers implements router.Peers.
func (b *Backend) ReloadUsers(ctx context.Context) error {
	b.mu.Lock()
	store := b.users
	b.mu.Unlock()
	if store == nil {
		return errors.New("cluster: no user store attached")
	}
	b.reloadMu.Lock()
	defer b.reloadMu.Unlock()
	if time.Since(b.lastReload) < 100*time.Millisecond {
		return nil // fresh enough; bounds the reads failed logins cause
	}
	return b.reloadUsers(ctx, store)
}

// reloadUsers replaces store's users with the cluster's; reloadMu held.
func (b *Backend) reloadUsers(ctx context.Context, store *users.Store) error {
	recs, err := b.LoadUsers(ctx)
	if err != nil {
		return err
	}
	if len(recs) == 0 {
		// The users hash never empties by itself (an administrator cannot
		// delete itself), so its partition's data was lost: a removed node
		// held it, with no replica. Restore what this router knows rather
		// than lock everyone out.
		mine := store.Records()
		if len(mine) == 0 {
			return errors.New("cluster: no users anywhere")
		}
		b.log.Error("the cluster's users are gone (their partition lost its data); restoring this router's copy",
			"users", len(mine))
		for _, r := range mine {
			if err := b.Save(nil, r, false); err != nil {
				return err
			}
		}
		recs = mine
	}
	store.Replace(recs)
	b.lastReload = time.Now()
	return nil
}

// handle serves calls from other routers.
func (b *Backend) handle(ctx context.Context, kind rpc.Kind, payload, dst []byte) (rpc.Status, []byte) {
	b.mu.Lock()
	srv, store := b.server, b.users
	b.mu.Unlock()
	switch kind {
	case rpc.KindPing:
		return rpc.StatusOK, dst
	case rpc.KindPublish:
		strs, err := rpc.DecodeStrings(payload)
		if err != nil || len(strs) != 2 {
			return rpc.StatusError, append(dst, "malformed message"...)
		}
		if srv != nil {
			srv.Deliver(string(strs[0]), string(strs[1]))
		}
		return rpc.StatusOK, dst
	case rpc.KindUsers:
		if store == nil {
			return rpc.StatusOK, dst
		}
		b.reloadMu.Lock()
		err := b.reloadUsers(ctx, store)
		b.reloadMu.Unlock()
		if err != nil {
			return rpc.StatusError, append(dst, err.Error()...)
		}
		return rpc.StatusOK, dst
	}
	return rpc.StatusError, append(dst, "unknown call kind "+strconv.Itoa(int(kind))...)
}

// WaitReady blocks until every partition has an alive owner serving it
// and at least minNodes nodes are alive, or ctx ends.
func (b *Backend) WaitReady(ctx context.Context, minNodes int) error {
	for {
		b.poll(ctx)
		rt := b.refresh()
		if len(rt.nodes) >= minNodes && rt.ready {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond): // polling until the cluster serves
		}
	}
}

// Routers returns the RPC addresses of the other alive routers, as gossip
// knows them now.
func (b *Backend) Routers() []string { return b.refresh().routers }

// RPCAddr returns this router's RPC address.
func (b *Backend) RPCAddr() string { return b.lis.Addr().String() }
