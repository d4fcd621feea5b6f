package scripts_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/lincheck"
	"github.com/vanitydb/vanity/proto"
)

// TestSerialIsLinearizable records reads, writes and compare-and-sets at
// CONSISTENCY SERIAL from clients of two routers in front of three real
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
	hist := make([]lincheck.History, len(keys))
	epoch := time.Now()
	now := func() int64 { return int64(time.Since(epoch)) }
	const lost = math.MaxInt64 / 2 // where an operation of unknown outcome returns

	const clients = 6
	var ops, unknown, refused atomic.Int64
	var ids atomic.Int32
	ids.Store(clients)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range clients {
		wg.Go(func() {
			rng := rand.New(rand.NewPCG(uint64(w), 17))
			id := w
			seen := make([]string, len(keys))
			var cl *client.Client
			defer func() {
				if cl != nil {
					cl.Close()
				}
			}()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if cl == nil {
					var err error
					cl, err = client.Dial(routers[w%len(routers)], client.Options{Timeout: 10 * time.Second,
						ReadLevel: proto.ConsSerial, WriteLevel: proto.ConsSerial})
					if err != nil {
						t.Errorf("dial: %v", err)
						return
					}
				}
				k := rng.IntN(len(keys))
				key, val := keys[k], fmt.Sprintf("c%d-%d", w, seq)
				op, cmd, args := lincheck.RegisterCommand(rng, key, val, seen[k])
				call := now()
				r, err := cl.Do(cmd, args...)
				ret := now()
				if err != nil { // the connection broke: the outcome is unknown
					hist[k].Add(id, op, lincheck.Unknown, call, lost)
					unknown.Add(1)
					id = int(ids.Add(1))
					cl.Close()
					cl = nil
					continue
				}
				switch {
				case r.Status == proto.StatusError && strings.Contains(string(r.Body), "did not run"):
					refused.Add(1)
					continue // no effect: nothing to record
				case r.Status == proto.StatusError && strings.Contains(string(r.Body), "not confirmed"):
					hist[k].Add(id, op, lincheck.Unknown, call, lost)
					unknown.Add(1)
					id = int(ids.Add(1)) // a client's operations do not overlap
					continue
				}
				out, ok := lincheck.RegisterOutput(op, r)
				if !ok {
					t.Errorf("%s %v: unexpected reply %s", cmd, args, client.Format(r))
					return
				}
				hist[k].Add(id, op, out, call, ret)
				ops.Add(1)
				seen[k] = lincheck.Seen(op, out, seen[k])
			}
		})
	}
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(90 * time.Second)
		for ops.Load() < n {
			if time.Now().After(deadline) || t.Failed() {
				close(stop)
				wg.Wait()
				t.Fatalf("only %d operations answered within 90s", ops.Load())
			}
			time.Sleep(5 * time.Millisecond) // polling a counter
		}
		t.Logf("%d operations at %v", ops.Load(), time.Since(epoch).Round(time.Millisecond))
	}
	waitFor(600)
	if got := c.run("kill", "2"); got != "killed node 2" {
		t.Fatalf("kill: %q", got)
	}
	before := ops.Load()
	waitFor(before + 600) // two copies of three: every key still has a majority
	c.run("start", "2")
	waitFor(ops.Load() + 600)
	close(stop)
	wg.Wait()
	for k := range keys {
		if err := hist[k].CheckDecided(lincheck.Register, time.Minute); err != nil {
			t.Errorf("%s: %v", keys[k], err)
		}
	}
	t.Logf("%d operations answered, %d of unknown outcome, %d refused unrun", ops.Load(), unknown.Load(), refused.Load())
}
