package storage

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
	"pgregory.net/rapid"
)

// TestKeysPages lists a shard's live keys in pages: in byte order, after
// the cursor, matching the pattern, without deleted or expired keys.
func TestKeysPages(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for _, k := range []string{"user:3", "user:1", "order:9", "user:2", "gone", "user:10", "soon"} {
		h.do("SET:STR " + frameStr(k) + " (1)v")
	}
	h.do("DEL (4)gone")
	h.do("SET_EXPIRY (4)soon 0.001")
	h.do("SET_ADD (6)user:4 (1){(1)x}") // another type, still a key
	h.wall += 10                        // soon has expired
	sh := h.shards[0]
	now := h.wall

	all, more := sh.Keys(0, nil, nil, now, 100)
	if got := joinKeys(all); got != "order:9 user:1 user:10 user:2 user:3 user:4" || more {
		t.Fatalf("all keys: %q more=%v", got, more)
	}
	if n := sh.Live(0, now); n != 6 {
		t.Errorf("Live = %d, want 6", n)
	}
	if n := sh.Live(1, now); n != 0 {
		t.Errorf("Live of an empty database = %d", n)
	}
	match := func(k []byte) bool { return proto.MatchPattern([]byte("user:?"), k) }
	var pages []string
	var after []byte
	for {
		keys, more := sh.Keys(0, after, match, now, 2)
		pages = append(pages, joinKeys(keys))
		if !more {
			break
		}
		after = keys[len(keys)-1]
	}
	if got := strings.Join(pages, " | "); got != "user:1 user:2 | user:3 user:4" {
		t.Errorf("pages of user:?: %q", got)
	}
	keys, _ := sh.Keys(0, nil, nil, now, 100)
	keys[0][0] = 'X' // the keys are copies
	if again, _ := sh.Keys(0, nil, nil, now, 1); string(again[0]) != "order:9" {
		t.Errorf("a returned key shares the shard's memory: %q", again[0])
	}
}

func frameStr(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }

func joinKeys(keys [][]byte) string {
	s := make([]string, len(keys))
	for i, k := range keys {
		s[i] = string(k)
	}
	return strings.Join(s, " ")
}

// TestEachAllocatesOnce: walking a shard's states (a snapshot, a partition
// sent to another node, a digest) allocates for the walk, not per string
// key: a snapshot of a large shard allocated a Delta or two per key.
func TestEachAllocatesOnce(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for i := range 200 {
		h.do("SET:STR " + frameStr("k"+strconv.Itoa(i)) + " (1)v")
	}
	sh := h.shards[0]
	var n int
	count := func(d *Delta) bool { n++; return true }
	if a := testing.AllocsPerRun(20, func() { sh.Each(count) }); a > 10 {
		t.Errorf("Each allocated %.0f times over 200 keys", a)
	}
	if n != 20*200+200 { // AllocsPerRun runs it once more to warm up
		t.Errorf("Each visited %d states, want %d", n, 21*200)
	}
	if a := testing.AllocsPerRun(20, func() { sh.Digest(hlc.Stamp{}) }); a > 10 {
		t.Errorf("Digest allocated %.0f times over 200 keys", a)
	}
}

// BenchmarkLive counts the keys of a database of 100,000 (DBSIZE, INFO's
// keyspace), a tenth of them with a deadline: the count walks those
// alone.
// TestExpiringCountsDeadlinesAhead: INFO's expires and avg_ttl count the
// keys a reader sees whose deadline is still ahead, not those it passed,
// nor a deleted key's.
func TestExpiringCountsDeadlinesAhead(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for _, k := range []string{"a", "b", "c", "d", "e"} {
		h.do("SET:STR " + frameStr(k) + " (1)v")
	}
	h.do("SET_EXPIRY (1)a 10")
	h.do("SET_EXPIRY (1)b 20")
	h.do("DEL (1)b") // its deadline goes with it
	h.do("SET_EXPIRY (1)c 30")
	h.do("SET_EXPIRY (1)d 0.001")
	h.wall += 5 // d's deadline has passed
	sh := h.shards[0]
	if n, left := sh.Expiring(0, h.wall); n != 2 || left != 40_000-10 {
		t.Errorf("Expiring = %d keys, %d ms left; want 2 and 39990", n, left)
	}
	if n, left := sh.Expiring(1, h.wall); n != 0 || left != 0 {
		t.Errorf("Expiring of an empty database = %d, %d", n, left)
	}
}

