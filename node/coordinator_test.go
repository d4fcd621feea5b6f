package node

import (
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/replication"
)

// fakeReplica answers sends at once, or (late) when the test calls answer.
type fakeReplica struct {
	name string
	late bool
	mu   sync.Mutex
	held []func(error)
}

func (f *fakeReplica) Name() string { return f.name }

func (f *fakeReplica) Send(_ []replication.Item, _ time.Duration, done func(error)) {
	if !f.late {
		done(nil)
		return
	}
	f.mu.Lock()
	f.held = append(f.held, done)
	f.mu.Unlock()
}

func (f *fakeReplica) Ask(_ []replication.StateReq, _ time.Duration, done func([]replication.StateAnswer, error)) {
	done(nil, rpc.ErrNotSent) // reads here are at ONE
}

func (f *fakeReplica) answer(err error) {
	f.mu.Lock()
	held := f.held
	f.held = nil
	f.mu.Unlock()
	for _, done := range held {
		done(err)
	}
}

type hintLog struct {
	mu    sync.Mutex
	kept  map[string][][]byte
	parts []int
}

func (h *hintLog) AddItems(replica string, items []replication.Item) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, it := range items {
		h.kept[replica] = append(h.kept[replica], slices.Clone(it.Deltas))
		h.parts = append(h.parts, it.Partition)
	}
	return nil
}

// TestResultFreedAfterEveryReplica: a QUORUM write is answered once one
// replica of two has it, but its Result is not freed for reuse until the
// other has answered too, and when that answer is a failure the hint holds
// the write's deltas even though the Result is reused right after.
func TestResultFreedAfterEveryReplica(t *testing.T) {
	n := newNode(t, Config{Partitions: 4, KeepTombstones: true})
	fast, slow := &fakeReplica{name: "fast"}, &fakeReplica{name: "slow", late: true}
	hints := &hintLog{kept: map[string][][]byte{}}
	c := &Coordinator{node: n, log: slog.New(slog.DiscardHandler), readRepairs: new(atomic.Int64), hints: hints,
		replicas: func(int) ([]replication.Replica, int) { return []replication.Replica{fast, slow}, 3 }}
	var answered, freed atomic.Bool
	res := new(Result)
	run := &rpc.Run{Cmds: []rpc.Cmd{{Read: proto.ConsOne, Write: proto.ConsQuorum, Reqs: parse(t, "SET:STR (1)k (5)first")}}}
	c.Run(run, res, func(res *Result) {
		if st, b := res.Entry(0); st != rpc.StatusOK {
			t.Errorf("the write answered %v %s", st, b)
		}
		answered.Store(true)
	}, func(*Result) { freed.Store(true) })
	if !answered.Load() {
		t.Fatal("a QUORUM write stored here and by one replica of two is not answered")
	}
	if freed.Load() {
		t.Fatal("the Result was freed while a replica had not answered")
	}
	slow.answer(rpc.ErrTimeout)
	if !freed.Load() {
		t.Fatal("the Result was not freed after every replica answered")
	}
	// Reused at once, as the RPC server's pool does.
	c.Run(&rpc.Run{Cmds: []rpc.Cmd{{Read: proto.ConsOne, Write: proto.ConsOne, Reqs: parse(t, "SET:STR (1)j (6)second")}}},
		res, func(*Result) {}, nil)
	slow.answer(nil)
	c.Wait()
	kept := hints.kept["slow"]
	if len(kept) != 1 {
		t.Fatalf("%d hints for the replica that failed, want 1", len(kept))
	}
	replica := newNode(t, Config{Partitions: 4, KeepTombstones: true})
	if err := replica.ApplyReplica(hints.parts[0], kept[0]); err != nil {
		t.Fatal(err)
	}
	if got := do(t, replica, 0, "GET (1)k"); got != "OK:STR (5)first" {
		t.Fatalf("the hint, delivered, gives %q", got)
	}
}

