package router

import (
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/vanitydb/vanity/internal/epoll"
	"github.com/vanitydb/vanity/internal/uring"
	"github.com/vanitydb/vanity/proto"
)

// An event loop serves many connections from one goroutine, the way
// single-threaded stores do: it waits on epoll for the sockets that are
// readable, reads each once, answers every complete request in what it
// read and writes the replies, and moves on. Against a goroutine per
// connection this saves, per request, the goroutine's wake-up and the
// read that finds the socket empty before it parks again (a third of the
// server's system calls under 50 connections of GET), and it serves ready
// connections in turn instead of in the scheduler's order, which keeps
// the latency tail short. Where io_uring is available (internal/uring),
// a turn's reads are one system call, and its writes another.
//
// Data commands are held by their connections (hold.go) and handed to the
// loop's Sender; at the end of a turn the loop flushes it once, so the
// backend gets the whole turn's commands together (one call per storage
// node in a cluster, one run and one log wait in the single process). A
// connection whose commands are with the backend reads on but answers
// nothing more until they are done; the backend hands it back to the loop
// then, and the loop splices the replies in. Requests that wait
// themselves (AUTH hashes a password, the user commands may write the
// users file, PERSIST writes a snapshot, a blocking pop waits for an
// element) run on a goroutine of their own
// while the loop leaves that connection alone; the loop takes the
// connection back when they are done.
type loop struct {
	srv    *Server
	epfd   int
	wakefd int // an eventfd: hand wakes the loop through it

	mu       sync.Mutex
	handed   []*conn     // connections the loop must look at (under mu)
	woken    bool        // wakefd is signalled and not yet drained (under mu)
	flushing bool        // the loop looks at handed right after its Flush: no wake-up needed (under mu)
	polling  bool        // the loop looks at handed right after the backend's sockets' reads: no wake-up needed (under mu)
	quit     bool        // the loop ends once every connection is closed (under mu)
	queued   epoll.Queue // the backend's sockets to watch and to let go of (under mu)
	ended    bool        // the loop is gone: forget closes the socket itself (under mu)

	sender    Sender // the backend's, for this loop's connections
	unflushed bool   // jobs were submitted since the last Flush

	conns   map[int32]*conn // by socket, owned by the loop's goroutine
	watched epoll.Watches   // the backend's sockets, owned by the loop's goroutine
	due     []*epoll.Watch  // the backend's sockets with input this turn
	writes  []*conn         // connections with replies to write at the end of the turn
	reads   []*conn         // connections whose reads are in ring
	sends   []*conn         // connections whose replies (or queues) are in ring
	flushes []*conn         // subscribers whose queues the ring sends at the end of the turn
	ring    *uring.Ring     // nil: a system call per read and write
	rawWait bool            // wait for events in a raw call (epoll.TakeRawWait)
	events  []unix.EpollEvent
	done    chan struct{}
	// received and sent add up the turn's bytes, for the metrics.
	received, sent int
}

// connState is where a connection is in its life on an event loop.
type connState uint8

const (
	stateJoining connState = iota // handed to the loop, not yet watched
	stateReading                  // reads and answers requests
	stateWaiting                  // its held commands are with the backend: it reads, but answers nothing more until they are done
	stateAway                     // a goroutine runs one of its requests; the loop leaves it alone
	stateBlocked                  // the socket did not take all its replies: it waits until it does, reading nothing
	stateClosing                  // closes once the socket has taken its replies
	stateClosed
)

// loopConn is a connection's state on an event loop; the loop's goroutine
// owns it, except the atomics.
type loopConn struct {
	lp           *loop
	fd           int32
	state        connState
	in           []byte // bytes read; in[at:] are not yet consumed
	at           int
	pending      []byte // reply bytes the socket did not take yet
	eof          bool   // the client closed its side
	muted        bool   // not watched for input (after EOF, or too much read while waiting)
	queued       bool   // in the loop's writes
	flushed      bool   // in the loop's flushes
	sendingQueue bool   // the ring is sending pending (a subscriber's queue), not the replies

	act  action      // what the request run away asked for
	back atomic.Bool // the goroutine is done with it
	stop atomic.Bool // the server is shutting down
}

// onLoop reports whether the loop itself serves the connection now (not a
// goroutine running one of its requests).
func (e *loopConn) onLoop() bool { return e.lp != nil && e.state != stateAway }

