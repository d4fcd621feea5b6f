// Package client is a Go client for Vanity.
//
// For applications, DB (db.go) is a pool of connections whose calls take
// a context and return typed results:
//
//	db, err := client.Open(ctx, "127.0.0.1:9955", client.Options{})
//	if err != nil { ... }
//	defer db.Close()
//	err = db.Set(ctx, "foo", "bar")
//	v, err := db.GetString(ctx, "foo") // "bar"; ErrNil when missing
//
// A missing key is ErrNil, an error reply a *ServerError (errors.Is
// matches a FENCED write's refusal to ErrFenced, and a write refused by a
// server past its --max-memory to ErrOutOfMemory). A read whose
// connection broke is retried on a new connection; a write is not, since
// it may have run. Pipeline sends commands back to back on one connection;
// TxPipeline runs them as a transaction. DB refuses commands that change a
// connection's session (ErrSessionCommand): Options carry the database and
// the consistency levels.
//
// Client (client.go) is one connection, with the seed client's methods:
// for subscribers, session commands and tests.
//
//	c, err := client.Dial("127.0.0.1:9955", client.Options{})
//	c.Set("foo", "bar")
//	r, _ := c.Get("foo")
//	fmt.Println(string(r.Value.Str)) // bar
//
// Requests are encoded the way the seed's Python client encodes them
// (PROTOCOL.md §10.2): the command word, then the arguments separated by
// single spaces; strings as (n)bytes, lists as (n)[...], sets as (n){...}.
// The shared cases live in proto/testdata/encode.txt.
//
// A Client owns one connection and is safe for concurrent use: requests
// are serialized. For socket-level pipelining, Send queues requests and
// Receive reads their replies in order; PIPE batches go through Pipe.
// ASYNC frames (published messages) are set aside and read with
// ReadAsync, never returned as replies.
package client
