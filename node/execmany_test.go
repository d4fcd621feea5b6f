package node

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

func parse(t *testing.T, texts ...string) []*proto.Request {
	t.Helper()
	out := make([]*proto.Request, len(texts))
	for i, s := range texts {
		var r proto.Request
		if err := proto.ParseRequest([]byte(s), &r); err != proto.ErrNone {
			t.Fatalf("%q: %v", s, err)
		}
		out[i] = r.Clone()
	}
	return out
}

func splitReplies(out []byte, ends []int) []string {
	r := make([]string, len(ends))
	prev := 0
	for i, e := range ends {
		r[i] = string(out[prev:e])
		prev = e
	}
	return r
}

// TestExecManyMatchesExec runs the same requests through ExecMany on one
// node and Exec one by one on another.
func TestExecManyMatchesExec(t *testing.T) {
	var texts []string
	for i := 0; i < 200; i++ {
		k := "(2)k" + strconv.Itoa(i%7)
		texts = append(texts, []string{"INCR_INT " + k + " 2", "GET " + k, "SET:STR " + k + " (1)x",
			"LIST_PUSH_RIGHT " + k + " (1)[(1)a]", "DEL " + k, "MANY_GET (2)[(2)k1(2)k2]"}[i%6])
	}
	a, b := newNode(t, Config{Partitions: 8}), newNode(t, Config{Partitions: 8})
	out, ends, errs := a.ExecMany(context.Background(), 3, parse(t, texts...), []byte("prefix"))
	if errs != nil || !strings.HasPrefix(string(out), "prefix") {
		t.Fatalf("errs %v, out %.20q", errs, out)
	}
	got := splitReplies(out[len("prefix"):], func() []int {
		e := make([]int, len(ends))
		for i := range ends {
			e[i] = ends[i] - len("prefix")
		}
		return e
	}())
	for i, s := range texts {
		if want := do(t, b, 3, s); got[i] != want {
			t.Fatalf("request %d %q: ExecMany %q, Exec %q", i, s, got[i], want)
		}
	}
}

// TestExecManyRefusesMovedPartitions: once a request on a partition the
// node does not hold is refused, so is every later one on it, while
// others run.
func TestExecManyRefusesMovedPartitions(t *testing.T) {
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
	out, ends, errs := n.ExecMany(context.Background(), 0, reqs, nil)
	got := splitReplies(out, ends)
	if got[0] != "OK:INT 1" || got[2] != "OK:INT 2" || errs[0] != nil || errs[2] != nil {
		t.Fatalf("held partition: %q %v", got, errs)
	}
	for _, i := range []int{1, 3} {
		if !errors.Is(errs[i], ErrNotHeld) || got[i] != "" {
			t.Fatalf("request %d on a partition not held: %q %v", i, got[i], errs[i])
		}
	}
}

// TestExecManyDurability: with fsync=always every write a pipeline
// acknowledged survives a machine crash; when the fsync fails, every write
// of the pipeline answers with the failure.
func TestExecManyDurability(t *testing.T) {
	m := vfs.NewMem()
	n := durableNode(t, m, wal.SyncAlways)
	var texts []string
	for i := 0; i < 50; i++ {
		texts = append(texts, "SET:INT "+key(i)+" "+strconv.Itoa(i))
	}
	out, ends, errs := n.ExecMany(context.Background(), 0, parse(t, texts...), nil)
	for i, r := range splitReplies(out, ends) {
		if r != "OK" || errs != nil {
			t.Fatalf("write %d: %q %v", i, r, errs)
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
	out, ends, _ = f.ExecMany(context.Background(), 0, parse(t, "GET (1)a", "SET:STR (1)b (1)2", "INCR_INT (1)c 1"), nil)
	got := splitReplies(out, ends)
	if got[0] != "OK:STR (1)1" {
		t.Fatalf("a read before the failure: %q", got[0])
	}
	for _, g := range got[1:] {
		if !strings.HasPrefix(g, "INTERNAL_ERROR") {
			t.Fatalf("a write that could not be fsynced was answered %q", g)
		}
	}
	out, ends, _ = f.ExecMany(context.Background(), 0, parse(t, "GET (1)a"), nil)
	if got := splitReplies(out, ends); !strings.HasPrefix(got[0], "INTERNAL_ERROR") {
		t.Fatalf("after the failure: %q", got[0])
	}
}
