package storage

import (
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
	"pgregory.net/rapid"
)

// Differ returns the buckets whose leaves differ between two digests.
func (dg *Digest) Differ(o *Digest) []int {
	var out []int
	for i := range dg {
		if dg[i] != o[i] {
			out = append(out, i)
		}
	}
	return out
}

// TestDigestFindsWhatDiffers: a replica that missed some deltas differs
// from one that has them only in the buckets of the keys those deltas
// touched, and joining the other's states of just those buckets makes the
// two identical (what anti-entropy does).
func TestDigestFindsWhatDiffers(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := newHarness(rt, 1, true, 1)
		for s := rapid.IntRange(1, 80).Draw(rt, "steps"); s > 0; s-- {
			h.wall += rapid.Int64Range(0, 10).Draw(rt, "tick")
			h.do(genRequestFrom(rt, fewKeys, fewMembers, true))
		}
		full := h.shards[0]
		behind := NewShard(true)
		touched := map[int]bool{}
		for i := range h.deltas {
			if rapid.IntRange(0, 3).Draw(rt, "miss") == 0 {
				d := &h.deltas[i]
				if d.DBWide {
					touched[Bucket(int(d.DB), "")] = true
				} else {
					touched[Bucket(int(d.DB), d.Key)] = true
				}
				continue
			}
			behind.Apply(&h.deltas[i])
		}
		var horizon hlc.Stamp
		have, want := behind.Digest(horizon), full.Digest(horizon)
		differ := have.Differ(want)
		for _, b := range differ {
			if !touched[b] {
				rt.Fatalf("bucket %d differs but no missed delta touched it (missed: %v)", b, touched)
			}
		}
		if (len(differ) == 0) != (have.Root() == want.Root()) {
			rt.Fatalf("roots %x and %x disagree with leaves differing in %v", have.Root(), want.Root(), differ)
		}
		var buckets [DigestLeaves]bool
		for _, b := range differ {
			buckets[b] = true
		}
		full.EachIn(&buckets, horizon, func(d *Delta) bool {
			behind.Apply(d)
			return true
		})
		if got, exp := dump(behind), dump(full); got != exp {
			rt.Fatalf("after joining the differing buckets:\n%s\n--- want ---\n%s", got, exp)
		}
	})
}

// TestPurgeKeepsWhatIsVisible: purging tombstones leaves every read as it
// was, removes only what was written before the horizon, and a purged
// shard given the same deltas again holds what it held before (so a late
// duplicate of an old delete does no harm).
func TestPurgeRemovesOnlyOldTombstones(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	h.check(`
> SET_ADD (1)s (3){(1)a(1)b(1)c}
< OK:INT 3
> SET_DISCARD (1)s (1){(1)a}
< OK:INT 1
> LIST_PUSH_RIGHT (1)l (2)[(1)x(1)y]
< OK:INT 2
> LIST_POP_LEFT (1)l 1
< OK:LIST (1)[(1)x]
> SET:STR (1)k (1)v
< OK
> DEL (1)k
< OK
`)
	sh := h.shards[0]
	before := dump(sh)
	if n := sh.Purge(hlc.Stamp{Time: uint64(h.wall) << hlc.LogicalBits}); n != 0 {
		t.Fatalf("purged %d tombstones written at the horizon's millisecond", n)
	}
	h.wall += 10
	h.check(`
> SET_DISCARD (1)s (1){(1)b}
< OK:INT 1
`)
	horizon := hlc.Stamp{Time: uint64(h.wall) << hlc.LogicalBits} // after all but the last removal
	if n := sh.Purge(horizon); n != 3 {
		t.Fatalf("purged %d tombstones, want 3 (member a, element x, key k):\n%s", n, dump(sh))
	}
	after := dump(sh)
	if after == before {
		t.Fatal("purge changed nothing")
	}
	h.check(`
> SET_ALL (1)s
< OK:SET (1){(1)c}
> LIST_RANGE (1)l 0 -1
< OK:LIST (1)[(1)y]
> GET (1)k
< NULL
`)
	if sh.Len(0) != 2 {
		t.Fatalf("%d keys stored, want 2 (s and l):\n%s", sh.Len(0), dump(sh))
	}
	// The member b tombstone, written after the horizon, is still there.
	if d, _ := sh.State(0, []byte("s")); len(d.Val.Members) != 2 {
		t.Fatalf("set state %+v, want members b (dead) and c", d.Val.Members)
	}
}

// BenchmarkShardDigest measures what an anti-entropy round costs a node
// per partition: the digest of a shard of 1000 string keys (about what
// each of 1024 partitions holds with 1M keys).
func BenchmarkShardDigest(b *testing.B) {
	sh := NewShard(true)
	for i := 0; i < 1000; i++ {
		s := hlc.Stamp{Time: uint64(1_000_000+i) << hlc.LogicalBits, Actor: 1}
		d := Delta{Key: "key:" + strconv.Itoa(i), Reset: s,
			Val: ValDelta{Kind: proto.TypeStr, TS: s, Reg: s, Str: strings.Repeat("v", 100)}}
		sh.Apply(&d)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if sh.Digest(hlc.Stamp{}).Root() == 0 {
			b.Fatal("empty digest")
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/1000, "ns/key")
}
