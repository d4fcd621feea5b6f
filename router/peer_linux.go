//go:build linux

package router

import (
	"net"
	"syscall"

	"golang.org/x/sys/unix"
)

// peerGone reports whether the client has closed its side of the
// connection, or the connection failed, without taking any of its input
// (a peek): a blocked pop stops before it takes an element nobody would
// read. A connection whose socket cannot be reached reports false.
func (c *conn) peerGone() bool {
	if c.ev.lp != nil {
		return peekGone(int(c.ev.fd))
	}
	nc := c.nc
	for {
		inner, ok := nc.(interface{ NetConn() net.Conn }) // TLS
		if !ok {
			break
		}
		nc = inner.NetConn()
	}
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return false
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	gone := false
	if err := raw.Control(func(fd uintptr) { gone = peekGone(int(fd)) }); err != nil {
		return true // closed
	}
	return gone
}

// peekGone reports whether the socket fd is at its end or failed.
func peekGone(fd int) bool {
	var b [1]byte
	for {
		n, _, err := unix.Recvfrom(fd, b[:], unix.MSG_PEEK|unix.MSG_DONTWAIT)
		switch err {
		case nil:
			return n == 0 // 0 bytes: the peer closed
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // open, nothing to read
		}
		return true
	}
}
