// Package vfs is the small file-system interface the WAL and snapshots
// write through, with three implementations: OS (the real one), Mem (in
// memory, able to simulate a power loss by dropping whatever was not
// synced) and Faulty (wraps another FS and fails the Nth write, sync or
// rename, for testing what a storage engine does with I/O errors).
//
// Durability rules the callers follow, and Mem enforces: a file's data is
// durable after File.Sync; a file's creation, removal or rename is durable
// after SyncDir of its directory.
//
// Mem and Faulty are safe for concurrent use; so is OS.
package vfs

import (
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
)

// File is an open file.
type File interface {
	io.Reader
	io.Writer
	io.Closer
	// WriteAt writes at offset off, leaving the file's offset alone; the
	// file grows (with zeros up to off) when off is past its end.
	io.WriterAt
	Sync() error
	// Truncate cuts the file to size bytes.
	Truncate(size int64) error
}

// FS is a file system.
type FS interface {
	// Create creates or truncates a file for writing.
	Create(name string) (File, error)
	// OpenAppend opens an existing file for writing at its end.
	OpenAppend(name string) (File, error)
	// Open opens a file for reading.
	Open(name string) (File, error)
	Remove(name string) error
	Rename(oldname, newname string) error
	MkdirAll(dir string) error
	// List returns the names (not paths) in dir, sorted.
	List(dir string) ([]string, error)
	// SyncDir makes creations, removals and renames in dir durable.
	SyncDir(dir string) error
	// Size returns a file's size.
	Size(name string) (int64, error)
}

// ErrNotExist is returned (wrapped) for missing files.
var ErrNotExist = fs.ErrNotExist

// OS is the real file system.
type OS struct{}

type osFile struct{ *os.File }

func (f osFile) Truncate(size int64) error { return f.File.Truncate(size) }

func (OS) Create(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (OS) OpenAppend(name string) (File, error) {
	f, err := os.OpenFile(name, os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (OS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	return osFile{f}, nil
}

func (OS) Remove(name string) error             { return os.Remove(name) }
func (OS) Rename(oldname, newname string) error { return os.Rename(oldname, newname) }
func (OS) MkdirAll(dir string) error            { return os.MkdirAll(dir, 0o700) }

func (OS) List(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(ents))
	for _, e := range ents {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

func (OS) Size(name string) (int64, error) {
	st, err := os.Stat(name)
	if err != nil {
		return 0, err
	}
	return st.Size(), nil
}

// WriteAtomic replaces name with data: write a temporary file beside it,
// sync it, rename it over name, sync the directory.
func WriteAtomic(fsys FS, name string, write func(io.Writer) error) error {
	tmp := TempName(name)
	f, err := fsys.Create(tmp)
	if err != nil {
		return err
	}
	err = write(f)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = fsys.Rename(tmp, name)
	}
	if err == nil {
		err = fsys.SyncDir(filepath.Dir(name))
	}
	if err != nil {
		_ = fsys.Remove(tmp)
	}
	return err
}

// TempName is where WriteAtomic writes before renaming.
func TempName(name string) string {
	return filepath.Join(filepath.Dir(name), "tmp."+filepath.Base(name))
}

// IsNotExist reports whether err says a file is missing.
func IsNotExist(err error) bool { return errors.Is(err, fs.ErrNotExist) }
