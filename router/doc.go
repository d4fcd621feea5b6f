// Package router is Vanity's client-facing front end: it accepts
// connections, keeps each client's session (user, level, database,
// consistency levels, open transaction, subscriptions), checks permissions,
// parses requests and hands data commands to a Backend. It never touches
// storage itself: in the single-process server the Backend reaches the
// local node in process; in a cluster it sends to storage nodes over RPC.
//
// # Data commands
//
// A connection holds each data command it parses as an item of its Job,
// with a hole in its output where the reply goes (hold.go), and submits
// the job to a Sender once it has read what the client sent, or reaches a
// request that must follow those commands. An event loop flushes its
// Sender once per turn, so the backend gets every connection's commands
// of the turn together; the replies are spliced into the holes when the
// job is done, possibly later, from another goroutine (the backend hands
// the connection back to its loop).
//
// # Two wire protocols
//
// Serve takes connections speaking Vanity's protocol, ServeRESP Redis's
// (resp.go; its connection and server commands in resp_conn.go, SCAN's
// numeric cursors in resp_scan.go). A connection's wire decides only how a request is found in
// its input and how replies are written: a Redis command becomes Vanity
// requests through package resp's table, and those pass the same state
// and permission checks, are held or run by exec like a Vanity request,
// and their replies are turned into Redis's by the command's shape when
// they are spliced in.
//
// # Commands over every partition
//
// SCAN, KEYS and DB_SIZE (scan.go) ask the backend's KeyLister for pages
// of each partition's keys, a cursor being a partition and the last key
// returned from it, so a scan survives partitions moving between nodes.
// INFO (info.go) reports the process, the backend's Describer lines, the
// keyspace and per-command calls and latency (the histogram /metrics
// exports). RESP's CLIENT LIST and CLIENT INFO (clientlist.go) read the
// copy of its name, database, user and protocol each connection keeps
// under a lock of its own. The slow log (slowlog.go) keeps the latest
// data commands that took longer than a threshold, timed by their jobs,
// for RESP's SLOWLOG; MONITOR (monitor.go) feeds a line of each command a
// connection takes to the monitoring connections, through the hub.
// RESTORE without REPLACE and MSETNX (absent.go) read whether their keys
// exist and their versions, then write behind KEY_VERSION_IS checks of
// them.
//
// # Optimistic transactions
//
// TRANSACT_WATCH (Redis's WATCH) reads each key's version through the
// backend and keeps it in the session; the commit puts a KEY_VERSION_IS
// check of each before the queued commands, in the transaction's item,
// and answers NULL (a null array) when the node ran nothing because one
// failed (optimistic.go).
//
// # Connections
//
// On Linux, event loops serve the connections (loop_linux.go): each waits
// on epoll, reads a turn's ready sockets (one io_uring call), answers what
// it read, flushes the turn's jobs, and writes the turn's replies (another
// io_uring call). A backend's own sockets can be read by the loops too
// (Poller, watch_linux.go): a cluster's RPC connections to its storage
// nodes are, so a turn's answers are read between turns, on the loop,
// like its clients' requests. Requests that wait themselves (AUTH, the user commands,
// PERSIST, CLUSTER_INFO, SCAN, KEYS, DB_SIZE, INFO, TRANSACT_WATCH, and the blocking pops and moves of
// waitpop.go) run on a goroutine while the loop leaves that connection alone. Elsewhere, or with no loops configured, each
// connection has one goroutine that reads frames, handles them in order
// and writes when no further request is buffered. A subscribed
// connection's messages pass through a bounded queue; a subscriber that
// lets it overflow is disconnected. The hub (pubsub.go) keeps the
// followers of each channel and of each pattern, and delivers a
// publication to both.
//
// # Shutdown
//
// Shutdown stops accepting, interrupts every connection's read, waits for
// the connection goroutines to finish, and returns. Persisting data is the
// caller's business (cmd/vanity persists after Shutdown).
//
// Server is safe for concurrent use.
package router
