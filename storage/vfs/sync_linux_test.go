//go:build linux

package vfs

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestSyncModeTurnsBlockingAfterASlowSync: a sync that took longer than
// rawSyncMax makes the next one a blocking call, and a quick one makes
// the next raw again.
func TestSyncModeTurnsBlockingAfterASlowSync(t *testing.T) {
	var m syncMode
	if !m.raw() {
		t.Fatal("a fresh process's first sync is not raw")
	}
	m.took(rawSyncMax + time.Millisecond)
	if m.raw() {
		t.Fatal("the sync after a slow one is raw")
	}
	m.took(rawSyncMax / 10)
	if !m.raw() {
		t.Fatal("the sync after a quick one is still blocking")
	}
}

// TestDatasyncBothWays syncs a written file as a raw call and as a
// blocking one, and gets the kernel's error for a closed descriptor both
// ways; Sync names the file in its error.
func TestDatasyncBothWays(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write([]byte("record")); err != nil {
		t.Fatal(err)
	}
	slow := func() *syncMode { m := &syncMode{}; m.took(time.Hour); return m }
	for _, m := range []*syncMode{{}, slow()} {
		raw := m.raw()
		if err := datasync(f.Fd(), m); err != nil {
			t.Fatalf("raw %v: %v", raw, err)
		}
		if err := datasync(^uintptr(0)>>1, m); !errors.Is(err, syscall.EBADF) {
			t.Fatalf("raw %v: a bad descriptor's sync gave %v, want EBADF", raw, err)
		}
	}
	if err := (osFile{f}).Sync(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	var pe *os.PathError
	if err := (osFile{f}).Sync(); err == nil || errors.As(err, &pe) && pe.Path != f.Name() {
		t.Fatalf("sync of a closed file: %v", err)
	}
}
