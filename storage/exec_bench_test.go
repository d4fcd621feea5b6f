package storage

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// BenchmarkExecManyKeys runs SET, GET and INCR_INT over more keys than
// the caches hold, spread over shards as a node's partitions spread them (100,000
// keys, 1,024 shards, random order: what the load generator sends), in
// runs of 16 commands as a loop's turn brings them, so what it measures
// is mostly the memory a command touches (b.N counts runs of 16).
func BenchmarkExecManyKeys(b *testing.B) {
	const keys, shards, run = 100_000, 1024, 16
	sh := make([]*Shard, shards)
	for i := range sh {
		sh[i] = NewShard(false)
	}
	locate := func(key []byte) *Shard { return sh[xxhash.Sum64(key)%shards] }
	var wall int64 = 1_700_000_000_000
	clock := hlc.NewClock(1, func() int64 { return wall })
	c := &Ctx{Locate: locate}
	value := fmt.Sprintf("(100)%0100d", 7)
	sets := make([]proto.Request, keys)
	gets := make([]proto.Request, keys)
	incrs := make([]proto.Request, keys)
	for i := range keys {
		k := fmt.Sprintf("key:%012d", i)
		if err := proto.ParseRequest(fmt.Appendf(nil, "SET:STR (%d)%s %s", len(k), k, value), &sets[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
		if err := proto.ParseRequest(fmt.Appendf(nil, "GET (%d)%s", len(k), k), &gets[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
		k = fmt.Sprintf("counter:%012d", i)
		if err := proto.ParseRequest(fmt.Appendf(nil, "INCR_INT (%d)%s 1", len(k), k), &incrs[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
	}
	exec := func(req *proto.Request, dst []byte) []byte {
		c.T = clock.Now()
		c.Deltas = c.Deltas[:0]
		c.Borrowed.Reset()
		return Exec(c, req, dst[:0])
	}
	var dst []byte
	for i := range sets {
		dst = exec(&sets[i], dst)
		dst = exec(&incrs[i], dst)
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(keys)
	var batch [run]*proto.Request
	for _, bm := range []struct {
		name string
		reqs []proto.Request
	}{{"SET", sets}, {"GET", gets}, {"INCR", incrs}} {
		b.Run(bm.name, func(b *testing.B) {
			next := 0
			for b.Loop() {
				for j := range batch {
					batch[j] = &bm.reqs[order[next]]
					if next++; next == keys {
						next = 0
					}
				}
				for _, req := range batch {
					dst = exec(req, dst)
				}
			}
		})
	}
}

// BenchmarkSetPop pops one member of a set of 100,000 and adds it back
// (SPOP and SADD of redis-benchmark's set tests), on a shard that keeps
// tombstones as a cluster's do: a pop costs what picking a member costs,
// which must not grow with the set.
func BenchmarkSetPop(b *testing.B) {
	h := newHarness(b, 1, true, 1)
	fillLarge(b, h, "SET_ADD", "s", 100_000)
	var add proto.Request
	var pop proto.Request
	if err := proto.ParseRequest([]byte("SET_REMOVE (1)s 1"), &pop); err != proto.ErrNone {
		b.Fatal(err)
	}
	for b.Loop() {
		out := h.exec(&pop)
		r, err := proto.ParseReply(out)
		if err != nil || len(r.Value.Strs) != 1 {
			b.Fatalf("SET_REMOVE answered %q", out)
		}
		text := fmt.Appendf(nil, "SET_ADD (1)s (1){(%d)%s}", len(r.Value.Strs[0]), r.Value.Strs[0])
		if err := proto.ParseRequest(text, &add); err != proto.ErrNone {
			b.Fatal(err)
		}
		h.exec(&add)
	}
}

// BenchmarkDigestOfALargeKey compares what a digest read hashes for a
// set of 100,000 members and a list of 100,000 elements: the whole state
// (AppendState, what digest reads hashed before) against its digest form
// (AppendStateDigest).
func BenchmarkDigestOfALargeKey(b *testing.B) {
	h := newHarness(b, 1, true, 1)
	fillLarge(b, h, "SET_ADD", "set", 100_000)
	fillLarge(b, h, "LIST_PUSH_RIGHT", "list", 100_000)
	sh := h.shards[0]
	var buf []byte
	for _, key := range []string{"set", "list"} {
		b.Run(key+"/state", func(b *testing.B) {
			for b.Loop() {
				buf, _ = sh.AppendState(buf[:0], 0, []byte(key))
				_ = xxhash.Sum64(buf)
			}
		})
		b.Run(key+"/digest", func(b *testing.B) {
			for b.Loop() {
				buf, _ = sh.AppendStateDigest(buf[:0], 0, []byte(key))
				_ = xxhash.Sum64(buf)
			}
		})
	}
}

// BenchmarkListReplacedWhole applies to a list of n elements its own
// state restamped at a later reset, as an acceptor takes a serial write's
// accepted state of a queue key: every element goes and comes back under
// new ids.
func BenchmarkListReplacedWhole(b *testing.B) {
	for _, n := range []int{1_000, 10_000} {
		b.Run(fmt.Sprint(n), func(b *testing.B) {
			h := newHarness(b, 1, true, 1)
			var req proto.Request
			text := fmt.Appendf(nil, "LIST_PUSH_RIGHT (1)q (%d)[(1)v", n)
			for range n - 1 {
				text = append(text, " (1)v"...)
			}
			if err := proto.ParseRequest(append(text, ']'), &req); err != proto.ErrNone {
				b.Fatal(err)
			}
			h.exec(&req)
			sh := h.shards[0]
			for b.Loop() {
				t := h.clock.Now()
				e, _ := sh.lookup(0, []byte("q"))
				d := Delta{Key: "q", Reset: t, Val: wholeValue(e.visible(), t)}
				sh.Apply(&d)
			}
			if x := sh.visibleOf(0, "q").(*listVal); x.elems.n != n {
				b.Fatalf("%d elements after, want %d", x.elems.n, n)
			}
		})
	}
}

// fillLarge runs cmd, SET_ADD or LIST_PUSH_RIGHT, on key until it holds n
// members or elements (member:000000, …), a thousand to a request.
func fillLarge(b testing.TB, h *harness, cmd, key string, n int) {
	open, sep, end := "{", "", "}"
	if cmd == "LIST_PUSH_RIGHT" {
		open, sep, end = "[", " ", "]"
	}
	var req proto.Request
	for i := 0; i < n; i += 1000 {
		text := fmt.Appendf(nil, "%s (%d)%s (%d)%s", cmd, len(key), key, min(1000, n-i), open)
		for j := i; j < min(i+1000, n); j++ {
			if j > i {
				text = append(text, sep...)
			}
			m := fmt.Sprintf("member:%06d", j)
			text = fmt.Appendf(text, "(%d)%s", len(m), m)
		}
		if err := proto.ParseRequest(append(text, end...), &req); err != proto.ErrNone {
			b.Fatal(err)
		}
		h.exec(&req)
	}
}

// BenchmarkKeyMemory reports the heap a string key takes in a shard (a key
// of 16 bytes and a value of 100, as the load generator writes), counted
// over 100,000 keys after a collection.
func BenchmarkKeyMemory(b *testing.B) {
	const keys = 100_000
	value := fmt.Sprintf("(100)%0100d", 7)
	reqs := make([]proto.Request, keys)
	for i := range keys {
		k := fmt.Sprintf("key:%012d", i)
		if err := proto.ParseRequest(fmt.Appendf(nil, "SET:STR (%d)%s %s", len(k), k, value), &reqs[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
	}
	var perKey float64
	for b.Loop() {
		clock := hlc.NewClock(1, func() int64 { return 1_700_000_000_000 })
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		sh := NewShard(true)
		c := &Ctx{Locate: func([]byte) *Shard { return sh }}
		var dst []byte
		for i := range reqs {
			c.T = clock.Now()
			c.Deltas = c.Deltas[:0]
			c.Borrowed.Reset()
			dst = Exec(c, &reqs[i], dst[:0])
		}
		c.Deltas, dst = nil, nil
		runtime.GC()
		runtime.ReadMemStats(&after)
		perKey = float64(after.HeapAlloc-before.HeapAlloc) / keys
		runtime.KeepAlive(sh)
	}
	b.ReportMetric(perKey, "B/key")
}

// BenchmarkEachLargeSet walks a shard holding a set of 100,000 members
// and encodes its state, as a snapshot's capture does: with the members
// by name (Each) and in the map's order (EachUnsorted).
func BenchmarkEachLargeSet(b *testing.B) {
	h := newHarness(b, 1, true, 1)
	fillLarge(b, h, "SET_ADD", "set", 100_000)
	sh := h.shards[0]
	var buf []byte
	for name, each := range map[string]func(func(*Delta) bool){"sorted": sh.Each, "unsorted": sh.EachUnsorted} {
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				each(func(d *Delta) bool {
					buf = AppendDelta(buf[:0], d)
					return true
				})
			}
		})
	}
}

// BenchmarkEachLargeList walks a shard holding a list of 1,000,000
// elements and encodes its state into one buffer, as a snapshot's capture
// does: the list as one delta (whole, as before statePart) and in
// parts.
func BenchmarkEachLargeList(b *testing.B) {
	h := newHarness(b, 1, true, 1)
	fillLarge(b, h, "LIST_PUSH_RIGHT", "list", 1_000_000)
	sh := h.shards[0]
	var one, all []byte
	for name, part := range map[string]int{"whole": 1 << 40, "parts": statePart} {
		b.Run(name, func(b *testing.B) {
			defer func(old int) { statePart = old }(statePart)
			statePart = part
			for b.Loop() {
				all = all[:0]
				sh.EachUnsorted(func(d *Delta) bool {
					one = AppendDelta(one[:0], d)
					all = append(all, one...)
					return true
				})
			}
		})
	}
}

// BenchmarkSetScanPage measures one page of SET_SCAN over a set of
// 100,000 members (COUNT 10: a page is a sixteenth of the set), and the
// SET_ALL of the same set beside it: a page costs time in the set's size.
func BenchmarkSetScanPage(b *testing.B) {
	h := newHarness(b, 1, true, 1)
	fillLarge(b, h, "SET_ADD", "s", 100_000)
	for name, text := range map[string]string{"scan": "SET_SCAN (1)s 0 (0) 10", "all": "SET_ALL (1)s"} {
		var req proto.Request
		if err := proto.ParseRequest([]byte(text), &req); err != proto.ErrNone {
			b.Fatal(err)
		}
		b.Run(name, func(b *testing.B) {
			for b.Loop() {
				h.exec(&req)
			}
		})
	}
}

// BenchmarkMemberWrites adds one member of 1,000 to a set, and writes one
// field of 1,000 of a hash, through one Ctx reused from command to
// command as a node's is: redis-benchmark's SADD and HSET with -r 1000,
// where every member is there already after the first thousand.
func BenchmarkMemberWrites(b *testing.B) {
	const members = 1000
	sh := NewShard(false)
	c := &Ctx{Locate: func([]byte) *Shard { return sh }}
	var wall int64 = 1_700_000_000_000
	clock := hlc.NewClock(1, func() int64 { return wall })
	adds := make([]proto.Request, members)
	hsets := make([]proto.Request, members)
	value := fmt.Sprintf("(100)%0100d", 7)
	for i := range members {
		m := fmt.Sprintf("element:%012d", i)
		if err := proto.ParseRequest(fmt.Appendf(nil, "SET_ADD (5)myset (1){(%d)%s}", len(m), m), &adds[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
		if err := proto.ParseRequest(fmt.Appendf(nil, "HASH_UPDATE (6)myhash (1){(%d)%s%s}", len(m), m, value), &hsets[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
	}
	var dst []byte
	exec := func(req *proto.Request) {
		c.T = clock.Now()
		c.Deltas = c.Deltas[:0]
		c.Borrowed.Reset()
		dst = Exec(c, req, dst[:0])
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(members)
	for _, bm := range []struct {
		name string
		reqs []proto.Request
	}{{"SADD", adds}, {"HSET", hsets}} {
		for i := range bm.reqs {
			exec(&bm.reqs[i])
		}
		b.Run(bm.name, func(b *testing.B) {
			next := 0
			for b.Loop() {
				exec(&bm.reqs[order[next]])
				if next++; next == members {
					next = 0
				}
			}
		})
	}
}
