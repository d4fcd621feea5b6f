package storage

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
	"pgregory.net/rapid"
)

// A small key and member space makes concurrent writes collide often.
var (
	fewKeys    = rapid.SampledFrom([]string{"a", "b"})
	fewMembers = rapid.SampledFrom([]string{"x", "y", ""})
)

// message is a delta in flight to one replica.
type message struct {
	to int
	d  Delta
}

// TestConvergence runs random commands on several replicas of the same
// shards and exchanges their deltas in random order, duplicated and
// delayed, with occasional whole-state exchanges (anti-entropy). Once every
// delta has arrived, all replicas must hold identical states and answer
// every read identically.
func TestConvergence(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		const nShards = 3
		n := rapid.IntRange(2, 4).Draw(rt, "replicas")
		reps := make([]*harness, n)
		for i := range reps {
			reps[i] = newHarness(rt, nShards, true, uint64(i+1))
			reps[i].wall += rapid.Int64Range(-50, 50).Draw(rt, "skew")
		}
		var net []message
		send := func(from int, ds []Delta) {
			for _, d := range ds {
				d = roundTrip(rt, d) // deltas travel encoded
				for to := range reps {
					if to != from {
						net = append(net, message{to, d})
					}
				}
			}
		}
		deliver := func(k int, keep bool) {
			m := net[k]
			if !keep {
				net = append(net[:k], net[k+1:]...)
			}
			r := reps[m.to]
			r.clock.Observe(m.d.MaxStamp())
			r.locate([]byte(m.d.Key)).applyAnywhere(&m.d, r.shards)
		}
		// rapid's integers lean small, which would deliver mostly in order;
		// delivery order is drawn from a seeded generator instead.
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "seed"), 7))
		steps := rapid.IntRange(100, 500).Draw(rt, "steps")
		for s := 0; s < steps; s++ {
			for _, r := range reps {
				r.wall += rapid.Int64Range(0, 20).Draw(rt, "tick")
			}
			switch rapid.IntRange(0, 9).Draw(rt, "action") {
			case 0, 1: // deliver a random message, sometimes keeping a duplicate
				if len(net) > 0 {
					deliver(rng.IntN(len(net)), rng.IntN(4) == 0)
				}
			case 2: // anti-entropy: join every state of one replica into another
				a := rapid.IntRange(0, n-1).Draw(rt, "from")
				b := rapid.IntRange(0, n-1).Draw(rt, "to")
				for i, sh := range reps[a].shards {
					sh.Each(func(d *Delta) bool {
						reps[b].clock.Observe(d.MaxStamp())
						reps[b].shards[i].Apply(d)
						return true
					})
				}
			case 3: // an expiry sweep on one replica, replicated like any write
				i := rapid.IntRange(0, n-1).Draw(rt, "sweeper")
				var ds []Delta
				for _, sh := range reps[i].shards {
					for db := 0; db < 2; db++ {
						ds = sh.Expired(db, reps[i].wall, 100, ds)
					}
				}
				for k := range ds {
					reps[i].locate([]byte(ds[k].Key)).Apply(&ds[k])
				}
				send(i, ds)
			case 4:
				i := rapid.IntRange(0, n-1).Draw(rt, "replica")
				special := rapid.IntRange(0, 5).Draw(rt, "special")
				switch {
				case special == 0:
					reps[i].deltas = nil
					reps[i].do("RESET")
					send(i, reps[i].deltas)
				default:
					reps[i].do("SWITCH_DB " + strconv.Itoa(rapid.IntRange(0, 1).Draw(rt, "db")))
				}
			default:
				i := rapid.IntRange(0, n-1).Draw(rt, "replica")
				reps[i].deltas = nil
				reps[i].do(genRequestFrom(rt, fewKeys, fewMembers, true))
				send(i, reps[i].deltas)
			}
		}
		for len(net) > 0 {
			deliver(rng.IntN(len(net)), rng.IntN(8) == 0)
		}
		want := dumpAll(reps[0])
		for i, r := range reps[1:] {
			if got := dumpAll(r); got != want {
				rt.Fatalf("replica %d diverged from replica 0:\n%s\n--- vs ---\n%s", i+1, got, want)
			}
		}
		// Their digest reads agree, each collection's sum of its parts'
		// hashes is what counting them gives, and so is each database's
		// count of keys.
		for _, r := range reps {
			for _, sh := range r.shards {
				recountSums(rt, sh)
				recountLive(rt, sh, r.wall)
			}
		}
		for db := 0; db < 2; db++ {
			for _, k := range allKeys {
				want, _ := reps[0].locate([]byte(k)).AppendStateDigest(nil, db, []byte(k))
				for i, r := range reps[1:] {
					if got, _ := r.locate([]byte(k)).AppendStateDigest(nil, db, []byte(k)); string(got) != string(want) {
						rt.Fatalf("db %d key %s: replica %d's state digest %x, replica 0's %x", db, k, i+1, got, want)
					}
				}
			}
		}
		wall := reps[0].wall
		for _, r := range reps {
			wall = max(wall, r.wall)
		}
		// Their digests agree, and purging one replica's tombstones written
		// before the horizon changes neither its digest at that horizon nor
		// any read below.
		// (rapid's integers lean small: draw where the horizon falls
		// between the first write and after the last.)
		first := int64(1_000_000 - 50)
		hw := first + (wall+1-first)*int64(rapid.IntRange(0, 8).Draw(rt, "horizon"))/8
		horizon := hlc.Stamp{Time: uint64(hw) << hlc.LogicalBits}
		for i := 0; i < nShards; i++ {
			want := reps[0].shards[i].Digest(horizon)
			for j, r := range reps[1:] {
				if got := r.shards[i].Digest(horizon); *got != *want {
					rt.Fatalf("shard %d: replica %d's digest differs from replica 0's in buckets %v", i, j+1, got.Differ(want))
				}
			}
			reps[0].shards[i].Purge(horizon)
			if got := reps[0].shards[i].Digest(horizon); *got != *want {
				rt.Fatalf("shard %d: purging changed the digest in buckets %v:\n%s", i, got.Differ(want), dump(reps[0].shards[i]))
			}
		}
		// Every replica answers every read the same way at the same time.
		for db := 0; db < 2; db++ {
			for _, k := range allKeys {
				var first string
				for i, r := range reps {
					r.wall = wall
					r.do("SWITCH_DB " + strconv.Itoa(db))
					got := canonical(rt, r.do("GET "+enc(k))) + " " + r.do("GET_EXPIRY "+enc(k))
					if i == 0 {
						first = got
					} else if got != first {
						rt.Fatalf("db %d key %s: replica %d reads %q, replica 0 %q", db, k, i, got, first)
					}
				}
			}
		}
	})
}