// maxWaitingInput bounds what a connection whose commands are with the
// backend may have read and not yet answered; past it the loop stops
// watching its input until they are done.
const maxWaitingInput = 1 << 20

const (
	readSize  = 16 << 10 // the first read buffer of a connection
	keepInput = 1 << 20  // a larger read buffer is dropped once empty
)

// ready reports whether in holds a complete request (or the start of one
// that is refused, which the next read reports).
func (e *loopConn) ready(c *conn) bool {
	if c.wire == wireRESP {
		return c.readyRESP(e.in[e.at:])
	}
	_, n, err := proto.SplitFrame(e.in[e.at:], c.maxRequest())
	return n > 0 || err != nil
}

func newLoop(s *Server) (*loop, error) {
	epfd, wakefd, err := epoll.OpenWoken()
	if err != nil {
		return nil, err
	}
	lp := &loop{
		srv: s, epfd: epfd, wakefd: wakefd, sender: s.cfg.Backend.NewSender(),
		conns: map[int32]*conn{}, watched: epoll.NewWatches(epfd), events: make([]unix.EpollEvent, 128), done: make(chan struct{}),
		rawWait: epoll.TakeRawWait(),
	}
	if !s.cfg.PlainSyscalls {
		if lp.ring, err = uring.New(256); err != nil {
			s.log.Debug("event loop: no io_uring, a system call per read and write", "err", err)
		}
	}
	go lp.run()
	return lp, nil
}

// startLoops starts n event loops, or none if the system refuses one.
func startLoops(s *Server, n int) []*loop {
	var loops []*loop
	for range n {
		lp, err := newLoop(s)
		if err != nil {
			s.log.Warn("event loops unavailable; a goroutine serves each connection", "err", err)
			for _, l := range loops {
				l.stop()
			}
			return nil
		}
		loops = append(loops, lp)
	}
	return loops
}

// attach moves a connection onto the loop: the loop takes over a duplicate
// of its socket, and nc (and Go's poller) lets go of it.
func (lp *loop) attach(c *conn, nc net.Conn) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return errors.New("router: connection has no socket")
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	fd := -1
	cerr := raw.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	})
	if cerr != nil {
		return cerr
	}
	if err != nil {
		return err
	}
	// The duplicate shares the socket's file status: it is non-blocking,
	// as Go made it.
	nc.Close()
	c.nc, c.fr = nil, nil
	c.ev.lp, c.ev.fd = lp, int32(fd)
	lp.hand(c)
	return nil
}

// hand makes the loop look at c: a new connection, one back from a
// goroutine, one with messages queued, one to close.
func (lp *loop) hand(c *conn) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.quit {
		return // the loop is gone (Shutdown gave up waiting for c)
	}
	lp.handed = append(lp.handed, c)
	lp.wakeLocked()
}

// wakeLocked wakes the loop, lp.mu held, unless it is awake or will look
// at what it was handed anyway.
func (lp *loop) wakeLocked() {
	if !lp.woken && !lp.flushing && !lp.polling {
		lp.woken = true
		lp.wake() // under mu: the loop closes wakefd under it
	}
}

func (lp *loop) wake() { epoll.Wake(lp.wakefd) }

// stop ends the loop once its connections are closed (Shutdown closes
// them first).
func (lp *loop) stop() {
	lp.mu.Lock()
	lp.quit = true
	lp.wake()
	lp.mu.Unlock()
	<-lp.done
}

