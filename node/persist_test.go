package node

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"math/rand/v2"
	"testing"

	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/snapshot"
)

// blockingWriter takes the bytes it is given and, at the first Write,
// reports it on writing and waits for release.
type blockingWriter struct {
	writing, release chan struct{}
	first            bool
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	if !w.first {
		w.first = true
		close(w.writing)
		<-w.release
	}
	return len(b), nil
}

// TestSnapshotWritesOutsideLocks: a snapshot compresses and writes what
// it captured of a partition after releasing the partition's lock, so a
// slow disk (here a Write that waits) holds up no command.
func TestSnapshotWritesOutsideLocks(t *testing.T) {
	n := newNode(t, Config{Partitions: 8})
	r := rand.New(rand.NewPCG(1, 2))
	value := make([]byte, 200)
	for i := range 4000 { // random values: about 800 KiB compressed, past the writer's buffer
		for j := range value {
			value[j] = 'a' + byte(r.IntN(26))
		}
		do(t, n, 0, fmt.Sprintf("SET:STR (%d)k%06d (%d)%s", len(fmt.Sprintf("k%06d", i)), i, len(value), value))
	}
	w := &blockingWriter{writing: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := n.writeSnapshot(w)
		done <- err
	}()
	<-w.writing
	for i := range n.parts {
		if !n.parts[i].mu.TryLock() {
			t.Errorf("partition %d is locked while the snapshot writes", i)
			continue
		}
		n.parts[i].mu.Unlock()
	}
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestSnapshotOfALongList: a list of more elements and tombstones than a
// delta of its state carries (storage's EachUnsorted gives it in parts)
// is snapshotted and loads back whole, in order, on a node that keeps
// tombstones as a cluster's do.
func TestSnapshotOfALongList(t *testing.T) {
	path := filepath.Join(t.TempDir(), "vanity.db")
	n := newNode(t, Config{Partitions: 2, SnapshotPath: path, KeepTombstones: true})
	const pushed, popped = 20000, 6000
	for i := 0; i < pushed; i += 1000 {
		var b strings.Builder
		fmt.Fprintf(&b, "LIST_PUSH_RIGHT (1)l (1000)[")
		for j := i; j < i+1000; j++ {
			if j > i {
				b.WriteByte(' ')
			}
			fmt.Fprintf(&b, "(6)e%05d", j)
		}
		do(t, n, 0, b.String()+"]")
	}
	for range popped / 1000 {
		do(t, n, 0, "LIST_POP_LEFT (1)l 1000")
	}
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	m := newNode(t, Config{Partitions: 2, SnapshotPath: path, KeepTombstones: true})
	for _, c := range []struct{ req, want string }{
		{"LIST_LEN (1)l", fmt.Sprintf("OK:INT %d", pushed-popped)},
		{"LIST_GET (1)l 0", fmt.Sprintf("OK:STR (6)e%05d", popped)},
		{"LIST_GET (1)l 9999", fmt.Sprintf("OK:STR (6)e%05d", popped+9999)},
		{"LIST_GET (1)l -1", fmt.Sprintf("OK:STR (6)e%05d", pushed-1)},
	} {
		if got := do(t, m, 0, c.req); got != c.want {
			t.Errorf("%s after the reload: %q, want %q", c.req, got, c.want)
		}
	}
	for p := range 2 { // tombstones included
		a, err := n.PartitionDigest(p, hlc.Stamp{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := m.PartitionDigest(p, hlc.Stamp{})
		if err != nil {
			t.Fatal(err)
		}
		if *a != *b {
			t.Errorf("partition %d's digest differs after the reload", p)
		}
	}
}

// largePartitions lowers maxCapture to 64 KiB for the test and returns a
// node of two partitions that snapshots to path, holding keys string keys
// (k000000 on) of value, 100 bytes: their partitions pass maxCapture past
// about 1,000 keys.
func largePartitions(t *testing.T, keys int) (n *Node, path, value string) {
	old := maxCapture
	t.Cleanup(func() { maxCapture = old })
	maxCapture = 64 << 10
	path = filepath.Join(t.TempDir(), "vanity.db")
	n = newNode(t, Config{Partitions: 2, SnapshotPath: path})
	value = strings.Repeat("v", 100)
	for i := range keys {
		do(t, n, 0, fmt.Sprintf("SET:STR (7)k%06d (100)%s", i, value))
	}
	return n, path, value
}

// TestSnapshotsReuseTheirCapture: a second snapshot, written with the
// capture the first one grew (past maxCapture, so in parts), holds only
// what is there at its own time.
func TestSnapshotsReuseTheirCapture(t *testing.T) {
	n, path, _ := largePartitions(t, 3000)
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 3000; i++ {
		do(t, n, 0, fmt.Sprintf("DEL (7)k%06d", i))
	}
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	m := newNode(t, Config{Partitions: 2, SnapshotPath: path})
	if got := m.Keys(0); got != 10 {
		t.Fatalf("%d keys loaded from the second snapshot, want 10", got)
	}
}

// TestSnapshotOfALargePartition: a partition whose encoding passes
// maxCapture is written in parts as it is read, and loads back whole.
func TestSnapshotOfALargePartition(t *testing.T) {
	const keys = 5000 // about 300 KiB a partition
	n, path, value := largePartitions(t, keys)
	if err := n.Persist(); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunks, deltas := map[int]int{}, uint64(0)
	err = snapshot.ReadChunks(f, func(snapshot.Meta) error { return nil }, func(c *snapshot.Chunk) error {
		chunks[c.Partition]++
		deltas += c.Count
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if chunks[0] < 4 || chunks[1] < 4 || deltas != keys {
		t.Errorf("chunks by partition %v holding %d deltas, want at least 4 each (about 300 KiB a partition, written every 64 KiB) holding %d",
			chunks, deltas, keys)
	}
	m := newNode(t, Config{Partitions: 2, SnapshotPath: path})
	if got := m.Keys(0); got != keys {
		t.Fatalf("%d keys loaded, want %d", got, keys)
	}
	if got := do(t, m, 0, "GET (7)k004999"); got != "OK:STR (100)"+value {
		t.Fatalf("GET after the reload: %q", got)
	}
}
