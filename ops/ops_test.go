package ops

import (
	"bufio"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// execStart returns the ExecStart command line of a unit file.
func execStart(t *testing.T, unit string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("systemd", unit))
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if cmd, ok := strings.CutPrefix(line, "ExecStart="); ok {
			return strings.Fields(cmd)
		}
	}
	t.Fatalf("%s has no ExecStart", unit)
	return nil
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// TestUnitsCommandLines: the binaries accept the units' flags. The cluster
// binaries parse them and stop at --version; vanity starts with them (its
// paths and ports moved to the test's) and serves.
func TestUnitsCommandLines(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binaries")
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/vanity", "./cmd/vanity-node", "./cmd/vanity-router")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	for _, unit := range []string{"vanity-node.service", "vanity-router.service"} {
		args := execStart(t, unit)
		cmd := exec.Command(filepath.Join(bin, filepath.Base(args[0])), append(args[1:], "--version")...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Errorf("%s: %v\n%s", unit, err, out)
		}
	}

	args := execStart(t, "vanity.service")
	data := t.TempDir()
	var flags []string
	for _, a := range args[1:] {
		a = strings.ReplaceAll(a, "/var/lib/vanity", data)
		if strings.HasPrefix(a, "--debug-addr=") {
			a = "--debug-addr=" + freePort(t)
		}
		flags = append(flags, a)
	}
	cmd := exec.Command(filepath.Join(bin, "vanity"), append(flags, "--port=0")...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		if sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	select {
	case line := <-lines:
		if !strings.HasPrefix(line, "vanity listening on ") {
			t.Errorf("vanity with the unit's flags: %q", line)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("vanity with the unit's flags did not start")
	}
}
