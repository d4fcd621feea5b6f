//go:build !linux

package main

import "time"

// runClosedLoop is runClosed where there is no epoll.
func runClosedLoop(addr string, p protocol, w *workload, conns, depth int, warmup, d time.Duration, _ bool) (*result, error) {
	return runClosed(addr, p, w, conns, depth, warmup, d)
}
