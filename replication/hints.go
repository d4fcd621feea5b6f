package replication

import (
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"sync"

	"github.com/vanitydb/vanity/storage/record"
	"github.com/vanitydb/vanity/storage/vfs"
)

// HintStore keeps hints on disk: one append-only file per replica under a
// directory, bounded in total bytes. AddItems returns once the hints are written,
// and, if the store syncs each, fsynced (otherwise Sync fsyncs what was
// written since, as the node's fsync policy says: once a second, or
// never); Deliver hands a replica's hints over in the order
// they were added and forgets each batch once the replica has stored it.
// A hint is a shortcut, not a copy the cluster counts on: a lost one
// leaves its replica to anti-entropy, as one past the store's bound does.
//
// Files are named hint-<replica in hex> and hold one record (package
// record) per hint, whose payload is partition:uvarint delta. A crash in
// the middle of an AddItems leaves a torn last record; OpenHints cuts it off
// (that AddItems never returned). Files of the format before record framing
// (hints-<hex>) are removed at open: anti-entropy and read repair bring
// their replicas up to date instead.
type HintStore struct {
	fs   vfs.FS
	dir  string
	max  int64
	each bool // fsync every AddItems

	mu     sync.Mutex
	size   int64               // bytes in every file
	sizes  map[string]int64    // bytes, by replica
	counts map[string]int64    // hints, by replica
	busy   map[string]bool     // replicas being delivered to
	dirty  map[string]bool     // replicas whose file was written since its last fsync (not each)
	files  map[string]vfs.File // each replica's file, open for appending until a delivery rewrites it
}

// A delivery's batches: at most DeliverBatch hints, and no hint starts a
// batch's DeliverBytes-th byte or later.
const (
	DeliverBatch = 256
	DeliverBytes = 1 << 20
)

// ErrHintsFull is returned by AddItems when the store is at its bound: the
// replica will be repaired by anti-entropy instead.
var ErrHintsFull = errors.New("replication: hint store full")

// OpenHints opens (creating if needed) the hint store in dir, keeping at
// most max bytes of hints, each fsynced before AddItems returns if syncEach.
func OpenHints(fs vfs.FS, dir string, max int64, syncEach bool) (*HintStore, error) {
	if err := fs.MkdirAll(dir); err != nil {
		return nil, err
	}
	h := &HintStore{fs: fs, dir: dir, max: max, each: syncEach, sizes: map[string]int64{},
		counts: map[string]int64{}, busy: map[string]bool{}, dirty: map[string]bool{}, files: map[string]vfs.File{}}
	names, err := fs.List(dir)
	if err != nil {
		return nil, err
	}
	for _, name := range names {
		if strings.HasPrefix(name, oldPrefix) {
			if err := fs.Remove(filepath.Join(dir, name)); err != nil {
				return nil, err
			}
			continue
		}
		replica, ok := replicaOf(name)
		if !ok {
			continue
		}
		n, count, err := h.trim(filepath.Join(dir, name))
		if err != nil {
			return nil, err
		}
		h.sizes[replica], h.counts[replica] = n, count
		h.size += n
	}
	return h, nil
}

// trim cuts a hint file after its last whole record (a crash may have
// torn the one after), so later hints are not appended behind garbage,
// and returns its size and how many hints it holds.
func (h *HintStore) trim(path string) (int64, int64, error) {
	data, err := h.read(path)
	if err != nil {
		return 0, 0, err
	}
	valid, count := 0, int64(0)
	for valid < len(data) {
		_, _, n, ok := decodeHint(data[valid:])
		if !ok {
			break
		}
		valid += n
		count++
	}
	if valid == len(data) {
		return int64(valid), count, nil
	}
	f, err := h.fs.OpenAppend(path)
	if err != nil {
		return 0, 0, err
	}
	err = f.Truncate(int64(valid))
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return int64(valid), count, err
}

// file returns replica's hint file, open for appending (created, and its
// directory entry fsynced, if it did not exist). Called with h.mu held.
func (h *HintStore) file(replica string) (vfs.File, error) {
	if f := h.files[replica]; f != nil {
		return f, nil
	}
	path := filepath.Join(h.dir, fileOf(replica))
	f, err := h.fs.OpenAppend(path)
	if err != nil {
		if f, err = h.fs.Create(path); err != nil {
			return nil, err
		}
		if err := h.fs.SyncDir(h.dir); err != nil {
			f.Close()
			return nil, err
		}
	}
	h.files[replica] = f
	return f, nil
}

// closeFile closes replica's file if it is open. Called with h.mu held.
func (h *HintStore) closeFile(replica string) {
	if f := h.files[replica]; f != nil {
		f.Close()
		delete(h.files, replica)
	}
}

// Sync fsyncs the files written since the last Sync and not fsynced then
// (under --fsync=everysec the node calls it once a second).
func (h *HintStore) Sync() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	for replica := range h.dirty {
		if f := h.files[replica]; f != nil {
			if err := f.Sync(); err != nil {
				h.closeFile(replica)
				return err
			}
		}
		delete(h.dirty, replica)
	}
	return nil
}

// fileOf names a replica's hint file (hex, so any node name is safe).
func fileOf(replica string) string { return filePrefix + hex.EncodeToString([]byte(replica)) }

const (
	filePrefix = "hint-"
	oldPrefix  = "hints-" // before record framing
)

func replicaOf(file string) (string, bool) {
	rest, ok := strings.CutPrefix(file, filePrefix)
	if !ok {
		return "", false
	}
	b, err := hex.DecodeString(rest)
	return string(b), err == nil
}

