package node

import (
	"testing"

	"github.com/vanitydb/vanity/storage/hlc"
)

// TestStandingPromisesAreTakenOnce: a standing promise is handed out once,
// only for the replica sets it was promised by (a partition that began
// to move has two), only while younger than
// standingFor, and the table keeps at most its limit.
func TestStandingPromisesAreTakenOnce(t *testing.T) {
	now := hlc.Stamp{Time: 1_000_000 << hlc.LogicalBits, Actor: 1}
	accs := [][]string{{"a", "b", "c"}}
	st := standing{b: now, state: []byte("s"), sets: accs}
	tab := newStandingPromises(2)
	for _, other := range [][][]string{{{"a", "b", "d"}}, {{"a", "b", "c"}, {"a", "b", "d"}}} {
		tab.put(0, []byte("k"), st)
		if _, ok := tab.take(0, []byte("k"), other, now); ok {
			t.Errorf("taken for other replica sets %v", other)
		}
	}
	tab.put(0, []byte("k"), st)
	if _, ok := tab.take(1, []byte("k"), accs, now); ok {
		t.Error("taken for another database")
	}
	late := hlc.Stamp{Time: now.Time + uint64(standingFor.Milliseconds())<<hlc.LogicalBits}
	if _, ok := tab.take(0, []byte("k"), accs, late); ok {
		t.Error("taken after standingFor")
	}
	tab.put(0, []byte("k"), st)
	if got, ok := tab.take(0, []byte("k"), accs, now); !ok || got.b != now {
		t.Errorf("take: %+v, %v", got, ok)
	}
	if _, ok := tab.take(0, []byte("k"), accs, now); ok {
		t.Error("taken twice")
	}
	for _, k := range []string{"x", "y", "z"} {
		tab.put(0, []byte(k), st)
	}
	if n := len(tab.m); n != 2 {
		t.Errorf("%d kept, limit 2", n)
	}
	off := newStandingPromises(-1)
	off.put(0, []byte("k"), st)
	if _, ok := off.take(0, []byte("k"), accs, now); ok {
		t.Error("kept with standing promises off")
	}
}
