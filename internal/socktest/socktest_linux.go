package socktest

import (
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Pair returns two connected non-blocking stream sockets; the test
// closes them.
func Pair(t testing.TB) (int, int) {
	t.Helper()
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	return fds[0], fds[1]
}

// ReadsEnd waits until fd reads the end of the stream (its peer was
// closed), failing t after 10 s.
func ReadsEnd(t testing.TB, fd int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	var b [16]byte
	for {
		n, err := unix.Read(fd, b[:])
		if n == 0 && err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the watched socket was not closed: read %d, %v", n, err)
		}
		unix.Poll([]unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}, 100)
	}
}
