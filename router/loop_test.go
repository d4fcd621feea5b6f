package router

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
	"golang.org/x/crypto/bcrypt"
)

// The connection tests below run each against a server with a goroutine
// per connection and against one with event loops: both must answer the
// same bytes.
var serveModes = []struct {
	name  string
	loops int
	plain bool // a system call per socket read and write, not io_uring
}{{"goroutines", 0, false}, {"event-loops", 2, false}, {"event-loops-plain", 2, true}}

// serveTCP starts a server with cfg (a fake backend and the default admin
// unless set) on a loopback port and returns its address; the test's
// cleanup shuts it down and checks that Serve ended as it should.
func serveTCP(t *testing.T, cfg Config) (*Server, string) {
	t.Helper()
	return serve(t, "tcp", cfg)
}

// serve is serveTCP on a network of choice: "tcp" or "unix".
func serve(t *testing.T, network string, cfg Config) (*Server, string) {
	t.Helper()
	if cfg.Backend == nil {
		cfg.Backend = &mapBackend{m: map[string]string{}}
	}
	if cfg.Users == nil {
		store, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
		if err != nil {
			t.Fatal(err)
		}
		cfg.Users = store
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EventLoops > 0 && len(srv.loops) == 0 && loopsSupported {
		t.Fatal("the server started without its event loops")
	}
	if cfg.EventLoops > 0 && !cfg.PlainSyscalls && loopsSupported && !srv.loops[0].batched() {
		srv.Shutdown(context.Background())
		t.Skip("io_uring is unavailable here; the plain mode covers the loops")
	}
	addr := "127.0.0.1:0"
	if network == "unix" {
		addr = filepath.Join(t.TempDir(), "s")
	}
	l, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		if err := srv.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
		if err := <-done; err != ErrServerClosed {
			t.Errorf("Serve returned %v", err)
		}
	})
	return srv, l.Addr().String()
}

// client is a test client: it writes frames and reads reply frames.
type client struct {
	t  *testing.T
	nc net.Conn
	fr *proto.FrameReader
}

func dial(t *testing.T, addr string) *client {
	t.Helper()
	return dialWith(t, addr, net.Dialer{})
}

func dialWith(t *testing.T, addr string, d net.Dialer) *client {
	t.Helper()
	network := "tcp"
	if strings.HasPrefix(addr, "/") {
		network = "unix"
	}
	nc, err := d.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return &client{t: t, nc: nc, fr: proto.NewFrameReader(bufio.NewReader(nc), proto.MaxRequest)}
}

// send writes the requests as frames, all in one write.
func (c *client) send(reqs ...string) {
	c.t.Helper()
	var b []byte
	for _, r := range reqs {
		b = proto.AppendFrame(b, []byte(r))
	}
	if _, err := c.nc.Write(b); err != nil {
		c.t.Fatal(err)
	}
}

func (c *client) reply() string {
	c.t.Helper()
	// A bound on a reply that never comes, not a wait for one.
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	p, err := c.fr.Next()
	if err != nil {
		c.t.Fatalf("reading a reply: %v", err)
	}
	return string(p)
}

// closed checks that the server closed the connection without another
// reply.
func (c *client) closed() {
	c.t.Helper()
	c.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if p, err := c.fr.Next(); !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isReset(err) {
		c.t.Fatalf("the connection is still open (read %q, %v)", p, err)
	}
}

func isReset(err error) bool {
	return err != nil && strings.Contains(err.Error(), "connection reset")
}

