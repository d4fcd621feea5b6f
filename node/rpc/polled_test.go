package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testPoller is a Poller for the tests: a goroutine per watched socket
// waits for input with poll(2), and one mutex makes the ready calls one at
// a time, as a single event loop's are.
type testPoller struct {
	mu      sync.Mutex // held around every ready call
	inReady atomic.Bool
	watches atomic.Int32 // sockets taken
	closed  atomic.Int32 // sockets closed after forget
	wg      sync.WaitGroup

	wmu     sync.Mutex
	stopped bool
	live    map[*testWatch]struct{}
}

type testWatch struct {
	fd     int
	quit   chan struct{} // forget
	gone   func()
	closed bool // under the poller's wmu
}

func newTestPoller(t *testing.T) *testPoller {
	p := &testPoller{live: map[*testWatch]struct{}{}}
	t.Cleanup(func() {
		p.stop()
		p.wg.Wait()
	})
	return p
}

func (p *testPoller) Watch(fd int, ready, gone func()) (func(), bool) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if p.stopped {
		return nil, false
	}
	p.watches.Add(1)
	w := &testWatch{fd: fd, quit: make(chan struct{}), gone: gone}
	p.live[w] = struct{}{}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		// The socket is closed here, once this goroutine calls ready no
		// more: closed by forget while a poll or a ready call was under
		// way, its number could go to a new socket, whose input that call
		// would then read for the old connection.
		defer p.closeWatch(w)
		for {
			select {
			case <-w.quit:
				return
			default:
			}
			fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
			if n, _ := unix.Poll(fds, 10); n > 0 {
				p.mu.Lock()
				p.inReady.Store(true)
				ready()
				p.inReady.Store(false)
				p.mu.Unlock()
				if fds[0].Revents&(unix.POLLHUP|unix.POLLERR) != 0 {
					select { // the owner forgets it
					case <-w.quit:
						return
					case <-time.After(time.Millisecond):
					}
				}
			}
		}
	}()
	forget := func() {
		p.wmu.Lock()
		defer p.wmu.Unlock()
		delete(p.live, w)
		close(w.quit)
	}
	return forget, true
}

// closeWatch closes w's socket, once.
func (p *testPoller) closeWatch(w *testWatch) {
	p.wmu.Lock()
	defer p.wmu.Unlock()
	if !w.closed {
		w.closed = true
		unix.Close(w.fd)
		p.closed.Add(1)
	}
}

// stop ends the poller: the sockets still watched are gone to their
// owners.
func (p *testPoller) stop() {
	p.wmu.Lock()
	p.stopped = true
	var gone []*testWatch
	for w := range p.live {
		gone = append(gone, w)
	}
	p.wmu.Unlock()
	for _, w := range gone {
		w.gone()
	}
}