func (lp *loop) run() {
	// On a thread of its own the loop stays on one core's caches; left to
	// the scheduler it hopped between threads (thousands of switches a
	// second), and at 16 requests in flight it answered 340K instead of
	// 415K a second.
	runtime.LockOSThread()
	defer close(lp.done)
	var handed []*conn
	for {
		// Ask without blocking first: under load there is always
		// something, and a call that cannot block need not tell the
		// scheduler.
		n, err := epoll.Wait(lp.epfd, lp.events, 0)
		if n == 0 && err == nil {
			if lp.rawWait {
				n, err = epoll.Wait(lp.epfd, lp.events, -1)
			} else {
				n, err = unix.EpollWait(lp.epfd, lp.events, -1)
			}
		}
		if err != nil {
			if err == unix.EINTR {
				// A signal ended the wait, perhaps the collector's or
				// the monitor's asking the loop to stop: it yields.
				runtime.Gosched()
				continue
			}
			lp.srv.log.Error("event loop failed", "err", err)
			n = 0
		}
		for _, ev := range lp.events[:n] {
			if ev.Fd == int32(lp.wakefd) {
				continue
			}
			if w := lp.watched.Get(ev.Fd); w != nil {
				lp.due = append(lp.due, w)
				continue
			}
			c := lp.conns[ev.Fd]
			if c == nil {
				continue
			}
			// While it waits to write, a connection is not read; a
			// failed socket says so through the write.
			st := c.ev.state
			if ev.Events&(unix.EPOLLOUT|unix.EPOLLERR|unix.EPOLLHUP) != 0 && (st == stateBlocked || st == stateClosing) {
				if !lp.writable(c) {
					lp.close(c)
				}
				continue
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR|unix.EPOLLRDHUP) != 0 && (st == stateReading || st == stateWaiting) {
				lp.readable(c)
			}
		}
		lp.readAll()
		lp.poll()
		lp.mu.Lock()
		handed, lp.handed = lp.handed, handed[:0]
		quit := lp.quit
		if lp.woken {
			lp.woken = false
			epoll.Drain(lp.wakefd)
		}
		queued := lp.queued.Take()
		lp.mu.Unlock()
		lp.rewatch(queued)
		for _, c := range handed {
			lp.look(c)
		}
		clear(handed)
		handed = lp.flushJobs(handed[:0])
		lp.writeAll()
		if lp.received > 0 || lp.sent > 0 {
			lp.srv.metrics.received.Add(float64(lp.received))
			lp.srv.metrics.sent.Add(float64(lp.sent))
			lp.received, lp.sent = 0, 0
		}
		if quit {
			for _, c := range lp.conns {
				if c.ev.state != stateAway {
					lp.close(c)
				}
			}
			lp.endWatches()
			lp.mu.Lock()
			unix.Close(lp.wakefd)
			lp.mu.Unlock()
			unix.Close(lp.epfd)
			if lp.rawWait {
				epoll.ReleaseRawWait()
			}
			if lp.ring != nil {
				lp.ring.Close()
			}
			return
		}
	}
}

// look acts on a connection handed to the loop: a new one, one back from
// a goroutine, one whose commands are done, one with messages queued, one
// to stop.
func (lp *loop) look(c *conn) {
	e := &c.ev
	switch e.state {
	case stateClosed, stateClosing:
		return
	case stateJoining:
		e.state = stateReading
		lp.conns[e.fd] = c
		if !lp.watch(c, unix.EPOLL_CTL_ADD, unix.EPOLLIN|unix.EPOLLRDHUP) {
			lp.close(c)
			return
		}
	case stateAway:
		if !e.back.Load() {
			return // the goroutine hands it back when it is done
		}
		e.state = stateReading
		e.back.Store(false)
		if !lp.watch(c, unix.EPOLL_CTL_ADD, lp.inputEvents(c)) {
			lp.close(c)
			return
		}
		if !c.afterRequest(e.act) {
			lp.finish(c)
			return
		}
		lp.process(c)
		return
	case stateWaiting:
		if !c.finished.Load() {
			return // handed for messages; they wait for the replies
		}
		c.splice()
		e.state = stateReading
		if e.muted && !e.eof {
			e.muted = false
			if !lp.watch(c, unix.EPOLL_CTL_MOD, unix.EPOLLIN|unix.EPOLLRDHUP) {
				lp.close(c)
				return
			}
		}
		if !c.flush() {
			lp.close(c)
			return
		}
		lp.process(c)
		return
	}
	if e.stop.Load() && e.state == stateReading {
		lp.finish(c)
		return
	}
	if c.async && e.state == stateReading {
		switch {
		case lp.ring != nil:
			if !e.flushed {
				e.flushed = true
				lp.flushes = append(lp.flushes, c)
			}
		case !lp.writable(c):
			lp.close(c)
		}
	}
}

// inputEvents is what a reading connection is watched for.
func (lp *loop) inputEvents(c *conn) uint32 {
	if c.ev.eof {
		c.ev.muted = true
		return 0
	}
	c.ev.muted = false
	return unix.EPOLLIN | unix.EPOLLRDHUP
}

// submit hands c's held commands to the loop's sender; the loop flushes
// it at the end of the turn.
func (lp *loop) submit(c *conn) {
	if c.submitted {
		return
	}
	c.ev.state = stateWaiting
	lp.unflushed = true
	c.submit(lp.sender, true)
}

