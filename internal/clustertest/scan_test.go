package clustertest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// scanPage runs one SCAN and returns the next cursor and the keys.
func scanPage(t *testing.T, cl *client.Client, cursor, pattern string, count int) (string, []string) {
	t.Helper()
	r, err := cl.Do("SCAN", cursor, pattern, count)
	if err != nil {
		t.Fatal(err)
	}
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeArr || len(r.Value.Elems) != 2 {
		t.Fatalf("SCAN %s: %s", cursor, client.Format(r))
	}
	var keys []string
	for _, k := range r.Value.Elems[1].Strs {
		keys = append(keys, string(k))
	}
	return string(r.Value.Elems[0].Str), keys
}

// TestScanAcrossRebalancing: a scan that runs while a node joins and
// another leaves (partitions moving under it) returns every key present
// for the whole scan at least once; KEYS and DB_SIZE agree with what was
// written, through every router.
func TestScanAcrossRebalancing(t *testing.T) {
	c := New(t, 3, 2, Options{Replicas: 3})
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	const n = 600
	for i := 0; i < n; i++ {
		expect(t, cl, fmt.Sprintf("SET:STR %s (1)v", enc(fmt.Sprintf("k%03d", i))), "OK")
	}
	expect(t, cl, "SET:STR (5)other (1)v", "OK")

	// Writers run through the scan: new keys, and the scanned keys
	// written again (a key present for the whole scan must still come).
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var acked, tried atomic.Int64 // new keys acknowledged, and attempted
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			wc, err := client.Dial(c.Routers[1].Addr, client.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer wc.Close()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				wc.Set(fmt.Sprintf("k%03d", (i*7+w)%n), fmt.Sprint(i)) // errors while nodes move are fine
				tried.Add(1)
				if r, err := wc.Set(fmt.Sprintf("new-%d-%d", w, i), "v"); err == nil && r.Status == proto.StatusOK {
					acked.Add(1)
				}
			}
		}(w)
	}
	seen := map[string]int{}
	cursor, pages := "0", 0
	for {
		next, keys := scanPage(t, cl, cursor, "k???", 40)
		if len(keys) > 40 {
			t.Fatalf("a page of %d keys for a count of 40", len(keys))
		}
		for _, k := range keys {
			seen[k]++
		}
		pages++
		switch pages {
		case 3:
			c.AddNode()
		case 6:
			c.WaitServed(4)
			c.LeaveNode(0)
		}
		if next == "0" {
			break
		}
		cursor = next
	}
	close(stop)
	wg.Wait()
	for i := 0; i < n; i++ {
		if k := fmt.Sprintf("k%03d", i); seen[k] == 0 {
			t.Errorf("%s was never returned by the scan", k)
		}
	}
	if seen["other"] != 0 || seen["new-0-0"] != 0 {
		t.Errorf("a key not matching the pattern was returned")
	}
	t.Logf("%d pages, %d distinct keys, across a join and a leave", pages, len(seen))

	c.WaitServed(3)
	// A write that failed while nodes moved may be on one copy: the counts
	// lie between the acknowledged writes and the attempted ones.
	low, high := int64(n+1)+acked.Load(), int64(n+1)+tried.Load()
	for _, r := range c.Routers {
		rc := dial(t, r.Addr, client.Options{})
		size, err := rc.Do("DB_SIZE")
		if err != nil || size.Value.Int < low || size.Value.Int > high {
			t.Errorf("DB_SIZE via %s: %s, %v; want %d to %d", r.Name, client.Format(size), err, low, high)
		}
		keys, err := rc.Do("KEYS", "k1?0")
		if err != nil || len(keys.Value.Strs) != 10 {
			t.Errorf("KEYS k1?0 via %s: %s, %v", r.Name, client.Format(keys), err)
		}
		info, err := rc.Do("INFO")
		if err != nil {
			t.Fatal(err)
		}
		fields := map[string]string{}
		for i := 0; i+1 < len(info.Value.Strs); i += 2 {
			fields[string(info.Value.Strs[i])] = string(info.Value.Strs[i+1])
		}
		for name, want := range map[string]string{"cluster.mode": "cluster", "cluster.replicas": "3",
			"cluster.nodes_alive": "3"} {
			if fields[name] != want {
				t.Errorf("INFO via %s: %s = %q, want %q", r.Name, name, fields[name], want)
			}
		}
		var count int64
		if _, err := fmt.Sscanf(fields["keyspace.db0"], "keys=%d", &count); err != nil || count < low || count > high {
			t.Errorf("INFO via %s: keyspace.db0 = %q, want %d to %d keys", r.Name, fields["keyspace.db0"], low, high)
		}
	}
}

// TestListingWithANodeDown: with three copies at QUORUM, KEYS, SCAN and
// DB_SIZE answer while one node is down, at once (before gossip finds it
// failed: the listing goes on to the third copy) and after a restarted
// node is back but not yet probed by the router (a suspected node is
// asked when no other is left, and the routes are read again once).
func TestListingWithANodeDown(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	for i := range 60 {
		expect(t, cl, fmt.Sprintf("SET:STR (3)k%02d (1)v", i), "OK")
	}
	listed := func(when string) {
		t.Helper()
		r, err := cl.Do("KEYS", "*")
		if err != nil || r.Status != proto.StatusOK || len(r.Value.Strs) != 60 {
			t.Fatalf("%s: KEYS answered %s (%v), want 60 keys", when, client.Format(r), err)
		}
		if _, keys := scanPage(t, cl, "0", "", 1000); len(keys) != 60 {
			t.Fatalf("%s: SCAN returned %d keys, want 60", when, len(keys))
		}
		expect(t, cl, "DB_SIZE", "OK:INT 60")
	}
	for i := range 3 {
		c.StopNode(i)
		listed(fmt.Sprintf("node %d just stopped", i))
		c.RestartNode(i)
		c.WaitReady(i)
		listed(fmt.Sprintf("node %d back", i))
	}
}
