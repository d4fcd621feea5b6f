package router

import (
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// restoreTries bounds how often RESTORE without REPLACE reads the key
// again after another client's write came between its read and its write.
const restoreTries = 3

// restoreChecked runs RESTORE without REPLACE (resp/restore.go): it reads
// whether the key exists and its version, answers BUSYKEY if it exists,
// and otherwise writes the value behind a check that the version is
// unchanged, so that a key another client creates meanwhile is never
// replaced; after such a write it reads again. It runs away from the
// event loop (orderAway), as WATCH's read does.
func (c *conn) restoreChecked(args [][]byte) {
	s := &c.sess
	if s.inTx() {
		c.out = resp.AppendError(c.out, "ERR", "RESTORE without REPLACE reads the key before it writes, which a transaction cannot: use REPLACE inside MULTI")
		s.doom()
		return
	}
	if s.cons[1] == proto.ConsSerial {
		c.out = resp.AppendError(c.out, "ERR", "RESTORE without REPLACE checks the key's version, which SERIAL does not run: use REPLACE, or another level")
		return
	}
	key := args[1]
	opts, _ := resp.ParseRestoreOptions(args) // read when the plan was built
	var (
		value   resp.Restoring
		decoded bool // the payload, read once: after the check for the key, as Redis reads it
	)
	for range restoreTries {
		for _, cmd := range []proto.Command{proto.CmdExists, proto.CmdKeyVersion, proto.CmdKeyVersionIs} {
			if c.refusedRESP(cmd) {
				return
			}
		}
		exists := proto.Request{Cmd: proto.CmdExists, Str: [3][]byte{key}}
		version := proto.Request{Cmd: proto.CmdKeyVersion, Str: [3][]byte{key}}
		it, ok := c.runItem(&exists, &version)
		if !ok {
			return
		}
		found, err := proto.ParseReply(it.Replies[0])
		if err != nil {
			c.out = resp.AppendError(c.out, "ERR", "internal error: "+err.Error())
			return
		}
		if found.Status == proto.StatusOK {
			c.out = resp.AppendErr(c.out, resp.ErrBusyKey)
			return
		}
		ver, err := proto.ParseReply(it.Replies[1])
		if err != nil || ver.Status != proto.StatusOK || ver.Value.Type != proto.TypeInt {
			c.appendVanity(it.Replies[1], resp.ShapeInt) // the backend's refusal
			return
		}
		if !decoded {
			var verr error
			if value, verr = resp.ReadRestoring(args, opts); verr != nil {
				c.out = resp.AppendErr(c.out, verr)
				return
			}
			decoded = true
		}
		p := &c.plan
		p.Reset(resp.ShapeRestore)
		resp.RestoreCheck(p, key, ver.Value.Int)
		value.Writes(p, key)
		for _, r := range p.Reqs[1:] {
			if c.refusedRESP(r.Cmd) {
				return
			}
		}
		it, ok = c.runItem(p.Reqs...)
		if !ok {
			return
		}
		if checksFailed(&it) {
			continue // written meanwhile: read it again
		}
		rs := make([]proto.Reply, len(it.Replies))
		for i, b := range it.Replies {
			if rs[i], err = proto.ParseReply(b); err != nil {
				c.out = resp.AppendError(c.out, "ERR", "internal error: "+err.Error())
				return
			}
		}
		c.out = resp.AppendReplies(c.out, c.rv, resp.ShapeRestore, rs)
		return
	}
	c.out = resp.AppendErr(c.out, resp.ErrBusyKey) // written under it every time
}

// runItem runs reqs as one item at the session's database and levels and
// waits for it; on a backend error it answers it and reports false.
func (c *conn) runItem(reqs ...*proto.Request) (Item, bool) {
	j := &Job{Items: []Item{{DB: c.sess.db, Levels: c.sess.cons, Reqs: reqs}}}
	NewWaitSender(c.srv.cfg.Backend.NewSender()).Run(j)
	it := j.Items[0]
	if it.Err != nil {
		c.out = c.backendErrorRESP(c.out, it.Err)
		return it, false
	}
	return it, true
}
