package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestLocksLoopTakesAndGivesBack drives a real vanity from the event loop:
// eight connections on two locks take, write twice fenced by their token
// and give back, each release with its acquire's token (a wrong token
// answers false, a refused fenced write an error: either counts as an
// error), and find the lock held often. locksRun, the same with a
// goroutine per connection, counts the same.
func TestLocksLoopTakesAndGivesBack(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "vanity")
	if out, err := exec.Command("go", "build", "-o", bin, "../cmd/vanity").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	p, err := startVanityIn(bin, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer p.stop()
	// The lease outlives a taking, but not the run: a run leaves the
	// locks its connections held at its end to lapse before the next.
	for name, run := range map[string]func(string, lockLoad) (*lockResult, error){"loop": locksLoop, "goroutines": locksRun} {
		res, err := run(p.addr, lockLoad{conns: 8, locks: 2, fenced: 2, lease: 300 * time.Millisecond, warmup: 400 * time.Millisecond, d: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		if res.takings == 0 || res.busy == 0 || res.errors != 0 {
			t.Fatalf("%s: %d takings, %d found busy, %d errors; want takings, busy ones and no error", name, res.takings, res.busy, res.errors)
		}
		if res.acquire.n != uint64(res.takings) || res.release.n != uint64(res.takings) {
			t.Fatalf("%s: %d takings but %d acquire and %d release latencies", name, res.takings, res.acquire.n, res.release.n)
		}
		// A connection cut off at the end may have written without releasing.
		if w := res.fenced.n; w < 2*uint64(res.takings) || w > 2*uint64(res.takings)+16 {
			t.Fatalf("%s: %d takings but %d fenced writes; want two each", name, res.takings, w)
		}
		t.Logf("%s: %d takings, %d fenced writes, %d busy in a second", name, res.takings, res.fenced.n, res.busy)
	}
}