func BenchmarkLive(b *testing.B) {
	h := newHarness(b, 1, false, 1)
	for i := range 100_000 {
		k := fmt.Sprintf("key:%08d", i)
		h.do(fmt.Sprintf("SET:STR (%d)%s (1)v", len(k), k))
		if i%10 == 0 {
			h.do(fmt.Sprintf("SET_EXPIRY (%d)%s 100", len(k), k))
		}
		h.deltas = h.deltas[:0]
	}
	sh := h.shards[0]
	n := 0
	for b.Loop() {
		n = sh.Live(0, h.wall)
	}
	if n != 100_000 {
		b.Fatalf("Live counted %d keys, want 100000", n)
	}
}

// TestKeysPagesFollowASort pages through random keys, some deleted or
// expired, with pages of random sizes: the pages together are the live
// keys in byte order, each once.
func TestKeysPagesFollowASort(t *testing.T) {
	rapid.Check(t, func(t *rapid.T) {
		h := newHarness(t, 1, true, 1)
		live := map[string]bool{}
		for range rapid.IntRange(0, 200).Draw(t, "keys") {
			k := rapid.StringMatching(`[a-c]{1,4}`).Draw(t, "key")
			switch rapid.IntRange(0, 5).Draw(t, "what") {
			case 0:
				h.do("DEL " + frameStr(k))
				delete(live, k)
			case 1:
				h.do("SET:STR " + frameStr(k) + " (1)v")
				h.do("SET_EXPIRY " + frameStr(k) + " 0.001")
				delete(live, k)
			default:
				h.do("SET:STR " + frameStr(k) + " (1)v")
				live[k] = true
			}
		}
		h.wall += 10
		want := slices.Sorted(maps.Keys(live))
		var got []string
		var after []byte
		for pages := 0; ; pages++ {
			if pages > len(want)+1 {
				t.Fatalf("no end after %d pages: %q", pages, got)
			}
			keys, more := h.shards[0].Keys(0, after, nil, h.wall, rapid.IntRange(1, 5).Draw(t, "page"))
			for _, k := range keys {
				got = append(got, string(k))
			}
			if !more {
				break
			}
			after = keys[len(keys)-1]
		}
		if !slices.Equal(got, want) {
			t.Fatalf("pages %q, want %q", got, want)
		}
	})
}

// BenchmarkKeysPage takes a page of 10 keys from the middle of a shard
// of 100,000 (a SCAN's step).
func BenchmarkKeysPage(b *testing.B) {
	h := newHarness(b, 1, false, 1)
	for i := range 100_000 {
		k := fmt.Sprintf("key:%08d", i)
		h.do(fmt.Sprintf("SET:STR (%d)%s (1)v", len(k), k))
		h.deltas = h.deltas[:0]
	}
	after := []byte("key:00050000")
	var keys [][]byte
	for b.Loop() {
		keys, _ = h.shards[0].Keys(0, after, nil, h.wall, 10)
	}
	if len(keys) != 10 || string(keys[0]) != "key:00050001" {
		b.Fatalf("page %q", keys)
	}
}

// TestWarmChangesNothing: Warm only reads. Warming a stored key, a
// missing one and a database reset leaves the shard as it was: the same
// entries, digest and replies.
func TestWarmChangesNothing(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	h.do("SET:STR (1)a (1)v")
	h.do("INCR_INT (1)c 4")
	h.do("DEL (1)a")
	sh := h.shards[0]
	before, n := *sh.Digest(hlc.Stamp{}), sh.Len(0)
	for _, d := range []Delta{{Key: "a"}, {Key: "c"}, {Key: "missing"}, {DB: 3, Key: "c"}, {DBWide: true}, {DB: NumDBs, Key: "c"}} {
		sh.Warm(&d)
	}
	if after := *sh.Digest(hlc.Stamp{}); after != before || sh.Len(0) != n || sh.Len(3) != 0 {
		t.Errorf("Warm changed the shard: %d entries, then %d", n, sh.Len(0))
	}
	if got := h.do("GET (1)c"); got != "OK:INT 4" {
		t.Errorf("GET c after Warm: %q", got)
	}
}
