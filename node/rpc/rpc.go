// Package rpc is the internal protocol between Vanity routers and storage
// nodes: binary, multiplexed (many calls in flight on one connection,
// matched by id), pipelined (a writer goroutine coalesces frames into one
// write), pooled (a few connections per peer), with deadlines from each
// call's context, over connections authenticated with the cluster secret.
//
// # Wire format
//
// After the handshake, both directions carry frames:
//
//	frame    = length:u32 id:u64 kind:u8 payload   (big-endian)
//	length   = bytes after the length field
//
// A request's kind says what it asks (Kind); a response echoes the id and
// carries a Status in the kind byte. Kinds and statuses are part of the
// protocol between versions: ONLY APPEND.
//
// # Handshake
//
// The server sends "VRPC1" and a 32-byte nonce; the client answers with
// HMAC-SHA256(secret, "client" || nonce) and its own nonce; the server
// answers HMAC-SHA256(secret, "server" || client nonce). Either side closes
// the connection on a mismatch, so both know the other holds the secret.
//
// # Ordering
//
// Calls are handled concurrently, except kinds marked ordered (Ordered),
// which a connection handles one after another in arrival order; a client
// sends all ordered calls to one peer over the same connection, so they
// arrive in the order they were made.
//
// Client and Server are safe for concurrent use.
package rpc

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Kind is what a request asks. ONLY APPEND.
type Kind uint8

const (
	KindPing          Kind = iota + 1
	KindExec               // one data command (see EncodeExec)
	KindBatch              // a transaction batch
	KindPersist            // write a snapshot
	KindStream             // start streaming a partition to the caller
	KindPull               // fetch streamed data
	KindHandoff            // finish moving a partition
	KindInfo               // describe the node
	KindPublish            // deliver a published message (router to router; ordered)
	KindUsers              // reload users (router to router)
	KindReset              // RESET a database on every partition of a node
	KindDrop               // forget a partition that moved away
	KindAbort              // give up moving a partition
	KindStore              // replace a key with a set (the end of a SET_*_INTO)
	KindExecMany           // pipelined data commands, run in order (see AppendBatch, DecodeItems)
	KindReplicate          // a write's deltas for a replica: partition:uvarint deltas (node.EncodeDeltas)
	KindStates             // keys' states for a read at R > 1: db:u8 strings(keys); answer node.EncodeDeltas
	KindDigest             // a partition's digest, for anti-entropy (node/antientropy.go)
	KindBuckets            // the states of some digest buckets of a partition, for anti-entropy
	KindReplicateMany      // several partitions' replicated deltas in one call (node/batch.go)
	KindStatesMany         // several state requests in one call, answered item by item (node/batch.go)
	numKinds
)

// Ordered reports whether a kind is handled in arrival order.
func (k Kind) Ordered() bool { return k == KindPublish }

// Status is the outcome of a call. ONLY APPEND.
type Status uint8

const (
	StatusOK        Status = iota
	StatusWrongRing        // the node does not hold the partition; payload: a hint
	StatusError            // payload: a message
	StatusUnavailable
)

// MaxFrame bounds a frame (a whole partition stream chunk fits).
const MaxFrame = 1 << 30

// Handler serves calls. It appends the response payload to dst.
type Handler func(ctx context.Context, kind Kind, payload []byte, dst []byte) (Status, []byte)

// Error is a failed call's status and message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("rpc: status %d: %s", e.Status, e.Message) }

// ErrClosed is returned for calls on a closed client or connection.
var ErrClosed = errors.New("rpc: connection closed")

const (
	magic     = "VRPC1"
	nonceSize = 32
	macSize   = sha256.Size
)

func mac(secret []byte, label string, nonce []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	m.Write(nonce)
	return m.Sum(nil)
}

// serverHandshake authenticates a client on nc.
func serverHandshake(nc net.Conn, secret []byte) error {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	if _, err := nc.Write(append([]byte(magic), nonce...)); err != nil {
		return err
	}
	reply := make([]byte, macSize+nonceSize)
	if _, err := io.ReadFull(nc, reply); err != nil {
		return err
	}
	if !hmac.Equal(reply[:macSize], mac(secret, "client", nonce)) {
		return errors.New("rpc: client does not know the cluster secret")
	}
	_, err := nc.Write(mac(secret, "server", reply[macSize:]))
	return err
}

