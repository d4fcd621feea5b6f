package rpc

import (
	"io"
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// A Poller reads sockets on its own goroutine for their owner: a router's
// event loop, which then reads the answers of its calls to storage nodes
// between its turns, instead of a reader goroutine per connection that has
// to wake it for each (docs/decisions.md, "The router's event loop reads
// its nodes' answers").
type Poller interface {
	// Watch calls ready on the poller's goroutine whenever fd has input
	// (or an error to read), until forget. forget may be called from any
	// goroutine, once; the poller closes fd when it is done with it. If
	// the poller stops first it calls gone, once, from its goroutine, and
	// forget only closes fd. ok is false if the poller takes nothing (it
	// has stopped): fd stays the caller's.
	Watch(fd int, ready, gone func()) (forget func(), ok bool)
}

// UsePoller makes the client's connections (plain TCP ones: TLS keeps its
// reader goroutine) read their answers on p: those dialed from now on, and
// those dialed before once they are idle (they are replaced). Answers then
// run their calls' done functions on p's goroutine.
func (c *Client) UsePoller(p Poller) {
	c.mu.Lock()
	c.poller = p
	c.mu.Unlock()
}

// polled is the input side of a connection a Poller reads: a duplicate of
// its socket, which the poller closes once forgotten, and the bytes read
// and not yet taken as frames. Only the poller's goroutine touches it.
type polled struct {
	fd int
	in []byte
	at int // in[at:] is not yet taken
}

const (
	polledRead = 64 << 10 // the first size of a polled connection's buffer
	keepPolled = 1 << 20  // a larger one is dropped once empty
)

// watch hands cc's input to its poller, if it has one and nc is a plain
// socket, and reports whether it did. The poller reads a duplicate of the
// socket and the writer writes another, each closing its own when done;
// nc itself is closed, so that Go's network poller, which would wake a
// thread for every answer, lets go of the socket.
func (c *Client) watch(cc *clientConn, nc net.Conn) bool {
	if cc.poller == nil {
		return false
	}
	rfd, wfd, ok := dupSockets(nc)
	if !ok {
		return false
	}
	cc.in = &polled{fd: rfd, in: make([]byte, 0, polledRead)}
	forget, ok := cc.poller.Watch(rfd, cc.readable, func() { cc.fail(ErrClosed) })
	if !ok {
		syscall.Close(rfd)
		syscall.Close(wfd)
		cc.in = nil
		return false
	}
	cc.w.startFD(wfd)
	nc.Close()
	cc.mu.Lock()
	if cc.err != nil { // failed meanwhile: fail found no forget to call
		cc.mu.Unlock()
		forget()
		return true
	}
	cc.forget = forget
	cc.mu.Unlock()
	return true
}

// dupSockets returns two duplicates of nc's socket, one to read and one
// to write, if nc is a plain TCP connection.
func dupSockets(nc net.Conn) (rfd, wfd int, ok bool) {
	if rfd, ok = dupSocket(nc); !ok {
		return -1, -1, false
	}
	if wfd, ok = dupSocket(nc); !ok {
		syscall.Close(rfd)
		return -1, -1, false
	}
	return rfd, wfd, true
}

// dupSocket returns a duplicate of nc's socket, if nc is a plain TCP
// connection (TLS is read and written through crypto/tls).
func dupSocket(nc net.Conn) (int, bool) {
	tc, ok := nc.(*net.TCPConn)
	if !ok {
		return -1, false
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return -1, false
	}
	fd := -1
	if cerr := raw.Control(func(s uintptr) {
		fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0)
	}); cerr != nil || err != nil {
		return -1, false
	}
	return fd, true
}

// readable reads what cc's socket has, on the poller's goroutine, and
// answers the calls of the complete frames in it. A frame's payload is
// copied out: its call's done may keep it.
func (cc *clientConn) readable() {
	err := cc.in.read(func(id uint64, st uint8, payload []byte) {
		if p := cc.answer(id); p != nil {
			p.done(append([]byte(nil), payload...), Status(st), nil)
		}
	})
	if err != nil {
		cc.fail(err)
	}
}

// read reads what pin's socket has and hands each complete frame to
// frame, whose payload is pin's buffer: valid until frame returns. It
// stops once the socket is drained, or after a few reads (the poller's
// other sockets get their turn; it comes back), and returns the error
// that ends the connection: a failed read, a malformed frame, or io.EOF.
func (pin *polled) read(frame func(id uint64, kind uint8, payload []byte)) error {
	for range 4 {
		if pin.at > 0 && (pin.at == len(pin.in) || len(pin.in) == cap(pin.in)) {
			n := copy(pin.in, pin.in[pin.at:])
			pin.in, pin.at = pin.in[:n], 0
		}
		if len(pin.in) == cap(pin.in) {
			grown := make([]byte, len(pin.in), 2*cap(pin.in))
			copy(grown, pin.in)
			pin.in = grown
		}
		room := pin.in[len(pin.in):cap(pin.in)]
		n, errno := rawRead(uintptr(pin.fd), room)
		switch {
		case errno == syscall.EINTR:
			continue
		case errno == syscall.EAGAIN:
			return nil
		case errno != 0:
			return errno
		case n == 0:
			return io.EOF
		}
		pin.in = pin.in[:len(pin.in)+n]
		if err := pin.frames(frame); err != nil {
			return err
		}
		if pin.at == len(pin.in) && cap(pin.in) > keepPolled {
			pin.in, pin.at = make([]byte, 0, polledRead), 0
		}
		if n < len(room) {
			return nil // the socket is drained
		}
	}
	return nil
}

// frames hands frame the complete frames in pin and leaves an incomplete
// one's bytes. The buffer grows toward a frame's size as its bytes
// arrive, as readFrame's does.
func (pin *polled) frames(frame func(id uint64, kind uint8, payload []byte)) error {
	for {
		b := pin.in[pin.at:]
		if len(b) < frameHeader {
			return nil
		}
		id, kind, size, err := parseHeader(b)
		if err != nil {
			return err
		}
		if len(b) < frameHeader+size {
			return nil
		}
		pin.at += frameHeader + size
		frame(id, kind, b[frameHeader:frameHeader+size:frameHeader+size])
	}
}
