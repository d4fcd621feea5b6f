package router

import (
	"strconv"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
)

// session is the per-connection state of PROTOCOL.md §5.1.
type session struct {
	acct  *users.Account // nil until AUTH succeeds
	db    int
	cons  [2]proto.Consistency
	tx    txState
	queue []*proto.Request
	// queued is what queue holds, in bytes (proto.Request.Size): a
	// transaction is one request sent in parts, bounded as a request is.
	queued int
	plans  []queuedPlan // a RESP session's queued commands: how their replies combine
	subs   map[string]struct{}
	pats   map[string]struct{} // the patterns followed (§12.15)
	// watches are the keys TRANSACT_WATCH (WATCH) named since the last
	// commit, discard or TRANSACT_UNWATCH (optimistic.go).
	watches []watchedKey
}

// txState is where a session stands with transactions.
type txState uint8

const (
	txNone    txState = iota // no transaction: commands run
	txQueuing                // between TRANSACT_BEGIN (MULTI) and its end: data commands queue
	txDoomed                 // a transaction in which a command failed to queue (RESP) or that outgrew --max-request: its commit runs none of it (Redis's EXECABORT), and it queues nothing more
)

// inTx reports whether the session is in a transaction.
func (s *session) inTx() bool { return s.tx != txNone }

// doom marks a RESP session's transaction, if it has one, as one that
// EXEC discards: a command failed to queue (Redis's EXECABORT).
func (s *session) doom() {
	if s.tx == txQueuing {
		s.tx = txDoomed
	}
}

func (s *session) level() proto.Level {
	if s.acct == nil {
		return proto.LevelUnknown
	}
	return s.acct.Level()
}

// action is what the connection does after a request.
type action uint8

const (
	actReply     action = iota // a reply frame was appended
	actNone                    // no reply
	actClose                   // no reply; close the connection
	actTerminate               // no reply; stop the server
)

// handleCommand answers one top-level request frame whose command word,
// cmd, ends at frame[i]. The order of checks is that of PROTOCOL.md §2.2
// and §8.3.3: command word, transaction state (and queueing), permission,
// arguments, execution. Data commands are held for the connection's next
// job (hold.go).
func (c *conn) handleCommand(frame []byte, cmd proto.Command, i int) action {
	c.srv.metrics.requests[cmd].Inc()
	c.freeSlots()
	s := &c.sess
	if s.acct == nil {
		c.authActive()
	}
	if s.acct != nil && s.acct.Deleted() {
		return actClose // the user was deleted: no reply, close (§5.5)
	}
	out, start := proto.BeginFrame(c.out)
	act := actReply
	switch {
	case cmd == proto.CmdNone:
		out = proto.AppendBadRequest(out, proto.ErrInvalidOperation)
	case s.inTx() && txRuleOf(cmd) == txRefuse, !s.inTx() && (cmd == proto.CmdTransactCommit || cmd == proto.CmdTransactDiscard):
		out = append(out, proto.ReplyBadState...)
	case s.inTx() && txRuleOf(cmd) == txQueue:
		out = c.queueRequest(frame, i, cmd, true, out)
	case !allowed(s.level(), cmd):
		out = append(out, proto.ReplyDenied...)
	case cmd == proto.CmdPipe:
		n, j, err := proto.ParsePipeCount(frame, i)
		if err != proto.ErrNone {
			out = proto.AppendBadRequest(out, err)
			break
		}
		c.overflow = false
		c.frame = start
		// Held entries are parsed from a copy that outlives the read buffer.
		_, out, _ = c.pipe(c.keepFrame(frame), j, n, 1, true, out)
		start = c.frame // an entry that waits for the held ones moved it (settleInFrame)
	case cmd.IsData():
		body, req := c.keepFrame(frame), c.slot()
		j, err := proto.ParseArgs(body, i, cmd, true, req)
		if err == proto.ErrNone {
			err = proto.CheckEnd(body, j)
		}
		if err != proto.ErrNone {
			out = proto.AppendBadRequest(out, err)
			break
		}
		if req.Cmd.BlockingPop() { // with a request id: it waits here, as without
			c.frame = start
			out, act = c.exec(req, out)
			break
		}
		c.holdOne(req, out, start)
	default:
		c.req.Reset()
		j, err := proto.ParseArgs(frame, i, cmd, true, &c.req)
		if err == proto.ErrNone {
			err = proto.CheckEnd(frame, j)
		}
		if err != proto.ErrNone {
			out = proto.AppendBadRequest(out, err)
			break
		}
		c.frame = start
		began := time.Now()
		out, act = c.exec(&c.req, out)
		c.srv.metrics.latency[cmd].Observe(time.Since(began).Seconds())
	}
	if c.overflow || len(out)-start-4 > c.srv.cfg.MaxReply {
		c.overflow = false
		out = proto.AppendInternalError(out[:start+4], proto.MsgResponseTooLarge)
		c.dropHoles(start)
	}
	if act == actReply {
		c.out = proto.EndFrame(out, start)
	} else {
		c.out = out[:start]
	}
	return act
}