func TestPolledAnswersCalls(t *testing.T) {
	addr := serve(t, "s", echo)
	p := newTestPoller(t)
	c := NewClient(addr, []byte("s"), 2)
	c.UsePoller(p)
	defer c.Close()
	var wg sync.WaitGroup
	var offLoop atomic.Int32
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				msg := fmt.Appendf(nil, "g%d-%d", g, i)
				got := make(chan error, 1)
				c.Go(KindPing, msg, 5*time.Second, func(out []byte, err error) {
					if !p.inReady.Load() {
						offLoop.Add(1)
					}
					if err == nil && string(out[1:]) != string(msg) {
						err = fmt.Errorf("answer %q", out)
					}
					got <- err
				})
				if err := <-got; err != nil {
					t.Errorf("call %s: %v", msg, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := offLoop.Load(); n != 0 {
		t.Errorf("%d answers were not read by the poller", n)
	}
	if n := p.watches.Load(); n != 2 {
		t.Errorf("the poller watches %d connections, want the pool's 2", n)
	}
}

func TestPolledConnectionEnds(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	l := serveListener(t, "s", func(ctx context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		select {
		case <-block:
		case <-ctx.Done():
		}
		return StatusOK, dst
	})
	p := newTestPoller(t)
	c := NewClient(l.addr, []byte("s"), 1)
	c.UsePoller(p)
	defer c.Close()
	got := make(chan error, 1)
	c.Go(KindPing, nil, 0, func(_ []byte, err error) { got <- err })
	waitFor(t, func() bool { return p.watches.Load() == 1 })
	l.srv.Close() // the server goes: the poller reads the end
	wantEnded(t, got, "the server went")
	waitFor(t, func() bool { return p.closed.Load() == 1 })
}

func TestPollerGoneFailsCalls(t *testing.T) {
	block := make(chan struct{})
	defer close(block)
	addr := serve(t, "s", func(ctx context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		if kind != KindPing {
			return echo(ctx, kind, payload, dst)
		}
		select {
		case <-block:
		case <-ctx.Done():
		}
		return StatusOK, dst
	})
	p := newTestPoller(t)
	c := NewClient(addr, []byte("s"), 1)
	c.UsePoller(p)
	defer c.Close()
	got := make(chan error, 1)
	c.Go(KindPing, nil, 0, func(_ []byte, err error) { got <- err })
	waitFor(t, func() bool { return p.watches.Load() == 1 })
	p.stop()
	wantEnded(t, got, "the poller stopped")
	// The watch's goroutine closes the socket as it ends.
	waitFor(t, func() bool { return p.closed.Load() >= 1 })
	if n := p.closed.Load(); n != 1 {
		t.Errorf("%d sockets closed after the poller stopped, want 1", n)
	}
	// The next call dials again, with a reader goroutine: the poller
	// takes nothing more.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if _, err := c.Call(ctx, KindInfo, nil); err == nil || errors.Is(err, ErrClosed) {
		t.Errorf("a call after the poller stopped: %v, want the server's answer", err)
	}
}

func TestPollerTakesOverIdleConnections(t *testing.T) {
	addr := serve(t, "s", echo)
	c := NewClient(addr, []byte("s"), 1)
	defer c.Close()
	if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
		t.Fatal(err)
	}
	p := newTestPoller(t)
	c.UsePoller(p)
	for i := range 3 {
		out, err := c.Call(context.Background(), KindPing, []byte("x"))
		if err != nil || string(out) != string([]byte{byte(KindPing), 'x'}) {
			t.Fatalf("call %d after UsePoller: %q %v", i, out, err)
		}
	}
	if n := p.watches.Load(); n != 1 {
		t.Errorf("the poller watches %d connections, want 1 (the first one replaced)", n)
	}
}

// wantEnded waits for the error of a call in flight when its connection
// ended (when what happened): ErrClosed, or ErrNotSent if its frame had
// not left yet.
func wantEnded(t *testing.T, got <-chan error, what string) {
	t.Helper()
	select {
	case err := <-got:
		if !errors.Is(err, ErrClosed) && !errors.Is(err, ErrNotSent) {
			t.Errorf("a call in flight when %s: %v, want ErrClosed or ErrNotSent", what, err)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("a call in flight when %s was never answered", what)
	}
}

// waitFor polls cond until it holds, failing the test after 10 s.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 10s")
		}
		time.Sleep(time.Millisecond)
	}
}

// openFDs counts this process's open file descriptors.
func openFDs(t *testing.T) int {
	t.Helper()
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd here")
	}
	return len(ents)
}

// TestPolledSocketsAreClosed: a polled connection's socket is read
// through one duplicate and written through another, and the original is
// closed (Go's poller lets go of it); each duplicate is closed by its
// owner, so closing the client leaves no descriptor open.
func TestPolledSocketsAreClosed(t *testing.T) {
	addr := serve(t, "s", echo)
	before := openFDs(t)
	for range 5 {
		p := newTestPoller(t)
		c := NewClient(addr, []byte("s"), 2)
		c.UsePoller(p)
		for range 4 {
			if _, err := c.Call(context.Background(), KindPing, []byte("x")); err != nil {
				t.Fatal(err)
			}
		}
		c.Close()
		waitFor(t, func() bool { return p.closed.Load() == p.watches.Load() })
	}
	// The server's side of each connection closes once it reads the end.
	waitFor(t, func() bool { return openFDs(t) <= before })
}

// TestPolledWriterGivesUpOnAPeerThatReadsNothing: a writer waiting for
// room on a socket whose peer reads nothing ends when its connection is
// closed (it waits with poll(2), which closing the socket does not wake).
func TestPolledWriterGivesUpOnAPeerThatReadsNothing(t *testing.T) {
	block := make(chan struct{})
	defer close(block) // before the server's cleanup: its reader is held here
	ts := serveListener(t, "s", echo, func(s *Server) {
		s.HandleInline(func(ctx context.Context, kind Kind, payload []byte, r Responder) bool {
			<-block // the server stops reading
			return false
		})
	})
	p := newTestPoller(t)
	c := NewClient(ts.addr, []byte("s"), 1)
	c.UsePoller(p)
	c.Go(KindPing, nil, 0, func([]byte, error) {})
	big := make([]byte, 1<<20)
	for range 64 { // more than the sockets' buffers hold
		c.Go(KindInfo, big, 0, func([]byte, error) {})
	}
	c.mu.Lock()
	w := c.conns[0].w
	c.mu.Unlock()
	waitFor(t, func() bool { // every frame queued, a write under way: 64 MiB cannot all fit
		w.mu.Lock()
		defer w.mu.Unlock()
		return w.queued == 65 && (w.writing || w.parked)
	})
	closed := make(chan struct{})
	go func() {
		c.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a writer whose peer reads nothing")
	}
}

