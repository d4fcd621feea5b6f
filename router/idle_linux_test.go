package router

import (
	"runtime"
	"testing"
	"time"
)

// TestIdleLoopsLetTheCollectorStop: an idle event loop waiting in a raw
// call keeps its P, and a collection must still stop the world (its
// preemption signal ends the wait). A wait that went back into the kernel
// on EINTR without returning to Go code holds every collection until a
// client comes: this test then hangs, the whole process stopped with the
// world, until go test's -timeout fails it.
func TestIdleLoopsLetTheCollectorStop(t *testing.T) {
	if runtime.GOMAXPROCS(0) == 1 {
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
