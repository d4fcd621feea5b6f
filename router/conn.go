package router

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// conn is one client connection. It is served either by a goroutine of its
// own (serve, reading nc through fr) or by one of the server's event loops
// (lp, reading fd into in). Its fields are owned by whichever serves it,
// except those under wmu and the atomics.
type conn struct {
	srv    *Server
	nc     net.Conn // nil when an event loop serves the connection
	fr     *proto.FrameReader
	remote net.Addr
	local  net.Addr  // the listener's address it came to (CLIENT LIST's laddr)
	start  time.Time // when it was accepted (CLIENT LIST's age)
	shown  shownConn // what CLIENT LIST reads of it (clientlist.go)
	ctx    context.Context
	cancel context.CancelFunc
	ev     loopConn    // the event loop's part
	killed atomic.Bool // CLIENT KILL named it: it closes, a blocking pop ends

	out []byte // reply frames not yet written (with holes for held commands)
	req proto.Request
	id  int64 // CLIENT ID
	// The wire protocol (resp.go), the request found and not yet
	// answered, and a RESP connection's state: its protocol version,
	// CLIENT SETNAME's name, the plan of its current command, scratch
	// for Vanity replies, and the input of a goroutine-served one.
	wire   wire
	cur    incoming
	rv     resp.Version
	name   string
	plan   resp.Plan
	vout   []byte
	parsed []proto.Reply
	found  foundRESP // the command readyRESP read, for next
	rbuf   []byte
	rat    int
	sess   session
	pubs   []publication // messages to fan out after the next write
	// overflow is set when a pipe's reply outgrew MaxReply.
	overflow bool
	frame    int // where the frame being answered starts in out
	// inFrame is set while a PIPE's held entries run before a later entry
	// of the same frame (settleInFrame): the frame is open.
	inFrame bool

	// Held data commands (hold.go): the job they form, the holes their
	// replies go into, and reused storage.
	job          Job
	holes        []hole
	submitted    bool          // the job is with the backend
	submittedAt  time.Time     // when it went (the latency metric)
	toLoop       bool          // its Done hands the connection to its event loop
	finished     atomic.Bool   // its Done has run
	settled      chan struct{} // Done's signal to a goroutine waiting in settle
	waiter       Sender        // the sender of a goroutine that waits (settle)
	slots        []*proto.Request
	nslots       int // slots taken since the held commands were last done
	reqPtrs      []*proto.Request
	arena        []byte // copies of held commands' frames
	spare        []byte // reused to rebuild out around the replies
	fixes        []frameFix
	spareReplies [][][]byte

	// authTimer closes the connection if it stays idle before it has
	// authenticated (Config.AuthIdleTimeout); authed is set by AUTH.
	authTimer *time.Timer
	authed    atomic.Bool
	// authFailures counts the failed AUTHs of this connection (backoff).
	authFailures int

	// The write side once the connection has subscribed (async mode).
	wmu     sync.Mutex
	async   bool
	queued  []byte
	replies int // bytes of queued that are the connection's own replies
	wake    chan struct{}
	wdone   chan struct{}
	wfailed bool
}

func newConn(s *Server, nc net.Conn, w wire) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{srv: s, nc: nc, remote: nc.RemoteAddr(), local: nc.LocalAddr(), start: time.Now(), ctx: ctx, cancel: cancel,
		settled: make(chan struct{}, 1), wire: w, rv: resp.RESP2, id: s.nextID.Add(1)}
	c.shown.rv = c.rv
	c.job.Done = c.jobDone
	c.plan.New = c.slot // bound once: a method value made per command is an allocation
	if w == wireVanity {
		c.fr = proto.NewFrameReader(bufio.NewReaderSize(countingReader{nc, s.metrics.received}, 64<<10), s.cfg.MaxRequest)
	}
	return c
}

// countingReader counts what a goroutine-served connection reads.
type countingReader struct {
	r io.Reader
	n prometheus.Counter
}

func (c countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n.Add(float64(n))
	return n, err
}

// authExpired closes the connection if it has not authenticated yet.
func (c *conn) authExpired() {
	if c.authed.Load() {
		return
	}
	c.srv.log.Info("closing connection: idle without authenticating", "remote", c.remote, "limit", c.srv.cfg.AuthIdleTimeout)
	c.interrupt()
}

