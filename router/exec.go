package router

import (
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
)

// numDBs is the number of databases a session may switch between.
const numDBs = 16

// exec runs a parsed session, user or server request whose state and
// permission checks passed, and appends its reply. (Data commands are held
// for the backend instead: hold.go.)
func (c *conn) exec(req *proto.Request, out []byte) ([]byte, action) {
	s := &c.sess
	switch req.Cmd {
	case proto.CmdPing:
		return proto.AppendStr(append(out, "PONG"...), req.Raw), actReply
	case proto.CmdExit:
		return out, actClose
	case proto.CmdTerminate:
		return out, actTerminate
	case proto.CmdAuth:
		source := sourceOf(c.remote)
		if wait := c.srv.auth.take(source, time.Now()); wait > 0 {
			c.srv.metrics.refused.WithLabelValues("auth_failures").Inc()
			c.srv.log.Warn("AUTH refused: too many failed attempts", "remote", c.remote, "retry_in", wait)
			return proto.AppendErrorMsg(out, "too many failed AUTH attempts from this address; retry in "+
				wait.Round(time.Second).String()), actReply
		}
		if c.authFailures > 0 {
			// Each failure on a connection doubles the wait before its
			// next AUTH is checked (AUTH runs off the event loop).
			select {
			case <-time.After(min(authBackoff<<(c.authFailures-1), maxAuthBackoff)):
			case <-c.ctx.Done():
				return out, actClose
			}
		}
		acct, err := c.srv.cfg.Users.Authenticate(c.ctx, req.Str[0], req.Str[1])
		if p := c.srv.cfg.Peers; p != nil && (errors.Is(err, users.ErrNoUser) || errors.Is(err, users.ErrWrongPassword)) {
			// Another router may have just added the user or changed the
			// password: read the users again before saying no, and say
			// unavailable when they cannot be read.
			rerr := p.ReloadUsers(c.ctx)
			if rerr != nil {
				c.srv.log.Warn("AUTH could not read the cluster's users", "remote", c.remote, "err", rerr)
				return proto.AppendErrorMsg(out, fmt.Sprintf(msgUsersUnreadable, rerr)), actReply
			}
			acct, err = c.srv.cfg.Users.Authenticate(c.ctx, req.Str[0], req.Str[1])
		}
		if err != nil {
			if errors.Is(err, users.ErrNoUser) || errors.Is(err, users.ErrWrongPassword) {
				c.authFailures = min(c.authFailures+1, 16)
			}
			return c.appendUserError(out, err), actReply
		}
		c.srv.auth.refund(source, time.Now())
		s.acct = acct
		c.authed.Store(true)
		c.stopAuthTimer()
		c.show()
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdAddUser:
		return c.userResult(out, c.srv.cfg.Users.Add(c.ctx, req.Str[0], req.Str[1]), string(req.Str[0]), false), actReply
	case proto.CmdEditUser:
		return c.userResult(out, c.srv.cfg.Users.Edit(req.Str[0], req.Level), string(req.Str[0]), false), actReply
	case proto.CmdDelUser:
		return c.userResult(out, c.srv.cfg.Users.Delete(req.Str[0], s.acct.Name()), string(req.Str[0]), true), actReply
	case proto.CmdChangePassword:
		return c.userResult(out, c.srv.cfg.Users.ChangePassword(c.ctx, s.acct, req.Str[0]), s.acct.Name(), false), actReply
	case proto.CmdSwitchDB:
		switch {
		case req.Int[0] < 0:
			return proto.AppendErrorMsg(out, proto.MsgDBNegative), actReply
		case req.Int[0] >= numDBs:
			return proto.AppendErrorMsg(out, proto.MsgDBTooLarge), actReply
		}
		s.db = int(req.Int[0])
		c.show()
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdPersist:
		defer c.logAway(req, time.Now())
		err := c.srv.cfg.Backend.Persist(c.ctx)
		switch {
		case errors.Is(err, ErrPersistenceDisabled):
			return proto.AppendErrorMsg(out, proto.MsgPersistenceDisabled), actReply
		case errors.As(err, new(*CommandError)):
			return c.backendError(out, err), actReply // a node down: the client is told which
		case err != nil:
			c.srv.log.Error("PERSIST failed", "err", err)
			return proto.AppendInternalError(out, err.Error()), actReply
		}
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdConsistency:
		s.cons = req.Cons
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdGetConsistency:
		return proto.AppendStrArr(append(out, proto.ReplyOK...), []string{s.cons[0].String(), s.cons[1].String()}), actReply
	case proto.CmdClusterInfo:
		return c.clusterInfo(out), actReply
	case proto.CmdScan:
		defer c.logAway(req, time.Now())
		return c.scanCommand(out, req), actReply
	case proto.CmdKeys:
		defer c.logAway(req, time.Now())
		return c.keysCommand(out, req), actReply
	case proto.CmdDBSize:
		defer c.logAway(req, time.Now())
		return c.dbSizeCommand(out), actReply
	case proto.CmdRandomKey:
		defer c.logAway(req, time.Now())
		return c.randomKey(out), actReply
	case proto.CmdListPopLeftWait, proto.CmdListPopRightWait, proto.CmdListMoveWait,
		proto.CmdListPopLeftWaitAny, proto.CmdListPopRightWaitAny:
		return c.waitPop(req, out), actReply
	case proto.CmdInfo:
		return c.info(out), actReply
	case proto.CmdTransactBegin:
		s.tx = txQueuing
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdTransactDiscard:
		s.endTx()
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdTransactCommit:
		return c.commit(out), actReply
	case proto.CmdTransactWatch:
		return c.watch(req, out), actReply
	case proto.CmdTransactUnwatch:
		s.unwatch()
		return append(out, proto.ReplyOK...), actReply
	case proto.CmdPublish, proto.CmdSubscribe, proto.CmdSubscribed, proto.CmdUnsubscribe, proto.CmdUnsubscribeAll,
		proto.CmdSubscribePattern, proto.CmdUnsubscribePattern, proto.CmdSubscribedPatterns:
		return c.pubsub(req, out), actReply
	}
	return proto.AppendInternalError(out, "router: unhandled command "+req.Cmd.String()), actReply
}

