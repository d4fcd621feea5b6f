package scripts_test

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// TestFailoverUnderLoad kills a node of a 3-copy cluster while clients
// read and write through a router at QUORUM: no read fails (the router
// sends each to another replica at once), and the only writes that fail
// are those in flight when the node died, each saying that it is not
// confirmed. Every key reads back afterwards, with the node still down.
func TestFailoverUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c := newCluster(t)
	r := routerAddr(t, c.run("up", "3"))
	const workers = 6
	var (
		mu         sync.Mutex
		acked      = map[string]string{}
		readFails  []string
		writeFails []string
		reads      atomic.Int64
		stop       atomic.Bool
		wg         sync.WaitGroup
	)
	for w := 0; w < workers; w++ {
		cl := dial(t, r)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				key, val := fmt.Sprintf("w%d-%d", w, i), fmt.Sprint(i)
				rep, err := cl.Set(key, val)
				if err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				if rep.Status == proto.StatusOK {
					acked[key] = val
				} else {
					writeFails = append(writeFails, client.Format(rep))
				}
				mu.Unlock()
				if i == 0 {
					continue
				}
				prev := fmt.Sprintf("w%d-%d", w, i-1)
				rep, err = cl.Get(prev)
				if err != nil {
					t.Error(err)
					return
				}
				reads.Add(1)
				mu.Lock()
				want, ok := acked[prev]
				if ok && (rep.Status != proto.StatusOK || string(rep.Value.Str) != want) {
					readFails = append(readFails, prev+": "+client.Format(rep))
				}
				mu.Unlock()
			}
		}()
	}
	waitReads := func(n int64) {
		deadline := time.Now().Add(60 * time.Second)
		for reads.Load() < n {
			if time.Now().After(deadline) {
				t.Fatalf("only %d reads in a minute", reads.Load())
			}
			time.Sleep(10 * time.Millisecond) // polling the workers' progress
		}
	}
	waitReads(300)
	if got := c.run("kill", "2"); got != "killed node 2" {
		t.Fatalf("kill: %q", got)
	}
	waitReads(reads.Load() + 3000)
	stop.Store(true)
	wg.Wait()

	if len(readFails) > 0 {
		t.Fatalf("%d reads failed or were wrong with a node down, e.g. %v", len(readFails), readFails[:min(3, len(readFails))])
	}
	if len(writeFails) > workers {
		t.Fatalf("%d writes failed; only those in flight at the kill (at most %d) may: %v", len(writeFails), workers,
			writeFails[:min(3, len(writeFails))])
	}
	for _, f := range writeFails {
		if !strings.HasPrefix(f, "ERROR") || !strings.Contains(f, "not confirmed") {
			t.Fatalf("a failed write answered %q; it must say it is not confirmed", f)
		}
	}
	cl := dial(t, r)
	for k, v := range acked {
		rep, err := cl.Get(k)
		if err != nil {
			t.Fatal(err)
		}
		if rep.Status != proto.StatusOK || string(rep.Value.Str) != v {
			t.Fatalf("after the kill, %s = %s, want %q", k, client.Format(rep), v)
		}
	}
	t.Logf("%d reads, %d writes acknowledged, %d failed (in flight at the kill)", reads.Load(), len(acked), len(writeFails))
}

// TestRouterWaitsForTheNodes starts a router while every node of a 3-copy
// cluster is down (a whole-cluster restart): it waits, instead of
// exiting, and serves once the nodes are back, with their data.
func TestRouterWaitsForTheNodes(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c := newCluster(t)
	a := dial(t, routerAddr(t, c.run("up", "3")))
	keys := map[string]string{}
	write(t, a, keys, "k", 50)
	for _, i := range []string{"1", "2", "3"} {
		c.run("kill", i)
	}
	type started struct {
		out string
		err error
	}
	router := make(chan started, 1)
	go func() {
		out, err := c.try("router")
		router <- started{out, err}
	}()
	select {
	case s := <-router:
		t.Fatalf("the router did not wait for the nodes: %v\n%s", s.err, s.out)
	case <-time.After(3 * time.Second): // it is waiting (a router that gives up exits sooner)
	}
	for _, i := range []string{"1", "2", "3"} {
		c.run("start", i)
	}
	s := <-router
	if s.err != nil {
		t.Fatalf("router: %v\n%s", s.err, s.out)
	}
	lines := strings.Split(strings.TrimSpace(s.out), "\n")
	readAll(t, dial(t, routerAddr(t, lines[len(lines)-1])), keys, 60*time.Second)
}
