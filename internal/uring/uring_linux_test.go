package uring

import (
	"bytes"
	"testing"

	"golang.org/x/sys/unix"
)

// TestUringSendsAndReceives drives the ring directly over socket pairs:
// more operations than it has entries (run in rounds, as writeAll does),
// each completing with its tag and byte count; a receive from an empty
// socket and a send to a full one report EAGAIN instead of waiting.
func TestUringSendsAndReceives(t *testing.T) {
	u, err := New(4)
	if err != nil {
		t.Skipf("io_uring is unavailable here: %v", err)
	}
	defer u.Close()
	const pairs = 10
	var fds [pairs][2]int
	for i := range fds {
		fds[i], err = unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK, 0)
		if err != nil {
			t.Fatal(err)
		}
		defer unix.Close(fds[i][0])
		defer unix.Close(fds[i][1])
	}
	msg := func(i int) []byte { return bytes.Repeat([]byte{'a' + byte(i)}, 100+i) }
	results := map[uint64]int32{}
	record := func(tag uint64, res int32) {
		if _, dup := results[tag]; dup {
			t.Errorf("tag %d completed twice", tag)
		}
		results[tag] = res
	}
	for i := range pairs {
		if u.Full() {
			if err := u.Run(record); err != nil {
				t.Fatal(err)
			}
		}
		u.Send(int32(fds[i][0]), msg(i), uint64(i))
	}
	if err := u.Run(record); err != nil {
		t.Fatal(err)
	}
	for i := range pairs {
		if got, want := results[uint64(i)], int32(len(msg(i))); got != want {
			t.Fatalf("send %d: %d, want %d", i, got, want)
		}
	}

	clear(results)
	bufs := make([][]byte, pairs+1)
	for i := range pairs {
		if u.Full() {
			if err := u.Run(record); err != nil {
				t.Fatal(err)
			}
		}
		bufs[i] = make([]byte, 4096)
		u.Recv(int32(fds[i][1]), bufs[i], uint64(i))
	}
	bufs[pairs] = make([]byte, 4096)
	u.Recv(int32(fds[0][1]), bufs[pairs], pairs) // nothing left to read there
	if err := u.Run(record); err != nil {
		t.Fatal(err)
	}
	for i := range pairs {
		n := results[uint64(i)]
		if n < 0 || !bytes.Equal(bufs[i][:n], msg(i)) {
			t.Fatalf("receive %d: %d bytes %q", i, n, bufs[i][:max(n, 0)])
		}
	}
	if got := results[pairs]; unix.Errno(-got) != unix.EAGAIN {
		t.Fatalf("receive from an empty socket: %d, want -EAGAIN", got)
	}

	// Fill one socket, then send once more.
	big := make([]byte, 1<<20)
	for {
		n, err := unix.Write(fds[1][0], big)
		if err == unix.EAGAIN || n < len(big) {
			break
		}
	}
	clear(results)
	u.Send(int32(fds[1][0]), big, 7)
	if err := u.Run(record); err != nil {
		t.Fatal(err)
	}
	if got := results[7]; unix.Errno(-got) != unix.EAGAIN {
		t.Fatalf("send to a full socket: %d, want -EAGAIN", got)
	}
}
