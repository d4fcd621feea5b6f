package cluster

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// TestEveryItemIsAnsweredOnce: whatever the nodes do (answer late, past
// the point where the router sends a run's reads elsewhere, drop the
// connection after the run left, or refuse it before), each item of a job
// gets one outcome, its own: a job a client connection reuses must never
// take a late answer meant for an earlier one. Nodes hold every key with a
// value of its own, so a reply that went astray shows.
func TestEveryItemIsAnsweredOnce(t *testing.T) {
	var nodes []*fakeNode
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(1, 2))
	random := func() float64 {
		mu.Lock()
		defer mu.Unlock()
		return rng.Float64()
	}
	for _, name := range []string{"a", "b", "c"} {
		n := &fakeNode{addr: name}
		n.delay = func() time.Duration {
			if random() < 0.1 {
				return time.Duration(random() * float64(150*time.Millisecond)) // past slowAfter at times
			}
			return time.Duration(random() * float64(time.Millisecond))
		}
		n.fail = func(*rpc.Run) error {
			switch x := random(); {
			case x < 0.02:
				return fmt.Errorf("%w: connection reset", rpc.ErrClosed)
			case x < 0.04:
				return fmt.Errorf("%w: connection refused", rpc.ErrNotSent)
			}
			return nil
		}
		nodes = append(nodes, n)
	}
	b := testBackend(t, 3, nodes...)
	const keys = 64
	value := func(k int) string { return fmt.Sprintf("value-of-%d", k) }
	for _, n := range nodes {
		for k := range keys {
			n.data[fmt.Sprintf("k%d", k)] = value(k)
		}
	}
	var wrong atomic.Int64
	var examples sync.Map
	var wg sync.WaitGroup
	for c := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			s := router.NewWaitSender(b.NewSender())
			j := &router.Job{}
			for round := range 40 {
				j.Items = j.Items[:0]
				var want []string
				for i := range 4 {
					k := (c*7 + round*5 + i*3) % keys
					level := proto.ConsQuorum
					if i%2 == 1 {
						level = proto.ConsOne
					}
					j.Items = append(j.Items, router.Item{Levels: [2]proto.Consistency{level, level},
						Reqs: []*proto.Request{req(t, "GET "+enc(fmt.Sprintf("k%d", k)))}})
					want = append(want, "OK:STR "+enc(value(k)))
				}
				s.Run(j)
				for i, it := range j.Items {
					switch {
					case it.Err != nil && len(it.Replies) == 0:
					case it.Err == nil && len(it.Replies) == 1 && string(it.Replies[0]) == want[i]:
					default:
						wrong.Add(1)
						examples.Store(fmt.Sprintf("client %d round %d item %d", c, round, i),
							fmt.Sprintf("err %v, replies %q; want %q", it.Err, it.Replies, want[i]))
					}
				}
			}
		}()
	}
	wg.Wait()
	if n := wrong.Load(); n > 0 {
		examples.Range(func(k, v any) bool {
			t.Errorf("%s: %s", k, v)
			return true
		})
		t.Fatalf("%d items answered wrongly", n)
	}
}
