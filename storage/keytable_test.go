package storage

import (
	"fmt"
	"testing"

	"pgregory.net/rapid"

	"github.com/vanitydb/vanity/storage/hlc"
)

// TestKeyTableFollowsAMap runs random puts, deletes, clears and walks on a
// keyTable and on a Go map side by side: every lookup, the count, and
// every walk (which stores entries again and deletes keys as it goes, as
// resetDB and Purge do) must agree. Keys come from a small set, so that
// runs of colliding slots, deleted marks and their reuse, growth and
// rebuilds over marks all happen.
func TestKeyTableFollowsAMap(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		var tb keyTable
		m := map[string]entry{}
		keys := rapid.SampledFrom(func() []string {
			ks := make([]string, 40)
			for i := range ks {
				ks[i] = fmt.Sprintf("k%d", i)
			}
			return append(ks, "") // the empty key is a key too
		}())
		n := uint64(0)
		next := func() entry { n++; return entry{reset: hlc.Stamp{Time: n}} }
		check := func(step string) {
			if tb.len() != len(m) {
				rt.Fatalf("%s: the table holds %d keys, the map %d", step, tb.len(), len(m))
			}
			for i := range 41 {
				k := keys.Draw(rt, fmt.Sprint("probe", i))
				got, ok := tb.getString(k)
				want, had := m[k]
				if ok != had || got != want {
					rt.Fatalf("%s: %q reads %v %v, the map %v %v", step, k, got.reset, ok, want.reset, had)
				}
				if gotb, okb := tb.get([]byte(k)); okb != ok || gotb != got {
					rt.Fatalf("%s: %q read as bytes differs from as a string", step, k)
				}
			}
		}
		for i := range rapid.IntRange(1, 300).Draw(rt, "steps") {
			switch op := rapid.IntRange(0, 9).Draw(rt, "op"); {
			case op < 5:
				k, e := keys.Draw(rt, "key"), next()
				tb.put(k, e)
				m[k] = e
			case op < 8:
				k := keys.Draw(rt, "key")
				tb.del(k)
				delete(m, k)
			case op == 8:
				// A walk that stores again every third key and deletes
				// every other: each key is seen once, with its entry.
				seen, before := map[string]bool{}, len(m)
				j := 0
				for k, e := range tb.all() {
					if seen[k] {
						rt.Fatalf("step %d: the walk yields %q twice", i, k)
					}
					seen[k] = true
					if e != m[k] {
						rt.Fatalf("step %d: the walk yields %q with %v, the map holds %v", i, k, e.reset, m[k].reset)
					}
					switch j++; j % 3 {
					case 0:
						e = next()
						tb.put(k, e)
						m[k] = e
					case 1:
						tb.del(k)
						delete(m, k)
					}
				}
				if j != before {
					rt.Fatalf("step %d: the walk yielded %d keys, the map held %d before it", i, j, before)
				}
			default:
				if rapid.Bool().Draw(rt, "release") {
					tb.release()
				} else {
					tb.clear()
				}
				clear(m)
			}
			check(fmt.Sprint("step ", i))
		}
		if tb.used < tb.live || len(tb.slots) > 0 && tb.used*8 > len(tb.slots)*7 {
			rt.Fatalf("%d slots used of %d for %d keys", tb.used, len(tb.slots), tb.live)
		}
	})
}

// TestKeyTableGrowsByDoubling: filled one key at a time, a table is always
// the least power of two (of at least 8 slots) that holds its keys at most
// 7/8 full. A growth that went further (a table sized for 7/16 full once
// quadrupled at some sizes) costs memory and the collector's time.
func TestKeyTableGrowsByDoubling(t *testing.T) {
	var tb keyTable
	for n := 1; n <= 5000; n++ {
		tb.put(fmt.Sprintf("key:%d", n), entry{})
		want := 8
		for n*8 > want*7 {
			want *= 2
		}
		if len(tb.slots) != want {
			t.Fatalf("%d keys in %d slots, want %d", n, len(tb.slots), want)
		}
	}
}
