package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/secret"
	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/wal"
)

// TestInternalPortsClosedByDefault: a node without a cluster secret does
// not start (anyone reaching its RPC port could read and write every key);
// --insecure starts only on loopback; a secret file others can read is
// refused; the debug endpoints bind loopback only. Each case fails before
// anything listens.
func TestInternalPortsClosedByDefault(t *testing.T) {
	t.Setenv("VANITY_CLUSTER_SECRET", "")
	dir := t.TempDir()
	open := filepath.Join(dir, "secret")
	if err := os.WriteFile(open, []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want error
	}{
		{[]string{"--data-dir", dir}, secret.ErrNoSecret},
		{[]string{"--data-dir", dir, "--insecure", "--rpc", "0.0.0.0:0"}, secret.ErrNotLoopback},
		{[]string{"--data-dir", dir, "--secret-file", open}, secret.ErrReadableFile},
		{[]string{"--data-dir", dir, "--secret", "s", "--debug-addr", ":6060"}, secret.ErrNotLoopback},
		{[]string{"remove", "--join", "127.0.0.1:1", "node-9"}, secret.ErrNoSecret},
		{[]string{"leave", "--rpc", "127.0.0.1:1"}, secret.ErrNoSecret},
	} {
		if err := run(tc.args); !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.args, err, tc.want)
		}
	}
}

// TestProcsFlag: a negative --procs is refused, naming the flag, before
// anything starts. (scripts/cluster's test reads the running nodes'
// GOMAXPROCS, which the flag sets.)
func TestProcsFlag(t *testing.T) {
	err := run([]string{"--data-dir", t.TempDir(), "--procs", "-1"})
	if err == nil || !strings.Contains(err.Error(), "--procs -1") {
		t.Fatalf("--procs -1: %v, want a refusal naming the flag", err)
	}
}

// TestWALRepairFlag: a node whose log is damaged refuses to start, and
// starts with --wal-repair, keeping what came before the damage. The
// start with the flag runs in a child process (run serves until a
// signal), watched until it reports the repair.
func TestWALRepairFlag(t *testing.T) {
	if dir := os.Getenv("VANITY_NODE_CHILD_DIR"); dir != "" {
		err := run([]string{"--data-dir", dir, "--insecure", "--rpc", "127.0.0.1:0", "--gossip", "127.0.0.1:0",
			"--debug-addr", "off", "--wal-repair"})
		fmt.Fprintln(os.Stderr, "run ended:", err)
		os.Exit(1)
	}
	if testing.Short() {
		t.Skip("starts a node process")
	}
	dir := t.TempDir()
	snap := filepath.Join(dir, "vanity.db")
	cfg := node.Config{Partitions: 8, SnapshotPath: snap, WALDir: node.WALPath(snap), Fsync: wal.SyncAlways}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	coord := node.NewLocalCoordinator(n)
	for i := range 200 {
		req := proto.Request{Cmd: proto.CmdSet, Type: proto.TypeInt, Str: [3][]byte{[]byte(fmt.Sprint("k", i))}, Int: [3]int64{1}}
		done := make(chan struct{})
		coord.Run(&rpc.Run{Cmds: []rpc.Cmd{{Reqs: []*proto.Request{&req}}}}, new(node.Result), func(*node.Result) { close(done) }, nil)
		<-done
	}
	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := filepath.Glob(filepath.Join(node.WALPath(snap), "*"))
	damaged := ""
	for _, s := range segs {
		if data, err := os.ReadFile(s); err == nil && len(data) > 1024 {
			data[len(data)/2] ^= 0x40
			if err := os.WriteFile(s, data, 0o600); err != nil {
				t.Fatal(err)
			}
			damaged = s
			break
		}
	}
	if damaged == "" {
		t.Fatalf("no log segment to damage among %q", segs)
	}
	t.Setenv("VANITY_CLUSTER_SECRET", "")
	if err := run([]string{"--data-dir", dir, "--insecure", "--rpc", "127.0.0.1:0", "--gossip", "127.0.0.1:0", "--debug-addr", "off"}); !errors.Is(err, wal.ErrCorrupt) {
		t.Fatalf("a damaged log without --wal-repair: %v, want %v", err, wal.ErrCorrupt)
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestWALRepairFlag$")
	cmd.Env = append(os.Environ(), "VANITY_NODE_CHILD_DIR="+dir)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	found, read := make(chan bool, 1), make(chan struct{})
	defer func() {
		cmd.Process.Kill()
		<-read // all reads from the pipe are done before Wait
		cmd.Wait()
	}()
	go func() {
		defer close(read)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if strings.Contains(sc.Text(), "repaired a damaged WAL") {
				found <- true
				io.Copy(io.Discard, stderr)
				return
			}
			if strings.Contains(sc.Text(), "run ended") {
				t.Log(sc.Text())
				break
			}
		}
		found <- false
	}()
	select {
	case ok := <-found:
		if !ok {
			t.Fatal("the node with --wal-repair did not start on the repaired log")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("the node with --wal-repair reported no repair within 60 s")
	}
}
