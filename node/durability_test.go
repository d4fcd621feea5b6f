package node

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

const snapPath = "/data/vanity.db"

func durableNode(t testing.TB, fsys vfs.FS, policy wal.Policy) *Node {
	t.Helper()
	fsys.MkdirAll("/data")
	n, err := New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), Fsync: policy,
		FS: fsys, SegmentSize: 4096})
	if err != nil {
		t.Fatal(err)
	}
	// A node a test leaves open (one it "crashed" to restart another on
	// the same files) keeps its memory: FuzzApplyReplicas, which left one
	// per input, grew by 2 MB an input, 2.5 GB within seconds.
	t.Cleanup(func() { n.Close() })
	return n
}

func key(i int) string { return "(6)k" + strconv.Itoa(10000+i) }

func TestRecoverFromWALAfterCrash(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	for i := 0; i < 300; i++ {
		if got := do(t, n, i%3, "SET:INT "+key(i)+" "+strconv.Itoa(i)); got != "OK" {
			t.Fatal(got)
		}
	}
	do(t, n, 0, "LIST_PUSH_RIGHT (1)l (3)[(1)a(1)b(1)c]")
	do(t, n, 0, "LIST_POP_LEFT (1)l 1")
	do(t, n, 1, "RESET")
	m.Crash() // no Close, no snapshot: only the fsynced WAL survives
	r := durableNode(t, m, wal.SyncAlways)
	for i := 0; i < 300; i++ {
		want := "OK:INT " + strconv.Itoa(i)
		if i%3 == 1 {
			want = "NULL" // database 1 was reset
		}
		if got := do(t, r, i%3, "GET "+key(i)); got != want {
			t.Fatalf("key %d: %q, want %q", i, got, want)
		}
	}
	if got := do(t, r, 0, "GET (1)l"); got != "OK:LIST (2)[(1)b(1)c]" {
		t.Fatalf("list: %q", got)
	}
	// New writes continue the log after the replayed records.
	do(t, r, 0, "SET:STR (1)z (1)z")
	m.Crash()
	r2 := durableNode(t, m, wal.SyncAlways)
	if got := do(t, r2, 0, "GET (1)z"); got != "OK:STR (1)z" {
		t.Fatalf("write after recovery: %q", got)
	}
}

func TestSnapshotThenWAL(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	for i := 0; i < 500; i++ {
		do(t, n, 0, "INCR_INT (1)c 1")
		do(t, n, 0, "SET:STR "+key(i)+" (100)"+strings.Repeat("v", 100))
	}
	segsBefore := n.wal.Segments()
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	if segsAfter := n.wal.Segments(); segsAfter >= segsBefore {
		t.Errorf("the snapshot did not trim the WAL: %d -> %d segments", segsBefore, segsAfter)
	}
	for i := 0; i < 100; i++ {
		do(t, n, 0, "INCR_INT (1)c 1")
	}
	do(t, n, 0, "DEL "+key(7))
	m.Crash()
	r := durableNode(t, m, wal.SyncAlways)
	if got := do(t, r, 0, "GET (1)c"); got != "OK:INT 600" {
		t.Fatalf("counter after snapshot + WAL: %q", got)
	}
	if got := do(t, r, 0, "GET "+key(7)); got != "NULL" {
		t.Fatalf("deleted key came back: %q", got)
	}
	if got := do(t, r, 0, "STR_LEN "+key(8)); got != "OK:INT 100" {
		t.Fatalf("key from the snapshot: %q", got)
	}
}

