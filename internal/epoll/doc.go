// Package epoll waits for epoll(7) events as a raw system call, for the
// event loops of the router, the storage node and the load generator: a
// loop keeps its P while the kernel holds the wait, so the runtime's
// monitor does not take it at every wait and stay on its 20 µs tick
// (docs/decisions.md, "An idle event loop waits in a raw call"). A signal,
// the collector's preemption included, ends the wait with EINTR.
// TakeRawWait keeps such waits to the Ps a process can spare, counted
// across all of its loops.
//
// Watches is the set of sockets one loop reads for their owners (a
// router's loops read their nodes' answers so); a Poller is a few loops
// that do nothing else: a storage node's, reading its RPC connections.
//
// Elsewhere than on Linux the package is empty.
package epoll
