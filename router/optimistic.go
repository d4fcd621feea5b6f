package router

import (
	"strconv"

	"github.com/vanitydb/vanity/proto"
)

// Optimistic transactions (PROTOCOL.md §12.21): TRANSACT_WATCH (Redis's
// WATCH) reads the version of each key it names (KEY_VERSION, a data
// command like any other, at the session's read level) and the session
// keeps them; the commit puts a KEY_VERSION_IS check of each before the
// queued commands, in the same item. The node that runs the item checks
// every KEY_VERSION_IS under the item's locks before anything runs, and
// runs none of it if one fails (node.checksHold); the commit then answers
// NULL (Redis: a null array). Whatever the commit's outcome, and after
// TRANSACT_DISCARD or TRANSACT_UNWATCH, the session watches nothing.

// maxWatched bounds the keys a session watches at once: each is kept, and
// checked at the commit.
const maxWatched = 10_000

// watchedKey is a key the session watches: its database, and its version
// when TRANSACT_WATCH read it.
type watchedKey struct {
	db      int
	key     []byte
	version int64
}

// watch answers TRANSACT_WATCH: it reads the versions of the keys named
// and adds them to the session's.
func (c *conn) watch(req *proto.Request, out []byte) []byte {
	s := &c.sess
	keys := req.Elems
	switch {
	case len(keys) == 0:
		return proto.AppendErrorMsg(out, "TRANSACT_WATCH needs at least one key")
	case len(s.watches)+len(keys) > maxWatched:
		return proto.AppendErrorMsg(out, "a session watches at most "+strconv.Itoa(maxWatched)+
			" keys at once: commit or TRANSACT_UNWATCH first")
	}
	reqs := make([]proto.Request, len(keys))
	j := &Job{Items: make([]Item, len(keys))}
	for i, k := range keys {
		reqs[i] = proto.Request{Cmd: proto.CmdKeyVersion, Str: [3][]byte{k}}
		j.Items[i] = Item{DB: s.db, Levels: s.cons, Reqs: []*proto.Request{&reqs[i]}}
	}
	NewWaitSender(c.srv.cfg.Backend.NewSender()).Run(j)
	versions := make([]int64, len(keys))
	for i := range j.Items {
		it := &j.Items[i]
		if it.Err != nil {
			return c.backendError(out, it.Err)
		}
		r, err := proto.ParseReply(it.Replies[0])
		switch {
		case err != nil:
			return proto.AppendInternalError(out, "router: KEY_VERSION: "+err.Error())
		case r.Status != proto.StatusOK || r.Value.Type != proto.TypeInt:
			return append(out, it.Replies[0]...) // the backend's refusal, as it gave it
		}
		versions[i] = r.Value.Int
	}
	for i, k := range keys {
		s.watches = append(s.watches, watchedKey{db: s.db, key: append([]byte(nil), k...), version: versions[i]})
	}
	return append(out, proto.ReplyOK...)
}

// watchChecks returns the KEY_VERSION_IS checks of the session's watched
// keys, which its commit runs first, or the reason it cannot: a key
// watched in another database than the commit's (a transaction's item
// runs in one).
func (s *session) watchChecks() ([]*proto.Request, string) {
	checks := make([]*proto.Request, 0, len(s.watches))
	for _, w := range s.watches {
		if w.db != s.db {
			return nil, "a key watched in database " + strconv.Itoa(w.db) + " and a commit in database " +
				strconv.Itoa(s.db) + ": Vanity checks watched keys in the commit's database; watch them after SWITCH_DB"
		}
		checks = append(checks, &proto.Request{Cmd: proto.CmdKeyVersionIs, Str: [3][]byte{w.key}, Int: [3]int64{w.version}})
	}
	return checks, ""
}

// unwatch forgets the watched keys.
func (s *session) unwatch() {
	clear(s.watches)
	s.watches = s.watches[:0]
}

// checksFailed reports whether a KEY_VERSION_IS among a committed item's
// requests answered false: the item ran nothing else.
func checksFailed(it *Item) bool {
	for i, r := range it.Reqs {
		if r.Cmd != proto.CmdKeyVersionIs || i >= len(it.Replies) {
			continue
		}
		if rep, err := proto.ParseReply(it.Replies[i]); err == nil && rep.Status == proto.StatusOK &&
			rep.Value.Type == proto.TypeBool && !rep.Value.Bool {
			return true
		}
	}
	return false
}
