package router

import (
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// absentTries bounds how often a write that needs its keys missing reads
// them again after another client's write came between its read and its
// write.
const absentTries = 3

// absentWrite is a Redis write that must find its keys missing: RESTORE
// without REPLACE, MSETNX.
type absentWrite struct {
	name  string // the command, as refusals name it
	inTx  string // why a transaction cannot run it, and what to do instead
	keys  [][]byte
	shape resp.Shape
	// writes adds the writes to the plan, after the checks; an error is
	// answered as it is (a payload that does not decode).
	writes func(p *resp.Plan) error
	// exists answers when a key exists, or was written under the write
	// every time.
	exists func()
}

// writeAbsent runs w: it reads whether w's keys exist and their versions,
// answers w.exists if one does, and otherwise writes behind checks that no
// version changed, so that a key another client creates meanwhile is
// never replaced; after such a write it reads again, up to absentTries
// times. The checks and the writes are one item: in a cluster its keys
// must share a partition, as a transaction's. It runs away from the event
// loop (orderAway), as WATCH's read does.
func (c *conn) writeAbsent(w absentWrite) {
	s := &c.sess
	if s.inTx() {
		c.out = resp.AppendError(c.out, "ERR", w.name+" reads its keys before it writes, which a transaction cannot: "+w.inTx)
		s.doom()
		return
	}
	if s.cons[1] == proto.ConsSerial {
		c.out = resp.AppendError(c.out, "ERR", w.name+" checks its keys' versions, which SERIAL does not run: use another level")
		return
	}
	reads := make([]proto.Request, 2*len(w.keys))
	ptrs := make([]*proto.Request, len(reads))
	versions := make([]int64, len(w.keys))
	for i, k := range w.keys {
		reads[2*i] = proto.Request{Cmd: proto.CmdExists, Str: [3][]byte{k}}
		reads[2*i+1] = proto.Request{Cmd: proto.CmdKeyVersion, Str: [3][]byte{k}}
		ptrs[2*i], ptrs[2*i+1] = &reads[2*i], &reads[2*i+1]
	}
	for range absentTries {
		for _, cmd := range []proto.Command{proto.CmdExists, proto.CmdKeyVersion, proto.CmdKeyVersionIs} {
			if c.refusedRESP(cmd) {
				return
			}
		}
		it, ok := c.runItem(ptrs...)
		if !ok {
			return
		}
		for i := range w.keys {
			found, err := proto.ParseReply(it.Replies[2*i])
			if err != nil {
				c.out = resp.AppendError(c.out, "ERR", "internal error: "+err.Error())
				return
			}
			if found.Status == proto.StatusOK {
				w.exists()
				return
			}
			ver, err := proto.ParseReply(it.Replies[2*i+1])
			if err != nil || ver.Status != proto.StatusOK || ver.Value.Type != proto.TypeInt {
				c.appendVanity(it.Replies[2*i+1], resp.ShapeInt) // the backend's refusal
				return
			}
			versions[i] = ver.Value.Int
		}
		p := &c.plan
		p.Reset(w.shape)
		resp.AbsentChecks(p, w.keys, versions)
		if err := w.writes(p); err != nil {
			c.out = resp.AppendErr(c.out, err)
			return
		}
		for _, r := range p.Reqs[len(w.keys):] {
			if c.refusedRESP(r.Cmd) {
				return
			}
		}
		it, ok = c.runItem(p.Reqs...)
		if !ok {
			return
		}
		if checksFailed(&it) {
			continue // written meanwhile: read again
		}
		rs := make([]proto.Reply, len(it.Replies))
		for i, b := range it.Replies {
			var err error
			if rs[i], err = proto.ParseReply(b); err != nil {
				c.out = resp.AppendError(c.out, "ERR", "internal error: "+err.Error())
				return
			}
		}
		c.out = resp.AppendReplies(c.out, c.rv, w.shape, rs)
		return
	}
	w.exists() // written under it every time
}

// restoreChecked runs RESTORE without REPLACE (resp/restore.go): BUSYKEY
// when the key exists; the payload is read once, after the key was found
// missing, as Redis reads it.
func (c *conn) restoreChecked(args [][]byte) {
	opts, _ := resp.ParseRestoreOptions(args) // read when the plan was built
	var (
		value   resp.Restoring
		decoded bool
	)
	c.writeAbsent(absentWrite{
		name: "RESTORE without REPLACE", inTx: "use REPLACE inside MULTI",
		keys: args[1:2], shape: resp.ShapeRestore,
		writes: func(p *resp.Plan) error {
			if !decoded {
				var err error
				if value, err = resp.ReadRestoring(args, opts); err != nil {
					return err
				}
				decoded = true
			}
			value.Writes(p, args[1])
			return nil
		},
		exists: func() { c.out = resp.AppendErr(c.out, resp.ErrBusyKey) },
	})
}

// msetnx runs MSETNX: 0 when a key exists, else every key set in one
// unit and 1.
func (c *conn) msetnx(args [][]byte) {
	c.writeAbsent(absentWrite{
		name: "MSETNX", inTx: "WATCH the keys, check them with EXISTS and MSET them inside MULTI",
		keys: resp.MSetNXKeys(args), shape: resp.ShapeMSetNX,
		writes: func(p *resp.Plan) error { resp.MSetNXWrites(args, p); return nil },
		exists: func() { c.out = resp.AppendInt(c.out, 0) },
	})
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
