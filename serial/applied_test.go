package serial

import (
	"reflect"
	"slices"
	"testing"
)

func id(n byte) ID { return ID{15: n} }

// TestAppliedRecord: a record finds what it lists, keeps at most its
// bound (dropping the oldest and raising Since to what it still covers),
// and round-trips through its encoding, refusing every truncation.
func TestAppliedRecord(t *testing.T) {
	a := Applied{Since: Ballot{Stamp: 5}}
	for i := byte(1); i <= 4; i++ {
		a.Add(Entry{ID: id(i), At: Ballot{Stamp: 10 * uint64(i), Actor: 1}, Reply: []byte{'r', i}, Omitted: i == 3}, 3)
	}
	if len(a.Entries) != 3 || a.Entries[0].ID != id(2) || a.Since != (Ballot{Stamp: 20, Actor: 1}) {
		t.Fatalf("after 4 with room for 3: %+v", a)
	}
	if e, ok := a.Find(id(4)); !ok || string(e.Reply) != "r\x04" || a.Has(id(1)) {
		t.Errorf("find 4: %+v %v; has the dropped 1: %v", e, ok, a.Has(id(1)))
	}
	if a.Covers(Ballot{Stamp: 10, Actor: 1}) || !a.Covers(Ballot{Stamp: 20, Actor: 1}) {
		t.Error("coverage does not start at the oldest entry kept")
	}
	one := Applied{Since: a.Since, Entries: slices.Clone(a.Entries)}
	one.Add(Entry{ID: id(9), At: Ballot{Stamp: 90}}, 0)
	if len(one.Entries) != 1 || one.Entries[0].ID != id(9) || one.Since != (Ballot{Stamp: 90}) {
		t.Errorf("a record keeps its latest entry at least: %+v", one)
	}

	enc := AppendApplied(nil, &a)
	got, err := DecodeApplied(enc)
	if err != nil || !reflect.DeepEqual(got, a) {
		t.Fatalf("round trip: %+v, %v; want %+v", got, err, a)
	}
	for i := range len(enc) {
		if _, err := DecodeApplied(enc[:i]); err == nil {
			t.Errorf("cut at %d decoded", i)
		}
	}
	if _, err := DecodeApplied(append(enc, 0)); err == nil {
		t.Error("a trailing byte decoded")
	}
}

// TestAppliedEncodesInOneAllocation: encoding a record from nil sizes
// its buffer once (a proposer encodes one per Accept; growing it by
// doubling took seven allocations for a full record).
func TestAppliedEncodesInOneAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	var a Applied
	for i := byte(1); i <= 8; i++ {
		a.Add(Entry{ID: id(i), At: Ballot{Stamp: uint64(i), Actor: 7}, Reply: []byte("+OK")}, 8)
	}
	if n := testing.AllocsPerRun(50, func() { AppendApplied(nil, &a) }); n != 1 {
		t.Errorf("%v allocations to encode a record of %d entries; want 1", n, len(a.Entries))
	}
}
