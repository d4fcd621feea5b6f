package rpc

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// DialTimeout bounds a dial and its handshake.
const DialTimeout = 5 * time.Second

// Client calls one peer over a small pool of connections.
type Client struct {
	addr   string
	secret []byte
	tls    *tls.Config // nil: plain TCP
	size   int
	next   atomic.Uint64
	ids    atomic.Uint64
	ctx    context.Context // ends at Close: dials give up
	cancel context.CancelFunc
	dials  sync.WaitGroup

	mu     sync.Mutex
	conns  []*clientConn
	closed bool
	poller Poller // reads the answers of connections dialed from now on (nil: a goroutine each)
	// After a dial failed (down: why), calls fail at once as not sent
	// until downUntil instead of each dialing again: a dead peer refused
	// a dial per call, thousands a second, and the dials and the hints of
	// the failed calls took most of a coordinator's time.
	down      error
	downUntil time.Time
}

// RedialAfter is how long after a failed dial a client's calls fail as not
// sent before the next dial.
const RedialAfter = 100 * time.Millisecond

// NewClient returns a client for the peer at addr using up to pool
// connections, dialed on first use.
func NewClient(addr string, secret []byte, pool int) *Client {
	ctx, cancel := context.WithCancel(context.Background())
	return &Client{addr: addr, secret: secret, size: max(1, pool), conns: make([]*clientConn, max(1, pool)),
		ctx: ctx, cancel: cancel}
}

// UseTLS makes the client's connections speak TLS with cfg (the internal
// RPC's mutual TLS). Call it before the first call.
func (c *Client) UseTLS(cfg *tls.Config) *Client {
	c.tls = cfg
	return c
}

// Addr returns the peer's address.
func (c *Client) Addr() string { return c.addr }

// clientConn is one pooled connection: dialing (nc nil, frames queue in
// w), up, or failed (err set; the pool replaces it on the next call). Its
// answers are read by a goroutine of its own, or by a Poller (in set).
type clientConn struct {
	w       *frameWriter
	in      *polled // set before the poller is handed it; nil: a reader goroutine
	mu      sync.Mutex
	nc      net.Conn
	pending map[uint64]*pendingCall
	answers uint64 // frames that answered a call so far (stale ones too)
	err     error
	forget  func() // tells the poller to let go of in.fd
	poller  Poller // the client's when it was dialed
}

// pendingCall is a call waiting for its answer.
type pendingCall struct {
	seq     uint64 // the request's frame number in w
	answers uint64 // the connection's answers when it was queued
	done    func(payload []byte, st Status, err error)
	timer   *time.Timer
}

// conn returns the pool's connection for the next call, starting a dial
// (on a goroutine) if it is missing or failed. Ordered calls always use
// connection 0.
func (c *Client) conn(ordered bool) (*clientConn, error) {
	i := 0
	if !ordered {
		i = int(c.next.Add(1) % uint64(c.size))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("%w: %w", ErrNotSent, ErrClosed)
	}
	if c.down != nil && time.Now().Before(c.downUntil) {
		return nil, fmt.Errorf("%w: %v (a dial failed less than %v ago)", ErrNotSent, c.down, RedialAfter)
	}
	if cc := c.conns[i]; cc != nil && cc.alive() {
		// One dialed before UsePoller is replaced once no call waits on
		// it (a call started meanwhile is refused as not sent).
		if cc.poller == c.poller || !cc.retireIdle() {
			return cc, nil
		}
	}
	cc := &clientConn{pending: map[uint64]*pendingCall{}, poller: c.poller}
	cc.w = newFrameWriter(func(err error) { cc.fail(err) })
	c.conns[i] = cc
	c.dials.Add(1)
	go func() {
		defer c.dials.Done()
		c.dial(cc)
	}()
	return cc, nil
}

// connectEvery is how long a connection attempt goes unanswered before
// another starts beside it; connectAttempts bounds the attempts of one
// dial.
const (
	connectEvery    = 250 * time.Millisecond
	connectAttempts = 8
)

