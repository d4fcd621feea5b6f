package rpc

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// stallingProxy forwards connections to a server until stall: from then
// on the connections it forwarded carry nothing either way (as over a
// link that was cut, whose TCP connections sit in retransmission backoff
// after it heals), while connections made later are forwarded again.
type stallingProxy struct {
	addr string
	mu   sync.Mutex
	old  chan struct{} // closed at stall: the connections made before it stop
	wg   sync.WaitGroup
}

func newStallingProxy(t *testing.T, to string) *stallingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{addr: l.Addr().String(), old: make(chan struct{})}
	var conns []net.Conn
	var cmu sync.Mutex
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			in, err := l.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("tcp", to)
			if err != nil {
				in.Close()
				continue
			}
			cmu.Lock()
			conns = append(conns, in, out)
			cmu.Unlock()
			p.mu.Lock()
			stalled := p.old
			p.mu.Unlock()
			for _, pair := range [][2]net.Conn{{in, out}, {out, in}} {
				p.wg.Add(1)
				go func() {
					defer p.wg.Done()
					forward(pair[0], pair[1], stalled)
				}()
			}
		}
	}()
	t.Cleanup(func() {
		l.Close()
		cmu.Lock()
		for _, c := range conns {
			c.Close()
		}
		cmu.Unlock()
		p.wg.Wait()
	})
	return p
}

// forward copies from src to dst until either fails; once stalled is
// closed it drops what it reads (and writes nothing) until src closes.
func forward(dst, src net.Conn, stalled chan struct{}) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if err != nil {
			dst.Close()
			return
		}
		select {
		case <-stalled:
			continue
		default:
		}
		if _, err := dst.Write(buf[:n]); err != nil {
			io.Copy(io.Discard, src)
			return
		}
	}
}

// stall stops the connections forwarded so far; later ones pass.
func (p *stallingProxy) stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	close(p.old)
	p.old = make(chan struct{})
}

