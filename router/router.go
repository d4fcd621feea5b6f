package router

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
)

// Peers connects a router to the other routers of a cluster.
type Peers interface {
	// Publish delivers a message to the subscribers of the other routers,
	// keeping this router's publication order.
	Publish(channel, message string)
	// UsersChanged tells every other router of an account's change
	// before it returns, so the change takes effect at once everywhere
	// (even while the cluster cannot answer a read of the users).
	UsersChanged(ctx context.Context, change users.Change) error
	// ReloadUsers rereads the users from the cluster (at most a few times
	// a second): AUTH tries it once before it rejects a name or password
	// that another router may have just changed.
	ReloadUsers(ctx context.Context) error
}

// Informer is a Backend that describes a cluster for CLUSTER_INFO: it
// appends the value that follows OK.
type Informer interface {
	ClusterInfo(ctx context.Context, dst []byte) ([]byte, error)
}

// DefaultMaxUnauthRequest is the largest request frame a session that has
// not authenticated may send by default: room for AUTH with long names
// and passwords, in a PIPE with a few more requests.
const DefaultMaxUnauthRequest = 64 << 10

// DefaultMaxReply bounds the reply of one request by default.
const DefaultMaxReply = 512 << 20

// DefaultMaxQueued bounds, by default, the messages waiting to be written
// to a subscriber that does not read them.
const DefaultMaxQueued = 32 << 20

// DefaultMaxClients is the default bound on open client connections,
// well under the descriptors a process may open once Go has raised its
// soft limit, so that the server refuses with a reply instead of hanging
// new clients at accept.
const DefaultMaxClients = 10000

// DefaultAuthFailures is how many failed AUTH attempts a source address
// gets per minute by default: a person mistyping is not stopped; a
// guesser (8.7 guesses/s on one connection before) gets one per 6 s.
const DefaultAuthFailures = 10

// DefaultAuthIdleTimeout is how long a connection that has not
// authenticated may stay idle, by default.
const DefaultAuthIdleTimeout = 30 * time.Second

// Config configures a Server.
type Config struct {
	Backend Backend
	Users   *users.Store
	Logger  *slog.Logger
	// Version is what INFO says the server is (internal/version.String).
	Version string
	// MaxRequest bounds a request frame (default proto.MaxRequest).
	MaxRequest int
	// MaxUnauthRequest bounds a request frame before the session has
	// authenticated (default DefaultMaxUnauthRequest): a client that has
	// not proven who it is cannot make the server buffer more.
	MaxUnauthRequest int
	// MaxClients bounds the open client connections (default
	// DefaultMaxClients); one more is answered with an error and closed.
	MaxClients int
	// AuthIdleTimeout closes a connection that has not authenticated and
	// has sent nothing for that long (default DefaultAuthIdleTimeout;
	// negative: never).
	AuthIdleTimeout time.Duration
	// AuthFailures is how many failed AUTH attempts a source address
	// gets per minute, as many at once (default DefaultAuthFailures;
	// negative: no limit). Over it, AUTH is refused without checking.
	AuthFailures int
	// MaxReply bounds a reply; a larger one is replaced by INTERNAL_ERROR
	// "response too large" (default 512 MiB).
	MaxReply int
	// MaxQueued bounds the bytes waiting to be written to a subscribed
	// connection; a connection over it is closed (default 32 MiB).
	MaxQueued int
	// OnTerminate is called (once) when an admin sends TERMINATE. It must
	// not block: it typically cancels the context the server runs under.
	OnTerminate func()
	// Peers, in a cluster, reaches the other routers.
	Peers Peers
	// EventLoops, if positive, serves TCP and Unix connections from that
	// many event loops instead of a goroutine each (Linux only).
	EventLoops int
	// DefaultUser is the Vanity user a Redis client's AUTH with a
	// password only (or as Redis's "default" user) logs in as (default
	// "vanity", the first administrator).
	DefaultUser string
	// PlainSyscalls makes event loops read and write each socket with a
	// system call of its own instead of one io_uring call per turn for
	// all reads and one for all writes (used anyway where io_uring is
	// missing or refused).
	PlainSyscalls bool
	// SlowLog says which commands the slow log (SLOWLOG) keeps; the zero
	// value keeps none (the binaries' defaults: DefaultSlowerThan,
	// DefaultSlowLogLen).
	SlowLog SlowLogConfig
	// MaxMemory is the serving process's memory limit in bytes, which a
	// Redis client reads as CONFIG GET maxmemory (0: none, or a router's,
	// whose nodes have a limit each).
	MaxMemory uint64
}

