package router

import (
	"slices"
	"sync"
	"sync/atomic"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// hub is the server's channel namespace (one for all databases, D53):
// the connections following each channel, and each pattern (§12.15).
type hub struct {
	mu   sync.RWMutex
	subs map[string]map[*conn]struct{}
	pats map[string]map[*conn]struct{}
	// monitors are the connections in MONITOR mode (monitor.go); nmon
	// counts them, for the one load every command pays.
	monitors map[*conn]struct{}
	nmon     atomic.Int32
}

func newHub() *hub {
	return &hub{subs: map[string]map[*conn]struct{}{}, pats: map[string]map[*conn]struct{}{}, monitors: map[*conn]struct{}{}}
}

// publication is a message waiting to be fanned out.
type publication struct {
	channel, message string
}

// add records that c follows name, a channel or a pattern of m.
func (h *hub) add(m map[string]map[*conn]struct{}, c *conn, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	cs := m[name]
	if cs == nil {
		cs = map[*conn]struct{}{}
		m[name] = cs
	}
	cs[c] = struct{}{}
}

// remove forgets that c follows name.
func (h *hub) remove(m map[string]map[*conn]struct{}, c *conn, name string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if cs := m[name]; cs != nil {
		delete(cs, c)
		if len(cs) == 0 {
			delete(m, name)
		}
	}
}

// unsubscribeAll forgets every channel and pattern c follows, and ends
// its monitoring.
func (h *hub) unsubscribeAll(c *conn) {
	h.unmonitor(c)
	for ch := range c.sess.subs {
		h.remove(h.subs, c, ch)
	}
	for p := range c.sess.pats {
		h.remove(h.pats, c, p)
	}
}

// follows reports whether c follows a channel or a pattern (Redis's
// pubsub clients). It looks through every channel's followers: for
// CLIENT KILL TYPE, an administrator's command, not a hot path.
func (h *hub) follows(c *conn) bool {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, m := range []map[string]map[*conn]struct{}{h.subs, h.pats} {
		for _, cs := range m {
			if _, ok := cs[c]; ok {
				return true
			}
		}
	}
	return false
}

// count is the number of this router's receivers of a message on
// channel, as Redis counts them: each subscription of the channel and
// each pattern subscription matching it.
func (h *hub) count(channel string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	n := len(h.subs[channel])
	for p, cs := range h.pats {
		if proto.MatchPattern([]byte(p), []byte(channel)) {
			n += len(cs)
		}
	}
	return n
}

// channels returns, sorted, the channels at least one connection of this
// router subscribes to (patterns aside) whose names match pattern (nil:
// every one): Redis's PUBSUB CHANNELS.
func (h *hub) channels(pattern []byte) []string {
	h.mu.RLock()
	defer h.mu.RUnlock()
	var out []string
	for ch := range h.subs {
		if pattern == nil || proto.MatchPattern(pattern, []byte(ch)) {
			out = append(out, ch)
		}
	}
	slices.Sort(out)
	return out
}

// subscribers returns the number of this router's subscriptions to
// channel (patterns aside): Redis's PUBSUB NUMSUB.
func (h *hub) subscribers(channel string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[channel])
}

// patterns returns the number of distinct patterns this router's
// connections follow: Redis's PUBSUB NUMPAT.
func (h *hub) patterns() int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.pats)
}

// message is a publication as each protocol sends it, encoded once per
// protocol that a subscriber speaks.
type message struct {
	p                    publication
	vanity, resp2, resp3 []byte
}

// frame returns the message in c's protocol.
func (m *message) frame(c *conn) []byte {
	switch {
	case c.wire == wireVanity:
		if m.vanity == nil {
			frame, start := proto.BeginFrame(nil)
			m.vanity = proto.EndFrame(proto.AppendPublish(frame, []byte(m.p.channel), []byte(m.p.message)), start)
		}
		return m.vanity
	case c.rv == resp.RESP3:
		if m.resp3 == nil {
			m.resp3 = resp.AppendPush(nil, resp.RESP3, "message", []byte(m.p.channel), 0, []byte(m.p.message))
		}
		return m.resp3
	}
	if m.resp2 == nil {
		m.resp2 = resp.AppendPush(nil, resp.RESP2, "message", []byte(m.p.channel), 0, []byte(m.p.message))
	}
	return m.resp2
}

