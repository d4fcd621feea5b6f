//go:build linux

package main

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vanitydb/vanity/proto"
)

// lockConn is one connection of locksLoop: its socket and buffers, and
// where it is in its taking.
type lockConn struct {
	loopClient
	rng       *rand.Rand
	owner     string
	name      string
	releasing bool  // the request out is the release of a taking
	token     int64 // the taking's token, while releasing
	sent      time.Time
	acquired  time.Time // when the acquire of the taking answered
}

// locksLoop is locksRun with every connection driven from one event loop
// on one thread, as runClosedLoop drives the other workloads: a goroutine
// per connection cost the client about 34 µs of CPU per lock operation at
// 50 connections (against 14 µs for the loop's SERIAL SET), and on a
// machine the client shares with the servers that CPU is theirs.
func locksLoop(addr string, conns, locks int, lease, warmup, d time.Duration) (*lockResult, error) {
	epfd, fds, closeAll, err := loopSockets(addr, vanityProto{}, conns)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	cs := make([]*lockConn, 0, conns)
	for i, fd := range fds {
		cs = append(cs, &lockConn{loopClient: loopClient{index: i, fd: fd}, rng: rand.New(rand.NewPCG(uint64(i), 7)), owner: fmt.Sprintf("worker-%d", i)})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	from := time.Now().Add(warmup)
	to := from.Add(d)
	res := &lockResult{acquire: &hist{}, release: &hist{}}
	acquire := func(c *lockConn) {
		c.name, c.releasing = "lock:"+strconv.Itoa(c.rng.IntN(locks)), false
		c.out = appendLockFrame(c.out, "LOCK_ACQUIRE", c.name, c.owner, strconv.FormatInt(lease.Milliseconds(), 10))
		c.sent = time.Now()
	}
	for _, c := range cs {
		acquire(c)
		if err := c.flush(epfd); err != nil {
			return nil, err
		}
	}
	events := make([]unix.EpollEvent, len(cs))
	open := len(cs)
	deadline := to.Add(30 * time.Second) // a server that stops answering
	var rep proto.Reply
	for open > 0 {
		n, err := waitLoop(epfd, events, deadline)
		if err != nil {
			return nil, err
		}
		for _, ev := range events[:max(n, 0)] {
			c := cs[ev.Fd]
			if ev.Events&unix.EPOLLOUT != 0 {
				if err := c.flush(epfd); err != nil {
					return nil, err
				}
			}
			if ev.Events&(unix.EPOLLIN|unix.EPOLLHUP|unix.EPOLLERR) == 0 || c.done {
				continue
			}
			r, err := unix.Read(c.fd, c.room())
			if err := c.got(r, err); err != nil {
				return nil, err
			}
			size, _ := (vanityProto{}).splitReply(c.in)
			if size == 0 {
				continue // one request is out at a time: its reply is all that comes
			}
			err = proto.ParseReplyInto(&rep, c.in[4:size])
			c.in = c.in[:copy(c.in, c.in[size:])]
			now := time.Now()
			measured := c.sent.After(from) && now.Before(to)
			release := false // the acquire took the lock: give it back next
			switch {
			case err != nil:
				return nil, fmt.Errorf("loadtest: a lock reply: %w", err)
			case !c.releasing && rep.Status == proto.StatusNull:
				if measured {
					res.busy++
				}
			case !c.releasing && (rep.Status != proto.StatusOK || rep.Value.Type != proto.TypeInt):
				if measured {
					res.errors++
				}
			case !c.releasing:
				c.token, c.acquired, release = rep.Value.Int, now, true
			case rep.Status != proto.StatusOK || !rep.Value.Bool:
				if measured {
					res.errors++
				}
			default:
				if measured {
					res.acquire.record(c.acquired.Sub(c.sent))
					res.release.record(now.Sub(c.acquired))
					res.takings++
				}
			}
			switch {
			case now.After(to):
				c.done = true
				open--
				continue
			case release:
				c.releasing = true
				c.out = appendLockFrame(c.out, "LOCK_RELEASE", c.name, strconv.FormatInt(c.token, 10))
			default:
				acquire(c)
			}
			if err := c.flush(epfd); err != nil {
				return nil, err
			}
		}
	}
	return res, nil
}

// appendLockFrame appends a Vanity request frame of cmd with args: each
// argument a length-prefixed string but a number, which goes bare.
func appendLockFrame(dst []byte, cmd string, args ...string) []byte {
	start := len(dst)
	dst = append(append(dst, 0, 0, 0, 0), cmd...)
	for i, a := range args {
		dst = append(dst, ' ')
		if i == len(args)-1 { // the lease or the token
			dst = append(dst, a...)
			continue
		}
		dst = appendVStr(dst, []byte(a))
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