// TestCrashDuringSnapshot fails each step of writing a snapshot in turn
// and crashes: the previous snapshot and the WAL still recover everything.
func TestCrashDuringSnapshot(t *testing.T) {
	for step := 0; step < 4; step++ {
		m := vfs.NewMem()
		fz := vfs.NewFaulty(m)
		n := durableNode(t, fz, wal.SyncAlways)
		for i := 0; i < 50; i++ {
			do(t, n, 0, "SET:INT "+key(i)+" 1")
		}
		if err := n.Persist(); err != nil {
			t.Fatal(err)
		}
		for i := 50; i < 100; i++ {
			do(t, n, 0, "SET:INT "+key(i)+" 2")
		}
		switch step {
		case 0:
			fz.FailAfter(vfs.OpCreate, 0)
		case 1:
			fz.FailAfter(vfs.OpRename, 0)
		case 2:
			fz.FailAfter(vfs.OpWrite, 0)
		case 3:
			fz.FailAfter(vfs.OpSync, 0)
		}
		if err := n.Persist(); err == nil {
			t.Fatalf("step %d: the failing snapshot reported success", step)
		}
		m.Crash()
		r := durableNode(t, m, wal.SyncAlways)
		for i := 0; i < 100; i++ {
			want := "OK:INT 1"
			if i >= 50 {
				want = "OK:INT 2"
			}
			if got := do(t, r, 0, "GET "+key(i)); got != want {
				t.Fatalf("step %d key %d: %q, want %q", step, i, got, want)
			}
		}
	}
}

// TestFsyncFailureRefusesWritesUntilRecovered: once the WAL cannot fsync,
// no write is acknowledged and every later write is refused with an error
// that names the cause, while reads go on. Retrying fails while the disk
// does; once it works, a snapshot from memory rebuilds the log and writes
// are taken again, and a crash after that loses nothing acknowledged.
func TestFsyncFailureRefusesWritesUntilRecovered(t *testing.T) {
	fz := vfs.NewFaulty(vfs.NewMem())
	n := durableNode(t, fz, wal.SyncAlways)
	if got := do(t, n, 0, "SET:STR (1)a (1)1"); got != "OK" {
		t.Fatal(got)
	}
	fz.FailAfter(vfs.OpSync, 0)
	if got := do(t, n, 0, "SET:STR (1)b (1)2"); !strings.HasPrefix(got, "error: write not durable") {
		t.Fatalf("a write that could not be fsynced was answered %q", got)
	}
	refused := "refused: " + ErrFailed.Error()
	if got := do(t, n, 0, "SET:STR (1)c (1)3"); !strings.HasPrefix(got, refused) {
		t.Fatalf("a write after the failure: %q", got)
	}
	if got := do(t, n, 0, "GET (1)a"); got != "OK:STR (1)1" {
		t.Fatalf("a read after the failure: %q", got)
	}
	if got := runTx(n, 0, parse(t, "INCR_INT (1)x 1", "GET (1)x")); !strings.HasPrefix(got[0], refused) {
		t.Fatalf("a transaction after the failure: %q", got)
	}
	if err := n.Persist(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("a snapshot while fsync still fails: %v", err)
	}
	if got := do(t, n, 0, "SET:STR (1)c (1)3"); !strings.HasPrefix(got, refused) {
		t.Fatalf("a write after a failed retry: %q", got)
	}
	fz.FailAfter(vfs.OpSync, -1)
	if err := n.retryStorage(); err != nil {
		t.Fatalf("retry once the disk works: %v", err)
	}
	if got := do(t, n, 0, "SET:STR (1)d (1)4"); got != "OK" {
		t.Fatalf("a write after the recovery: %q", got)
	}
	fz.FS.(*vfs.Mem).Crash()
	r := durableNode(t, fz.FS, wal.SyncAlways)
	for k, want := range map[string]string{"a": "OK:STR (1)1", "d": "OK:STR (1)4", "c": "NULL"} {
		if got := do(t, r, 0, "GET (1)"+k); got != want {
			t.Fatalf("%s after a crash: %q, want %q", k, got, want)
		}
	}
}