// patternFrame returns the message as a RESP connection following
// pattern gets it: Redis's pmessage, with the pattern.
func (m *message) patternFrame(c *conn, pattern string) []byte {
	return resp.AppendPatternMessage(nil, c.rv, []byte(pattern), []byte(m.p.channel), []byte(m.p.message))
}

// delivery is one message frame owed to a connection: for a pattern it
// follows (pattern set), or for the channel.
type delivery struct {
	c       *conn
	pattern string
	byPat   bool
}

// publish sends the message to every follower of the channel, and of
// each pattern matching it. A Vanity connection gets it once however
// many of its subscriptions match (its frame names no pattern); a RESP
// connection gets Redis's message for the channel and a pmessage for
// each matching pattern.
func (h *hub) publish(p publication) {
	h.mu.RLock()
	cs := h.subs[p.channel]
	targets := make([]delivery, 0, len(cs))
	for c := range cs {
		targets = append(targets, delivery{c: c})
	}
	if len(h.pats) > 0 {
		name := []byte(p.channel)
		for pat, ps := range h.pats {
			if !proto.MatchPattern([]byte(pat), name) {
				continue
			}
			for c := range ps {
				targets = append(targets, delivery{c: c, pattern: pat, byPat: true})
			}
		}
	}
	h.mu.RUnlock()
	if len(targets) == 0 {
		return
	}
	msg := message{p: p}
	var sent map[*conn]bool // Vanity connections already given the message
	for _, t := range targets {
		switch {
		case t.c.wire != wireVanity && t.byPat:
			t.c.deliver(msg.patternFrame(t.c, t.pattern))
		case t.c.wire != wireVanity:
			t.c.deliver(msg.frame(t.c))
		case !sent[t.c]:
			if sent == nil {
				sent = map[*conn]bool{}
			}
			sent[t.c] = true
			t.c.deliver(msg.frame(t.c))
		}
	}
}

// pubsub runs the publish/subscribe commands (§8.4).
func (c *conn) pubsub(req *proto.Request, out []byte) []byte {
	s := &c.sess
	ok := append(out, proto.ReplyOK...)
	switch req.Cmd {
	case proto.CmdPublish:
		c.pubs = append(c.pubs, publication{channel: string(req.Str[0]), message: string(req.Str[1])})
		return ok
	case proto.CmdSubscribe:
		return proto.AppendInt(ok, int64(c.follow(&s.subs, c.srv.hub.subs, string(req.Str[0]))))
	case proto.CmdUnsubscribe:
		return proto.AppendInt(ok, int64(c.unfollow(s.subs, c.srv.hub.subs, string(req.Str[0]))))
	case proto.CmdUnsubscribeAll:
		c.unfollowAll()
		return ok
	case proto.CmdSubscribed:
		return proto.AppendStrArr(ok, names(s.subs))
	case proto.CmdSubscribePattern:
		return proto.AppendInt(ok, int64(c.follow(&s.pats, c.srv.hub.pats, string(req.Str[0]))))
	case proto.CmdUnsubscribePattern:
		return proto.AppendInt(ok, int64(c.unfollow(s.pats, c.srv.hub.pats, string(req.Str[0]))))
	case proto.CmdSubscribedPatterns:
		return proto.AppendStrArr(ok, names(s.pats))
	}
	return out
}

// follow adds name to set, the session's channels or patterns, and c to
// the hub's followers of it in m, and returns how many the set holds.
// The connection's writer starts with its first subscription.
func (c *conn) follow(set *map[string]struct{}, m map[string]map[*conn]struct{}, name string) int {
	if _, dup := (*set)[name]; !dup {
		if *set == nil {
			*set = map[string]struct{}{}
		}
		c.startAsync()
		(*set)[name] = struct{}{}
		c.srv.hub.add(m, c, name)
	}
	return len(*set)
}

// unfollowAll leaves every channel and pattern the session follows.
func (c *conn) unfollowAll() {
	c.srv.hub.unsubscribeAll(c)
	clear(c.sess.subs)
	clear(c.sess.pats)
}

// unfollow undoes follow; a name not followed is no error.
func (c *conn) unfollow(set map[string]struct{}, m map[string]map[*conn]struct{}, name string) int {
	if _, had := set[name]; had {
		delete(set, name)
		c.srv.hub.remove(m, c, name)
	}
	return len(set)
}

// names lists a set's members, in no order.
func names(set map[string]struct{}) []string {
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	return out
}