// authActive restarts the idle timer of a connection that has not
// authenticated: it just sent a request.
func (c *conn) authActive() {
	if c.authTimer != nil && !c.authed.Load() {
		c.authTimer.Reset(c.srv.cfg.AuthIdleTimeout)
	}
}

// stopAuthTimer stops the authentication timer, if there is one.
func (c *conn) stopAuthTimer() {
	if c.authTimer != nil {
		c.authTimer.Stop()
	}
}

// kill closes the connection for CLIENT KILL, as a shutdown does
// (interrupt), and a blocking pop it waits in ends (waitPop). It reports
// false when the connection was killed before.
func (c *conn) kill() bool {
	if !c.killed.CompareAndSwap(false, true) {
		return false
	}
	c.interrupt()
	return true
}

// interrupt makes the connection finish after the request it is handling.
func (c *conn) interrupt() {
	if c.ev.lp != nil {
		c.ev.stop.Store(true)
		c.ev.lp.hand(c)
		return
	}
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
}

// ready reports whether a complete request frame is already buffered: the
// server holds its replies back (and may pipeline data commands) until
// the client's buffered requests are all answered.
func (c *conn) ready() bool {
	switch {
	case c.ev.lp != nil:
		return c.ev.ready(c)
	case c.wire == wireRESP:
		return c.readyRESP(c.rbuf[c.rat:])
	}
	c.fr.SetLimit(c.maxRequest())
	return c.fr.Ready()
}

// maxRequest is the largest request frame the session may send now.
func (c *conn) maxRequest() int {
	if c.sess.acct == nil {
		return c.srv.cfg.MaxUnauthRequest
	}
	return c.srv.cfg.MaxRequest
}

// afterRequest finishes a handled request: it closes the connection or
// stops the server as act says, and writes the replies when no other
// request is buffered (or enough are pending). It reports whether the
// connection is still open.
func (c *conn) afterRequest(act action) bool {
	switch act {
	case actClose:
		c.flush()
		return false
	case actTerminate:
		c.flush()
		c.srv.terminate()
		return false
	}
	if !c.ready() || len(c.out) >= 256<<10 || len(c.holes) >= maxHeld {
		return c.flush()
	}
	return true
}

// serve reads and answers requests until the connection ends.
func (c *conn) serve() {
	defer c.close()
	for {
		c.fr.SetLimit(c.maxRequest())
		frame, err := c.fr.Next()
		if err != nil {
			switch {
			case errors.Is(err, proto.ErrFrameTooLarge):
				c.tooLarge()
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
			default:
				c.srv.log.Debug("connection read failed", "remote", c.remote, "err", err)
			}
			c.flush()
			return
		}
		cmd, i := proto.ParseCommand(frame, 0)
		if c.holding() && orderOf(cmd, frame) != orderFree {
			c.settle()
		}
		if !c.afterRequest(c.handleCommand(frame, cmd, i)) {
			return
		}
	}
}

// tooLarge answers a request frame declared over the session's limit
// with an error naming the limit; the connection then closes (the frame's
// bytes are not read, so the stream cannot go on).
func (c *conn) tooLarge() {
	if c.wire == wireRESP {
		c.protocolError(resp.ErrTooLarge)
		return
	}
	limit := c.maxRequest()
	msg := "request too large: the limit is " + strconv.Itoa(limit) + " bytes; connection closed"
	if c.sess.acct == nil {
		msg = "request too large before AUTH: the limit is " + strconv.Itoa(limit) +
			" bytes until the session authenticates; connection closed"
	}
	limitName := "max_request"
	if c.sess.acct == nil {
		limitName = "max_unauth_request"
	}
	c.srv.metrics.refused.WithLabelValues(limitName).Inc()
	out, start := proto.BeginFrame(c.out)
	c.out = proto.EndFrame(proto.AppendErrorMsg(out, msg), start)
	c.srv.log.Warn("closing connection: request frame over the limit", "remote", c.remote, "limit", limit,
		"authenticated", c.sess.acct != nil)
}

