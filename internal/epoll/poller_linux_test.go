package epoll

import (
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