// TestPipelinedRequestsAnswerInOrder sends an AUTH (which an event loop
// runs on a goroutine: it hashes a password) and 300 data commands in one
// write, and checks every reply in order.
func TestPipelinedRequestsAnswerInOrder(t *testing.T) {
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			_, addr := serveTCP(t, Config{EventLoops: mode.loops, PlainSyscalls: mode.plain})
			c := dial(t, addr)
			reqs := []string{"GET (1)k", "AUTH (6)vanity (6)vanity"}
			var want []string
			want = append(want, "DENIED", "OK")
			for i := range 100 {
				k := fmt.Sprintf("key%d", i)
				v := fmt.Sprintf("value%d", i)
				reqs = append(reqs, fmt.Sprintf("SET:STR (%d)%s (%d)%s", len(k), k, len(v), v),
					fmt.Sprintf("GET (%d)%s", len(k), k), "PING")
				want = append(want, "OK", fmt.Sprintf("OK:STR (%d)%s", len(v), v), "PONG:STR (0)")
			}
			c.send(reqs...)
			for i, w := range want {
				if got := c.reply(); got != w {
					t.Fatalf("reply %d: got %q, want %q", i, got, w)
				}
			}
			c.send("EXIT")
			c.closed()
		})
	}
}

// TestRepliesWaitForASlowReader asks for more replies than the socket
// buffers hold from a client that reads only after sending everything,
// and then EXIT: the server must keep what the socket does not take, stop
// reading the client meanwhile, deliver every byte in order, and only then
// close. Big replies (24 of 1 MiB, over TCP with a 64 KiB receive buffer)
// are written one by one; smaller ones (200 of 4 KiB, over a Unix socket
// whose buffer holds about 200 KiB) are held back and answered as one
// pipeline when EXIT is read, so the server has to close the connection
// only once the socket has taken them all.
func TestRepliesWaitForASlowReader(t *testing.T) {
	for _, size := range []struct {
		value, n int
		network  string
	}{{1 << 20, 24, "tcp"}, {4 << 10, 200, "unix"}} {
		value := strings.Repeat("v", size.value)
		for _, mode := range serveModes {
			t.Run(fmt.Sprintf("%dx%d/%s", size.n, size.value, mode.name), func(t *testing.T) {
				backend := &mapBackend{m: map[string]string{}}
				_, addr := serve(t, size.network, Config{Backend: backend, EventLoops: mode.loops, PlainSyscalls: mode.plain})
				// Set before connecting: shrinking an open connection's
				// window can stall it.
				c := dialWith(t, addr, net.Dialer{Control: func(_, _ string, raw syscall.RawConn) error {
					var err error
					cerr := raw.Control(func(fd uintptr) {
						err = syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, 64<<10)
					})
					return errors.Join(cerr, err)
				}})
				c.send("AUTH (6)vanity (6)vanity", fmt.Sprintf("SET:STR (1)k (%d)%s", len(value), value))
				for i, w := range []string{"OK", "OK"} {
					if got := c.reply(); got != w {
						t.Fatalf("reply %d: got %q", i, got)
					}
				}
				reqs := make([]string, 0, size.n+2)
				for range size.n {
					reqs = append(reqs, "GET (1)k")
				}
				c.send(append(reqs, "EXIT")...)
				want := fmt.Sprintf("OK:STR (%d)%s", len(value), value)
				for i := range size.n {
					if got := c.reply(); got != want {
						t.Fatalf("reply %d is not the value (%d bytes, want %d)", i, len(got), len(want))
					}
				}
				c.closed() // EXIT: after every reply, not before
			})
		}
	}
}

// TestSmallRepliesWaitForASlowReader sends one request per turn of the
// loop (a PING answered on a second connection of the same loop marks the
// turn), each answered by a reply small enough to go out with the turn's
// other writes, to a client that reads nothing until it has sent them all:
// once its socket is full, the server keeps the rest, stops reading it,
// serves the other connection meanwhile, and delivers every reply in order.
func TestSmallRepliesWaitForASlowReader(t *testing.T) {
	value := strings.Repeat("w", 48<<10)
	const n = 40 // 2 MB against a Unix socket buffer of about 200 KiB
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			backend := &mapBackend{m: map[string]string{}}
			_, addr := serve(t, "unix", Config{Backend: backend, EventLoops: min(mode.loops, 1), PlainSyscalls: mode.plain})
			slow, other := dial(t, addr), dial(t, addr)
			for _, c := range []*client{slow, other} {
				c.send("AUTH (6)vanity (6)vanity")
				if got := c.reply(); got != "OK" {
					t.Fatalf("AUTH: %q", got)
				}
			}
			slow.send(fmt.Sprintf("SET:STR (1)k (%d)%s", len(value), value))
			if got := slow.reply(); got != "OK" {
				t.Fatalf("SET: %q", got)
			}
			for i := range n {
				slow.send("GET (1)k")
				other.send("PING")
				if got := other.reply(); got != "PONG:STR (0)" {
					t.Fatalf("PING after GET %d: %q", i, got)
				}
			}
			want := fmt.Sprintf("OK:STR (%d)%s", len(value), value)
			for i := range n {
				if got := slow.reply(); got != want {
					t.Fatalf("reply %d is not the value (%d bytes, want %d)", i, len(got), len(want))
				}
			}
		})
	}
}

