// Package smalldisk gives tests a disk that fills up: a small tmpfs
// mounted for the test (root only).
package smalldisk

import (
	"fmt"
	"os/exec"
	"testing"
)

// Mount mounts a tmpfs of size bytes on a fresh directory for the test and
// unmounts it at the end; it skips the test where it cannot mount one (not
// root).
func Mount(t testing.TB, size int) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", fmt.Sprintf("size=%d", size), "tmpfs", dir).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a small tmpfs (needs root): %v: %s", err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("umount", dir).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", dir, err, out)
		}
	})
	return dir
}