// queueRequest parses a request for a transaction and queues a copy.
func (c *conn) queueRequest(b []byte, i int, cmd proto.Command, top bool, out []byte) []byte {
	c.req.Reset()
	j, err := proto.ParseArgs(b, i, cmd, top, &c.req)
	if err == proto.ErrNone && top {
		err = proto.CheckEnd(b, j)
	}
	if err != proto.ErrNone {
		return proto.AppendBadRequest(out, err)
	}
	if txRuleOf(c.req.Cmd) == txRefuse { // a blocking pop with a request id
		return append(out, proto.ReplyBadState...)
	}
	if !c.queueCopy(&c.req) {
		return proto.AppendErrorMsg(out, c.txTooLarge())
	}
	return append(out, proto.ReplyQueued...)
}

// queueCopy queues a copy of r in the session's open transaction and
// reports whether it could: past MaxRequest bytes queued the transaction
// is doomed and its queue dropped. A doomed transaction keeps nothing
// (its commit runs nothing), so its commands are answered QUEUED and
// dropped.
func (c *conn) queueCopy(r *proto.Request) bool {
	s := &c.sess
	if s.tx == txDoomed {
		return true
	}
	if s.queued += r.Size(); s.queued > c.srv.cfg.MaxRequest {
		s.tx = txDoomed
		clear(s.queue)
		s.queue, s.plans = s.queue[:0], s.plans[:0]
		c.srv.metrics.refused.WithLabelValues("max_request").Inc()
		return false
	}
	s.queue = append(s.queue, r.Clone())
	return true
}

// txTooLarge is the refusal of a command that would take a transaction
// past MaxRequest bytes.
func (c *conn) txTooLarge() string {
	return "transaction too large: its queued commands pass " + strconv.Itoa(c.srv.cfg.MaxRequest) +
		" bytes (--max-request); the commit will run none of it"
}

// pipe appends "OK:PIPE(n)" and the replies of the n entries starting at
// b[i:]. depth counts the PIPEs enclosing the entries, this one included;
// outermost says whether its last entry must end the frame. It
// returns the position after the pipe and the parse error that poisons the
// rest of the frame, if any (§7.3). A reply that outgrows MaxReply sets
// c.overflow and stops early.
func (c *conn) pipe(b []byte, i int, n uint64, depth int, outermost bool, out []byte) (int, []byte, proto.ParseError) {
	out = proto.AppendAggHeader(append(out, proto.ReplyOK...), proto.TypePipe, int(min(n, 1<<62)))
	poison := proto.ErrNone
	for k := uint64(0); k < n; k++ {
		if len(out) > c.srv.cfg.MaxReply || c.overflow {
			c.overflow = true
			return i, out, poison
		}
		if poison != proto.ErrNone {
			// Every remaining entry gets the same reply: check the total
			// size before writing them out.
			bad := proto.AppendBadRequest(nil, poison)
			if (n-k) > uint64(c.srv.cfg.MaxReply/len(bad)) || len(out)+int(n-k)*len(bad) > c.srv.cfg.MaxReply {
				c.overflow = true
				return i, out, poison
			}
			for ; k < n; k++ {
				out = append(out, bad...)
			}
			break
		}
		i, out, poison = c.entry(b, i, depth, outermost && k == n-1, out)
	}
	return i, out, poison
}

