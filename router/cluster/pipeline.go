package cluster

import (
	"context"
	"fmt"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// Pipelinable implements router.Pipeliner: data commands whose keys share
// a partition (RESET and multi-partition commands run on their own).
func (b *Backend) Pipelinable(req *proto.Request) bool {
	if req.Cmd.Class() == proto.ClassDatabase {
		return false
	}
	var buf [4][]byte
	_, single := b.onePartition(req.Keys(buf[:0]))
	return single
}

// ExecPipeline implements router.Pipeliner. The commands are grouped by the
// node serving their partition, each group goes to its node as one
// exec-many call (the node runs it in order), and the groups run in
// parallel. A command the node refuses because its partition moved is
// retried on its own afterwards, in order with the other refused ones:
// a node refuses every later command on a partition once it refused one.
func (b *Backend) ExecPipeline(ctx context.Context, db int, reqs []*proto.Request, dst []byte) ([]byte, []int, []error) {
	rt := b.routes.Load()
	version := b.ringVersion()
	parts := make([]int, len(reqs))
	replies := make([][]byte, len(reqs))
	errs := make([]error, len(reqs))
	retry := make([]bool, len(reqs))
	groups := map[string][]int{}
	var keys [][]byte
	for i, r := range reqs {
		keys = r.Keys(keys[:0])
		if len(keys) > 0 {
			parts[i] = b.partition(keys[0])
		}
		addr := ""
		if p := parts[i]; p < len(rt.owner) {
			addr = rt.owner[p]
		}
		switch name, failed := rt.failed[addr]; {
		case addr == "":
			retry[i] = true // no owner known now: call waits and retries
		case failed:
			errs[i] = fmt.Errorf("%w: partition %d: its node %s is down", ErrUnavailable, parts[i], name)
		default:
			groups[addr] = append(groups[addr], i)
		}
	}
	var wg sync.WaitGroup
	for addr, idx := range groups {
		wg.Add(1)
		go func() {
			defer wg.Done()
			b.pipelineTo(ctx, addr, version, db, reqs, parts, idx, replies, errs, retry)
		}()
	}
	wg.Wait()
	for i, r := range reqs {
		if retry[i] {
			replies[i], errs[i] = b.exec(ctx, db, r, parts[i])
		}
	}
	ends := make([]int, len(reqs))
	for i := range reqs {
		if errs[i] == nil {
			dst = append(dst, replies[i]...)
		}
		ends[i] = len(dst)
	}
	return dst, ends, errs
}

// pipelineTo sends the commands reqs[idx...] to the node at addr as one
// call and records each outcome.
func (b *Backend) pipelineTo(ctx context.Context, addr string, version uint64, db int, reqs []*proto.Request,
	parts, idx []int, replies [][]byte, errs []error, retry []bool) {
	group := make([]*proto.Request, len(idx))
	for k, i := range idx {
		group[k] = reqs[i]
	}
	levels := router.ConsistencyOf(ctx)
	out, err := b.callTimed(ctx, addr, rpc.KindExecMany, rpc.AppendBatch(nil, version, db, levels[0], levels[1], group))
	var items []rpc.Item
	if err == nil {
		items, err = rpc.DecodeItems(out)
		if err == nil && len(items) != len(idx) {
			err = fmt.Errorf("%w: %d replies to %d commands", rpc.ErrMalformed, len(items), len(idx))
		}
	}
	if err != nil {
		for _, i := range idx {
			if retryable(err) {
				retry[i] = true
			} else {
				errs[i] = b.callError(parts[i], err)
			}
		}
		return
	}
	for k, i := range idx {
		switch it := items[k]; it.Status {
		case rpc.StatusOK:
			replies[i] = it.Reply
		case rpc.StatusWrongRing:
			retry[i] = true
		default:
			errs[i] = fmt.Errorf("%w: partition %d: %s", ErrUnavailable, parts[i], it.Reply)
		}
	}
}
