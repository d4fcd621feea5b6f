// Package resp is the Redis serialization protocol (RESP2 and RESP3) as
// the coming RESP listener will speak it (issue "Speak Redis too"): the
// reading of a client's command (an array of bulk strings, or an inline
// line) within limits checked before any allocation, and append encoders
// for replies in either version. It is pure: no sockets, no commands.
//
// AppendReply turns a Vanity reply into the reply Redis gives, by the
// Shape of the command that asked (GET answers a number as a bulk string,
// EXISTS turns OK and NULL into 1 and 0, errors become WRONGTYPE, NOPERM
// and ERR). Which command has which shape, and how a Redis command becomes
// a Vanity request, is the listener's table.
package resp