// TestSilentConnectionIsReplaced: a call that times out on a connection
// that carried no answer at all while it waited (Go's timeout, or Call's
// context deadline) ends that connection, so the next call dials a new
// one and is answered at once, instead of waiting on a connection that
// may never carry anything again. (Without it the second call below timed
// out too.)
func TestSilentConnectionIsReplaced(t *testing.T) {
	for _, tc := range []struct {
		name string
		call func(c *Client) error
	}{
		{"Go's timeout", func(c *Client) error {
			errc := make(chan error, 1)
			ended := make(chan bool, 1)
			c.Go(KindPing, nil, 50*time.Millisecond, func(_ []byte, err error) {
				// The connection has ended by the time the caller hears
				// of the timeout: the next call cannot go out on it.
				c.mu.Lock()
				cc := c.conns[0]
				c.mu.Unlock()
				cc.mu.Lock()
				ended <- cc.err != nil
				cc.mu.Unlock()
				errc <- err
			})
			if err := <-errc; !errors.Is(err, ErrTimeout) {
				return fmt.Errorf("%v, want ErrTimeout", err)
			}
			if !<-ended {
				return errors.New("the silent connection was still up when the timeout was delivered")
			}
			return nil
		}},
		{"Call's deadline", func(c *Client) error {
			ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
			defer cancel()
			if _, err := c.Call(ctx, KindPing, nil); !errors.Is(err, context.DeadlineExceeded) {
				return fmt.Errorf("%v, want the context's deadline", err)
			}
			return nil
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := newStallingProxy(t, serve(t, "", echo))
			c := NewClient(p.addr, nil, 1)
			defer c.Close()
			if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
				t.Fatal(err)
			}
			p.stall()
			if err := tc.call(c); err != nil {
				t.Fatalf("a call on the stalled connection: %v", err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			if _, err := c.Call(ctx, KindPing, nil); err != nil {
				t.Fatalf("the next call: %v; want it answered over a new connection", err)
			}
		})
	}
}

// TestSlowCallKeepsALiveConnection: a call that times out while other
// calls on its connection are answered leaves the connection up (the
// peer is alive; that call is slow): its handler is not cancelled, and
// later calls reach the peer over the same connection.
func TestSlowCallKeepsALiveConnection(t *testing.T) {
	release := make(chan struct{})
	var mu sync.Mutex
	var conns []context.Context // the connection of each ping, by its handlers' context
	slowCtx := make(chan context.Context, 1)
	addr := serve(t, "", func(ctx context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		switch kind {
		case KindPersist:
			slowCtx <- ctx
			select {
			case <-release:
			case <-ctx.Done():
			}
		case KindPing:
			mu.Lock()
			conns = append(conns, ctx)
			mu.Unlock()
		}
		return StatusOK, dst
	})
	defer close(release)
	c := NewClient(addr, nil, 1)
	defer c.Close()
	errc := make(chan error, 1)
	c.Go(KindPersist, nil, 100*time.Millisecond, func(_ []byte, err error) { errc <- err })
	handler := <-slowCtx
	for waiting := true; waiting; {
		select {
		case err := <-errc:
			if !errors.Is(err, ErrTimeout) {
				t.Fatalf("the slow call: %v, want ErrTimeout", err)
			}
			waiting = false
		default:
			if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
		t.Fatal(err)
	}
	if handler.Err() != nil {
		t.Fatal("the slow call's handler was cancelled: its connection was ended although the peer answered meanwhile")
	}
	mu.Lock()
	defer mu.Unlock()
	if conns[0] != handler || conns[len(conns)-1] != handler {
		t.Fatal("the pings went over another connection than the slow call's")
	}
}

// cutPeer is a dial function for connect's tests: an attempt made while
// the peer is cut (before heal) gets no answer and waits for its context
// to end; one made after it connects once the peer's round trip rtt has
// passed; refuse makes every attempt fail at once. It counts attempts
// and the connections it made.
type cutPeer struct {
	start  time.Time
	heal   time.Duration // after start
	rtt    time.Duration
	refuse error

	mu       sync.Mutex
	attempts int
	conns    []net.Conn
}

func (p *cutPeer) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	p.mu.Lock()
	p.attempts++
	p.mu.Unlock()
	if p.refuse != nil {
		return nil, p.refuse
	}
	if time.Since(p.start) < p.heal { // the SYN is dropped
		<-ctx.Done()
		return nil, ctx.Err()
	}
	select {
	case <-time.After(p.rtt):
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	c, _ := net.Pipe()
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	return c, nil
}

// TestConnectStartsAfreshWhileThePeerIsCut: while no attempt has
// connected, a new one starts every connectEvery beside the others, each
// with a SYN of its own: once a cut heals, the next attempt connects,
// instead of one attempt waiting for the kernel's next retransmission (1 s,
// then 3 s after its first SYN). A peer far away still gets its time: the
// first attempt connects after its round trip although later ones started
// meanwhile. The first connection wins; the others are closed. A refusal
// ends the dial at once; a peer that never answers, at the dial's
// timeout. Fake time.
func TestConnectStartsAfreshWhileThePeerIsCut(t *testing.T) {
	refused := errors.New("connection refused")
	for _, tc := range []struct {
		name     string
		peer     *cutPeer
		took     time.Duration
		attempts int
		err      error
	}{
		{"a cut healing at 600 ms", &cutPeer{heal: 600 * time.Millisecond}, 3 * connectEvery, 4, nil},
		{"a far peer", &cutPeer{rtt: 600 * time.Millisecond}, 600 * time.Millisecond, 3, nil},
		{"a refusal", &cutPeer{refuse: refused}, 0, 1, refused},
		{"a cut for good", &cutPeer{heal: time.Hour}, DialTimeout, connectAttempts, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := tc.peer
				start := time.Now()
				p.start = start
				ctx, cancel := context.WithTimeout(context.Background(), DialTimeout)
				defer cancel()
				nc, err := connect(ctx, "peer", p.dial)
				took := time.Since(start)
				if tc.err == nil && err != nil || tc.err != nil && !errors.Is(err, tc.err) {
					t.Fatalf("connect: %v, want %v", err, tc.err)
				}
				if took != tc.took || p.attempts != tc.attempts {
					t.Errorf("ended after %v in %d attempts; want after %v in %d", took, p.attempts, tc.took, tc.attempts)
				}
				if nc != nil {
					nc.Close()
				}
				synctest.Wait() // the losing attempts have ended
				for _, c := range p.conns {
					if c != nc {
						if _, err := c.Write([]byte{0}); !errors.Is(err, io.ErrClosedPipe) {
							t.Errorf("a losing attempt's connection is open (write: %v)", err)
						}
					}
				}
			})
		})
	}
}

// timeoutErr is a dial error that says it timed out, as an attempt's
// may with its context still alive.
type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

// TestConnectEndsWithItsContextBetweenAttempts: a dial whose attempts
// have all ended, waiting to start the next, ends when its context does
// (a client closing). A first version waited on for good: the client's
// Close, which waits for its dials, hung a test's cluster for ten minutes.
func TestConnectEndsWithItsContextBetweenAttempts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), connectEvery/2)
		defer cancel()
		p := &cutPeer{refuse: timeoutErr{}, start: time.Now()}
		start := time.Now()
		_, err := connect(ctx, "peer", p.dial)
		if !errors.Is(err, timeoutErr{}) && !errors.Is(err, context.DeadlineExceeded) || time.Since(start) != connectEvery/2 || p.attempts != 1 {
			t.Fatalf("ended after %v in %d attempts with %v; want after %v in 1", time.Since(start), p.attempts, err, connectEvery/2)
		}
	})
}
