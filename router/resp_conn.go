package router

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// The RESP listener's commands about the connection and the server rather
// than data: HELLO, RESET, WAIT, CLIENT, PUBSUB's counts, and the
// subscriptions a Redis client opens and closes.

// hello is HELLO [protover [AUTH user pass] [SETNAME name]].
func (c *conn) hello(args [][]byte) {
	v := c.rv
	if len(args) > 1 {
		n, err := strconv.Atoi(string(args[1]))
		if err != nil || n < 2 || n > 3 {
			c.out = resp.AppendError(c.out, "NOPROTO", "unsupported protocol version")
			return
		}
		v = resp.Version(n)
	}
	var name []byte
	for i := 2; i < len(args); i++ {
		switch strings.ToUpper(string(args[i])) {
		case "AUTH":
			if i+2 >= len(args) {
				c.out = resp.AppendError(c.out, "ERR", "syntax error in HELLO option 'auth'")
				return
			}
			var req proto.Request
			req.Cmd, req.Str[0], req.Str[1] = proto.CmdAuth, c.userName(args[i+1]), args[i+2]
			c.vout, _ = c.exec(&req, c.vout[:0])
			if r, err := proto.ParseReply(c.vout); err != nil || r.Status != proto.StatusOK {
				c.appendVanity(c.vout, resp.ShapeAuth) // refused: the error is the reply
				return
			}
			i += 2
		case "SETNAME":
			if i+1 >= len(args) {
				c.out = resp.AppendError(c.out, "ERR", "syntax error in HELLO option 'setname'")
				return
			}
			name = args[i+1]
			i++
		default:
			c.out = resp.AppendError(c.out, "ERR", "syntax error in HELLO option '"+string(args[i])+"'")
			return
		}
	}
	if name != nil {
		c.name = string(name)
	}
	c.rv = v
	c.show()
	c.out = resp.AppendHello(c.out, v, c.id)
}

// reset is RESET: the session as a new connection has it (no transaction
// or watches, no channel or pattern followed, database 0, the default
// consistency levels, RESP2, no name, not logged in: the idle timer for
// logging in runs again), answered +RESET.
func (c *conn) reset() {
	c.sess.endTx()
	c.unfollowAll()
	c.sess.db, c.sess.cons, c.sess.acct = 0, [2]proto.Consistency{}, nil
	c.authed.Store(false)
	c.authActive()
	c.rv, c.name = resp.RESP2, ""
	c.show()
	c.out = resp.AppendSimple(c.out, "RESET")
}

// wait is WAIT numreplicas timeout: at once, the copies beyond the first
// that the session's writes reached when they were acknowledged, the
// count its write level waits for (each write is acknowledged only once
// it reached them).
func (c *conn) wait(args [][]byte) {
	if _, err := strconv.ParseInt(string(args[1]), 10, 64); err != nil {
		c.out = resp.AppendError(c.out, "ERR", "value is not an integer or out of range")
		return
	}
	ms, err := strconv.ParseInt(string(args[2]), 10, 64)
	switch {
	case err != nil:
		c.out = resp.AppendError(c.out, "ERR", "timeout is not an integer or out of range")
		return
	case ms < 0:
		c.out = resp.AppendError(c.out, "ERR", "timeout is negative")
		return
	}
	copies := 1
	if cc, ok := c.srv.cfg.Backend.(CopyCounter); ok {
		copies = cc.Copies()
	}
	c.out = resp.AppendInt(c.out, int64(max(c.sess.cons[1].Need(copies)-1, 0)))
}

// refusedNonAdmin answers NOPERM with msg, and reports true, unless the
// session is an ADMIN's (or a PEER's).
func (c *conn) refusedNonAdmin(msg string) bool {
	if l := c.sess.level(); l != proto.LevelAdmin && l != proto.LevelPeer {
		c.out = resp.AppendError(c.out, "NOPERM", msg)
		return true
	}
	return false
}

