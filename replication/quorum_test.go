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

func (r *fakeReplica) Store(ctx context.Context, items []Item) error {
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
	for _, it := range items {
		r.got = append(r.got, it.Deltas)
	}
	r.mu.Unlock()
	return nil
}

func (r *fakeReplica) States(ctx context.Context, reqs []StateReq) ([]StateAnswer, error) {
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
	answers := make([]StateAnswer, len(reqs))
	for i := range answers {
		answers[i].States = out
	}
	return answers, nil
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

// replicate sends partition p's delta to every replica, as a run of one
// write at level need, and returns whether it was confirmed and with how
// many copies.
func replicate(ctx context.Context, replicas []Replica, need int, hints Hints, done chan<- struct{}) (bool, int) {
	var sends []Send
	var parts [][]int
	for _, r := range replicas {
		sends = append(sends, Send{Replica: r, Items: []Item{{7, []byte("d")}}})
		parts = append(parts, []int{7})
	}
	tr := NewTracker([]Unit{{Need: need, Parts: []int{7}}}, parts)
	if err := Replicate(ctx, sends, tr, func() error { return nil }, hints, done); err != nil {
		panic(err)
	}
	return tr.Confirmed(0)
}

// TestReplicateReturnsAtQuorum: with one replica slow, a QUORUM write of
// N=3 is confirmed by the other; the slow one still gets the delta after.
func TestReplicateReturnsAtQuorum(t *testing.T) {
	fast := &fakeReplica{name: "b"}
	slow := &fakeReplica{name: "c", release: make(chan struct{})}
	done := make(chan struct{})
	if ok, copies := replicate(context.Background(), []Replica{slow, fast}, Need(proto.ConsQuorum, 3), nil, done); !ok || copies != 2 {
		t.Fatalf("confirmed %v with %d copies", ok, copies)
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
	ok, copies := replicate(context.Background(), []Replica{b, c}, Need(proto.ConsQuorum, 3), hints, done)
	<-done
	if ok || copies != 1 {
		t.Fatalf("confirmed %v with %d copies", ok, copies)
	}
	if hints.kept["b"] != 1 || hints.kept["c"] != 1 {
		t.Fatalf("hints %v", hints.kept)
	}
	// ONE is confirmed by the coordinator alone; the failures still get hints.
	done = make(chan struct{})
	if ok, _ := replicate(context.Background(), []Replica{b, c}, Need(proto.ConsOne, 3), hints, done); !ok {
		t.Fatal("ONE not confirmed")
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
	ok, copies := replicate(ctx, []Replica{stuck}, Need(proto.ConsAll, 2), hints, done)
	<-done
	if ok || copies != 1 {
		t.Fatalf("confirmed %v with %d copies", ok, copies)
	}
	if hints.kept["b"] != 1 {
		t.Fatalf("the stuck replica got no hint: %v", hints.kept)
	}
}

// TestTrackerDecidesPerUnit: units are confirmed by the copies of every
// partition they wrote; a send carrying several partitions counts for
// each; the run is decided once every unit is confirmed or every answer
// is in.
func TestTrackerDecidesPerUnit(t *testing.T) {
	units := []Unit{
		{Need: 2, Parts: []int{1}},    // a QUORUM write of partition 1
		{Need: 2, Parts: []int{1, 2}}, // a transaction over partitions 1 and 2 (one tag... or a RESET)
		{Need: 1, Parts: []int{3}},    // ONE
		{Need: 2},                     // a read in the same run
	}
	tr := NewTracker(units, [][]int{{1, 3}, {2}, {1, 2, 3}})
	if tr.Decided() {
		t.Fatal("decided before any answer")
	}
	tr.StoredLocally()
	if ok, _ := tr.Confirmed(2); !ok {
		t.Fatal("ONE not confirmed by the local copy")
	}
	if ok, _ := tr.Confirmed(3); !ok {
		t.Fatal("a unit without writes waits only for the local copy")
	}
	tr.Answered(0, true) // partitions 1 and 3
	if ok, _ := tr.Confirmed(0); !ok {
		t.Fatal("partition 1 has two copies")
	}
	if ok, least := tr.Confirmed(1); ok || least != 1 {
		t.Fatalf("partition 2 has one copy: %v %d", ok, least)
	}
	if tr.Decided() {
		t.Fatal("decided with unit 1 open and answers pending")
	}
	tr.Answered(1, false)
	tr.Answered(2, true)
	if ok, least := tr.Confirmed(1); !ok || least != 2 {
		t.Fatalf("unit 1 after the third send: %v %d", ok, least)
	}
	if !tr.Decided() {
		t.Fatal("not decided with every answer in")
	}
}

// read is ReadMany of one partition's key.
func read(ctx context.Context, replicas []Replica, need int, join func(Replica, []byte) error) int {
	w := Want{Req: StateReq{Partition: 1, Keys: [][]byte{[]byte("k")}}, Replicas: replicas, Need: need}
	return ReadMany(ctx, []Want{w}, func(_ int, r Replica, s []byte) error { return join(r, s) })[0]
}

// TestReadJoinsUntilQuorum: a QUORUM read of N=3 joins one other replica's
// state (a failed one does not count); ALL falls short, saying how many
// answered.
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
	if n := read(context.Background(), []Replica{down, up}, Need(proto.ConsQuorum, 3), join); n != 2 || len(joined) != 1 || joined[0] != "state-b" {
		t.Fatalf("quorum read: %d, joined %q", n, joined)
	}
	joined = nil
	if n := read(context.Background(), []Replica{down, up}, Need(proto.ConsAll, 3), join); n != 2 {
		t.Fatalf("ALL with a replica down: %d copies", n)
	}
	if n := read(context.Background(), []Replica{down}, Need(proto.ConsOne, 3), join); n != 1 || down.asked != 2 {
		t.Fatalf("ONE asks nobody: %d, the replica was asked %d times (twice before)", n, down.asked)
	}
}

// TestReadAsksOnlyWhatItNeeds: a QUORUM read of N=3 asks one other
// replica when it answers; a replica that does not answer makes the read
// ask the next after Speculate, and one that fails makes it ask the next
// at once.
func TestReadAsksOnlyWhatItNeeds(t *testing.T) {
	join := func(Replica, []byte) error { return nil }
	b, c := &fakeReplica{name: "b"}, &fakeReplica{name: "c"}
	if n := read(context.Background(), []Replica{b, c}, 2, join); n != 2 {
		t.Fatalf("healthy: %d", n)
	}
	if b.asked != 1 || c.asked != 0 {
		t.Fatalf("healthy: asked b %d times, c %d times; want 1 and 0", b.asked, c.asked)
	}
	stuck := &fakeReplica{name: "s", stuck: true}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if n := read(ctx, []Replica{stuck, c}, 2, join); n != 2 {
		t.Fatalf("first replica stuck: %d", n)
	}
	if c.asked != 1 {
		t.Fatalf("first replica stuck: the next was asked %d times", c.asked)
	}
	down := &fakeReplica{name: "d", fail: true}
	if n := read(context.Background(), []Replica{down, b}, 2, join); n != 2 || b.asked != 2 {
		t.Fatalf("first replica down: %d, next asked %d times in all", n, b.asked)
	}
}

// TestReadManyGroupsByReplica: the state requests of several partitions
// held by the same replicas go to each replica in one call, and each
// partition is joined once.
func TestReadManyGroupsByReplica(t *testing.T) {
	b, c := &fakeReplica{name: "b"}, &fakeReplica{name: "c"}
	var wants []Want
	for p := 0; p < 5; p++ {
		replicas := []Replica{b, c}
		if p%2 == 1 {
			replicas = []Replica{c, b}
		}
		wants = append(wants, Want{Req: StateReq{Partition: p}, Replicas: replicas, Need: 2})
	}
	joins := make([]int, len(wants))
	got := ReadMany(context.Background(), wants, func(w int, _ Replica, _ []byte) error {
		joins[w]++
		return nil
	})
	for i := range wants {
		if got[i] != 2 || joins[i] != 1 {
			t.Fatalf("partition %d: %d copies, joined %d times", i, got[i], joins[i])
		}
	}
	if b.asked != 1 || c.asked != 1 {
		t.Fatalf("b asked %d times, c %d; want one call each", b.asked, c.asked)
	}
}
