package router

import (
	"time"

	"github.com/vanitydb/vanity/proto"
)

// Blocking pops (PROTOCOL.md §12.9): LIST_POP_LEFT_WAIT and
// LIST_POP_RIGHT_WAIT run on the connection's own goroutine (orderAway)
// and pop through the backend, as the connection's data commands do,
// until the pop takes something or the time is up, waiting between tries
// from 1 ms, doubling, to at most maxPopWait. Polling keeps the pop a
// plain data command, the same in the single process and the cluster
// (where pops keep their guarantees, docs/guarantees.md); a pop woken by
// the push itself can come later.

// maxPopWait bounds the wait between two tries: the latency an element
// pushed to an empty list can see, and how long a shutdown waits for a
// blocked connection.
const maxPopWait = 50 * time.Millisecond

// maxPopTimeout is the longest wait a blocking pop may ask for.
const maxPopTimeout = time.Hour

// waitPop answers a blocking pop: the pop's reply once it holds an
// element (or is an error), or its empty reply when the time is up or the
// server is shutting down.
func (c *conn) waitPop(req *proto.Request, out []byte) []byte {
	ms := time.Duration(req.Int[1]) * time.Millisecond
	if req.Int[1] <= 0 || ms > maxPopTimeout {
		return proto.AppendErrorMsg(out, "invalid timeout: 1 to 3600000 milliseconds")
	}
	pop := proto.Request{Cmd: proto.CmdListPopLeft, Str: [3][]byte{req.Str[0]}, Int: [2]int64{req.Int[0]}}
	if req.Cmd == proto.CmdListPopRightWait {
		pop.Cmd = proto.CmdListPopRight
	}
	sender := NewWaitSender(c.srv.cfg.Backend.NewSender())
	deadline := time.Now().Add(ms)
	wait := time.Millisecond
	for {
		j := &Job{Items: []Item{{DB: c.sess.db, Levels: c.sess.cons, Reqs: []*proto.Request{&pop}}}}
		sender.Run(j)
		it := &j.Items[0]
		if it.Err != nil {
			return c.backendError(out, it.Err)
		}
		reply := it.Replies[0]
		left := time.Until(deadline)
		if took(reply) || left <= 0 || c.srv.isClosing() {
			return append(out, reply...)
		}
		time.Sleep(min(wait, left))
		wait = min(2*wait, maxPopWait)
	}
}

// isClosing reports whether Shutdown has begun.
func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// took reports whether a pop's reply ends the wait: elements, or anything
// but an empty list (an error, a key of another type).
func took(reply []byte) bool {
	r, err := proto.ParseReply(reply)
	return err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeList || len(r.Value.Strs) > 0
}
