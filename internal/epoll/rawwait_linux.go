package epoll

import (
	"runtime"
	"sync/atomic"
)

// rawWaiters counts this process's event loops that wait in a raw call.
var rawWaiters atomic.Int32

// TakeRawWait reports whether one more event loop may wait for events in
// a raw call, keeping its P while the kernel holds the wait, and counts it
// if so: only while a P is left for the rest of the process, whatever
// loops it runs (a router's, a storage node's, several nodes' in one test
// process). Give it back with ReleaseRawWait when the loop ends.
//
// As a blocking call, a loop's wait had the runtime's monitor take its P
// each time it went idle, and kept the monitor on its 20 µs tick: 13.5% of
// a router's CPU under serial writes, whose answers keep it waiting
// (docs/decisions.md, "An idle event loop waits in a raw call"). The
// collector still stops such a loop: its preemption signal ends the wait
// (EINTR), and so does the monitor's, after 10 ms in one wait.
func TakeRawWait() bool {
	for {
		n := rawWaiters.Load()
		if int(n)+1 >= runtime.GOMAXPROCS(0) {
			return false
		}
		if rawWaiters.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// ReleaseRawWait gives back what TakeRawWait took.
func ReleaseRawWait() { rawWaiters.Add(-1) }
