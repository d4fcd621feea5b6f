// Package router is Vanity's client-facing front end: it accepts
// connections, keeps each client's session (user, level, database,
// consistency levels, open transaction, subscriptions), checks permissions,
// parses requests and sends data commands to a Backend. It never touches
// storage itself: in the single-process server the Backend is the local
// node; in a cluster it routes to storage nodes over RPC.
//
// # Connections
//
// Each connection has one goroutine that reads frames, handles them in
// order and appends the reply frames to an output buffer, which it writes
// out when no further complete request is already buffered: a pipelined
// burst is answered with one write. Once a connection subscribes to a
// channel, a second goroutine owns the socket's write side, so that
// published messages can reach it while its reader waits; replies and
// messages then pass through a bounded queue, and a subscriber that lets
// the queue overflow is disconnected.
//
// # Shutdown
//
// Shutdown stops accepting, interrupts every connection's read, waits for
// the connection goroutines to finish, and returns. Persisting data is the
// caller's business (cmd/vanity persists after Shutdown).
//
// Server is safe for concurrent use.
package router
