// Package smallmem gives tests a machine with little memory: a control
// group of the test process's own, with a memory limit, that a program is
// started in (root only, cgroup v1 or v2).
package smallmem

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/sysmem"
)

// Prefix makes a control group limited to size bytes of memory for the
// test and returns the words to put before a command so that it runs in
// it (a shell that joins the group, then execs the command). It skips the
// test where it cannot make one (not root, no memory controller), and
// removes the group at the end, once what ran in it has exited.
func Prefix(t testing.TB, size int64) []string {
	t.Helper()
	dir, limit, err := group()
	if err != nil {
		t.Skipf("no memory control group to make one in: %v", err)
	}
	dir = filepath.Join(dir, fmt.Sprintf("vanity-test-%d-%d", os.Getpid(), time.Now().UnixNano()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Skipf("cannot make a control group (needs root): %v", err)
	}
	t.Cleanup(func() {
		deadline := time.Now().Add(10 * time.Second)
		for {
			err := os.Remove(dir) // fails while a process is in it
			if err == nil || os.IsNotExist(err) {
				return
			}
			if time.Now().After(deadline) {
				t.Errorf("remove control group %s: %v", dir, err)
				return
			}
			time.Sleep(20 * time.Millisecond) // polling for its processes' exit
		}
	})
	if err := os.WriteFile(filepath.Join(dir, limit), []byte(fmt.Sprint(size)), 0o644); err != nil {
		t.Skipf("cannot limit a control group's memory: %v", err)
	}
	return []string{"sh", "-c", `echo $$ > "$0" && exec "$@"`, filepath.Join(dir, "cgroup.procs")}
}

// group returns the directory of this process's memory control group
// and the name of its limit's file: v1's, or v2's where its memory
// controller is on.
func group() (dir, limit string, err error) {
	for _, g := range sysmem.Groups() {
		if g.V2 {
			c, err := os.ReadFile(filepath.Join(g.Dir(), "cgroup.controllers"))
			if err != nil || !slices.Contains(strings.Fields(string(c)), "memory") {
				continue
			}
		}
		return g.Dir(), g.Limit, nil
	}
	return "", "", fmt.Errorf("no memory controller in /proc/self/cgroup")
}
