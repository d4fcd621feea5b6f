package cluster

import (
	"errors"
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
		pages []keyPage
		max   int
		want  string
		more  bool
	}{
		{[]keyPage{{keysOf("a c"), false}, {keysOf("b c d"), false}}, 10, "a b c d", false},
		{[]keyPage{{keysOf("a c"), true}, {keysOf("b c d e"), false}}, 10, "a b c", true},
		{[]keyPage{{keysOf("a b c"), true}, {keysOf("a b"), true}}, 10, "a b", true},
		{[]keyPage{{keysOf("a b c d"), false}, {keysOf("a b c d"), false}}, 3, "a b c", true},
		{[]keyPage{{nil, false}, {nil, false}}, 3, "", false},
	}
	for i, c := range cases {
		keys, more := mergePages(c.pages, c.max)
		if joined(keys) != c.want || more != c.more {
			t.Errorf("case %d: %q more=%v, want %q more=%v", i, joined(keys), more, c.want, c.more)
		}
	}
}

// TestCountPartitions counts each partition as its largest copy, and
// refuses when no node has a complete copy of one.
func TestCountPartitions(t *testing.T) {
	counts := [][]int{{5, 7, -1}, {4, 6, -1}, {-1, -1, 2}}
	n, err := countPartitions(counts, 3)
	if err != nil || n != 5+7+2 {
		t.Errorf("count %d, %v; want 14", n, err)
	}
	var ce *router.CommandError
	if _, err := countPartitions(counts[:2], 3); !errors.As(err, &ce) || !strings.Contains(ce.Msg, "partition 2") {
		t.Errorf("a partition nobody answered for: %v", err)
	}
}
