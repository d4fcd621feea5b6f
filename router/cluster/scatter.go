package cluster

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// scatter runs one command across nodes and returns its reply.
func (b *Backend) scatter(ctx context.Context, db int, levels [2]proto.Consistency, req *proto.Request) ([]byte, error) {
	switch req.Cmd {
	case proto.CmdReset:
		if err := b.broadcastRun(ctx, db, req); err != nil {
			return nil, err
		}
		return []byte(proto.ReplyOK), nil
	case proto.CmdManyGet:
		return b.manyGet(ctx, db, levels, req)
	case proto.CmdSetMove:
		return b.setMove(ctx, db, levels, req)
	}
	return b.setAlgebra(ctx, db, levels, req)
}

// broadcastRun runs req on every live node (each runs it on the
// partitions it serves). It refuses while a node is down: RESET would
// silently miss that node's partitions. A node gossip has found failed
// but that answers is not down: serf reports a node that leaves as
// failed for a moment when it hears of the departure before the intent
// to leave, and such a node still serves its partitions.
func (b *Backend) broadcastRun(ctx context.Context, db int, req *proto.Request) error {
	rt := b.routes.Load()
	if len(rt.nodes) == 0 {
		return b.noneDown(rt)
	}
	nodes := slices.Clone(rt.nodes)
	for addr := range rt.failed {
		nodes = append(nodes, addr)
	}
	// Every node must be there before any resets: gossip may not have
	// noticed yet that one is gone.
	if err := parallel(nodes, func(addr string) error {
		if _, err := b.callAsked(ctx, rt, addr, rpc.KindPing, nil); err != nil {
			return &router.CommandError{Msg: fmt.Sprintf(
				"unavailable: storage node %s is down or cannot be reached (%v); its partitions would be missed", b.nameOf(rt, addr), err)}
		}
		return nil
	}); err != nil {
		return err
	}
	it := &router.Item{DB: db, Reqs: []*proto.Request{req}}
	// A node leaving the cluster serves its partitions until their new
	// owners take them, and is routed reads meanwhile: it resets them
	// too. It may be gone by now (its partitions moved out), so its
	// failure fails nothing: the nodes its partitions go to keep the
	// reset over the copies that come (node.InstallPartition).
	leaving := rt.leaving()
	_ = parallel(leaving, func(addr string) error {
		_, err := b.runOn(addr, it, false, 0, b.now().Add(b.cfg.RequestTimeout).UnixMilli())
		return err
	})
	return parallel(nodes, func(addr string) error {
		items, err := b.runOn(addr, it, false, 0, b.now().Add(b.cfg.RequestTimeout).UnixMilli())
		if err != nil {
			return &router.CommandError{Msg: fmt.Sprintf(
				"unavailable: storage node %s is down or cannot be reached (%v); its partitions would be missed", addr, err)}
		}
		if st, msg := firstFailure(items); st != rpc.StatusOK {
			return statusError(st, string(msg))
		}
		return nil
	})
}

// nameOf returns the name of the node at addr, with its address.
func (b *Backend) nameOf(rt *routes, addr string) string {
	if name := rt.names[addr]; name != "" {
		return name + " (" + addr + ")"
	}
	return addr
}

// noneDown refuses a command every node must take while one is down.
func (b *Backend) noneDown(rt *routes) error {
	if len(rt.failed) > 0 {
		names := slices.Sorted(maps.Values(rt.failed))
		return &router.CommandError{Msg: fmt.Sprintf("unavailable: %s down; their partitions would be missed",
			strings.Join(names, ", "))}
	}
	if len(rt.nodes) == 0 {
		return &router.CommandError{Msg: "unavailable: no storage node"}
	}
	return nil
}

// Persist implements router.Backend: every node writes a snapshot.
func (b *Backend) Persist(ctx context.Context) error {
	rt := b.routes.Load()
	if err := b.noneDown(rt); err != nil {
		return err
	}
	return parallel(rt.nodes, func(addr string) error {
		if _, err := b.call(ctx, addr, rpc.KindPersist, nil); err != nil {
			// Most often a node that went down before gossip saw it.
			return &router.CommandError{Msg: fmt.Sprintf("unavailable: node %s did not write its snapshot (%v); "+
				"PERSIST again once every node is up", addr, err)}
		}
		return nil
	})
}

