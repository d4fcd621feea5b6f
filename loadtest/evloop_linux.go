package main

import (
	"cmp"
	"errors"
	"fmt"
	"runtime"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vanitydb/vanity/internal/epoll"
	"github.com/vanitydb/vanity/internal/uring"
)

// runClosedLoop is runClosed with every connection driven from one event
// loop (epoll) on one thread, as redis-benchmark does, instead of a
// goroutine each: the client then spends about half the CPU per request,
// and on a machine it shares with the server that CPU is the server's.
func runClosedLoop(addr string, p protocol, w *workload, conns, depth int, warmup, d time.Duration, batched bool) (*result, error) {
	value := make([]byte, w.valueLen)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	epfd, fds, closeAll, err := loopSockets(addr, p, conns)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	cs := make([]*loopClient, 0, conns)
	for i, fd := range fds {
		cs = append(cs, &loopClient{index: i, fd: fd, g: newKeyGen(w, uint64(i+1))})
	}

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	total := &result{}
	measureFrom := time.Now().Add(warmup)
	measureTo := measureFrom.Add(d)
	total.from = measureFrom
	send := func(c *loopClient) {
		var n int
		c.out, n = appendRequest(p, w, c.g, value, c.seq, c.out)
		c.seq += max(1, w.pipe)
		c.sent = append(c.sent, time.Now())
		c.expect = append(c.expect, n)
	}
	for _, c := range cs {
		for range depth {
			send(c)
		}
		if err := c.flush(epfd); err != nil {
			return nil, err
		}
	}
	var ring *uring.Ring
	if batched {
		if ring, err = uring.New(256); err != nil {
			return nil, fmt.Errorf("%w: %v", errNoRing, err)
		}
		defer ring.Close()
	}
	events := make([]unix.EpollEvent, len(cs))
	ready := make([]*loopClient, 0, len(cs))
	sent := make([]*loopClient, 0, len(cs)) // the connections whose writes are in the ring
	open := len(cs)
	deadline := measureTo.Add(30 * time.Second) // a server that stops answering
	for open > 0 {
		n, err := waitLoop(epfd, events, deadline)
		if err != nil {
			return nil, err
		}
		ready = ready[:0]
		for _, ev := range events[:max(n, 0)] {
			c := cs[ev.Fd]
			if ev.Events&unix.EPOLLOUT != 0 {
				if err := c.flush(epfd); err != nil {
					return nil, err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) != 0 && !c.done {
				ready = append(ready, c)
			}
		}
		// Read every ready connection (in one system call with a ring),
		// answer what arrived, then write the new requests the same way.
		if err := readReady(ring, ready); err != nil {
			return nil, err
		}
		for _, c := range ready {
			for len(c.expect) > 0 {
				size, bad := p.splitReply(c.in[c.at:])
				if size == 0 {
					break
				}
				c.at += size
				if bad {
					total.errors++
				}
				if c.expect[0]--; c.expect[0] > 0 {
					continue
				}
				now := time.Now()
				if now.After(measureFrom) && now.Before(measureTo) {
					total.lat.record(now.Sub(c.sent[0]))
					total.requests++
					total.ops += uint64(max(1, w.pipe))
				}
				c.sent = c.sent[:copy(c.sent, c.sent[1:])]
				c.expect = c.expect[:copy(c.expect, c.expect[1:])]
				if now.Before(measureTo) {
					send(c)
				}
			}
			c.in = c.in[:copy(c.in, c.in[c.at:])]
			c.at = 0
			if len(c.expect) == 0 {
				c.done = true
				open--
			}
		}
		if sent, err = writeReady(ring, ready, sent[:0], epfd); err != nil {
			return nil, err
		}
	}
	total.elapsed = d
	return total, nil
}

// readReady reads what each ready connection has: with a ring in one
// system call (a few if they outnumber its entries), else one call each.
func readReady(ring *uring.Ring, ready []*loopClient) error {
	if ring == nil {
		for _, c := range ready {
			n, err := unix.Read(c.fd, c.room())
			if err := c.got(n, err); err != nil {
				return err
			}
		}
		return nil
	}
	var ioErr error
	got := func(tag uint64, res int32) {
		var err error
		if res < 0 {
			err = ready[tag].got(0, unix.Errno(-res))
		} else {
			err = ready[tag].got(int(res), nil)
		}
		ioErr = cmp.Or(ioErr, err)
	}
	for i, c := range ready {
		if ring.Full() {
			if err := ring.Run(got); err != nil {
				return err
			}
		}
		ring.Recv(int32(c.fd), c.room(), uint64(i))
	}
	if err := ring.Run(got); err != nil {
		return err
	}
	return ioErr
}

// writeReady writes the requests of the ready connections that are still
// running, the same way, and watches for sockets that did not take them
// all. It returns sent (scratch space for the ring's tags) for reuse.
func writeReady(ring *uring.Ring, ready, sent []*loopClient, epfd int) ([]*loopClient, error) {
	if ring == nil {
		for _, c := range ready {
			if !c.done && !c.wantW {
				if err := c.flush(epfd); err != nil {
					return sent, err
				}
			}
		}
		return sent, nil
	}
	var ioErr error
	wrote := func(tag uint64, res int32) {
		c := sent[tag]
		if res > 0 {
			c.outAt += int(res)
		} else if res < 0 && unix.Errno(-res) != unix.EAGAIN {
			ioErr = cmp.Or(ioErr, error(unix.Errno(-res)))
			return
		}
		ioErr = cmp.Or(ioErr, c.watch(epfd))
	}
	for _, c := range ready {
		if c.done || c.wantW || c.outAt == len(c.out) {
			continue
		}
		if ring.Full() {
			if err := ring.Run(wrote); err != nil {
				return sent, err
			}
			sent = sent[:0]
		}
		ring.Send(int32(c.fd), c.out[c.outAt:], uint64(len(sent)))
		sent = append(sent, c)
	}
	if err := ring.Run(wrote); err != nil {
		return sent, err
	}
	return sent, ioErr
}

// loopSockets dials conns connections to addr, logs each in with p, and
// watches their sockets from a new epoll instance, each event carrying
// the socket's index in fds. closeAll closes them and the instance.
func loopSockets(addr string, p protocol, conns int) (epfd int, fds []int, closeAll func(), err error) {
	if epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return -1, nil, nil, err
	}
	closeAll = func() {
		for _, fd := range fds {
			unix.Close(fd)
		}
		unix.Close(epfd)
	}
	for i := range conns {
		wc, err := dial(addr)
		if err == nil {
			if err = p.login(wc); err != nil {
				wc.nc.Close()
			}
		}
		var fd int
		if err == nil {
			fd, err = takeSocket(wc)
		}
		if err != nil {
			closeAll()
			return -1, nil, nil, err
		}
		fds = append(fds, fd)
		ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(i)}
		if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &ev); err != nil {
			closeAll()
			return -1, nil, nil, err
		}
	}
	return epfd, fds, closeAll, nil
}