// AddItems keeps the deltas of items for replica, in one write and at most
// one fsync (a coordinator's failed send carries a delta per partition of
// its run: an fsync each cost a disk shared with the log). Those that do
// not fit under the store's limit are refused with ErrHintsFull, after
// the ones before them were kept.
func (h *HintStore) AddItems(replica string, items []Item) error {
	var recs []byte
	var lens []int64
	for _, it := range items {
		var start int
		recs, start = record.Begin(recs)
		recs = binary.AppendUvarint(recs, uint64(it.Partition))
		recs = append(recs, it.Deltas...)
		record.End(recs, start)
		lens = append(lens, int64(len(recs)-start))
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	fit, kept := 0, int64(0)
	for _, l := range lens {
		if h.size+kept+l > h.max {
			break
		}
		fit++
		kept += l
	}
	if fit == 0 {
		return ErrHintsFull
	}
	f, err := h.file(replica)
	if err != nil {
		return err
	}
	_, err = f.Write(recs[:kept])
	switch {
	case err != nil:
	case h.each:
		err = f.Sync()
	default:
		h.dirty[replica] = true // for Sync
	}
	if err != nil {
		h.closeFile(replica) // opened afresh by the next AddItems
		return err
	}
	h.size += kept
	h.sizes[replica] += kept
	h.counts[replica] += int64(fit)
	if fit < len(items) {
		return ErrHintsFull
	}
	return nil
}

// Pending returns the bytes of hints kept for replica.
func (h *HintStore) Pending(replica string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.sizes[replica]
}

// PendingCount returns the number of hints kept for replica.
func (h *HintStore) PendingCount(replica string) int64 {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.counts[replica]
}

// Replicas returns the replicas that have hints waiting.
func (h *HintStore) Replicas() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	var out []string
	for r, n := range h.sizes {
		if n > 0 {
			out = append(out, r)
		}
	}
	return out
}

// Deliver hands replica's hints to store in the order they were added, in
// batches of up to DeliverBatch hints or DeliverBytes bytes (one call
// each: a hint a call took seconds for the thousands a paused replica
// missed). It stops at the first error, keeping that batch and the hints
// after it (a batch partly stored is sent again: deltas join, so twice
// is harmless), and returns how many were delivered. Hints added while it
// runs wait for the next call. One delivery per replica runs at a time.
func (h *HintStore) Deliver(ctx context.Context, replica string, store func(ctx context.Context, items []Item) error) (int, error) {
	h.mu.Lock()
	if h.busy[replica] {
		h.mu.Unlock()
		return 0, fmt.Errorf("replication: hints for %s are being delivered", replica)
	}
	h.busy[replica] = true
	path := filepath.Join(h.dir, fileOf(replica))
	data, err := h.read(path)
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.busy, replica)
		h.mu.Unlock()
	}()
	if err != nil {
		return 0, err
	}
	delivered, used := 0, 0
	var derr error
	var batch []Item
	for used < len(data) {
		batch = batch[:0]
		end, corrupt := used, false
		for end < len(data) && len(batch) < DeliverBatch && end-used < DeliverBytes {
			part, delta, n, ok := decodeHint(data[end:])
			if !ok {
				// Corrupt (OpenHints already cut torn tails): the rest
				// is dropped; anti-entropy repairs what it held.
				corrupt = true
				break
			}
			batch = append(batch, Item{Partition: part, Deltas: delta})
			end += n
		}
		if len(batch) > 0 {
			if derr = ctx.Err(); derr == nil {
				derr = store(ctx, batch)
			}
			if derr != nil {
				break
			}
			used = end
			delivered += len(batch)
		}
		if corrupt {
			used = len(data)
		}
	}
	// Keep what was not delivered, and what AddItems appended meanwhile.
	h.mu.Lock()
	defer h.mu.Unlock()
	now, err := h.read(path)
	if err != nil {
		return delivered, err
	}
	rest := now[min(used, len(now)):]
	// The file is removed or replaced: the next AddItems opens it afresh (what
	// was written and not fsynced is in the copy, which is fsynced).
	h.closeFile(replica)
	delete(h.dirty, replica)
	if len(rest) == 0 {
		if err := h.fs.Remove(path); err != nil && !vfs.IsNotExist(err) {
			return delivered, err
		}
	} else if err := vfs.WriteAtomic(h.fs, path, func(w io.Writer) error {
		_, err := w.Write(rest)
		return err
	}); err != nil {
		return delivered, err
	}
	h.size += int64(len(rest)) - h.sizes[replica]
	h.sizes[replica] = int64(len(rest))
	h.counts[replica] = countHints(rest)
	if len(rest) == 0 {
		delete(h.sizes, replica)
		delete(h.counts, replica)
	}
	return delivered, derr
}

// countHints is the number of whole hints in data.
func countHints(data []byte) int64 {
	count := int64(0)
	for len(data) > 0 {
		_, _, n, ok := decodeHint(data)
		if !ok {
			break
		}
		data, count = data[n:], count+1
	}
	return count
}

// read returns a hint file's contents (nil if there is none); mu held.
func (h *HintStore) read(path string) ([]byte, error) {
	f, err := h.fs.Open(path)
	if vfs.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// decodeHint reads one record; ok is false for a torn or corrupt one.
func decodeHint(b []byte) (partition int, delta []byte, n int, ok bool) {
	body, n, err := record.Parse(b, maxHint)
	if err != nil {
		return 0, nil, 0, false
	}
	p, k := binary.Uvarint(body)
	if k <= 0 {
		return 0, nil, 0, false
	}
	return int(p), body[k:], n, true
}

// maxHint bounds a hint record's payload (a delta is bounded by the
// largest command, far below this).
const maxHint = 1 << 30