// TestTornWALTail truncates the last WAL segment at every byte of its last
// records: the node starts and holds exactly the writes whose records were
// complete.
func TestTornWALTail(t *testing.T) {
	m := vfs.NewMem()
	m.MkdirAll("/data")
	n, err := New(Config{Partitions: 4, SnapshotPath: snapPath, WALDir: WALPath(snapPath), Fsync: wal.SyncAlways, FS: m})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 40; i++ {
		do(t, n, 0, "SET:INT "+key(i)+" "+strconv.Itoa(i))
	}
	n.Close()
	names := segments(m)
	path := filepath.Join(WALPath(snapPath), names[len(names)-1])
	full, _ := m.ReadFile(path)
	for cut := len(full) - 300; cut <= len(full); cut++ {
		m.WriteFile(path, full[:cut])
		// A crash tears only records not yet durable, beyond what the
		// log's head file recorded: as if it was written before them.
		m.Remove(filepath.Join(WALPath(snapPath), "head"))
		r, err := New(Config{Partitions: 4, SnapshotPath: snapPath, WALDir: WALPath(snapPath), Fsync: wal.SyncAlways, FS: m})
		if err != nil {
			t.Fatalf("cut at %d: %v", cut, err)
		}
		present := 0
		for i := 0; i < 40; i++ {
			if got := do(t, r, 0, "GET "+key(i)); got != "NULL" {
				if present != i {
					t.Fatalf("cut at %d: key %d present after a missing one", cut, i)
				}
				present++
			}
		}
		if cut == len(full) && present != 40 {
			t.Fatalf("uncut log lost writes: %d", present)
		}
		r.Close()
		m.WriteFile(path, full) // the next iteration starts from the whole log
		// Remove the segment the reopened log created.
		for _, a := range segments(m) {
			if a > names[len(names)-1] {
				m.Remove(filepath.Join(WALPath(snapPath), a))
			}
		}
	}
}

func TestCorruptWALRefusesToStart(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	for i := 0; i < 200; i++ {
		do(t, n, 0, "SET:INT "+key(i)+" 1")
	}
	n.Close()
	names := segments(m)
	first := filepath.Join(WALPath(snapPath), names[0])
	data, _ := m.ReadFile(first)
	data[len(data)/2] ^= 0x40
	m.WriteFile(first, data)
	_, err := New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m})
	if !errors.Is(err, wal.ErrCorrupt) || !strings.Contains(err.Error(), names[0]) {
		t.Fatalf("a corrupt WAL gave %v", err)
	}
	r, err := New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m, WALRepair: true})
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	if got := do(t, r, 0, "GET "+key(0)); got != "OK:INT 1" {
		t.Fatalf("records before the damage lost: %q", got)
	}
}

// TestLogWithoutItsSnapshotRefusesToStart: once a snapshot let the log
// drop its first records, starting without that snapshot (deleted, or an
// older one put back) would serve what remains as if it were everything;
// the start is refused with a message that says what is missing, and
// --wal-repair starts on what is there. A snapshot of empty partitions
// still covers the log before it.
func TestLogWithoutItsSnapshotRefusesToStart(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	do(t, n, 0, "SET:INT "+key(0)+" 1")
	do(t, n, 0, "DEL "+key(0))
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i < 200; i++ {
		do(t, n, 0, "SET:INT "+key(i)+" 1")
	}
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	do(t, n, 0, "SET:INT "+key(500)+" 1")
	n.Close()
	r := durableNode(t, m, wal.SyncAlways) // the snapshot is there: a normal start
	r.Close()
	m.Remove(snapPath)
	_, err := New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m})
	if !errors.Is(err, wal.ErrCorrupt) || !strings.Contains(err.Error(), "are missing") {
		t.Fatalf("a log without its snapshot gave %v", err)
	}
	r, err = New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m, WALRepair: true})
	if err != nil {
		t.Fatalf("repair: %v", err)
	}
	if got := do(t, r, 0, "GET "+key(500)); got != "OK:INT 1" {
		t.Fatalf("repair lost what the log holds: %q", got)
	}
}

func TestLayoutOfExistingDataWins(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways) // 8 partitions
	do(t, n, 0, "SET:STR (1)k (1)v")
	n.Close()
	r, err := New(Config{Partitions: 32, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m})
	if err != nil {
		t.Fatal(err)
	}
	if r.Partitions() != 8 {
		t.Fatalf("partitions %d, want the 8 of the existing data", r.Partitions())
	}
	if got := do(t, r, 0, "GET (1)k"); got != "OK:STR (1)v" {
		t.Fatal(got)
	}
}