// entry parses and answers one pipe entry at b[i:], inside depth PIPEs.
// Inside a pipe the arguments are always parsed first, so that the next
// entry can be found even when this one is refused (D19).
func (c *conn) entry(b []byte, i, depth int, last bool, out []byte) (int, []byte, proto.ParseError) {
	cmd, j := proto.ParseCommand(b, i)
	c.srv.metrics.requests[cmd].Inc()
	if cmd == proto.CmdNone {
		return j, proto.AppendBadRequest(out, proto.ErrInvalidOperation), proto.ErrInvalidOperation
	}
	if cmd == proto.CmdPipe {
		if depth >= proto.MaxPipeDepth {
			return j, proto.AppendBadRequest(out, proto.ErrPipeDepth), proto.ErrPipeDepth
		}
		n, j, err := proto.ParsePipeCount(b, j)
		if err != proto.ErrNone {
			return j, proto.AppendBadRequest(out, err), err
		}
		refusal := c.refusal(cmd)
		if refusal != nil || last {
			// Parse the nested entries for syntax only: to skip a refused
			// pipe, or to check that the frame's last entry ends the frame
			// before running any of it.
			end, err := skipEntries(b, j, n, depth+1, &c.req)
			switch {
			case err != proto.ErrNone && refusal != nil:
				return end, proto.AppendBadRequest(out, err), err
			case err != proto.ErrNone:
				// Malformed: run it, so its entries up to the fault get
				// their replies and the fault poisons the rest.
			case refusal != nil:
				return end, append(out, refusal...), proto.ErrNone
			case proto.CheckEnd(b, end) != proto.ErrNone:
				return end, proto.AppendBadRequest(out, proto.ErrTrailing), proto.ErrTrailing
			}
		}
		return c.pipe(b, j, n, depth+1, false, out)
	}
	req := &c.req
	if cmd.IsData() {
		req = c.slot()
	} else {
		req.Reset()
	}
	j, err := proto.ParseArgs(b, j, cmd, false, req)
	if err == proto.ErrNone && last {
		err = proto.CheckEnd(b, j)
	}
	if err != proto.ErrNone {
		return j, proto.AppendBadRequest(out, err), err
	}
	if req.Cmd.BlockingPop() {
		cmd = req.Cmd // with a request id: it runs as one without
	}
	if s := &c.sess; s.inTx() && txRuleOf(cmd) == txQueue {
		if !c.queueCopy(req) {
			return j, proto.AppendErrorMsg(out, c.txTooLarge()), proto.ErrNone
		}
		return j, append(out, proto.ReplyQueued...), proto.ErrNone
	}
	if refusal := c.refusal(cmd); refusal != nil {
		return j, append(out, refusal...), proto.ErrNone
	}
	if refusedInPipe(cmd) {
		return j, proto.AppendErrorMsg(out, proto.NotAllowedInPipe(cmd)), proto.ErrNone
	}
	if cmd.IsData() {
		c.holdOne(req, out, c.frame)
		return j, out, proto.ErrNone
	}
	if c.holding() && orderOf(cmd, nil) == orderAway {
		// It must see what the pipe's earlier entries did, and like them
		// the pipe runs off the event loop.
		out = c.settleInFrame(out)
	}
	out, _ = c.exec(req, out)
	return j, out, proto.ErrNone
}

// refusal returns BAD_STATE or DENIED when the session may not run cmd
// now (state is checked before permission, D59), or nil.
func (c *conn) refusal(cmd proto.Command) []byte {
	switch c.refusalStatus(cmd) {
	case proto.StatusBadState:
		return proto.ReplyBadState
	case proto.StatusDenied:
		return proto.ReplyDenied
	}
	return nil
}

// refusalStatus is refusal's status: BAD_STATE, DENIED, or StatusNone
// when the session may run cmd.
func (c *conn) refusalStatus(cmd proto.Command) proto.Status {
	s := &c.sess
	if s.inTx() && txRuleOf(cmd) == txRefuse || !s.inTx() && (cmd == proto.CmdTransactCommit || cmd == proto.CmdTransactDiscard) {
		return proto.StatusBadState
	}
	if !allowed(s.level(), cmd) {
		return proto.StatusDenied
	}
	return proto.StatusNone
}

// skipEntries parses n requests from b[i:], inside depth PIPEs, for syntax
// only.
func skipEntries(b []byte, i int, n uint64, depth int, scratch *proto.Request) (int, proto.ParseError) {
	for k := uint64(0); k < n; k++ {
		var err proto.ParseError
		if i, err = proto.SkipRequest(b, i, depth, scratch); err != proto.ErrNone {
			return i, err
		}
	}
	return i, proto.ErrNone
}