// TestSubscriberGetsEveryMessage has one connection subscribe and another
// publish 200 messages; the subscriber gets them all, in order.
func TestSubscriberGetsEveryMessage(t *testing.T) {
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			_, addr := serveTCP(t, Config{EventLoops: mode.loops, PlainSyscalls: mode.plain})
			sub, pub := dial(t, addr), dial(t, addr)
			sub.send("AUTH (6)vanity (6)vanity", "SUBSCRIBE (2)ch")
			if a, b := sub.reply(), sub.reply(); a != "OK" || b != "OK:INT 1" {
				t.Fatalf("subscribe: %q %q", a, b)
			}
			reqs := []string{"AUTH (6)vanity (6)vanity"}
			for i := range 200 {
				m := fmt.Sprint(i)
				reqs = append(reqs, fmt.Sprintf("PUBLISH (2)ch (%d)%s", len(m), m))
			}
			pub.send(reqs...)
			for range reqs {
				if got := pub.reply(); got != "OK" {
					t.Fatalf("publish: %q", got)
				}
			}
			for i := range 200 {
				m := fmt.Sprint(i)
				want := string(proto.AppendPublish(nil, []byte("ch"), []byte(m)))
				if got := sub.reply(); got != want {
					t.Fatalf("message %d: got %q, want %q", i, got, want)
				}
			}
		})
	}
}

// TestConnectionEnds covers the ways a connection ends: a frame over the
// limit (answered with an error naming it), a client that closes its sending side after its requests (it
// still gets every reply), and Shutdown with connections open.
func TestConnectionEnds(t *testing.T) {
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			srv, addr := serveTCP(t, Config{EventLoops: mode.loops, PlainSyscalls: mode.plain, MaxRequest: 1024})

			c := dial(t, addr)
			c.send("AUTH (6)vanity (6)vanity", strings.Repeat("x", 2000))
			if got := c.reply(); got != "OK" {
				t.Fatalf("AUTH: %q", got)
			}
			if got := c.reply(); got != "ERROR(61)request too large: the limit is 1024 bytes; connection closed" {
				t.Fatalf("a frame over the limit: %q", got)
			}
			c.closed()

			c = dial(t, addr)
			c.send("AUTH (6)vanity (6)vanity", "SET:STR (1)k (1)v", "GET (1)k")
			if err := c.nc.(*net.TCPConn).CloseWrite(); err != nil {
				t.Fatal(err)
			}
			for _, w := range []string{"OK", "OK", "OK:STR (1)v"} {
				if got := c.reply(); got != w {
					t.Fatalf("got %q, want %q", got, w)
				}
			}
			c.closed()

			var open []*client
			for range 5 {
				c := dial(t, addr)
				c.send("AUTH (6)vanity (6)vanity")
				if got := c.reply(); got != "OK" {
					t.Fatalf("AUTH: %q", got)
				}
				open = append(open, c)
			}
			if err := srv.Shutdown(context.Background()); err != nil {
				t.Fatal(err)
			}
			for _, c := range open {
				c.closed()
			}
		})
	}
}

// blockingPersist is a backend whose PERSIST waits until released.
type blockingPersist struct {
	*mapBackend
	entered, release chan struct{}
}

