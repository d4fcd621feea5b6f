package router

import (
	"bytes"
	"slices"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// MONITOR (Redis's): a connection that asks gets, from then on, a status
// line for each command the process reads from any connection (its own
// included): the time, database, client address and arguments. Lines are
// delivered as pub/sub messages are (deliver: the connection's writer, and
// --max-subscriber-queue's bound), and fed where a connection takes its
// next command (handleNext), once the command is handled so that SELECT
// shows the database it chose. Commands of sessions not logged in are not
// shown, but their AUTH and HELLO are, redacted. While nobody monitors, a
// command costs one atomic load.

// monitor starts c's monitoring.
func (h *hub) monitor(c *conn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, dup := h.monitors[c]; !dup {
		h.monitors[c] = struct{}{}
		h.nmon.Add(1)
	}
}

// unmonitor ends c's monitoring, if it monitors.
func (h *hub) unmonitor(c *conn) {
	if h.nmon.Load() == 0 {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if _, ok := h.monitors[c]; ok {
		delete(h.monitors, c)
		h.nmon.Add(-1)
	}
}

// feed delivers line to every monitor.
func (h *hub) feed(line []byte) {
	h.mu.RLock()
	targets := make([]*conn, 0, len(h.monitors))
	for c := range h.monitors {
		targets = append(targets, c)
	}
	h.mu.RUnlock()
	for _, c := range targets {
		c.deliver(line)
	}
}

// monitorRESP is MONITOR: an ADMIN's (it shows every user's commands).
func (c *conn) monitorRESP() {
	switch {
	case c.sess.acct == nil:
		c.out = resp.AppendError(c.out, "NOAUTH", "Authentication required.")
		return
	case c.refusedNonAdmin("MONITOR shows every user's commands: an ADMIN's command"):
		return
	case c.sess.inTx():
		c.out = resp.AppendError(c.out, "ERR", "MONITOR is not allowed inside MULTI")
		c.sess.doom()
		return
	}
	c.startAsync()
	c.srv.hub.monitor(c)
	c.out = resp.AppendSimple(c.out, "OK")
}

// feedMonitors shows the command just handled to the monitors: a Redis
// command's arguments, a Vanity request's text, the passwords of either
// redacted.
func (c *conn) feedMonitors() {
	cur := &c.cur
	var args [][]byte
	auth := false
	if c.wire == wireVanity {
		switch cur.cmd {
		case proto.CmdAuth, proto.CmdAddUser, proto.CmdChangePassword:
			auth = true
			args = [][]byte{[]byte(cur.cmd.String() + " (redacted)")}
		default:
			args = [][]byte{cur.frame}
		}
	} else if len(cur.args) > 0 {
		if cur.spec != nil && cur.spec.Kind == resp.KindMonitor {
			return // as in Redis: a monitor is not shown the MONITOR that made it
		}
		args = cur.args
		if cur.spec != nil && cur.spec.Secret {
			auth = true
			args = redactRESP(cur.spec.Kind, cur.args)
		}
	}
	if len(args) == 0 || c.sess.acct == nil && !auth {
		return
	}
	c.srv.hub.feed(resp.AppendMonitorLine(nil, time.Now(), c.sess.db, c.remote.String(), args))
}

// redacted stands for a password a monitor is not shown.
var redacted = []byte("(redacted)")

// redactRESP is AUTH's or HELLO's arguments as a monitor sees them:
// AUTH's all redacted, HELLO's those of its AUTH option.
func redactRESP(kind resp.Kind, args [][]byte) [][]byte {
	out := slices.Clone(args)
	for i := 1; i < len(out); i++ {
		switch {
		case kind != resp.KindHello:
			out[i] = redacted
		case bytes.EqualFold(out[i], []byte("auth")):
			for j := i + 1; j < len(out) && j <= i+2; j++ {
				out[j] = redacted
			}
			i += 2
		}
	}
	return out
}
