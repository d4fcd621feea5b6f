// Package resp is the Redis serialization protocol (RESP2 and RESP3) as
// the coming RESP listener will speak it (issue "Speak Redis too"): the
// reading of a client's command (an array of bulk strings, or an inline
// line) within limits checked before any allocation, and append encoders
// for replies in either version. It is pure: no sockets, no commands.
//
// What a command means and how a Vanity reply becomes Redis's reply shape
// is the listener's business; this package only frames.
package resp