// flush writes the pending replies (an event loop writes small ones at the
// end of its turn), then fans out the messages those requests published.
// Held commands run first: a goroutine waits for them; an event loop
// submits them and writes once they are done. It reports whether the
// connection is still usable.
func (c *conn) flush() bool {
	if c.holding() {
		if c.ev.onLoop() {
			c.ev.lp.submit(c)
			return true
		}
		c.settle()
	}
	ok := true
	switch {
	case len(c.out) == 0:
	case c.ev.lp != nil && !c.async && len(c.out) < 256<<10:
		c.ev.lp.later(c)
	default:
		ok = c.writeOut()
	}
	for i, p := range c.pubs {
		c.srv.hub.publish(p)
		if c.srv.cfg.Peers != nil {
			c.srv.cfg.Peers.Publish(p.channel, p.message)
		}
		c.pubs[i] = publication{}
	}
	c.pubs = c.pubs[:0]
	return ok
}

// writeOut writes (or, for a subscriber, queues) the pending replies.
func (c *conn) writeOut() bool {
	var ok bool
	switch {
	case c.async:
		ok = c.enqueue(c.out, true)
	case c.ev.lp != nil:
		ok = c.ev.lp.send(c, c.out)
	default:
		n, err := c.nc.Write(c.out)
		c.srv.metrics.sent.Add(float64(n))
		ok = err == nil
	}
	c.resetOut()
	return ok
}

// resetOut empties c.out once it is written, and lets a large one go.
func (c *conn) resetOut() {
	if cap(c.out) > 1<<20 {
		c.out = nil
	} else {
		c.out = c.out[:0]
	}
}

// startAsync hands the socket's write side to a writer goroutine (or, on
// an event loop, makes the loop write the queue).
func (c *conn) startAsync() {
	if c.async {
		return
	}
	c.async = true
	if c.ev.lp != nil {
		return
	}
	c.wake = make(chan struct{}, 1)
	c.wdone = make(chan struct{})
	go c.writer()
}

// enqueue queues frames for the writer: the connection's own replies
// (bounded by MaxReply each, like any connection's), or messages. It
// closes the connection and reports false if the messages waiting would
// exceed MaxQueued: the subscriber is not reading them.
func (c *conn) enqueue(frames []byte, reply bool) bool {
	c.wmu.Lock()
	if c.wfailed {
		c.wmu.Unlock()
		return false
	}
	if messages := len(c.queued) - c.replies; !reply && messages+len(frames) > c.srv.cfg.MaxQueued {
		c.wfailed = true
		c.wmu.Unlock()
		c.srv.metrics.refused.WithLabelValues("max_subscriber_queue").Inc()
		c.srv.log.Warn("closing connection: subscriber is not reading its messages",
			"remote", c.remote, "queued_message_bytes", messages, "limit", c.srv.cfg.MaxQueued)
		if c.ev.lp != nil {
			c.ev.lp.hand(c)
		} else {
			c.nc.Close()
		}
		return false
	}
	c.queued = append(c.queued, frames...)
	if reply {
		c.replies += len(frames)
	}
	c.wmu.Unlock()
	if c.ev.lp != nil {
		c.ev.lp.hand(c)
		return true
	}
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// writer writes queued frames until the connection closes; after the
// close it writes out what is still queued, within the write deadline.
func (c *conn) writer() {
	defer close(c.wdone)
	var buf []byte
	for {
		stop := false
		select {
		case <-c.wake:
		case <-c.ctx.Done():
			stop = true
		}
		for {
			buf, _ = c.takeQueue(buf)
			if len(buf) == 0 {
				break
			}
			n, err := c.nc.Write(buf)
			c.srv.metrics.sent.Add(float64(n))
			if err != nil {
				c.wmu.Lock()
				c.wfailed = true
				c.wmu.Unlock()
				c.nc.Close()
				return
			}
		}
		if stop {
			return
		}
	}
}

// close ends the connection: subscriptions go, an open transaction is
// discarded with the session, the writer (if any) gets a bounded time to
// write what is queued, and the socket closes.
func (c *conn) close() {
	c.srv.hub.unsubscribeAll(c)
	if c.async {
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	}
	c.cancel()
	if c.async {
		<-c.wdone
	}
	c.nc.Close()
}

// deliver queues a message (in the connection's protocol) for a
// subscriber.
func (c *conn) deliver(frame []byte) {
	c.enqueue(frame, false)
}

// takeQueue takes what is queued for the writer, leaving buf (emptied) in
// its place, and reports whether the connection has failed.
func (c *conn) takeQueue(buf []byte) ([]byte, bool) {
	c.wmu.Lock()
	q, failed := c.queued, c.wfailed
	c.queued, c.replies = buf[:0], 0
	c.wmu.Unlock()
	return q, failed
}
