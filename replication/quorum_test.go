package replication

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// fakeReplica stores deltas in memory; it can fail, or wait for release.
type fakeReplica struct {
	name    string
	fail    bool
	release chan struct{} // nil: answers at once
	stuck   bool          // States never answers (until ctx ends)
	mu      sync.Mutex
	got     [][]byte
	asked   int // States calls
}

func (r *fakeReplica) Name() string { return r.name }

func (r *fakeReplica) Store(ctx context.Context, partition int, delta []byte) error {
	if r.release != nil {
		select {
		case <-r.release:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	if r.fail {
		return errors.New("down")
	}
	r.mu.Lock()
	r.got = append(r.got, delta)
	r.mu.Unlock()
	return nil
}

func (r *fakeReplica) States(ctx context.Context, db int, keys [][]byte) ([]byte, error) {
	r.mu.Lock()
	r.asked++
	r.mu.Unlock()
	if r.stuck {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	if r.fail {
		return nil, errors.New("down")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []byte
	for _, d := range r.got {
		out = append(out, d...)
	}
	return out, nil
}

type memHints struct {
	mu   sync.Mutex
	kept map[string]int
}

func (h *memHints) Add(replica string, partition int, delta []byte) error {
	h.mu.Lock()
	h.kept[replica]++
	h.mu.Unlock()
	return nil
}

func TestNeed(t *testing.T) {
	for _, c := range []struct {
		level   proto.Consistency
		n, want int
	}{
		{proto.ConsOne, 3, 1}, {proto.ConsQuorum, 3, 2}, {proto.ConsAll, 3, 3},
		{proto.ConsQuorum, 1, 1}, {proto.ConsQuorum, 4, 3}, {proto.ConsQuorum, 5, 3}, {proto.ConsAll, 1, 1},
	} {
		if got := Need(c.level, c.n); got != c.want {
			t.Errorf("Need(%v, %d) = %d, want %d", c.level, c.n, got, c.want)
		}
	}
}

// TestReplicateReturnsAtQuorum: with one replica slow, a QUORUM write of
// N=3 is confirmed by the other; the slow one still gets the delta after.
func TestReplicateReturnsAtQuorum(t *testing.T) {
	fast := &fakeReplica{name: "b"}
	slow := &fakeReplica{name: "c", release: make(chan struct{})}
	done := make(chan struct{})
	out := Replicate(context.Background(), 7, []byte("d"), []Replica{slow, fast}, Need(proto.ConsQuorum, 3), nil, done)
	if !out.Confirmed() || out.Acked != 2 || out.Err() != nil {
		t.Fatalf("outcome %+v", out)
	}
	select {
	case <-done:
		t.Fatal("done before the slow replica answered")
	default:
	}
	close(slow.release)
	<-done
	if len(slow.got) != 1 || len(fast.got) != 1 {
		t.Fatalf("deliveries: slow %d, fast %d", len(slow.got), len(fast.got))
	}
}

// TestReplicateFailures: failed replicas get hints; a write that cannot
// reach W is not confirmed and says how many stored it.
func TestReplicateFailures(t *testing.T) {
	hints := &memHints{kept: map[string]int{}}
	b, c := &fakeReplica{name: "b", fail: true}, &fakeReplica{name: "c", fail: true}
	done := make(chan struct{})
	out := Replicate(context.Background(), 1, []byte("d"), []Replica{b, c}, Need(proto.ConsQuorum, 3), hints, done)
	<-done
	if out.Confirmed() || out.Acked != 1 || len(out.Failed) != 2 {
		t.Fatalf("outcome %+v", out)
	}
	if err := out.Err(); !errors.Is(err, ErrUnavailable) || err.Error() != "unavailable: write not confirmed: 1 replicas stored it (2 needed, 2 failed)" {
		t.Fatalf("error %v", err)
	}
	if hints.kept["b"] != 1 || hints.kept["c"] != 1 {
		t.Fatalf("hints %v", hints.kept)
	}
	// ONE is confirmed by the coordinator alone; the failures still get hints.
	done = make(chan struct{})
	if out := Replicate(context.Background(), 1, []byte("d"), []Replica{b, c}, Need(proto.ConsOne, 3), hints, done); !out.Confirmed() {
		t.Fatalf("ONE: %+v", out)
	}
	<-done
	if hints.kept["b"] != 2 || hints.kept["c"] != 2 {
		t.Fatalf("hints after ONE %v", hints.kept)
	}
}

// TestReplicateGivesUpWithTheContext: a replica that never answers holds
// the write only until the caller's deadline, then gets a hint.
func TestReplicateGivesUpWithTheContext(t *testing.T) {
	hints := &memHints{kept: map[string]int{}}
	stuck := &fakeReplica{name: "b", release: make(chan struct{})}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	out := Replicate(ctx, 1, []byte("d"), []Replica{stuck}, Need(proto.ConsAll, 2), hints, done)
	<-done
	if out.Confirmed() || out.Acked != 1 {
		t.Fatalf("outcome %+v", out)
	}
	if hints.kept["b"] != 1 {
		t.Fatalf("the stuck replica got no hint: %v", hints.kept)
	}
}

// TestReadJoinsUntilQuorum: a QUORUM read of N=3 joins one other replica's
// state (a failed one does not count); ALL fails, naming how many answered.
func TestReadJoinsUntilQuorum(t *testing.T) {
	up := &fakeReplica{name: "b", got: [][]byte{[]byte("state-b")}}
	down := &fakeReplica{name: "c", fail: true}
	var joined []string
	join := func(r Replica, s []byte) error {
		if r != up {
			t.Errorf("joined an answer attributed to %s", r.Name())
		}
		joined = append(joined, string(s))
		return nil
	}
	n, err := Read(context.Background(), 0, [][]byte{[]byte("k")}, []Replica{down, up}, Need(proto.ConsQuorum, 3), join)
	if err != nil || n != 2 || len(joined) != 1 || joined[0] != "state-b" {
		t.Fatalf("quorum read: %d %v, joined %q", n, err, joined)
	}
	joined = nil
	n, err = Read(context.Background(), 0, [][]byte{[]byte("k")}, []Replica{down, up}, Need(proto.ConsAll, 3), join)
	if !errors.Is(err, ErrUnavailable) || n != 2 || err.Error() != "unavailable: read: 2 of 3 replicas answered" {
		t.Fatalf("ALL with a replica down: %d %v", n, err)
	}
	if n, err := Read(context.Background(), 0, nil, []Replica{down}, Need(proto.ConsOne, 3), join); n != 1 || err != nil {
		t.Fatalf("ONE asks nobody: %d %v", n, err)
	}
}

// TestReadAsksOnlyWhatItNeeds: a QUORUM read of N=3 asks one other
// replica when it answers; a replica that does not answer makes the read
// ask the next after Speculate, and one that fails makes it ask the next
// at once.
func TestReadAsksOnlyWhatItNeeds(t *testing.T) {
	join := func(Replica, []byte) error { return nil }
	keys := [][]byte{[]byte("k")}
	b, c := &fakeReplica{name: "b"}, &fakeReplica{name: "c"}
	if n, err := Read(context.Background(), 0, keys, []Replica{b, c}, 2, join); n != 2 || err != nil {
		t.Fatalf("healthy: %d %v", n, err)
	}
	if b.asked != 1 || c.asked != 0 {
		t.Fatalf("healthy: asked b %d times, c %d times; want 1 and 0", b.asked, c.asked)
	}
	stuck := &fakeReplica{name: "s", stuck: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if n, err := Read(ctx, 0, keys, []Replica{stuck, c}, 2, join); n != 2 || err != nil {
		t.Fatalf("first replica stuck: %d %v", n, err)
	}
	if c.asked != 1 {
		t.Fatalf("first replica stuck: the next was asked %d times", c.asked)
	}
	down := &fakeReplica{name: "d", fail: true}
	if n, err := Read(context.Background(), 0, keys, []Replica{down, b}, 2, join); n != 2 || err != nil || b.asked != 2 {
		t.Fatalf("first replica down: %d %v, next asked %d times in all", n, err, b.asked)
	}
}
