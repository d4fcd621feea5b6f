package main

import (
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// TestLocksLoopTakesAndGivesBack drives a real vanity from the event loop:
// eight connections on two locks take and give back, each release with
// its acquire's token (a wrong token answers false and counts as an
// error), and find the lock held often.
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
	res, err := locksLoop(p.addr, 8, 2, 10*time.Second, 0, time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if res.takings == 0 || res.busy == 0 || res.errors != 0 {
		t.Fatalf("%d takings, %d found busy, %d errors; want takings, busy ones and no error", res.takings, res.busy, res.errors)
	}
	if res.acquire.n != uint64(res.takings) || res.release.n != uint64(res.takings) {
		t.Fatalf("%d takings but %d acquire and %d release latencies", res.takings, res.acquire.n, res.release.n)
	}
	t.Logf("%d takings, %d busy in a second", res.takings, res.busy)
}
