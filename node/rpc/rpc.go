// Package rpc is the internal protocol between Vanity routers and storage
// nodes: binary, multiplexed (many calls in flight on one connection,
// matched by id), pipelined (a writer goroutine coalesces frames into one
// write), pooled (a few connections per peer), over connections
// authenticated with the cluster secret.
//
// # Wire format
//
// After the handshake, both directions carry frames:
//
//	frame    = length:u32 id:u64 kind:u8 payload   (big-endian)
//	length   = bytes after the length field
//
// A request's kind says what it asks (Kind); a response echoes the id and
// carries a Status in the kind byte. Kinds and statuses are part of the
// protocol between versions: ONLY APPEND. The payloads of the data path
// (KindRun, and the replica traffic it causes) are in messages.go.
//
// # Handshake
//
// The server sends "VRPC1" and a 32-byte nonce; the client answers with
// HMAC-SHA256(secret, "client" || nonce) and its own nonce; the server
// answers HMAC-SHA256(secret, "server" || client nonce). Either side closes
// the connection on a mismatch, so both know the other holds the secret.
//
// # Serving
//
// A server offers each call first to its inline handler, on the
// connection's reader goroutine, or on its Poller's goroutine when it has
// one (Server.UsePoller): calls that do not wait (the data path) are
// answered there or later through their Responder, without a goroutine
// per call. Other calls run on a goroutine each. Kinds marked
// ordered (Ordered) are handled one after another in arrival order; a
// client sends all ordered calls to one peer over the same connection.
//
// # Calling
//
// Call waits for the answer; Go returns at once and hands the answer to a
// callback, so an event loop can have calls in flight without blocking.
// Neither dials on the caller's goroutine when the connection is down: the
// call waits for the dial; for RedialAfter after a dial failed, calls fail
// at once as not sent instead of dialing again. A failed call says whether its request
// certainly never left this process (ErrNotSent: safe to send elsewhere)
// or may have reached the peer (ErrClosed, ErrTimeout: it may have run).
// A call that times out on a connection that carried no answer at all
// while it waited ends that connection (ErrSilent): the next call dials a
// new one rather than wait on one a healed network cut may have left in
// TCP's retransmission backoff.
// A connection's answers are read by a goroutine of its own, or, given a
// Poller (polled.go), by the caller's event loop: a router's loop reads
// its nodes' answers between its turns.
//
// Client and Server are safe for concurrent use.
package rpc

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"net"
)

// Kind is what a request asks. ONLY APPEND.
type Kind uint8

const (
	KindPing          Kind = iota + 1
	KindExec               // retired (one data command as text)
	KindBatch              // retired (a transaction as text)
	KindPersist            // write a snapshot
	KindStream             // start streaming a partition to the caller
	KindPull               // fetch streamed data
	KindHandoff            // finish moving a partition
	KindInfo               // describe the node
	KindPublish            // deliver a published message (router to router; ordered)
	KindUsers              // reload users (router to router)
	KindReset              // RESET a database on every partition of a node
	KindDrop               // forget a partition that moved away
	KindAbort              // give up moving a partition
	KindStore              // retired (replace a key with a set)
	KindExecMany           // retired (pipelined data commands as text)
	KindReplicate          // retired (one partition's deltas for a replica)
	KindStates             // retired (one state request)
	KindDigest             // a partition's digest, for anti-entropy (node/antientropy.go)
	KindBuckets            // the states of some digest buckets of a partition, for anti-entropy
	KindReplicateMany      // several partitions' replicated deltas in one call (node/batch.go)
	KindStatesMany         // several state requests in one call, answered item by item (node/batch.go)
	KindRun                // a router turn's data commands for one node (AppendRun, DecodeRun; answer AppendAnswerHeader, DecodeAnswer)
	KindNoop               // a cancelled request: ignored, never answered
	KindLeave              // leave the cluster: hand every partition off, answer, then stop (vanity-node leave)
	KindKeys               // a page of one partition's keys (SCAN, KEYS; keys.go)
	KindCount              // the keys per partition of a database (DB_SIZE; keys.go)
	KindPrepare            // a Phase's kind: the serial path's Prepare (serial.go); retired as a call
	KindAccept             // a Phase's kind: the serial path's Accept; retired as a call
	KindPeek               // a Phase's kind: the serial path's read of a register, promising nothing; retired as a call
	KindPhases             // serial phases of several keys for one acceptor (AppendPhases; answer AppendVotes)
	KindLearn              // a Phase's kind: a chosen proposal for an acceptor its round did not ask
	KindExpiring           // the keys with a deadline ahead per partition of a database (INFO; keys.go)
	numKinds
)