// applyAnywhere applies a database-wide delta to every shard and a key
// delta to the receiver.
func (s *Shard) applyAnywhere(d *Delta, all []*Shard) {
	if d.DBWide {
		// Database resets are per shard in a real deployment; the harness
		// replicates the one made for each shard to the same shard index.
		for _, sh := range all {
			sh.Apply(d)
		}
		return
	}
	s.Apply(d)
}

// dumpAll renders every shard of a replica canonically.
func dumpAll(h *harness) string {
	var b strings.Builder
	for i, sh := range h.shards {
		fmt.Fprintf(&b, "shard %d\n%s", i, dump(sh))
	}
	return b.String()
}

func dump(sh *Shard) string {
	var lines []string
	sh.Each(func(d *Delta) bool {
		vals := append([]ValDelta{d.Val}, d.More...)
		sort.Slice(vals, func(i, j int) bool { return vals[i].Kind < vals[j].Kind })
		var parts []string
		for _, v := range vals {
			if v.Kind == proto.TypeNone {
				continue
			}
			parts = append(parts, fmt.Sprintf("%v ts=%v reg=%v str=%q int=%d float=%x abs=%v slots=%v members=%v elems=%v tombs=%v",
				v.Kind, v.TS, v.Reg, v.Str, v.Int, math.Float64bits(v.Float), v.Absorbed, v.Slots, v.Members, v.Elems, v.Tombs))
		}
		lines = append(lines, fmt.Sprintf("db=%d all=%v key=%q reset=%v exp=%v %s", d.DB, d.DBWide, d.Key, d.Reset, d.Exp, strings.Join(parts, " | ")))
		return true
	})
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n"
}

// TestListRemovalAndConcurrentSetConverge: one replica removes a list
// element while another overwrites it with a later stamp (LIST_SET). Every
// order of the three deltas leaves the same state, the type stamp included:
// the tombstone carries the later value's stamp whichever came first.
func TestListRemovalAndConcurrentSetConverge(t *testing.T) {
	at := func(ms uint64, actor uint64) hlc.Stamp {
		return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: actor}
	}
	id := ElemID{Pos: 0, S: at(10, 1)}
	list := func(v ValDelta) Delta { v.Kind = proto.TypeList; return Delta{Key: "l", Val: v} }
	push := list(ValDelta{TS: at(10, 1), Elems: []Elem{{ID: id, VS: at(10, 1), Value: "a"}}})
	remove := list(ValDelta{TS: at(20, 1), Tombs: []Tomb{{ID: id, S: at(20, 1)}}})
	set := list(ValDelta{TS: at(30, 2), Elems: []Elem{{ID: id, VS: at(30, 2), Value: "b"}}})
	orders := [][]Delta{
		{push, remove, set}, {push, set, remove}, {set, push, remove},
		{remove, push, set}, {remove, set, push}, {set, remove, push},
	}
	var want string
	for i, order := range orders {
		s := NewShard(true)
		for _, d := range order {
			s.Apply(&d)
		}
		got := dump(s)
		if i == 0 {
			want = got
			continue
		}
		if got != want {
			t.Fatalf("order %d left\n%s\norder 0 left\n%s", i, got, want)
		}
	}
}