// Server serves the Vanity protocol.
type Server struct {
	cfg Config
	log *slog.Logger
	hub *hub

	mu        sync.Mutex
	listeners map[net.Listener]struct{}
	conns     map[*conn]struct{}
	closing   bool
	wg        sync.WaitGroup
	loops     []*loop
	nextLoop  int
	stopLoops sync.Once

	terminateOnce sync.Once
	refusedLog    atomic.Int64 // unix second of the last "at the client limit" line
	auth          *authBudget  // failed AUTH attempts per source (nil: no limit)
	metrics       *metrics
	started       time.Time    // INFO's uptime
	nextID        atomic.Int64 // the last connection's CLIENT ID
	cursors       cursorTable  // RESP SCAN's cursors
	pops          popWaiters   // blocked pops, woken by this router's pushes
	blocked       atomic.Int64 // connections waiting in a blocking pop or move (INFO's clients.blocked)
	slow          *slowLog     // SLOWLOG's
}

// New returns a server.
func New(cfg Config) (*Server, error) {
	if cfg.Backend == nil || cfg.Users == nil {
		return nil, errors.New("router: a backend and a user store are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.MaxRequest == 0 {
		cfg.MaxRequest = proto.MaxRequest
	}
	if cfg.AuthFailures == 0 {
		cfg.AuthFailures = DefaultAuthFailures
	}
	if cfg.MaxClients == 0 {
		cfg.MaxClients = DefaultMaxClients
	}
	if cfg.AuthIdleTimeout == 0 {
		cfg.AuthIdleTimeout = DefaultAuthIdleTimeout
	}
	if cfg.MaxUnauthRequest == 0 {
		cfg.MaxUnauthRequest = DefaultMaxUnauthRequest
	}
	if cfg.MaxReply == 0 {
		cfg.MaxReply = DefaultMaxReply
	}
	if cfg.MaxQueued == 0 {
		cfg.MaxQueued = DefaultMaxQueued
	}
	if cfg.DefaultUser == "" {
		cfg.DefaultUser = "vanity"
	}
	s := &Server{
		cfg: cfg, log: cfg.Logger, hub: newHub(),
		listeners: map[net.Listener]struct{}{}, conns: map[*conn]struct{}{},
		auth: newAuthBudget(cfg.AuthFailures), metrics: serverMetrics(), started: time.Now(),
		slow: newSlowLog(cfg.SlowLog),
	}
	if cfg.EventLoops > 0 {
		s.loops = startLoops(s, cfg.EventLoops)
	}
	return s, nil
}

// Poller returns the server's event loops as a Poller for its backend's
// sockets, each watched by the next loop in turn; nil without loops.
func (s *Server) Poller() Poller {
	if len(s.loops) == 0 {
		return nil
	}
	return loopPoller{s}
}

type loopPoller struct{ s *Server }

func (p loopPoller) Watch(fd int, ready, gone func()) (func(), bool) {
	s := p.s
	s.mu.Lock()
	lp := s.loops[s.nextLoop%len(s.loops)]
	s.nextLoop++
	s.mu.Unlock()
	return lp.Watch(fd, ready, gone)
}

// ErrServerClosed is returned by Serve after Shutdown.
var ErrServerClosed = errors.New("router: server closed")

// Serve accepts connections speaking the Vanity protocol on l until
// Shutdown.
func (s *Server) Serve(l net.Listener) error { return s.serve(l, wireVanity) }

// ServeRESP accepts connections speaking Redis's RESP (2, or 3 after
// HELLO 3) on l until Shutdown.
func (s *Server) ServeRESP(l net.Listener) error { return s.serve(l, wireRESP) }

func (s *Server) serve(l net.Listener, w wire) error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		l.Close()
		return ErrServerClosed
	}
	s.listeners[l] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.listeners, l)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closing := s.closing
			s.mu.Unlock()
			if closing {
				return ErrServerClosed
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, syscallEMFILE) {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				s.log.Warn("accept failed; retrying", "err", err, "delay", delay)
				time.Sleep(delay) // back off from a transient accept error, as net/http does
				continue
			}
			return err
		}
		delay = 0
		s.mu.Lock()
		full := len(s.conns) >= s.cfg.MaxClients
		s.mu.Unlock()
		if full {
			s.refuse(nc)
			continue
		}
		c := newConn(s, nc, w)
		if s.cfg.AuthIdleTimeout > 0 {
			c.authTimer = time.AfterFunc(s.cfg.AuthIdleTimeout, c.authExpired)
		}
		s.mu.Lock()
		if s.closing {
			s.mu.Unlock()
			c.stopAuthTimer()
			nc.Close()
			return ErrServerClosed
		}
		s.conns[c] = struct{}{}
		s.metrics.connections.Inc()
		s.wg.Add(1)
		var lp *loop
		if len(s.loops) > 0 {
			lp = s.loops[s.nextLoop%len(s.loops)]
			s.nextLoop++
		}
		s.mu.Unlock()
		if lp != nil {
			err := lp.attach(c, nc)
			if err == nil {
				continue
			}
			s.log.Debug("connection served by a goroutine", "remote", c.remote, "err", err)
		}
		go func() {
			if w == wireRESP {
				c.serveRESP()
			} else {
				c.serve()
			}
			s.forget(c)
		}()
	}
}

