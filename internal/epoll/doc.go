// Package epoll waits for epoll(7) events as a raw system call, for the
// event loops of the router and of the load generator: a loop keeps its P
// while the kernel holds the wait, so the runtime's monitor does not take
// it at every wait and stay on its 20 µs tick (docs/decisions.md, "An
// idle event loop waits in a raw call"). A signal, the collector's
// preemption included, ends the wait with EINTR.
//
// Elsewhere than on Linux the package is empty.
package epoll
