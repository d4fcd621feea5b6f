package clustertest

import (
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
)

// TestMaxMemoryThroughARouter: nodes over their memory limit refuse the
// writes that add data, at QUORUM and at SERIAL, and the router answers
// the refusal at once (it does not send the write to another replica);
// reads and deletes go on, and writes are taken again once the nodes read
// under their limit.
func TestMaxMemoryThroughARouter(t *testing.T) {
	var live atomic.Uint64
	live.Store(1 << 20)
	c := New(t, 3, 1, Options{Replicas: 3, MaxMemory: 64 << 20, LiveHeap: live.Load})
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl, "SET:STR (1)a (1)1", "OK", "SET:STR (1)b (1)2", "OK")

	live.Store(80 << 20)
	deadline := time.Now().Add(10 * time.Second)
	var refused string
	for {
		got := raw(t, cl, "SET:STR (1)c (1)3")
		if strings.Contains(got, "out of memory: this node's live heap is 80.0 MiB, over its --max-memory of 64.0 MiB") {
			refused = got
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no refusal 10 s after the nodes read over their limit: %q", got)
		}
		time.Sleep(20 * time.Millisecond) // polling the nodes' readings (every 100 ms)
	}
	start := time.Now()
	expect(t, cl,
		"LIST_PUSH_RIGHT (1)l (1)[(1)x]", refused,
		"GET (1)a", "OK:STR (1)1",
		"DEL (1)a", "OK",
		"GET (1)a", "NULL",
		"CONSISTENCY SERIAL SERIAL", "OK",
		"SET:STR (1)d (1)4", refused,
		"GET (1)b", "OK:STR (1)2",
		"DEL (1)b", "OK",
		"CONSISTENCY QUORUM QUORUM", "OK")
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("refusals took %v: the router retried them elsewhere", took)
	}

	live.Store(32 << 20)
	deadline = time.Now().Add(10 * time.Second)
	for {
		got := raw(t, cl, "SET:STR (1)c (1)3")
		if got == "OK" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes refused 10 s after the nodes read under their limit: %q", got)
		}
		time.Sleep(20 * time.Millisecond)
	}
	expect(t, cl, "CONSISTENCY SERIAL SERIAL", "OK", "SET:STR (1)d (1)4", "OK", "GET (1)c", "OK:STR (1)3")
}
