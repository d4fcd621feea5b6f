package epoll

import (
	"runtime"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vanitydb/vanity/internal/socktest"
)

func TestPollerReadsSockets(t *testing.T) {
	p, err := NewPoller(2)
	if err != nil {
		t.Fatal(err)
	}
	type sock struct{ watched, peer int }
	var socks []sock
	got := make(chan string, 16)
	gone := make(chan int, 4)
	var forgets []func()
	for i := range 3 {
		w, peer := socktest.Pair(t)
		defer unix.Close(peer)
		socks = append(socks, sock{w, peer})
		forget, ok := p.Watch(w, func() {
			var b [64]byte
			if n, err := unix.Read(w, b[:]); err == nil && n > 0 {
				got <- string(b[:n])
			}
		}, func() { gone <- i })
		if !ok {
			t.Fatal("the poller refused a socket")
		}
		forgets = append(forgets, forget)
	}
	for i, s := range socks {
		for _, msg := range []string{"one", "two"} {
			want := msg + string(rune('0'+i))
			if _, err := unix.Write(s.peer, []byte(want)); err != nil {
				t.Fatal(err)
			}
			select {
			case s := <-got:
				if s != want {
					t.Fatalf("read %q, want %q", s, want)
				}
			case <-time.After(10 * time.Second):
				t.Fatalf("the poller did not read %q", want)
			}
		}
	}
	forgets[0]()
	socktest.ReadsEnd(t, socks[0].peer)

	p.Close()
	for range 2 {
		select {
		case i := <-gone:
			if i == 0 {
				t.Error("a forgotten socket was given back at Close")
			}
		case <-time.After(10 * time.Second):
			t.Fatal("the closed poller did not give a socket back")
		}
	}
	forgets[1]()
	forgets[2]()
	socktest.ReadsEnd(t, socks[1].peer)
	socktest.ReadsEnd(t, socks[2].peer)
	w, peer := socktest.Pair(t)
	defer unix.Close(peer)
	defer unix.Close(w)
	if _, ok := p.Watch(w, func() {}, func() {}); ok {
		t.Error("a closed poller took a socket")
	}
}

// TestLoopRunsTheGoroutinesItsHandlersWake: a loop waiting in a raw call
// keeps its P, so a goroutine its handler woke is queued there. With every
// other P busy (here a goroutine that yields in a loop, so the other P
// always finds work in the global queue and never steals), the woken
// goroutine runs only when the loop yields: at once if the loop sees it
// waiting, or when the runtime's monitor preempts the loop (up to 10 ms
// later) if it does not.
func TestLoopRunsTheGoroutinesItsHandlersWake(t *testing.T) {
	defer runtime.GOMAXPROCS(runtime.GOMAXPROCS(2))
	p := rawWaitingPoller(t)
	defer p.Close()
	w, peer := socktest.Pair(t)
	defer unix.Close(peer)
	wake := make(chan time.Time, 1)
	if _, ok := p.Watch(w, func() {
		var b [8]byte
		if n, err := unix.Read(w, b[:]); err == nil && n > 0 {
			wake <- time.Now() // readies the parked waiter below
		}
	}, func() {}); !ok {
		t.Fatal("the poller refused a socket")
	}
	delays := make(chan time.Duration, 1)
	go func() {
		for sent := range wake {
			delays <- time.Since(sent)
		}
	}()
	var stop atomic.Bool
	busy := make(chan struct{})
	go func() {
		defer close(busy)
		for !stop.Load() {
			runtime.Gosched()
		}
	}()
	defer func() { stop.Store(true); <-busy; close(wake) }()

	const rounds = 21
	var got []time.Duration
	for range rounds {
		if _, err := unix.Write(peer, []byte{1}); err != nil {
			t.Fatal(err)
		}
		select {
		case d := <-delays:
			got = append(got, d)
		case <-time.After(10 * time.Second):
			t.Fatal("the woken goroutine never ran")
		}
	}
	slices.Sort(got)
	if median := got[rounds/2]; median > time.Millisecond {
		t.Fatalf("a goroutine woken by a handler waited %v (median of %d; all: %v): the loop did not yield to it", median, rounds, got)
	}
}

// rawWaitingPoller starts a poller of one loop that waits in a raw call,
// or skips the test.
func rawWaitingPoller(t *testing.T) *Poller {
	t.Helper()
	p, err := NewPoller(1)
	if err != nil {
		t.Fatal(err)
	}
	if !p.loops[0].rawWait {
		p.Close()
		t.Skip("the loop waits in a blocking call (no P to spare)")
	}
	return p
}

// TestIdlePollerLetsTheCollectorStop: an idle loop waiting in a raw call
// keeps its P, and a collection must still stop the world: its preemption
// signal ends the wait. A loop that waited again without returning to Go
// code would hold every collection (this test would then hang until go
// test's -timeout).
func TestIdlePollerLetsTheCollectorStop(t *testing.T) {
	p := rawWaitingPoller(t)
	defer p.Close()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for range 5 {
		runtime.GC()
	}
	runtime.ReadMemStats(&after)
	if n := after.NumGC - before.NumGC; n < 5 {
		t.Fatalf("%d collections ran, want 5", n)
	}
}
