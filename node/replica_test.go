package node

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

// writesOf runs requests on n and returns the deltas they produced for
// partition p, as a coordinator would send them to replicas.
func writesOf(t testing.TB, n *Node, p int, requests ...string) []byte {
	t.Helper()
	if _, err := n.StartStream(nil, p); err != nil {
		t.Fatal(err)
	}
	for _, r := range requests {
		if got := do(t, n, 0, r); !strings.HasPrefix(got, "OK") {
			t.Fatalf("%s: %s", r, got)
		}
	}
	deltas, _, err := n.PullStream(p)
	if err != nil {
		t.Fatal(err)
	}
	n.AbortStream(p)
	return deltas
}

// TestApplyReplicaConverges: a replica that joins a coordinator's deltas
// (also twice, and in another order) reads the same as the coordinator.
func TestApplyReplicaConverges(t *testing.T) {
	tagged := func(k string) string { return "{r}" + k }
	p := ring.PartitionOf([]byte(tagged("x")), 8)
	a := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	first := writesOf(t, a, p, "SET:STR (4){r}s (1)v", "INCR_INT (4){r}c 5", "LIST_PUSH_RIGHT (4){r}l (2)[(1)a(1)b]")
	second := writesOf(t, a, p, "INCR_INT (4){r}c -2", "SET_ADD (4){r}m (2){(1)x(1)y}", "LIST_POP_LEFT (4){r}l 1", "DEL (4){r}s")
	for _, order := range [][][]byte{{first, second}, {second, first}, {first, second, second, first}} {
		b := newNode(t, Config{Partitions: 8, KeepTombstones: true})
		for _, d := range order {
			if err := b.ApplyReplica(p, d); err != nil {
				t.Fatal(err)
			}
		}
		for _, k := range []string{"s", "c", "l", "m"} {
			req := "GET (4){r}" + k
			if ga, gb := sorted(t, do(t, a, 0, req)), sorted(t, do(t, b, 0, req)); ga != gb {
				t.Fatalf("%s: coordinator %q, replica %q", req, ga, gb)
			}
		}
	}
	b := newNode(t, Config{Partitions: 8})
	if err := b.ApplyReplica((p+1)%8, first); err == nil {
		t.Fatal("deltas of one partition accepted as another's")
	}
}

