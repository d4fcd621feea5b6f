package storage

import (
	"fmt"
	"maps"
	"slices"
	"testing"

	"pgregory.net/rapid"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// checkNames fails unless x.names holds each live member of x.m exactly
// once, at the place its state records.
func checkNames(t *rapid.T, x *memberMap) {
	t.Helper()
	live := 0
	for name, st := range x.m.all() {
		if _, dead := x.dead[name]; dead {
			t.Fatalf("member %q both live and removed", name)
		}
		live++
		if int(st.at) >= x.names.len() || x.names.at(int(st.at)) != name {
			t.Fatalf("live member %q at %d, names %q", name, st.at, x.names.all())
		}
	}
	if live != x.names.len() {
		t.Fatalf("%d live members, names %q", live, x.names.all())
	}
	for k, c := range x.names.chunks { // all full but the last, which holds some
		if k < len(x.names.chunks)-1 && len(c) != 1<<nameBits || len(c) == 0 {
			t.Fatalf("chunk %d of %d holds %d names", k, len(x.names.chunks), len(c))
		}
	}
	var sum uint64
	for name, st := range x.m.all() {
		sum += memberSum(name, st)
	}
	for name, s := range x.dead {
		sum += deadSum(name, s)
	}
	if sum != x.sum {
		t.Fatalf("sum %x kept, %x counted", x.sum, sum)
	}
}

// TestMemberNamesFollowTheMap joins random deltas (adds, removals with
// and without tombstones, stale ones), prunes and purges, and checks after
// each that the list of live members random picks draw from matches the
// map, and that a pick returns distinct live members.
func TestMemberNamesFollowTheMap(t *testing.T) {
	defer func(b int) { nameBits = b }(nameBits)
	nameBits = 1 // chunks of two names: eight members make four
	names := []string{"a", "b", "c", "d", "e", "f", "g", "h"}
	rapid.Check(t, func(t *rapid.T) {
		keep := rapid.Bool().Draw(t, "keep")
		x := &memberMap{k: proto.TypeSet}
		want := map[string]bool{} // the live members
		stamps := map[string]hlc.Stamp{}
		clock := uint64(10)
		for range rapid.IntRange(1, 60).Draw(t, "steps") {
			switch op := rapid.IntRange(0, 9).Draw(t, "op"); {
			case op < 8: // a delta of a few members
				var d ValDelta
				for range rapid.IntRange(1, 4).Draw(t, "members") {
					name := rapid.SampledFrom(names).Draw(t, "name")
					clock++
					s := hlc.Stamp{Time: clock - uint64(rapid.IntRange(0, 3).Draw(t, "age")), Actor: 1}
					dead := rapid.Bool().Draw(t, "dead")
					d.Members = append(d.Members, Member{Name: name, S: s, Dead: dead})
					if cur, ok := stamps[name]; !ok || cur.Less(s) {
						stamps[name] = s
						want[name] = !dead
						if dead && !keep {
							delete(stamps, name) // no tombstone
						}
					}
				}
				x.join(&d, hlc.Stamp{}, keep)
			case op == 8: // a reset: members older than r go
				r := hlc.Stamp{Time: clock - uint64(rapid.IntRange(0, 6).Draw(t, "back")), Actor: 1}
				if !x.prune(r) { // older than r altogether: the key drops it
					x = &memberMap{k: proto.TypeSet}
				}
				for name, s := range stamps {
					if s.Less(r) {
						delete(stamps, name)
						want[name] = false
					}
				}
			default: // tombstones past their grace go
				x.purge(hlc.Stamp{Time: clock + 1})
				for name := range stamps {
					if !want[name] {
						delete(stamps, name)
					}
				}
			}
			checkNames(t, x)
			var live []string
			for name, ok := range want {
				if ok {
					live = append(live, name)
				}
			}
			slices.Sort(live)
			got := slices.Sorted(slices.Values(x.names.all()))
			if !slices.Equal(got, live) {
				t.Fatalf("live members %q, want %q", got, live)
			}
			k := rapid.IntRange(1, len(names)).Draw(t, "pick")
			picked := x.pick(k, func(n int) int { return rapid.IntRange(0, n-1).Draw(t, "rand") })
			seen := map[string]bool{}
			for _, p := range picked {
				if !want[p] || seen[p] {
					t.Fatalf("pick %d of %q gave %q", k, live, picked)
				}
				seen[p] = true
			}
			if len(picked) != min(k, len(live)) {
				t.Fatalf("pick %d of %d gave %d", k, len(live), len(picked))
			}
		}
	})
}

// TestPickIsUniform draws 2 of 5 members many times: each of the ten
// pairs should come up about a tenth of the time.
func TestPickIsUniform(t *testing.T) {
	x := &memberMap{k: proto.TypeSet}
	d := ValDelta{}
	for i := range 5 {
		d.Members = append(d.Members, Member{Name: fmt.Sprint(i), S: hlc.Stamp{Time: 1}})
	}
	x.join(&d, hlc.Stamp{}, false)
	h := newHarness(t, 1, false, 1)
	counts := map[string]int{}
	const draws = 50_000
	for range draws {
		p := x.pick(2, func(n int) int { return h.rng.IntN(n) })
		slices.Sort(p)
		counts[fmt.Sprint(p)]++
	}
	if len(counts) != 10 {
		t.Fatalf("pairs drawn: %v", slices.Collect(maps.Keys(counts)))
	}
	for pair, n := range counts {
		if n < draws/10*9/10 || n > draws/10*11/10 {
			t.Errorf("pair %s drawn %d times in %d, want about %d", pair, n, draws, draws/10)
		}
	}
}

// recountLive fails unless sh's count of the keys a reader sees in each
// database (Live) is what a walk of its keys gives, now and once every
// deadline has passed.
func recountLive(t interface{ Fatalf(string, ...any) }, sh *Shard, now int64) {
	for db := range sh.dbs {
		for _, at := range []int64{now, 1 << 62} {
			want := 0
			for k, e := range sh.dbs[db].all() {
				if sh.live(db, []byte(k), &e, at) {
					want++
				}
			}
			if got := sh.Live(db, at); got != want {
				t.Fatalf("db %d at %d: Live counts %d keys, a walk %d", db, at, got, want)
			}
		}
	}
}

// recountSums fails unless every set, hash and list in sh carries the
// sum of its parts' hashes (partsum.go) that a count from scratch gives.
func recountSums(t interface{ Fatalf(string, ...any) }, sh *Shard) {
	for db := range sh.dbs {
		for key, e := range sh.dbs[db].all() {
			vals := []value{e.val}
			if m, ok := e.val.(*multi); ok {
				vals = m.vals
			}
			for _, v := range vals {
				var want, got uint64
				switch x := v.(type) {
				case *memberMap:
					for name, st := range x.m.all() {
						want += memberSum(name, st)
					}
					for name, s := range x.dead {
						want += deadSum(name, s)
					}
					got = x.sum
				case *listVal:
					x.elems.each(0, x.elems.n-1, func(_ int, e elemView) bool {
						want += elemSum(e)
						return true
					})
					x.tombs.each(func(id ElemID, s hlc.Stamp) { want += tombSum(id, s) })
					got = x.sum
				default:
					continue
				}
				if got != want {
					t.Fatalf("db %d key %q: a %T keeps the sum %x, its parts sum to %x", db, key, v, got, want)
				}
			}
		}
	}
}
