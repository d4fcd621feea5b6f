package router

import (
	"context"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/vanitydb/vanity/internal/socktest"
)

func TestLoopReadsABackendSocket(t *testing.T) {
	srv, _ := serveTCP(t, Config{EventLoops: 1})
	p := srv.Poller()
	if p == nil {
		t.Fatal("a server with event loops has no poller")
	}
	lp := srv.loops[0]
	watched, peer := socktest.Pair(t)
	defer unix.Close(peer)
	got := make(chan string, 16)
	onLoop := true
	ready := func() {
		var b [64]byte
		n, err := unix.Read(watched, b[:])
		if err != nil || n == 0 {
			return
		}
		lp.mu.Lock()
		onLoop = onLoop && lp.polling // handed connections need no wake-up now
		lp.mu.Unlock()
		got <- string(b[:n])
	}
	gone := make(chan struct{})
	forget, ok := p.Watch(watched, ready, func() { close(gone) })
	if !ok {
		t.Fatal("the loop refused a socket")
	}
	for _, msg := range []string{"one", "two"} {
		if _, err := unix.Write(peer, []byte(msg)); err != nil {
			t.Fatal(err)
		}
		select {
		case s := <-got:
			if s != msg {
				t.Fatalf("the loop read %q, want %q", s, msg)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("the loop did not read %q", msg)
		}
	}
	if !onLoop {
		t.Error("ready ran outside the loop's reading of the backend's sockets")
	}
	forget()
	socktest.ReadsEnd(t, peer)

	// A socket still watched when the server stops is gone to its owner;
	// its forget then closes it.
	watched2, peer2 := socktest.Pair(t)
	defer unix.Close(peer2)
	forget2, ok := p.Watch(watched2, func() {}, func() { close(gone) })
	if !ok {
		t.Fatal("the loop refused a socket")
	}
	if err := srv.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-gone:
	case <-time.After(10 * time.Second):
		t.Fatal("the stopped loop did not give the socket back")
	}
	forget2()
	socktest.ReadsEnd(t, peer2)
	if _, ok := p.Watch(watched2, func() {}, func() {}); ok {
		t.Error("a stopped loop took a socket")
	}
}
