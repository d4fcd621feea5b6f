package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/freeport"
	"github.com/vanitydb/vanity/proto"
)

// freeAddr returns a loopback address whose port is free.
func freeAddr(t *testing.T) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

// start runs a binary with args, its output to a log file, and kills it
// (by its PID) when the test ends.
func start(t *testing.T, bin string, log string, args ...string) *exec.Cmd {
	t.Helper()
	f, err := os.Create(log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		f.Close()
		if t.Failed() {
			b, _ := os.ReadFile(log)
			t.Logf("== %s\n%s", log, b)
		}
	})
	return cmd
}

// repoRoot is the repository's top directory.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

// buildBinaries builds vanity-node and vanity-router into dir.
func buildBinaries(t *testing.T, dir string) {
	t.Helper()
	build := exec.Command("go", "build", "-o", dir+"/", "./cmd/vanity-node", "./cmd/vanity-router")
	build.Dir = repoRoot()
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
}

// setAndGet writes key through the router at addr, retrying while the
// replicas finish copying in, and reads it back.
func setAndGet(t *testing.T, addr, key, value string) {
	t.Helper()
	c, err := client.Dial(addr, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for deadline := time.Now().Add(60 * time.Second); ; {
		r, err := c.Set(key, value)
		if err == nil && r.Status == proto.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("SET through the cluster: %s %v", client.Format(r), err)
		}
		time.Sleep(50 * time.Millisecond) // polling while the replicas finish copying in
	}
	if r, err := c.Get(key); err != nil || string(r.Value.Str) != value {
		t.Fatalf("GET: %s %v", client.Format(r), err)
	}
}

// waitListening polls a router's log until it says it serves, and returns
// the address.
func waitListening(t *testing.T, log string, within time.Duration) string {
	t.Helper()
	return waitLogLine(t, log, "vanity-router listening on ", within)
}

// waitLogLine polls a log until a line starts with prefix, and returns
// the rest of the line.
func waitLogLine(t *testing.T, log, prefix string, within time.Duration) string {
	t.Helper()
	for deadline := time.Now().Add(within); ; {
		if f, err := os.Open(log); err == nil {
			sc := bufio.NewScanner(f)
			for sc.Scan() {
				if a, ok := strings.CutPrefix(sc.Text(), prefix); ok {
					f.Close()
					return a
				}
			}
			f.Close()
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never said %q", log, prefix)
		}
		time.Sleep(50 * time.Millisecond) // polling the log
	}
}

// TestBootstrapInAnyOrder runs the multi-machine example of docs/cluster.md
// on loopback: every node gets the same command (a --join list naming all
// of them, this one included, and a secret file), the router starts first
// and the nodes in reverse order, seconds apart. The documented bootstrap
// exited with "connection refused" on every node; now the members wait
// for each other and the router serves once the cluster is whole. The
// router is given no partition or replica count: it learns the nodes'
// (64, not its default) from their gossip.
func TestBootstrapInAnyOrder(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir, root := t.TempDir(), repoRoot()
	buildBinaries(t, dir)
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("bootstrap-test-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	gossip := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	join := strings.Join(gossip, ",")
	routerLog := filepath.Join(dir, "router.log")
	routerDebug, nodeDebug := freeAddr(t), freeAddr(t)
	start(t, filepath.Join(dir, "vanity-router"), routerLog, "-port", "0", "-gossip", freeAddr(t), "-join", join,
		"-min-nodes", "3", "-fast-gossip", "-secret-file", secret, // no counts: the router takes the nodes'
		"--debug-addr="+routerDebug, "-resp-port", "0", "-slowlog-log-slower-than", "0")
	for _, i := range []int{2, 1, 0} {
		args := []string{"--name", fmt.Sprintf("node-%d", i), "--data-dir", filepath.Join(dir, fmt.Sprintf("data%d", i)),
			"--rpc", freeAddr(t), "--gossip", gossip[i], "--join", join, "--partitions", "64", "--replicas", "3",
			"--fast-gossip", "--secret-file", secret}
		if i == 0 {
			// This node reads its flags from a configuration file.
			var conf strings.Builder
			for k := 0; k < len(args); k += 2 {
				if args[k] == "--fast-gossip" { // a switch
					fmt.Fprintf(&conf, "fast_gossip = true\n")
					k--
					continue
				}
				fmt.Fprintf(&conf, "%s = %s\n", strings.TrimPrefix(args[k], "--"), args[k+1])
			}
			fmt.Fprintf(&conf, "debug-addr = %s\n", nodeDebug)
			path := filepath.Join(dir, "node0.conf")
			if err := os.WriteFile(path, []byte(conf.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			args = []string{"--config", path}
		}
		start(t, filepath.Join(dir, "vanity-node"), filepath.Join(dir, fmt.Sprintf("node%d.log", i)), args...)
		time.Sleep(time.Second) // the members start seconds apart, as machines do
	}
	setAndGet(t, waitListening(t, routerLog, 90*time.Second), "boot", "strapped")
	// Every command is slow for this router (-slowlog-log-slower-than 0):
	// its slow log, read through its RESP port, has the GET, as the text
	// of its request.
	rc := redis.NewClient(&redis.Options{Addr: waitLogLine(t, routerLog, "vanity-router RESP listening on ", 10*time.Second),
		Password: "vanity", Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	if log, err := rc.SlowLogGet(context.Background(), -1).Result(); err != nil || len(log) == 0 ||
		len(log[0].Args) != 1 || !strings.HasPrefix(log[0].Args[0], "GET (4)boot") {
		t.Errorf("the router's slow log: %+v, %v; want the GET first", log, err)
	}
	// What an operator watches: the router's latency by command, the
	// node's work and replication debt.
	var scraped strings.Builder
	scrape := func(addr string, want ...string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + "/metrics")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		scraped.Write(body)
		for _, w := range want {
			if !strings.Contains(string(body), w) {
				t.Errorf("%s/metrics lacks %q", addr, w)
			}
		}
	}
	scrape(routerDebug, `vanity_request_duration_seconds_bucket{command="SET"`, `vanity_requests_total{command="GET"} 1`,
		"vanity_router_node_run_seconds_bucket{node=")
	scrape(nodeDebug, `vanity_partitions{state="serving"}`, "vanity_node_commands_total", "vanity_read_repairs_total",
		"vanity_antientropy_rounds_total", "vanity_keys")

	// Every metric the Grafana dashboard plots and the alerts watch is one
	// the binaries export (some appear only once they have a value: the
	// counts of failures).
	lazy := map[string]bool{"vanity_refused_total": true, "vanity_router_node_errors_total": true,
		"vanity_hints_pending_bytes": true, "vanity_router_command_failures_total": true}
	for _, file := range []string{"grafana/vanity.json", "prometheus/alerts.yml"} {
		text, err := os.ReadFile(filepath.Join(root, "ops", file))
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range regexp.MustCompile(`vanity_[a-z_]+`).FindAllString(string(text), -1) {
			name = strings.TrimSuffix(name, "_bucket")
			if !lazy[name] && !strings.Contains(scraped.String(), "# HELP "+name+" ") {
				t.Errorf("ops/%s uses %s, which no binary exports", file, name)
			}
		}
	}
}
