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
	rng      *rand.Rand
	owner    string
	name     string
	step     lockStep
	writes   int   // fenced writes answered in this taking
	token    int64 // the taking's token, once acquired
	sent     time.Time
	acquired time.Time // when the acquire of the taking answered
	wrote    time.Time // when the last fenced write was sent
	released time.Time // when the release was sent
}

// lockStep is the request a lockConn has out.
type lockStep uint8

const (
	stepAcquire lockStep = iota
	stepFenced
	stepRelease
)

// locksLoop is locksRun with every connection driven from one event loop
// on one thread, as runClosedLoop drives the other workloads: a goroutine
// per connection cost the client about 34 µs of CPU per lock operation at
// 50 connections (against 14 µs for the loop's SERIAL SET), and on a
// machine the client shares with the servers that CPU is theirs.
func locksLoop(addr string, l lockLoad) (*lockResult, error) {
	epfd, fds, closeAll, err := loopSockets(addr, vanityProto{}, l.conns)
	if err != nil {
		return nil, err
	}
	defer closeAll()
	cs := make([]*lockConn, 0, l.conns)
	for i, fd := range fds {
		cs = append(cs, &lockConn{loopClient: loopClient{index: i, fd: fd}, rng: rand.New(rand.NewPCG(uint64(i), 7)), owner: fmt.Sprintf("worker-%d", i)})
	}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	from := time.Now().Add(l.warmup)
	to := from.Add(l.d)
	res := &lockResult{acquire: &hist{}, release: &hist{}, fenced: &hist{}}
	acquire := func(c *lockConn) {
		c.name, c.step, c.writes = "lock:"+strconv.Itoa(c.rng.IntN(l.locks)), stepAcquire, 0
		c.out = appendLockFrame(c.out, "LOCK_ACQUIRE", c.name, c.owner, strconv.FormatInt(l.lease.Milliseconds(), 10))
		c.sent = time.Now()
	}
	write := func(c *lockConn) {
		c.step, c.wrote = stepFenced, time.Now()
		c.out = appendFencedFrame(c.out, c.name, c.token, c.name+":data", strconv.Itoa(c.writes))
	}
	release := func(c *lockConn) {
		c.step, c.released = stepRelease, time.Now()
		c.out = appendLockFrame(c.out, "LOCK_RELEASE", c.name, strconv.FormatInt(c.token, 10))
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
			if err != nil {
				return nil, fmt.Errorf("loadtest: a lock reply: %w", err)
			}
			now := time.Now()
			measured := c.sent.After(from) && now.Before(to)
			next := stepAcquire // what the connection sends next
			switch c.step {
			case stepAcquire:
				switch {
				case rep.Status == proto.StatusNull:
					if measured {
						res.busy++
					}
				case rep.Status != proto.StatusOK || rep.Value.Type != proto.TypeInt:
					if measured {
						res.errors++
					}
				default:
					c.token, c.acquired, next = rep.Value.Int, now, stepRelease
					if l.fenced > 0 {
						next = stepFenced
					}
				}
			case stepFenced:
				switch {
				case !measured:
				case rep.Status != proto.StatusOK:
					res.errors++
				default:
					res.fenced.record(now.Sub(c.wrote))
				}
				if c.writes++; c.writes < l.fenced {
					next = stepFenced
				} else {
					next = stepRelease
				}
			case stepRelease:
				switch {
				case rep.Status != proto.StatusOK || !rep.Value.Bool:
					if measured {
						res.errors++
					}
				case measured:
					res.acquire.record(c.acquired.Sub(c.sent))
					res.release.record(now.Sub(c.released))
					res.takings++
				}
			}
			switch {
			case now.After(to):
				c.done = true
				open--
				continue
			case next == stepFenced:
				write(c)
			case next == stepRelease:
				release(c)
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

// appendFencedFrame appends a Vanity request frame of FENCED lock token
// SET:STR key value.
func appendFencedFrame(dst []byte, lock string, token int64, key, value string) []byte {
	start := len(dst)
	dst = appendVStr(append(dst, 0, 0, 0, 0, 'F', 'E', 'N', 'C', 'E', 'D', ' '), []byte(lock))
	dst = strconv.AppendInt(append(dst, ' '), token, 10)
	dst = appendVStr(append(dst, " SET:STR "...), []byte(key))
	dst = appendVStr(append(dst, ' '), []byte(value))
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}
