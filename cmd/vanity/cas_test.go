package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/lincheck"
)

// TestCompareAndSetIsLinearizable: clients read, write, compare-and-set
// (SET_IF, SET_IF_ABSENT, DEL_IF) and swap (GET_SET, GET_DEL) three keys
// of the single process at once, through a kill -9 and a restart on the same data. Every key's
// history, recorded from the real process, must be linearizable as a
// register (lincheck.Register); an operation whose reply the kill cut off
// counts as having taken effect or not, and its client goes on as a new
// one.
func TestCompareAndSetIsLinearizable(t *testing.T) {
	s := start(t, t.TempDir())
	var addr atomic.Value
	addr.Store(s.addr)
	keys := []string{"reg:0", "reg:1", "reg:2"}
	hist := make([]lincheck.History, len(keys))
	epoch := time.Now()
	now := func() int64 { return int64(time.Since(epoch)) }
	const lost = math.MaxInt64 / 2 // where an operation without a reply returns

	const clients = 6
	var ops, unknown atomic.Int64
	var ids atomic.Int32
	ids.Store(clients)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 11))
			id := w
			seen := make([]string, len(keys)) // the last value this client knows of each key
			var c *client.Client
			defer func() {
				if c != nil {
					c.Close()
				}
			}()
			for seq := 0; ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if c == nil {
					var err error
					if c, err = client.Dial(addr.Load().(string), client.Options{Username: "vanity", Password: "vanity", Timeout: 5 * time.Second}); err != nil {
						c = nil
						time.Sleep(2 * time.Millisecond) // the server is restarting: retry
						continue
					}
				}
				k := rng.IntN(len(keys))
				key, val := keys[k], fmt.Sprintf("c%d-%d", w, seq)
				op, cmd, args := lincheck.RegisterCommand(rng, key, val, seen[k])
				call := now()
				r, err := c.Do(cmd, args...)
				ret := now()
				if err != nil { // the connection broke: the outcome is unknown
					hist[k].Add(id, op, lincheck.Unknown, call, lost)
					unknown.Add(1)
					id = int(ids.Add(1))
					c.Close()
					c = nil
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
		}()
	}
	waitFor := func(n int64) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for ops.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d operations answered within 30s", ops.Load())
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor(3000)
	s.restart()
	addr.Store(s.addr)
	waitFor(6000)
	close(stop)
	wg.Wait()
	for k := range keys {
		if err := hist[k].Check(lincheck.Register, time.Minute); err != nil {
			t.Errorf("%s: %v", keys[k], err)
		}
	}
	t.Logf("%d operations answered, %d cut off by the kill", ops.Load(), unknown.Load())
}
