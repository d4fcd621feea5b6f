package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestRedisThatExitsAtStartIsReported: a redis-server that exits at start
// (here a configuration it refuses; in a benchmark, a port taken) is
// reported at once with the end of its log, not waited for a minute.
func TestRedisThatExitsAtStartIsReported(t *testing.T) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		t.Skip("redis-server is not installed (the benchmarks need it, make test does not)")
	}
	start := time.Now()
	p, err := startRedisIn(bin, t.TempDir(), "--no-such-directive", "yes")
	if err == nil {
		p.stop()
		t.Fatal("a redis-server given an unknown directive started")
	}
	if !strings.Contains(err.Error(), "exited at start") || time.Since(start) > 10*time.Second {
		t.Fatalf("after %v: %v; want it reported as exited at start, at once", time.Since(start).Round(time.Millisecond), err)
	}
}