// Ordered reports whether a kind is handled in arrival order.
func (k Kind) Ordered() bool { return k == KindPublish }

// Status is the outcome of a call. ONLY APPEND.
type Status uint8

const (
	StatusOK           Status = iota
	StatusWrongRing           // not run: the node does not serve the partition; payload: a hint
	StatusError               // failed, it may have run; payload: a message
	StatusUnavailable         // not run: a read could not reach its replicas; payload: a message
	StatusExpired             // not run: its deadline had passed when it arrived
	StatusNotConfirmed        // a write that ran but fewer replicas than asked stored it; payload: a message
	StatusRefused             // not run: the node takes no writes now (its log failed); payload: a message
)

var statusNames = [...]string{StatusOK: "ok", StatusWrongRing: "wrong ring", StatusError: "error",
	StatusUnavailable: "unavailable", StatusExpired: "expired", StatusNotConfirmed: "not confirmed",
	StatusRefused: "refused"}

func (st Status) String() string {
	if int(st) < len(statusNames) {
		return statusNames[st]
	}
	return fmt.Sprintf("status %d", uint8(st))
}

// NotRun reports whether a command answered with st certainly had no
// effect, so that it may be sent to another node.
func (st Status) NotRun() bool {
	return st == StatusWrongRing || st == StatusUnavailable || st == StatusExpired
}

// MaxFrame bounds a frame (a whole partition stream chunk fits).
const MaxFrame = 1 << 30

// Handler serves calls. It appends the response payload to dst.
type Handler func(ctx context.Context, kind Kind, payload []byte, dst []byte) (Status, []byte)

// InlineHandler is offered every call first, on the connection's reader
// goroutine, and must not block there. It returns false to leave the call
// to the Handler; otherwise it answers through r, at once or later. The
// payload is the handler's to keep.
type InlineHandler func(ctx context.Context, kind Kind, payload []byte, r Responder) bool

// Error is a failed call's status and message.
type Error struct {
	Status  Status
	Message string
}

func (e *Error) Error() string { return fmt.Sprintf("rpc: status %d: %s", e.Status, e.Message) }

// Errors of failed calls. ErrNotSent: the request never left this process
// (the peer could not be reached, or the connection failed before the
// request was written): sending it elsewhere is safe. ErrClosed and
// ErrTimeout: it may have reached the peer and run. ErrSilent is why a
// connection on which a call timed out with no answer at all meanwhile
// was ended (its other calls fail with ErrClosed or ErrNotSent).
var (
	ErrClosed  = errors.New("rpc: connection closed")
	ErrNotSent = errors.New("rpc: not sent")
	ErrTimeout = errors.New("rpc: no answer in time")
	ErrSilent  = errors.New("rpc: the peer sent nothing while a call timed out; the connection is taken for dead")
)

const (
	magic     = "VRPC1"
	nonceSize = 32
	macSize   = sha256.Size
)

func mac(secret []byte, label string, nonce []byte) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(label))
	m.Write(nonce)
	return m.Sum(nil)
}

// serverHandshake authenticates a client on nc.
func serverHandshake(nc net.Conn, secret []byte) error {
	nonce := make([]byte, nonceSize)
	if _, err := rand.Read(nonce); err != nil {
		return err
	}
	if _, err := nc.Write(append([]byte(magic), nonce...)); err != nil {
		return err
	}
	reply := make([]byte, macSize+nonceSize)
	if _, err := io.ReadFull(nc, reply); err != nil {
		return err
	}
	if !hmac.Equal(reply[:macSize], mac(secret, "client", nonce)) {
		return errors.New("rpc: client does not know the cluster secret")
	}
	_, err := nc.Write(mac(secret, "server", reply[macSize:]))
	return err
}

// clientHandshake authenticates to a server on nc.
func clientHandshake(nc net.Conn, secret []byte) error {
	hello := make([]byte, len(magic)+nonceSize)
	if _, err := io.ReadFull(nc, hello); err != nil {
		return err
	}
	if string(hello[:len(magic)]) != magic {
		return errors.New("rpc: not a Vanity RPC server")
	}
	mine := make([]byte, nonceSize)
	if _, err := rand.Read(mine); err != nil {
		return err
	}
	if _, err := nc.Write(append(mac(secret, "client", hello[len(magic):]), mine...)); err != nil {
		return err
	}
	proof := make([]byte, macSize)
	if _, err := io.ReadFull(nc, proof); err != nil {
		return err
	}
	if !hmac.Equal(proof, mac(secret, "server", mine)) {
		return errors.New("rpc: server does not know the cluster secret")
	}
	return nil
}