// TestApplyReplicaKeepsEachDeltasParts: a replica decodes a run's deltas
// into storage they share (storage.Borrowed); deltas of one kind in one
// run (counters' slot versions, sets' and hashes' members, lists' elements
// and tombstones) must each keep their own, so the replica reads what the
// coordinator reads for every key.
func TestApplyReplicaKeepsEachDeltasParts(t *testing.T) {
	key := func(kind byte, i int) string { return fmt.Sprintf("(5){r}%c%d", kind, i) }
	p := ring.PartitionOf([]byte("{r}"), 8)
	a := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	var reqs []string
	for i := range 6 {
		reqs = append(reqs,
			fmt.Sprintf("INCR_INT %s %d", key('c', i), i+1),
			fmt.Sprintf("SET_ADD %s (2){(2)a%d(2)b%d}", key('s', i), i, i),
			fmt.Sprintf("HASH_UPDATE %s (1){(2)f%d(2)v%d}", key('h', i), i, i),
			fmt.Sprintf("LIST_PUSH_RIGHT %s (3)[(2)x%d(2)y%d(2)z%d]", key('l', i), i, i, i),
		)
	}
	first := writesOf(t, a, p, reqs...)
	reqs = reqs[:0]
	for i := range 6 {
		reqs = append(reqs, "LIST_POP_LEFT "+key('l', i)+" 2", "INCR_INT "+key('c', i)+" 10")
	}
	second := writesOf(t, a, p, reqs...)
	b := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	for _, run := range [][]byte{first, second} {
		if err := b.ApplyReplica(p, run); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 6 {
		for _, kind := range []byte("cshl") {
			req := "GET " + key(kind, i)
			if ga, gb := sorted(t, do(t, a, 0, req)), sorted(t, do(t, b, 0, req)); ga != gb {
				t.Errorf("%s: coordinator %q, replica %q", req, ga, gb)
			}
		}
	}
}

// sorted puts a reply's SET members and HASH pairs in order (the protocol
// leaves theirs open).
func sorted(t *testing.T, reply string) string {
	r, err := proto.ParseReply([]byte(reply))
	if err != nil {
		t.Fatalf("%q: %v", reply, err)
	}
	proto.SortMembers(&r)
	return string(proto.AppendReply(nil, r))
}

// TestApplyReplicaIsDurable: what ApplyReplica returned for survives a
// machine crash under fsync=always.
func TestApplyReplicaIsDurable(t *testing.T) {
	p := ring.PartitionOf([]byte("{r}c"), 8)
	a := newNode(t, Config{Partitions: 8})
	d := writesOf(t, a, p, "INCR_INT (4){r}c 7")
	m := vfs.NewMem()
	b := durableNode(t, m, wal.SyncAlways)
	if err := b.ApplyReplica(p, d); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	r := durableNode(t, m, wal.SyncAlways)
	if got := do(t, r, 0, "GET (4){r}c"); got != "OK:INT 7" {
		t.Fatalf("after a crash: %q", got)
	}
}

// TestApplyReplicasTakesACallWhole: a call's deltas for several partitions
// are applied and logged together (one record, recovered after a crash),
// and a call with a delta sent as another partition's is refused before
// any of it is applied.
func TestApplyReplicasTakesACallWhole(t *testing.T) {
	tags := []string{"{r}", "{s}"}
	for i := 0; ring.PartitionOf([]byte(tags[0]), 8) == ring.PartitionOf([]byte(tags[1]), 8); i++ {
		tags[1] = "{s" + strconv.Itoa(i) + "}"
	}
	a := newNode(t, Config{Partitions: 8})
	var parts []int
	var deltas [][]byte
	for i, tag := range tags {
		p := ring.PartitionOf([]byte(tag), 8)
		parts = append(parts, p)
		deltas = append(deltas, writesOf(t, a, p, fmt.Sprintf("INCR_INT (%d)%sc %d", len(tag)+1, tag, i+3)))
	}
	get := func(n *Node, i int) string {
		return do(t, n, 0, fmt.Sprintf("GET (%d)%sc", len(tags[i])+1, tags[i]))
	}

	m := vfs.NewMem()
	b := durableNode(t, m, wal.SyncAlways)
	if err := b.ApplyReplicas(parts, deltas); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	r := durableNode(t, m, wal.SyncAlways)
	for i := range tags {
		if got, want := get(r, i), "OK:INT "+strconv.Itoa(i+3); got != want {
			t.Errorf("after a crash, key %d: %q, want %q", i, got, want)
		}
	}

	c := newNode(t, Config{Partitions: 8})
	if err := c.ApplyReplicas(parts, [][]byte{deltas[0], deltas[0]}); err == nil {
		t.Fatal("a delta sent as another partition's was accepted")
	}
	if got := get(c, 0); got != "NULL" {
		t.Errorf("the refused call's first partition was applied: %q", got)
	}
}

// TestKeyStatesRepair: a replica that missed writes and a RESET catches up
// by joining the coordinator's states of the keys it reads.
func TestKeyStatesRepair(t *testing.T) {
	a := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	for _, r := range []string{"SET:STR (4){r}s (1)v", "INCR_INT (4){r}c 4", "HASH_SET (4){r}h (1){(1)f(1)g}"} {
		do(t, a, 2, r)
	}
	b := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	keys := [][]byte{[]byte("{r}s"), []byte("{r}c"), []byte("{r}h"), []byte("{r}missing")}
	states, p, err := a.KeyStates(2, keys)
	if err != nil || p != ring.PartitionOf([]byte("{r}s"), 8) {
		t.Fatalf("states: partition %d, %v", p, err)
	}
	if err := b.ApplyReplica(p, states); err != nil {
		t.Fatal(err)
	}
	for _, k := range keys {
		req := "GET (" + strconv.Itoa(len(k)) + ")" + string(k)
		if ga, gb := sorted(t, do(t, a, 2, req)), sorted(t, do(t, b, 2, req)); ga != gb {
			t.Fatalf("%s: coordinator %q, repaired replica %q", req, ga, gb)
		}
	}
	do(t, a, 2, "RESET")
	states, _, _ = a.KeyStates(2, keys[:1])
	if err := b.ApplyReplica(p, states); err != nil {
		t.Fatal(err)
	}
	if got := do(t, b, 2, "GET (4){r}c"); got != "NULL" {
		t.Fatalf("the reset did not reach the replica with the states: %q", got)
	}
	if _, _, err := a.KeyStates(2, [][]byte{[]byte("{r}s"), []byte("{q}x")}); err == nil && ring.PartitionOf([]byte("{q}x"), 8) != p {
		t.Fatal("a state request spanning partitions was accepted")
	}
}

// TestIncompleteCopiesAnswerNoStates: a replica whose copy of a partition
// is still arriving (it keeps the writes sent to it, but not what came
// before) or that restarted and is catching up refuses state requests, so
// it never counts toward a read quorum with an answer that lacks writes.
func TestIncompleteCopiesAnswerNoStates(t *testing.T) {
	a := newNode(t, Config{Partitions: 8})
	key := [][]byte{[]byte("{r}c")}
	p := ring.PartitionOf(key[0], 8)
	earlier := writesOf(t, a, p, "INCR_INT (4){r}c 7")
	if err := a.SetHeld(p, false); err != nil {
		t.Fatal(err)
	}
	if err := a.ApplyReplica(p, earlier); err != nil { // a write sent while the copy arrives
		t.Fatal(err)
	}
	if _, _, err := a.KeyStates(0, key); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("a copy still arriving answered states (%v)", err)
	}
	if err := a.SetHeld(p, true); err != nil {
		t.Fatal(err)
	}
	if states, _, err := a.KeyStates(0, key); err != nil || len(states) == 0 {
		t.Fatalf("a served partition: %d bytes of states, %v", len(states), err)
	}
	a.StartCatchUp()
	if _, _, err := a.KeyStates(0, key); !errors.Is(err, ErrNotHeld) {
		t.Fatalf("a replica catching up answered states (%v)", err)
	}
}