func (b *blockingPersist) Persist(context.Context) error {
	b.entered <- struct{}{}
	<-b.release
	return nil
}

// TestWaitingRequestBlocksNoOne has a PERSIST (alone or in a pipe) wait
// in the backend while another connection on the same event loop is
// answered; the waiting one then gets its reply and goes on.
func TestWaitingRequestBlocksNoOne(t *testing.T) {
	for _, req := range []struct{ frame, reply string }{
		{"PERSIST", "OK"},
		{"PIPE(2)PING PERSIST", "OK:PIPE(2)PONG:STR (0)OK"},
	} {
		for _, mode := range serveModes {
			t.Run(req.frame+"/"+mode.name, func(t *testing.T) {
				b := &blockingPersist{&mapBackend{m: map[string]string{}}, make(chan struct{}), make(chan struct{})}
				loops := min(mode.loops, 1) // both connections on one loop
				_, addr := serveTCP(t, Config{Backend: b, EventLoops: loops, PlainSyscalls: mode.plain})
				release := sync.OnceFunc(func() { close(b.release) })
				t.Cleanup(release) // before the shutdown, also after a failure
				slow, other := dial(t, addr), dial(t, addr)
				slow.send("AUTH (6)vanity (6)vanity")
				if got := slow.reply(); got != "OK" {
					t.Fatalf("AUTH: %q", got)
				}
				slow.send(req.frame, "PING")
				<-b.entered
				other.send("PING")
				if got := other.reply(); got != "PONG:STR (0)" {
					t.Fatalf("the other connection got %q", got)
				}
				release()
				for _, w := range []string{req.reply, "PONG:STR (0)"} {
					if got := slow.reply(); got != w {
						t.Fatalf("got %q, want %q", got, w)
					}
				}
			})
		}
	}
}

// TestSubscriberGetsALargeReply: a subscriber's own replies are not
// messages: a reply larger than the bound on queued messages reaches it
// (it was closed as "not reading its messages"), and the bound still
// drops a subscriber that lets messages pile up.
func TestSubscriberGetsALargeReply(t *testing.T) {
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			_, addr := serveTCP(t, Config{EventLoops: mode.loops, PlainSyscalls: mode.plain, MaxQueued: 64 << 10})
			sub, pub := dial(t, addr), dial(t, addr)
			value := strings.Repeat("v", 1<<20)
			sub.send("AUTH (6)vanity (6)vanity", fmt.Sprintf("SET:STR (1)k (%d)%s", len(value), value), "SUBSCRIBE (2)ch", "GET (1)k")
			for _, want := range []string{"OK", "OK", "OK:INT 1", fmt.Sprintf("OK:STR (%d)%s", len(value), value)} {
				if got := sub.reply(); got != want {
					t.Fatalf("got %.60q, want %.60q", got, want)
				}
			}
			// Messages no one reads: once the sockets' buffers are full,
			// more than 64 KiB of them wait, and the subscriber goes.
			m := strings.Repeat("m", 1<<10)
			pub.send("AUTH (6)vanity (6)vanity")
			if got := pub.reply(); got != "OK" {
				t.Fatalf("AUTH: %q", got)
			}
			const batches, batch = 64, 256
			for range batches {
				reqs := make([]string, batch)
				for i := range reqs {
					reqs[i] = fmt.Sprintf("PUBLISH (2)ch (%d)%s", len(m), m)
				}
				pub.send(reqs...)
				for range reqs {
					if got := pub.reply(); got != "OK" {
						t.Fatalf("PUBLISH: %q", got)
					}
				}
			}
			got := 0
			for {
				sub.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
				if _, err := sub.fr.Next(); err != nil {
					if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !isReset(err) {
						t.Fatalf("after %d messages: %v (not closed)", got, err)
					}
					break
				}
				got++
			}
			if got >= batches*batch {
				t.Fatalf("a subscriber that read nothing got all %d messages", got)
			}
		})
	}
}

