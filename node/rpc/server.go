package rpc

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"github.com/vanitydb/vanity/internal/workers"
)

// Server serves RPC connections.
type Server struct {
	secret  []byte
	handler Handler
	inline  InlineHandler
	lent    [256]bool // kinds whose payloads the inline handler only borrows (Lend)
	log     *slog.Logger
	poller  Poller // reads the connections' calls, if set (UsePoller)

	mu     sync.Mutex
	ls     map[net.Listener]struct{}
	conns  map[net.Conn]func() // each connection's end: closing it, or ending its watch
	closed bool
	wg     sync.WaitGroup
	// workers run the calls that do not run inline (Responder.Go): a
	// vote or a serial run goes deep enough that a new goroutine's stack
	// grew, and was copied, on every call (7% of a node's CPU on SERIAL
	// writes).
	workers *workers.Pool
}

// idleWorkers is how many workers a server keeps waiting for calls.
const idleWorkers = 64

// NewServer returns a server dispatching calls to h (each on a goroutine
// of its own).
func NewServer(secret []byte, h Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{secret: secret, handler: h, log: log, ls: map[net.Listener]struct{}{}, conns: map[net.Conn]func(){},
		workers: workers.New(idleWorkers)}
}

// HandleInline offers every call to fn first (see InlineHandler). Call it
// before Serve.
func (s *Server) HandleInline(fn InlineHandler) { s.inline = fn }

// Lend makes the payloads of kinds the inline handler's only for its
// call: when it takes one (returns true) it must not keep the payload, nor
// hand it to another goroutine, once it returns. The connection then reads
// the next such call into the same buffer instead of a new one. Call it
// before Serve.
func (s *Server) Lend(kinds ...Kind) {
	for _, k := range kinds {
		s.lent[k] = true
	}
}

// UsePoller makes p read the calls of the connections accepted from now
// on (plain TCP ones: TLS keeps its reader goroutine), and run the inline
// handler on p's goroutine. Call it before Serve.
func (s *Server) UsePoller(p Poller) { s.poller = p }

// maxLent bounds the buffer a connection keeps for lent payloads.
const maxLent = 1 << 20

// Responder answers one call. Reply must be called exactly once, from any
// goroutine; a reply for a connection that has closed is dropped.
type Responder struct {
	w       *frameWriter
	id      uint64
	calls   *sync.WaitGroup
	workers *workers.Pool
}

// Reply sends the call's answer.
func (r Responder) Reply(st Status, payload []byte) {
	r.w.send(r.id, uint8(st), payload)
}

// Hold counts an answer still to come, which any goroutine may send, as
// Go counts its goroutine: the connection waits for release before it
// closes. Only the inline handler may call it, before it returns.
func (r Responder) Hold() (release func()) {
	r.calls.Add(1)
	return r.calls.Done
}

// Go runs fn on a goroutine (one of the server's workers) the connection
// waits for before it closes. Only the inline handler may call it, before
// it returns.
func (r Responder) Go(fn func()) {
	r.calls.Add(1)
	r.workers.Go(func() {
		defer r.calls.Done()
		fn()
	})
}

// Serve accepts connections on l until Close.
func (s *Server) Serve(l net.Listener) error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return ErrClosed
	}
	s.ls[l] = struct{}{}
	s.mu.Unlock()
	for {
		nc, err := l.Accept()
		if err != nil {
			s.mu.Lock()
			closed := s.closed
			s.mu.Unlock()
			if closed {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return err
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			nc.Close()
			return nil
		}
		s.conns[nc] = func() { nc.Close() }
		s.wg.Add(1)
		s.mu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(nc)
			s.mu.Lock()
			delete(s.conns, nc)
			s.mu.Unlock()
		}()
	}
}

