package router

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// conn is one client connection. Its fields are owned by the goroutine
// running serve, except those under wmu.
type conn struct {
	srv    *Server
	nc     net.Conn
	fr     *proto.FrameReader
	ctx    context.Context
	cancel context.CancelFunc

	out  []byte // reply frames not yet written
	req  proto.Request
	sess session
	pubs []publication // messages to fan out after the next write
	// overflow is set when a pipe's reply outgrew MaxReply.
	overflow bool
	// held are data commands held back to run as one pipeline.
	held     []held
	heldReqs []*proto.Request
	slots    []*proto.Request // reused by held commands
	arena    []byte           // copies of held commands' frames
	replies  []byte           // reused for the backend's replies to a pipeline
	spare    []byte           // reused to rebuild out around a pipeline's replies

	// The write side once the connection has subscribed (async mode).
	wmu     sync.Mutex
	async   bool
	queued  []byte
	wake    chan struct{}
	wdone   chan struct{}
	wfailed bool
}

func newConn(s *Server, nc net.Conn) *conn {
	ctx, cancel := context.WithCancel(context.Background())
	c := &conn{srv: s, nc: nc, ctx: ctx, cancel: cancel}
	c.fr = proto.NewFrameReader(bufio.NewReaderSize(nc, 64<<10), s.cfg.MaxRequest)
	return c
}

// interrupt makes a blocked read return, so serve can finish.
func (c *conn) interrupt() {
	_ = c.nc.SetReadDeadline(time.Unix(1, 0))
}

// serve reads and answers requests until the connection ends.
func (c *conn) serve() {
	defer c.close()
	for {
		frame, err := c.fr.Next()
		if err != nil {
			switch {
			case errors.Is(err, proto.ErrFrameTooLarge):
				c.srv.log.Warn("closing connection: request frame over the limit", "remote", c.nc.RemoteAddr())
			case errors.Is(err, io.EOF), errors.Is(err, net.ErrClosed), errors.Is(err, os.ErrDeadlineExceeded):
			default:
				c.srv.log.Debug("connection read failed", "remote", c.nc.RemoteAddr(), "err", err)
			}
			c.flush()
			return
		}
		switch c.handle(frame) {
		case actClose:
			c.flush()
			return
		case actTerminate:
			c.flush()
			c.srv.terminate()
			return
		}
		if !c.fr.Ready() || len(c.out) >= 256<<10 || len(c.held) >= maxPipeline {
			if !c.flush() {
				return
			}
		}
	}
}

// flush writes the pending replies, then fans out the messages those
// requests published. It reports whether the connection is still usable.
func (c *conn) flush() bool {
	c.runHeld()
	ok := true
	if len(c.out) > 0 {
		if c.async {
			ok = c.enqueue(c.out)
		} else if _, err := c.nc.Write(c.out); err != nil {
			ok = false
		}
		if cap(c.out) > 1<<20 {
			c.out = nil
		} else {
			c.out = c.out[:0]
		}
	}
	for i, p := range c.pubs {
		c.srv.hub.publish(p)
		if c.srv.cfg.Peers != nil {
			c.srv.cfg.Peers.Publish(p.channel, p.message)
		}
		c.pubs[i] = publication{}
	}
	c.pubs = c.pubs[:0]
	return ok
}

// startAsync hands the socket's write side to a writer goroutine.
func (c *conn) startAsync() {
	if c.async {
		return
	}
	c.async = true
	c.wake = make(chan struct{}, 1)
	c.wdone = make(chan struct{})
	go c.writer()
}

// enqueue queues frames for the writer. It closes the connection and
// reports false if the queue would exceed its bound.
func (c *conn) enqueue(frames []byte) bool {
	c.wmu.Lock()
	if c.wfailed {
		c.wmu.Unlock()
		return false
	}
	if len(c.queued)+len(frames) > c.srv.cfg.MaxQueued {
		c.wfailed = true
		c.wmu.Unlock()
		c.srv.log.Warn("closing connection: subscriber is not reading its messages",
			"remote", c.nc.RemoteAddr(), "queued_bytes", len(c.queued))
		c.nc.Close()
		return false
	}
	c.queued = append(c.queued, frames...)
	c.wmu.Unlock()
	select {
	case c.wake <- struct{}{}:
	default:
	}
	return true
}

// writer writes queued frames until the connection closes; after the
// close it writes out what is still queued, within the write deadline.
func (c *conn) writer() {
	defer close(c.wdone)
	var buf []byte
	for {
		stop := false
		select {
		case <-c.wake:
		case <-c.ctx.Done():
			stop = true
		}
		for {
			c.wmu.Lock()
			buf, c.queued = c.queued, buf[:0]
			c.wmu.Unlock()
			if len(buf) == 0 {
				break
			}
			if _, err := c.nc.Write(buf); err != nil {
				c.wmu.Lock()
				c.wfailed = true
				c.wmu.Unlock()
				c.nc.Close()
				return
			}
		}
		if stop {
			return
		}
	}
}

// close ends the connection: subscriptions go, an open transaction is
// discarded with the session, the writer (if any) gets a bounded time to
// write what is queued, and the socket closes.
func (c *conn) close() {
	c.srv.hub.unsubscribeAll(c)
	if c.async {
		_ = c.nc.SetWriteDeadline(time.Now().Add(time.Second))
	}
	c.cancel()
	if c.async {
		<-c.wdone
	}
	c.nc.Close()
}

// deliver queues an ASYNC frame for a subscriber.
func (c *conn) deliver(frame []byte) {
	c.enqueue(frame)
}
