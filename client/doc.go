// Package client is a Go client for Vanity.
//
//	c, err := client.Dial("127.0.0.1:9955", client.Options{})
//	if err != nil { ... }
//	defer c.Close()
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