// clientHandshake authenticates to a server on nc.
func clientHandshake(nc net.Conn, secret []byte) error {
	hello := make([]byte, len(magic)+nonceSize)
	if _, err := io.ReadFull(nc, hello); err != nil {
		return err
	}
	if string(hello[:len(magic)]) != magic {
		return errors.New("rpc: not a Vanity RPC server")
	}
	mine := make([]byte, nonceSize)
	if _, err := rand.Read(mine); err != nil {
		return err
	}
	if _, err := nc.Write(append(mac(secret, "client", hello[len(magic):]), mine...)); err != nil {
		return err
	}
	proof := make([]byte, macSize)
	if _, err := io.ReadFull(nc, proof); err != nil {
		return err
	}
	if !hmac.Equal(proof, mac(secret, "server", mine)) {
		return errors.New("rpc: server does not know the cluster secret")
	}
	return nil
}

// frameWriter coalesces frames from many goroutines into few writes.
type frameWriter struct {
	mu      sync.Mutex
	buf     []byte
	spare   []byte
	kick    chan struct{}
	done    chan struct{}
	failed  error
	nc      net.Conn
	onError func(error)
}

func newFrameWriter(nc net.Conn, onError func(error)) *frameWriter {
	w := &frameWriter{nc: nc, kick: make(chan struct{}, 1), done: make(chan struct{}), onError: onError}
	go w.run()
	return w
}

func (w *frameWriter) send(id uint64, kind uint8, payload []byte) error {
	w.mu.Lock()
	if w.failed != nil {
		err := w.failed
		w.mu.Unlock()
		return err
	}
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(9+len(payload)))
	binary.BigEndian.PutUint64(hdr[4:], id)
	hdr[12] = kind
	w.buf = append(append(w.buf, hdr[:]...), payload...)
	// Kick under the lock: close closes the channel under it too.
	select {
	case w.kick <- struct{}{}:
	default:
	}
	w.mu.Unlock()
	return nil
}

func (w *frameWriter) run() {
	defer close(w.done)
	for range w.kick {
		for {
			w.mu.Lock()
			out := w.buf
			w.buf, w.spare = w.spare[:0], nil
			w.mu.Unlock()
			if len(out) == 0 {
				break
			}
			_, err := w.nc.Write(out)
			w.mu.Lock()
			w.spare = out[:0]
			if err != nil && w.failed == nil {
				w.failed = err
			}
			w.mu.Unlock()
			if err != nil {
				w.onError(err)
				return
			}
		}
	}
}

func (w *frameWriter) close() {
	w.mu.Lock()
	already := w.failed == ErrClosed
	if w.failed == nil {
		w.failed = ErrClosed
	}
	if !already {
		close(w.kick)
	}
	w.mu.Unlock()
	<-w.done
}

// readFrame reads one frame from r.
func readFrame(r *bufio.Reader, buf []byte) (id uint64, kind uint8, payload []byte, err error) {
	var hdr [13]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n < 9 || n > MaxFrame {
		return 0, 0, nil, fmt.Errorf("rpc: bad frame length %d", n)
	}
	id = binary.BigEndian.Uint64(hdr[4:])
	kind = hdr[12]
	size := int(n) - 9
	if cap(buf) < size {
		buf = make([]byte, size)
	}
	payload = buf[:size]
	_, err = io.ReadFull(r, payload)
	return
}

// ---- server ----

// Server serves RPC connections.
type Server struct {
	secret  []byte
	handler Handler
	log     *slog.Logger

	mu     sync.Mutex
	ls     map[net.Listener]struct{}
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// NewServer returns a server dispatching calls to h.
func NewServer(secret []byte, h Handler, log *slog.Logger) *Server {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Server{secret: secret, handler: h, log: log, ls: map[net.Listener]struct{}{}, conns: map[net.Conn]struct{}{}}
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
		s.conns[nc] = struct{}{}
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
	w := newFrameWriter(nc, func(error) { nc.Close() })
	var calls sync.WaitGroup
	defer func() {
		cancel() // handlers in flight see the connection end
		calls.Wait()
		w.close()
	}()
	r := bufio.NewReaderSize(nc, 64<<10)
	for {
		id, kind, payload, err := readFrame(r, nil)
		if err != nil {
			return
		}
		k := Kind(kind)
		if k.Ordered() {
			st, out := s.handler(ctx, k, payload, nil)
			w.send(id, uint8(st), out)
			continue
		}
		calls.Add(1)
		go func() {
			defer calls.Done()
			st, out := s.handler(ctx, k, payload, nil)
			w.send(id, uint8(st), out)
		}()
	}
}

// Close stops accepting, closes every connection and waits for them.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	for l := range s.ls {
		l.Close()
	}
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
}

