package vfs

import (
	"bytes"
	"errors"
	"io"
	"path/filepath"
	"testing"
)

func write(t *testing.T, fsys FS, name, data string, sync bool) {
	t.Helper()
	f, err := fsys.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte(data)); err != nil {
		t.Fatal(err)
	}
	if sync {
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
}

func read(fsys FS, name string) (string, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return "", err
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	return string(b), err
}

func TestMemCrashKeepsOnlyWhatWasSynced(t *testing.T) {
	m := NewMem()
	m.MkdirAll("/d")
	write(t, m, "/d/a", "durable", true)
	write(t, m, "/d/b", "never synced", false)
	m.SyncDir("/d")
	write(t, m, "/d/c", "synced file, unsynced dir", true)
	f, _ := m.OpenAppend("/d/a")
	f.Write([]byte(" + lost tail"))
	m.Rename("/d/a", "/d/renamed")
	m.Crash()
	if got, err := read(m, "/d/a"); err != nil || got != "durable" {
		t.Errorf("a = %q, %v", got, err)
	}
	if got, _ := read(m, "/d/b"); got != "" {
		t.Errorf("unsynced data survived: %q", got)
	}
	if _, err := read(m, "/d/c"); !IsNotExist(err) {
		t.Errorf("a file whose directory was never synced survived: %v", err)
	}
	if _, err := read(m, "/d/renamed"); !IsNotExist(err) {
		t.Errorf("an unsynced rename survived: %v", err)
	}
}

func TestWriteAtomic(t *testing.T) {
	for name, fsys := range map[string]FS{"mem": NewMem(), "os": OS{}} {
		dir := "/atomic"
		if name == "os" {
			dir = t.TempDir()
		}
		fsys.MkdirAll(dir)
		p := filepath.Join(dir, "f")
		for _, v := range []string{"one", "two"} {
			if err := WriteAtomic(fsys, p, func(w io.Writer) error { _, err := w.Write([]byte(v)); return err }); err != nil {
				t.Fatal(err)
			}
			if got, _ := read(fsys, p); got != v {
				t.Errorf("%s: %q, want %q", name, got, v)
			}
		}
		names, _ := fsys.List(dir)
		if len(names) != 1 {
			t.Errorf("%s: files left: %v", name, names)
		}
	}
}

func TestWriteAtomicCrashLeavesOldOrNew(t *testing.T) {
	for fail := 0; fail < 6; fail++ {
		m := NewMem()
		m.MkdirAll("/d")
		m.WriteFile("/d/f", []byte("old"))
		fz := NewFaulty(m)
		switch fail {
		case 0:
			fz.FailAfter(OpCreate, 0)
		case 1:
			fz.FailAfter(OpWrite, 0)
		case 2:
			fz.FailAfter(OpSync, 0)
		case 3:
			fz.FailAfter(OpRename, 0)
		case 4:
			fz.FailAfter(OpSync, 1) // the directory sync
		}
		err := WriteAtomic(fz, "/d/f", func(w io.Writer) error { _, err := w.Write([]byte("new")); return err })
		if fail < 5 && !errors.Is(err, ErrInjected) {
			t.Fatalf("fault %d: got %v", fail, err)
		}
		m.Crash()
		got, _ := read(m, "/d/f")
		if got != "old" && got != "new" {
			t.Errorf("fault %d: after a crash the file holds %q", fail, got)
		}
		if fail == 5 && got != "new" {
			t.Errorf("no fault, yet the new contents did not survive: %q", got)
		}
	}
}

func TestFaultyCounts(t *testing.T) {
	fz := NewFaulty(NewMem())
	fz.MkdirAll("/x")
	fz.FailAfter(OpWrite, 2)
	f, _ := fz.Create("/x/f")
	for i := 0; i < 2; i++ {
		if _, err := f.Write([]byte("a")); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.Write([]byte("a")); !errors.Is(err, ErrInjected) {
		t.Fatalf("third write: %v", err)
	}
	if fz.Count(OpWrite) != 3 {
		t.Fatalf("count %d", fz.Count(OpWrite))
	}
	_ = bytes.MinRead
}

// TestWriteAt checks that both file systems write at an offset the same
// way: past the end the file grows with zeros, and an earlier byte is
// overwritten in place.
func TestWriteAt(t *testing.T) {
	for name, fsys := range map[string]FS{"mem": NewMem(), "os": OS{}} {
		dir := "/"
		if name == "os" {
			dir = t.TempDir()
		}
		path := filepath.Join(dir, "f")
		f, err := fsys.Create(path)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("xy"), 3); err != nil {
			t.Fatal(err)
		}
		if _, err := f.WriteAt([]byte("a"), 0); err != nil {
			t.Fatal(err)
		}
		f.Close()
		r, _ := fsys.Open(path)
		got, _ := io.ReadAll(r)
		if name == "os" {
			if _, err := r.WriteAt([]byte("z"), 0); err == nil {
				t.Errorf("%s: a write to a file opened for reading succeeded", name)
			}
		}
		r.Close()
		if want := []byte("a\x00\x00xy"); !bytes.Equal(got, want) {
			t.Errorf("%s: file holds %q, want %q", name, got, want)
		}
	}
}