// flushJobs flushes the sender and looks at the connections whose jobs it
// finished at once (the single process runs them in Flush); those may
// submit more, so it goes round again, a few times at most.
func (lp *loop) flushJobs(handed []*conn) []*conn {
	for round := 0; lp.unflushed && round < 8; round++ {
		lp.unflushed = false
		lp.mu.Lock()
		lp.flushing = true
		lp.mu.Unlock()
		lp.sender.Flush()
		lp.mu.Lock()
		lp.flushing = false
		handed, lp.handed = lp.handed, handed[:0]
		lp.mu.Unlock()
		for _, c := range handed {
			lp.look(c)
		}
		clear(handed)
		handed = handed[:0]
	}
	return handed
}

func (lp *loop) watch(c *conn, op int, events uint32) bool {
	ev := unix.EpollEvent{Events: events, Fd: c.ev.fd}
	if err := unix.EpollCtl(lp.epfd, op, int(c.ev.fd), &ev); err != nil {
		lp.srv.log.Warn("event loop: epoll_ctl failed", "err", err)
		return false
	}
	return true
}

// batched reports whether the loop reads and writes through io_uring.
func (lp *loop) batched() bool { return lp.ring != nil }

// readable reads what the socket has (once: other connections wait) and
// answers it. With a ring, the read waits for readAll.
func (lp *loop) readable(c *conn) {
	b := lp.room(c)
	if lp.ring == nil {
		n, err := rawRead(int(c.ev.fd), b)
		lp.got(c, n, err)
		return
	}
	lp.ring.Recv(c.ev.fd, b, uint64(len(lp.reads)))
	lp.reads = append(lp.reads, c)
}

// readAll makes the reads readable put in the ring and answers what they
// read.
func (lp *loop) readAll() {
	if len(lp.reads) == 0 {
		return
	}
	err := lp.ring.Run(func(tag uint64, res int32) {
		c := lp.reads[tag]
		if res < 0 {
			lp.got(c, 0, unix.Errno(-res))
		} else {
			lp.got(c, int(res), nil)
		}
	})
	if err != nil {
		lp.ringFailed(err, lp.reads)
	}
	clear(lp.reads)
	lp.reads = lp.reads[:0]
}

// ringFailed closes the connections whose operations were in the ring
// when it failed (what became of them is unknown), and goes on with a
// system call per read and write.
func (lp *loop) ringFailed(err error, conns []*conn) {
	lp.srv.log.Error("event loop: io_uring failed; closing its connections and going on without it", "err", err)
	lp.ring.Close()
	lp.ring = nil
	for _, c := range conns {
		lp.close(c)
	}
}

// room returns the free part of c's input buffer, which it first makes
// room in.
func (lp *loop) room(c *conn) []byte {
	e := &c.ev
	if e.at > 0 && (e.at == len(e.in) || len(e.in) == cap(e.in)) {
		n := copy(e.in, e.in[e.at:])
		e.in, e.at = e.in[:n], 0
	}
	if len(e.in) == cap(e.in) {
		grown := make([]byte, len(e.in), max(readSize, 2*cap(e.in)))
		copy(grown, e.in)
		e.in = grown
	}
	return e.in[len(e.in):cap(e.in)]
}

// got takes the result of a read into c's room and answers what it read
// (a connection waiting for its commands keeps it for later).
func (lp *loop) got(c *conn, n int, err error) {
	e := &c.ev
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return
	case err != nil:
		if err != unix.ECONNRESET {
			lp.srv.log.Debug("connection read failed", "remote", c.remote, "err", err)
		}
		e.eof = true
	case n == 0:
		e.eof = true
	default:
		e.in = e.in[:len(e.in)+n]
		lp.received += n
	}
	if e.state == stateWaiting {
		// Nothing is answered until the commands are done; stop watching
		// a socket that has nothing more to say, or has said too much.
		if !e.muted && (e.eof || len(e.in)-e.at >= maxWaitingInput) {
			e.muted = true
			if !lp.watch(c, unix.EPOLL_CTL_MOD, 0) {
				lp.close(c)
			}
		}
		return
	}
	lp.process(c)
}

