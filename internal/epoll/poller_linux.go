package epoll

import (
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// Poller calls a function for each watched socket that has input, from a
// few goroutines of its own, each waiting in epoll_wait for all its
// sockets at once: a storage node's RPC connections, whose frames its
// handlers take without a goroutine each. A reader goroutine per
// connection instead parks after every frame (a read that finds nothing,
// then the runtime's poller and a thread wake-up for the next one).
type Poller struct {
	loops []*pollLoop
	next  atomic.Uint32
}

// pollLoop is one goroutine of a Poller and the sockets it watches.
type pollLoop struct {
	epfd, wakefd int
	rawWait      bool // wait in a raw call, keeping the P (TakeRawWait)
	events       []unix.EpollEvent
	set          Watches // the loop's goroutine's
	done         chan struct{}
	waiting      []metrics.Sample // the scheduler's count of runnable goroutines (the loop's goroutine's)

	mu     sync.Mutex
	queued Queue
	woken  bool
	quit   bool // Close asked the loop to end
	ended  bool // the loop is gone: a forget closes its socket itself
}

// NewPoller starts a poller of n goroutines (at least one).
func NewPoller(n int) (*Poller, error) {
	n = max(n, 1)
	p := &Poller{}
	for range n {
		lp, err := newPollLoop(TakeRawWait())
		if err != nil {
			p.Close()
			return nil, err
		}
		p.loops = append(p.loops, lp)
	}
	return p, nil
}

func newPollLoop(rawWait bool) (*pollLoop, error) {
	epfd, wakefd, err := OpenWoken()
	if err != nil {
		if rawWait {
			ReleaseRawWait()
		}
		return nil, err
	}
	lp := &pollLoop{epfd: epfd, wakefd: wakefd, rawWait: rawWait, events: make([]unix.EpollEvent, 64),
		set: NewWatches(epfd), done: make(chan struct{}),
		waiting: []metrics.Sample{{Name: "/sched/goroutines/runnable:goroutines"}}}
	go lp.run()
	return lp, nil
}

// Watch calls ready on one of the poller's goroutines whenever fd has
// input (or an error to read), until forget; see Watches for the
// contract. ok is false once the poller is closed.
func (p *Poller) Watch(fd int, ready, gone func()) (forget func(), ok bool) {
	if len(p.loops) == 0 {
		return nil, false
	}
	lp := p.loops[int(p.next.Add(1))%len(p.loops)]
	w := &Watch{FD: fd, Ready: ready, Gone: gone}
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.quit {
		return nil, false
	}
	lp.queued.Adds = append(lp.queued.Adds, w)
	lp.wakeLocked()
	return func() { lp.forget(w) }, true
}

func (lp *pollLoop) forget(w *Watch) {
	lp.mu.Lock()
	defer lp.mu.Unlock()
	if lp.queued.Forget(w, lp.ended) {
		lp.wakeLocked()
	}
}

func (lp *pollLoop) wakeLocked() {
	if lp.woken {
		return
	}
	lp.woken = true
	Wake(lp.wakefd)
}

// Close stops the poller: the sockets still watched are gone to their
// owners (Watch's gone), whose forget then closes them.
func (p *Poller) Close() {
	for _, lp := range p.loops {
		lp.mu.Lock()
		lp.quit = true
		lp.wakeLocked()
		lp.mu.Unlock()
		<-lp.done
	}
}

func (lp *pollLoop) run() {
	defer close(lp.done)
	interrupted := false
	for {
		// The goroutines the last turn's handlers woke (a vote waiting
		// for its fsync, a proposer for its answers) are queued on this
		// loop's P, which a raw wait keeps: they run on it now rather
		// than wait for another thread to wake and take them (SERIAL
		// writes 0.8x, locked to its thread without this; the loop is
		// not locked, so that they run on this thread). A yield wakes
		// an idle thread whether or not anything waits to run, so the
		// loop yields only when the scheduler counts runnable
		// goroutines, or when a signal (the collector's, the monitor's)
		// ended its wait.
		if interrupted || lp.othersRunnable() {
			runtime.Gosched()
		}
		n, err := Wait(lp.epfd, lp.events, 0)
		if n == 0 && err == nil {
			if lp.rawWait {
				n, err = Wait(lp.epfd, lp.events, -1)
			} else {
				n, err = unix.EpollWait(lp.epfd, lp.events, -1)
			}
		}
		interrupted = err != nil
		if err != nil {
			n = 0 // EINTR: a signal, perhaps the collector's; the loop yields at the top
		}
		for _, ev := range lp.events[:n] {
			if w := lp.set.Get(ev.Fd); w != nil {
				lp.set.Ready(w)
			}
		}
		lp.mu.Lock()
		q := lp.queued.Take()
		quit := lp.quit
		if lp.woken {
			lp.woken = false
			Drain(lp.wakefd)
		}
		lp.mu.Unlock()
		lp.set.Apply(q)
		if quit {
			lp.end()
			return
		}
	}
}

// othersRunnable reports whether the scheduler counts goroutines waiting
// to run (on any P: the count is the runtime's own, read in about 0.1 µs).
func (lp *pollLoop) othersRunnable() bool {
	metrics.Read(lp.waiting)
	return lp.waiting[0].Value.Kind() == metrics.KindUint64 && lp.waiting[0].Value.Uint64() > 0
}

// end lets go of every socket: those still watched are gone to their
// owners, whose forgets then close them.
func (lp *pollLoop) end() {
	lp.mu.Lock()
	lp.ended = true
	q := lp.queued.Take()
	lp.mu.Unlock()
	lp.set.Apply(q)
	lp.set.End()
	unix.Close(lp.wakefd)
	unix.Close(lp.epfd)
	if lp.rawWait {
		ReleaseRawWait()
	}
}
