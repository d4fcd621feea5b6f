package node

import (
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

// move transfers partition p from a to b as the service does.
func move(t *testing.T, a, b *Node, p int) {
	t.Helper()
	states, err := a.StartStream(nil, p)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.InstallPartition(p, states); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 3; i++ {
		deltas, _, err := a.PullStream(p)
		if err != nil {
			t.Fatal(err)
		}
		if err := b.ApplyStream(p, deltas); err != nil {
			t.Fatal(err)
		}
	}
	last, err := a.FinishStream(p)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.ApplyStream(p, last); err != nil {
		t.Fatal(err)
	}
	if err := b.SetHeld(p, true); err != nil {
		t.Fatal(err)
	}
	if err := a.DropPartition(p); err != nil {
		t.Fatal(err)
	}
}

// TestPartitionTransferUnderWrites moves a partition while a writer keeps
// incrementing a counter in it: every acknowledged increment arrives.
func TestPartitionTransferUnderWrites(t *testing.T) {
	a := newNode(t, Config{Partitions: 8})
	b := newNode(t, Config{Partitions: 8, Cluster: true})
	key := []byte("counter")
	p := ring.PartitionOf(key, 8)
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		req := parse(t, "INCR_INT (7)counter 1")
		for {
			select {
			case <-stop:
				return
			default:
			}
			out := runEach(a, 0, req)[0]
			if strings.HasPrefix(out, "wrong ring") {
				out = runEach(b, 0, req)[0]
			}
			if strings.HasPrefix(out, "OK:INT") {
				acked.Add(1)
			}
		}
	}()
	// Move while writes are under way, and let more land afterwards.
	for acked.Load() < 100 {
		do(t, a, 0, "SET:STR (5)other (1)x")
	}
	move(t, a, b, p)
	for after := acked.Load(); acked.Load() < after+100; {
		do(t, b, 0, "EXISTS (7)counter")
	}
	close(stop)
	wg.Wait()
	if got, want := do(t, b, 0, "GET (7)counter"), "OK:INT "+strconv.FormatInt(acked.Load(), 10); got != want {
		t.Fatalf("after the move: %s, want %s", got, want)
	}
	if got := do(t, a, 0, "GET (7)counter"); !strings.HasPrefix(got, "wrong ring") {
		t.Fatalf("the old owner still serves the partition: %q", got)
	}
}

// TestTransferSurvivesRestart checks that an installed partition and the
// held set are durable, and that a dropped partition stays dropped.
func TestTransferSurvivesRestart(t *testing.T) {
	m := vfs.NewMem()
	m.MkdirAll("/a")
	m.MkdirAll("/b")
	cfg := func(dir string, cluster bool) Config {
		return Config{Partitions: 4, SnapshotPath: dir + "/v.db", WALDir: dir + "/v.db.wal", Fsync: wal.SyncAlways,
			FS: m, Cluster: cluster, HeldPath: dir + "/held"}
	}
	a, _ := New(cfg("/a", false))
	b, _ := New(cfg("/b", true))
	do(t, a, 0, "SET:STR (1)k (5)moved")
	p := ring.PartitionOf([]byte("k"), 4)
	move(t, a, b, p)
	m.Crash()
	b2, err := New(cfg("/b", true))
	if err != nil {
		t.Fatal(err)
	}
	if got := do(t, b2, 0, "GET (1)k"); got != "OK:STR (5)moved" {
		t.Fatalf("moved partition after a crash: %q", got)
	}
	a2, err := New(cfg("/a", false))
	if err != nil {
		t.Fatal(err)
	}
	if got := do(t, a2, 0, "GET (1)k"); got != "NULL" {
		t.Fatalf("the dropped partition came back: %q", got)
	}
}

// TestHandedPartitionSurvivesRestart: a node that handed a partition off
// and restarts before the new owner confirms keeps the data, unserved, so
// a new owner that missed the hand-off's last deltas can take it again;
// once confirmed, the partition is gone for good.
func TestHandedPartitionSurvivesRestart(t *testing.T) {
	m := vfs.NewMem()
	m.MkdirAll("/a")
	cfg := Config{Partitions: 4, SnapshotPath: "/a/v.db", WALDir: "/a/v.db.wal", Fsync: wal.SyncAlways,
		FS: m, Cluster: true, HeldPath: "/a/held"}
	a, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	p := ring.PartitionOf([]byte("k"), 4)
	if err := a.SetHeld(p, true); err != nil {
		t.Fatal(err)
	}
	do(t, a, 0, "SET:STR (1)k (4)last")
	if _, err := a.StartStream(nil, p); err != nil {
		t.Fatal(err)
	}
	if _, err := a.FinishStream(p); err != nil { // the reply never arrives
		t.Fatal(err)
	}
	m.Crash()
	a2, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if got := do(t, a2, 0, "GET (1)k"); !strings.HasPrefix(got, "wrong ring") {
		t.Fatalf("a handed-off partition is served after a restart: %q", got)
	}
	if !a2.Claimed()[p] {
		t.Fatal("a handed-off partition is not claimed after a restart: no node would take it again")
	}
	b := newNode(t, Config{Partitions: 4, Cluster: true})
	move(t, a2, b, p)
	if got := do(t, b, 0, "GET (1)k"); got != "OK:STR (4)last" {
		t.Fatalf("taken again after the restart: %q", got)
	}
	m.Crash()
	a3, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if a3.Claimed()[p] || a3.Handing() != 0 {
		t.Fatal("a confirmed hand-off is claimed again after a restart")
	}
}
