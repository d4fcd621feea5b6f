package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// scanAll scans key with cmd (SET_SCAN or HASH_SCAN) from cursor 0 to
// the end, calling between before each page after the first, and returns
// every member (a hash's fields, each with its value after "=") in the
// order returned, and the number of pages.
func scanAll(t *testing.T, h *harness, cmd, key, pattern string, count int, between func(page int)) (got []string, pages int) {
	t.Helper()
	cursor := int64(0)
	for {
		if pages > 0 && between != nil {
			between(pages)
		}
		out := h.do(fmt.Sprintf("%s (%d)%s %d (%d)%s %d", cmd, len(key), key, cursor, len(pattern), pattern, count))
		r, err := proto.ParseReply([]byte(out))
		if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeArr || len(r.Value.Elems) != 2 ||
			r.Value.Elems[0].Type != proto.TypeInt {
			t.Fatalf("%s page %d: reply %q (%v)", cmd, pages, out, err)
		}
		pages++
		members := r.Value.Elems[1].Strs
		if cmd == "HASH_SCAN" {
			for i := 0; i+1 < len(members); i += 2 {
				got = append(got, string(members[i])+"="+string(members[i+1]))
			}
		} else {
			for _, m := range members {
				got = append(got, string(m))
			}
		}
		next := r.Value.Elems[0].Int
		if next == 0 {
			return got, pages
		}
		if next <= cursor {
			t.Fatalf("%s: cursor went from %d to %d", cmd, cursor, next)
		}
		cursor = next
	}
}

func members(prefix string, n int) []string {
	var out []string
	for i := range n {
		out = append(out, prefix+strconv.Itoa(i))
	}
	return out
}

func setAddFrame(key string, ms []string) string {
	s := fmt.Sprintf("SET_ADD (%d)%s (%d){", len(key), key, len(ms))
	for _, m := range ms {
		s += fmt.Sprintf("(%d)%s", len(m), m)
	}
	return s + "}"
}

// TestSetScanReturnsEveryMemberOnce: a whole scan returns each member of
// a set once, whatever the count; a count of 1 still ends within
// memberScanPages+1 pages; the pattern filters.
func TestSetScanReturnsEveryMemberOnce(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	all := members("m", 1000)
	h.do(setAddFrame("s", all))
	for _, count := range []int{1, 10, 100, 5000} {
		got, pages := scanAll(t, h, "SET_SCAN", "s", "", count, nil)
		slices.Sort(got)
		want := slices.Clone(all)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("count %d: scan returned %d members (want each of %d once)", count, len(got), len(want))
		}
		if pages > memberScanPages+1 {
			t.Errorf("count %d: %d pages, want at most %d", count, pages, memberScanPages+1)
		}
		if count >= 1000 && pages != 1 {
			t.Errorf("count %d over 1000 members: %d pages, want 1", count, pages)
		}
	}
	got, _ := scanAll(t, h, "SET_SCAN", "s", "m9?", 10, nil)
	slices.Sort(got)
	if want := members("m9", 10); !slices.Equal(got, []string{"m90", "m91", "m92", "m93", "m94", "m95", "m96", "m97", "m98", "m99"}) {
		t.Errorf("pattern m9?: %v, want %v", got, want)
	}
}

// TestSetScanUnderChange: members present for the whole scan are returned
// exactly once while others come and go between its pages.
func TestSetScanUnderChange(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	stay := members("stay", 300)
	h.do(setAddFrame("s", stay))
	h.do(setAddFrame("s", members("gone", 300)))
	between := func(page int) {
		h.do(setAddFrame("s", members(fmt.Sprintf("new%d-", page), 20)))
		for i := range 20 {
			m := fmt.Sprintf("gone%d", page*20+i)
			h.do(fmt.Sprintf("SET_DISCARD (1)s (1){(%d)%s}", len(m), m))
		}
	}
	got, pages := scanAll(t, h, "SET_SCAN", "s", "", 5, between)
	seen := map[string]int{}
	for _, m := range got {
		seen[m]++
	}
	for _, m := range stay {
		if seen[m] != 1 {
			t.Errorf("%s returned %d times, want once", m, seen[m])
		}
	}
	for m, n := range seen {
		if n > 1 {
			t.Errorf("%s returned %d times", m, n)
		}
	}
	if pages < 3 {
		t.Errorf("%d pages: the scan should have seen changes between pages", pages)
	}
}

// TestHashScan: fields with their values, every one once.
func TestHashScan(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	frame, want := "HASH_UPDATE (1)h (50){", []string(nil)
	for i := range 50 {
		f, v := "f"+strconv.Itoa(i), "v"+strconv.Itoa(i)
		frame += fmt.Sprintf("(%d)%s(%d)%s", len(f), f, len(v), v)
		want = append(want, f+"="+v)
	}
	h.do(frame + "}")
	got, _ := scanAll(t, h, "HASH_SCAN", "h", "", 3, nil)
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Errorf("HASH_SCAN returned %v, want %v", got, want)
	}
}

func TestMemberScanExamples(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	h.check(`
		> SET_SCAN (4)none 0 (0) 10
		< OK:ARR (2)[:INT 0:SET (0){}]
		> HASH_SCAN (4)none 0 (1)* 10
		< OK:ARR (2)[:INT 0:HASH (0){}]
		> SET_ADD (1)s (3){(1)a(1)b(1)c}
		< OK:INT 3
		> SET_SCAN (1)s 0 (4)[ab] 10
		~ OK:ARR (2)[:INT 0:SET (2){(1)a(1)b}]
		> HASH_UPDATE (1)h (1){(1)f(1)v}
		< OK:INT 1
		> HASH_SCAN (1)h 0 (0) 10
		< OK:ARR (2)[:INT 0:HASH (1){(1)f(1)v}]
		> SET_SCAN (1)h 0 (0) 10
		< BAD_TYPE(9)not a set
		> HASH_SCAN (1)s 0 (0) 10
		< BAD_TYPE(8)not hash
		> SET_SCAN (1)s -1 (0) 10
		< ERROR(86)invalid SET_SCAN cursor -1: use 0 to start, then the cursor the last SET_SCAN returned
		> HASH_SCAN (1)h 0 (0) 0
		< ERROR(44)HASH_SCAN count must be between 1 and 100000`)
}

// TestKthSmallest checks the selection against a sort, on inputs that
// trouble pivots: sorted, reversed, equal, few values, random.
func TestKthSmallest(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	inputs := map[string]func(i int) int64{
		"sorted":   func(i int) int64 { return int64(i) },
		"reversed": func(i int) int64 { return int64(-i) },
		"equal":    func(int) int64 { return 7 },
		"few":      func(i int) int64 { return int64(i % 3) },
		"random":   func(int) int64 { return rng.Int64() },
		"organ":    func(i int) int64 { return int64(min(i, 999-i)) },
	}
	for name, gen := range inputs {
		for _, n := range []int{1, 2, 3, 10, 1000} {
			hs := make([]int64, n)
			for i := range hs {
				hs[i] = gen(i)
			}
			want := slices.Sorted(slices.Values(hs))
			for _, k := range []int{0, n / 3, n / 2, n - 1} {
				if got := kthSmallest(slices.Clone(hs), k); got != want[k] {
					t.Errorf("%s n=%d: kthSmallest(%d) = %d, want %d", name, n, k, got, want[k])
				}
			}
		}
	}
}