// client is CLIENT ID, SETNAME, GETNAME, SETINFO, INFO, LIST and KILL
// (clientlist.go).
func (c *conn) client(args [][]byte) {
	sub := strings.ToUpper(string(args[1]))
	switch {
	case sub == "ID" && len(args) == 2:
		c.out = resp.AppendInt(c.out, c.id)
	case sub == "GETNAME" && len(args) == 2:
		if c.name == "" {
			c.out = resp.AppendNull(c.out, c.rv)
		} else {
			c.out = resp.AppendBulk(c.out, c.name)
		}
	case sub == "SETNAME" && len(args) == 3:
		if strings.ContainsAny(string(args[2]), " \n\r") {
			c.out = resp.AppendError(c.out, "ERR", "Client names cannot contain spaces, newlines or special characters.")
			return
		}
		c.name = string(args[2])
		c.show()
		c.out = resp.AppendSimple(c.out, "OK")
	case sub == "SETINFO" && len(args) == 4:
		c.out = resp.AppendSimple(c.out, "OK")
	case sub == "INFO" && len(args) == 2:
		c.out = resp.AppendBulk(c.out, c.appendClientLine(nil, time.Now()))
	case sub == "KILL":
		// Other users' connections: an administrator's (Redis's ACL puts
		// it in @admin and @dangerous).
		if c.refusedNonAdmin("CLIENT KILL closes any user's connections: an ADMIN's command") {
			return
		}
		if len(args) < 3 {
			c.out = resp.AppendErr(c.out, resp.ArityError("client|kill"))
			return
		}
		f, err := clientKillFilter(args, func(name string) (string, bool) {
			name = string(c.userName([]byte(name)))
			_, ok := c.srv.cfg.Users.Record(name)
			return name, ok
		})
		if err != nil {
			c.out = resp.AppendErr(c.out, err)
			return
		}
		n := c.srv.clientKill(f, c)
		switch {
		case !f.old:
			c.out = resp.AppendInt(c.out, int64(n))
		case n == 0:
			c.out = resp.AppendError(c.out, "ERR", "No such client")
		default:
			c.out = resp.AppendSimple(c.out, "OK")
		}
	case sub == "LIST":
		// Other users' connections, names and addresses: an
		// administrator's view (Redis's ACL puts it in @admin too).
		if c.refusedNonAdmin("CLIENT LIST shows every user's connections: an ADMIN's command") {
			return
		}
		ids, err := clientListIDs(args)
		if err != nil {
			c.out = resp.AppendErr(c.out, err)
			return
		}
		c.out = resp.AppendBulk(c.out, c.srv.clientList(nil, ids))
	case sub == "ID", sub == "GETNAME", sub == "SETNAME", sub == "SETINFO", sub == "INFO":
		c.out = resp.AppendErr(c.out, resp.ArityError("client|"+strings.ToLower(sub)))
	default:
		c.out = resp.AppendError(c.out, "ERR", "unknown subcommand '"+sub+"'. Vanity supports CLIENT ID, SETNAME, GETNAME, SETINFO, INFO, LIST and KILL.")
	}
}

// pubsubInfo is PUBSUB CHANNELS, NUMSUB and NUMPAT: this router's
// subscribers, as PUBLISH counts them, for a session that may follow
// channels.
func (c *conn) pubsubInfo(args [][]byte) {
	if c.refusesRESP(proto.CmdSubscribed) {
		return
	}
	sub := strings.ToUpper(string(args[1]))
	switch {
	case sub == "CHANNELS" && len(args) <= 3:
		var pattern []byte
		if len(args) == 3 {
			pattern = args[2]
		}
		chs := c.srv.hub.channels(pattern)
		c.out = resp.AppendArray(c.out, len(chs))
		for _, ch := range chs {
			c.out = resp.AppendBulk(c.out, ch)
		}
	case sub == "NUMSUB":
		c.out = resp.AppendArray(c.out, 2*(len(args)-2))
		for _, ch := range args[2:] {
			c.out = resp.AppendInt(resp.AppendBulk(c.out, ch), int64(c.srv.hub.subscribers(string(ch))))
		}
	case sub == "NUMPAT" && len(args) == 2:
		c.out = resp.AppendInt(c.out, int64(c.srv.hub.patterns()))
	case sub == "CHANNELS", sub == "NUMPAT":
		c.out = resp.AppendErr(c.out, resp.ArityError("pubsub|"+strings.ToLower(sub)))
	default:
		c.out = resp.AppendError(c.out, "ERR", "unknown subcommand '"+sub+"'. Vanity supports PUBSUB CHANNELS, NUMSUB and NUMPAT.")
	}
}

// subscribeRESP runs cmd, a subscription to or from one channel or
// pattern, and appends its confirmation with Redis's count (channels and
// patterns together); it reports false if the session may not.
func (c *conn) subscribeRESP(cmd proto.Command, name []byte) bool {
	if c.refusedRESP(cmd) {
		return false
	}
	var req proto.Request
	req.Cmd, req.Str[0] = cmd, name
	c.vout = c.pubsub(&req, c.vout[:0])
	c.out = resp.AppendPush(c.out, c.rv, pushKinds[cmd], name, int64(len(c.sess.subs)+len(c.sess.pats)), nil)
	return true
}

// pushKinds are the confirmations Redis pushes for each subscription
// command.
var pushKinds = map[proto.Command]string{
	proto.CmdSubscribe: "subscribe", proto.CmdUnsubscribe: "unsubscribe",
	proto.CmdSubscribePattern: "psubscribe", proto.CmdUnsubscribePattern: "punsubscribe",
}

// unsubscribeRESP runs cmd (UNSUBSCRIBE or UNSUBSCRIBE_PATTERN) for the
// channels or patterns named, or for every one followed.
func (c *conn) unsubscribeRESP(cmd proto.Command, names [][]byte) {
	if len(names) == 0 {
		set := c.sess.subs
		if cmd == proto.CmdUnsubscribePattern {
			set = c.sess.pats
		}
		for n := range set {
			names = append(names, []byte(n))
		}
		slices.SortFunc(names, func(a, b []byte) int { return strings.Compare(string(a), string(b)) })
	}
	if len(names) == 0 {
		if !c.refusedRESP(cmd) {
			c.out = resp.AppendPush(c.out, c.rv, pushKinds[cmd], nil, int64(len(c.sess.subs)+len(c.sess.pats)), nil)
		}
		return
	}
	for _, n := range names {
		if !c.subscribeRESP(cmd, n) {
			return
		}
	}
}
