package scripts_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// TestChaos runs scripts/chaos briefly against 3 real nodes: nodes are
// killed and restarted, or frozen and continued, while 8 clients write; the
// checker must find every acknowledged write and an exact counter.
func TestChaos(t *testing.T) {
	chaos(t, 1)
}

// TestChaosReplicated is TestChaos with every partition on all three
// nodes (QUORUM reads and writes): kill -9 and SIGSTOP of any node lose no
// acknowledged write, and the counter is exact.
func TestChaosReplicated(t *testing.T) {
	chaos(t, 3)
}

func chaos(t *testing.T, replicas int) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c := newCluster(t)
	c.env = append(c.env, fmt.Sprintf("VANITY_CLUSTER_REPLICAS=%d", replicas), "VANITY_CLUSTER_ANTI_ENTROPY=5s")
	routerAddr(t, c.run("up", "3"))
	out, err := c.tryScript("chaos", "-d", "12", "-i", "1", "-a", "kill,stop")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	var s struct {
		Faults     map[string]int `json:"faults"`
		SetsAcked  int            `json:"sets_acked"`
		IncrsAcked int            `json:"incrs_acked"`
		Lost       int            `json:"lost"`
		CounterOK  bool           `json:"counter_ok"`
		Wrong      int            `json:"wrong_values"`
		Converged  *bool          `json:"converged"`
	}
	if jerr := json.Unmarshal([]byte(lines[len(lines)-1]), &s); jerr != nil {
		t.Fatalf("no JSON summary (%v, %v):\n%s", err, jerr, out)
	}
	t.Log(lines[len(lines)-1])
	if err != nil || s.Lost != 0 || s.Wrong != 0 || !s.CounterOK {
		t.Fatalf("chaos run failed (%v):\n%s", err, out)
	}
	if s.Converged == nil || !*s.Converged {
		t.Fatalf("the replicas did not come to hold identical data:\n%s", out)
	}
	if s.Faults["kill"]+s.Faults["stop"] < 2 || s.SetsAcked < 100 || s.IncrsAcked < 100 {
		t.Fatalf("the run did too little to mean anything:\n%s", out)
	}
}
