package gctune

import (
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"testing"
	"time"
)

func TestPercent(t *testing.T) {
	for _, c := range []struct {
		live, headroom uint64
		base, want     int
	}{
		{live: 16 << 20, headroom: 128 << 20, base: 100, want: 800},  // the floor: 128 MiB past 16
		{live: 1 << 30, headroom: 128 << 20, base: 100, want: 100},   // GOGC's share is larger
		{live: 100 << 20, headroom: 128 << 20, base: 200, want: 200}, // a base set by the user
		{live: 0, headroom: 128 << 20, base: 100, want: 100},         // not known yet
		{live: 1 << 20, headroom: 64 << 20, base: 100, want: 1625},   // the runtime's 4 MiB minimum, scaled, stays within 65 MiB
		{live: 1, headroom: 1 << 40, base: 100, want: maxPercent},    // bounded
	} {
		if got := Percent(c.live, c.headroom, c.base); got != c.want {
			t.Errorf("Percent(%d, %d, %d) = %d, want %d", c.live, c.headroom, c.base, got, c.want)
		}
	}
}

func TestBase(t *testing.T) {
	for v, want := range map[string]struct {
		base int
		on   bool
	}{"": {100, true}, "200": {200, true}, "off": {0, false}, "junk": {100, true}, "-1": {-1, false}} {
		env := func(string) string { return v }
		if base, on := Base(env); base != want.base || on != want.on {
			t.Errorf("GOGC=%q: %d, %v; want %d, %v", v, base, on, want.base, want.on)
		}
	}
}

// TestTunerFollowsTheLiveHeap checks that the percentage is set again
// after a collection: raised for a small heap, lowered once the heap has
// grown past the floor.
func TestTunerFollowsTheLiveHeap(t *testing.T) {
	t.Setenv("GOGC", "100")
	defer debug.SetGCPercent(100)
	tu := Start(64 << 20)
	defer tu.Stop()
	waitFor(t, func() bool { return tu.Percent() > 200 }, "a small heap to get a high percentage")
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}}
	metrics.Read(s)
	if live, goal := s[0].Value.Uint64(), s[1].Value.Uint64(); goal > live+64<<20+live/10 {
		t.Fatalf("a live heap of %d bytes may grow to %d before the next collection, past the 64 MiB floor", live, goal)
	}
	big := make([][]byte, 0, 512)
	for range 512 { // 512 MiB live: past the floor's 64 MiB
		big = append(big, make([]byte, 1<<20))
	}
	waitFor(t, func() bool { return tu.Percent() == 100 }, "a large heap to get GOGC's own percentage")
	runtime.KeepAlive(big)
	big = nil
	waitFor(t, func() bool { return tu.Percent() > 200 }, "the heap's release to raise it again")
	tu.Stop()
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("after Stop GOGC is %d, want the base 100", got)
	}
}

// waitFor collects until cond holds, failing after ten seconds.
func waitFor(t *testing.T, cond func() bool, what string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 10s for %s", what)
		}
		runtime.GC()
		time.Sleep(time.Millisecond) // lets the finalizer goroutine run; the loop's condition is the wait
	}
}

func TestStartDoesNothingWhenOff(t *testing.T) {
	t.Setenv("GOGC", "off")
	if Start(64<<20) != nil {
		t.Fatal("a tuner started under GOGC=off")
	}
	t.Setenv("GOGC", "")
	if Start(0) != nil {
		t.Fatal("a tuner started with no headroom")
	}
}

func TestBytes(t *testing.T) {
	if b, err := Bytes(128); err != nil || b != 128<<20 {
		t.Fatalf("Bytes(128) = %d, %v", b, err)
	}
	for _, bad := range []int{-1, 1<<30 + 1} {
		if _, err := Bytes(bad); err == nil {
			t.Fatalf("Bytes(%d) accepted", bad)
		}
	}
}
