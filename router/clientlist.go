package router

import (
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vanitydb/vanity/resp"
)

// CLIENT LIST and CLIENT INFO (RESP): what a connection shows the
// router's other connections. Its owner changes its name, database, user
// and protocol version on its own goroutine; it copies them here (shown)
// at the few places they change (HELLO, CLIENT SETNAME, SWITCH_DB, AUTH),
// under the lock another connection's CLIENT LIST reads them with.

// shownConn is what CLIENT LIST says of a connection beside what never
// changes (its id, addresses, start and wire).
type shownConn struct {
	mu   sync.Mutex
	name string
	db   int
	user string
	rv   resp.Version
}

// show copies the connection's name, database, user and protocol version
// where CLIENT LIST reads them.
func (c *conn) show() {
	user := ""
	if c.sess.acct != nil {
		user = c.sess.acct.Name()
	}
	c.shown.mu.Lock()
	c.shown.name, c.shown.db, c.shown.user, c.shown.rv = c.name, c.sess.db, user, c.rv
	c.shown.mu.Unlock()
}

// appendClientLine appends c's line of CLIENT LIST, in Redis's key=value
// form with the fields Vanity knows: age in seconds, and wire (resp or
// vanity, the protocol the connection speaks; resp=2 or 3 for RESP).
func (c *conn) appendClientLine(dst []byte, now time.Time) []byte {
	c.shown.mu.Lock()
	name, db, user, rv := c.shown.name, c.shown.db, c.shown.user, c.shown.rv
	c.shown.mu.Unlock()
	dst = append(dst, "id="...)
	dst = strconv.AppendInt(dst, c.id, 10)
	dst = append(append(dst, " addr="...), addrText(c.remote)...)
	dst = append(append(dst, " laddr="...), addrText(c.local)...)
	dst = append(append(dst, " name="...), name...)
	dst = strconv.AppendInt(append(dst, " age="...), int64(now.Sub(c.start)/time.Second), 10)
	dst = strconv.AppendInt(append(dst, " db="...), int64(db), 10)
	dst = append(append(dst, " user="...), user...)
	if c.wire == wireRESP {
		dst = strconv.AppendInt(append(dst, " resp="...), int64(rv), 10)
		dst = append(dst, " wire=resp"...)
	} else {
		dst = append(dst, " wire=vanity"...)
	}
	return append(dst, '\n')
}

func addrText(a net.Addr) string {
	if a == nil {
		return ""
	}
	return a.String()
}

// clientList appends CLIENT LIST's text: a line for each connection of
// this router (ids given: those only), in the order of their ids.
func (s *Server) clientList(dst []byte, ids []int64) []byte {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		if len(ids) == 0 || slices.Contains(ids, c.id) {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	slices.SortFunc(conns, func(a, b *conn) int { return int(a.id - b.id) })
	now := time.Now()
	for _, c := range conns {
		dst = c.appendClientLine(dst, now)
	}
	return dst
}

// clientListIDs reads CLIENT LIST's options: none, or ID and the ids.
func clientListIDs(args [][]byte) ([]int64, *resp.Error) {
	if len(args) == 2 {
		return nil, nil
	}
	if !strings.EqualFold(string(args[2]), "ID") || len(args) == 3 {
		return nil, &resp.Error{Prefix: "ERR", Msg: "syntax error: CLIENT LIST takes no option but ID id [id ...] in Vanity"}
	}
	var ids []int64
	for _, a := range args[3:] {
		n, err := strconv.ParseInt(string(a), 10, 64)
		if err != nil || n <= 0 {
			return nil, &resp.Error{Prefix: "ERR", Msg: "Invalid client ID"}
		}
		ids = append(ids, n)
	}
	return ids, nil
}