// connect opens a TCP connection to addr with dial within ctx. While no
// attempt has connected, another starts every connectEvery (up to
// connectAttempts), each with a SYN of its own, and the earlier ones go on:
// a peer cut off drops the SYNs, and the kernel sends an attempt's next
// SYN only 1 s, then 3 s, after its first, so one attempt begun during a
// cut could still be waiting seconds after the cut healed while calls
// queue behind it; a peer far away still gets the time it needs. The
// first connection wins and the others are closed; a refusal (the peer is
// reachable and says no) ends the dial at once. connect returns once
// every attempt has.
func connect(ctx context.Context, addr string, dial func(ctx context.Context, network, addr string) (net.Conn, error)) (net.Conn, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	type result struct {
		nc  net.Conn
		err error
	}
	results := make(chan result, connectAttempts)
	next := time.NewTimer(0)
	defer next.Stop()
	var won net.Conn
	var failed error
	started, ended := 0, 0
	for {
		// No more attempts once one connected, one was refused, or the
		// dial's time is up; the dial ends when every attempt has.
		stop := won != nil || failed != nil && !retryable(failed, ctx) || ctx.Err() != nil
		if stop {
			cancel() // the attempts still waiting give up
		}
		if ended == started && (stop || started == connectAttempts) {
			switch {
			case won != nil:
				return won, nil
			case failed == nil:
				failed = ctx.Err()
			}
			return nil, failed
		}
		var tick <-chan time.Time
		var done <-chan struct{}
		if !stop && started < connectAttempts {
			tick, done = next.C, ctx.Done()
		}
		select {
		case <-tick:
			started++
			go func() {
				nc, err := dial(ctx, "tcp", addr)
				results <- result{nc, err}
			}()
			if started < connectAttempts {
				next.Reset(connectEvery)
			}
		case <-done: // stop, next time round
		case r := <-results:
			ended++
			switch {
			case r.err == nil && won == nil:
				won = r.nc
			case r.err == nil:
				r.nc.Close()
			case failed == nil || !retryable(r.err, ctx):
				failed = r.err
			}
		}
	}
}

// retryable reports whether a connection attempt that failed with err may
// be made again: it was still waiting (for a SYN's answer) when its
// context ended, and the dial's own context ctx has not.
func retryable(err error, ctx context.Context) bool {
	if err == nil {
		return true
	}
	var ne net.Error
	return ctx.Err() == nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout())
}

// dial connects cc and starts its reader and writer; on failure every
// call queued on it fails as not sent.
func (c *Client) dial(cc *clientConn) {
	ctx, cancel := context.WithTimeout(c.ctx, DialTimeout)
	defer cancel()
	var d net.Dialer
	nc, err := connect(ctx, c.addr, d.DialContext)
	if err == nil {
		if tc, ok := nc.(*net.TCPConn); ok {
			tc.SetNoDelay(true)
		}
		nc.SetDeadline(time.Now().Add(DialTimeout))
		if c.tls != nil {
			tc := tls.Client(nc, c.tls)
			err = tc.HandshakeContext(ctx)
			nc = tc
		}
		if err == nil {
			err = clientHandshake(nc, c.secret)
		}
		if err == nil {
			err = nc.SetDeadline(time.Time{})
		}
		if err != nil {
			nc.Close()
		}
	}
	c.mu.Lock()
	if c.down = err; err != nil {
		c.downUntil = time.Now().Add(RedialAfter)
	}
	c.mu.Unlock()
	if err != nil {
		cc.fail(err)
		return
	}
	cc.mu.Lock()
	if cc.err != nil { // closed while dialing
		cc.mu.Unlock()
		nc.Close()
		return
	}
	cc.nc = nc
	cc.mu.Unlock()
	if !c.watch(cc, nc) {
		cc.w.start(nc)
		go cc.read(nc)
	}
}

// retireIdle closes cc if it is up and no call waits on it, and reports
// whether it did.
func (cc *clientConn) retireIdle() bool { return cc.end(ErrClosed, true) }

