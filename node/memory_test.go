package node

import (
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// TestMemGuardDecides: the guard refuses writes that add data while the
// live heap it last read is over the limit, names both figures, and asks
// for a collection only after writes that make room, at most once a
// memCollectGap.
func TestMemGuardDecides(t *testing.T) {
	g := &memGuard{limit: 64 << 20}
	set := parse(t, "SET:STR (1)k (1)v")
	del := parse(t, "DEL (1)k")
	get := parse(t, "GET (1)k")
	tx := parse(t, "DEL (1)k", "SET:STR (1)k (1)v")
	t0 := time.Unix(1_700_000_000, 0)
	if g.observe(60<<20, t0) {
		t.Fatal("a collection asked for under the limit")
	}
	for _, reqs := range [][]*proto.Request{set, del, get, tx} {
		if _, refused := g.refusal(reqs); refused {
			t.Fatalf("%v refused under the limit", reqs[0].Cmd)
		}
	}
	if g.observe(70<<20, t0) {
		t.Fatal("a collection asked for before anything made room")
	}
	reply, refused := g.refusal(set)
	want := "ERROR(" // then the length, then the body
	if !refused || !strings.HasPrefix(reply, want) || !strings.Contains(reply, proto.MsgOutOfMemory+": this node's live heap is 70.0 MiB, over its --max-memory of 64.0 MiB") {
		t.Fatalf("SET over the limit: %v %q", refused, reply)
	}
	if _, refused := g.refusal(tx); !refused {
		t.Fatal("a transaction that adds data ran over the limit")
	}
	for _, reqs := range [][]*proto.Request{del, get} {
		if _, refused := g.refusal(reqs); refused {
			t.Fatalf("%v refused over the limit", reqs[0].Cmd)
		}
	}
	if !g.observe(70<<20, t0) {
		t.Fatal("no collection asked for after a DEL ran over the limit")
	}
	g.refusal(del)
	if g.observe(70<<20, t0.Add(memCollectGap/2)) {
		t.Fatal("a second collection within memCollectGap")
	}
	if !g.observe(71<<20, t0.Add(memCollectGap)) {
		t.Fatal("no collection a memCollectGap later, after another DEL")
	}
	if reply, _ := g.refusal(set); !strings.Contains(reply, "71.0 MiB") {
		t.Fatalf("the reply does not follow the readings: %q", reply)
	}
	g.freed(3) // an expiry sweep's removals
	if !g.observe(71<<20, t0.Add(3*memCollectGap)) {
		t.Fatal("no collection after expiries")
	}
	g.observe(64<<20, t0.Add(4*memCollectGap))
	if _, refused := g.refusal(set); refused {
		t.Fatal("SET refused back under the limit")
	}
	if (&memGuard{}).observe(1<<40, t0) {
		t.Fatal("a guard without a limit asked for a collection")
	}
}

// TestNodeRefusesWritesOverMemory runs commands through the one-copy
// pipeline of a node whose live heap reads over its limit: writes that
// add data, alone or in a transaction, get the refusal and change
// nothing; reads and deletes run; Run's reading lets writes in again.
func TestNodeRefusesWritesOverMemory(t *testing.T) {
	var live uint64 = 10 << 20
	collected := 0
	n, err := New(Config{MaxMemory: 32 << 20, LiveHeap: func() uint64 { return live }, Collect: func() { collected++ }})
	if err != nil {
		t.Fatal(err)
	}
	if got := do(t, n, 0, "SET:STR (1)a (1)1"); got != "OK" {
		t.Fatalf("SET under the limit: %q", got)
	}
	live = 40 << 20
	n.checkMemory()
	if !n.OverMemory() {
		t.Fatal("not over its limit")
	}
	got := runEach(n, 0, parse(t, "SET:STR (1)b (1)2", "LIST_PUSH_RIGHT (1)l (1)[(1)x]", "GET (1)a", "EXISTS (1)b"))
	if !strings.HasPrefix(got[0], "ERROR(") || !strings.Contains(got[0], "out of memory: this node's live heap is 40.0 MiB") ||
		got[1] != got[0] || got[2] != "OK:STR (1)1" || got[3] != "NULL" {
		t.Fatalf("over the limit: %q", got)
	}
	tx := runTx(n, 0, parse(t, "DEL (1)a", "SET:STR (1)c (1)3"))
	if len(tx) != 2 || tx[0] != got[0] || tx[1] != got[0] {
		t.Fatalf("a transaction that adds data: %q", tx)
	}
	if got := do(t, n, 0, "EXISTS (1)a"); got != "OK" {
		t.Fatalf("the refused transaction's DEL ran: %q", got)
	}
	if got := do(t, n, 0, "DEL (1)a"); got != "OK" {
		t.Fatalf("DEL over the limit: %q", got)
	}
	n.checkMemory()
	if collected != 1 {
		t.Fatalf("%d collections after a DEL over the limit, want 1", collected)
	}
	live = 20 << 20
	n.checkMemory()
	if got := do(t, n, 0, "SET:STR (1)b (1)2"); got != "OK" || n.OverMemory() {
		t.Fatalf("SET back under the limit: %q", got)
	}
}
