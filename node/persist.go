package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"time"

	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/snapshot"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

// WAL record body (see package wal for the framing):
//
//	body = partitions:uvarint count:uvarint (partition:uvarint length:uvarint delta)*
//
// partitions is the node's partition count, so a record is never replayed
// into another layout; each delta is tagged with its partition, because a
// command may touch several (SET_MOVE, RESET). ONLY APPEND to this format.
// Node.logCmd writes it.

// Persist writes a snapshot of every partition, replacing the snapshot file
// atomically (temporary file, fsync, rename, directory fsync), then drops
// the WAL segments the snapshot covers. Each partition is captured under
// its lock together with the WAL position it has reached. After a failure
// of the log it is retryStorage: the snapshot that brings writes back.
func (n *Node) Persist() error {
	path := n.cfg.SnapshotPath
	if path == "" {
		return ErrPersistenceDisabled
	}
	if n.failure() != nil {
		return n.retryStorage() // a snapshot is also how a failed log comes back
	}
	n.persistMu.Lock()
	defer n.persistMu.Unlock()
	if n.wal != nil {
		// Start a fresh segment: once the snapshot covers what came
		// before, every older segment can go.
		if err := n.wal.Rotate(); err != nil {
			n.fail(err)
			return err
		}
	}
	n.walBytes.Store(0)
	var minPos uint64
	began := time.Now()
	err := vfs.WriteAtomic(n.fs, path, func(w io.Writer) error {
		var err error
		minPos, err = n.writeSnapshot(w)
		return err
	})
	if err != nil {
		return fmt.Errorf("node: write snapshot %s: %w", path, err)
	}
	if size, err := n.fs.Size(path); err == nil {
		n.snapBytes.Store(size)
		if n.cfg.OnSnapshot != nil {
			n.cfg.OnSnapshot(time.Since(began), size)
		}
	}
	if n.wal != nil && minPos > 0 {
		if err := n.wal.RemoveBefore(minPos + 1); err != nil {
			return fmt.Errorf("node: trim WAL: %w", err)
		}
	}
	return nil
}

// maxCapture bounds what a snapshot holds of a partition: the part of a
// larger partition past it is compressed and written under the
// partition's lock, as it is read. A variable for tests.
var maxCapture = 16 << 20

// writeSnapshot writes every partition's state to w and returns the
// lowest WAL position a partition was captured at. Each partition is
// captured under its lock (its deltas encoded, with the position its log
// records have reached), then compressed and written after the lock is
// released: a command waiting for the partition, or an event loop
// holding many such commands, does not wait for the compression or the
// disk (docs/decisions.md, "A snapshot holds a partition's lock for its
// capture alone"), unless the partition's encoding is larger than
// maxCapture.
func (n *Node) writeSnapshot(w io.Writer) (uint64, error) {
	meta := snapshot.Meta{Partitions: len(n.parts), Created: n.clock.Now()}
	if n.wal != nil {
		// Every partition is captured at this position or later: the log
		// may start right after it (recover checks that it does).
		meta.Position = n.wal.Last()
	}
	sw, err := snapshot.NewWriter(w, meta)
	if err != nil {
		return 0, err
	}
	minPos := ^uint64(0)
	// One capture, kept from snapshot to snapshot (persistMu): grown anew
	// each time, its doublings up to maxCapture and their first touches of
	// fresh memory were a seventh of a process's time under a write load
	// that made snapshots of a long list every few seconds
	// (docs/decisions.md). One much larger than maxCapture (a single state
	// larger than that) is not kept.
	c := &n.capture
	defer c.Trim(2 * maxCapture)
	for i := range n.parts {
		p := &n.parts[i]
		c.Reset()
		p.mu.Lock()
		var pos uint64
		if n.wal != nil {
			// Records touching this partition are appended under its
			// lock, so every one up to the log's last is applied here.
			pos = n.wal.Last()
		}
		p.shard.EachUnsorted(func(d *storage.Delta) bool {
			c.Add(d)
			if c.Size() >= maxCapture {
				err = sw.Partition(i, pos, c)
				c.Reset()
			}
			return err == nil
		})
		p.mu.Unlock()
		minPos = min(minPos, pos)
		if err == nil {
			err = sw.Partition(i, pos, c)
		}
		if err != nil {
			return 0, err
		}
	}
	if len(n.parts) == 0 {
		minPos = 0
	}
	return minPos, sw.Close()
}

