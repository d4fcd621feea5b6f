package vfs

import (
	"errors"
	"sync"
)

// ErrInjected is the error Faulty returns when it injects a failure.
var ErrInjected = errors.New("vfs: injected I/O error")

// Op names an operation Faulty can fail.
type Op int

const (
	OpWrite Op = iota
	OpSync
	OpRename
	OpCreate
	numOps
)

// Faulty wraps an FS and fails chosen operations: FailAfter(op, n) lets n
// more operations of that kind succeed, then fails every later one.
type Faulty struct {
	FS
	mu      sync.Mutex
	budget  [numOps]int // remaining successes; -1 means unlimited
	counted [numOps]int // operations seen
}

// NewFaulty wraps fsys; nothing fails until FailAfter is called.
func NewFaulty(fsys FS) *Faulty {
	f := &Faulty{FS: fsys}
	for i := range f.budget {
		f.budget[i] = -1
	}
	return f
}

// FailAfter lets n more operations of kind op succeed, then fails the rest.
func (f *Faulty) FailAfter(op Op, n int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.budget[op] = n
}

// Count returns how many operations of kind op were attempted.
func (f *Faulty) Count(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.counted[op]
}

func (f *Faulty) allow(op Op) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.counted[op]++
	switch f.budget[op] {
	case -1:
		return nil
	case 0:
		return ErrInjected
	}
	f.budget[op]--
	return nil
}

func (f *Faulty) Create(name string) (File, error) {
	if err := f.allow(OpCreate); err != nil {
		return nil, err
	}
	file, err := f.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, f: f}, nil
}

func (f *Faulty) OpenAppend(name string) (File, error) {
	file, err := f.FS.OpenAppend(name)
	if err != nil {
		return nil, err
	}
	return &faultyFile{File: file, f: f}, nil
}

func (f *Faulty) Rename(oldname, newname string) error {
	if err := f.allow(OpRename); err != nil {
		return err
	}
	return f.FS.Rename(oldname, newname)
}

func (f *Faulty) SyncDir(dir string) error {
	if err := f.allow(OpSync); err != nil {
		return err
	}
	return f.FS.SyncDir(dir)
}

type faultyFile struct {
	File
	f *Faulty
}

func (x *faultyFile) Write(p []byte) (int, error) {
	if err := x.f.allow(OpWrite); err != nil {
		return 0, err
	}
	return x.File.Write(p)
}

func (x *faultyFile) WriteAt(p []byte, off int64) (int, error) {
	if err := x.f.allow(OpWrite); err != nil {
		return 0, err
	}
	return x.File.WriteAt(p, off)
}

func (x *faultyFile) Sync() error {
	if err := x.f.allow(OpSync); err != nil {
		return err
	}
	return x.File.Sync()
}
