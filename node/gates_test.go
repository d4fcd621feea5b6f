package node

import (
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
)

// TestSerialWaves: a run's commands on one key go one wave each, in the
// run's order, but for writes that may run (a client's ONCE too, not its
// RETRY), folded into the fold of the one before them (up to maxFold, a
// lock's taking only first); commands
// on other keys, and those on no single key, go in the first wave they
// can.
func TestSerialWaves(t *testing.T) {
	cmd := func(db int, text string) rpc.Cmd {
		return rpc.Cmd{DB: db, Reqs: parse(t, text)}
	}
	resent := cmd(0, "SET:STR (1)c (1)4")
	resent.Resent = true
	r := &rpc.Run{Cmds: []rpc.Cmd{
		cmd(0, "SET:STR (1)a (1)1"),          // 0
		cmd(0, "SET:STR (1)b (1)1"),          // 1
		cmd(0, "GET (1)a"),                   // 2: after 0 (a read folds with nothing)
		cmd(1, "SET:STR (1)a (1)1"),          // 3: another database
		cmd(0, "SET_MOVE (1)a (1)b (1)m"),    // 4: two keys
		cmd(0, "DEL (1)a"),                   // 5: after 2
		cmd(0, "SET:STR (1)c (1)1"),          // 6
		cmd(0, "STR_APPEND (1)c (1)x"),       // 7: folded after 6
		cmd(0, "SET:STR (1)c (1)2"),          // 8: folded after 7
		cmd(0, "LOCK_ACQUIRE (1)c (1)w 100"), // 9: a taking leads its fold
		cmd(0, "SET:STR (1)c (1)3"),          // 10: folded after 9
		resent,                               // 11: sent again: alone
		cmd(0, "SET:STR (1)c (1)5"),          // 12: after 11
	}}
	for range maxFold + 1 {
		r.Cmds = append(r.Cmds, cmd(0, "INCR_INT (1)d 1")) // 13…: a full fold, then one more
	}
	once := len(r.Cmds)
	r.Cmds = append(r.Cmds, cmd(0, "ONCE (2)r1 SET:STR (1)c (1)6"), // a client's ONCE: folded after 12
		cmd(0, "RETRY (2)r1 SET:STR (1)c (1)6")) // its RETRY: never runs, alone
	r.Cmds[once+1].Resent = true // as a router sends a RETRY
	waves, keys := serialWaves(r)
	d := make([]int, maxFold)
	for i := range d {
		d[i] = 13 + i
	}
	want := [][][]int{
		{{0}, {1}, {3}, {4}, {6, 7, 8}, d},
		{{2}, {9, 10}, {13 + maxFold}},
		{{5}, {11}},
		{{12, once}},
		{{once + 1}},
	}
	if !slices.EqualFunc(waves, want, func(a, b [][]int) bool { return slices.EqualFunc(a, b, slices.Equal) }) {
		t.Fatalf("waves %v, want %v", waves, want)
	}
	if keys[4] != "" || keys[0] == keys[3] || keys[0] != keys[2] {
		t.Fatalf("keys %q", keys)
	}
}

// TestKeyGatesLetOneRunAtATime: runs sharing a key take turns; runs on
// other keys do not wait; gates taken in any order by many runs never
// deadlock, and none is left behind.
func TestKeyGatesLetOneRunAtATime(t *testing.T) {
	var g keyGates
	var in atomic.Int32
	var wg sync.WaitGroup
	for i := range 40 {
		keys := []string{"x", "y"}
		if i%2 == 1 {
			keys = []string{"y", "x", "y"}
		}
		wg.Go(func() {
			unlock := g.lock(keys)
			if in.Add(1) != 1 {
				t.Error("two runs hold the gate of one key")
			}
			runtime.Gosched() // let another run try meanwhile
			in.Add(-1)
			unlock()
		})
	}
	hold := g.lock([]string{"x"})
	other := make(chan struct{})
	go func() { g.lock([]string{"z"})(); close(other) }()
	select {
	case <-other:
	case <-time.After(10 * time.Second):
		t.Fatal("a run on another key waited for the gate of x")
	}
	hold()
	wg.Wait()
	if len(g.m) != 0 {
		t.Fatalf("%d gates left behind", len(g.m))
	}
}