// recordingReplica keeps what it is sent, applied to a node of its own.
type recordingReplica struct {
	name string
	n    *Node
	sent [][]int // partitions of each send
}

func (r *recordingReplica) Name() string { return r.name }

func (r *recordingReplica) Send(items []replication.Item, _ time.Duration, done func(error)) {
	var parts []int
	for _, it := range items {
		parts = append(parts, it.Partition)
		if err := r.n.ApplyReplica(it.Partition, it.Deltas); err != nil {
			done(err)
			return
		}
	}
	r.sent = append(r.sent, parts)
	done(nil)
}

func (r *recordingReplica) Ask(_ []replication.StateReq, _ time.Duration, done func([]replication.StateAnswer, error)) {
	done(nil, rpc.ErrNotSent)
}

// TestReusedResultSendsOnlyItsRun: a Result (and its wait for the copies)
// is reused from run to run with its buffers; a run whose partitions go to
// fewer replica nodes than the last one's sends each only its own deltas,
// and nothing to a node it does not write to.
func TestReusedResultSendsOnlyItsRun(t *testing.T) {
	n := newNode(t, Config{Partitions: 8})
	a := &recordingReplica{name: "a", n: newNode(t, Config{Partitions: 8})}
	b := &recordingReplica{name: "b", n: newNode(t, Config{Partitions: 8})}
	// Even partitions are copied to a and b, odd ones to a only.
	c := &Coordinator{node: n, log: slog.New(slog.DiscardHandler), readRepairs: new(atomic.Int64),
		replicas: func(p int) ([]replication.Replica, int) {
			if p%2 == 0 {
				return []replication.Replica{a, b}, 3
			}
			return []replication.Replica{a}, 2
		}}
	keyIn := func(parity int) string {
		for i := 0; ; i++ {
			k := "k" + strconv.Itoa(i)
			if n.partitionOfString(k)%2 == parity {
				return k
			}
		}
	}
	even, odd := keyIn(0), keyIn(1)
	res := new(Result)
	run := func(reqs ...string) {
		t.Helper()
		r := &rpc.Run{}
		for _, q := range reqs {
			r.Cmds = append(r.Cmds, rpc.Cmd{Write: proto.ConsAll, Reqs: parse(t, q)})
		}
		answered := false
		c.Run(r, res, func(res *Result) {
			for i := range res.Ends {
				if st, msg := res.Entry(i); st != rpc.StatusOK {
					t.Errorf("%q answered %v %s", reqs[i], st, msg)
				}
			}
			answered = true
		}, nil)
		if !answered {
			t.Fatal("a run whose replicas all answered at once was not answered")
		}
	}
	run(fmt.Sprintf("SET:STR (%d)%s (5)first", len(even), even), fmt.Sprintf("SET:STR (%d)%s (5)first", len(odd), odd))
	run(fmt.Sprintf("SET:STR (%d)%s (6)second", len(odd), odd))
	ep, op := n.partitionOfString(even), n.partitionOfString(odd)
	if want := [][]int{{ep, op}, {op}}; !slices.EqualFunc(a.sent, want, slices.Equal) {
		t.Errorf("a was sent partitions %v, want %v", a.sent, want)
	}
	if want := [][]int{{ep}}; !slices.EqualFunc(b.sent, want, slices.Equal) {
		t.Errorf("b was sent partitions %v, want %v", b.sent, want)
	}
	get := func(on *Node, k string) string { return do(t, on, 0, fmt.Sprintf("GET (%d)%s", len(k), k)) }
	if got := get(a.n, odd); got != "OK:STR (6)second" {
		t.Errorf("a has %s = %q", odd, got)
	}
	if got := get(b.n, even); got != "OK:STR (5)first" {
		t.Errorf("b has %s = %q", even, got)
	}
	if got := get(b.n, odd); got != "NULL" {
		t.Errorf("b has %s = %q", odd, got)
	}
}

// statesReplica answers a quorum read's asks from a node of its own, or
// never (silent), counting the asks.
type statesReplica struct {
	name   string
	n      *Node
	silent bool
	asks   atomic.Int64
}

