package epoll

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// Wait is epoll_wait(2) on epfd as a raw call: it returns the ready
// events put in events, waiting up to msec milliseconds (0: not at all;
// -1: until an event or a signal).
func Wait(epfd int, events []unix.EpollEvent, msec int) (int, error) {
	r, _, e := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(msec), 0, 0)
	if e != 0 {
		return 0, e
	}
	return int(r), nil
}
