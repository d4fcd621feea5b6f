// The test drives scripts/cluster: real vanity-node and vanity-router
// processes on loopback ports, crashed, restarted, joined, removed and
// stopped the way an operator (or a chaos script) would.
package scripts_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/sched"
	"github.com/vanitydb/vanity/proto"
)

type cluster struct {
	t      *testing.T
	script string
	env    []string
	dir    string
}

func newCluster(t *testing.T) *cluster {
	_, file, _, _ := runtime.Caller(0)
	dir := t.TempDir()
	c := &cluster{t: t, script: filepath.Join(filepath.Dir(file), "cluster"), dir: dir}
	c.env = append(os.Environ(), "VANITY_CLUSTER_DIR="+dir, "VANITY_CLUSTER_FAST=1",
		"VANITY_CLUSTER_PARTITIONS=64", "VANITY_CLUSTER_WAIT=120")
	t.Cleanup(func() {
		if out, err := c.try("down"); err != nil {
			t.Errorf("cluster down: %v\n%s", err, out)
		}
		if t.Failed() {
			c.dumpLogs()
		}
	})
	return c
}

// nodeProcs reads node i's GOMAXPROCS from its metrics.
func (c *cluster) nodeProcs(i int) int {
	c.t.Helper()
	addr, err := os.ReadFile(filepath.Join(c.dir, "nodes", strconv.Itoa(i), "debug"))
	if err != nil {
		c.t.Fatal(err)
	}
	resp, err := http.Get("http://" + strings.TrimSpace(string(addr)) + "/metrics")
	if err != nil {
		c.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	for line := range strings.Lines(string(body)) {
		if v, ok := strings.CutPrefix(line, "go_sched_gomaxprocs_threads "); ok {
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				c.t.Fatalf("node %d: %q", i, line)
			}
			return n
		}
	}
	c.t.Fatalf("node %d's metrics have no go_sched_gomaxprocs_threads", i)
	return 0
}

// policyOf returns the scheduling policy every thread of process pid has,
// failing the test if its threads differ.
func policyOf(t *testing.T, pid int) sched.Policy {
	t.Helper()
	tids, err := sched.Threads(pid)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[sched.Policy]int{}
	for _, tid := range tids {
		if p, ok, err := sched.Of(tid); err == nil && ok {
			seen[p]++
		} else if err == nil {
			t.Fatalf("process %d: thread %d has a policy neither normal nor batch", pid, tid)
		}
	}
	if len(seen) != 1 {
		t.Fatalf("process %d's threads have policies %v, want one", pid, seen)
	}
	for p := range seen {
		return p
	}
	return 0
}

// dumpLogs shows the end of every member's log, for a failed test.
func (c *cluster) dumpLogs() {
	logs, _ := filepath.Glob(filepath.Join(c.dir, "*", "*", "log"))
	for _, name := range logs {
		data, err := os.ReadFile(name)
		if err != nil {
			continue
		}
		lines := strings.Split(strings.TrimSpace(string(data)), "\n")
		c.t.Logf("== %s (last %d lines)\n%s", name, min(40, len(lines)), strings.Join(lines[max(0, len(lines)-40):], "\n"))
	}
}

