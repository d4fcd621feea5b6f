//go:build linux

package vfs

import (
	"io/fs"
	"syscall"
)

// Sync makes the file's data durable with fdatasync(2): everything needed
// to read the data back (its size included) reaches the disk, but not, as
// fsync(2) would also write, its modification time. A write-ahead log
// appended and synced once per group of writes saves a metadata write per
// sync.
func (f osFile) Sync() error {
	raw, err := f.File.SyscallConn()
	if err != nil {
		return f.File.Sync()
	}
	var serr error
	if err := raw.Control(func(fd uintptr) {
		for {
			if serr = syscall.Fdatasync(int(fd)); serr != syscall.EINTR {
				return
			}
		}
	}); err != nil {
		return err
	}
	if serr != nil {
		return &fs.PathError{Op: "fdatasync", Path: f.File.Name(), Err: serr}
	}
	return nil
}
