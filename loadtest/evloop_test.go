package main

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// frameServer is a stand-in Vanity server for testing the load generator:
// it answers AUTH with OK and every other frame with OK, except every
// seventh, which it answers with an error. It splits each reply across two
// writes so that the client sees replies arrive in pieces.
type frameServer struct {
	l              net.Listener
	frames, errors atomic.Int64
	wg             sync.WaitGroup
}

func startFrameServer(t *testing.T) *frameServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &frameServer{l: l}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer nc.Close()
				s.serve(nc)
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		s.wg.Wait()
	})
	return s
}

func (s *frameServer) serve(nc net.Conn) {
	r := bufio.NewReader(nc)
	w := bufio.NewWriter(nc)
	var head [4]byte
	for {
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if _, err := io.ReadFull(r, head[:]); err != nil {
			return
		}
		frame := make([]byte, binary.BigEndian.Uint32(head[:]))
		if _, err := io.ReadFull(r, frame); err != nil {
			return
		}
		reply := "OK"
		if !strings.HasPrefix(string(frame), "AUTH ") && s.frames.Add(1)%7 == 0 {
			reply = "ERROR(7)nothing"
			s.errors.Add(1)
		}
		out := binary.BigEndian.AppendUint32(nil, uint32(len(reply)))
		out = append(out, reply...)
		w.Write(out[:3])
		w.Flush()
		w.Write(out[3:])
	}
}

// TestClosedLoopCountsEveryReply runs the event-loop client, with and
// without io_uring, at one and at 16 requests in flight and with PIPE
// batches: it must read every reply, count each error the server sent,
// and count no more requests than the server answered.
func TestClosedLoopCountsEveryReply(t *testing.T) {
	for _, c := range []struct {
		name        string
		depth, pipe int
	}{{"depth1", 1, 0}, {"depth16", 16, 0}, {"pipe8", 1, 8}} {
		for _, batched := range []bool{true, false} {
			name := c.name + map[bool]string{true: "/io_uring", false: "/plain"}[batched]
			t.Run(name, func(t *testing.T) {
				s := startFrameServer(t)
				w := &workload{name: "set", ops: []op{opSet}, keys: 1000, valueLen: 16, pipe: c.pipe}
				r, err := runClosedLoop(s.l.Addr().String(), vanityProto{}, w, 8, c.depth, 0, 200*time.Millisecond, batched)
				if errors.Is(err, errNoRing) {
					t.Skip(err)
				}
				if err != nil {
					t.Fatal(err)
				}
				if r.requests == 0 || r.requests > uint64(s.frames.Load()) {
					t.Fatalf("counted %d requests; the server answered %d", r.requests, s.frames.Load())
				}
				if want := uint64(s.errors.Load()); r.errors != want {
					t.Fatalf("counted %d errors; the server sent %d", r.errors, want)
				}
				if ops := r.requests * uint64(max(1, c.pipe)); r.ops != ops {
					t.Fatalf("%d operations for %d requests of %d", r.ops, r.requests, max(1, c.pipe))
				}
			})
		}
	}
}
