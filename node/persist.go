package node

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/snapshot"
)

// tmpPath is where a snapshot is written before it replaces the real file.
func tmpPath(path string) string {
	return filepath.Join(filepath.Dir(path), "tmp."+filepath.Base(path))
}

// Persist writes a snapshot of every partition, replacing the snapshot file
// atomically: write a temporary file, fsync it, rename it over the old one,
// fsync the directory. Each partition is captured under its lock.
func (n *Node) Persist() error {
	path := n.cfg.SnapshotPath
	if path == "" {
		return ErrPersistenceDisabled
	}
	n.persistMu.Lock()
	defer n.persistMu.Unlock()
	tmp := tmpPath(path)
	f, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return fmt.Errorf("node: create snapshot: %w", err)
	}
	err = n.writeSnapshot(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err == nil {
		err = syncDir(filepath.Dir(path))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("node: write snapshot %s: %w", path, err)
	}
	return nil
}

func (n *Node) writeSnapshot(f *os.File) error {
	w, err := snapshot.NewWriter(f, snapshot.Meta{Partitions: len(n.parts), Created: n.clock.Now()})
	if err != nil {
		return err
	}
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		p.shard.Each(func(d *storage.Delta) bool {
			err = w.Add(i, d)
			return err == nil
		})
		p.mu.Unlock()
		if err != nil {
			return err
		}
	}
	return w.Close()
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// load reads the snapshot file if there is one. Deltas are placed by key,
// so a snapshot taken with another partition count still loads.
func (n *Node) load() error {
	path := n.cfg.SnapshotPath
	if path == "" {
		return nil
	}
	if err := os.Remove(tmpPath(path)); err == nil {
		n.log.Info("removed an incomplete snapshot left by a crash", "file", tmpPath(path))
	}
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("node: open snapshot: %w", err)
	}
	defer f.Close()
	count := 0
	err = snapshot.Read(f, func(snapshot.Meta) error { return nil }, func(_ int, d *storage.Delta) error {
		n.clock.Observe(d.MaxStamp())
		if d.DBWide {
			for i := range n.parts {
				n.parts[i].shard.Apply(d)
			}
		} else {
			n.locate([]byte(d.Key)).Apply(d)
		}
		count++
		return nil
	})
	if err != nil {
		return fmt.Errorf("node: load snapshot %s: %w", path, err)
	}
	n.log.Info("loaded snapshot", "file", path, "states", count)
	return nil
}
