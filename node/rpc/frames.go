package rpc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"slices"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// frameWriter coalesces frames from many goroutines into few writes.
// A failed write is reported to onError from the writer goroutine, never
// from a sender's call.
// The goroutine that queues a frame while no write is under way writes
// the queue itself, with a system call that does not block; what the
// socket does not take at once goes to a writer goroutine of the
// connection, which waits for the socket. Frames queued while a write is
// under way go out with the next write of whoever is writing. So a frame
// costs no goroutine wake-up unless the socket is full, and no caller
// ever blocks on a slow peer.
//
// It numbers the frames it queues and remembers how many it has taken to
// write, so a failed connection can tell the requests that never left
// (ErrNotSent) from those that may have, and a request still queued can
// be cancelled.
type frameWriter struct {
	mu      sync.Mutex
	buf     []byte
	offs    []int // where each frame in buf starts
	spare   []byte
	queued  uint64   // frames appended so far
	taken   uint64   // frames taken out of buf to be written
	writing bool     // someone is writing; they write what is queued meanwhile too
	parked  bool     // the writer goroutine has the queue (the socket was full)
	failed  error    // sends are refused once set
	report  error    // a write failed in send: the writer goroutine reports it
	closing bool     // the writer stops once buf is written
	nc      net.Conn // nil until start
	raw     syscall.RawConn
	fd      int // a socket the writer owns (startFD), or -1
	rw      rawWriteCall
	kick    chan struct{}
	done    chan struct{}
	onError func(error)
}

func newFrameWriter(onError func(error)) *frameWriter {
	return &frameWriter{kick: make(chan struct{}, 1), done: make(chan struct{}), onError: onError, fd: -1}
}

// startFD begins writing to socket fd, which the writer owns: its
// goroutine closes it when it ends, after the last write. A writer
// stopped before it started closes fd at once.
func (w *frameWriter) startFD(fd int) {
	w.mu.Lock()
	if w.closing {
		w.mu.Unlock()
		syscall.Close(fd)
		return
	}
	w.fd = fd
	w.mu.Unlock()
	go w.run()
	w.nudge()
}

// direct reports whether a sender may write the queue itself, without
// blocking (w.mu held).
func (w *frameWriter) direct() bool { return w.fd >= 0 || w.nc != nil && w.raw != nil }

// start begins writing to nc; frames queued before it go first.
func (w *frameWriter) start(nc net.Conn) {
	var raw syscall.RawConn
	if sc, ok := nc.(syscall.Conn); ok {
		raw, _ = sc.SyscallConn()
	}
	w.mu.Lock()
	w.nc, w.raw = nc, raw
	w.mu.Unlock()
	go w.run()
	w.nudge()
}

func (w *frameWriter) nudge() {
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// send queues a frame, writes the queue if nobody is, and returns the
// frame's number.
func (w *frameWriter) send(id uint64, kind uint8, payload []byte) (uint64, error) {
	w.mu.Lock()
	if w.failed != nil {
		err := w.failed
		w.mu.Unlock()
		return 0, err
	}
	var hdr [13]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(9+len(payload)))
	binary.BigEndian.PutUint64(hdr[4:], id)
	hdr[12] = kind
	w.offs = append(w.offs, len(w.buf))
	w.buf = append(append(w.buf, hdr[:]...), payload...)
	w.queued++
	seq := w.queued
	if direct := w.direct(); w.writing || w.parked || !direct {
		w.mu.Unlock()
		if !direct {
			w.nudge()
		}
		return seq, nil
	}
	w.writing = true
	err := w.writeNowLocked()
	w.writing = false
	closing := w.closing
	if err != nil {
		// Reported by the writer goroutine: the caller may hold locks
		// that onError takes (a client's connection lock does).
		w.report = err
	}
	w.mu.Unlock()
	if closing || err != nil {
		w.nudge() // the writer goroutine may have stood aside for this write
	}
	return seq, nil
}

