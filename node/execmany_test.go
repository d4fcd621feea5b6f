package node

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

// TestRunMatchesOneAtATime runs the same requests as one run on one node
// and one by one on another.
func TestRunMatchesOneAtATime(t *testing.T) {
	var texts []string
	for i := 0; i < 200; i++ {
		k := "(2)k" + strconv.Itoa(i%7)
		texts = append(texts, []string{"INCR_INT " + k + " 2", "GET " + k, "SET:STR " + k + " (1)x",
			"LIST_PUSH_RIGHT " + k + " (1)[(1)a]", "DEL " + k, "MANY_GET (2)[(2)k1(2)k2]"}[i%6])
	}
	a, b := newNode(t, Config{Partitions: 8}), newNode(t, Config{Partitions: 8})
	got := runEach(a, 3, parse(t, texts...))
	for i, s := range texts {
		if want := do(t, b, 3, s); got[i] != want {
			t.Fatalf("request %d %q: in one run %q, alone %q", i, s, got[i], want)
		}
	}
}

// TestRunRefusesMovedPartitions: once a request on a partition the node
// does not hold is refused, so is every later one on it, while others run.
func TestRunRefusesMovedPartitions(t *testing.T) {
	n := newNode(t, Config{Partitions: 8})
	held := "(1)a"
	var other string
	for i := 0; other == ""; i++ {
		if k := "b" + strconv.Itoa(i); ring.PartitionOf([]byte(k), 8) != ring.PartitionOf([]byte("a"), 8) {
			other = "(" + strconv.Itoa(len(k)) + ")" + k
			if err := n.SetHeld(ring.PartitionOf([]byte(k), 8), false); err != nil {
				t.Fatal(err)
			}
		}
	}
	reqs := parse(t, "INCR_INT "+held+" 1", "INCR_INT "+other+" 1", "INCR_INT "+held+" 1", "GET "+other)
	got := runEach(n, 0, reqs)
	if got[0] != "OK:INT 1" || got[2] != "OK:INT 2" {
		t.Fatalf("held partition: %q", got)
	}
	for _, i := range []int{1, 3} {
		if !strings.HasPrefix(got[i], "wrong ring: node: partition not held here") {
			t.Fatalf("request %d on a partition not held: %q", i, got[i])
		}
	}
}

// TestRunDurability: with fsync=always every write a run acknowledged
// survives a machine crash; when the fsync fails, every entry of the run
// answers with the failure (its reads could show the writes that failed);
// later writes are refused and later reads served.
func TestRunDurability(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	var texts []string
	for i := 0; i < 50; i++ {
		texts = append(texts, "SET:INT "+key(i)+" "+strconv.Itoa(i))
	}
	for i, r := range runEach(n, 0, parse(t, texts...)) {
		if r != "OK" {
			t.Fatalf("write %d: %q", i, r)
		}
	}
	m.Crash()
	r := durableNode(t, m, wal.SyncAlways)
	for i := 0; i < 50; i++ {
		if got := do(t, r, 0, "GET "+key(i)); got != "OK:INT "+strconv.Itoa(i) {
			t.Fatalf("key %d after the crash: %q", i, got)
		}
	}

	fz := vfs.NewFaulty(vfs.NewMem())
	f := durableNode(t, fz, wal.SyncAlways)
	do(t, f, 0, "SET:STR (1)a (1)1")
	fz.FailAfter(vfs.OpSync, 0)
	for _, g := range runEach(f, 0, parse(t, "GET (1)a", "SET:STR (1)b (1)2", "INCR_INT (1)c 1")) {
		if !strings.HasPrefix(g, "error: write not durable") {
			t.Fatalf("an entry of a run whose fsync failed was answered %q", g)
		}
	}
	if got := do(t, f, 0, "GET (1)a"); got != "OK:STR (1)1" {
		t.Fatalf("a read after the failure: %q", got)
	}
	if got := do(t, f, 0, "SET:STR (1)a (1)2"); !strings.HasPrefix(got, "refused: "+ErrFailed.Error()) {
		t.Fatalf("a write after the failure: %q", got)
	}
}

// TestDigests: a command with WithDigest runs and answers the digest of
// its keys' states after its replies; DigestOnly does not run and answers
// the digest alone. Nodes holding the same state give the same digest,
// whatever order their writes came in; a different state gives another.
func TestDigests(t *testing.T) {
	a, b := newNode(t, Config{Partitions: 8}), newNode(t, Config{Partitions: 8})
	writes := parse(t, "SET:STR (1)k (1)v", "SET_ADD (1)s (3){(1)a(1)b(1)c}")
	runEach(a, 0, writes)
	digest := func(n *Node, mode rpc.Digest, text string) []string {
		return runRun(n, &rpc.Run{Cmds: []rpc.Cmd{{Digest: mode, Reqs: parse(t, text)}}})
	}
	for _, key := range []string{"(1)k", "(1)s"} {
		got := digest(a, rpc.WithDigest, "TYPE "+key)
		if len(got) != 2 || !strings.HasPrefix(got[0], "OK:") || len(got[1]) != 8 {
			t.Fatalf("%s with digest: %q", key, got)
		}
		only := digest(a, rpc.DigestOnly, "EXISTS "+key)
		if len(only) != 1 || only[0] != got[1] {
			t.Fatalf("%s digest only %q, with the read %q", key, only, got[1])
		}
		if other := digest(b, rpc.DigestOnly, "EXISTS "+key); other[0] == got[1] {
			t.Fatalf("%s: an empty node has the same digest", key)
		}
	}
	// b gets the same writes as deltas, in the other order.
	for _, req := range []int{1, 0} {
		var keys [][]byte
		states, _, err := a.KeyStates(0, writes[req].Keys(keys))
		if err != nil {
			t.Fatal(err)
		}
		if err := b.ApplyReplica(b.partitionOf(writes[req].Key()), states); err != nil {
			t.Fatal(err)
		}
	}
	for _, key := range []string{"(1)k", "(1)s"} {
		if x, y := digest(a, rpc.DigestOnly, "GET "+key), digest(b, rpc.DigestOnly, "GET "+key); x[0] != y[0] {
			t.Fatalf("%s: same state, digests %x and %x", key, x[0], y[0])
		}
	}
	// DigestOnly runs nothing, even a write.
	digest(a, rpc.DigestOnly, "DEL (1)k")
	if got := do(t, a, 0, "GET (1)k"); got != "OK:STR (1)v" {
		t.Fatalf("a digest-only DEL ran: %q", got)
	}
}
