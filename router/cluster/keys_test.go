package cluster

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/router"
)

func keysOf(s string) [][]byte {
	var out [][]byte
	for _, f := range strings.Fields(s) {
		out = append(out, []byte(f))
	}
	return out
}

func joined(keys [][]byte) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = string(k)
	}
	return strings.Join(s, " ")
}

// TestMergePages: the union of replicas' pages, cut where the first
// replica with more keys stopped (past it, its keys are unknown).
func TestMergePages(t *testing.T) {
	cases := []struct {
		pages    []keyPage
		max      int
		want     string
		more     bool
		disputed []int // of want's keys, those some page lacks
	}{
		{[]keyPage{{keysOf("a c"), false}, {keysOf("b c d"), false}}, 10, "a b c d", false, []int{0, 1, 3}},
		{[]keyPage{{keysOf("a c"), true}, {keysOf("b c d e"), false}}, 10, "a b c", true, []int{0, 1}},
		{[]keyPage{{keysOf("a b c"), true}, {keysOf("a b"), true}}, 10, "a b", true, nil},
		{[]keyPage{{keysOf("a b c d"), false}, {keysOf("a b c d"), false}}, 3, "a b c", true, nil},
		{[]keyPage{{nil, false}, {nil, false}}, 3, "", false, nil},
	}
	for i, c := range cases {
		pg := mergePages(c.pages, c.max)
		if joined(pg.Keys) != c.want || pg.More != c.more {
			t.Errorf("case %d: %q more=%v, want %q more=%v", i, joined(pg.Keys), pg.More, c.want, c.more)
		}
		if pg.More && string(pg.Last) != string(pg.Keys[len(pg.Keys)-1]) {
			t.Errorf("case %d: the next page starts after %q, the page ends at %q", i, pg.Last, pg.Keys[len(pg.Keys)-1])
		}
		if d := disputed(c.pages, pg.Keys); !slices.Equal(d, c.disputed) {
			t.Errorf("case %d: disputed %v, want %v", i, d, c.disputed)
		}
	}
}

// TestCountPartitions counts each partition as its largest copy, names
// those whose complete copies differ, and refuses when no node has a
// complete copy of one.
func TestCountPartitions(t *testing.T) {
	counts := [][]int{{5, 7, -1, 3}, {4, 7, -1, -1}, {-1, -1, 2, 3}}
	n, differ, missing, err := countPartitions(counts, 4)
	if err != nil || missing != -1 || n != 5+7+2+3 {
		t.Errorf("count %d, %v; want 17", n, err)
	}
	if want := []differing{{0, 5}}; !slices.Equal(differ, want) {
		t.Errorf("differing partitions %v, want %v", differ, want)
	}
	var ce *router.CommandError
	if _, _, missing, err := countPartitions(counts[:2], 4); !errors.As(err, &ce) || !strings.Contains(ce.Msg, "partition 2") || missing != 2 {
		t.Errorf("a partition nobody answered for: %v", err)
	}
}

// TestRoutesMoving: a partition is moving while one of its replicas by
// the ring is alive but does not serve it (its copy still arriving); not
// when every replica serves it, nor when the one that does not is down
// (it waits for that node, it is not moving).
func TestRoutesMoving(t *testing.T) {
	b := testBackend(t, 2, &fakeNode{addr: "n1"}, &fakeNode{addr: "n2"}, &fakeNode{addr: "n3"})
	rt := b.routes.Load()
	rt.nodes = []string{"n1", "n2", "n3"}
	const p = 5
	if rt.moving(p) {
		t.Fatalf("partition %d served by its replicas %v reads as moving", p, rt.owners[p])
	}
	arriving := rt.owners[p][1]
	rt.owners[p] = rt.owners[p][:1]
	if !rt.moving(p) {
		t.Fatalf("partition %d whose replica %s brings its copy in does not read as moving", p, arriving)
	}
	rt.nodes = slices.DeleteFunc(rt.nodes, func(a string) bool { return a == arriving })
	rt.failed[arriving] = arriving
	if rt.moving(p) {
		t.Fatalf("partition %d whose other replica %s is down reads as moving", p, arriving)
	}
}
