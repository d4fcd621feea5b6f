package router

import (
	"context"
	"slices"

	"github.com/vanitydb/vanity/proto"
)

// Pipeliner is a Backend that runs a run of data commands in one go. A
// connection whose client has several requests in flight hands its
// consecutive data commands over together, instead of waiting for each in
// turn: one round trip to each storage node, one durability wait.
//
// ExecPipeline must keep the guarantees of Exec called once per request in
// order: each command atomic, commands touching a partition run in their
// order, every reply after its write is durable. Commands on different
// partitions may take effect in either order relative to each other (no
// client can tell from its replies; docs/cluster.md).
type Pipeliner interface {
	// Pipelinable reports whether req may be part of a pipeline.
	Pipelinable(req *proto.Request) bool
	// ExecPipeline runs reqs in database db and appends their replies,
	// returning the end offset of each; a non-nil errs[i] replaces reply
	// i as Exec's error would.
	ExecPipeline(ctx context.Context, db int, reqs []*proto.Request, dst []byte) ([]byte, []int, []error)
}

// Deferrer is a Backend whose writes can be made durable together: an
// event loop runs a turn's commands with the Later methods and, before
// any reply leaves, waits once with Durable for the highest position they
// returned. The Later methods are Exec and ExecPipeline without their wait.
type Deferrer interface {
	ExecLater(ctx context.Context, db int, req *proto.Request, dst []byte) ([]byte, uint64, error)
	ExecPipelineLater(ctx context.Context, db int, reqs []*proto.Request, dst []byte) ([]byte, []int, []error, uint64)
	// Durable waits until every write up to pos is as durable as Exec
	// makes it before answering; after a failure no reply depending on
	// pos may be sent.
	Durable(pos uint64) error
}

// maxPipeline bounds the commands a connection holds back before it runs
// them.
const maxPipeline = 256

// held is a data command held back for the next pipeline run, with the
// position in conn.out where its reply frame goes.
type held struct {
	req *proto.Request
	at  int
}

// mayHold reports whether a command may be held back for a pipeline: a
// data command outside a transaction, with the backend pipelining and the
// client having more requests buffered (or some held already).
func (c *conn) mayHold(cmd proto.Command) bool {
	return c.srv.pipeliner != nil && cmd.IsData() && !c.sess.inTx && (len(c.held) > 0 || c.ready())
}

// heldSlot copies frame into the connection's arena and returns a reused
// request to parse it into: holding a command allocates nothing once the
// connection has warmed up. Both stay valid until runHeld (a grown arena
// leaves earlier copies where they were).
func (c *conn) heldSlot(frame []byte) (*proto.Request, []byte) {
	off := len(c.arena)
	c.arena = append(c.arena, frame...)
	if len(c.slots) == len(c.held) {
		c.slots = append(c.slots, new(proto.Request))
	}
	return c.slots[len(c.held)], c.arena[off:]
}

// runHeld runs the held commands and splices their reply frames into
// c.out where each was held back.
func (c *conn) runHeld() {
	if len(c.held) == 0 {
		return
	}
	reqs := c.heldReqs[:0]
	for _, h := range c.held {
		reqs = append(reqs, h.req)
	}
	var replies []byte
	var ends []int
	var errs []error
	if d := c.deferrer(); d != nil {
		var pos uint64
		replies, ends, errs, pos = d.ExecPipelineLater(c.backendCtx(), c.sess.db, reqs, c.replies[:0])
		c.ev.lp.need = max(c.ev.lp.need, pos)
	} else {
		replies, ends, errs = c.srv.pipeliner.ExecPipeline(c.backendCtx(), c.sess.db, reqs, c.replies[:0])
	}
	old := c.out
	out := slices.Grow(c.spare[:0], len(old)+len(replies)+8*len(reqs))
	prev, rprev := 0, 0
	for k, h := range c.held {
		out = append(out, old[prev:h.at]...)
		prev = h.at
		var start int
		out, start = proto.BeginFrame(out)
		if errs != nil && errs[k] != nil {
			out = c.backendError(out, errs[k])
		} else {
			out = append(out, replies[rprev:ends[k]]...)
		}
		rprev = ends[k]
		if len(out)-start-4 > c.srv.cfg.MaxReply {
			out = proto.AppendInternalError(out[:start+4], proto.MsgResponseTooLarge)
		}
		out = proto.EndFrame(out, start)
	}
	c.out = append(out, old[prev:]...)
	// The buffers are kept for the next pipeline (a burst's big ones are
	// not): without them every pipeline left a few kilobytes of garbage,
	// and at 16 requests in flight the collector took a quarter of the CPU.
	c.replies, c.spare = keep(replies), keep(old)
	clear(reqs)
	c.heldReqs = reqs[:0]
	clear(c.held)
	c.held = c.held[:0]
	c.arena = keep(c.arena)
}

// keep returns b emptied for reuse, or nil when it grew past 1 MiB (a
// burst of big frames: do not keep their memory).
func keep(b []byte) []byte {
	if cap(b) > 1<<20 {
		return nil
	}
	return b[:0]
}
