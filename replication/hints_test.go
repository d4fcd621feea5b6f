package replication

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/vanitydb/vanity/storage/vfs"
)

// add keeps one hint: AddItems of one item.
func add(h *HintStore, replica string, partition int, delta []byte) error {
	return h.AddItems(replica, []Item{{Partition: partition, Deltas: delta}})
}

type delivered struct {
	partition int
	delta     string
}

func collect(into *[]delivered, failAt int) func(context.Context, []Item) error {
	return func(_ context.Context, items []Item) error {
		for _, it := range items {
			if failAt >= 0 && len(*into) == failAt {
				return errors.New("replica down again")
			}
			*into = append(*into, delivered{it.Partition, string(it.Deltas)})
		}
		return nil
	}
}

// TestHintsSurviveACrashAndArriveInOrder: under --fsync=always hints are
// fsynced before Add returns, delivered per replica in order, and
// forgotten once delivered.
func TestHintsSurviveACrashAndArriveInOrder(t *testing.T) {
	m := vfs.NewMem()
	h, err := OpenHints(m, "/hints", 1<<20, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 5; i++ {
		if err := add(h, "node-b", i, []byte(fmt.Sprintf("delta-%d", i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := add(h, "node/c", 9, []byte("other")); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	h, err = OpenHints(m, "/hints", 1<<20, true)
	if err != nil {
		t.Fatal(err)
	}
	if h.Pending("node-b") == 0 || h.PendingCount("node-b") != 5 || len(h.Replicas()) != 2 {
		t.Fatalf("after a crash: pending %d bytes, %d hints, replicas %v", h.Pending("node-b"), h.PendingCount("node-b"), h.Replicas())
	}
	var got []delivered
	n, err := h.Deliver(context.Background(), "node-b", collect(&got, -1))
	if err != nil || n != 5 {
		t.Fatalf("delivered %d: %v", n, err)
	}
	for i, d := range got {
		if d.partition != i || d.delta != fmt.Sprintf("delta-%d", i) {
			t.Fatalf("hint %d: %+v", i, d)
		}
	}
	if h.Pending("node-b") != 0 || h.PendingCount("node-b") != 0 || len(h.Replicas()) != 1 {
		t.Fatalf("delivered hints kept: %d bytes, replicas %v", h.Pending("node-b"), h.Replicas())
	}
	got = nil
	if n, err := h.Deliver(context.Background(), "node/c", collect(&got, -1)); n != 1 || got[0].delta != "other" {
		t.Fatalf("a name with a slash: %d %v %+v", n, err, got)
	}
}

// TestHintsPartialDelivery keeps the hints of a batch that failed and
// those after it, in order, with those added meanwhile after them; a
// delivery goes in batches of DeliverBatch.
func TestHintsPartialDelivery(t *testing.T) {
	h, err := OpenHints(vfs.NewMem(), "/hints", 1<<30, true)
	if err != nil {
		t.Fatal(err)
	}
	const hints = 2*DeliverBatch + 10
	for i := range hints {
		add(h, "b", i, []byte{byte(i)})
	}
	var got []delivered
	calls := 0
	n, err := h.Deliver(context.Background(), "b", func(ctx context.Context, items []Item) error {
		calls++
		if calls == 2 {
			add(h, "b", hints, []byte{0}) // a new hint while delivering
			return errors.New("down again")
		}
		return collect(&got, -1)(ctx, items)
	})
	if n != DeliverBatch || len(got) != DeliverBatch || err == nil {
		t.Fatalf("delivered %d (%d stored), err %v; want the first batch of %d", n, len(got), err, DeliverBatch)
	}
	if c := h.PendingCount("b"); c != hints-DeliverBatch+1 { // the rest, and the one added meanwhile
		t.Fatalf("%d hints pending after a partial delivery, want %d", c, hints-DeliverBatch+1)
	}
	got, calls = nil, 0
	n, err = h.Deliver(context.Background(), "b", func(ctx context.Context, items []Item) error {
		calls++
		return collect(&got, -1)(ctx, items)
	})
	if err != nil || n != hints-DeliverBatch+1 || calls != 2 {
		t.Fatalf("second delivery: %d hints in %d calls, %v; want %d in 2", n, calls, err, hints-DeliverBatch+1)
	}
	for i, d := range got {
		if d.partition != DeliverBatch+i {
			t.Fatalf("second delivery out of order at %d: %+v", i, d)
		}
	}
}

// TestHintsAreBounded refuses hints past the bound, and counts delivered
// ones as freed.
func TestHintsAreBounded(t *testing.T) {
	h, err := OpenHints(vfs.NewMem(), "/hints", 100, true)
	if err != nil {
		t.Fatal(err)
	}
	var added int
	for ; ; added++ {
		if err := add(h, "b", 1, make([]byte, 20)); errors.Is(err, ErrHintsFull) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
	}
	if added != 3 { // 29 bytes each
		t.Fatalf("%d hints of 29 bytes fit in 100", added)
	}
	var got []delivered
	h.Deliver(context.Background(), "b", collect(&got, -1))
	if err := add(h, "b", 1, make([]byte, 20)); err != nil {
		t.Fatalf("after delivery: %v", err)
	}
}

// TestHintsTornTail: a hint torn by a crash mid-write is cut off when the
// store opens, so hints added afterwards are not stuck behind it.
func TestHintsTornTail(t *testing.T) {
	m := vfs.NewMem()
	h, _ := OpenHints(m, "/hints", 1<<20, true)
	add(h, "b", 1, []byte("kept"))
	add(h, "b", 2, []byte("torn"))
	path := filepath.Join("/hints", fileOf("b"))
	size, _ := m.Size(path)
	f, _ := m.OpenAppend(path)
	f.Truncate(size - 2)
	f.Sync()
	f.Close()
	h, err := OpenHints(m, "/hints", 1<<20, true)
	if err != nil {
		t.Fatal(err)
	}
	add(h, "b", 3, []byte("after"))
	var got []delivered
	if n, err := h.Deliver(context.Background(), "b", collect(&got, -1)); err != nil || n != 2 ||
		got[0].delta != "kept" || got[1].delta != "after" {
		t.Fatalf("delivered %d %v: %+v", n, err, got)
	}
}

// TestHintsOldFormatRemoved: a hint file of the format before record
// framing is removed at open, not read as hints nor left behind.
func TestHintsOldFormatRemoved(t *testing.T) {
	m := vfs.NewMem()
	m.MkdirAll("/hints")
	old := filepath.Join("/hints", "hints-62")
	m.WriteFile(old, []byte{0, 0, 0, 5, 1, 2, 3, 4, 1, 'a', 'b', 'c', 'd'})
	h, err := OpenHints(m, "/hints", 1<<20, true)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.Size(old); !vfs.IsNotExist(err) {
		t.Fatalf("the old file is still there: %v", err)
	}
	if n := h.Pending("b"); n != 0 || len(h.Replicas()) != 0 {
		t.Fatalf("hints pending from an old file: %d bytes, replicas %v", n, h.Replicas())
	}
}

// syncCounter counts the fsyncs of the files opened through it.
type syncCounter struct {
	vfs.FS
	syncs *int
}

func (s syncCounter) Create(name string) (vfs.File, error) {
	f, err := s.FS.Create(name)
	return countedFile{f, s.syncs}, err
}

func (s syncCounter) OpenAppend(name string) (vfs.File, error) {
	f, err := s.FS.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return countedFile{f, s.syncs}, nil
}

type countedFile struct {
	vfs.File
	syncs *int
}

func (f countedFile) Sync() error {
	*f.syncs++
	return f.File.Sync()
}

// TestHintsOfASendTakeOneFsync: the hints of one failed send (a delta per
// partition of the run) are written and fsynced together, survive a
// crash, and arrive in order; past the store's limit the ones that fit
// are kept and the rest refused.
func TestHintsOfASendTakeOneFsync(t *testing.T) {
	m := vfs.NewMem()
	syncs := 0
	h, err := OpenHints(syncCounter{m, &syncs}, "/hints", 200, true)
	if err != nil {
		t.Fatal(err)
	}
	var items []Item
	for i := range 4 {
		items = append(items, Item{Partition: i, Deltas: []byte(fmt.Sprintf("delta-%d", i))})
	}
	syncs = 0
	if err := h.AddItems("b", items); err != nil {
		t.Fatal(err)
	}
	if syncs != 1 {
		t.Errorf("%d fsyncs for the hints of one send; want 1", syncs)
	}
	many := make([]Item, 20)
	for i := range many {
		many[i] = Item{Partition: 10 + i, Deltas: []byte("0123456789")}
	}
	if err := h.AddItems("b", many); !errors.Is(err, ErrHintsFull) {
		t.Fatalf("past the limit: %v; want ErrHintsFull", err)
	}
	m.Crash()
	if h, err = OpenHints(m, "/hints", 200, true); err != nil {
		t.Fatal(err)
	}
	var got []delivered
	if _, err := h.Deliver(context.Background(), "b", collect(&got, -1)); err != nil {
		t.Fatal(err)
	}
	if len(got) <= 4 || len(got) >= 4+len(many) {
		t.Fatalf("delivered %d hints after a crash; want the 4, and some but not all of the 20", len(got))
	}
	for i, d := range got {
		want := delivered{i, fmt.Sprintf("delta-%d", i)}
		if i >= 4 {
			want = delivered{10 + i - 4, "0123456789"}
		}
		if d != want {
			t.Fatalf("hint %d: %+v; want %+v", i, d, want)
		}
	}
}

// TestHintsSyncedLater: a store that does not sync each hint (the node's
// under --fsync=everysec and no) writes it without an fsync (a failed send
// per run to a dead replica fsynced each and held a node to the disk's
// pace); Sync fsyncs each file written since, once, and what it synced
// survives a power cut.
func TestHintsSyncedLater(t *testing.T) {
	m := vfs.NewMem()
	syncs := 0
	h, err := OpenHints(syncCounter{m, &syncs}, "/hints", 1<<20, false)
	if err != nil {
		t.Fatal(err)
	}
	syncs = 0
	for i := range 10 {
		if err := h.AddItems("b", []Item{{Partition: i, Deltas: []byte("d")}}); err != nil {
			t.Fatal(err)
		}
		if err := add(h, "c", i, []byte("d")); err != nil {
			t.Fatal(err)
		}
	}
	if syncs != 0 {
		t.Fatalf("%d fsyncs by Add under everysec; want none", syncs)
	}
	if err := h.Sync(); err != nil {
		t.Fatal(err)
	}
	if syncs != 2 {
		t.Fatalf("%d fsyncs by Sync for two files written; want 2", syncs)
	}
	if err := h.Sync(); err != nil || syncs != 2 {
		t.Fatalf("a Sync with nothing written since: %v, %d fsyncs in all; want 2", err, syncs)
	}
	add(h, "b", 99, []byte("not synced"))
	m.Crash()
	if h, err = OpenHints(m, "/hints", 1<<20, false); err != nil {
		t.Fatal(err)
	}
	if b, c := h.PendingCount("b"), h.PendingCount("c"); b != 10 || c != 10 {
		t.Fatalf("after a power cut: %d and %d hints; want the 10 of each Sync fsynced", b, c)
	}
}
