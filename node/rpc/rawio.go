package rpc

import (
	"io"
	"net"
	"syscall"
	"unsafe"
)

// The RPC's sockets are non-blocking, so their reads and writes return at
// once and are made as raw system calls, without the scheduler's
// bookkeeping for a call that may block: a loopback write, which runs the
// receiving side's network stack too, often outlasts the 20 µs after which
// the runtime's monitor hands the caller's P to another thread, so such a
// write cost a handoff and a thread wake-up (the router's event loops do
// the same; docs/decisions.md, "Raw system calls on RPC sockets"). Waiting
// for a socket that is not ready still goes through the runtime's poller.

// rawWrite writes b to fd once.
func rawWrite(fd uintptr, b []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_WRITE, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(r), e
}

// rawRead reads fd once into b.
func rawRead(fd uintptr, b []byte) (int, syscall.Errno) {
	r, _, e := syscall.RawSyscall(syscall.SYS_READ, fd, uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)))
	return int(r), e
}

// rawReader reads a connection with raw system calls, parking on the
// runtime's poller only when nothing is there. It keeps the connection's
// deadlines. One goroutine reads: the function RawConn.Read calls is
// bound once, with the read's buffer and outcome beside it (a closure per
// read was two allocations).
type rawReader struct {
	rc    syscall.RawConn
	fn    func(fd uintptr) bool // r.call
	b     []byte
	n     int
	errno syscall.Errno
}

// newReader returns a reader of nc: raw for a plain socket, nc itself
// otherwise (TLS).
func newReader(nc net.Conn) io.Reader {
	if sc, ok := nc.(syscall.Conn); ok {
		if rc, err := sc.SyscallConn(); err == nil {
			r := &rawReader{rc: rc}
			r.fn = r.call
			return r
		}
	}
	return nc
}

func (r *rawReader) Read(b []byte) (int, error) {
	if len(b) == 0 {
		return 0, nil
	}
	r.b, r.n, r.errno = b, 0, 0
	err := r.rc.Read(r.fn)
	n, errno := r.n, r.errno
	r.b = nil
	switch {
	case err != nil:
		return 0, err
	case errno != 0:
		return 0, errno
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// call reads into r.b once the socket is readable, or asks to wait.
func (r *rawReader) call(fd uintptr) bool {
	for {
		k, errno := rawRead(fd, r.b)
		switch errno {
		case 0:
			r.n = k
			return true
		case syscall.EINTR:
			continue
		case syscall.EAGAIN:
			return false // wait until readable (or the deadline)
		}
		r.errno = errno
		return true
	}
}
