package epoll

import (
	"errors"

	"golang.org/x/sys/unix"
)

// Watch is a socket an event loop reads for its owner (node/rpc.Poller's
// contract): the loop calls Ready whenever the socket has input, until
// the owner forgets it; the loop then closes the socket. If the loop ends
// first it calls Gone, once, and the owner's forget only closes the
// socket.
type Watch struct {
	FD        int
	Ready     func() // reads what the socket has
	Gone      func() // the loop ended before forget
	forgotten bool   // the loop let go of it (the loop's goroutine's)
}

// Queue is what owners asked of a loop since its last turn: sockets to
// watch and sockets to let go of. It is kept under the loop's lock and
// taken by the loop's goroutine once a turn.
type Queue struct {
	Adds, Forgets []*Watch
}

// Take returns the queue and empties it.
func (q *Queue) Take() Queue {
	t := *q
	*q = Queue{}
	return t
}

// Forget queues w for its loop to let go of, or closes its socket at once
// if the loop has ended; it reports whether the loop must be woken. The
// loop's lock is held.
func (q *Queue) Forget(w *Watch, ended bool) bool {
	if ended {
		unix.Close(w.FD)
		return false
	}
	q.Forgets = append(q.Forgets, w)
	return true
}

// Watches is the set of sockets one loop watches for their owners, in
// the loop's epoll set. Only the loop's goroutine uses it.
type Watches struct {
	epfd int
	byFD map[int32]*Watch
}

// NewWatches returns an empty set whose sockets join epfd.
func NewWatches(epfd int) Watches { return Watches{epfd: epfd, byFD: map[int32]*Watch{}} }

// Get returns the watch of fd, or nil if fd is not one.
func (ws *Watches) Get(fd int32) *Watch { return ws.byFD[fd] }

// Ready reads w's socket, unless it was let go of earlier in the turn.
func (ws *Watches) Ready(w *Watch) {
	if !w.forgotten {
		w.Ready()
	}
}

// Apply starts watching q's adds and lets go of its forgets (in that
// order: a socket may be in both), closing their sockets. A socket the
// epoll set refuses is gone to its owner at once, and the error says so.
func (ws *Watches) Apply(q Queue) error {
	var errs []error
	for _, w := range q.Adds {
		ws.byFD[int32(w.FD)] = w
		ev := unix.EpollEvent{Events: unix.EPOLLIN | unix.EPOLLRDHUP, Fd: int32(w.FD)}
		if err := unix.EpollCtl(ws.epfd, unix.EPOLL_CTL_ADD, w.FD, &ev); err != nil {
			errs = append(errs, err)
			w.Gone() // its owner fails the connection and forgets it
		}
	}
	for _, w := range q.Forgets {
		delete(ws.byFD, int32(w.FD))
		w.forgotten = true
		unix.Close(w.FD) // also leaves the epoll set
	}
	return errors.Join(errs...)
}

// End lets go of every socket as the loop ends: each is gone to its
// owner, whose forget closes it.
func (ws *Watches) End() {
	for fd, w := range ws.byFD {
		delete(ws.byFD, fd)
		w.Gone()
	}
}
