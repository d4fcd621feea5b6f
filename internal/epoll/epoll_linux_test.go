package epoll

import (
	"testing"

	"golang.org/x/sys/unix"
)

// TestWait: nothing ready returns at once with no event; a ready eventfd
// is reported, also by a wait with no limit.
func TestWait(t *testing.T) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(epfd)
	efd, err := unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(efd)
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(efd)}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, efd, &ev); err != nil {
		t.Fatal(err)
	}
	events := make([]unix.EpollEvent, 4)
	if n, err := Wait(epfd, events, 0); n != 0 || err != nil {
		t.Fatalf("nothing ready: %d events, %v", n, err)
	}
	if _, err := unix.Write(efd, []byte{1, 0, 0, 0, 0, 0, 0, 0}); err != nil {
		t.Fatal(err)
	}
	n, err := Wait(epfd, events, -1)
	for err == unix.EINTR {
		n, err = Wait(epfd, events, -1)
	}
	if n != 1 || err != nil || events[0].Fd != int32(efd) {
		t.Fatalf("a ready eventfd: %d events (%v), %v", n, events[:max(n, 0)], err)
	}
}
