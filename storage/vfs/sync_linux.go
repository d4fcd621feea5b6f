//go:build linux

package vfs

import (
	"io/fs"
	"sync/atomic"
	"syscall"
	"time"
)

// Sync makes the file's data durable with fdatasync(2): everything needed
// to read the data back (its size included) reaches the disk, but not, as
// fsync(2) would also write, its modification time. A write-ahead log
// appended and synced once per group of writes saves a metadata write per
// sync.
//
// The call is raw, without the scheduler's bookkeeping for a call that may
// block, while the disk answers quickly (docs/decisions.md, "A sync is a
// raw system call while the disk is fast"): as a blocking call each sync
// let the runtime's monitor hand the syncing thread's P to another thread,
// keeping the monitor on its 20 µs tick, and a storage node voting on
// serial writes syncs hundreds of times a second. What a raw call gives
// up: the goroutine keeps its P, and a collection that must stop the
// world waits for the sync to end. So once a sync has taken longer than
// rawSyncMax the next ones are blocking calls, until one is quick again: a
// stalling disk can hold the process up once, not at every collection.
func (f osFile) Sync() error {
	raw, err := f.File.SyscallConn()
	if err != nil {
		return f.File.Sync()
	}
	var serr error
	if err := raw.Control(func(fd uintptr) { serr = datasync(fd, &syncs) }); err != nil {
		return err
	}
	if serr != nil {
		return &fs.PathError{Op: "fdatasync", Path: f.File.Name(), Err: serr}
	}
	return nil
}

// rawSyncMax is the longest sync after which the next is still raw.
const rawSyncMax = 10 * time.Millisecond

// syncMode chooses how the next sync is called from how long the last one
// took. The process's files are taken to share a disk.
type syncMode struct{ slow atomic.Bool }

var syncs syncMode

// raw reports whether the next sync is to be a raw call.
func (m *syncMode) raw() bool { return !m.slow.Load() }

// took records how long a sync took.
func (m *syncMode) took(d time.Duration) { m.slow.Store(d > rawSyncMax) }

func datasync(fd uintptr, m *syncMode) error {
	raw, start := m.raw(), time.Now()
	defer func() { m.took(time.Since(start)) }()
	for {
		var err error
		if raw {
			if _, _, e := syscall.RawSyscall(syscall.SYS_FDATASYNC, fd, 0, 0); e != 0 {
				err = e
			}
		} else {
			err = syscall.Fdatasync(int(fd))
		}
		if err != syscall.EINTR {
			return err
		}
	}
}