func (r *statesReplica) Name() string { return r.name }

func (r *statesReplica) Send(_ []replication.Item, _ time.Duration, done func(error)) { done(nil) }

func (r *statesReplica) Ask(reqs []replication.StateReq, _ time.Duration, done func([]replication.StateAnswer, error)) {
	r.asks.Add(1)
	if r.silent {
		return // cut off: no answer comes
	}
	out := make([]replication.StateAnswer, len(reqs))
	for i, q := range reqs {
		out[i].States, _, out[i].Err = r.n.KeyStates(q.DB, q.Keys)
	}
	done(out, nil)
}

// TestQuorumReadAsksASlowReplicaLast: a quorum read asks the replica
// first in the partition's order, and another one when it has not
// answered for Speculate; the silent one is then asked after the others
// for a while (slowPeers, as serial rounds do), so a replica cut off costs
// one read that wait, not every read.
func TestQuorumReadAsksASlowReplicaLast(t *testing.T) {
	n := newNode(t, Config{Partitions: 4, KeepTombstones: true})
	cut := &statesReplica{name: "cut", silent: true}
	up := &statesReplica{name: "up", n: newNode(t, Config{Partitions: 4, KeepTombstones: true})}
	c := &Coordinator{node: n, log: slog.New(slog.DiscardHandler), readRepairs: new(atomic.Int64), slow: newSlowPeers(nil),
		replicas: func(int) ([]replication.Replica, int) { return []replication.Replica{cut, up}, 3 }}
	read := func() (string, time.Duration) {
		start := time.Now()
		got := quorumGet(t, c)
		return got, time.Since(start)
	}
	if got, took := read(); got != fmt.Sprintf("%v NULL", rpc.StatusOK) || took < replication.Speculate {
		t.Fatalf("first read: %q after %v; want NULL after the silent replica's %v", got, took, replication.Speculate)
	}
	for i := range 3 {
		if got, _ := read(); got != fmt.Sprintf("%v NULL", rpc.StatusOK) {
			t.Fatalf("read %d: %q", i+2, got)
		}
	}
	if n := cut.asks.Load(); n != 1 {
		t.Errorf("the silent replica was asked %d times in four reads; want once", n)
	}
}

// TestQuorumReadWhileACopyArrives: a quorum read whose other replica's
// copy of the partition is not complete (still arriving) falls short, and
// says why: the partition is moving, the read did not run, try again.
func TestQuorumReadWhileACopyArrives(t *testing.T) {
	n := newNode(t, Config{Partitions: 4, KeepTombstones: true})
	other := newNode(t, Config{Partitions: 4, KeepTombstones: true})
	for p := range 4 {
		if err := other.SetHeld(p, false); err != nil {
			t.Fatal(err)
		}
	}
	arriving := &statesReplica{name: "arriving", n: other}
	c := &Coordinator{node: n, log: slog.New(slog.DiscardHandler), readRepairs: new(atomic.Int64), slow: newSlowPeers(nil),
		replicas: func(int) ([]replication.Replica, int) { return []replication.Replica{arriving}, 2 }}
	want := fmt.Sprintf("%v "+msgReadArriving, rpc.StatusUnavailable, n.partitionOf([]byte("k")), 1, 2)
	if g := quorumGet(t, c); g != want {
		t.Fatalf("read with the other copy arriving: %q\nwant %q", g, want)
	}
}

// quorumGet runs GET k at QUORUM on c and returns its status and reply.
func quorumGet(t *testing.T, c *Coordinator) string {
	t.Helper()
	got := make(chan string, 1)
	run := &rpc.Run{Cmds: []rpc.Cmd{{Read: proto.ConsQuorum, Write: proto.ConsQuorum, Reqs: parse(t, "GET (1)k")}}}
	c.Run(run, new(Result), func(res *Result) {
		st, b := res.Entry(0)
		got <- fmt.Sprintf("%v %s", st, b)
	}, nil)
	return <-got
}