// process answers the complete requests in c's input, until the input is
// used up, the socket stops taking replies, its held commands go to the
// backend, or a request goes to a goroutine.
func (lp *loop) process(c *conn) {
	e := &c.ev
	for e.state == stateReading {
		size, o, err := c.next(e.in[e.at:])
		if err != nil {
			if c.wire == wireRESP {
				c.protocolError(err)
			} else {
				c.tooLarge()
			}
			lp.finish(c)
			return
		}
		if size == 0 {
			break
		}
		if o != orderFree && c.holding() {
			lp.submit(c) // the request waits until they are answered
			return
		}
		e.at += size
		if o == orderAway {
			lp.away(c)
			return
		}
		if !c.afterRequest(c.handleNext()) {
			lp.finish(c)
			return
		}
	}
	if e.state != stateReading {
		return
	}
	if e.eof {
		lp.finish(c)
		return
	}
	if e.at == len(e.in) {
		e.in, e.at = e.in[:0], 0
		if cap(e.in) > keepInput {
			e.in = nil
		}
	}
	if e.stop.Load() {
		lp.finish(c)
	}
}

// away runs one request of c on a goroutine; the loop ignores c until the
// goroutine hands it back.
func (lp *loop) away(c *conn) {
	e := &c.ev
	if err := unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_DEL, int(e.fd), nil); err != nil {
		lp.srv.log.Warn("event loop: epoll_ctl failed", "err", err)
		lp.close(c)
		return
	}
	e.state = stateAway
	go func() {
		e.act = c.handleNext()
		c.settle() // a pipe's data commands
		e.back.Store(true)
		lp.hand(c)
	}()
}

// send writes a reply after whatever c has pending. What the socket does
// not take now stays pending, and c reads nothing more until the socket
// has taken it. It reports whether the connection is still usable.
func (lp *loop) send(c *conn, b []byte) bool {
	e := &c.ev
	if len(e.pending) == 0 {
		n, err := write(int(e.fd), b)
		if err != nil {
			return false
		}
		lp.sent += n
		b = b[n:]
		if len(b) == 0 {
			return true
		}
	}
	e.pending = append(e.pending, b...)
	return lp.writable(c)
}

// writable writes c's pending bytes and, for a subscriber, the messages
// queued for it (they stay in the queue, under its bound, while the socket
// takes nothing). It watches for the socket to take more while bytes
// remain, and goes back to reading when none do.
func (lp *loop) writable(c *conn) bool {
	e := &c.ev
	for {
		if len(e.pending) == 0 && c.async {
			var failed bool
			e.pending, failed = c.takeQueue(e.pending)
			if failed {
				return false
			}
		}
		if len(e.pending) == 0 {
			break
		}
		n, err := write(int(e.fd), e.pending)
		if err != nil {
			return false
		}
		lp.sent += n
		e.pending = e.pending[:copy(e.pending, e.pending[n:])]
		if len(e.pending) > 0 {
			if e.state == stateReading {
				e.state = stateBlocked
				return lp.watch(c, unix.EPOLL_CTL_MOD, unix.EPOLLOUT)
			}
			return true
		}
	}
	switch e.state {
	case stateClosing:
		lp.close(c)
	case stateBlocked:
		e.state = stateReading
		if cap(e.pending) > keepInput {
			e.pending = nil
		}
		if !lp.watch(c, unix.EPOLL_CTL_MOD, lp.inputEvents(c)) {
			return false
		}
		lp.process(c)
	}
	return true
}

// later queues c's replies to be written at the end of the loop's turn,
// after every ready connection has been read: the client's side then sees
// its sockets become readable together, as from a single-threaded server,
// instead of one by one (measured: its threads slept and woke twice as
// often, and at 16 requests in flight it sent fewer).
func (lp *loop) later(c *conn) {
	if !c.ev.queued {
		c.ev.queued = true
		lp.writes = append(lp.writes, c)
	}
}

