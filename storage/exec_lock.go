package storage

import (
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// lock runs the LOCK_ commands (PROTOCOL.md §12.7). A lock is an ordinary
// key holding a STR "<token> <owner>": its deadline is the end of the
// lease, and its fencing token the time of the stamp of the write that
// took it, so tokens only grow, also across a release, a DEL of the key
// or a restart (the clock passes every stamp it loads). The token is kept
// in the value, not read from the register's stamp, so that a refresh,
// which changes the deadline only, keeps it however the state is copied:
// the serial path rewrites a key's whole state at each ballot
// (docs/serial.md). A STR of another form is not a lock: BAD_TYPE.
func (c *Ctx) lock(req *proto.Request, dst []byte) []byte {
	key := req.Key()
	if ms := req.Int[1]; (req.Cmd == proto.CmdLockAcquire || req.Cmd == proto.CmdLockRefresh) && ms <= 0 {
		return proto.AppendErrorMsg(dst, proto.MsgInvalidExpiry)
	}
	v, stored := c.read(key)
	held, isStr := v.(strVal)
	token, owner, isLock := parseLock(held.str())
	if v != nil && (!isStr || !isLock) {
		return append(dst, proto.ReplyBadType...)
	}
	holds := v != nil && token == req.Int[0] // the request's token is the holder's
	switch req.Cmd {
	case proto.CmdLockAcquire:
		if v != nil {
			return append(dst, proto.ReplyNull...)
		}
		token = int64(c.T.Time)
		take := proto.Request{Type: proto.TypeStr, Str: [3][]byte{key, appendLock(nil, token, req.Str[1])}}
		d := c.setDelta(&take)
		d.Exp = Expiry{S: c.T, At: c.deadlineAfter(float64(req.Int[1]))}
		c.commit(key, d)
		c.raiseFence(key, key, token) // the newest token issued (exec_fence.go)
		return proto.AppendInt(append(dst, proto.ReplyOK...), token)
	case proto.CmdLockRefresh:
		if holds {
			d := c.begin(key, stored)
			d.Exp = Expiry{S: c.T, At: c.deadlineAfter(float64(req.Int[1]))}
			c.commit(key, d)
		}
		return proto.AppendBool(append(dst, proto.ReplyOK...), holds)
	case proto.CmdLockRelease:
		if holds {
			d := c.newDelta(key)
			d.Reset = c.T
			c.commit(key, d)
		}
		return proto.AppendBool(append(dst, proto.ReplyOK...), holds)
	}
	if v == nil { // LOCK_INFO
		return append(dst, proto.ReplyNull...)
	}
	left := int64(0)
	if at := c.deadline(key); at != 0 {
		left = max(0, at-c.now())
	}
	dst = proto.AppendContainerHeader(append(dst, proto.ReplyOK...), proto.TypeArr, 3)
	dst = proto.AppendInt(proto.AppendStr(dst, owner), token)
	return proto.AppendContainerEnd(proto.AppendInt(dst, left), proto.TypeArr)
}

// appendLock appends a lock's value: its token in decimal, a space, its
// owner.
func appendLock(dst []byte, token int64, owner []byte) []byte {
	dst = strconv.AppendInt(dst, token, 10)
	return append(append(dst, ' '), owner...)
}

// parseLock reads a lock's value (appendLock).
func parseLock(s string) (token int64, owner string, ok bool) {
	i := strings.IndexByte(s, ' ')
	if i <= 0 {
		return 0, "", false
	}
	token, err := strconv.ParseInt(s[:i], 10, 64)
	if err != nil || token <= 0 {
		return 0, "", false
	}
	return token, s[i+1:], true
}