// adminTimeout bounds the calls that are not data commands (snapshots,
// router-to-router notices).
const adminTimeout = 10 * time.Second

// call makes one call to a node or a router and waits for it.
func (b *Backend) call(ctx context.Context, addr string, kind rpc.Kind, payload []byte) ([]byte, error) {
	return b.callWithin(ctx, addr, kind, payload, adminTimeout)
}

// callAsked is call to a node the routes rt list, waiting RequestTimeout
// at most for one gossip has found failed: likely down, it is asked only
// because gossip's "failed" is a suspicion (a node leaving shows as
// failed for a moment when its departure arrives before its intent to
// leave, and serves its partitions until they are handed off).
func (b *Backend) callAsked(ctx context.Context, rt *routes, addr string, kind rpc.Kind, payload []byte) ([]byte, error) {
	wait := adminTimeout
	if rt.failed[addr] != "" {
		wait = b.cfg.RequestTimeout
	}
	return b.callWithin(ctx, addr, kind, payload, wait)
}

func (b *Backend) callWithin(ctx context.Context, addr string, kind rpc.Kind, payload []byte, wait time.Duration) ([]byte, error) {
	cctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	return b.client(addr).Call(cctx, kind, payload)
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

// parse decodes a node's reply, which storage encoded.
func parse(out []byte) (proto.Reply, error) {
	r, err := proto.ParseReply(out)
	if err != nil {
		return r, fmt.Errorf("cluster: a storage node's reply does not parse: %w", err)
	}
	return r, nil
}

// serialPerKey reports whether it is a read of several keys at a SERIAL
// read level that scatter reads key by key: MANY_GET, and the set
// algebra's reads (SET_UNION, SET_INTERSECT, SET_DIFF and their _LEN
// forms), which read each set, then combine them here. The serial path
// runs a command on one key, so each key is read linearizably, the keys
// not at one instant (docs/serial.md: a command of several keys stays per
// key). A write of several keys (an _INTO form, SET_MOVE) stays refused.
func serialPerKey(it *router.Item) bool {
	if len(it.Reqs) != 1 {
		return false
	}
	req := it.Reqs[0]
	keys := req.Elems
	if req.Cmd != proto.CmdManyGet {
		dest, sources, ok := proto.Operands(req)
		if !ok || dest != nil {
			return false
		}
		keys = sources
	}
	return proto.Serial(it.Levels[0], it.Levels[1], it.Reqs) &&
		slices.ContainsFunc(keys, func(k []byte) bool { return string(k) != string(keys[0]) })
}

// manyGet splits MANY_GET by partition (at SERIAL, by key:
// serialPerKey) and reassembles the values in the requested order.
func (b *Backend) manyGet(ctx context.Context, db int, levels [2]proto.Consistency, req *proto.Request) ([]byte, error) {
	groups := map[int][]int{} // by partition, or at SERIAL by key (byKey's numbers)
	var byKey map[string]int
	if proto.Serial(levels[0], levels[1], []*proto.Request{req}) {
		byKey = map[string]int{}
	}
	for i, k := range req.Elems {
		g := b.partition(k)
		if byKey != nil {
			n, ok := byKey[string(k)]
			if !ok {
				n = len(byKey)
				byKey[string(k)] = n
			}
			g = n
		}
		groups[g] = append(groups[g], i)
	}
	values := make([]proto.Value, len(req.Elems))
	var mu sync.Mutex
	err := parallel(slices.Collect(maps.Values(groups)), func(idx []int) error {
		sub := proto.Request{Cmd: proto.CmdManyGet}
		for _, i := range idx {
			sub.Elems = append(sub.Elems, req.Elems[i])
		}
		out, err := b.doOne(ctx, db, levels, &sub)
		if err != nil {
			return err
		}
		r, err := parse(out)
		if err != nil {
			return err
		}
		if r.Value.Type != proto.TypeArr || len(r.Value.Elems) != len(idx) {
			return fmt.Errorf("cluster: a MANY_GET part answered %s with %d values for %d keys", r.Status, len(r.Value.Elems), len(idx))
		}
		mu.Lock()
		defer mu.Unlock()
		for k, i := range idx {
			values[i] = r.Value.Elems[k]
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := proto.AppendContainerHeader([]byte(proto.ReplyOK), proto.TypeArr, len(values))
	for _, v := range values {
		out = proto.AppendValue(out, v)
	}
	return proto.AppendContainerEnd(out, proto.TypeArr), nil
}

// readSet fetches one set with SET_ALL: its members, or badType when the
// key holds another type.
func (b *Backend) readSet(ctx context.Context, db int, levels [2]proto.Consistency, key []byte) (members [][]byte, badType []byte, err error) {
	out, err := b.doOne(ctx, db, levels, &proto.Request{Cmd: proto.CmdSetAll, Str: [3][]byte{key}})
	if err != nil {
		return nil, nil, err
	}
	r, err := parse(out)
	if err != nil {
		return nil, nil, err
	}
	if r.Status == proto.StatusBadType {
		return nil, out, nil
	}
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeSet {
		return nil, nil, fmt.Errorf("cluster: SET_ALL answered %s %s", r.Status, r.Value.Type)
	}
	return r.Value.Strs, nil, nil
}

// setAlgebra runs SET_UNION, SET_INTERSECT, SET_DIFF, SET_DIFF_MANY and
// their _LEN and _INTO forms across nodes: read every source set
// (type-checking all first), combine them here as storage does
// (proto/algebra.go), and for _INTO replace dest on its node.
func (b *Backend) setAlgebra(ctx context.Context, db int, levels [2]proto.Consistency, req *proto.Request) ([]byte, error) {
	dest, keys, ok := proto.Operands(req)
	if !ok {
		return nil, fmt.Errorf("cluster: %v cannot span partitions", req.Cmd)
	}
	sets := make([]proto.Members, len(keys))
	var bad []byte
	var mu sync.Mutex
	idx := make([]int, len(keys))
	for i := range idx {
		idx[i] = i
	}
	err := parallel(idx, func(i int) error {
		members, badType, err := b.readSet(ctx, db, levels, keys[i])
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		if badType != nil {
			bad = badType
			return nil
		}
		set := make(proto.NameSet, len(members))
		for _, m := range members {
			set[string(m)] = struct{}{}
		}
		sets[i] = set
		return nil
	})
	if err != nil {
		return nil, err
	}
	if bad != nil {
		return bad, nil
	}
	members := proto.Combine(req.Cmd, sets)
	if proto.IsInto(req.Cmd) {
		// Replace dest: delete it and add the members, as one unit on
		// dest's partition.
		add := &proto.Request{Cmd: proto.CmdSetAdd, Str: [3][]byte{dest}}
		for _, m := range members {
			add.Elems = append(add.Elems, []byte(m))
		}
		del := &proto.Request{Cmd: proto.CmdDel, Str: [3][]byte{dest}}
		if _, err := b.do(ctx, db, levels, del, add); err != nil {
			return nil, err
		}
	}
	return proto.AppendCombined(nil, req, members), nil
}

// setMove moves a member between sets on different nodes: type checks,
// then remove from the source, then add to dest.
func (b *Backend) setMove(ctx context.Context, db int, levels [2]proto.Consistency, req *proto.Request) ([]byte, error) {
	src, dest, member := req.Str[0], req.Str[1], req.Str[2]
	for _, k := range [][]byte{src, dest} {
		out, err := b.doOne(ctx, db, levels, &proto.Request{Cmd: proto.CmdType, Str: [3][]byte{k}})
		if err != nil {
			return nil, err
		}
		r, err := parse(out)
		if err != nil {
			return nil, err
		}
		if r.Status != proto.StatusNull && r.Value.Type != proto.TypeSet {
			return proto.AppendBadTypeMsg(nil, proto.MsgNotASet), nil
		}
	}
	discard := proto.Request{Cmd: proto.CmdSetDiscard, Str: [3][]byte{src}, Elems: [][]byte{member}}
	out, err := b.doOne(ctx, db, levels, &discard)
	if err != nil {
		return nil, err
	}
	if r, err := parse(out); err != nil || r.Status != proto.StatusOK || r.Value.Int != 1 {
		return proto.AppendBool([]byte(proto.ReplyOK), false), err
	}
	add := proto.Request{Cmd: proto.CmdSetAdd, Str: [3][]byte{dest}, Elems: [][]byte{member}}
	if _, err := b.doOne(ctx, db, levels, &add); err != nil {
		return nil, err
	}
	return proto.AppendBool([]byte(proto.ReplyOK), true), nil
}