// TestClientLimits: over MaxClients, a new connection gets an error that
// names the limit and is closed (19,000 idle connections were held and,
// at the descriptor limit, new clients hung); a connection that has not
// authenticated and stays idle for AuthIdleTimeout is closed, the
// authenticated ones stay, and a new client gets in once one leaves.
func TestClientLimits(t *testing.T) {
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			_, addr := serveTCP(t, Config{EventLoops: mode.loops, PlainSyscalls: mode.plain,
				MaxClients: 3, AuthIdleTimeout: 500 * time.Millisecond})
			var authed []*client
			for range 2 {
				c := dial(t, addr)
				c.send("AUTH (6)vanity (6)vanity")
				if got := c.reply(); got != "OK" {
					t.Fatalf("AUTH: %q", got)
				}
				authed = append(authed, c)
			}
			idle := dial(t, addr)
			idle.send("PING")
			if got := idle.reply(); got != "PONG:STR (0)" {
				t.Fatalf("PING before AUTH: %q", got)
			}
			over := dial(t, addr)
			if got := over.reply(); got != "ERROR(64)too many connections: the server's limit is 3; connection closed" {
				t.Fatalf("over the limit: %q", got)
			}
			over.closed()
			idle.closed() // within the auth timeout, and the 10 s bound of closed
			for _, c := range authed {
				c.send("PING")
				if got := c.reply(); got != "PONG:STR (0)" {
					t.Fatalf("an authenticated connection after the timeout: %q", got)
				}
			}
			deadline := time.Now().Add(10 * time.Second)
			for {
				c := dial(t, addr)
				c.send("PING")
				if got := c.reply(); got == "PONG:STR (0)" {
					break
				} else if time.Now().After(deadline) {
					t.Fatalf("no room after the idle connection closed: %q", got)
				}
				time.Sleep(10 * time.Millisecond) // polling until the server has forgotten the closed one
			}
		})
	}
}

// TestAuthBudgetRefusesGuessing: a source address that fails AUTH more
// than AuthFailures times in a minute is refused, the right password
// included, without a password check, on every connection from it.
func TestAuthBudgetRefusesGuessing(t *testing.T) {
	_, addr := serveTCP(t, Config{AuthFailures: 3})
	a, b := dial(t, addr), dial(t, addr)
	for range 3 {
		a.send("AUTH (6)vanity (5)wrong")
		if got := a.reply(); got != "ERROR(18)incorrect password" {
			t.Fatalf("a wrong password: %q", got)
		}
	}
	for _, c := range []*client{a, b} {
		c.send("AUTH (6)vanity (6)vanity")
		if got := c.reply(); !strings.HasPrefix(got, "ERROR(") || !strings.Contains(got, "too many failed AUTH attempts from this address; retry in 20s") {
			t.Fatalf("over the budget: %q", got)
		}
	}
}

// TestAuthBackoffPerConnection: each failed AUTH on a connection doubles
// the wait before its next one is checked (100 ms, then 200 ms, ...).
func TestAuthBackoffPerConnection(t *testing.T) {
	_, addr := serveTCP(t, Config{EventLoops: 1})
	c := dial(t, addr)
	var last time.Duration
	for i := range 3 {
		start := time.Now()
		c.send("AUTH (6)vanity (5)wrong")
		if got := c.reply(); got != "ERROR(18)incorrect password" {
			t.Fatalf("attempt %d: %q", i+1, got)
		}
		last = time.Since(start)
	}
	if last < 200*time.Millisecond {
		t.Fatalf("the third attempt after two failures was answered in %v", last)
	}
	other := dial(t, addr)
	other.send("AUTH (6)vanity (6)vanity")
	if got := other.reply(); got != "OK" {
		t.Fatalf("another connection: %q", got)
	}
}

