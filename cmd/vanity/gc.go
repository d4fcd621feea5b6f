package main

import (
	"math"
	"runtime/debug"
)

// loadingGC makes the garbage collector run less often while the data
// loads, which roughly halves the load time (recovery allocates millions
// of long-lived objects and little garbage), and returns the function that
// restores the settings. A soft memory limit of three quarters of total,
// the memory the process may use (sysmem.Total), keeps the relaxed
// collector from overrunning it; a limit the user set with GOMEMLIMIT is
// left alone.
func loadingGC(total uint64) (restore func()) {
	oldPercent := debug.SetGCPercent(400)
	oldLimit := debug.SetMemoryLimit(-1)
	if oldLimit == math.MaxInt64 && total > 0 {
		debug.SetMemoryLimit(int64(total / 4 * 3))
	}
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}
