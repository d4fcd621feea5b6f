package router

import (
	"encoding/binary"
	"slices"
	"strconv"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// Data commands do not run where they are parsed. A connection holds each
// one back as an item of its next Job and leaves a hole in its output
// where the reply goes; it submits the job once it has read what the
// client sent (or reaches a request that must follow the held ones), and
// splices the replies into the holes when the job is done. So a turn of
// an event loop hands the backend every connection's commands at once.
//
// The bytes around the holes are complete reply frames whose length
// fields do not yet count the holes' contents; splice fixes them.

// holeKind is what fills a hole.
type holeKind uint8

const (
	holeReply  holeKind = iota // the item's reply (or its error)
	holeCommit                 // a transaction's reply: OK:AGG(n), then DENIED or the item's replies
)

// hole is where an item's reply goes in c.out.
type hole struct {
	kind  holeKind
	pos   int    // offset in c.out
	frame int    // offset in c.out of the frame holding it
	item  int    // the item in c.job
	mask  []bool // holeCommit: which queued commands were allowed (ran)
	// checks is, for holeCommit, how many of the item's requests, first,
	// check the watched keys (§12.21): their replies are not the client's.
	checks int
	// A RESP connection's: how the replies read, and how many items
	// (from this one on) answer one Redis command (0: the hole before
	// this one answers for it); a transaction's queued commands.
	shape resp.Shape
	group int
	plans []queuedPlan
	// args is, on the first hole of a Redis command, the command as its
	// client sent it (kept in the arena), for the slow log.
	args [][]byte
}

// frameFix is a frame whose length splice corrects: where it starts in
// the old and the new output, and how many bytes its holes added.
type frameFix struct{ old, new, added int }

// maxHeld bounds the commands a connection holds back before it submits
// them.
const maxHeld = 256

// keepFrame copies a frame into the connection's arena, where requests
// parsed from it stay valid until the job is done (a grown arena leaves
// earlier copies where they were).
func (c *conn) keepFrame(frame []byte) []byte {
	off := len(c.arena)
	c.arena = append(c.arena, frame...)
	return c.arena[off:]
}

// slot returns a reused request to parse a held command into. Slots are
// taken in turn until the held commands are done (freeSlots).
func (c *conn) slot() *proto.Request {
	n := c.nslots
	c.nslots++
	for len(c.slots) <= n {
		c.slots = append(c.slots, new(proto.Request))
	}
	r := c.slots[n]
	r.Reset()
	return r
}

// hold adds reqs as the next item of the connection's job, with a hole at
// the end of out (inside the frame starting at frame).
func (c *conn) hold(reqs []*proto.Request, out []byte, frame int, kind holeKind, mask []bool) {
	c.job.Items = append(c.job.Items, Item{DB: c.sess.db, Levels: c.sess.cons, Reqs: reqs,
		Replies: c.itemReplies(len(c.job.Items))})
	c.holes = append(c.holes, hole{kind: kind, pos: len(out), frame: frame, item: len(c.job.Items) - 1, mask: mask})
}

// itemReplies returns the reply slice item i used last time, for reuse.
func (c *conn) itemReplies(i int) [][]byte {
	if i < len(c.spareReplies) {
		return c.spareReplies[i][:0]
	}
	return nil
}

// freeSlots lets the slots be reused when no held command needs them (a
// request about to be parsed may have failed to parse into some).
func (c *conn) freeSlots() {
	if !c.holding() {
		c.nslots = 0
	}
}

// holdOne holds a single command parsed into a slot.
func (c *conn) holdOne(req *proto.Request, out []byte, frame int) {
	k := len(c.reqPtrs)
	c.reqPtrs = append(c.reqPtrs, req)
	c.hold(c.reqPtrs[k:k+1:k+1], out, frame, holeReply, nil)
}

// holding reports whether the connection has held commands, submitted or
// not.
func (c *conn) holding() bool { return len(c.holes) > 0 }

// submit hands the held commands to s as one job. toLoop says who learns
// that it is done: the event loop (it is handed the connection), or a
// goroutine waiting in settle.
func (c *conn) submit(s Sender, toLoop bool) {
	if len(c.holes) == 0 || c.submitted {
		return
	}
	c.submitted = true
	c.toLoop = toLoop // read by jobDone, after Submit hands the job over
	c.submittedAt = time.Now()
	c.job.Start()
	s.Submit(&c.job)
}

// jobDone is the job's Done: it tells whoever serves the connection.
func (c *conn) jobDone(j *Job) {
	c.srv.pops.pushed(j)
	c.finished.Store(true)
	if c.toLoop {
		c.ev.lp.hand(c)
		return
	}
	c.settled <- struct{}{}
}

// settle runs the held commands and waits for them (a connection served
// by a goroutine, or one away from its event loop).
func (c *conn) settle() {
	if !c.holding() {
		return
	}
	if c.waiter == nil {
		c.waiter = c.srv.cfg.Backend.NewSender()
	}
	c.submit(c.waiter, false)
	c.waiter.Flush()
	<-c.settled
	c.splice()
}

// settleInFrame runs the held commands in the middle of a PIPE's frame,
// before an entry that must see what they did: one that waits itself
// (orderAway: SCAN, KEYS, DB_SIZE, INFO, PERSIST, TRANSACT_WATCH, a
// blocking pop), which runs off the event loop, so it may wait here too.
// out is c.out's bytes, then the frame begun at c.frame so far; it
// returns them with the holes filled, and c.frame where the frame now
// starts. The frame stays open: its header is fixed when it ends.
func (c *conn) settleInFrame(out []byte) []byte {
	binary.BigEndian.PutUint32(out[c.frame:], uint32(len(out)-c.frame-4))
	c.out, c.inFrame = out, true
	c.settle()
	c.inFrame = false
	return c.out
}

// splice fills the holes with the job's replies, fixes the lengths of
// the frames holding them, and forgets the job. In a frame still open
// (settleInFrame), c.frame follows the frame.
func (c *conn) splice() {
	c.finished.Store(false)
	c.submitted = false
	old := c.out
	out := slices.Grow(c.spare[:0], len(old)+64*len(c.holes))
	fixes := c.fixes[:0]
	prev := 0
	frame, moved := c.frame, false
	for _, h := range c.holes {
		out = append(out, old[prev:h.pos]...)
		prev = h.pos
		if c.inFrame && !moved && h.pos > frame {
			// The holes before this one all lie before the open frame.
			c.frame, moved = frame+len(out)-h.pos, true
		}
		at := len(out)
		if c.wire == wireRESP {
			// No frame lengths to fix; a reply over MaxReply is replaced
			// by an error, as a Vanity frame is.
			if out = c.fillRESP(out, h); len(out)-at > c.srv.cfg.MaxReply {
				out = resp.AppendError(out[:at], "ERR", proto.MsgResponseTooLarge+": the limit is "+
					strconv.Itoa(c.srv.cfg.MaxReply)+" bytes (--max-reply)")
			}
			continue
		}
		if n := len(fixes); n == 0 || fixes[n-1].old != h.frame {
			fixes = append(fixes, frameFix{old: h.frame, new: h.frame + len(out) - h.pos})
		}
		out = c.fill(out, h)
		fixes[len(fixes)-1].added += len(out) - at
	}
	out = append(out, old[prev:]...)
	if c.inFrame && !moved {
		c.frame = frame + len(out) - len(old)
	}
	over := false
	for _, f := range fixes {
		n := int(binary.BigEndian.Uint32(old[f.old:])) + f.added
		binary.BigEndian.PutUint32(out[f.new:], uint32(n))
		over = over || n > c.srv.cfg.MaxReply
	}
	if over {
		out = c.shrink(out, fixes)
	}
	c.out, c.spare = out, keep(old)
	c.fixes = fixes[:0]
	if c.inFrame {
		// The open frame's entries still to come are parsed from the
		// arena: it is kept until the frame is done.
		c.finishJob(false)
		return
	}
	c.finishJob(true)
}

// finishJob records the job's latency, forgets it and frees what its
// commands used; the arena too when freeArena.
func (c *conn) finishJob(freeArena bool) {
	// Every command of the job took the same time: one observation per
	// run of the same command is the histogram's sample (16 GETs in
	// flight cost one Observe, not 16).
	d := time.Since(c.submittedAt)
	if c.srv.slow.slow(d) {
		c.logSlow(d)
	}
	took := d.Seconds()
	last := proto.CmdNone
	for i := range c.job.Items {
		it := &c.job.Items[i]
		for _, r := range it.Reqs {
			if r.Cmd != last {
				c.srv.metrics.latency[r.Cmd].Observe(took)
				last = r.Cmd
			}
			if it.Err != nil {
				c.srv.metrics.failed[r.Cmd].Inc()
			}
		}
		if i < len(c.spareReplies) {
			c.spareReplies[i] = it.Replies[:0]
		} else {
			c.spareReplies = append(c.spareReplies, it.Replies[:0])
		}
		clear(it.Replies)
		*it = Item{}
	}
	c.job.Items = c.job.Items[:0]
	clear(c.holes)
	c.holes = c.holes[:0]
	c.nslots = 0
	clear(c.reqPtrs)
	c.reqPtrs = c.reqPtrs[:0]
	if freeArena {
		c.arena = keep(c.arena)
	}
}

// logSlow puts each command of the job in the slow log: a Redis command
// as its client sent it, a Vanity one as the text of its requests (a
// transaction's commit as the requests it ran).
func (c *conn) logSlow(took time.Duration) {
	addr := c.remote.String()
	var texts [][]byte
	for _, h := range c.holes {
		if c.wire == wireRESP {
			if h.args != nil {
				c.srv.slow.add(c.submittedAt, took, h.args, addr, c.name)
			}
			continue
		}
		texts = texts[:0]
		for _, r := range c.job.Items[h.item].Reqs {
			texts = append(texts, proto.AppendRequest(nil, r))
		}
		c.srv.slow.add(c.submittedAt, took, texts, addr, c.name)
	}
}

// shrink replaces each frame of out that grew past MaxReply with
// INTERNAL_ERROR "response too large".
func (c *conn) shrink(out []byte, fixes []frameFix) []byte {
	res := make([]byte, 0, len(out))
	prev := 0
	for _, f := range fixes {
		n := int(binary.BigEndian.Uint32(out[f.new:]))
		if n <= c.srv.cfg.MaxReply {
			continue
		}
		if c.inFrame && f.new == c.frame {
			c.overflow = true // the open frame: its pipe stops and answers the error
			continue
		}
		res = append(res, out[prev:f.new]...)
		var start int
		res, start = proto.BeginFrame(res)
		res = proto.EndFrame(proto.AppendInternalError(res, proto.MsgResponseTooLarge), start)
		prev = f.new + 4 + n
	}
	if c.inFrame {
		c.frame += len(res) - prev // the open frame is the last: every one replaced lies before it
	}
	return append(res, out[prev:]...)
}

// fill appends what goes into hole h.
func (c *conn) fill(out []byte, h hole) []byte {
	it := &c.job.Items[h.item]
	switch h.kind {
	case holeCommit:
		if it.Err != nil {
			return c.backendError(out, it.Err)
		}
		if checksFailed(it) {
			return append(out, proto.ReplyNull...)
		}
		out = proto.AppendAggHeader(append(out, proto.ReplyOK...), proto.TypeAgg, len(h.mask))
		k := h.checks
		for _, ran := range h.mask {
			if !ran {
				out = append(out, proto.ReplyDenied...)
				continue
			}
			if k < len(it.Replies) {
				out = append(out, it.Replies[k]...)
			}
			k++
		}
		return out
	}
	if it.Err != nil {
		return c.backendError(out, it.Err)
	}
	for _, r := range it.Replies {
		out = append(out, r...)
	}
	return out
}

// keep returns b emptied for reuse, or nil when it grew past 1 MiB (a
// burst of big frames: do not keep their memory).
func keep(b []byte) []byte {
	if cap(b) > 1<<20 {
		return nil
	}
	return b[:0]
}

// dropHoles forgets the holes from offset at on: their frame was replaced
// (a reply too large). Their commands still run, as they would have.
func (c *conn) dropHoles(at int) {
	for len(c.holes) > 0 && c.holes[len(c.holes)-1].pos >= at {
		c.holes = c.holes[:len(c.holes)-1]
	}
}