// TestRequestMetrics: every request counts under its command in
// vanity_requests_total, a PIPE's entries each; the refused ones count
// under their limit.
func TestRequestMetrics(t *testing.T) {
	count := func(name, label, value string) float64 { return counted(t, name, label, value) }
	_, addr := serveTCP(t, Config{AuthFailures: 1})
	gets, budget := count("vanity_requests_total", "command", "GET"), count("vanity_refused_total", "limit", "auth_failures")
	c := dial(t, addr)
	c.send("AUTH (6)vanity (6)vanity", "GET (1)k", "PIPE(2)GET(1)kGET(1)k")
	for range 3 {
		c.reply()
	}
	if got := count("vanity_requests_total", "command", "GET") - gets; got != 3 {
		t.Fatalf("%v GETs counted, want 3", got)
	}
	failed := count("vanity_request_failures_total", "command", "GET")
	c.send("GET (11)unavailable")
	if r := c.reply(); !strings.Contains(r, "no quorum") {
		t.Fatalf("GET of the failing key: %q", r)
	}
	if got := count("vanity_request_failures_total", "command", "GET") - failed; got != 1 {
		t.Fatalf("%v failed GETs counted, want 1", got)
	}
	d := dial(t, addr)
	d.send("AUTH (6)vanity (5)wrong", "AUTH (6)vanity (5)wrong")
	d.reply()
	d.reply()
	if got := count("vanity_refused_total", "limit", "auth_failures") - budget; got != 1 {
		t.Fatalf("%v AUTHs refused by the budget, want 1", got)
	}
}

// TestByteCounters: the bytes counters grow by exactly what a connection
// sent and was sent, in every serving mode (an event loop adds a turn's
// bytes at the turn's end: polled with a deadline).
func TestByteCounters(t *testing.T) {
	for _, mode := range serveModes {
		t.Run(mode.name, func(t *testing.T) {
			m := serverMetrics()
			rx, tx := testutil.ToFloat64(m.received), testutil.ToFloat64(m.sent)
			_, addr := serveTCP(t, Config{EventLoops: mode.loops, PlainSyscalls: mode.plain})
			c := dial(t, addr)
			reqs := []string{"AUTH (6)vanity (6)vanity", "SET:STR (1)k (5)value", "GET (1)k", "PING hello"}
			in, out := 0, 0
			c.send(reqs...)
			for _, r := range reqs {
				in += 4 + len(r)
				out += 4 + len(c.reply())
			}
			deadline := time.Now().Add(10 * time.Second)
			for testutil.ToFloat64(m.received)-rx != float64(in) || testutil.ToFloat64(m.sent)-tx != float64(out) {
				if time.Now().After(deadline) {
					t.Fatalf("received %v (want %d), sent %v (want %d)",
						testutil.ToFloat64(m.received)-rx, in, testutil.ToFloat64(m.sent)-tx, out)
				}
				time.Sleep(time.Millisecond) // the loop adds its turn's bytes after writing them
			}
		})
	}
}

// counted is the value of the counter name whose label has value.
func counted(t *testing.T, name, label, value string) float64 {
	t.Helper()
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == label && l.GetValue() == value {
					return m.GetCounter().GetValue()
				}
			}
		}
	}
	return 0
}

// TestPubSubInfoCountsNoRequest: RESP's PUBSUB asks whether the session
// may follow channels, as SUBSCRIBED does, but runs no SUBSCRIBED: it
// counts none in vanity_requests_total.
func TestPubSubInfoCountsNoRequest(t *testing.T) {
	s, _ := serveTCP(t, Config{})
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go s.ServeRESP(l)
	nc, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	before := counted(t, "vanity_requests_total", "command", "SUBSCRIBED")
	if _, err := nc.Write([]byte("AUTH vanity\r\nPUBSUB NUMPAT\r\nPUBSUB CHANNELS\r\n")); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(nc)
	for _, want := range []string{"+OK\r\n", ":0\r\n", "*0\r\n"} {
		if line, err := r.ReadString('\n'); err != nil || line != want {
			t.Fatalf("%q, %v; want %q", line, err, want)
		}
	}
	if got := counted(t, "vanity_requests_total", "command", "SUBSCRIBED") - before; got != 0 {
		t.Errorf("PUBSUB counted %v SUBSCRIBED requests", got)
	}
}