// waitLoop waits up to 100 ms for events on epfd, as a raw call that
// keeps the loop's P (the process has another), and fails once deadline
// has passed: the server stopped answering.
func waitLoop(epfd int, events []unix.EpollEvent, deadline time.Time) (int, error) {
	n, err := epoll.Wait(epfd, events, 100)
	if err == unix.EINTR {
		runtime.Gosched() // perhaps the collector asking this goroutine to stop
		n, err = 0, nil
	}
	if err != nil {
		return 0, err
	}
	if time.Now().After(deadline) {
		return 0, errors.New("loadtest: the server stopped answering")
	}
	return n, nil
}

// loopClient is one connection of runClosedLoop.
type loopClient struct {
	index  int // in the loop's list, and its epoll data
	fd     int
	g      *keyGen
	seq    int
	sent   []time.Time // send time of each request in flight
	expect []int       // replies still due for each request in flight
	in     []byte
	at     int
	out    []byte
	outAt  int
	wantW  bool // watching for the socket to take out
	done   bool
}

// takeSocket returns a duplicate of wc's socket for the loop and closes
// wc (the duplicate shares the socket's non-blocking mode).
func takeSocket(wc *wire) (int, error) {
	if wc.r.Buffered() > 0 {
		return -1, fmt.Errorf("loadtest: %d unexpected bytes after login", wc.r.Buffered())
	}
	raw, err := wc.nc.(syscall.Conn).SyscallConn()
	if err != nil {
		return -1, err
	}
	fd := -1
	cerr := raw.Control(func(s uintptr) { fd, err = unix.FcntlInt(s, unix.F_DUPFD_CLOEXEC, 0) })
	if err = errors.Join(cerr, err); err != nil {
		return -1, err
	}
	wc.nc.Close()
	return fd, nil
}

// room returns the free part of c's input buffer, grown if small.
func (c *loopClient) room() []byte {
	if cap(c.in)-len(c.in) < 16<<10 {
		grown := make([]byte, len(c.in), max(64<<10, 2*cap(c.in)))
		copy(grown, c.in)
		c.in = grown
	}
	return c.in[len(c.in):cap(c.in)]
}

// got takes the result of a read into c's room.
func (c *loopClient) got(n int, err error) error {
	switch {
	case err == unix.EAGAIN || err == unix.EINTR:
		return nil
	case err != nil:
		return err
	case n == 0:
		return errors.New("loadtest: the server closed a connection")
	}
	c.in = c.in[:len(c.in)+n]
	return nil
}

// flush writes what the socket takes of out, watching for it to take the
// rest.
func (c *loopClient) flush(epfd int) error {
	for c.outAt < len(c.out) {
		n, err := unix.Write(c.fd, c.out[c.outAt:])
		if err == unix.EINTR {
			continue
		}
		if err == unix.EAGAIN {
			break
		}
		if err != nil {
			return err
		}
		c.outAt += n
	}
	return c.watch(epfd)
}

// watch empties out once it is all written, and watches for the socket to
// take more while some is not.
func (c *loopClient) watch(epfd int) error {
	if c.outAt == len(c.out) {
		c.out, c.outAt = c.out[:0], 0
	}
	if want := c.outAt < len(c.out); want != c.wantW {
		c.wantW = want
		events := uint32(unix.EPOLLIN)
		if want {
			events |= unix.EPOLLOUT
		}
		ev := unix.EpollEvent{Events: events, Fd: int32(c.index)}
		return unix.EpollCtl(epfd, unix.EPOLL_CTL_MOD, c.fd, &ev)
	}
	return nil
}