// TestEveryStartIsANewIncarnation: a node takes a new actor id each time
// it starts, on its data or on none. Stamps and counter slots are keyed by
// actor; an incarnation that reused an old id after losing its data would
// write slots and stamps that collide with what its old self left on other
// replicas.
func TestEveryStartIsANewIncarnation(t *testing.T) {
	m := vfs.NewMem()
	seen := map[uint64]bool{}
	for i := 0; i < 3; i++ {
		n := durableNode(t, m, wal.SyncAlways)
		if seen[n.Actor()] || n.Actor() == 0 {
			t.Fatalf("start %d reused actor %x", i, n.Actor())
		}
		seen[n.Actor()] = true
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
	fresh := durableNode(t, vfs.NewMem(), wal.SyncAlways) // without the data
	defer fresh.Close()
	if seen[fresh.Actor()] {
		t.Fatalf("a start without data reused actor %x", fresh.Actor())
	}
}

// segments lists the WAL's segment files, oldest first.
func segments(m *vfs.Mem) []string {
	names, _ := m.List(WALPath(snapPath))
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, ".wal") {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// TestTruncatedWALRefusesToStart: a log cut to half its size started on
// the remaining records, silently without the rest; the head file the log
// keeps says how far it reached, so the start is refused.
func TestTruncatedWALRefusesToStart(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	for i := 0; i < 40; i++ {
		do(t, n, 0, "SET:INT "+key(i)+" 1")
	}
	n.Close()
	names := segments(m)
	last := filepath.Join(WALPath(snapPath), names[len(names)-1])
	data, _ := m.ReadFile(last)
	m.WriteFile(last, data[:len(data)/2])
	_, err := New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m})
	if !errors.Is(err, wal.ErrCorrupt) || !strings.Contains(err.Error(), "was durable") {
		t.Fatalf("a truncated WAL gave %v", err)
	}
}

