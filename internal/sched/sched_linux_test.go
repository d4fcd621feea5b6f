package sched

import (
	"runtime"
	"sync"
	"testing"
)

// policies returns the policy of every thread of this process.
func policies(t *testing.T) map[int]Policy {
	t.Helper()
	tids, err := Threads(0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]Policy{}
	for _, tid := range tids {
		p, ok, err := Of(tid)
		if err != nil {
			continue // ended since the listing
		}
		if !ok {
			t.Fatalf("thread %d has a policy that is neither normal nor batch", tid)
		}
		out[tid] = p
	}
	return out
}

// lockedThreads starts n goroutines each locked to a thread of its own
// (new threads, since the locked ones are taken) and returns the function
// that ends them.
func lockedThreads(n int) (stop func()) {
	var started, ended sync.WaitGroup
	quit := make(chan struct{})
	started.Add(n)
	ended.Add(n)
	for range n {
		go func() {
			defer ended.Done()
			runtime.LockOSThread()
			defer runtime.UnlockOSThread()
			started.Done()
			<-quit
		}()
	}
	started.Wait()
	return func() {
		close(quit)
		ended.Wait()
	}
}

func TestApplySetsEveryThread(t *testing.T) {
	t.Cleanup(func() {
		if err := Apply(Normal); err != nil {
			t.Error(err)
		}
	})
	stop := lockedThreads(4) // threads that exist before Apply
	defer stop()
	if err := Apply(Batch); err != nil {
		t.Fatal(err)
	}
	for tid, p := range policies(t) {
		if p != Batch {
			t.Errorf("after Apply(batch), thread %d is %v", tid, p)
		}
	}
	// Threads started afterwards inherit the policy.
	stop2 := lockedThreads(4)
	defer stop2()
	all := policies(t)
	if len(all) < 9 {
		t.Fatalf("%d threads, want at least the 8 locked ones and this one", len(all))
	}
	for tid, p := range all {
		if p != Batch {
			t.Errorf("thread %d started after Apply(batch) is %v", tid, p)
		}
	}
	if err := Apply(Normal); err != nil {
		t.Fatal(err)
	}
	for tid, p := range policies(t) {
		if p != Normal {
			t.Errorf("after Apply(normal), thread %d is %v", tid, p)
		}
	}
}
