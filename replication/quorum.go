// Package replication coordinates the replicas of a partition (DESIGN §3,
// §6): the coordinator of a write sends its delta to the other replicas in
// parallel and confirms the write once W of the N replicas, itself
// included, have stored it durably; a replica that missed it gets a hint,
// kept on disk and delivered when it is back. Replicas join what they
// receive, so a delta delivered twice, late or out of order is harmless.
// Anti-entropy (Sync) compares two copies of a partition by digest and
// exchanges only the states of the buckets that differ.
//
// The package talks to replicas through the Replica interface and keeps
// no sockets of its own; the node wires it to its RPC clients.
package replication

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// Replica is another node holding a copy of a partition.
type Replica interface {
	// Name identifies the replica (its node name).
	Name() string
	// Store joins delta into the replica's copy of partition and returns
	// once it is durable there under the replica's fsync policy.
	Store(ctx context.Context, partition int, delta []byte) error
	// States returns the replica's whole state of keys (one partition's)
	// in database db, as deltas to join.
	States(ctx context.Context, db int, keys [][]byte) ([]byte, error)
}

// Hints keeps the deltas a replica missed, for delivery when it is back.
type Hints interface {
	Add(replica string, partition int, delta []byte) error
}

// Need is how many replicas of n, the coordinator included, a consistency
// level asks for: ONE 1, QUORUM a majority, ALL n.
func Need(level proto.Consistency, n int) int {
	switch level {
	case proto.ConsOne:
		return min(1, n)
	case proto.ConsAll:
		return n
	}
	return n/2 + 1
}

// Outcome is what became of a replicated write.
type Outcome struct {
	Acked  int // replicas that stored the delta, the coordinator included
	Needed int
	Failed []string // replicas that answered with an error (or not in time)
}

// Confirmed reports whether enough replicas stored the write.
func (o Outcome) Confirmed() bool { return o.Acked >= o.Needed }

// Err is nil for a confirmed write, otherwise an error for the client:
// the write is not confirmed, but may surface later (it is stored on
// Acked replicas, and repair spreads it).
func (o Outcome) Err() error {
	if o.Confirmed() {
		return nil
	}
	return fmt.Errorf("%w: write not confirmed: %d replicas stored it (%d needed, %d failed)",
		ErrUnavailable, o.Acked, o.Needed, len(o.Failed))
}

// ErrUnavailable is wrapped by the errors of writes and reads that could
// not reach enough replicas.
var ErrUnavailable = errors.New("unavailable")

// Replicate sends delta, already durable at the coordinator, to replicas
// in parallel and returns as soon as need replicas in all (the coordinator
// counts as one) have stored it, or every replica has answered, or ctx
// ends. Replicas still sending after it returns finish in the background
// (until ctx ends); every replica that fails, then or later, gets a hint.
// done, if not nil, is closed once every replica has answered and every
// hint is written (tests and shutdown wait on it).
func Replicate(ctx context.Context, partition int, delta []byte, replicas []Replica, need int, hints Hints,
	done chan<- struct{}) Outcome {
	type answer struct {
		name string
		err  error
	}
	answers := make(chan answer, len(replicas))
	var wg sync.WaitGroup
	for _, r := range replicas {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := r.Store(ctx, partition, delta)
			if err != nil && hints != nil {
				if herr := hints.Add(r.Name(), partition, delta); herr != nil {
					err = fmt.Errorf("%w (and the hint was not kept: %v)", err, herr)
				}
			}
			answers <- answer{r.Name(), err}
		}()
	}
	if done != nil {
		go func() {
			wg.Wait()
			close(done)
		}()
	}
	out := Outcome{Acked: 1, Needed: need}
	for range replicas {
		if out.Acked >= need {
			break
		}
		select {
		case a := <-answers:
			if a.err != nil {
				out.Failed = append(out.Failed, a.name)
			} else {
				out.Acked++
			}
		case <-ctx.Done():
			return out
		}
	}
	return out
}

// Speculate is how long Read waits for the replicas it asked before it
// asks one more.
const Speculate = 20 * time.Millisecond

// Read asks replicas, in the order given, for their state of keys and
// hands each answer to join, with the replica that gave it, until need
// replicas in all (the coordinator counts as one) have contributed; the
// coordinator then answers from the joined state (and repairs the replicas
// that answered with less, see node's joinQuorum). It asks only as many
// replicas as it needs at first, and one more whenever one fails or none
// has answered for Speculate, so a healthy read costs the replicas nothing
// beyond what the quorum needs. It returns how many contributed and, if
// fewer than need, an ErrUnavailable error. Replicas that answer later
// are not waited for.
func Read(ctx context.Context, db int, keys [][]byte, replicas []Replica, need int, join func(r Replica, states []byte) error) (int, error) {
	type answer struct {
		r      Replica
		states []byte
		err    error
	}
	got := 1
	if got >= need {
		return got, nil
	}
	answers := make(chan answer, len(replicas))
	asked, pending := 0, 0
	ask := func() {
		r := replicas[asked]
		asked++
		pending++
		go func() {
			s, err := r.States(ctx, db, keys)
			answers <- answer{r, s, err}
		}()
	}
	for asked < len(replicas) && asked < need-1 {
		ask()
	}
	timer := time.NewTimer(Speculate)
	defer timer.Stop()
	for pending > 0 {
		var a answer
		select {
		case a = <-answers:
		case <-timer.C:
			if asked < len(replicas) {
				ask()
			}
			timer.Reset(Speculate)
			continue
		case <-ctx.Done():
			return got, fmt.Errorf("%w: read: %d of %d replicas answered: %v", ErrUnavailable, got, need, ctx.Err())
		}
		pending--
		if a.err == nil {
			a.err = join(a.r, a.states)
		}
		if a.err == nil {
			if got++; got >= need {
				return got, nil
			}
		} else if asked < len(replicas) {
			ask()
		}
	}
	return got, fmt.Errorf("%w: read: %d of %d replicas answered", ErrUnavailable, got, need)
}