func (c *conn) backendError(out []byte, err error) []byte {
	var ce *CommandError
	if errors.As(err, &ce) {
		return proto.AppendErrorMsg(out, ce.Msg)
	}
	c.srv.log.Warn("backend failed", "err", err)
	return proto.AppendInternalError(out, err.Error())
}

// msgUsersUnreadable answers an AUTH this router's users refuse when it
// could not read the cluster's to see whether another router changed them.
const msgUsersUnreadable = "unavailable: cannot check this login: the cluster's users could not be read (%v); try again"

// userResult answers a user command: on success, once the other routers
// know that the account name changed (deleted: was removed).
func (c *conn) userResult(out []byte, err error, name string, deleted bool) []byte {
	if err != nil {
		return c.appendUserError(out, err)
	}
	if p := c.srv.cfg.Peers; p != nil {
		change := users.Change{Record: users.Record{Name: name}, Deleted: true}
		if !deleted {
			// The account as it is now: a change made since this one is
			// newer still, and one removed since is told as removed.
			if rec, ok := c.srv.cfg.Users.Record(name); ok {
				change = users.Change{Record: rec}
			}
		}
		if err := p.UsersChanged(c.ctx, change); err != nil {
			c.srv.log.Warn("other routers were not all told of a user change", "err", err)
		}
	}
	return append(out, proto.ReplyOK...)
}

// authBackoff is the wait before a connection's AUTH after its first
// failure; it doubles with each further one, up to maxAuthBackoff.
const (
	authBackoff    = 100 * time.Millisecond
	maxAuthBackoff = 5 * time.Second
)

// appendUserError maps a users error to its ERROR reply; a store that
// could not save (the users file) is INTERNAL_ERROR.
func (c *conn) appendUserError(out []byte, err error) []byte {
	for _, known := range []error{users.ErrUsernameTooShort, users.ErrPasswordTooShort, users.ErrExists,
		users.ErrNoUser, users.ErrWrongPassword, users.ErrInvalidLevel, users.ErrDeleteSelf} {
		if errors.Is(err, known) {
			return proto.AppendErrorMsg(out, known.Error())
		}
	}
	var ce *CommandError
	if errors.As(err, &ce) {
		// The cluster could not store the change (the users' partition
		// unavailable): a failure of nodes, ERROR as PROTOCOL.md §12.1 has it.
		c.srv.log.Warn("a user change was not stored", "err", err)
		return proto.AppendErrorMsg(out, ce.Msg)
	}
	c.srv.log.Error("user store failed", "err", err)
	return proto.AppendInternalError(out, err.Error())
}

func (s *session) endTx() {
	s.unwatch()
	s.tx, s.queued = txNone, 0
	clear(s.queue)
	s.queue = s.queue[:0]
	s.plans = s.plans[:0]
}

// commit runs the queued commands atomically (§8.3.4): permissions are
// checked now, refused commands contribute DENIED, the rest run as one
// item of the connection's job, with nothing else on their keys in
// between, after the checks of the watched keys (§12.21); the reply is
// spliced in when it is done.
func (c *conn) commit(out []byte) []byte {
	s := &c.sess
	queue := s.queue
	defer s.endTx()
	if s.tx == txDoomed {
		return proto.AppendErrorMsg(out, "transaction discarded: its queued commands passed "+
			strconv.Itoa(c.srv.cfg.MaxRequest)+" bytes (--max-request); none of it ran")
	}
	run, mask, checks, why := s.commitRun()
	if why != "" {
		return proto.AppendErrorMsg(out, why)
	}
	if len(run) == 0 {
		out = proto.AppendAggHeader(append(out, proto.ReplyOK...), proto.TypeAgg, len(queue))
		for range queue {
			out = append(out, proto.ReplyDenied...)
		}
		return out
	}
	c.hold(run, out, c.frame, holeCommit, mask)
	c.holes[len(c.holes)-1].checks = checks
	return out
}

// commitRun returns what a commit sends to the backend: the checks of the
// watched keys (how many: checks), then the queued commands the session's
// level allows now (mask: which of the queue), or why it cannot run
// (watchChecks).
func (s *session) commitRun() (run []*proto.Request, mask []bool, checks int, why string) {
	run, why = s.watchChecks()
	if why != "" {
		return nil, nil, 0, why
	}
	checks = len(run)
	level := s.level()
	mask = make([]bool, len(s.queue))
	for i, r := range s.queue {
		if mask[i] = allowed(level, r.Cmd); mask[i] {
			run = append(run, r)
		}
	}
	return run, mask, checks, ""
}

// clusterInfo describes the cluster, or the single-process server as
// "standalone".
func (c *conn) clusterInfo(out []byte) []byte {
	if inf, ok := c.srv.cfg.Backend.(Informer); ok {
		res, err := inf.ClusterInfo(c.ctx, append(out, proto.ReplyOK...))
		if err != nil {
			return c.backendError(out, err)
		}
		return res
	}
	return proto.AppendStrArr(append(out, proto.ReplyOK...), []string{"standalone"})
}
