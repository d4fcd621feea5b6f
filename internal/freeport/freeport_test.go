package freeport

import (
	"net"
	"testing"
)

// TestPortsAreFreeDistinctAndBelowTheEphemeralRange: every port picked
// binds for TCP and UDP, none is handed out twice, and none lies where the
// kernel assigns ports on its own.
func TestPortsAreFreeDistinctAndBelowTheEphemeralRange(t *testing.T) {
	hi := ephemeralStart()
	seen := map[int]bool{}
	for range 50 {
		p, err := Port()
		if err != nil {
			t.Fatal(err)
		}
		if p < lowest || p >= hi {
			t.Fatalf("port %d outside [%d, %d)", p, lowest, hi)
		}
		if seen[p] {
			t.Fatalf("port %d handed out twice", p)
		}
		seen[p] = true
	}
	addr, err := Addr()
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("picked %s, cannot listen on it: %v", addr, err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatalf("picked %s, cannot bind UDP on it: %v", addr, err)
	}
	u.Close()
}

// TestATakenPortIsNotPicked: a port some listener holds is never picked.
func TestATakenPortIsNotPicked(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	if free(taken) {
		t.Fatalf("port %d is held by a listener, free says it is free", taken)
	}
}
