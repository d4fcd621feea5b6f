package ops

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/freeport"
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
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
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
	serves(t, filepath.Join(bin, "vanity"), append(flags, "--port=0"))
}

// serves starts the vanity binary with args and fails the test unless it
// listens; it stops it again.
func serves(t *testing.T, bin string, args []string) {
	t.Helper()
	cmd := exec.Command(bin, args...)
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
			t.Errorf("vanity %v: %q", args, line)
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("vanity %v did not start", args)
	}
}

// TestContainerfile checks the container file as a linter would, since no
// container engine runs here: known instructions only; every stage a COPY
// --from names exists; what COPY takes exists in the repository; the Go
// image is the go.mod's version; the packages RUN builds exist; the final
// CMD starts vanity with flags it accepts.
func TestContainerfile(t *testing.T) {
	text, err := os.ReadFile("Containerfile")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	goVersion := ""
	for _, line := range strings.Split(string(gomod), "\n") {
		if v, ok := strings.CutPrefix(line, "go "); ok {
			goVersion = strings.Join(strings.Split(v, ".")[:2], ".")
		}
	}
	known := map[string]bool{"FROM": true, "WORKDIR": true, "COPY": true, "RUN": true, "USER": true, "VOLUME": true,
		"EXPOSE": true, "CMD": true, "ENTRYPOINT": true, "ENV": true, "ARG": true, "LABEL": true, "STOPSIGNAL": true}
	stages := map[string]bool{}
	var cmd []string
	for n, line := range strings.Split(string(text), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		word, rest, _ := strings.Cut(line, " ")
		if !known[word] {
			t.Errorf("line %d: unknown instruction %q", n+1, word)
		}
		fields := strings.Fields(rest)
		switch word {
		case "FROM":
			if strings.HasPrefix(fields[0], "golang:") && !strings.HasPrefix(fields[0], "golang:"+goVersion) {
				t.Errorf("line %d: builds with %s, go.mod says go %s", n+1, fields[0], goVersion)
			}
			if len(fields) == 3 && strings.EqualFold(fields[1], "AS") {
				stages[fields[2]] = true
			}
		case "COPY":
			if from, ok := strings.CutPrefix(fields[0], "--from="); ok {
				if !stages[from] {
					t.Errorf("line %d: COPY from stage %q, which no FROM names", n+1, from)
				}
				continue
			}
			for _, src := range fields[:len(fields)-1] {
				if _, err := os.Stat(filepath.Join("..", src)); err != nil {
					t.Errorf("line %d: COPY %s: %v", n+1, src, err)
				}
			}
		case "RUN":
			for _, f := range fields {
				if strings.HasPrefix(f, "./cmd/") {
					if _, err := os.Stat(filepath.Join("..", f, "main.go")); err != nil {
						t.Errorf("line %d: builds %s: %v", n+1, f, err)
					}
				}
			}
		case "CMD":
			cmd = nil
			for _, f := range strings.Split(strings.Trim(rest, "[] "), ",") {
				cmd = append(cmd, strings.Trim(strings.TrimSpace(f), `"`))
			}
		}
	}
	if len(cmd) == 0 || cmd[0] != "vanity" {
		t.Fatalf("CMD %q: want the vanity binary", cmd)
	}
	if testing.Short() {
		return
	}
	bin := t.TempDir()
	build := exec.Command("go", "build", "-o", bin+"/", "./cmd/vanity")
	build.Dir = ".."
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	// The image's flags, its volume moved to the test's directory, on
	// free ports.
	data := t.TempDir()
	var args []string
	for _, a := range cmd[1:] {
		args = append(args, strings.ReplaceAll(a, "/data", data))
	}
	serves(t, filepath.Join(bin, "vanity"), append(args, "--port=0", "--debug-addr=off"))
}