func (c *cluster) try(args ...string) (string, error) {
	cmd := exec.Command(c.script, args...)
	cmd.Env = c.env
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// tryScript runs another script of this directory (scripts/chaos) on the
// same cluster and returns its standard output (its standard error goes
// to the test log).
func (c *cluster) tryScript(name string, args ...string) (string, error) {
	cmd := exec.Command(filepath.Join(filepath.Dir(c.script), name), args...)
	cmd.Env = c.env
	var errb strings.Builder
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if errb.Len() > 0 {
		c.t.Logf("%s: %s", name, errb.String())
	}
	return string(out), err
}

// run runs the script and returns its last output line.
func (c *cluster) run(args ...string) string {
	c.t.Helper()
	out, err := c.try(args...)
	if err != nil {
		c.t.Fatalf("scripts/cluster %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return lines[len(lines)-1]
}

func routerAddr(t *testing.T, line string) string {
	t.Helper()
	addr, ok := strings.CutPrefix(line, "router ")
	if !ok || !strings.HasPrefix(addr, "127.0.0.1:") {
		t.Fatalf("want \"router 127.0.0.1:PORT\", got %q", line)
	}
	return addr
}

func dial(t *testing.T, addr string) *client.Client {
	t.Helper()
	c, err := client.Dial(addr, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// readAll checks every key through c, retrying until deadline while some
// are unavailable (never accepting a wrong value or a missing key).
func readAll(t *testing.T, c *client.Client, keys map[string]string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		unavailable := ""
		for k, want := range keys {
			r, err := c.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case r.Status == proto.StatusOK && string(r.Value.Str) == want:
			case r.Status == proto.StatusError:
				unavailable = k + ": " + client.Format(r)
			default:
				t.Fatalf("key %s: %s, want %q", k, client.Format(r), want)
			}
		}
		if unavailable == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still unavailable after %v: %s", within, unavailable)
		}
		time.Sleep(50 * time.Millisecond) // waiting for a node to come back
	}
}

func write(t *testing.T, c *client.Client, keys map[string]string, prefix string, n int) {
	t.Helper()
	for i := 0; i < n; i++ {
		k, v := prefix+strconv.Itoa(i), "value-"+strconv.Itoa(i)
		r, err := c.Set(k, v)
		if err != nil || r.Status != proto.StatusOK {
			t.Fatalf("SET %s: %v %s", k, err, client.Format(r))
		}
		keys[k] = v
	}
}

func pidOf(t *testing.T, dir string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	return pid
}

// alive reports whether pid runs (a zombie awaiting its reaper does not).
func alive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	f := strings.Fields(string(b))
	return len(f) > 2 && f[2] != "Z"
}

// TestClusterScript runs a cluster of one copy per partition, where a
// crashed node's partitions are unavailable until it comes back.
func TestClusterScript(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c := newCluster(t)
	c.env = append(c.env, "VANITY_CLUSTER_REPLICAS=1", "VANITY_CLUSTER_NODE_PROCS=1")
	r1 := routerAddr(t, c.run("up", "3"))
	for i := 1; i <= 3; i++ {
		if got := c.nodeProcs(i); got != 1 {
			t.Errorf("node %d runs on %d cores at once, want the 1 of VANITY_CLUSTER_NODE_PROCS", i, got)
		}
	}
	// Nodes and routers run as SCHED_BATCH by default (--sched).
	if runtime.GOOS == "linux" {
		for _, m := range []string{"nodes/1", "routers/1"} {
			if got := policyOf(t, pidOf(t, filepath.Join(c.dir, m))); got != sched.Batch {
				t.Errorf("%s runs with scheduling policy %v, want batch", m, got)
			}
		}
	}
	a := dial(t, r1)
	keys := map[string]string{}
	write(t, a, keys, "k", 300)

	// A second router serves the same data.
	r2 := routerAddr(t, c.run("router"))
	b := dial(t, r2)
	readAll(t, b, keys, 0)

	// SIGTERM (systemctl stop, a deleted pod) stops a node without
	// leaving: nothing is handed off, so with one copy its partitions are
	// unavailable until it is back (it used to leave the cluster).
	term := pidOf(t, filepath.Join(c.dir, "nodes", "2"))
	if err := syscall.Kill(term, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(60 * time.Second); alive(term); {
		if time.Now().After(deadline) {
			t.Fatal("node 2 did not stop on SIGTERM")
		}
		time.Sleep(20 * time.Millisecond) // polling the process's exit
	}
	if log, err := os.ReadFile(filepath.Join(c.dir, "nodes", "2", "log")); err != nil || !strings.Contains(string(log), "staying a member") {
		t.Fatalf("node 2 on SIGTERM: %v\n%s", err, log)
	}
	c.run("start", "2")
	readAll(t, a, keys, 60*time.Second)

	// A crashed node's partitions are unavailable (never empty), and come
	// back with it.
	if got := c.run("kill", "2"); got != "killed node 2" {
		t.Fatalf("kill: %q", got)
	}
	unavailable := 0
	for k := range keys {
		r, err := a.Get(k)
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == proto.StatusError {
			unavailable++
		} else if r.Status != proto.StatusOK || string(r.Value.Str) != keys[k] {
			t.Fatalf("with node 2 down, %s: %s", k, client.Format(r))
		}
	}
	if unavailable == 0 {
		t.Fatal("no key was on the killed node")
	}
	c.run("start", "2")
	readAll(t, a, keys, 60*time.Second)
	readAll(t, b, keys, 60*time.Second)

	// A node joins and another leaves gracefully while writes continue.
	if got := c.run("add"); got != "4" {
		t.Fatalf("add printed %q, want 4", got)
	}
	write(t, a, keys, "during-join-", 100)
	if got := c.run("leave", "1"); got != "node 1 left" {
		t.Fatalf("leave: %q", got)
	}
	write(t, b, keys, "after-leave-", 100)
	if got := c.run("wait"); got != "balanced" {
		t.Fatalf("wait: %q", got)
	}
	if rep, err := a.Do("CLUSTER_INFO"); err != nil || len(rep.Value.Elems) < 2 {
		t.Fatalf("CLUSTER_INFO: %v %v", client.Format(rep), err)
	} else {
		for _, m := range rep.Value.Elems[1:] {
			if string(m.Elems[3].Str) == "alive" && m.Elems[4].Int != m.Elems[5].Int {
				t.Fatalf("after wait, a member serves %d partitions but owns %d: %s", m.Elems[4].Int, m.Elems[5].Int, client.Format(rep))
			}
		}
	}
	readAll(t, a, keys, 0)
	readAll(t, b, keys, 0)
	out, err := c.try("status")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	for _, want := range []string{"node 1 left", "node 2 running", "node 4 running", "router 2 running"} {
		if !strings.Contains(out, want) {
			t.Errorf("status lacks %q:\n%s", want, out)
		}
	}

	// An admin forgets a dead node: its partitions are served again
	// (empty, since nothing replicates them yet) and take writes.
	c.run("kill", "3")
	if got := c.run("remove", "3"); got != "removed node-3" {
		t.Fatalf("remove: %q", got)
	}
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; i < 200; {
		k := fmt.Sprintf("after-remove-%d", i)
		r, err := a.Set(k, "v")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status != proto.StatusOK {
			if time.Now().After(deadline) {
				t.Fatalf("SET %s after removing node 3: %s", k, client.Format(r))
			}
			time.Sleep(50 * time.Millisecond) // the partitions are being reassigned
			continue
		}
		i++
	}

	// down stops every process the script started.
	var pids []int
	for _, d := range []string{"nodes/2", "nodes/4", "routers/1", "routers/2"} {
		pids = append(pids, pidOf(t, filepath.Join(c.dir, d)))
	}
	if got := c.run("down"); got != "cluster down" {
		t.Fatalf("down: %q", got)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d still running after down", pid)
		}
	}
}

// TestClusterScriptTLS: with VANITY_CLUSTER_TLS=1 the script makes a CA
// and a cluster certificate, and every node and router (and a leave)
// talks mutual TLS on the internal RPC.
func TestClusterScriptTLS(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("needs openssl to make the certificates")
	}
	c := newCluster(t)
	c.env = append(c.env, "VANITY_CLUSTER_TLS=1")
	r := routerAddr(t, c.run("up", "3"))
	a := dial(t, r)
	keys := map[string]string{}
	write(t, a, keys, "tls-", 100)
	for _, m := range []string{"nodes/1", "routers/1"} {
		cmdline, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pidOf(t, filepath.Join(c.dir, m))))
		if err != nil || !strings.Contains(string(cmdline), "--rpc-tls-cert") {
			t.Errorf("%s runs without the RPC's TLS flags: %q %v", m, cmdline, err)
		}
		log, err := os.ReadFile(filepath.Join(c.dir, m, "log"))
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(log), "tls:") {
			t.Errorf("%s logged a TLS error:\n%s", m, log)
		}
	}
	if got := c.run("leave", "3"); got != "node 3 left" {
		t.Fatalf("leave over TLS: %q", got)
	}
	readAll(t, a, keys, 60*time.Second)
}

