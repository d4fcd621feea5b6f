//go:build !linux

package main

import "time"

// locksLoop is locksRun where there is no epoll.
func locksLoop(addr string, conns, locks int, lease, warmup, d time.Duration) (*lockResult, error) {
	return locksRun(addr, conns, locks, lease, warmup, d)
}
