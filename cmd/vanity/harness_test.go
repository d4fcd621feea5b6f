package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// binary is the vanity binary under test, built once by TestMain.
var vanityBin string

func TestMain(m *testing.M) {
	os.Exit(buildAndRun(m))
}

func buildAndRun(m *testing.M) int {
	if b := os.Getenv("VANITY_BIN"); b != "" {
		vanityBin = b
		return m.Run()
	}
	dir, err := os.MkdirTemp("", "vanity-e2e")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	vanityBin = filepath.Join(dir, "vanity")
	out, err := exec.Command("go", "build", "-o", vanityBin, ".").CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build vanity: %v\n%s", err, out)
		return 1
	}
	return m.Run()
}

// server is a vanity process started by a test.
type server struct {
	t    testing.TB
	cmd  *exec.Cmd
	addr string
	dir  string
	args []string
	// prefix, if set, runs the binary through another command
	// (smallmem.Prefix: in a control group).
	prefix []string
	exit   chan error
	// lines are the lines the server printed after its first.
	lines chan string
}

// start runs the binary on a free port with the given flags (plus
// --port=0 and --bcrypt-cost=4 unless given) and waits until it listens.
func start(t testing.TB, dir string, args ...string) *server {
	t.Helper()
	return startWith(t, nil, dir, args...)
}

// startWith is start with the binary run through prefix.
func startWith(t testing.TB, prefix []string, dir string, args ...string) *server {
	t.Helper()
	s := &server{t: t, dir: dir, args: args, prefix: prefix}
	s.run()
	t.Cleanup(s.kill)
	return s
}

func (s *server) run() {
	s.t.Helper()
	args := append([]string{"--port=0", "--bcrypt-cost=4"}, s.args...)
	cmd := exec.Command(vanityBin, args...)
	if len(s.prefix) > 0 {
		cmd = exec.Command(s.prefix[0], slices.Concat(s.prefix[1:], []string{vanityBin}, args)...)
	}
	cmd.Dir = s.dir
	cmd.Env = append(os.Environ(), "HOME="+s.dir)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		s.t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		s.t.Fatal(err)
	}
	s.cmd = cmd
	s.exit = make(chan error, 1)
	lines := make(chan string, 8)
	s.lines = lines
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default:
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { s.exit <- cmd.Wait() }()
	select {
	case line := <-lines:
		const prefix = "vanity listening on "
		if !strings.HasPrefix(line, prefix) {
			s.t.Fatalf("unexpected first line %q", line)
		}
		s.addr = strings.TrimPrefix(line, prefix)
	case err := <-s.exit:
		s.t.Fatalf("vanity exited before listening: %v", err)
	case <-time.After(30 * time.Second):
		s.t.Fatal("vanity did not start within 30s")
	}
}

// line returns the next line the server printed, which must start with
// prefix, without the prefix.
func (s *server) line(prefix string) string {
	s.t.Helper()
	select {
	case line := <-s.lines:
		if !strings.HasPrefix(line, prefix) {
			s.t.Fatalf("server printed %q, want a line starting %q", line, prefix)
		}
		return strings.TrimPrefix(line, prefix)
	case <-time.After(30 * time.Second):
		s.t.Fatalf("server did not print %q within 30s", prefix)
	}
	return ""
}

// kill stops the server with SIGKILL, as the seed harness does.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.ProcessState != nil {
		return
	}
	_ = s.cmd.Process.Kill()
	<-s.exit
	s.cmd = nil
}

// restart kills the server and starts it again with the same flags.
func (s *server) restart() {
	s.kill()
	s.run()
}

// wait waits for the process to exit by itself and returns its status.
func (s *server) wait(timeout time.Duration) (int, error) {
	select {
	case err := <-s.exit:
		code := s.cmd.ProcessState.ExitCode()
		s.cmd = nil
		if err != nil {
			if _, ok := err.(*exec.ExitError); !ok {
				return code, err
			}
		}
		return code, nil
	case <-time.After(timeout):
		return -1, fmt.Errorf("server still running after %v", timeout)
	}
}

func (s *server) signal(sig syscall.Signal) { _ = s.cmd.Process.Signal(sig) }

// dial connects as the default admin.
func (s *server) dial() *client.Client {
	s.t.Helper()
	return s.dialAs(client.Options{})
}

func (s *server) dialAs(opts client.Options) *client.Client {
	s.t.Helper()
	c, err := client.Dial(s.addr, opts)
	if err != nil {
		s.t.Fatalf("dial %s: %v", s.addr, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c
}

// raw sends a request payload and returns the reply payload as a string.
func raw(t testing.TB, c *client.Client, request string) string {
	t.Helper()
	out, err := c.Raw([]byte(request))
	if err != nil {
		t.Fatalf("%q: %v", request, err)
	}
	return string(out)
}

// expect runs "request => reply" pairs on c.
func expect(t testing.TB, c *client.Client, pairs ...string) {
	t.Helper()
	for i := 0; i+1 < len(pairs); i += 2 {
		if got := raw(t, c, pairs[i]); got != pairs[i+1] {
			t.Errorf("%q: got %q, want %q", pairs[i], got, pairs[i+1])
		}
	}
}

// canonical sorts the unordered parts of a reply for comparison.
func canonical(t testing.TB, reply string) string {
	t.Helper()
	r, err := proto.ParseReply([]byte(reply))
	if err != nil {
		t.Fatalf("reply %q: %v", reply, err)
	}
	proto.SortUnordered(&r)
	return string(proto.AppendReply(nil, r))
}

func memoryServer(t testing.TB) *server {
	return start(t, t.TempDir(), "--no-db-persist", "--no-users-persist", "--no-logging")
}

func execCommand(name string, args ...string) *exec.Cmd {
	cmd := exec.Command(name, args...)
	cmd.Dir = os.TempDir()
	return cmd
}
