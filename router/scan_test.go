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
// memory. drop, when set, names keys a page leaves out after it was cut
// (as a cluster drops deleted keys a lagging copy listed): the page ends
// where it was cut all the same.
type partsLister struct {
	parts [][][]byte
	drop  func(k []byte) bool
}

func (l *partsLister) Partitions() int { return len(l.parts) }

func (l *partsLister) ListKeys(_ context.Context, _ int, _ proto.Consistency, p int, after, pattern []byte, max int) (KeyPage, error) {
	var out [][]byte
	for _, k := range l.parts[p] {
		if bytes.Compare(k, after) > 0 && (len(pattern) == 0 || proto.MatchPattern(pattern, k)) {
			out = append(out, k)
		}
	}
	slices.SortFunc(out, bytes.Compare)
	pg := KeyPage{Keys: out}.Cut(max)
	if l.drop != nil {
		pg.Keys = slices.DeleteFunc(pg.Keys, l.drop)
	}
	return pg, nil
}

func (l *partsLister) CountKeys(context.Context, int, proto.Consistency) (int64, error) {
	return 0, nil
}

// TestScanReturnsEveryKeyOnce pages through partitions of uneven sizes
// (empty ones, and ones larger than a page) with several counts; and
// again with keys the lister drops from its pages, whole pages too, which
// are never returned while the scan goes on past them.
func TestScanReturnsEveryKeyOnce(t *testing.T) {
	t.Run("all", func(t *testing.T) { scanEveryKeyOnce(t, nil) })
	t.Run("dropped", func(t *testing.T) {
		scanEveryKeyOnce(t, func(k []byte) bool { return k[len(k)-1]%3 == 0 || bytes.HasPrefix(k, []byte("p07")) })
	})
}

func scanEveryKeyOnce(t *testing.T, drop func([]byte) bool) {
	l := &partsLister{parts: make([][][]byte, 40), drop: drop}
	total, listed := 0, 0 // keys returned, keys listed
	for p := range l.parts {
		for i := 0; i < (p*7)%23; i++ {
			k := []byte(fmt.Sprintf("p%02d-k%02d", p, i))
			l.parts[p] = append(l.parts[p], k)
			listed++
			if drop == nil || !drop(k) {
				total++
			}
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
			if calls > listed+len(l.parts) {
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
