//go:build !linux

package main

// locksLoop is locksRun where there is no epoll.
func locksLoop(addr string, l lockLoad) (*lockResult, error) {
	return locksRun(addr, l)
}
