package router

import "github.com/vanitydb/vanity/internal/epoll"

// An event loop also reads sockets of its backend's: a cluster's RPC
// connections to its storage nodes (node/rpc.Poller). The answers to a
// turn's runs are then read between turns, on the loop's goroutine, like
// its clients' requests, and the connections they finish are looked at in
// the same turn. With a reader goroutine per connection instead, each
// answer woke a thread of the scheduler, which woke the loop through its
// eventfd.

// Watch implements Poller for one loop.
func (lp *loop) Watch(fd int, ready, gone func()) (forget func(), ok bool) {
	w := &epoll.Watch{FD: fd, Ready: ready, Gone: gone}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.quit || lp.ended {
		return nil, false
	}
	lp.queued.Adds = append(lp.queued.Adds, w)
	lp.wakeLocked()
	return func() { lp.forget(w) }, true
}

// forget has the loop let go of w and close its socket, or closes it if
// the loop is gone.
func (lp *loop) forget(w *epoll.Watch) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.queued.Forget(w, lp.ended) {
		lp.wakeLocked()
	}
}

// poll reads the backend's sockets that have input. What their answers
// hand the loop it looks at right after, without a wake-up.
func (lp *loop) poll() {
	if len(lp.due) == 0 {
		return
	}
	lp.mu.Lock()
	lp.polling = true
	lp.mu.Unlock()
	ts, turns := lp.sender.(TurnSender)
	if turns {
		ts.Polling(true)
	}
	for _, w := range lp.due {
		lp.watched.Ready(w)
	}
	if turns && ts.Polling(false) {
		lp.unflushed = true // a backlog waits for the turn's Flush
	}
	lp.mu.Lock()
	lp.polling = false
	lp.mu.Unlock()
	clear(lp.due)
	lp.due = lp.due[:0]
}

// rewatch starts watching what owners asked to and lets go of what they
// forgot.
func (lp *loop) rewatch(q epoll.Queue) {
	if err := lp.watched.Apply(q); err != nil {
		lp.srv.log.Warn("event loop: epoll_ctl failed", "err", err)
	}
}

// endWatches lets go of the backend's sockets as the loop ends: those
// still watched are gone to their owners.
func (lp *loop) endWatches() {
	lp.mu.Lock()
	lp.ended = true
	q := lp.queued.Take()
	lp.mu.Unlock()
	lp.rewatch(q)
	lp.watched.End()
}
