package main

import (
	"bytes"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
)

// cliRun runs `vanity cli` against s with args, feeding stdin, and returns
// its output and exit status.
func cliRun(t *testing.T, s *server, stdin string, args ...string) (string, int) {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command(vanityBin, append([]string{"cli", "-h", host, "-p", port}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "VANITY_PASSWORD=")
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	if err != nil {
		if _, ok := err.(*exec.ExitError); !ok {
			t.Fatal(err)
		}
	}
	return out.String(), cmd.ProcessState.ExitCode()
}

// TestCLIWords: commands typed as words, with types from the words,
// printed the way redis-cli prints them; one-shot and line by line.
func TestCLIWords(t *testing.T) {
	s := memoryServer(t)
	if out, code := cliRun(t, s, "", "set", "greeting", "hello world"); code != 0 || out != "OK\n" {
		t.Fatalf("one-shot set: %q, status %d", out, code)
	}
	if out, code := cliRun(t, s, "", "get", "greeting"); code != 0 || out != "\"hello world\"\n" {
		t.Fatalf("one-shot get: %q, status %d", out, code)
	}
	session := strings.Join([]string{
		"set n 5", "incrby n 3", `set s "5"`, "type s", "set f 2.5", "incr_float f 0.25",
		"lpush todo milk eggs", "lrange todo 0 -1", "hset h a 1", "hgetall h",
		"sadd tags x", "sismember tags x", "mget n nope", "get nope", "incrby s 1",
		"gett x", "select 2", "get n", "exit", "get greeting",
	}, "\n")
	out, code := cliRun(t, s, session)
	want := strings.Join([]string{
		"OK", "(integer) 8", "OK", "str", "OK", "(float) 2.750000",
		"(integer) 2", "1) \"eggs\"\n2) \"milk\"", "(integer) 1", `1) "a" => "1"`,
		"(integer) 1", "(true)", "1) (integer) 8\n2) (nil)", "(nil)", "(error) BAD_TYPE",
		`(error) unknown command "gett" (type help for the list)`, "OK", "(nil)",
	}, "\n") + "\n"
	if code != 0 || out != want {
		t.Fatalf("session (status %d):\n%s\nwant:\n%s", code, out, want)
	}
	if out, code := cliRun(t, s, "", "get"); code != 1 || !strings.Contains(out, "usage: GET key") {
		t.Errorf("a command without its key: %q, status %d", out, code)
	}
	if out, code := cliRun(t, s, "", "help", "lpush"); code != 0 || !strings.Contains(out, "list_push_left key value...") {
		t.Errorf("help lpush: %q, status %d", out, code)
	}
}

// TestCLILogin: -u/-a and $VANITY_PASSWORD log in; a refused login stops a
// one-shot command with status 1; --no-auth does not log in.
func TestCLILogin(t *testing.T) {
	s := memoryServer(t)
	if out, code := cliRun(t, s, "", "add_user", "alice", "wonderland"); code != 0 {
		t.Fatalf("add_user: %q", out)
	}
	if out, code := cliRun(t, s, "", "-u", "alice", "-a", "wonderland", "set", "k", "v"); code != 0 || out != "OK\n" {
		t.Errorf("-u alice -a: %q, status %d", out, code)
	}
	host, port, _ := net.SplitHostPort(s.addr)
	cmd := exec.Command(vanityBin, "cli", "-h", host, "-p", port, "-u", "alice", "get", "k")
	cmd.Env = append(os.Environ(), "VANITY_PASSWORD=wonderland")
	if out, err := cmd.CombinedOutput(); err != nil || string(out) != "\"v\"\n" {
		t.Errorf("$VANITY_PASSWORD: %q, %v", out, err)
	}
	out, code := cliRun(t, s, "", "-u", "alice", "-a", "wrong", "get", "k")
	if code != 1 || !strings.Contains(out, `cannot log in as "alice"`) {
		t.Errorf("a wrong password: %q, status %d", out, code)
	}
	if out, code := cliRun(t, s, "", "--no-auth", "get", "k"); code != 1 || out != "(error) DENIED\n" {
		t.Errorf("--no-auth: %q, status %d", out, code)
	}
}

// TestCLIRaw keeps the seed's behaviour behind --raw: frames in, frames
// out, the banner and the prompt.
func TestCLIRaw(t *testing.T) {
	s := memoryServer(t)
	out, code := cliRun(t, s, "SET:STR (3)foo (3)bar\nGET (3)foo\nexit\nPING\n", "--raw")
	if code != 0 {
		t.Fatalf("status %d: %s", code, out)
	}
	for _, want := range []string{"Welcome to Vanity!", "> OK\n", "> OK:STR (3)bar\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "PONG") {
		t.Errorf("a line after exit was sent:\n%s", out)
	}
	_, port, _ := net.SplitHostPort(s.addr)
	for _, args := range [][]string{{"127.0.0.1", port, "no-auth"}, {"--raw", "127.0.0.1", port, "no-auth"}} {
		cmd := exec.Command(vanityBin, append([]string{"cli"}, args...)...) // the seed's positional form
		cmd.Stdin = strings.NewReader("get foo\nGET (3)foo\nEXIT\n")
		got, _ := cmd.CombinedOutput()
		const want = "(error) DENIED\n(error) DENIED\n" // words: get foo, GET "(3)foo"; "EXIT" ends the CLI
		if args[0] == "--raw" {                         // frames: "get foo" is no command word, the others are sent as they are
			for _, w := range []string{"Welcome to Vanity!", "> BAD_REQUEST", "> DENIED", "Connection closed."} {
				if !strings.Contains(string(got), w) {
					t.Errorf("%q: output lacks %q:\n%s", args, w, got)
				}
			}
		} else if string(got) != want {
			t.Errorf("%q: %q, want %q", args, got, want)
		}
	}
}

// syncBuffer is a bytes.Buffer written by one goroutine and read by the
// test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// waitFor polls out until it holds want.
func waitFor(t *testing.T, out interface{ String() string }, want string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(out.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("no %q within 10s in:\n%q", want, out.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestCLISubscriberPrintsMessages: messages are printed as they arrive,
// without the user typing anything, in one-shot and interactive use.
func TestCLISubscriberPrintsMessages(t *testing.T) {
	s := memoryServer(t)
	host, port, _ := net.SplitHostPort(s.addr)
	pub := s.dial()

	oneShot := exec.Command(vanityBin, "cli", "-h", host, "-p", port, "subscribe", "news")
	var out1 syncBuffer
	oneShot.Stdout, oneShot.Stderr = &out1, &out1
	if err := oneShot.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { oneShot.Process.Kill(); oneShot.Wait() })
	waitFor(t, &out1, "(integer) 1\n")

	lines := exec.Command(vanityBin, "cli", "-h", host, "-p", port)
	stdin, err := lines.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out2 syncBuffer
	lines.Stdout, lines.Stderr = &out2, &out2
	if err := lines.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stdin.Close(); lines.Process.Kill(); lines.Wait() })
	io.WriteString(stdin, "subscribe news\n")
	waitFor(t, &out2, "(integer) 1\n")

	expect(t, pub, "PUBLISH (4)news (11)hello world", "OK")
	waitFor(t, &out1, `message from "news": "hello world"`)
	waitFor(t, &out2, `message from "news": "hello world"`)
}

// TestCLITerminal drives the CLI through a pseudo-terminal: tab completes
// a command name, the up arrow recalls the last line, and the history is
// kept in a file for the next session.
func TestCLITerminal(t *testing.T) {
	s := memoryServer(t)
	host, port, _ := net.SplitHostPort(s.addr)
	hist := filepath.Join(t.TempDir(), "history")
	cmd := exec.Command(vanityBin, "cli", "-h", host, "-p", port)
	cmd.Env = append(os.Environ(), "VANITY_HISTFILE="+hist)
	tty, err := pty.StartWithSize(cmd, &pty.Winsize{Rows: 24, Cols: 100})
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { tty.Close(); cmd.Process.Kill(); cmd.Wait() })
	var out syncBuffer
	go io.Copy(&out, tty)
	waitFor(t, &out, "> ")

	io.WriteString(tty, "sad\t")
	waitFor(t, &out, "sadd ")
	io.WriteString(tty, "todo milk eggs\r")
	waitFor(t, &out, "(integer) 2")
	io.WriteString(tty, "\x1b[A\r") // up arrow, enter: the same add again
	waitFor(t, &out, "(integer) 0")
	io.WriteString(tty, "exit\r")
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("cli: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the CLI did not exit")
	}
	saved, err := os.ReadFile(hist)
	if err != nil || !strings.Contains(string(saved), "sadd todo milk eggs\n") {
		t.Errorf("history file: %q, %v", saved, err)
	}
}

