package router

import (
	"errors"
	"io"
	"net"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// A connection speaks one wire protocol: Vanity's frames, or Redis's RESP
// (ServeRESP). Both run the same commands the same way: a Redis command
// becomes Vanity requests (resp.Lookup and the Spec's Build, one parse),
// which pass the same state and permission checks, are held for the
// backend or run by exec as any Vanity request is, and only their replies
// are written differently, by the shape of the Redis command
// (resp.AppendReplies) when they are spliced in.

// wire is the protocol of a connection.
type wire uint8

const (
	wireVanity wire = iota
	wireRESP
)

// incoming is the request a connection has found in its input and not
// yet answered: a Vanity frame and its command word, or a Redis command
// with its spec and plan (built when found, so the loop knows its order).
type incoming struct {
	frame []byte
	cmd   proto.Command
	i     int

	args [][]byte
	spec *resp.Spec
	err  error // the command is refused before it runs (unknown, arity, arguments)
}

// queuedPlan is how a queued Redis command's replies combine at EXEC:
// its number of requests and its shape.
type queuedPlan struct {
	n     int
	shape resp.Shape
	// fixed, when not nil, is the whole reply of a command queued only to
	// answer in EXEC's array, as Redis answers it there (PING, UNWATCH):
	// it runs nothing (n is 0).
	fixed []byte
}

// next finds the next request at the front of b and prepares it: it
// returns its size (0: incomplete) and its order; an error is a malformed
// or oversized request, which closes the connection.
func (c *conn) next(b []byte) (int, order, error) {
	c.freeSlots()
	if c.wire == wireVanity {
		frame, size, err := proto.SplitFrame(b, c.maxRequest())
		if err != nil || size == 0 {
			return 0, orderFree, err
		}
		cmd, i := proto.ParseCommand(frame, 0)
		c.cur = incoming{frame: frame, cmd: cmd, i: i}
		return size, orderOf(cmd, frame), nil
	}
	var size int
	var err error
	if f := c.found; f.at != nil && len(b) >= f.size && &b[0] == f.at {
		c.cur.args, c.found.args = f.args, c.cur.args[:0] // read by readyRESP
		size, err = f.size, f.err
	} else {
		c.cur.args, size, err = resp.ReadCommand(b, c.respLimits(), c.cur.args[:0])
	}
	c.found.at = nil
	if err != nil {
		return 0, orderFree, err
	}
	if size == 0 {
		if len(b) > c.maxRequest() {
			return 0, orderFree, resp.ErrTooLarge
		}
		return 0, orderFree, nil
	}
	return size, c.prepareRESP(), nil
}

// respLimits bounds a Redis command as the session's frame limit bounds a
// Vanity frame.
func (c *conn) respLimits() resp.Limits {
	max := c.maxRequest()
	return resp.Limits{MaxBulk: max, MaxInline: min(max, 64<<10), MaxArgs: max / 4}
}

// handleNext answers the request next found.
func (c *conn) handleNext() action {
	var act action
	if c.wire == wireVanity {
		act = c.handleCommand(c.cur.frame, c.cur.cmd, c.cur.i)
	} else {
		act = c.handleRESP()
	}
	if c.srv.hub.nmon.Load() > 0 {
		c.feedMonitors()
	}
	return act
}

// readyRESP reports whether b holds a complete Redis command (or one that
// is refused as malformed or too large). What it read is kept for next,
// which is asked about the same input right after.
func (c *conn) readyRESP(b []byte) bool {
	f := &c.found
	var n int
	f.args, n, f.err = resp.ReadCommand(b, c.respLimits(), f.args[:0])
	f.at, f.size = nil, n
	if n > 0 || f.err != nil {
		f.at = &b[0]
	}
	return n > 0 || f.err != nil || len(b) > c.maxRequest()
}

// foundRESP is a Redis command readyRESP read at the front of a
// connection's input: next takes it instead of reading it again when
// asked about input starting at the same byte. A connection never
// rewrites input it has not consumed (reads append, a compaction moves it
// to another address), and the pointer keeps the buffer alive, so the same
// address holds the same bytes.
type foundRESP struct {
	at   *byte // the input's first byte; nil: nothing kept
	size int
	args [][]byte
	err  error
}

// prepareRESP looks the command up and builds its plan; it returns the
// command's order.
func (c *conn) prepareRESP() order {
	cur := &c.cur
	cur.spec, cur.err = nil, nil
	if len(cur.args) == 0 {
		return orderFree // an empty inline line: nothing to answer
	}
	cur.spec, cur.err = resp.Lookup(cur.args)
	if cur.err != nil {
		return orderFree
	}
	switch cur.spec.Kind {
	case resp.KindRequests, resp.KindScan, resp.KindPublish, resp.KindRestore, resp.KindMSetNX:
	case resp.KindHello:
		if len(cur.args) > 2 {
			return orderAway // it authenticates
		}
		return orderAfter // the replies before it keep their protocol version
	case resp.KindReset:
		return orderAfter // the replies before it keep their session's protocol, and run as its user
	case resp.KindQuit, resp.KindSubscribe, resp.KindUnsubscribe, resp.KindPSubscribe, resp.KindPUnsubscribe:
		return orderAfter
	default:
		return orderFree
	}
	c.keepArgs()
	c.plan.Reset(cur.spec.Shape)
	if cur.err = cur.spec.Build(cur.args, &c.plan); cur.err != nil {
		return orderFree
	}
	if len(c.plan.Reqs) == 0 { // RESTORE without REPLACE, MSETNX: they read their keys first (writeAbsent)
		return orderAway
	}
	return orderOf(c.plan.Reqs[0].Cmd, nil)
}

// keepArgs copies the arguments into the arena, where held requests
// built from them stay valid until the job is done.
func (c *conn) keepArgs() {
	for i, a := range c.cur.args {
		c.cur.args[i] = c.keepFrame(a)
	}
}

// handleRESP answers the Redis command next found (prepareRESP).
func (c *conn) handleRESP() action {
	cur := &c.cur
	s := &c.sess
	if s.acct == nil {
		c.authActive()
	}
	if s.acct != nil && s.acct.Deleted() {
		return actClose
	}
	if len(cur.args) == 0 {
		return actNone
	}
	if cur.err != nil && cur.spec != nil && s.inTx() && cur.spec.Kind == resp.KindRequests {
		// Redis reads a queued command's arguments when EXEC runs it:
		// the command's name and arity were right, so it queues, and its
		// error takes its place in EXEC's array while the others run.
		if s.tx == txQueuing {
			s.plans = append(s.plans, queuedPlan{fixed: resp.AppendErr(nil, cur.err)})
		}
		c.out = resp.AppendSimple(c.out, "QUEUED")
		return actReply
	}
	if cur.err != nil {
		c.out = resp.AppendErr(c.out, cur.err)
		s.doom()
		return actReply
	}
	spec, args := cur.spec, cur.args
	switch spec.Kind {
	case resp.KindEcho:
		c.out = resp.AppendBulk(c.out, args[1])
	case resp.KindTime:
		c.out = resp.AppendTime(c.out, time.Now())
	case resp.KindRole:
		c.out = resp.AppendRole(c.out)
	case resp.KindWait:
		c.wait(args)
	case resp.KindQuit:
		c.out = resp.AppendSimple(c.out, "OK")
		return actClose
	case resp.KindHello:
		c.hello(args)
	case resp.KindReset:
		c.reset()
	case resp.KindClient:
		c.client(args)
	case resp.KindPubSub:
		c.pubsubInfo(args)
	case resp.KindSlowLog:
		c.slowLogRESP(args)
	case resp.KindMonitor:
		c.monitorRESP()
	case resp.KindLatency:
		c.latencyRESP(args)
	case resp.KindCommand:
		c.out = resp.AppendCommand(c.out, c.rv, args)
	case resp.KindConfig:
		own := append(c.srv.slow.config(), [2]string{"maxmemory", strconv.FormatUint(c.srv.cfg.MaxMemory, 10)})
		c.out = resp.AppendConfig(c.out, c.rv, args, own)
	case resp.KindSubscribe, resp.KindPSubscribe:
		cmd := proto.CmdSubscribe
		if spec.Kind == resp.KindPSubscribe {
			cmd = proto.CmdSubscribePattern
		}
		for _, name := range args[1:] {
			if !c.subscribeRESP(cmd, name) {
				break
			}
		}
	case resp.KindUnsubscribe:
		c.unsubscribeRESP(proto.CmdUnsubscribe, args[1:])
	case resp.KindPUnsubscribe:
		c.unsubscribeRESP(proto.CmdUnsubscribePattern, args[1:])
	case resp.KindPublish:
		req := c.plan.Reqs[0]
		if c.refusedRESP(req.Cmd) {
			break
		}
		receivers := c.srv.hub.count(string(req.Str[0]))
		c.vout = c.pubsub(req, c.vout[:0])
		c.out = resp.AppendInt(c.out, int64(receivers))
	case resp.KindScan:
		c.scanRESP(c.plan.Reqs[0])
	case resp.KindRestore:
		if len(c.plan.Reqs) > 0 { // REPLACE: a plan like any other
			return c.runPlan()
		}
		c.restoreChecked(args)
	case resp.KindMSetNX:
		c.msetnx(args)
	default:
		return c.runPlan()
	}
	return actReply
}

// refusedRESP counts a request of cmd and appends Redis's refusal when
// the session may not run it now (state before permission, as for a
// Vanity request), reporting it.
func (c *conn) refusedRESP(cmd proto.Command) bool {
	c.srv.metrics.requests[cmd].Inc()
	return c.refusesRESP(cmd)
}

// refusesRESP is refusedRESP's check alone, for a Redis command that
// needs the session to be allowed cmd without running it (PUBSUB, which
// follows no channel but may see them as SUBSCRIBED does).
func (c *conn) refusesRESP(cmd proto.Command) bool {
	switch st := c.refusalStatus(cmd); {
	case st == proto.StatusNone:
		return false
	case st == proto.StatusDenied && c.sess.acct == nil:
		c.out = resp.AppendError(c.out, "NOAUTH", "Authentication required.")
	case st == proto.StatusBadState:
		c.out = resp.AppendBadState(c.out, cmd)
	default:
		c.out = resp.AppendError(c.out, "NOPERM", "this user has no permissions to run the '"+
			strings.ToLower(cmd.String())+"' command")
	}
	return true
}

// runPlan runs the plan of a Redis command: data requests are queued in a
// transaction or held for the backend (one item per plan item, their
// replies combined into one hole); any other runs at once through exec.
func (c *conn) runPlan() action {
	p := &c.plan
	s := &c.sess
	if first := p.Reqs[0]; s.inTx() && (first.Cmd == proto.CmdPing || first.Cmd == proto.CmdTransactUnwatch) &&
		allowed(s.level(), first.Cmd) {
		// Redis queues them: PING answers in EXEC's array, and UNWATCH
		// there changes nothing (EXEC forgets the watched keys anyway).
		reply := resp.AppendSimple(nil, "OK")
		if first.Cmd == proto.CmdPing {
			reply = resp.AppendSimple(nil, "PONG")
			if p.Shape == resp.ShapeBulk { // PING's message, even an empty one
				reply = resp.AppendBulk(nil, first.Raw)
			}
		}
		if s.tx == txQueuing {
			s.plans = append(s.plans, queuedPlan{fixed: reply})
		}
		c.out = resp.AppendSimple(c.out, "QUEUED")
		return actReply
	}
	for _, r := range p.Reqs {
		if c.refusedRESP(r.Cmd) {
			if r.Cmd != proto.CmdTransactBegin { // a nested MULTI leaves the transaction be, as in Redis
				s.doom()
			}
			return actReply
		}
	}
	first := p.Reqs[0]
	if !first.Cmd.IsData() {
		return c.execRESP(first, p.Shape)
	}
	if p.DB >= 0 && p.DB != s.db {
		c.out = resp.AppendError(c.out, "ERR", "a command of another database than the selected one is not supported by Vanity: SELECT it first")
		s.doom()
		return actReply
	}
	if s.inTx() && len(p.DBs) > 0 {
		c.out = resp.AppendError(c.out, "ERR", "a command over several databases (FLUSHALL) cannot run inside MULTI in Vanity")
		s.doom()
		return actReply
	}
	if s.inTx() && txRuleOf(first.Cmd) == txQueue {
		for _, r := range p.Reqs {
			if !c.queueCopy(r) {
				c.out = resp.AppendError(c.out, "ERR", c.txTooLarge())
				return actReply
			}
		}
		if s.tx == txQueuing {
			s.plans = append(s.plans, queuedPlan{n: len(p.Reqs), shape: p.Shape})
		}
		c.out = resp.AppendSimple(c.out, "QUEUED")
		return actReply
	}
	items := len(p.Items)
	_, whole := c.srv.cfg.Backend.(WholeBackend)
	together := whole && p.Together && len(p.DBs) == 0 // one item of all its requests
	if together {
		items = 1
	}
	for k := range items {
		reqs := p.ItemReqs(k)
		if together {
			reqs = p.Reqs
		}
		at := len(c.reqPtrs)
		c.reqPtrs = append(c.reqPtrs, reqs...)
		c.hold(c.reqPtrs[at:len(c.reqPtrs):len(c.reqPtrs)], c.out, 0, holeReply, nil)
		if k < len(p.DBs) {
			c.job.Items[len(c.job.Items)-1].DB = p.DBs[k]
		}
		h := &c.holes[len(c.holes)-1]
		h.shape = p.Shape
		if k == 0 {
			h.group, h.args = items, c.cur.args // kept in the arena (keepArgs)
		}
	}
	return actReply
}

// execRESP runs a session or server request through exec and writes its
// Vanity reply as Redis's.
func (c *conn) execRESP(req *proto.Request, shape resp.Shape) action {
	switch req.Cmd {
	case proto.CmdTransactCommit:
		c.commitRESP()
		return actReply
	case proto.CmdAuth:
		req.Str[0] = c.userName(req.Str[0])
	case proto.CmdPing:
		if c.rv == resp.RESP2 && len(c.sess.subs) > 0 {
			// A RESP2 subscriber's PING is answered as a push: "pong"
			// and the message (Redis's form, which clients expect).
			c.out = resp.AppendBulk(resp.AppendBulk(resp.AppendArray(c.out, 2), "pong"), req.Raw)
			return actReply
		}
	}
	var act action
	c.vout, act = c.exec(req, c.vout[:0])
	if shape == resp.ShapeKeyedPop || shape == resp.ShapeKeyedPops {
		r, err := proto.ParseReply(c.vout)
		if err != nil {
			r = proto.Reply{Status: proto.StatusInternalError, Body: []byte(err.Error()), HasBody: true}
		}
		switch {
		case shape == resp.ShapeKeyedPops:
			c.out = resp.AppendKeyedPops(c.out, c.rv, &r, req.Cmd == proto.CmdListPopRightWaitAny)
		case req.Cmd == proto.CmdListPopLeftWaitAny || req.Cmd == proto.CmdListPopRightWaitAny:
			// A pop of several keys names its key in the reply.
			c.out = resp.AppendKeyedPop(c.out, c.rv, nil, &r)
		default:
			c.out = resp.AppendKeyedPop(c.out, c.rv, req.Str[0], &r)
		}
		return act
	}
	c.appendVanity(c.vout, shape)
	return act
}

// userName is the Vanity user a Redis AUTH names: Redis's "default" user
// (and AUTH with a password only) is Config.DefaultUser.
func (c *conn) userName(name []byte) []byte {
	if name == nil || string(name) == "default" {
		return []byte(c.srv.cfg.DefaultUser)
	}
	return name
}

// appendVanity appends Redis's form of one Vanity reply.
func (c *conn) appendVanity(reply []byte, shape resp.Shape) {
	r, err := proto.ParseReply(reply)
	if err != nil {
		c.out = resp.AppendError(c.out, "ERR", "internal error: "+err.Error())
		return
	}
	c.out = resp.AppendReply(c.out, c.rv, shape, &r)
}

// commitRESP is EXEC: the queued requests run as one item, as
// TRANSACT_COMMIT's do, and the reply is an array with one entry per
// queued Redis command.
func (c *conn) commitRESP() {
	s := &c.sess
	defer s.endTx()
	if s.tx == txDoomed {
		c.out = resp.AppendError(c.out, "EXECABORT", "Transaction discarded because of previous errors.")
		return
	}
	run, mask, checks, why := s.commitRun()
	if why != "" {
		c.out = resp.AppendError(c.out, "ERR", why)
		return
	}
	plans := slices.Clone(s.plans)
	if len(run) == 0 {
		c.out = resp.AppendArray(c.out, len(plans))
		for _, p := range plans {
			if p.fixed != nil {
				c.out = append(c.out, p.fixed...)
				continue
			}
			c.out = resp.AppendError(c.out, "NOPERM", "this user has no permissions to run this command")
		}
		return
	}
	c.hold(run, c.out, 0, holeCommit, mask)
	h := &c.holes[len(c.holes)-1]
	h.plans, h.checks = plans, checks
	h.args = [][]byte{c.keepFrame(c.cur.args[0])} // EXEC, as the slow log shows it
}

// fillRESP appends what goes into hole h of a RESP connection: the
// combined replies of its group of items, or a transaction's array.
func (c *conn) fillRESP(out []byte, h hole) []byte {
	it := &c.job.Items[h.item]
	if h.kind == holeCommit {
		if it.Err != nil {
			return c.backendErrorRESP(out, it.Err)
		}
		if checksFailed(it) {
			return resp.AppendNullArray(out, c.rv) // a watched key changed
		}
		out = resp.AppendArray(out, len(h.plans))
		k, ran := 0, h.checks
		for _, p := range h.plans {
			if p.fixed != nil {
				out = append(out, p.fixed...)
				continue
			}
			denied := slices.Contains(h.mask[k:k+p.n], false)
			var rs []proto.Reply
			for _, ok := range h.mask[k : k+p.n] {
				if ok && ran < len(it.Replies) {
					rs = c.parseInto(rs, it.Replies[ran])
					ran++
				}
			}
			k += p.n
			if denied {
				out = resp.AppendError(out, "NOPERM", "this user has no permissions to run this command")
				continue
			}
			out = resp.AppendReplies(out, c.rv, p.shape, rs)
		}
		return out
	}
	if h.group == 0 {
		return out // its replies went with the first item of its group
	}
	rs := c.parsed[:0]
	for i := h.item; i < h.item+h.group; i++ {
		it := &c.job.Items[i]
		if it.Err != nil {
			return c.backendErrorRESP(out, it.Err)
		}
		for _, r := range it.Replies {
			rs = c.parseInto(rs, r)
		}
	}
	c.parsed = rs
	return resp.AppendReplies(out, c.rv, h.shape, rs)
}

// parseInto appends the decoded reply b to rs (a malformed one as an
// internal error), into the room of a Reply rs held before when it has
// one (c.parsed's: its lists are allocated once, not per reply).
func (c *conn) parseInto(rs []proto.Reply, b []byte) []proto.Reply {
	if len(rs) < cap(rs) {
		rs = rs[:len(rs)+1]
		rs[len(rs)-1].Clear()
	} else {
		rs = append(rs, proto.Reply{})
	}
	r := &rs[len(rs)-1]
	if err := proto.ParseReplyInto(r, b); err != nil {
		*r = proto.Reply{Status: proto.StatusInternalError, Body: []byte(err.Error()), HasBody: true}
	}
	return rs
}

// backendErrorRESP is backendError's Redis form.
func (c *conn) backendErrorRESP(out []byte, err error) []byte {
	var ce *CommandError
	if errors.As(err, &ce) {
		return resp.AppendError(out, "ERR", ce.Msg)
	}
	return resp.AppendError(out, "ERR", "internal error: "+err.Error())
}

// serveRESP reads and answers Redis commands until the connection ends (a
// connection served by a goroutine).
func (c *conn) serveRESP() {
	defer c.close()
	buf := make([]byte, 0, readSizeRESP)
	at := 0
	for {
		size, o, err := c.next(buf[at:])
		if err != nil {
			c.protocolError(err)
			c.flush()
			return
		}
		if size == 0 {
			if at == len(buf) {
				buf, at = buf[:0], 0
			} else if at > 0 && cap(buf)-len(buf) < readSizeRESP {
				buf, at = append(buf[:0], buf[at:]...), 0
			}
			if cap(buf)-len(buf) < readSizeRESP {
				buf = slices.Grow(buf, readSizeRESP)
			}
			n, err := c.nc.Read(buf[len(buf):cap(buf)])
			c.srv.metrics.received.Add(float64(n))
			buf = buf[:len(buf)+n]
			if err != nil {
				if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, os.ErrDeadlineExceeded) {
					c.srv.log.Debug("connection read failed", "remote", c.remote, "err", err)
				}
				c.flush()
				return
			}
			continue
		}
		if c.holding() && o != orderFree {
			c.settle()
		}
		at += size
		c.rbuf, c.rat = buf, at
		if !c.afterRequest(c.handleNext()) {
			return
		}
	}
}

// readSizeRESP is the read buffer of a connection a goroutine serves.
const readSizeRESP = 16 << 10

// protocolError answers a malformed or oversized Redis command as Redis
// does; the connection then closes.
func (c *conn) protocolError(err error) {
	msg := strings.TrimPrefix(err.Error(), "protocol error: ")
	if errors.Is(err, resp.ErrTooLarge) {
		c.srv.metrics.refused.WithLabelValues("max_request").Inc()
		msg = "request too large: the limit is " + strconv.Itoa(c.maxRequest()) + " bytes"
		if c.sess.acct == nil {
			msg += " until the session authenticates"
		}
	}
	c.out = resp.AppendError(c.out, "ERR", "Protocol error: "+msg)
	c.srv.log.Warn("closing connection: RESP protocol error", "remote", c.remote, "err", err)
}
