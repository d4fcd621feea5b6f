// Package replication decides how the replicas of partitions take part in
// reads and writes (DESIGN §3, §6), and keeps what they miss:
//
//   - Tracker: the coordinator of a run of writes sends their deltas to
//     the other replicas, one send per replica node, while it makes its
//     own copy durable, and confirms each write once W of the N replicas
//     of every partition it wrote, itself included, have stored it;
//   - Reads: a quorum read asks R-1 other replicas for the state of its
//     keys, batched per replica node, and one more whenever one fails or
//     is slow (Speculate);
//   - HintStore: the deltas a replica missed, kept on disk and delivered
//     when it is back;
//   - Sync: anti-entropy between two copies of a partition, by digest.
//
// Tracker and Reads are pure: they decide from the answers the caller
// feeds them, and say whom to ask next; the node does the sending. Replicas join what they
// receive, so a delta delivered twice, late or out of order is harmless.
// Anti-entropy (Sync) compares two copies of a partition by digest and
// exchanges only the states of the buckets that differ.
//
// The package talks to replicas through the Replica interface and keeps
// no sockets of its own; the node wires it to its RPC clients.
package replication

import (
	"errors"
	"time"
)

// Item is one partition's deltas (or states) for a replica.
type Item struct {
	Partition int
	Deltas    []byte
}

// Replica is another node holding copies of partitions. Its methods
// return at once and call done exactly once, from any goroutine (possibly
// before they return); done must not block. A timeout bounds the wait.
type Replica interface {
	// Name identifies the replica (its node name).
	Name() string
	// Send joins each item into the replica's copy of its partition; done
	// gets nil once they are durable there under its fsync policy.
	Send(items []Item, timeout time.Duration, done func(error))
	// Ask gets, for each request, the replica's whole state of its keys as
	// deltas to join, or the error that kept it from answering that one;
	// done's error is that of the call as a whole.
	Ask(reqs []StateReq, timeout time.Duration, done func([]StateAnswer, error))
}

// Hints keeps the deltas a replica missed, for delivery when it is back.
type Hints interface {
	// AddItems keeps the deltas of items for replica, on disk (fsynced
	// as the node's log is).
	AddItems(replica string, items []Item) error
}

// ErrUnavailable is wrapped by the errors of writes and reads that could
// not reach enough replicas.
var ErrUnavailable = errors.New("unavailable")

// Unit is a write whose outcome is decided as one: a command, or a
// transaction. It is confirmed once every partition it wrote is stored by
// Need copies, the coordinator's included (one that wrote nothing, once
// the coordinator's copy is durable: what it read may not be otherwise).
type Unit struct {
	Need  int
	Parts []int
}

// Tracker decides the outcome of a replicated run of writes from the
// answers of its sends. It is pure: the caller feeds it the answers.
type Tracker struct {
	units   []Unit
	acks    map[int]int // copies that stored each partition's deltas
	sends   [][]int     // partitions of each send
	pending int         // sends not yet answered
	local   bool        // the coordinator's own copy is durable
}

// NewTracker tracks units whose deltas go out in sends (sends[i] lists the
// partitions send i carries).
func NewTracker(units []Unit, sends [][]int) *Tracker {
	t := new(Tracker)
	t.Reset(units, sends)
	return t
}

// Reset makes t track units and sends afresh (as NewTracker), reusing its
// memory.
func (t *Tracker) Reset(units []Unit, sends [][]int) {
	if t.acks == nil {
		t.acks = map[int]int{}
	}
	clear(t.acks)
	t.units, t.sends, t.pending, t.local = units, sends, len(sends), false
	for _, u := range units {
		for _, p := range u.Parts {
			t.acks[p] += 0
		}
	}
}

// StoredLocally records that the coordinator's copy is durable.
func (t *Tracker) StoredLocally() {
	if t.local {
		return
	}
	t.local = true
	for p := range t.acks {
		t.acks[p]++
	}
}

// Answered records send i's answer (ok: it stored everything it carried).
func (t *Tracker) Answered(i int, ok bool) {
	t.pending--
	if !ok {
		return
	}
	for _, p := range t.sends[i] {
		t.acks[p]++
	}
}

// Confirmed reports whether unit u is confirmed, with the fewest copies
// any of its partitions has.
func (t *Tracker) Confirmed(u int) (bool, int) {
	least := -1
	for _, p := range t.units[u].Parts {
		if a := t.acks[p]; least < 0 || a < least {
			least = a
		}
	}
	if least < 0 { // wrote nothing: only this copy's durability counts
		if t.local {
			return true, 1
		}
		return false, 0
	}
	return least >= t.units[u].Need, least
}

// Decided reports whether waiting longer can change nothing: every unit
// is confirmed, or every answer is in.
func (t *Tracker) Decided() bool {
	if t.pending == 0 && t.local {
		return true
	}
	for u := range t.units {
		if ok, _ := t.Confirmed(u); !ok {
			return false
		}
	}
	return true
}
