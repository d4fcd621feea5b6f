package workers

import "sync"

// Pool is a set of workers. Its zero value is not usable: New makes one.
type Pool struct {
	maxIdle int
	wg      sync.WaitGroup

	mu     sync.Mutex
	idle   []chan func() // parked workers, each waiting on its channel
	closed bool
}

// New returns a pool that keeps up to maxIdle workers waiting.
func New(maxIdle int) *Pool { return &Pool{maxIdle: maxIdle} }

// Go runs fn on a worker. After Close it runs fn on a goroutine of its
// own, which Close does not wait for; the caller owns it then.
func (p *Pool) Go(fn func()) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		ch := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		ch <- fn // buffered: the worker takes it when it wakes
		return
	}
	if p.closed {
		p.mu.Unlock()
		go fn()
		return
	}
	p.wg.Add(1)
	p.mu.Unlock()
	go p.work(fn)
}

// work runs fn, then the functions handed to it while it is parked.
func (p *Pool) work(fn func()) {
	defer p.wg.Done()
	ch := make(chan func(), 1)
	for fn != nil {
		fn()
		p.mu.Lock()
		if p.closed || len(p.idle) >= p.maxIdle {
			p.mu.Unlock()
			return
		}
		p.idle = append(p.idle, ch)
		p.mu.Unlock()
		fn = <-ch
	}
}

// Idle returns the number of workers waiting for a function.
func (p *Pool) Idle() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.idle)
}

// Close ends the idle workers and waits for every worker to finish its
// function. The caller must have stopped calling Go, or accept that later
// functions run on goroutines of their own.
func (p *Pool) Close() {
	p.mu.Lock()
	p.closed = true
	for _, ch := range p.idle {
		ch <- nil
	}
	p.idle = nil
	p.mu.Unlock()
	p.wg.Wait()
}