// TestREADMECLISession replays the README's CLI session and expects the
// replies it shows.
func TestREADMECLISession(t *testing.T) {
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(readme), "$ bin/vanity cli\n")
	if !ok {
		t.Fatal("README has no CLI session")
	}
	block, _, _ = strings.Cut(block, "```")
	const prompt = "vanity@127.0.0.1:9955> "
	var in, want []string
	oneShot := map[string]string{}
	lines := strings.Split(strings.TrimSuffix(block, "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		switch {
		case strings.HasPrefix(line, prompt):
			in = append(in, strings.TrimPrefix(line, prompt))
		case strings.HasPrefix(line, "$ bin/vanity cli "):
			cmd, _, _ := strings.Cut(strings.TrimPrefix(line, "$ bin/vanity cli "), "#")
			oneShot[strings.TrimSpace(cmd)] = lines[i+1]
			i++
		default:
			want = append(want, line)
		}
	}
	s := memoryServer(t)
	out, code := cliRun(t, s, strings.Join(in, "\n")+"\n")
	if code != 0 || out != strings.Join(want, "\n")+"\n" {
		t.Errorf("README session (status %d):\n%s\nwant:\n%s", code, out, strings.Join(want, "\n"))
	}
	for cmd, reply := range oneShot {
		if out, _ := cliRun(t, s, "", strings.Fields(cmd)...); out != reply+"\n" {
			t.Errorf("vanity cli %s: %q, want %q", cmd, out, reply)
		}
	}
}
