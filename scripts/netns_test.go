package scripts_test

import (
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// netnsUsable reports whether this machine lets the test create network
// namespaces and firewall them (root, iproute2, iptables); the test skips
// otherwise.
func netnsUsable() bool {
	if os.Geteuid() != 0 {
		return false
	}
	for _, tool := range []string{"ip", "iptables"} {
		if _, err := exec.LookPath(tool); err != nil {
			return false
		}
	}
	return exec.Command("ip", "netns", "list").Run() == nil
}

// TestNetworkFaults runs nodes (three copies of every partition) in
// network namespaces of their own. Two nodes cut off from each other
// still take every write through the router (the third is there). A node
// cut off from everyone for longer than a router waits for it: the
// register checker of loadtest chaos writes keys with growing values and
// reads them back meanwhile, and after the heal no read and no key is
// older than the last write acknowledged before it (a write the router
// gave up on must not take effect later, over newer ones: its deadline
// stops it). Chaos with every kind of fault loses nothing. "down" removes
// every namespace and link it made.
func TestNetworkFaults(t *testing.T) {
	if testing.Short() || !netnsUsable() {
		t.Skip("needs root, iproute2 and iptables to create and cut network namespaces")
	}
	c := newCluster(t)
	c.env = append(c.env, "VANITY_CLUSTER_NETNS=1", "VANITY_CLUSTER_ANTI_ENTROPY=5s")
	r := routerAddr(t, c.run("up", "3"))
	tagBytes, err := os.ReadFile(c.dir + "/netns")
	if err != nil {
		t.Fatal(err)
	}
	tag := strings.Fields(string(tagBytes))[1]
	a := dial(t, r)
	keys := map[string]string{}
	write(t, a, keys, "before-", 100)

	if got := c.run("partition", "1", "2"); got != "partitioned node 1 from node 2" {
		t.Fatalf("partition: %q", got)
	}
	write(t, a, keys, "split-", 100) // a quorum of every partition is reachable
	c.run("heal")

	// One isolation of 5 s, much longer than a router waits (1 s).
	summary := chaosRun(t, c, "-d", "8", "-i", "2", "-l", "5", "-a", "isolate")
	if summary.Faults["isolate"] != 1 || summary.RegisterWrites == 0 || summary.RegisterReads == 0 {
		t.Fatalf("the isolation run did not happen as planned: %+v", summary)
	}
	readAll(t, a, keys, 60*time.Second)

	chaosRun(t, c, "-d", "12", "-i", "1", "-a", "kill,stop,partition,isolate")

	c.run("down")
	ns, _ := exec.Command("ip", "netns", "list").Output()
	links, _ := exec.Command("ip", "-o", "link").Output()
	for _, l := range strings.Split(string(ns)+string(links), "\n") {
		if strings.Contains(l, "vc"+tag+"n") || strings.Contains(l, "vc"+tag+"h") || strings.Contains(l, "vc"+tag+"br") {
			t.Fatalf("down left a namespace or link of cluster %s behind: %s", tag, l)
		}
	}
}

// chaosSummary is the part of loadtest chaos's summary the tests check.
type chaosSummary struct {
	Faults         map[string]int `json:"faults"`
	Lost           int            `json:"lost"`
	CounterOK      bool           `json:"counter_ok"`
	SetsAcked      int            `json:"sets_acked"`
	Wrong          int            `json:"wrong_values"`
	RegisterWrites int            `json:"register_writes_acked"`
	RegisterReads  int            `json:"register_reads"`
	RegisterStale  int            `json:"register_reads_stale"`
	RegisterBehind int            `json:"registers_behind"`
	Converged      *bool          `json:"converged"`
}

// chaosRun runs scripts/chaos with args on c and checks its summary:
// nothing acknowledged lost, the counter exact, no register read or left
// older than its last acknowledged write.
func chaosRun(t *testing.T, c *cluster, args ...string) chaosSummary {
	t.Helper()
	out, err := c.tryScript("chaos", args...)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s chaosSummary
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &s); jerr != nil {
		t.Fatalf("chaos %v: no summary (%v, %v):\n%s", args, err, jerr, out)
	}
	t.Log(lines[len(lines)-1])
	if err != nil || s.Lost != 0 || s.Wrong != 0 || !s.CounterOK || s.SetsAcked == 0 || s.RegisterStale != 0 || s.RegisterBehind != 0 {
		t.Fatalf("chaos %v failed (%v):\n%s", args, err, out)
	}
	return s
}
