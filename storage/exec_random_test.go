package storage

import (
	"fmt"
	"slices"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// TestSetRandom: distinct members for a positive count, draws that may
// repeat for a negative one, every one a member, each member about as
// often as another; the set unchanged.
func TestSetRandom(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	all := members("m", 10)
	h.do(setAddFrame("s", all))
	draw := func(count int) []string {
		out := h.do(fmt.Sprintf("SET_RANDOM (1)s %d", count))
		r, err := proto.ParseReply([]byte(out))
		if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeList {
			t.Fatalf("SET_RANDOM s %d: %q (%v)", count, out, err)
		}
		var got []string
		for _, m := range r.Value.Strs {
			if !slices.Contains(all, string(m)) {
				t.Errorf("SET_RANDOM s %d drew %q, not a member", count, m)
			}
			got = append(got, string(m))
		}
		return got
	}
	for _, count := range []int{1, 4, 9} {
		got := draw(count)
		if len(got) != count || len(slices.Compact(slices.Sorted(slices.Values(got)))) != count {
			t.Errorf("SET_RANDOM s %d: %v, want %d distinct members", count, got, count)
		}
	}
	if got := draw(50); len(got) != 10 {
		t.Errorf("SET_RANDOM s 50 of 10 members: %d, want all 10", len(got))
	}
	seen := map[string]int{}
	for _, m := range draw(-10000) {
		seen[m]++
	}
	for _, m := range all {
		if seen[m] < 800 || seen[m] > 1200 {
			t.Errorf("10,000 draws from 10 members drew %s %d times, want about 1,000", m, seen[m])
		}
	}
	if got := h.do("SET_LEN (1)s"); got != "OK:INT 10" {
		t.Errorf("SET_LEN after SET_RANDOM: %s", got)
	}
	h.check(`
		> SET_RANDOM (4)none 3
		< OK:LIST (0)[]
		> SET_RANDOM (1)s 0
		< OK:LIST (0)[]
		> SET_RANDOM (1)s -1000001
		< ERROR(90)SET_RANDOM draws at most 1000000 members with repeats: ask for a count of -1000000 or more
		> SET:STR (3)str (1)v
		< OK
		> SET_RANDOM (3)str 1
		< BAD_TYPE(9)not a set`)
}

// TestHashRandom: fields with their values, distinct for a positive
// count, drawn with repeats for a negative one.
func TestHashRandom(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	h.do("HASH_UPDATE (1)h (3){(1)a(1)1(1)b(1)2(1)c(1)3}")
	want := map[string]string{"a": "1", "b": "2", "c": "3"}
	for _, count := range []int{2, 5, -7} {
		out := h.do(fmt.Sprintf("HASH_RANDOM (1)h %d", count))
		r, err := proto.ParseReply([]byte(out))
		if err != nil || r.Value.Type != proto.TypeList || len(r.Value.Strs)%2 != 0 {
			t.Fatalf("HASH_RANDOM h %d: %q (%v)", count, out, err)
		}
		fields := map[string]bool{}
		for i := 0; i < len(r.Value.Strs); i += 2 {
			f, v := string(r.Value.Strs[i]), string(r.Value.Strs[i+1])
			if want[f] != v {
				t.Errorf("HASH_RANDOM h %d: field %q with %q, want %q", count, f, v, want[f])
			}
			fields[f] = true
		}
		switch n := len(r.Value.Strs) / 2; {
		case count > 0 && (n != min(count, 3) || len(fields) != n):
			t.Errorf("HASH_RANDOM h %d: %d fields (%d distinct), want %d distinct", count, n, len(fields), min(count, 3))
		case count < 0 && n != -count:
			t.Errorf("HASH_RANDOM h %d: %d draws, want %d", count, n, -count)
		}
	}
	h.check(`
		> HASH_RANDOM (4)none 2
		< OK:LIST (0)[]
		> HASH_RANDOM (1)h -1000001
		< ERROR(91)HASH_RANDOM draws at most 1000000 members with repeats: ask for a count of -1000000 or more
		> SET_RANDOM (1)h 1
		< BAD_TYPE(9)not a set
		> SET_ADD (1)s (1){(1)x}
		< OK:INT 1
		> HASH_RANDOM (1)s 1
		< BAD_TYPE(8)not hash`)
}
