//go:build !linux

package router

import (
	"errors"
	"net"
	"sync/atomic"
)

// Event loops are Linux's (epoll); elsewhere a goroutine serves each
// connection.
type loop struct{}

type loopConn struct {
	lp   *loop
	stop atomic.Bool
}

func (*loopConn) ready(*conn) bool { return false }
func (*loopConn) onLoop() bool     { return false }

func startLoops(*Server, int) []*loop { return nil }

func (*loop) attach(*conn, net.Conn) error { return errors.New("router: no event loops here") }
func (*loop) hand(*conn)                   {}
func (*loop) send(*conn, []byte) bool      { return false }
func (*loop) stop()                        {}
func (*loop) batched() bool                { return false }

func (*loop) Watch(int, func(), func()) (func(), bool) { return nil, false }

const loopsSupported = false

func (*loop) later(*conn)  {}
func (*loop) submit(*conn) {}
