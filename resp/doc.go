// Package resp is the Redis serialization protocol (RESP2 and RESP3) as
// the router's RESP listener speaks it. It is pure: no sockets, no
// sessions, no storage.
//
//   - read.go reads a client's command (an array of bulk strings, or an
//     inline line) within limits checked before any allocation.
//   - commands.go is the command table: Lookup finds a Redis command and
//     checks its arity; its Spec's Build turns the arguments into a Plan
//     of Vanity requests (plan.go), grouped in items that run as units
//     (TTL reads EXISTS and GET_EXPIRY of one key together) or apart (DEL
//     a b is two DELs). A command Vanity does not offer is in the table
//     too, refused with the reason.
//   - reply.go writes Redis's reply from the Vanity replies of a plan, by
//     the Shape of the command (GET answers a number as a bulk string,
//     DEL counts the OKs, TTL turns a deadline into seconds; errors become
//     WRONGTYPE, NOPERM and ERR).
//   - server.go writes the replies of what only Redis has: HELLO,
//     COMMAND (from the table), CONFIG GET, pushes of pub/sub, SCAN's.
//   - restore.go is DUMP and RESTORE: a GET's value written as Redis's
//     serialization, a payload read into the requests that write it
//     (package rdb holds the format), and the checks that a write needing
//     its keys missing (RESTORE without REPLACE, MSETNX) runs behind.
//   - write.go holds the append encoders of either protocol version.
package resp
