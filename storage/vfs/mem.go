package vfs

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"sort"
	"strings"
	"sync"
)

// Mem is an in-memory FS that remembers what is durable: Crash drops every
// write not followed by File.Sync and every creation, removal or rename
// not followed by SyncDir, as a power loss would.
type Mem struct {
	mu      sync.Mutex
	files   map[string]*memNode // current namespace: path -> file
	durable map[string]*memNode // namespace as of the last SyncDir per directory
	dirs    map[string]bool
}

type memNode struct {
	data   []byte // current contents
	synced []byte // contents as of the last Sync
}

// NewMem returns an empty in-memory file system.
func NewMem() *Mem {
	return &Mem{files: map[string]*memNode{}, durable: map[string]*memNode{}, dirs: map[string]bool{"/": true, ".": true}}
}

func clean(name string) string { return filepath.Clean(name) }

func notExist(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

type memFile struct {
	m      *Mem
	n      *memNode
	off    int
	write  bool
	closed bool
}

func (m *Mem) Create(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	if !m.dirs[filepath.Dir(name)] {
		return nil, notExist("create", name)
	}
	n := m.files[name]
	if n == nil {
		n = &memNode{}
		m.files[name] = n
	}
	n.data = nil
	return &memFile{m: m, n: n, write: true}, nil
}

func (m *Mem) OpenAppend(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.files[clean(name)]
	if n == nil {
		return nil, notExist("open", name)
	}
	return &memFile{m: m, n: n, write: true}, nil
}

func (m *Mem) Open(name string) (File, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.files[clean(name)]
	if n == nil {
		return nil, notExist("open", name)
	}
	return &memFile{m: m, n: n}, nil
}

func (m *Mem) Remove(name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	if m.files[name] == nil {
		return notExist("remove", name)
	}
	delete(m.files, name)
	return nil
}

func (m *Mem) Rename(oldname, newname string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	oldname, newname = clean(oldname), clean(newname)
	n := m.files[oldname]
	if n == nil {
		return notExist("rename", oldname)
	}
	delete(m.files, oldname)
	m.files[newname] = n
	return nil
}

func (m *Mem) MkdirAll(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for d := clean(dir); ; d = filepath.Dir(d) {
		m.dirs[d] = true
		if d == "/" || d == "." {
			return nil
		}
	}
}

func (m *Mem) List(dir string) ([]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = clean(dir)
	if !m.dirs[dir] {
		return nil, notExist("list", dir)
	}
	var out []string
	for name := range m.files {
		if filepath.Dir(name) == dir {
			out = append(out, filepath.Base(name))
		}
	}
	sort.Strings(out)
	return out, nil
}

func (m *Mem) SyncDir(dir string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	dir = clean(dir)
	for name := range m.durable {
		if filepath.Dir(name) == dir {
			delete(m.durable, name)
		}
	}
	for name, n := range m.files {
		if filepath.Dir(name) == dir {
			m.durable[name] = n
		}
	}
	return nil
}

func (m *Mem) Size(name string) (int64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.files[clean(name)]
	if n == nil {
		return 0, notExist("stat", name)
	}
	return int64(len(n.data)), nil
}

// Crash simulates a power loss: only synced data and synced directory
// entries survive. Open files become useless.
func (m *Mem) Crash() {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files = map[string]*memNode{}
	for name, n := range m.durable {
		n.data = append([]byte(nil), n.synced...)
		m.files[name] = n
	}
}

// ReadFile returns a file's current contents.
func (m *Mem) ReadFile(name string) ([]byte, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := m.files[clean(name)]
	if n == nil {
		return nil, notExist("read", name)
	}
	return append([]byte(nil), n.data...), nil
}

// WriteFile replaces a file's contents, durably (for setting up tests).
func (m *Mem) WriteFile(name string, data []byte) {
	m.mu.Lock()
	defer m.mu.Unlock()
	name = clean(name)
	n := &memNode{data: append([]byte(nil), data...), synced: append([]byte(nil), data...)}
	m.files[name] = n
	m.durable[name] = n
}

// String lists the files, for test failure messages.
func (m *Mem) String() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var b strings.Builder
	names := make([]string, 0, len(m.files))
	for name := range m.files {
		names = append(names, name)
	}
	sort.Strings(names)
	for _, name := range names {
		fmt.Fprintf(&b, "%s %d bytes (%d synced)\n", name, len(m.files[name].data), len(m.files[name].synced))
	}
	return b.String()
}

var errClosed = errors.New("vfs: file closed")

func (f *memFile) Read(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return 0, errClosed
	}
	if f.off >= len(f.n.data) {
		return 0, io.EOF
	}
	n := copy(p, f.n.data[f.off:])
	f.off += n
	return n, nil
}

func (f *memFile) Write(p []byte) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed || !f.write {
		return 0, errClosed
	}
	f.n.data = append(f.n.data, p...)
	return len(p), nil
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed || !f.write {
		return 0, errClosed
	}
	if off < 0 {
		return 0, errors.New("vfs: negative offset")
	}
	if end := int(off) + len(p); end > len(f.n.data) {
		f.n.data = append(f.n.data, make([]byte, end-len(f.n.data))...)
	}
	copy(f.n.data[off:], p)
	return len(p), nil
}

func (f *memFile) Sync() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return errClosed
	}
	f.n.synced = append(f.n.synced[:0], f.n.data...)
	return nil
}

func (f *memFile) Truncate(size int64) error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	if f.closed {
		return errClosed
	}
	if int(size) < len(f.n.data) {
		f.n.data = f.n.data[:size]
	}
	return nil
}

func (f *memFile) Close() error {
	f.m.mu.Lock()
	defer f.m.mu.Unlock()
	f.closed = true
	return nil
}