func (cc *clientConn) alive() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.err == nil
}

// fail ends the connection: every call waiting on it fails, as not sent
// if its request was never written.
func (cc *clientConn) fail(err error) { cc.end(err, false) }

// end ends the connection with err, unless it has ended, or idle is set
// and it is not up or a call waits on it; it reports whether it did.
func (cc *clientConn) end(err error, idle bool) bool {
	cc.mu.Lock()
	if cc.err != nil || idle && (cc.nc == nil || len(cc.pending) > 0) {
		cc.mu.Unlock()
		return false
	}
	cc.err = err
	calls := cc.pending
	cc.pending = nil
	nc, forget := cc.nc, cc.forget
	type failed struct {
		p   *pendingCall
		err error
	}
	out := make([]failed, 0, len(calls))
	for _, p := range calls {
		if p.timer != nil {
			p.timer.Stop()
		}
		ferr := fmt.Errorf("%w: %v", ErrClosed, err)
		if !cc.w.sent(p.seq) {
			ferr = fmt.Errorf("%w: %v", ErrNotSent, err)
		}
		out = append(out, failed{p, ferr})
	}
	cc.mu.Unlock()
	if nc != nil {
		nc.Close()
	}
	if forget != nil {
		forget()
	}
	cc.w.stop() // its goroutine ends
	for _, f := range out {
		f.p.done(nil, 0, f.err)
	}
	return true
}

func (cc *clientConn) read(nc net.Conn) {
	r := bufio.NewReaderSize(newReader(nc), 64<<10)
	for {
		id, kind, payload, err := readFrame(r)
		if err != nil {
			cc.fail(err)
			return
		}
		if p := cc.answer(id); p != nil {
			p.done(payload, Status(kind), nil)
		}
	}
}

// answer counts a frame read from the peer and returns the pending call
// id it answers, or nil if that call is gone (timed out or failed).
func (cc *clientConn) answer(id uint64) *pendingCall {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	cc.answers++
	return cc.takeLocked(id)
}

// take removes and returns the pending call id, or nil if it is gone
// (answered, timed out or failed).
func (cc *clientConn) take(id uint64) *pendingCall {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.takeLocked(id)
}

func (cc *clientConn) takeLocked(id uint64) *pendingCall {
	p := cc.pending[id]
	if p == nil {
		return nil
	}
	delete(cc.pending, id)
	if p.timer != nil {
		p.timer.Stop()
	}
	return p
}

// abandon gives up waiting for call id: its request is cancelled if it is
// still queued (then it never runs: err becomes ErrNotSent), and done gets
// err unless the call already finished. It reports whether it did.
// before, if set, runs once the call is taken, before its done gets err.
func (cc *clientConn) abandon(id uint64, err error, before func()) bool {
	p := cc.take(id)
	if p == nil {
		return false
	}
	if cc.w.cancel(p.seq) {
		err = fmt.Errorf("%w: %v", ErrNotSent, err)
	}
	if before != nil {
		before()
	}
	p.done(nil, 0, err)
	return true
}

// start queues a request and registers done for its answer. It returns
// the connection and call id, or, without calling done, the error of a
// request that could not be queued (it wraps ErrNotSent).
func (c *Client) start(kind Kind, payload []byte, done func([]byte, Status, error)) (*clientConn, uint64, error) {
	cc, err := c.conn(kind.Ordered())
	if err != nil {
		return nil, 0, err
	}
	id := c.ids.Add(1)
	p := &pendingCall{done: done}
	cc.mu.Lock()
	defer cc.mu.Unlock()
	if cc.err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNotSent, cc.err)
	}
	// Under cc.mu, so a failure cannot judge the call before it is queued.
	if p.seq, err = cc.w.send(id, uint8(kind), payload); err != nil {
		return nil, 0, fmt.Errorf("%w: %v", ErrNotSent, err)
	}
	p.answers = cc.answers
	cc.pending[id] = p
	return cc, id, nil
}

