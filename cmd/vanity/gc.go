package main

import (
	"bufio"
	"math"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// loadingGC makes the garbage collector run less often while the data
// loads, which roughly halves the load time (recovery allocates millions
// of long-lived objects and little garbage), and returns the function that
// restores the settings. A soft memory limit of three quarters of the
// machine's memory keeps the relaxed collector from overrunning it; a
// limit the user set with GOMEMLIMIT is left alone.
func loadingGC() (restore func()) {
	oldPercent := debug.SetGCPercent(400)
	oldLimit := debug.SetMemoryLimit(-1)
	if oldLimit == math.MaxInt64 {
		if total := memTotal(); total > 0 {
			debug.SetMemoryLimit(total / 4 * 3)
		}
	}
	return func() {
		debug.SetGCPercent(oldPercent)
		debug.SetMemoryLimit(oldLimit)
	}
}

// memTotal returns the machine's memory in bytes, or 0 if unknown.
func memTotal() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err == nil {
				return kb * 1024
			}
		}
	}
	return 0
}
