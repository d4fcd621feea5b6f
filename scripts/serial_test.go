package scripts_test

import (
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/lincheck"
	"github.com/vanitydb/vanity/proto"
)

// TestSerialIsLinearizable records reads, writes, compare-and-sets, swaps
// and fenced writes at CONSISTENCY SERIAL from clients of two routers in front of three real
// nodes holding three copies, through a kill -9 of a node and its
// restart, and checks each key's history with porcupine. An operation
// answered "not confirmed" (or cut off) may have taken effect or not;
// one answered "unavailable" did not run.
func TestSerialIsLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c := newCluster(t)
	c.env = append(c.env, "VANITY_CLUSTER_REPLICAS=3")
	routers := []string{routerAddr(t, c.run("up", "3")), routerAddr(t, c.run("router"))}

	// Six clients on eight keys contend enough to collide often; more
	// collisions leave more outcomes unknown, which the checker must try
	// both ways (on four keys, about one history in five had too many
	// for it to decide within a minute).
	keys := []string{"serial:0", "serial:1", "serial:2", "serial:3", "serial:4", "serial:5", "serial:6", "serial:7"}
	w := &lincheck.Registers{T: t, Keys: keys, Clients: 6, Seed: 17,
		Dial: func(c int) (*client.Client, error) {
			return client.Dial(routers[c%len(routers)], client.Options{Timeout: 10 * time.Second,
				ReadLevel: proto.ConsSerial, WriteLevel: proto.ConsSerial})
		}}
	w.Start()
	epoch := time.Now()
	waitFor := func(n int64) {
		t.Helper()
		w.WaitFor(n, 90*time.Second)
		t.Logf("%d operations at %v", w.Ops(), time.Since(epoch).Round(time.Millisecond))
	}
	waitFor(600)
	if got := c.run("kill", "2"); got != "killed node 2" {
		t.Fatalf("kill: %q", got)
	}
	waitFor(w.Ops() + 600) // two copies of three: every key still has a majority
	c.run("start", "2")
	waitFor(w.Ops() + 600)
	w.Stop()
	w.Check(time.Minute, true)
}