// recover loads the snapshot and replays the WAL after it, then opens the
// WAL for new records. The partition layout of existing data wins over the
// configured count, since the layout is fixed when data is first written.
func (n *Node) recover() error {
	covered, position, err := n.loadSnapshot()
	if err != nil {
		return err
	}
	if n.cfg.WALDir == "" {
		return nil
	}
	if covered == nil {
		covered, err = n.layoutFromWAL()
		if err != nil {
			return err
		}
	}
	minCovered := ^uint64(0)
	for _, c := range covered {
		minCovered = min(minCovered, c)
		position = max(position, c) // snapshots written before Meta.Position was set
	}
	rp := n.newReplayer(covered)
	if minCovered == ^uint64(0) {
		minCovered = 0
	}
	// The log must start by position+1: what came before is in the
	// snapshot, and without one (position 0) the log must hold it all.
	// The records replayed count toward the next snapshot as if appended
	// since the last (snapshotDue): a node restarted more often than it
	// grows SnapshotLogBytes of log in one run would otherwise never
	// write one, and replay an ever longer log at each start.
	var replayed int64
	res, err := wal.Replay(n.fs, n.cfg.WALDir, n.cfg.WALRepair, position, func(seq uint64, body []byte) error {
		if seq <= minCovered {
			return nil // every partition's snapshot already has it
		}
		replayed += int64(len(body))
		return rp.record(seq, body)
	})
	if werr := rp.wait(); err == nil {
		err = werr
	}
	if err != nil {
		return err
	}
	if res.TornBytes > 0 {
		n.log.Warn("cut a torn write from the end of the WAL", "bytes", res.TornBytes)
	}
	if res.Repaired != "" {
		n.log.Error("repaired a damaged WAL; data after the damage is lost", "what", res.Repaired)
	}
	if res.Records > 0 {
		n.log.Info("replayed the WAL", "records", res.Records, "last", res.Last)
	}
	n.walBytes.Store(replayed)
	next := res.Last + 1
	for _, c := range covered {
		next = max(next, c+1)
	}
	n.wal, err = wal.Open(wal.Config{FS: n.fs, Dir: n.cfg.WALDir, Policy: n.cfg.Fsync,
		SegmentSize: n.cfg.SegmentSize, Logger: n.log, OnSync: n.cfg.OnSync, OnAppend: n.cfg.OnAppend}, next)
	return err
}

// loadSnapshot reads the snapshot file if there is one and returns each
// partition's WAL position (nil when there is no snapshot) and the
// position the whole snapshot covers.
func (n *Node) loadSnapshot() ([]uint64, uint64, error) {
	path := n.cfg.SnapshotPath
	if path == "" {
		return nil, 0, nil
	}
	if err := n.fs.Remove(vfs.TempName(path)); err == nil {
		n.log.Info("removed an incomplete snapshot left by a crash", "file", vfs.TempName(path))
	}
	f, err := n.fs.Open(path)
	if vfs.IsNotExist(err) {
		return nil, 0, nil
	}
	if err != nil {
		return nil, 0, fmt.Errorf("node: open snapshot: %w", err)
	}
	defer f.Close()
	var covered []uint64
	var position uint64
	count, err := n.loadChunks(func(chunk func(*snapshot.Chunk) error) error {
		return snapshot.ReadChunks(f, func(m snapshot.Meta) error {
			if m.Partitions < 1 || m.Partitions > 1<<20 {
				return fmt.Errorf("%w: partition count %d", snapshot.ErrCorrupt, m.Partitions)
			}
			n.makePartitions(m.Partitions)
			covered, position = make([]uint64, m.Partitions), m.Position
			// Every stamp this node gave before the snapshot is below its
			// creation, also those of keys since deleted: a clock that
			// went back across the restart still stamps after them (lock
			// tokens are stamps, and must never repeat).
			n.clock.Observe(m.Created)
			return nil
		}, chunk)
	}, func(p int, pos uint64) {
		if p < len(covered) {
			covered[p] = pos
		}
	})
	if err != nil {
		return nil, 0, fmt.Errorf("node: load snapshot %s: %w", path, err)
	}
	if size, err := n.fs.Size(path); err == nil {
		n.snapBytes.Store(size) // the rule of twice the last snapshot holds across restarts
	}
	n.log.Info("loaded snapshot", "file", path, "states", count, "partitions", len(n.parts))
	return covered, position, nil
}

// layoutFromWAL adopts the partition count of the first WAL record, when
// there is no snapshot, and returns all-zero positions.
func (n *Node) layoutFromWAL() ([]uint64, error) {
	errFound := errors.New("found")
	// Only the first record is read; whether the log is whole is for
	// recover's replay to say.
	_, err := wal.Replay(n.fs, n.cfg.WALDir, false, ^uint64(0)-1, func(_ uint64, body []byte) error {
		if parts, k := binary.Uvarint(body); k > 0 && parts > 0 && parts <= 1<<20 {
			n.makePartitions(int(parts))
		}
		return errFound
	})
	if err != nil && !errors.Is(err, errFound) {
		return nil, err
	}
	return make([]uint64, len(n.parts)), nil
}

// Close flushes and closes the WAL. The node must not be used afterwards.
func (n *Node) Close() error {
	if n.wal == nil {
		return nil
	}
	return n.wal.Close()
}

// walPath is the WAL directory beside a snapshot file.
func WALPath(snapshotPath string) string {
	return filepath.Join(filepath.Dir(snapshotPath), filepath.Base(snapshotPath)+".wal")
}