// writeNowLocked writes the queue without blocking, w.mu held (released
// around each system call), until it is empty or the socket is full; the
// rest is the writer goroutine's.
func (w *frameWriter) writeNowLocked() error {
	for len(w.buf) > 0 {
		out := w.buf
		w.taken = w.queued
		w.buf, w.spare, w.offs = w.spare[:0], nil, w.offs[:0]
		raw, fd := w.raw, w.fd
		w.mu.Unlock()
		var n int
		var err error
		if fd >= 0 {
			n, err = writeFD(fd, out)
		} else {
			n, err = w.rw.write(raw, out)
		}
		w.mu.Lock()
		if err != nil {
			w.spare = out[:0]
			if w.failed == nil {
				w.failed = err
			}
			return err
		}
		if n < len(out) {
			// The socket is full: the rest goes first, before what was
			// queued meanwhile, and the writer goroutine waits for room.
			rest := append(append(w.spare[:0], out[n:]...), w.buf...)
			w.spare, w.buf = w.buf[:0], rest
			w.shiftOffs(len(out) - n)
			w.parked = true
			w.nudge()
			return nil
		}
		w.spare = out[:0]
	}
	return nil
}

// shiftOffs accounts for k bytes put before the queued frames (the
// unwritten tail of a taken batch, which can no longer be cancelled).
func (w *frameWriter) shiftOffs(k int) {
	for i := range w.offs {
		w.offs[i] += k
	}
}

// rawWriteCall writes what a socket takes now through its RawConn, for
// one writer (whoever holds frameWriter.writing): the function RawConn.Write
// calls is bound once, with the write's arguments and outcome beside it
// (a closure per write was two allocations).
type rawWriteCall struct {
	b    []byte
	done int
	err  error
	fn   func(fd uintptr) bool
}

// write writes what raw's socket takes of b now.
func (c *rawWriteCall) write(raw syscall.RawConn, b []byte) (int, error) {
	if c.fn == nil {
		c.fn = c.call
	}
	c.b, c.done, c.err = b, 0, nil
	err := raw.Write(c.fn)
	done, werr := c.done, c.err
	c.b, c.err = nil, nil
	if werr == nil {
		werr = err
	}
	return done, werr
}

func (c *rawWriteCall) call(fd uintptr) bool {
	c.done, c.err = writeFD(int(fd), c.b)
	return true
}

// writeFD writes what socket fd takes now.
func writeFD(fd int, b []byte) (int, error) {
	done := 0
	for done < len(b) {
		n, errno := rawWrite(uintptr(fd), b[done:])
		switch errno {
		case 0:
			done += n
		case syscall.EINTR:
		case syscall.EAGAIN:
			return done, nil
		default:
			return done, errno
		}
	}
	return done, nil
}

// writeWaiting writes all of b to socket fd, waiting for room with
// poll(2); it gives up once the writer is closing and the socket has
// taken nothing for a while (a peer that reads nothing).
func (w *frameWriter) writeWaiting(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := writeFD(fd, b)
		if err != nil {
			return err
		}
		b = b[n:]
		if len(b) == 0 {
			return nil
		}
		pfd := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLOUT}}
		if k, err := unix.Poll(pfd, 100); err != nil && err != unix.EINTR {
			return err
		} else if k == 0 {
			w.mu.Lock()
			closing := w.closing
			w.mu.Unlock()
			if closing {
				return ErrClosed
			}
		}
	}
	return nil
}

// sent reports whether frame seq may have left: it was taken to be
// written (the write may have failed half-way).
func (w *frameWriter) sent(seq uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return seq <= w.taken
}

// cancel turns frame seq into a KindNoop if it is still queued (the
// stream's framing stays intact; the peer ignores it) and reports whether
// it did.
func (w *frameWriter) cancel(seq uint64) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if seq <= w.taken || seq > w.queued {
		return false
	}
	w.buf[w.offs[seq-w.taken-1]+12] = byte(KindNoop)
	return true
}

