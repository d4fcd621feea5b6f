package node

import (
	"log/slog"
	"slices"
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

func (h *hintLog) Add(replica string, p int, delta []byte) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.kept[replica] = append(h.kept[replica], slices.Clone(delta))
	h.parts = append(h.parts, p)
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
