package epoll

import "golang.org/x/sys/unix"

// OpenWoken returns a new epoll set and an eventfd in it, which Wake
// signals to end a wait on the set from another goroutine.
func OpenWoken() (epfd, wakefd int, err error) {
	if epfd, err = unix.EpollCreate1(unix.EPOLL_CLOEXEC); err != nil {
		return -1, -1, err
	}
	if wakefd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC); err != nil {
		unix.Close(epfd)
		return -1, -1, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(wakefd)}
	if err = unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, wakefd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(wakefd)
		return -1, -1, err
	}
	return epfd, wakefd, nil
}

// Wake signals wakefd: a wait on its set returns.
func Wake(wakefd int) {
	one := [8]byte{1}
	for {
		if _, err := unix.Write(wakefd, one[:]); err != unix.EINTR {
			return
		}
	}
}

// Drain clears wakefd's signal, once the loop has seen it.
func Drain(wakefd int) {
	var buf [8]byte
	unix.Read(wakefd, buf[:])
}
