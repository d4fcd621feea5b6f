package rpc

import (
	"net"
	"syscall"
	"testing"
)

// TestRawSocketIODoesNotAllocate: every frame a node reads or writes on a
// plain socket goes through rawReader.Read or rawWriteCall.write; each
// allocated a closure and its captured variables (four objects a frame
// each way under a QUORUM SET load) before the functions the runtime
// calls were bound once.
func TestRawSocketIODoesNotAllocate(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := l.Accept()
		if err != nil {
			accepted <- nil
			return
		}
		accepted <- c
	}()
	a, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b := <-accepted
	if b == nil {
		t.Fatal("accept failed")
	}
	defer b.Close()
	raw, err := a.(syscall.Conn).SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	var w rawWriteCall
	r := newReader(b)
	out, in := []byte("frame"), make([]byte, 5)
	allocs := testing.AllocsPerRun(50, func() {
		if n, err := w.write(raw, out); n != len(out) || err != nil {
			t.Fatalf("write: %d, %v", n, err)
		}
		if n, err := r.Read(in); n != len(in) || err != nil || string(in) != "frame" {
			t.Fatalf("read: %d %q, %v", n, in, err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v allocations to write and read a frame; want 0", allocs)
	}
}
