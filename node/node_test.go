package node

import (
	"context"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

func newNode(t testing.TB, cfg Config) *Node {
	t.Helper()
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConcurrentIncrementsAreExact(t *testing.T) {
	n := newNode(t, Config{Partitions: 8})
	const workers, each = 8, 500
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				do(t, n, 0, "INCR_INT (1)c 1")
			}
		}()
	}
	wg.Wait()
	if got, want := do(t, n, 0, "GET (1)c"), "OK:INT "+strconv.Itoa(workers*each); got != want {
		t.Fatalf("got %s, want %s", got, want)
	}
}

// TestSetMoveIsAtomic moves members back and forth between two sets in
// different partitions while readers check that the total never changes.
func TestSetMoveIsAtomic(t *testing.T) {
	n := newNode(t, Config{Partitions: 16})
	do(t, n, 0, "SET_ADD (1)A (4){(1)a(1)b(1)c(1)d}")
	do(t, n, 0, "SET_ADD (1)B (1){(1)e}")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	var bad atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			if got := do(t, n, 0, "SET_UNION_LEN (2)[(1)A(1)B]"); got != "OK:INT 5" {
				bad.Add(1)
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		m := string(rune('a' + i%5))
		do(t, n, 0, "SET_MOVE (1)A (1)B (1)"+m)
		do(t, n, 0, "SET_MOVE (1)B (1)A (1)"+m)
	}
	cancel()
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d reads saw a half-done move", bad.Load())
	}
}

func TestExecBatchIsIsolated(t *testing.T) {
	n := newNode(t, Config{Partitions: 16})
	reqs := make([]*proto.Request, 0, 2)
	for _, r := range []string{"INCR_INT (1)x 1", "INCR_INT (1)y 1"} {
		var req proto.Request
		proto.ParseRequest([]byte(r), &req)
		reqs = append(reqs, req.Clone())
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	var bad atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		for ctx.Err() == nil {
			got := do(t, n, 0, "MANY_GET (2)[(1)x(1)y]")
			r, _ := proto.ParseReply([]byte(got))
			if len(r.Value.Elems) == 2 && r.Value.Elems[0].Int != r.Value.Elems[1].Int {
				bad.Add(1)
			}
		}
	}()
	for i := 0; i < 2000; i++ {
		if out := runTx(n, 0, reqs); len(out) != 2 || out[0][:6] != "OK:INT" || out[1][:6] != "OK:INT" {
			t.Fatalf("batch: %q", out)
		}
	}
	cancel()
	wg.Wait()
	if bad.Load() != 0 {
		t.Fatalf("%d reads saw a half-applied batch", bad.Load())
	}
}

func TestResetCoversEveryPartition(t *testing.T) {
	n := newNode(t, Config{Partitions: 32})
	for i := 0; i < 100; i++ {
		do(t, n, 3, "SET:INT (5)k"+strconv.Itoa(1000+i)+" 1")
	}
	do(t, n, 4, "SET:INT (1)k 1")
	if got := do(t, n, 3, "RESET"); got != "OK" {
		t.Fatal(got)
	}
	if n.Keys(3) != 0 || n.Keys(4) != 1 {
		t.Fatalf("after RESET: db3 %d keys, db4 %d keys", n.Keys(3), n.Keys(4))
	}
}

func TestPersistAndLoad(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vanity.db")
	n := newNode(t, Config{Partitions: 8, SnapshotPath: path})
	do(t, n, 0, "SET:STR (1)s (5)hello")
	do(t, n, 15, "LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]")
	do(t, n, 2, "HASH_SET (1)h (1){(1)f(1)v}")
	do(t, n, 2, "SET:FLOAT (1)f 2.5")
	do(t, n, 2, "SET_EXPIRY (1)f 1000")
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	// A different partition count still loads: deltas are placed by key.
	m := newNode(t, Config{Partitions: 5, SnapshotPath: path})
	for _, c := range []struct {
		db        int
		req, want string
	}{
		{0, "GET (1)s", "OK:STR (5)hello"},
		{15, "GET (1)l", "OK:LIST (2)[(1)a(1)b]"},
		{2, "GET (1)h", "OK:HASH (1){(1)f(1)v}"},
		{2, "GET (1)f", "OK:FLOAT 2.500000"},
	} {
		if got := do(t, m, c.db, c.req); got != c.want {
			t.Errorf("db %d %s = %q, want %q", c.db, c.req, got, c.want)
		}
	}
	if got := do(t, m, 2, "GET_EXPIRY (1)f"); got[:9] != "OK:FLOAT " {
		t.Errorf("deadline lost: %s", got)
	}
	// Writes after the reload order after everything loaded.
	if got := do(t, m, 0, "SET:STR (1)s (1)x"); got != "OK" {
		t.Fatal(got)
	}
	if got := do(t, m, 0, "GET (1)s"); got != "OK:STR (1)x" {
		t.Fatalf("write after reload lost: %s", got)
	}
}

func TestPersistDisabled(t *testing.T) {
	n := newNode(t, Config{Partitions: 2})
	if err := n.Persist(); err != ErrPersistenceDisabled {
		t.Fatalf("got %v", err)
	}
}

func TestSweepExpired(t *testing.T) {
	var now atomic.Int64
	now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
	n := newNode(t, Config{Partitions: 4, Now: func() time.Time { return time.UnixMilli(now.Load()) }})
	for i := 0; i < 1000; i++ {
		k := "(5)k" + strconv.Itoa(1000+i)
		do(t, n, 1, "SET:INT "+k+" 1")
		do(t, n, 1, "SET_EXPIRY "+k+" 1")
	}
	do(t, n, 1, "SET:INT (4)keep 1")
	if removed := n.SweepExpired(time.Second); removed != 0 {
		t.Fatalf("removed %d keys before their deadline", removed)
	}
	now.Add(1001)
	for i := 0; i < 100 && n.Keys(1) > 1; i++ {
		n.SweepExpired(time.Second)
	}
	if n.Keys(1) != 1 {
		t.Fatalf("%d keys left after sweeping", n.Keys(1))
	}
}

// TestReleaseLetsLargeBuffersGo: an execCtx that encoded one large value
// (its log record and scratch buffers that large) goes back to the pool
// without them; small ones are kept for the next command.
func TestReleaseLetsLargeBuffersGo(t *testing.T) {
	n := newNode(t, Config{Partitions: 1})
	x := n.ctxs.Get().(*execCtx)
	x.rec, x.scratch = make([]byte, 0, 2*maxKeptBuf), make([]byte, 0, 2*maxKeptBuf)
	n.release(x)
	if cap(x.rec) != 0 || cap(x.scratch) != 0 {
		t.Errorf("released with buffers of %d and %d bytes", cap(x.rec), cap(x.scratch))
	}
	y := n.ctxs.Get().(*execCtx)
	y.rec, y.scratch = make([]byte, 0, 64), make([]byte, 0, 64)
	n.release(y)
	if cap(y.rec) != 64 || cap(y.scratch) != 64 {
		t.Errorf("small buffers not kept: %d and %d bytes", cap(y.rec), cap(y.scratch))
	}
}