// forget drops a closed connection.
func (s *Server) forget(c *conn) {
	c.stopAuthTimer()
	s.mu.Lock()
	delete(s.conns, c)
	s.mu.Unlock()
	s.metrics.connections.Dec()
	s.wg.Done()
}

// refuse answers a connection over MaxClients with an error and closes
// it, without letting a slow client hold the accept loop.
func (s *Server) refuse(nc net.Conn) {
	s.metrics.refused.WithLabelValues("max_clients").Inc()
	msg := "too many connections: the server's limit is " + strconv.Itoa(s.cfg.MaxClients) + "; connection closed"
	_ = nc.SetWriteDeadline(time.Now().Add(100 * time.Millisecond))
	out, start := proto.BeginFrame(nil)
	_, _ = nc.Write(proto.EndFrame(proto.AppendErrorMsg(out, msg), start))
	nc.Close()
	if now := time.Now().Unix(); s.refusedLog.Swap(now) != now { // at most one line a second
		s.log.Warn("refusing connections: at the client limit", "limit", s.cfg.MaxClients, "remote", nc.RemoteAddr())
	}
}

// Shutdown stops accepting, closes every connection after the request it
// is handling, and waits for them (or for ctx).
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	s.closing = true
	for l := range s.listeners {
		l.Close()
	}
	for c := range s.conns {
		c.interrupt()
	}
	s.mu.Unlock()
	done := make(chan struct{})
	go func() {
		s.wg.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.stopLoops.Do(func() {
			for _, lp := range s.loops {
				lp.stop()
			}
		})
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Deliver hands a message published on another router to this router's
// subscribers.
func (s *Server) Deliver(channel, message string) {
	s.hub.publish(publication{channel: channel, message: message})
}

func (s *Server) terminate() {
	s.terminateOnce.Do(func() {
		if s.cfg.OnTerminate != nil {
			s.cfg.OnTerminate()
		}
	})
}
