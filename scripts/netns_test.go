package scripts_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
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

// TestNetworkFaults runs nodes in network namespaces of their own: two
// nodes cut off from each other and a node cut off from everyone stay
// correct (a request to an unreachable node fails within the call timeout
// instead of hanging), chaos with network faults loses nothing, and "down"
// removes every namespace and link it made.
func TestNetworkFaults(t *testing.T) {
	if testing.Short() || !netnsUsable() {
		t.Skip("needs root, iproute2 and iptables to create and cut network namespaces")
	}
	c := newCluster(t)
	c.env = append(c.env, "VANITY_CLUSTER_NETNS=1")
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
	write(t, a, keys, "split-", 100) // the router still reaches every node
	c.run("heal")

	// An isolated node's partitions fail within the call timeout (5 s),
	// then at once once gossip has declared the node failed.
	c.run("isolate", "3")
	start := time.Now()
	failed := 0
	for i := 0; i < 200 && time.Since(start) < 30*time.Second; i++ {
		rep, err := a.Set(fmt.Sprintf("isolated-%d", i), "v")
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != proto.StatusOK {
			failed++
		}
	}
	if failed == 0 || time.Since(start) > 20*time.Second {
		t.Fatalf("isolating a node: %d of 200 writes failed, in %v", failed, time.Since(start))
	}
	c.run("heal")
	readAll(t, a, keys, 60*time.Second)

	out, err := c.tryScript("chaos", "-d", "12", "-i", "1", "-a", "kill,stop,partition,isolate")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s struct {
		Lost      int  `json:"lost"`
		CounterOK bool `json:"counter_ok"`
		SetsAcked int  `json:"sets_acked"`
	}
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &s); jerr != nil || err != nil || s.Lost != 0 || !s.CounterOK || s.SetsAcked == 0 {
		t.Fatalf("chaos with network faults (%v, %v):\n%s", err, jerr, out)
	}
	t.Log(lines[len(lines)-1])

	c.run("down")
	ns, _ := exec.Command("ip", "netns", "list").Output()
	links, _ := exec.Command("ip", "-o", "link").Output()
	for _, l := range strings.Split(string(ns)+string(links), "\n") {
		if strings.Contains(l, "vc"+tag+"n") || strings.Contains(l, "vc"+tag+"h") || strings.Contains(l, "vc"+tag+"br") {
			t.Fatalf("down left a namespace or link of cluster %s behind: %s", tag, l)
		}
	}
}
