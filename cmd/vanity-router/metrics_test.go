package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// scrapeMetrics reads the metric families of a debug address.
func scrapeMetrics(t *testing.T, addr string) map[string]*dto.MetricFamily {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	if err != nil {
		return nil // a process that is down has no metrics
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("%s/metrics: %v", addr, err)
	}
	return fams
}

// metricSum adds up the values of a family's series whose labels include
// every pair of want (name, value, name, value...).
func metricSum(fams map[string]*dto.MetricFamily, name string, want ...string) float64 {
	f := fams[name]
	if f == nil {
		return 0
	}
	sum := 0.0
next:
	for _, m := range f.GetMetric() {
		for i := 0; i+1 < len(want); i += 2 {
			found := false
			for _, l := range m.GetLabel() {
				if l.GetName() == want[i] && l.GetValue() == want[i+1] {
					found = true
				}
			}
			if !found {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			sum += m.Counter.GetValue()
		case m.Gauge != nil:
			sum += m.Gauge.GetValue()
		case m.Untyped != nil:
			sum += m.Untyped.GetValue()
		case m.Histogram != nil:
			sum += float64(m.Histogram.GetSampleCount())
		}
	}
	return sum
}

// TestMetricsThroughAKill watches what an operator would while a node
// dies and comes back under a write load, on real processes: requests
// and node commands count up; the router counts failed runs to the dead
// node; the live nodes queue hints for it (the replication debt), and
// once it is back the hints are delivered and the debt falls to zero.
func TestMetricsThroughAKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	dir := t.TempDir()
	buildBinaries(t, dir)
	secret := filepath.Join(dir, "secret")
	if err := os.WriteFile(secret, []byte("metrics-test-secret"), 0o600); err != nil {
		t.Fatal(err)
	}
	gossip := []string{freeAddr(t), freeAddr(t), freeAddr(t)}
	join := strings.Join(gossip, ",")
	nodeArgs := make([][]string, 3)
	nodeDebug := make([]string, 3)
	startNode := func(i int) *os.Process {
		return start(t, filepath.Join(dir, "vanity-node"), filepath.Join(dir, fmt.Sprintf("node%d-%d.log", i, time.Now().UnixNano())),
			nodeArgs[i]...).Process
	}
	for i := range 3 {
		nodeDebug[i] = freeAddr(t)
		nodeArgs[i] = []string{"--name", fmt.Sprintf("node-%d", i), "--data-dir", filepath.Join(dir, fmt.Sprintf("data%d", i)),
			"--rpc", freeAddr(t), "--gossip", gossip[i], "--join", join, "--partitions", "64", "--replicas", "3",
			"--fast-gossip", "--secret-file", secret, "--debug-addr=" + nodeDebug[i]}
	}
	// Node 0 logs JSON lines (--log-format=json), checked at the end.
	nodeArgs[0] = append(nodeArgs[0], "--log-format=json", "--log-file="+filepath.Join(dir, "node0.json"))
	procs := make([]*os.Process, 3)
	for i := range 3 {
		procs[i] = startNode(i)
	}
	routerDebug, routerLog := freeAddr(t), filepath.Join(dir, "router.log")
	start(t, filepath.Join(dir, "vanity-router"), routerLog, "-port", "0", "-gossip", freeAddr(t), "-join", join,
		"-min-nodes", "3", "-partitions", "64", "-replicas", "3", "-fast-gossip", "-secret-file", secret,
		"--debug-addr="+routerDebug)
	addr := waitListening(t, routerLog, 90*time.Second)
	setAndGet(t, addr, "warm", "up")

	// A writer keeps setting keys until the test is done with it.
	var acked atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		c, err := client.Dial(addr, client.Options{})
		if err != nil {
			t.Error(err)
			return
		}
		defer c.Close()
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			if r, err := c.Set("k"+strconv.Itoa(i%500), "v"); err == nil && r.Status == proto.StatusOK {
				acked.Add(1)
			}
		}
	}()
	defer func() { close(stop); wg.Wait() }()

	// Recording the dashboard's picture: every phase lasts a while, so
	// that the graphs show it (this is for the picture, not to wait for
	// anything).
	hold, mark := func() {}, func(string) {}
	if *recordDashboard {
		rec := startRecorder(t, map[string]string{"router": routerDebug, "node-0": nodeDebug[0], "node-1": nodeDebug[1],
			"node-2": nodeDebug[2]})
		defer rec.finish(t)
		hold, mark = func() { time.Sleep(15 * time.Second) }, rec.mark
	}

	poll := func(what string, within time.Duration, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(within); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %v", what, within)
			}
			time.Sleep(100 * time.Millisecond) // polling the metrics
		}
	}
	requests := func() float64 {
		return metricSum(scrapeMetrics(t, routerDebug), "vanity_requests_total", "command", "SET")
	}
	before := requests()
	poll("the router to count SETs", 10*time.Second, func() bool { return requests() > before+50 })
	n0 := scrapeMetrics(t, nodeDebug[0])
	commands, appends := metricSum(n0, "vanity_node_commands_total"), metricSum(n0, "vanity_wal_appended_bytes_total")
	poll("node 0 to count commands and log appends", 10*time.Second, func() bool {
		f := scrapeMetrics(t, nodeDebug[0])
		return metricSum(f, "vanity_node_commands_total") > commands && metricSum(f, "vanity_wal_appended_bytes_total") > appends
	})
	if f := scrapeMetrics(t, routerDebug); metricSum(f, "vanity_ring_info") != 1 || metricSum(f, "vanity_ring_members", "state", "alive") < 4 {
		t.Errorf("the router's ring: info %v, alive members %v", metricSum(f, "vanity_ring_info"), metricSum(f, "vanity_ring_members", "state", "alive"))
	}

	// A QUORUM write to a key written at SERIAL goes on the serial path,
	// and its coordinator counts it.
	upgrades := func() (n float64) {
		for _, d := range nodeDebug {
			n += metricSum(scrapeMetrics(t, d), "vanity_node_serial_upgrades_total")
		}
		return n
	}
	if n := upgrades(); n != 0 {
		t.Errorf("%v ordinary commands sent on the serial path before any key was serial", n)
	}
	sc, err := client.Dial(addr, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer sc.Close()
	for _, req := range []string{"SET_IF_ABSENT:STR (4)lock (1)a", "SET:STR (4)lock (1)b"} {
		if rep, err := sc.Raw([]byte(req)); err != nil || !strings.HasPrefix(string(rep), "OK") {
			t.Fatalf("%s: %q %v", req, rep, err)
		}
	}
	if n := upgrades(); n != 1 {
		t.Errorf("vanity_node_serial_upgrades_total sums to %v over the nodes after one QUORUM write to a serial key, want 1", n)
	}
	// The first write prepared and accepted; the second, from the same
	// proposer, went straight to Accept on the standing promise the first
	// left.
	for phase, want := range map[string]float64{"prepare": 1, "accept": 2, "standing": 1, "peek": 0, "refused": 0} {
		var n float64
		for _, d := range nodeDebug {
			n += metricSum(scrapeMetrics(t, d), "vanity_node_serial_rounds_total", "phase", phase)
		}
		if n != want {
			t.Errorf("vanity_node_serial_rounds_total{phase=%q} sums to %v over the nodes after two serial writes of a key, want %v", phase, n, want)
		}
	}
	// Those three rounds each asked a bare majority, the proposer and one
	// other replica, with one phase: three calls, three phases, as the
	// acceptors count them, unless a slow vote made a round ask the third
	// replica too (at most six). The third replica learns what each Accept
	// chose that it did not vote on, soon after: the calls and the Learns
	// together reach it for both Accepts.
	sum := func(name string, labels ...string) (n float64) {
		for _, d := range nodeDebug {
			n += metricSum(scrapeMetrics(t, d), name, labels...)
		}
		return n
	}
	calls, phases := sum("vanity_node_serial_vote_calls_total"), sum("vanity_node_serial_vote_phases_total")
	if calls < 3 || calls > 6 || phases != calls {
		t.Errorf("three serial rounds of one phase made %v vote calls of %v phases, want 3 to 6, one phase each", calls, phases)
	}
	poll("the third replica to be sent the chosen states", 10*time.Second, func() bool {
		return calls+sum("vanity_node_serial_learns_total") >= 5
	})
	// Three writes of the key in one flush reach its proposer in one run:
	// each runs on the state the one before left, and each answers its
	// own reply; those folded into an earlier one's proposal share its
	// Accept.
	accepts, folded := sum("vanity_node_serial_rounds_total", "phase", "accept"), sum("vanity_node_serial_folded_total")
	for range 3 {
		if err := sc.Send([]byte("STR_APPEND (4)lock (1)x")); err != nil {
			t.Fatal(err)
		}
	}
	if err := sc.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		rep, err := sc.Receive()
		if want := fmt.Sprintf("OK:INT %d", 2+i); err != nil || string(rep) != want {
			t.Fatalf("append %d of one flush: %q %v, want %q", i, rep, err, want)
		}
	}
	da, df := sum("vanity_node_serial_rounds_total", "phase", "accept")-accepts, sum("vanity_node_serial_folded_total")-folded
	if da+df != 3 || da < 1 {
		t.Errorf("three serial writes of one flush: %v Accepts and %v folded into another's; want 3 in all", da, df)
	}
	t.Logf("three serial writes of one flush: %v Accepts, %v folded", da, df)

	// A SERIAL read right after a SERIAL write of its key is answered in
	// one round trip: the router asks the coordinator's partner for the
	// digest, the replica the write's round asked (the third learns the
	// write only later). Keys of several partitions, so that a router and
	// a node choosing partners differently would show.
	if rep, err := sc.Raw([]byte("CONSISTENCY SERIAL SERIAL")); err != nil || string(rep) != "OK" {
		t.Fatalf("CONSISTENCY: %q %v", rep, err)
	}
	serialReads := func(outcome string) float64 {
		return metricSum(scrapeMetrics(t, routerDebug), "vanity_router_digest_reads_total", "level", "serial", "outcome", outcome)
	}
	// A node puts a peer that failed or was slower than a round's hedge
	// last for a second (node/slowpeers.go), and meanwhile asks another
	// partner than the router expects: on a loaded machine a round may
	// meet that. So a round of reads is judged only if no node marked a
	// peer slow in the second before it or during it
	// (vanity_node_serial_slow_peers_total); partners chosen differently
	// fail every such round.
	slowMarks := func() float64 { return sum("vanity_node_serial_slow_peers_total") }
	quiet := func() float64 {
		t.Helper()
		last, since := slowMarks(), time.Now()
		poll("a second with no peer marked slow", 30*time.Second, func() bool {
			if m := slowMarks(); m != last {
				last, since = m, time.Now()
			}
			return time.Since(since) > 1100*time.Millisecond
		})
		return last
	}
	judged := false
	for round := 0; round < 10 && !judged; round++ {
		marks := quiet()
		agreed, again := serialReads("agreed"), serialReads("again")
		for i := range 12 {
			key := fmt.Sprintf("partner%d.%d", round, i)
			if rep, err := sc.Raw(fmt.Appendf(nil, "SET:STR (%d)%s (1)v", len(key), key)); err != nil || string(rep) != "OK" {
				t.Fatalf("SERIAL SET %s: %q %v", key, rep, err)
			}
			if rep, err := sc.Raw(fmt.Appendf(nil, "GET (%d)%s", len(key), key)); err != nil || string(rep) != "OK:STR (1)v" {
				t.Fatalf("SERIAL GET %s: %q %v", key, rep, err)
			}
		}
		ra, rg := serialReads("agreed")-agreed, serialReads("again")-again
		if slowMarks() != marks {
			t.Logf("round %d of SERIAL reads: a peer was marked slow during it (%v in one trip, %v sent again); not judged", round, ra, rg)
			continue
		}
		judged = true
		if ra != 12 || rg != 0 {
			t.Errorf("12 SERIAL reads right after their writes, no peer marked slow: %v answered in one trip, %v sent again; want 12 and 0", ra, rg)
		}
	}
	if !judged {
		t.Errorf("in ten rounds of SERIAL reads a node marked a peer slow every time: none could be judged")
	}
	if rep, err := sc.Raw([]byte("CONSISTENCY QUORUM QUORUM")); err != nil || string(rep) != "OK" {
		t.Fatalf("CONSISTENCY: %q %v", rep, err)
	}

	hold()
	// Node 2 dies: the router's runs to it fail, the others keep its writes.
	if err := procs[2].Kill(); err != nil {
		t.Fatal(err)
	}
	mark("node-2 killed")
	hints := func() float64 {
		return metricSum(scrapeMetrics(t, nodeDebug[0]), "vanity_hints_pending_bytes", "replica", "node-2") +
			metricSum(scrapeMetrics(t, nodeDebug[1]), "vanity_hints_pending_bytes", "replica", "node-2")
	}
	poll("hints for the dead node to pile up", 30*time.Second, func() bool {
		return hints() > 0 && metricSum(scrapeMetrics(t, nodeDebug[0]), "vanity_hints_pending", "replica", "node-2") > 0
	})
	poll("gossip to see the node failed", 30*time.Second, func() bool {
		return metricSum(scrapeMetrics(t, routerDebug), "vanity_ring_members", "state", "failed") == 1 &&
			metricSum(scrapeMetrics(t, nodeDebug[0]), "vanity_ring_members", "state", "failed") == 1
	})
	poll("the router to count failed runs to the dead node", 30*time.Second, func() bool {
		// The router names a node by its RPC address.
		return metricSum(scrapeMetrics(t, routerDebug), "vanity_router_node_errors_total", "node", nodeArgs[2][5]) > 0
	})
	ackedWhileDown := acked.Load()
	hold()

	// It comes back: the hints are delivered and the debt falls to zero,
	// while writes go on.
	procs[2] = startNode(2)
	mark("node-2 restarted")
	poll("the hints to be delivered", 60*time.Second, func() bool { return hints() == 0 })
	poll("gossip to see the node alive again", 30*time.Second, func() bool {
		return metricSum(scrapeMetrics(t, routerDebug), "vanity_ring_members", "state", "failed") == 0
	})
	poll("writes to go on", 10*time.Second, func() bool { return acked.Load() > ackedWhileDown+50 })
	poll("the node that came back to serve its partitions", 60*time.Second, func() bool {
		f := scrapeMetrics(t, nodeDebug[2])
		return metricSum(f, "vanity_partitions", "state", "serving") == 64 && metricSum(f, "vanity_partitions", "state", "catching_up") == 0
	})
	poll("every node to see its partitions held by their replicas (none moving)", 30*time.Second, func() bool {
		for _, d := range nodeDebug {
			if f := scrapeMetrics(t, d); f["vanity_partitions_moving"] == nil || metricSum(f, "vanity_partitions_moving") != 0 {
				return false
			}
		}
		return true
	})
	hold()

	logs, err := os.ReadFile(filepath.Join(dir, "node0.json"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(logs)), "\n")
	for _, line := range lines {
		var rec struct{ Time, Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Msg == "" || rec.Level == "" {
			t.Fatalf("node 0's log with --log-format=json has a line that is not a JSON record: %q (%v)", line, err)
		}
	}
	if len(lines) < 3 {
		t.Errorf("node 0 logged %d JSON lines", len(lines))
	}
}
