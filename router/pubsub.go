package router

import (
	"sync"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// hub is the server's channel namespace (one for all databases, D53).
type hub struct {
	mu   sync.RWMutex
	subs map[string]map[*conn]struct{}
}

func newHub() *hub { return &hub{subs: map[string]map[*conn]struct{}{}} }

// publication is a message waiting to be fanned out.
type publication struct {
	channel, message string
}

func (h *hub) subscribe(c *conn, channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	m := h.subs[channel]
	if m == nil {
		m = map[*conn]struct{}{}
		h.subs[channel] = m
	}
	m[c] = struct{}{}
}

func (h *hub) unsubscribe(c *conn, channel string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if m := h.subs[channel]; m != nil {
		delete(m, c)
		if len(m) == 0 {
			delete(h.subs, channel)
		}
	}
}

func (h *hub) unsubscribeAll(c *conn) {
	if len(c.sess.subs) == 0 {
		return
	}
	for ch := range c.sess.subs {
		h.unsubscribe(c, ch)
	}
}

// count is the number of this router's subscribers of channel.
func (h *hub) count(channel string) int {
	h.mu.RLock()
	defer h.mu.RUnlock()
	return len(h.subs[channel])
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

// publish sends the message to every subscriber of the channel.
func (h *hub) publish(p publication) {
	h.mu.RLock()
	m := h.subs[p.channel]
	targets := make([]*conn, 0, len(m))
	for c := range m {
		targets = append(targets, c)
	}
	h.mu.RUnlock()
	if len(targets) == 0 {
		return
	}
	msg := message{p: p}
	for _, c := range targets {
		c.deliver(msg.frame(c))
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
		ch := string(req.Str[0])
		if _, dup := s.subs[ch]; !dup {
			if s.subs == nil {
				s.subs = map[string]struct{}{}
			}
			c.startAsync()
			s.subs[ch] = struct{}{}
			c.srv.hub.subscribe(c, ch)
		}
		return proto.AppendInt(ok, int64(len(s.subs)))
	case proto.CmdUnsubscribe:
		ch := string(req.Str[0])
		if _, had := s.subs[ch]; had {
			delete(s.subs, ch)
			c.srv.hub.unsubscribe(c, ch)
		}
		return proto.AppendInt(ok, int64(len(s.subs)))
	case proto.CmdUnsubscribeAll:
		c.srv.hub.unsubscribeAll(c)
		clear(s.subs)
		return ok
	case proto.CmdSubscribed:
		names := make([]string, 0, len(s.subs))
		for ch := range s.subs {
			names = append(names, ch)
		}
		return proto.AppendStrArr(ok, names)
	}
	return out
}