// run is the writer goroutine: it writes, waiting for the socket, what
// was queued before the connection was up, what the socket did not take
// at once, and, when writes cannot be made without blocking (no raw
// socket), everything.
func (w *frameWriter) run() {
	defer close(w.done)
	defer func() {
		if w.fd >= 0 {
			syscall.Close(w.fd) // no sender writes any more: failed is set, and none is under way
		}
	}()
	for range w.kick {
		for {
			w.mu.Lock()
			if err := w.report; err != nil {
				w.report = nil
				w.mu.Unlock()
				w.onError(err)
				return
			}
			if w.writing {
				w.mu.Unlock()
				break // the writer under way writes what is queued
			}
			out := w.buf
			if len(out) == 0 {
				w.parked = false
				closing := w.closing
				w.mu.Unlock()
				if closing {
					return
				}
				break
			}
			w.taken = w.queued
			w.buf, w.spare, w.offs = w.spare[:0], nil, w.offs[:0]
			w.writing = true
			nc, fd := w.nc, w.fd
			w.mu.Unlock()
			var err error
			if fd >= 0 {
				err = w.writeWaiting(fd, out)
			} else {
				_, err = nc.Write(out)
			}
			w.mu.Lock()
			w.writing = false
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

// close refuses further frames, lets the writer write what is queued,
// and waits for it if it was started.
func (w *frameWriter) close() {
	if w.stop() {
		<-w.done
	}
}

// stop refuses further frames and lets the writer goroutine end once it
// has written what is queued, without waiting for it; it reports whether
// the goroutine was started.
func (w *frameWriter) stop() bool {
	w.mu.Lock()
	if w.failed == nil {
		w.failed = ErrClosed
	}
	w.closing = true
	started := w.nc != nil || w.fd >= 0
	w.mu.Unlock()
	if started {
		w.nudge()
	}
	return started
}

// frameHeader is the size of a frame's header: length, id, kind.
const frameHeader = 13

// parseHeader reads a frame's header at the start of b (at least
// frameHeader bytes) and returns its payload's size.
func parseHeader(b []byte) (id uint64, kind uint8, size int, err error) {
	n := binary.BigEndian.Uint32(b)
	if n < 9 || n > MaxFrame {
		return 0, 0, 0, fmt.Errorf("rpc: bad frame length %d", n)
	}
	return binary.BigEndian.Uint64(b[4:]), b[12], int(n) - 9, nil
}

// readFrame reads one frame from r into a new buffer.
func readFrame(r *bufio.Reader) (id uint64, kind uint8, payload []byte, err error) {
	return readFrameInto(r, nil)
}

// readFrameInto reads one frame from r into the buffer spare returns for
// its kind, or into a new one if spare is nil or returns nil.
func readFrameInto(r *bufio.Reader, spare func(kind uint8) []byte) (id uint64, kind uint8, payload []byte, err error) {
	var hdr [frameHeader]byte
	if _, err = io.ReadFull(r, hdr[:]); err != nil {
		return
	}
	var size int
	if id, kind, size, err = parseHeader(hdr[:]); err != nil {
		return 0, 0, nil, err
	}
	// The buffer grows as bytes arrive: a frame that declares a gigabyte
	// and sends nothing costs little.
	if spare != nil {
		payload = spare(kind)
	}
	if cap(payload) == 0 {
		payload = make([]byte, 0, min(size, 64<<10))
	}
	for len(payload) < size {
		if len(payload) == cap(payload) {
			payload = slices.Grow(payload, min(size, 2*cap(payload))-len(payload))
		}
		var k int
		k, err = io.ReadFull(r, payload[len(payload):min(size, cap(payload))])
		payload = payload[:len(payload)+k]
		if err != nil {
			return 0, 0, nil, err
		}
	}
	return
}
