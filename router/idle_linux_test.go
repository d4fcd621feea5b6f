package router

import (
	"runtime"
	"testing"
	"time"
)

// TestIdleWait: loops wait in a raw call only while a P is left over for
// the rest of the process.
func TestIdleWait(t *testing.T) {
	for _, c := range []struct {
		procs, loops int
		raw          bool
	}{{2, 1, true}, {8, 7, true}, {1, 1, false}, {4, 4, false}} {
		if got := idleWait(c.procs, c.loops); got != c.raw {
			t.Errorf("idleWait(%d, %d) = %v, want %v", c.procs, c.loops, got, c.raw)
		}
	}
}

// TestIdleLoopsLetTheCollectorStop: an idle event loop waiting in a raw
// call keeps its P, and a collection must still stop the world (its
// preemption signal ends the wait). A wait that went back into the kernel
// on EINTR without returning to Go code holds every collection until a
// client comes: this test then hangs, the whole process stopped with the
// world, until go test's -timeout fails it.
func TestIdleLoopsLetTheCollectorStop(t *testing.T) {
	if !idleWait(runtime.GOMAXPROCS(0), 1) {
		t.Skip("one P: loops wait in a blocking call")
	}
	srv, _ := serveTCP(t, Config{EventLoops: 1})
	if !loopsSupported || len(srv.loops) == 0 {
		t.Skip("no event loops here")
	}
	if !srv.loops[0].rawWait {
		t.Fatal("an event loop with a P to spare waits in a blocking call")
	}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	for range 5 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	if after.NumGC-before.NumGC < 5 {
		t.Fatalf("%d collections ran, want 5", after.NumGC-before.NumGC)
	}
	t.Logf("5 collections beside an idle loop in %v", time.Since(start))
}
