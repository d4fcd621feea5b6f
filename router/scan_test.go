package router

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// partsLister is a KeyLister over keys spread across partitions in
// memory.
type partsLister struct{ parts [][][]byte }

func (l *partsLister) Partitions() int { return len(l.parts) }

func (l *partsLister) ListKeys(_ context.Context, _ int, _ proto.Consistency, p int, after, pattern []byte, max int) ([][]byte, bool, error) {
	var out [][]byte
	for _, k := range l.parts[p] {
		if bytes.Compare(k, after) > 0 && (len(pattern) == 0 || proto.MatchPattern(pattern, k)) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, bytes.Compare)
	if len(out) > max {
		return out[:max], true, nil
	}
	return out, false, nil
}

func (l *partsLister) CountKeys(context.Context, int) (int64, error) { return 0, nil }

// TestScanReturnsEveryKeyOnce pages through partitions of uneven sizes
// (empty ones, and ones larger than a page) with several counts.
func TestScanReturnsEveryKeyOnce(t *testing.T) {
	l := &partsLister{parts: make([][][]byte, 40)}
	total := 0
	for p := range l.parts {
		for i := 0; i < (p*7)%23; i++ {
			l.parts[p] = append(l.parts[p], []byte(fmt.Sprintf("p%02d-k%02d", p, i)))
			total++
		}
	}
	for _, count := range []int{1, 3, 10, 50, 1000} {
		seen := map[string]int{}
		c := cursor{}
		for calls := 0; ; calls++ {
			keys, next, err := scan(context.Background(), l, 0, proto.ConsQuorum, c, nil, count)
			if err != nil {
				t.Fatal(err)
			}
			if len(keys) > count {
				t.Fatalf("count %d: a page of %d", count, len(keys))
			}
			for _, k := range keys {
				seen[string(k)]++
			}
			text := appendCursor(nil, next, l.Partitions())
			if string(text) == "0" {
				break
			}
			if c, err = parseCursor(text, l.Partitions()); err != nil {
				t.Fatalf("cursor %q does not read back: %v", text, err)
			}
			if calls > total+len(l.parts) {
				t.Fatalf("count %d: the scan does not end", count)
			}
		}
		if len(seen) != total {
			t.Errorf("count %d: %d keys of %d returned", count, len(seen), total)
		}
		for k, n := range seen {
			if n != 1 {
				t.Errorf("count %d: %s returned %d times", count, k, n)
			}
		}
	}
}

func TestCursors(t *testing.T) {
	for _, bad := range []string{"", "x", "-1", "40", "3.", "3.zz", "3.4x"} {
		if _, err := parseCursor([]byte(bad), 40); !errors.Is(err, ErrBadCursor) {
			t.Errorf("cursor %q: %v, want ErrBadCursor", bad, err)
		}
	}
	for _, c := range []cursor{{part: 0}, {part: 7}, {part: 39, after: []byte("a\x00b")}} {
		got, err := parseCursor(appendCursor(nil, c, 40), 40)
		if err != nil || got.part != c.part || !bytes.Equal(got.after, c.after) {
			t.Errorf("cursor %+v reads back as %+v, %v", c, got, err)
		}
	}
	if s := appendCursor(nil, cursor{part: 40}, 40); string(s) != "0" {
		t.Errorf("the end is %q, want 0", s)
	}
}