// TestPolledServerServesCalls: a server with a poller reads its
// connections' calls on the poller and runs the inline handler there. A
// lent payload is read in place; one the inline handler leaves to the
// Handler, and every payload not lent, is the Handler's own: it still
// reads what was sent after later calls reused the poller's buffer.
func TestPolledServerServesCalls(t *testing.T) {
	p := newTestPoller(t)
	var offLoop atomic.Int32
	var mu sync.Mutex
	var kept [][]byte // payloads the Handler got, checked after later calls
	release := make(chan struct{})
	ts := serveListener(t, "s", func(_ context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		if kind == KindDigest {
			<-release // answered after the calls behind it
		}
		mu.Lock()
		kept = append(kept, payload)
		mu.Unlock()
		return StatusOK, append(dst, payload...)
	}, func(s *Server) {
		s.UsePoller(p)
		s.Lend(KindPing, KindDigest)
		s.HandleInline(func(_ context.Context, kind Kind, payload []byte, r Responder) bool {
			if !p.inReady.Load() {
				offLoop.Add(1)
			}
			if kind != KindPing {
				return false // lent (KindDigest) or not (KindInfo), left to the Handler
			}
			r.Reply(StatusOK, payload)
			return true
		})
	})
	c := NewClient(ts.addr, []byte("s"), 2)
	defer c.Close()
	digests := make(chan error, 8)
	for i := range 8 {
		msg := fmt.Appendf(nil, "digest-%d", i)
		c.Go(KindDigest, msg, 10*time.Second, func(out []byte, err error) {
			if err == nil && !bytes.Equal(out, msg) {
				err = fmt.Errorf("digest answer %q, want %q", out, msg)
			}
			digests <- err
		})
	}
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				for _, k := range []Kind{KindPing, KindInfo} {
					msg := fmt.Appendf(nil, "%d-%d-%d", k, g, i)
					out, err := c.Call(context.Background(), k, msg)
					if err != nil || !bytes.Equal(out, msg) {
						t.Errorf("call %s: %q %v", msg, out, err)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(release)
	for range 8 {
		if err := <-digests; err != nil {
			t.Error(err)
		}
	}
	if n := offLoop.Load(); n != 0 {
		t.Errorf("%d calls reached the inline handler off the poller", n)
	}
	if n := p.watches.Load(); n != 2 {
		t.Errorf("the poller reads %d connections, want the client's 2", n)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, b := range kept {
		if !bytes.HasPrefix(b, []byte("digest-")) && !bytes.HasPrefix(b, fmt.Appendf(nil, "%d-", KindInfo)) {
			t.Errorf("a payload the Handler kept reads %q", b)
		}
	}
}

// TestPolledServerCloseEndsConnections: closing a server whose poller
// reads its connections ends them: a call in flight sees its context end
// and the client its connection close, and every socket is closed.
func TestPolledServerCloseEndsConnections(t *testing.T) {
	p := newTestPoller(t)
	before := openFDs(t)
	started := make(chan struct{}, 1)
	ts := serveListener(t, "s", func(ctx context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		if kind == KindPing {
			started <- struct{}{}
			<-ctx.Done()
		}
		return StatusOK, dst
	}, func(s *Server) { s.UsePoller(p) })
	c := NewClient(ts.addr, []byte("s"), 1)
	defer c.Close()
	if _, err := c.Call(context.Background(), KindDigest, nil); err != nil {
		t.Fatal(err)
	}
	got := make(chan error, 1)
	c.Go(KindPing, nil, 0, func(_ []byte, err error) { got <- err })
	<-started
	closed := make(chan struct{})
	go func() {
		ts.srv.Close()
		close(closed)
	}()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("Close did not end a polled connection")
	}
	select {
	case err := <-got:
		if err != nil && !errors.Is(err, ErrClosed) {
			t.Errorf("the call in flight: %v, want its answer or ErrClosed", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the call in flight was never answered")
	}
	waitFor(t, func() bool { return p.closed.Load() == p.watches.Load() && p.watches.Load() == 1 })
	c.Close()
	waitFor(t, func() bool { return openFDs(t) <= before })
}
