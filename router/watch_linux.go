package router

import "golang.org/x/sys/unix"

// An event loop also reads sockets of its backend's: a cluster's RPC
// connections to its storage nodes (node/rpc.Poller). The answers to a
// turn's runs are then read between turns, on the loop's goroutine, like
// its clients' requests, and the connections they finish are looked at in
// the same turn. With a reader goroutine per connection instead, each
// answer woke a thread of the scheduler, which woke the loop through its
// eventfd.

// watched is one of the backend's sockets.
type watched struct {
	fd        int
	ready     func() // reads what the socket has
	gone      func() // the loop stopped before forget
	forgotten bool   // the loop let go of it (owned by the loop's goroutine)
}

// Watch implements Poller for one loop.
func (lp *loop) Watch(fd int, ready, gone func()) (forget func(), ok bool) {
	w := &watched{fd: fd, ready: ready, gone: gone}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.quit || lp.ended {
		return nil, false
	}
	lp.adds = append(lp.adds, w)
	lp.wakeLocked()
	return func() { lp.forget(w) }, true
}

// forget has the loop let go of w and close its socket, or closes it if
// the loop is gone.
func (lp *loop) forget(w *watched) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.ended {
		unix.Close(w.fd)
		return
	}
	lp.forgets = append(lp.forgets, w)
	lp.wakeLocked()
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
		if !w.forgotten {
			w.ready()
		}
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

// rewatch starts watching adds and lets go of forgets (in that order: a
// socket may be in both).
func (lp *loop) rewatch(adds, forgets []*watched) {
	for _, w := range adds {
		lp.watched[int32(w.fd)] = w
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(w.fd)}
		if err := unix.EpollCtl(lp.epfd, unix.EPOLL_CTL_ADD, w.fd, &ev); err != nil {
			lp.srv.log.Warn("event loop: epoll_ctl failed", "err", err)
			w.gone() // its owner fails the connection and forgets it
		}
	}
	for _, w := range forgets {
		delete(lp.watched, int32(w.fd))
		w.forgotten = true
		unix.Close(w.fd) // also leaves the epoll set
	}
}

// endWatches lets go of the backend's sockets as the loop ends: those
// still watched are gone to their owners.
func (lp *loop) endWatches() {
	lp.mu.Lock()
	lp.ended = true
	adds, forgets := lp.adds, lp.forgets
	lp.adds, lp.forgets = nil, nil
	lp.mu.Unlock()
	for _, w := range adds {
		lp.watched[int32(w.fd)] = w
	}
	for _, w := range forgets {
		delete(lp.watched, int32(w.fd))
		w.forgotten = true
		unix.Close(w.fd)
	}
	for fd, w := range lp.watched {
		delete(lp.watched, fd)
		w.gone() // its owner's forget closes the socket
	}
}