// ---- client ----

// Client calls one peer over a small pool of connections.
type Client struct {
	addr   string
	secret []byte
	size   int
	next   atomic.Uint64
	ids    atomic.Uint64

	mu     sync.Mutex
	conns  []*clientConn
	closed bool
}

// NewClient returns a client for the peer at addr using up to pool
// connections, dialed on first use.
func NewClient(addr string, secret []byte, pool int) *Client {
	return &Client{addr: addr, secret: secret, size: max(1, pool), conns: make([]*clientConn, max(1, pool))}
}

// Addr returns the peer's address.
func (c *Client) Addr() string { return c.addr }

type result struct {
	status  Status
	payload []byte
	err     error
}

type clientConn struct {
	nc      net.Conn
	w       *frameWriter
	mu      sync.Mutex
	pending map[uint64]chan result
	err     error
}

// conn returns a live connection, dialing if needed. Ordered calls always
// use connection 0.
func (c *Client) conn(ctx context.Context, ordered bool) (*clientConn, error) {
	i := 0
	if !ordered {
		i = int(c.next.Add(1) % uint64(c.size))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	if cc := c.conns[i]; cc != nil && cc.alive() {
		return cc, nil
	}
	d := net.Dialer{Timeout: 5 * time.Second}
	nc, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return nil, err
	}
	if tc, ok := nc.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	nc.SetDeadline(time.Now().Add(10 * time.Second))
	if err := clientHandshake(nc, c.secret); err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	cc := &clientConn{nc: nc, pending: map[uint64]chan result{}}
	cc.w = newFrameWriter(nc, func(err error) { cc.fail(err) })
	go cc.read()
	c.conns[i] = cc
	return cc, nil
}

func (cc *clientConn) alive() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.err == nil
}

func (cc *clientConn) fail(err error) {
	cc.mu.Lock()
	if cc.err == nil {
		cc.err = err
		for id, ch := range cc.pending {
			ch <- result{err: fmt.Errorf("%w: %v", ErrClosed, err)}
			delete(cc.pending, id)
		}
	}
	cc.mu.Unlock()
	cc.nc.Close()
}

func (cc *clientConn) read() {
	r := bufio.NewReaderSize(cc.nc, 64<<10)
	for {
		id, kind, payload, err := readFrame(r, nil)
		if err != nil {
			cc.fail(err)
			return
		}
		cc.mu.Lock()
		ch := cc.pending[id]
		delete(cc.pending, id)
		cc.mu.Unlock()
		if ch != nil {
			ch <- result{status: Status(kind), payload: payload}
		}
	}
}

// Call sends a request and waits for its response or ctx's end. A status
// other than StatusOK is returned as *Error, with the payload as message.
func (c *Client) Call(ctx context.Context, kind Kind, payload []byte) ([]byte, error) {
	cc, err := c.conn(ctx, kind.Ordered())
	if err != nil {
		return nil, err
	}
	id := c.ids.Add(1)
	ch := make(chan result, 1)
	cc.mu.Lock()
	if cc.err != nil {
		cc.mu.Unlock()
		return nil, fmt.Errorf("%w: %v", ErrClosed, cc.err)
	}
	cc.pending[id] = ch
	cc.mu.Unlock()
	if err := cc.w.send(id, uint8(kind), payload); err != nil {
		cc.fail(err)
		return nil, err
	}
	select {
	case res := <-ch:
		if res.err != nil {
			return nil, res.err
		}
		if res.status != StatusOK {
			return res.payload, &Error{Status: res.status, Message: string(res.payload)}
		}
		return res.payload, nil
	case <-ctx.Done():
		cc.mu.Lock()
		delete(cc.pending, id)
		cc.mu.Unlock()
		return nil, ctx.Err()
	}
}

// Post sends a request without waiting for its response, which is
// discarded. Posts of an ordered kind reach the peer in the order Post was
// called, on one connection; use them for fan-out that must keep order.
func (c *Client) Post(ctx context.Context, kind Kind, payload []byte) error {
	cc, err := c.conn(ctx, kind.Ordered())
	if err != nil {
		return err
	}
	return cc.w.send(c.ids.Add(1), uint8(kind), payload)
}

// Close closes the client's connections; calls in flight fail.
func (c *Client) Close() {
	c.mu.Lock()
	c.closed = true
	conns := c.conns
	c.mu.Unlock()
	for _, cc := range conns {
		if cc != nil {
			cc.fail(ErrClosed)
			cc.w.close()
		}
	}
}
