package rpc

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"sync"
)

// frameWriter coalesces frames from many goroutines into few writes. It
// numbers the frames it queues and remembers how many it has taken to
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
	failed  error    // sends are refused once set
	closing bool     // the writer stops once buf is written
	nc      net.Conn // nil until start
	kick    chan struct{}
	done    chan struct{}
	onError func(error)
}

func newFrameWriter(onError func(error)) *frameWriter {
	return &frameWriter{kick: make(chan struct{}, 1), done: make(chan struct{}), onError: onError}
}

// start begins writing to nc; frames queued before it go first.
func (w *frameWriter) start(nc net.Conn) {
	w.mu.Lock()
	w.nc = nc
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

// send queues a frame and returns its number.
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
	w.mu.Unlock()
	w.nudge()
	return seq, nil
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

func (w *frameWriter) run() {
	defer close(w.done)
	for range w.kick {
		for {
			w.mu.Lock()
			out := w.buf
			w.taken = w.queued
			w.buf, w.spare, w.offs = w.spare[:0], nil, w.offs[:0]
			nc, closing := w.nc, w.closing
			w.mu.Unlock()
			if len(out) == 0 {
				if closing {
					return
				}
				break
			}
			_, err := nc.Write(out)
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

// close refuses further frames, lets the writer write what is queued,
// and waits for it if it was started.
func (w *frameWriter) close() {
	w.mu.Lock()
	if w.failed == nil {
		w.failed = ErrClosed
	}
	w.closing = true
	started := w.nc != nil
	w.mu.Unlock()
	if started {
		w.nudge()
		<-w.done
	}
}

// readFrame reads one frame from r into a new buffer.
func readFrame(r *bufio.Reader) (id uint64, kind uint8, payload []byte, err error) {
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
	payload = make([]byte, int(n)-9)
	_, err = io.ReadFull(r, payload)
	return
}
