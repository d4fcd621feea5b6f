// Package socktest gives tests connected sockets as raw descriptors: a
// pair of non-blocking stream sockets, and a wait for one to read its
// peer's close. The event loops' tests (internal/epoll, router) watch
// them.
package socktest
