package epoll

import (
	"runtime"
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

// TestRawWaitsLeaveAP: loops wait in a raw call only while a P is left
// over for the rest of the process, counted across all of its loops.
func TestRawWaitsLeaveAP(t *testing.T) {
	for _, procs := range []int{1, 2, 4} {
		old := runtime.GOMAXPROCS(procs)
		taken := 0
		for range procs + 2 {
			if TakeRawWait() {
				taken++
			}
		}
		if taken != procs-1 {
			t.Errorf("GOMAXPROCS %d: %d raw waits taken, want %d", procs, taken, procs-1)
		}
		for range taken {
			ReleaseRawWait()
		}
		if TakeRawWait() != (procs > 1) {
			t.Errorf("GOMAXPROCS %d: a raw wait given back is not taken again", procs)
		} else if procs > 1 {
			ReleaseRawWait()
		}
		runtime.GOMAXPROCS(old)
	}
}