func (s *Server) serveConn(nc net.Conn) {
	defer nc.Close()
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := serverHandshake(nc, s.secret); err != nil {
		s.log.Warn("rejected an RPC connection", "remote", nc.RemoteAddr(), "err", err)
		return
	}
	nc.SetDeadline(time.Time{})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls sync.WaitGroup
	if w := s.servePolled(ctx, nc, &calls); w != nil {
		cancel() // handlers in flight see the connection end
		calls.Wait()
		w.close()
		return
	}
	w := newFrameWriter(func(error) { nc.Close() })
	w.start(nc)
	defer func() {
		cancel()
		calls.Wait()
		w.close()
	}()
	r := bufio.NewReaderSize(newReader(nc), 64<<10)
	var spare []byte // the buffer of lent payloads
	lend := func(kind uint8) []byte {
		if s.lent[kind] {
			return spare[:0]
		}
		return nil
	}
	for {
		id, kind, payload, err := readFrameInto(r, lend)
		if err != nil {
			return
		}
		if kind == uint8(KindNoop) {
			continue
		}
		resp := Responder{w: w, id: id, calls: &calls, workers: s.workers}
		if s.dispatch(ctx, Kind(kind), payload, resp, false) {
			if s.lent[kind] && cap(payload) <= maxLent {
				spare = payload[:0]
			}
		} else if s.lent[kind] {
			spare = nil // the payload is the handler's
		}
	}
}

// dispatch hands a call to the inline handler, and if it does not take
// it, to the handler: on this goroutine for an ordered kind, on a worker
// otherwise. It reports whether the inline handler took it (a lent
// payload is then free again once it returns). A lent payload that is
// borrowed (read in place) is copied for the handler, which may keep it.
func (s *Server) dispatch(ctx context.Context, k Kind, payload []byte, resp Responder, borrowed bool) bool {
	if s.inline != nil && s.inline(ctx, k, payload, resp) {
		return true
	}
	if borrowed && s.lent[k] {
		payload = append([]byte(nil), payload...)
	}
	if k.Ordered() {
		st, out := s.handler(ctx, k, payload, nil)
		resp.Reply(st, out)
		return false
	}
	resp.Go(func() {
		st, out := s.handler(ctx, k, payload, nil)
		resp.Reply(st, out)
	})
	return false
}

// servePolled serves nc's calls from the server's poller, if it has one
// and nc is a plain socket, and returns the connection's writer once it
// has ended (nil if it did not serve it). The poller reads one
// duplicate of the socket and the writer writes another; nc is closed,
// so that Go's network poller lets go of it. A lent payload is read in
// place, in the poller's buffer; any other is copied out for its handler.
func (s *Server) servePolled(ctx context.Context, nc net.Conn, calls *sync.WaitGroup) *frameWriter {
	if s.poller == nil {
		return nil
	}
	rfd, wfd, ok := dupSockets(nc)
	if !ok {
		return nil
	}
	ended := make(chan struct{})
	var once sync.Once
	var mu sync.Mutex // held while the poller reads: after end, no call starts
	done := false     // under mu
	end := func() {
		mu.Lock()
		done = true
		mu.Unlock()
		once.Do(func() { close(ended) })
	}
	w := newFrameWriter(func(error) { end() })
	pin := &polled{fd: rfd, in: make([]byte, 0, polledRead)}
	readable := func() {
		mu.Lock()
		defer mu.Unlock()
		if done {
			return
		}
		err := pin.read(func(id uint64, kind uint8, payload []byte) {
			if kind == uint8(KindNoop) {
				return
			}
			if !s.lent[kind] {
				payload = append([]byte(nil), payload...) // the handler's to keep
			}
			s.dispatch(ctx, Kind(kind), payload, Responder{w: w, id: id, calls: calls, workers: s.workers}, true)
		})
		if err != nil {
			done = true
			once.Do(func() { close(ended) })
		}
	}
	forget, ok := s.poller.Watch(rfd, readable, end)
	if !ok {
		syscall.Close(rfd)
		syscall.Close(wfd)
		return nil
	}
	w.startFD(wfd)
	s.mu.Lock()
	s.conns[nc] = end
	closed := s.closed
	s.mu.Unlock()
	nc.Close()
	if closed {
		end()
	}
	<-ended
	forget() // the poller closes rfd; readable reads nothing more (done)
	return w
}

// Go runs fn on one of the server's workers, for work a call starts that
// goes on past its handler (a serial run answering a held call). Close
// waits for it when the call it answers holds the connection open
// (Responder.Hold); after Close, fn runs on a goroutine of its own.
func (s *Server) Go(fn func()) { s.workers.Go(fn) }

// Close stops accepting, closes every connection and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for l := range s.ls {
		l.Close()
	}
	ends := make([]func(), 0, len(s.conns))
	for _, end := range s.conns {
		ends = append(ends, end)
	}
	s.mu.Unlock()
	for _, end := range ends {
		end()
	}
	s.wg.Wait()       // each connection waited for its calls
	s.workers.Close() // so the workers are idle: they end
}
