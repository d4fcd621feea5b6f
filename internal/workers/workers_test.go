package workers

import (
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
)

// TestGoNeverWaits runs more functions than there are workers, each
// blocked until all have started: none waits for another to finish.
func TestGoNeverWaits(t *testing.T) {
	p := New(2)
	defer p.Close()
	const n = 50
	var started sync.WaitGroup
	started.Add(n)
	release := make(chan struct{})
	var ran atomic.Int32
	for range n {
		p.Go(func() {
			started.Done()
			<-release
			ran.Add(1)
		})
	}
	started.Wait() // would hang if Go queued functions behind busy workers
	close(release)
	p.Close()
	if got := ran.Load(); got != n {
		t.Fatalf("%d of %d functions ran", got, n)
	}
}

// TestWorkersAreReused: after a burst, up to maxIdle workers wait, and
// the next functions run on them rather than on new goroutines.
func TestWorkersAreReused(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(3)
		var wg sync.WaitGroup
		for range 10 {
			wg.Add(1)
			p.Go(wg.Done)
		}
		wg.Wait()
		synctest.Wait() // every worker has parked or ended
		if got := p.Idle(); got != 3 {
			t.Fatalf("%d idle workers, want 3", got)
		}
		release := make(chan struct{})
		wg.Add(1)
		p.Go(func() {
			<-release
			wg.Done()
		})
		if got := p.Idle(); got != 2 {
			t.Fatalf("%d idle workers while one runs, want 2: the function did not take an idle worker", got)
		}
		close(release)
		wg.Wait()
		synctest.Wait()
		if got := p.Idle(); got != 3 {
			t.Fatalf("%d idle workers after reuse, want 3", got)
		}
		p.Close()
		if got := p.Idle(); got != 0 {
			t.Fatalf("%d idle workers after Close", got)
		}
	})
}

// TestCloseWaitsForRunningFunctions: Close returns only once every
// function handed to a worker has returned.
func TestCloseWaitsForRunningFunctions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		p := New(1)
		release := make(chan struct{})
		var done atomic.Bool
		p.Go(func() {
			<-release
			done.Store(true)
		})
		closed := make(chan struct{})
		go func() {
			p.Close()
			close(closed)
		}()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("Close returned while a function ran")
		default:
		}
		close(release)
		<-closed
		if !done.Load() {
			t.Fatal("the function did not finish before Close returned")
		}
	})
}