// TestClusterScriptRESP: with VANITY_CLUSTER_RESP=1 every router also
// speaks Redis's protocol; the script prints its address ("resp ADDR"
// before "router ADDR") and keeps it in the router's directory, and a
// Redis client writes and reads through it.
func TestClusterScriptRESP(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c := newCluster(t)
	c.env = append(c.env, "VANITY_CLUSTER_RESP=1")
	routerAddr(t, c.run("up", "3"))
	addr, err := os.ReadFile(filepath.Join(c.dir, "routers", "1", "resp"))
	if err != nil {
		t.Fatal(err)
	}
	rc := redis.NewClient(&redis.Options{Addr: strings.TrimSpace(string(addr)), Password: "vanity", DisableIdentity: true})
	defer rc.Close()
	ctx := context.Background()
	for deadline := time.Now().Add(30 * time.Second); ; {
		err := rc.Set(ctx, "hello", "world", 0).Err()
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SET through the RESP port: %v", err)
		}
		time.Sleep(100 * time.Millisecond) // polling while the replicas copy in
	}
	if v, err := rc.Get(ctx, "hello").Result(); err != nil || v != "world" {
		t.Fatalf("GET through the RESP port: %q, %v", v, err)
	}
	if st := c.run("status"); !strings.Contains(st, " resp ") {
		t.Errorf("status does not show the RESP address: %q", st)
	}

	// A rolling restart's step: node 2 killed and started again, then
	// "ready" waits until every node answers /ready and sees no partition
	// moving, which each node then says itself.
	c.run("kill", "2")
	c.run("start", "2")
	if got := c.run("ready"); got != "ready" {
		t.Fatalf("ready: %q", got)
	}
	for i := 1; i <= 3; i++ {
		debug, err := os.ReadFile(filepath.Join(c.dir, "nodes", strconv.Itoa(i), "debug"))
		if err != nil {
			t.Fatal(err)
		}
		base := "http://" + strings.TrimSpace(string(debug))
		ready, err := http.Get(base + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		ready.Body.Close()
		metrics, err := http.Get(base + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		text, err := io.ReadAll(metrics.Body)
		metrics.Body.Close()
		if ready.StatusCode != http.StatusOK || err != nil || !strings.Contains(string(text), "\nvanity_partitions_moving 0\n") {
			t.Errorf("node %d after ready: /ready %d, vanity_partitions_moving 0 in /metrics: %v (%v)", i, ready.StatusCode,
				strings.Contains(string(text), "\nvanity_partitions_moving 0\n"), err)
		}
	}
}