// TestClockStaysAheadOfTheSnapshot: a node restarted with its wall clock a
// minute behind still stamps after everything it stamped before the last
// snapshot, keys since deleted included: a lock taken, released and taken
// again across such a restart gets a larger token.
func TestClockStaysAheadOfTheSnapshot(t *testing.T) {
	m := vfs.NewMem()
	m.MkdirAll("/data")
	wall := time.UnixMilli(2_000_000_000_000)
	open := func() *Node {
		t.Helper()
		n, err := New(Config{Partitions: 8, SnapshotPath: snapPath, WALDir: WALPath(snapPath), FS: m,
			Now: func() time.Time { return wall }})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	token := func(n *Node) int64 {
		t.Helper()
		reply := do(t, n, 0, "LOCK_ACQUIRE (4)jobs (1)a 60000")
		v, err := strconv.ParseInt(strings.TrimPrefix(reply, "OK:INT "), 10, 64)
		if err != nil {
			t.Fatalf("LOCK_ACQUIRE answered %q", reply)
		}
		return v
	}
	n := open()
	first := token(n)
	if got := do(t, n, 0, fmt.Sprintf("LOCK_RELEASE (4)jobs %d", first)); got != "OK:BOOL true" {
		t.Fatalf("release: %q", got)
	}
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	n.Close()
	wall = wall.Add(-time.Minute)
	r := open()
	defer r.Close()
	if next := token(r); next <= first {
		t.Fatalf("after a restart with the clock a minute back, the lock's token %d is not above %d", next, first)
	}
}

// TestRunSnapshotsAGrowingLog: Run writes a snapshot once the log has
// grown past SnapshotLogBytes (and twice the last snapshot), for a
// cluster's node as for the single process's, so a restart replays a
// bounded log; and the data is all there after that restart.
func TestRunSnapshotsAGrowingLog(t *testing.T) {
	for _, cluster := range []bool{false, true} {
		dir := t.TempDir()
		path := filepath.Join(dir, "db")
		cfg := Config{Partitions: 4, SnapshotPath: path, WALDir: WALPath(path), Fsync: wal.SyncNever,
			SnapshotLogBytes: 32 << 10, Cluster: cluster}
		n := newNode(t, cfg)
		holdAll(t, n, cluster)
		ctx, cancel := context.WithCancel(context.Background())
		ran := make(chan struct{})
		go func() { defer close(ran); _ = n.Run(ctx) }()
		value := strings.Repeat("v", 200)
		for i := range 400 { // ~100 KiB of log
			do(t, n, 0, fmt.Sprintf("SET:STR (%d)k%d (%d)%s", len(fmt.Sprint("k", i)), i, len(value), value))
		}
		for deadline := time.Now().Add(10 * time.Second); ; {
			if _, err := os.Stat(path); err == nil && n.walBytes.Load() < 32<<10 {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster %v: no snapshot within 10 s; the log holds %d bytes since the last", cluster, n.walBytes.Load())
			}
			time.Sleep(10 * time.Millisecond)
		}
		cancel()
		<-ran
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
		r := newNode(t, cfg)
		holdAll(t, r, cluster)
		if got := do(t, r, 0, "GET (4)k399"); got != "OK:STR (200)"+value {
			t.Fatalf("cluster %v: after the restart k399 is %q", cluster, got)
		}
		r.Close()
	}
}

// TestRestartsDoNotPostponeTheSnapshot: the log a node replays at start
// counts toward its next snapshot. A node stopped (or killed) before its
// log grew past SnapshotLogBytes in one run, again and again, used to
// count from zero at each start and never write one: the serial part
// of a 10-minute make chaos left a node that restarted every minute or
// so with 806 MB of log and no snapshot, replaying 687,573 records at
// its 37th start. And the rule of twice the last snapshot's size holds
// across a restart.
func TestRestartsDoNotPostponeTheSnapshot(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "db")
	cfg := Config{Partitions: 4, SnapshotPath: path, WALDir: WALPath(path), Fsync: wal.SyncNever,
		SnapshotLogBytes: 32 << 10}
	value := strings.Repeat("v", 200)
	set := func(n *Node, from, to int) {
		for i := from; i < to; i++ {
			k := fmt.Sprint("k", i)
			do(t, n, 0, fmt.Sprintf("SET:STR (%d)%s (%d)%s", len(k), k, len(value), value))
		}
	}
	// Three runs of 16 KiB or so each, none past the limit alone.
	for run := range 3 {
		n := newNode(t, cfg)
		if run < 2 && n.snapshotDue() {
			t.Fatalf("run %d: a snapshot is due on %d bytes of log", run, n.walBytes.Load())
		}
		set(n, run*70, (run+1)*70)
		if err := n.Close(); err != nil {
			t.Fatal(err)
		}
	}
	n := newNode(t, cfg)
	if !n.snapshotDue() {
		t.Fatalf("after three runs no snapshot is due: the node counts %d bytes of log since the last", n.walBytes.Load())
	}
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	set(n, 0, 20)
	n.Close()
	n = newNode(t, cfg)
	defer n.Close()
	snap, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := n.snapBytes.Load(); got != snap.Size() {
		t.Fatalf("after a restart the last snapshot counts %d bytes; the file has %d", got, snap.Size())
	}
	if n.snapshotDue() {
		t.Fatalf("a snapshot is due on %d bytes of log written since the last", n.walBytes.Load())
	}
	if got := do(t, n, 0, "GET (4)k209"); got != "OK:STR (200)"+value {
		t.Fatalf("k209 after the restarts: %q", got)
	}
}

// holdAll makes a cluster's node hold every partition, as the ring would
// give a lone node.
func holdAll(t *testing.T, n *Node, cluster bool) {
	t.Helper()
	for i := 0; cluster && i < n.Partitions(); i++ {
		if err := n.SetHeld(i, true); err != nil {
			t.Fatal(err)
		}
	}
}
