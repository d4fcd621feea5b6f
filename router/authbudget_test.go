package router

import (
	"net"
	"testing"
	"time"
)

func TestAuthBudget(t *testing.T) {
	a := newAuthBudget(6) // one attempt back every 10 s
	t0 := time.Unix(1000, 0)
	for i := range 6 {
		if w := a.take("10.0.0.1", t0); w != 0 {
			t.Fatalf("attempt %d refused (%v)", i+1, w)
		}
	}
	if w := a.take("10.0.0.1", t0); w != 10*time.Second {
		t.Fatalf("a seventh attempt at once: wait %v, want 10s", w)
	}
	if w := a.take("10.0.0.2", t0); w != 0 {
		t.Fatal("another address shares the budget")
	}
	if w := a.take("10.0.0.1", t0.Add(4*time.Second)); w != 6*time.Second {
		t.Fatalf("4 s later: wait %v, want 6s", w)
	}
	if w := a.take("10.0.0.1", t0.Add(10*time.Second)); w != 0 {
		t.Fatalf("10 s later: refused (%v)", w)
	}
	// Successes give their attempt back: only failures spend.
	for range 100 {
		if a.take("10.0.0.3", t0) != 0 {
			t.Fatal("successful attempts ran out")
		}
		a.refund("10.0.0.3", t0)
	}
	if newAuthBudget(-1).take("x", t0) != 0 {
		t.Fatal("no limit refused")
	}
	// Addresses whose buckets are full again are forgotten when the map is big.
	big := newAuthBudget(60)
	for i := range maxSources {
		big.take(net.IPv4(10, byte(i>>16), byte(i>>8), byte(i)).String(), t0)
	}
	big.take("fresh", t0.Add(time.Hour))
	if len(big.sources) != 1 {
		t.Fatalf("%d sources tracked after the others refilled", len(big.sources))
	}
}

func TestSourceOf(t *testing.T) {
	a := sourceOf(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 5000})
	b := sourceOf(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 6000})
	if a != b || a != "127.0.0.1" {
		t.Fatalf("ports of one host: %q, %q", a, b)
	}
	if u := sourceOf(&net.UnixAddr{Name: "/tmp/s", Net: "unix"}); u != "unix:/tmp/s" {
		t.Fatalf("unix: %q", u)
	}
}