// writeAll writes the replies queued during the turn.
func (lp *loop) writeAll() {
	for _, c := range lp.writes {
		c.ev.queued = false
		// Replies with holes wait for their job, which queues them again
		// when it is done. (A connection away on a goroutine cannot have
		// been queued in this turn, but its replies would wait for its
		// next flush.)
		if c.ev.state != stateReading || len(c.out) == 0 {
			continue
		}
		if lp.ring != nil && lp.ring.Full() {
			lp.sendAll()
		}
		if lp.ring == nil || c.async || len(c.ev.pending) > 0 {
			if !c.writeOut() {
				lp.close(c)
			}
			continue
		}
		lp.ring.Send(c.ev.fd, c.out, uint64(len(lp.sends)))
		lp.sends = append(lp.sends, c)
	}
	clear(lp.writes)
	lp.writes = lp.writes[:0]
	// Subscribers' queued messages: one PUBLISH reaches many sockets.
	for _, c := range lp.flushes {
		e := &c.ev
		e.flushed = false
		if e.state != stateReading {
			continue
		}
		if lp.ring == nil {
			if !lp.writable(c) {
				lp.close(c)
			}
			continue
		}
		var failed bool
		e.pending, failed = c.takeQueue(e.pending)
		if failed {
			lp.close(c)
			continue
		}
		if len(e.pending) == 0 {
			continue
		}
		if lp.ring.Full() {
			lp.sendAll()
			if lp.ring == nil {
				if !lp.writable(c) {
					lp.close(c)
				}
				continue
			}
		}
		e.sendingQueue = true
		lp.ring.Send(e.fd, e.pending, uint64(len(lp.sends)))
		lp.sends = append(lp.sends, c)
	}
	clear(lp.flushes)
	lp.flushes = lp.flushes[:0]
	lp.sendAll()
}

// sendAll makes the sends writeAll put in the ring. What a socket does not
// take waits in its pending bytes, as with send.
func (lp *loop) sendAll() {
	if len(lp.sends) == 0 {
		return
	}
	err := lp.ring.Run(func(tag uint64, res int32) {
		c := lp.sends[tag]
		e := &c.ev
		n := int(res)
		if unix.Errno(-res) == unix.EAGAIN {
			n = 0
		}
		ok := n >= 0
		if ok {
			lp.sent += n
		}
		switch {
		case e.sendingQueue:
			e.sendingQueue = false
			if ok {
				e.pending = e.pending[:copy(e.pending, e.pending[n:])]
				// What is left, and what was queued meanwhile.
				ok = lp.writable(c)
			}
		default:
			if ok && n < len(c.out) {
				e.pending = append(e.pending, c.out[n:]...)
				ok = lp.writable(c)
			}
			c.resetOut()
		}
		if !ok {
			lp.close(c)
		}
	})
	if err != nil {
		lp.ringFailed(err, lp.sends)
	}
	clear(lp.sends)
	lp.sends = lp.sends[:0]
}

// finish closes c once its replies are written (a client that sent EXIT,
// or closed its side after its requests, still gets them all). Held
// commands go to the backend first; the connection finishes when they are
// done.
func (lp *loop) finish(c *conn) {
	e := &c.ev
	if e.state == stateClosed || e.state == stateClosing {
		return
	}
	c.flush()
	if c.holding() {
		return // submitted: process finishes it when they are answered
	}
	if len(c.out) > 0 && !c.writeOut() || len(e.pending) == 0 {
		lp.close(c)
		return
	}
	e.state = stateClosing
}

// write writes b until the socket would block; it returns how much it
// wrote.
func write(fd int, b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, err := rawWrite(fd, b[done:])
		switch {
		case err == unix.EINTR:
			continue
		case err == unix.EAGAIN:
			return done, nil
		case err != nil:
			return done, err
		}
		done += n
	}
	return done, nil
}

// close ends a connection served by the loop, as conn.close does for one
// with a goroutine; what a subscriber's socket does not take at once is
// dropped.
func (lp *loop) close(c *conn) {
	e := &c.ev
	if e.state == stateClosed {
		return
	}
	blocked := e.state == stateBlocked || e.state == stateClosing
	e.state = stateClosed
	c.srv.hub.unsubscribeAll(c)
	c.cancel()
	if c.async && !blocked {
		lp.writable(c)
	}
	delete(lp.conns, e.fd)
	unix.Close(int(e.fd)) // also leaves the epoll set
	c.srv.forget(c)
}

// loopsSupported says whether this system has event loops.
const loopsSupported = true

// The sockets are non-blocking: their reads and writes return at once, so
// they are made as raw system calls, without the scheduler's bookkeeping
// for a call that may block (measured with the event-loop client, three
// runs each: GET c50 58-73K -> 63-80K ops/s, SET 68-69K -> 74-77K). A
// raw call is not a point where the collector can stop the goroutine; the
// longest, a write of a large reply, takes about a millisecond.

func rawRead(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}

func rawWrite(fd int, b []byte) (int, error) {
	r, _, e := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
