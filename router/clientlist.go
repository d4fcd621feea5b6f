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

// CLIENT LIST, CLIENT INFO and CLIENT KILL (RESP): what a connection
// shows the router's other connections. Its owner changes its name, database, user
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
// this router (ids given: those only; none CLIENT KILL closes), in the
// order of their ids.
func (s *Server) clientList(dst []byte, ids []int64) []byte {
	s.mu.Lock()
	conns := make([]*conn, 0, len(s.conns))
	for c := range s.conns {
		if !c.killed.Load() && (len(ids) == 0 || slices.Contains(ids, c.id)) {
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

// killFilter is what CLIENT KILL matches a connection by: every field
// given must match (a zero one matches any).
type killFilter struct {
	id          int64
	addr, laddr string
	user        string
	byUser      bool
	kind        clientKind
	skipMe      bool // the caller's own connection is not killed
	old         bool // CLIENT KILL addr: +OK, or "No such client" when none matched
}

// clientKind is CLIENT KILL's TYPE: which connections it names.
type clientKind uint8

const (
	kindAny     clientKind = iota // no TYPE given
	kindNormal                    // normal: following no channel or pattern
	kindPubSub                    // pubsub: following one or more
	kindReplica                   // master, replica, slave: Redis's replication links, which a Vanity server has none of
)

// clientKinds are TYPE's words, as Redis takes them.
var clientKinds = map[string]clientKind{"normal": kindNormal, "pubsub": kindPubSub, "master": kindReplica, "replica": kindReplica, "slave": kindReplica}

// clientKillFilter reads CLIENT KILL's arguments as Redis 7.0 does: the
// old form, an address, or filters ID, ADDR, LADDR, USER, TYPE and SKIPME
// in pairs (what Vanity has not: refused). user returns the
// Vanity user a name names (Redis's "default": the default user) and
// whether it exists.
func clientKillFilter(args [][]byte, user func(string) (string, bool)) (killFilter, *resp.Error) {
	if len(args) == 3 {
		return killFilter{addr: string(args[2]), old: true}, nil
	}
	f := killFilter{skipMe: true}
	if len(args) < 3 || len(args)%2 != 0 {
		return f, errSyntaxRESP
	}
	for i := 2; i < len(args); i += 2 {
		v := string(args[i+1])
		switch strings.ToUpper(string(args[i])) {
		case "ID":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n <= 0 {
				return f, &resp.Error{Prefix: "ERR", Msg: "client-id should be greater than 0"}
			}
			f.id = n
		case "ADDR":
			f.addr = v
		case "LADDR":
			f.laddr = v
		case "USER":
			name, ok := user(v)
			if !ok {
				return f, &resp.Error{Prefix: "ERR", Msg: "No such user '" + v + "'"}
			}
			f.user, f.byUser = name, true
		case "SKIPME":
			switch strings.ToLower(v) {
			case "yes":
				f.skipMe = true
			case "no":
				f.skipMe = false
			default:
				return f, errSyntaxRESP
			}
		case "TYPE":
			k, ok := clientKinds[strings.ToLower(v)]
			if !ok {
				return f, &resp.Error{Prefix: "ERR", Msg: "Unknown client type '" + v + "'"}
			}
			f.kind = k
		default:
			return f, errSyntaxRESP
		}
	}
	return f, nil
}

var errSyntaxRESP = &resp.Error{Prefix: "ERR", Msg: "syntax error"}

// matches reports whether f names c, of a server whose channels are h.
func (f *killFilter) matches(c *conn, h *hub) bool {
	if f.id != 0 && c.id != f.id || f.addr != "" && addrText(c.remote) != f.addr || f.laddr != "" && addrText(c.local) != f.laddr {
		return false
	}
	switch f.kind {
	case kindReplica:
		return false
	case kindNormal, kindPubSub:
		if h.follows(c) != (f.kind == kindPubSub) {
			return false
		}
	}
	if f.byUser {
		c.shown.mu.Lock()
		user := c.shown.user
		c.shown.mu.Unlock()
		return user == f.user
	}
	return true
}

// clientKill closes this router's connections f matches (but me, if
// f.skipMe) and returns how many it closed; one killed before, on its
// way out, is not counted again.
func (s *Server) clientKill(f killFilter, me *conn) int {
	s.mu.Lock()
	var doomed []*conn
	for c := range s.conns {
		if (c != me || !f.skipMe) && f.matches(c, s.hub) {
			doomed = append(doomed, c)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, c := range doomed {
		if c.kill() {
			n++
		}
	}
	return n
}
