package client

import (
	"errors"
	"net"
	"testing"
	"time"
)

// TestTimeout: against a server that never answers (stopped, or cut off),
// a request gives ErrTimeout after Options.Timeout instead of blocking for
// ever, and the connection is closed, since a late reply would be taken
// for the next request's.
func TestTimeout(t *testing.T) {
	for _, opts := range []Options{{Timeout: 200 * time.Millisecond}, {Timeout: -1, ReadTimeout: 200 * time.Millisecond}} {
		testTimeout(t, opts)
	}
}

func testTimeout(t *testing.T, opts Options) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		nc, err := l.Accept()
		if err == nil {
			accepted <- nc // held open, never answered
		}
	}()
	opts.NoLogin = true
	c, err := Dial(l.Addr().String(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	nc := <-accepted
	defer nc.Close()
	start := time.Now()
	if _, err := c.Get("k"); !errors.Is(err, ErrTimeout) {
		t.Fatalf("a silent server: %v", err)
	}
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Fatalf("gave up after %v, before the timeout", waited)
	}
	if _, err := c.Get("k"); err == nil {
		t.Fatal("the connection was used again after a timeout")
	}
}