// timedOut fails call id with err, unless it was answered: its timeout
// passed (ErrTimeout), or its caller's context ended. It reports whether
// it failed the call. If the call timed out (ErrTimeout, or a context's
// deadline) and not one frame came on the connection all the while it
// waited, the connection is taken for dead and ended, its other calls
// failing with it, so that the next call dials a new one: over a link
// that was cut, TCP backs its retransmissions off exponentially, and a
// connection kept after the cut heals would carry nothing for up to the
// last backoff (3.2 s after a 6 s cut here, tens of seconds after a long
// one), while a new connection works at once. A peer that answers other
// calls meanwhile keeps the connection.
func (cc *clientConn) timedOut(id uint64, err error) bool {
	cc.mu.Lock()
	p := cc.pending[id]
	silent := p != nil && cc.answers == p.answers
	cc.mu.Unlock()
	var endSilent func()
	if silent && (errors.Is(err, ErrTimeout) || errors.Is(err, context.DeadlineExceeded)) {
		// Ended before the caller hears of the timeout: a call it makes
		// next must not go out on this connection.
		endSilent = func() { cc.fail(ErrSilent) }
	}
	return cc.abandon(id, err, endSilent)
}

// Go sends a request and returns at once. done is called exactly once,
// from another goroutine, with the answer's payload or an error: *Error
// for a status other than StatusOK; an error wrapping ErrNotSent,
// ErrClosed or ErrTimeout (after timeout, if positive) when there is no
// answer. done must not block. payload is copied before Go returns.
func (c *Client) Go(kind Kind, payload []byte, timeout time.Duration, done func(payload []byte, err error)) {
	finish := func(out []byte, st Status, err error) {
		if err == nil && st != StatusOK {
			err = &Error{Status: st, Message: string(out)}
		}
		done(out, err)
	}
	cc, id, err := c.start(kind, payload, finish)
	if err != nil {
		done(nil, err)
		return
	}
	if timeout <= 0 {
		return
	}
	t := time.AfterFunc(timeout, func() { cc.timedOut(id, ErrTimeout) })
	cc.mu.Lock()
	if p := cc.pending[id]; p != nil {
		p.timer = t
	}
	cc.mu.Unlock()
}

type result struct {
	status  Status
	payload []byte
	err     error
}

// Call sends a request and waits for its answer or ctx's end. A status
// other than StatusOK is returned as *Error, with the payload as message.
func (c *Client) Call(ctx context.Context, kind Kind, payload []byte) ([]byte, error) {
	ch := make(chan result, 1)
	cc, id, err := c.start(kind, payload, func(out []byte, st Status, err error) { ch <- result{st, out, err} })
	if err != nil {
		return nil, err
	}
	var res result
	select {
	case res = <-ch:
	case <-ctx.Done():
		if !cc.timedOut(id, ctx.Err()) {
			res = <-ch // it finished meanwhile
			break
		}
		res = <-ch
		if res.err != nil && !isNotSent(res.err) {
			res.err = ctx.Err()
		}
	}
	if res.err != nil {
		return nil, res.err
	}
	if res.status != StatusOK {
		return res.payload, &Error{Status: res.status, Message: string(res.payload)}
	}
	return res.payload, nil
}

// Post sends a request without waiting for its response, which is
// discarded. Posts of an ordered kind reach the peer in the order Post was
// called, on one connection; use them for fan-out that must keep order.
// The error is that of a request that could not be queued.
func (c *Client) Post(kind Kind, payload []byte) error {
	_, _, err := c.start(kind, payload, func([]byte, Status, error) {})
	return err
}

func isNotSent(err error) bool { return errors.Is(err, ErrNotSent) }

// Close closes the client's connections; calls in flight fail.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	conns := c.conns
	c.mu.Unlock()
	c.cancel()
	for _, cc := range conns {
		if cc != nil {
			cc.fail(ErrClosed)
			cc.w.close()
		}
	}
	c.dials.Wait()
}
