package router

import (
	"strconv"
	"sync"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// SCAN on the RESP listener: Redis's numeric cursors over Vanity's.

// scanRESP is SCAN with Redis's numeric cursors: a Vanity cursor that is
// a number (a partition's start) is its own; one inside a partition is
// kept in the server's cursor table under a number above any partition's.
func (c *conn) scanRESP(req *proto.Request) {
	n, err := strconv.ParseUint(string(req.Str[0]), 10, 64)
	if err != nil {
		c.out = resp.AppendError(c.out, "ERR", "invalid cursor")
		return
	}
	if n >= cursorBase {
		vc, ok := c.srv.cursors.get(n)
		if !ok {
			c.out = resp.AppendError(c.out, "ERR", "invalid cursor: it has expired or is from another router; start again from 0")
			return
		}
		req.Str[0] = []byte(vc)
	}
	if c.refusedRESP(req.Cmd) {
		return
	}
	c.vout, _ = c.exec(req, c.vout[:0])
	r, err := proto.ParseReply(c.vout)
	if err != nil || r.Status != proto.StatusOK || len(r.Value.Elems) != 2 {
		c.appendVanity(c.vout, resp.ShapeStatus)
		return
	}
	next := string(r.Value.Elems[0].Str)
	keys := r.Value.Elems[1].Strs
	if req.Type != proto.TypeNone {
		var failed []byte
		if keys, failed = c.keysOfType(keys, req.Type); failed != nil {
			c.appendVanity(failed, resp.ShapeStatus)
			return
		}
	}
	id, err := strconv.ParseUint(next, 10, 64)
	if err != nil || id >= cursorBase {
		id = c.srv.cursors.put(next)
	}
	c.out = resp.ScanReply(c.out, id, keys)
}

// keysOfType keeps the keys of a SCAN page whose type passes SCAN's TYPE
// filter (resp.ScanTypeMatches), asking each key's TYPE as the session
// would, in one job (the keys' nodes asked at once); a key gone meanwhile
// (NULL) is left out, as Redis leaves out a key that expired during its
// scan. A TYPE that fails ends the filtering: its reply is returned
// instead (nil when none failed).
func (c *conn) keysOfType(keys [][]byte, filter proto.Type) (kept [][]byte, failed []byte) {
	if len(keys) == 0 {
		return keys, nil
	}
	reqs := make([]proto.Request, len(keys))
	j := &Job{Items: make([]Item, len(keys))}
	for i, k := range keys {
		reqs[i].Cmd, reqs[i].Str[0] = proto.CmdType, k
		j.Items[i] = Item{DB: c.sess.db, Levels: c.sess.cons, Reqs: []*proto.Request{&reqs[i]}}
	}
	NewWaitSender(c.srv.cfg.Backend.NewSender()).Run(j)
	kept = keys[:0]
	for i := range j.Items {
		it := &j.Items[i]
		if it.Err != nil {
			return nil, c.backendError(nil, it.Err)
		}
		r, err := proto.ParseReply(it.Replies[0])
		switch {
		case err != nil || r.Status != proto.StatusOK:
			return nil, it.Replies[0]
		case resp.ScanTypeMatches(filter, r.Value.Type):
			kept = append(kept, keys[i])
		}
	}
	return kept, nil
}

// cursorBase is the first number of the cursor table's ids; a smaller
// cursor is a partition number.
const cursorBase = 1 << 40

// maxCursors bounds the cursor table; the oldest go first.
const maxCursors = 1 << 16

// cursorTable keeps the Vanity cursors of scans in progress under
// numbers, for Redis clients that parse a cursor as one.
type cursorTable struct {
	mu    sync.Mutex
	next  uint64
	byID  map[uint64]string
	order []uint64
}

func (t *cursorTable) put(vc string) uint64 {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.byID == nil {
		t.byID, t.next = map[uint64]string{}, cursorBase
	}
	id := t.next
	t.next++
	t.byID[id] = vc
	t.order = append(t.order, id)
	if len(t.order) > maxCursors {
		delete(t.byID, t.order[0])
		t.order = t.order[1:]
	}
	return id
}

func (t *cursorTable) get(id uint64) (string, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	vc, ok := t.byID[id]
	return vc, ok
}
