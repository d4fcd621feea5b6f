package router

import (
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// Blocking pops (PROTOCOL.md §12.9): LIST_POP_LEFT_WAIT,
// LIST_POP_RIGHT_WAIT and LIST_MOVE_WAIT (§12.14) run on the connection's
// own goroutine (orderAway) and pop (or move) through the backend, as the
// connection's data commands do, until a try takes something or the time
// is up. Between tries a pop waits for a push to its key acknowledged by
// this router (popWaiters: every push of the single process, a LIST_MOVE
// pushing into the key included) or, at most, from 1 ms doubling to
// maxPopWait (a push through another router of a cluster). Each try is a
// plain data command, the same in the single process and the cluster
// (where pops keep their guarantees, docs/guarantees.md). A blocking pop
// sent with ONCE (§12.12) tries with its id (proto.OnceTry): only the try
// that takes an element is recorded, and answers the id from then on; one
// sent with RETRY is one try that never runs, answered from the record.

// maxPopWait bounds the wait between two tries: the latency an element
// pushed through another router can see, and how long a shutdown waits
// for a blocked connection.
const maxPopWait = 50 * time.Millisecond

// maxPopTimeout is the longest wait a blocking pop may ask for.
const maxPopTimeout = time.Hour

// waitPop answers a blocking pop: the pop's reply once it holds an
// element (or is an error), or its empty reply when the time is up, the
// server is shutting down or the client has gone (before a try, so an
// element is not taken for nobody). A pop of several keys (§12.27) tries
// them in order, each try a pop of one key, and answers the first that
// takes, its key before its elements. A time of 0 is one try that waits
// for nothing (Redis's LMPOP).
func (c *conn) waitPop(req *proto.Request, out []byte) []byte {
	ms := time.Duration(req.Int[1]) * time.Millisecond
	if req.Int[1] < 0 || ms > maxPopTimeout {
		return proto.AppendErrorMsg(out, "invalid timeout: 0 (one try) to 3600000 milliseconds")
	}
	keys := [][]byte{req.Str[0]}
	pop := proto.Request{Cmd: proto.CmdListPopLeft, Int: [3]int64{req.Int[0]}, OnceID: req.OnceID}
	empty := []byte("OK:LIST (0)[]") // what a try that took nothing answers
	switch req.Cmd {
	case proto.CmdListPopRightWait:
		pop.Cmd = proto.CmdListPopRight
	case proto.CmdListMoveWait:
		pop = proto.Request{Cmd: proto.CmdListMove, Str: [3][]byte{req.Str[0], req.Str[1]}, Ends: req.Ends}
		empty = proto.ReplyNull
	case proto.CmdListPopLeftWaitAny, proto.CmdListPopRightWaitAny:
		if len(req.Elems) == 0 {
			return proto.AppendErrorMsg(out, "no key: give at least one list")
		}
		keys = req.Elems
		if req.Cmd == proto.CmdListPopRightWaitAny {
			pop.Cmd = proto.CmdListPopRight
		}
	}
	switch req.Once {
	case proto.OnceFirst:
		pop.Once = proto.OnceTry // recorded only by the try that takes
	case proto.OnceRetry:
		pop.Once = proto.OnceRetry // answered once, from the record
	}
	sender := NewWaitSender(c.srv.cfg.Backend.NewSender())
	c.srv.blocked.Add(1)
	defer c.srv.blocked.Add(-1)
	deadline := time.Now().Add(ms)
	wait := c.srv.pops.firstWait()
	woken := make(chan struct{}, 1) // a push to any of the keys
	for _, k := range keys {
		c.srv.pops.add(c.sess.db, k, woken)
		defer c.srv.pops.remove(c.sess.db, k, woken)
	}
	for {
		if c.peerGone() || c.killed.Load() { // nobody would read what the pop took
			return append(out, empty...)
		}
		for _, k := range keys {
			if pop.Cmd != proto.CmdListMove {
				pop.Str[0] = k
			}
			j := &Job{Items: []Item{{DB: c.sess.db, Levels: c.sess.cons, Reqs: []*proto.Request{&pop}}}}
			sender.Run(j)
			it := &j.Items[0]
			if it.Err != nil {
				return c.backendError(out, it.Err)
			}
			reply := it.Replies[0]
			if took(reply) || pop.Once == proto.OnceRetry {
				if len(req.Elems) > 0 {
					return keyedReply(out, k, reply)
				}
				return append(out, reply...)
			}
		}
		left := time.Until(deadline)
		if left <= 0 || c.srv.isClosing() {
			return append(out, empty...)
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-woken:
		case <-t.C:
		}
		t.Stop()
		wait = min(2*wait, c.srv.pops.maxWait())
	}
}

// keyedReply appends a pop of several keys' reply for a try on key that
// took: the popped list with key before its elements, or the try's reply
// as it is when it is not a list (BAD_TYPE, an error).
func keyedReply(out, key, reply []byte) []byte {
	r, err := proto.ParseReply(reply)
	if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeList {
		return append(out, reply...)
	}
	return proto.AppendStrings(append(out, proto.ReplyOK...), proto.TypeList, append([][]byte{key}, r.Value.Strs...))
}

// popWaiters are the blocked pops of a router, by database and key, for
// its pushes to wake.
type popWaiters struct {
	n  atomic.Int32 // waiting pops: a push looks further only when some are
	mu sync.Mutex
	by map[popKey][]chan struct{}
	// first and limit are the first and the longest wait between tries
	// (0: 1 ms and maxPopWait; tests raise them).
	first, limit time.Duration
}

type popKey struct {
	db  int
	key string
}

// add registers a pop waiting on key of database db: a push to it
// signals ch (a channel of one, which a pop of several keys registers
// under each).
func (w *popWaiters) add(db int, key []byte, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.by == nil {
		w.by = map[popKey][]chan struct{}{}
	}
	k := popKey{db, string(key)}
	w.by[k] = append(w.by[k], ch)
	w.n.Add(1)
}

// remove forgets a pop add registered.
func (w *popWaiters) remove(db int, key []byte, ch chan struct{}) {
	w.mu.Lock()
	defer w.mu.Unlock()
	k := popKey{db, string(key)}
	list := slices.DeleteFunc(w.by[k], func(c chan struct{}) bool { return c == ch })
	if len(list) == 0 {
		delete(w.by, k)
	} else {
		w.by[k] = list
	}
	w.n.Add(-1)
}

// pushed wakes the pops waiting on the keys the list pushes of j wrote
// (j is done). With no pop waiting it costs one atomic load.
func (w *popWaiters) pushed(j *Job) {
	if w.n.Load() == 0 {
		return
	}
	for i := range j.Items {
		it := &j.Items[i]
		if it.Err != nil {
			continue
		}
		for _, r := range it.Reqs {
			switch r.Cmd {
			case proto.CmdListPushLeft, proto.CmdListPushRight, proto.CmdListPushLeftIfPresent, proto.CmdListPushRightIfPresent:
				w.wake(it.DB, r.Key())
			case proto.CmdListMove:
				w.wake(it.DB, r.Str[1])
			}
		}
	}
}

// wake signals every pop waiting on key of database db.
func (w *popWaiters) wake(db int, key []byte) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, ch := range w.by[popKey{db, string(key)}] {
		select {
		case ch <- struct{}{}:
		default: // already signalled
		}
	}
}

// firstWait is the wait after the first try.
func (w *popWaiters) firstWait() time.Duration {
	if w.first > 0 {
		return w.first
	}
	return time.Millisecond
}

// maxWait is the longest wait between two tries.
func (w *popWaiters) maxWait() time.Duration {
	if w.limit > 0 {
		return w.limit
	}
	return maxPopWait
}

// isClosing reports whether Shutdown has begun.
func (s *Server) isClosing() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.closing
}

// took reports whether a try's reply ends the wait: elements, or anything
// but an empty list or, from a move, NULL (an error, a key of another
// type).
func took(reply []byte) bool {
	r, err := proto.ParseReply(reply)
	if err != nil {
		return true
	}
	switch r.Status {
	case proto.StatusNull:
		return false
	case proto.StatusOK:
		return r.Value.Type != proto.TypeList || len(r.Value.Strs) > 0
	}
	return true
}
