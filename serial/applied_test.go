package serial

import (
	"math"
	"reflect"
	"slices"
	"testing"
)

func id(n byte) ID { return ID{15: n} }

// TestAppliedRecord: a record finds what it lists, keeps at most its
// bound (dropping the oldest and raising Since to what it still covers,
// and Complete to when the dropped one was proposed), and round-trips
// through its encoding, refusing every truncation.
func TestAppliedRecord(t *testing.T) {
	a := Applied{Since: Ballot{Stamp: 5}, Complete: 3}
	for i := byte(1); i <= 4; i++ {
		// Proposed out of ballot order: a standing promise's ballot is
		// older than the time its write is proposed at.
		proposed := []uint64{0, 50, 12, 60, 70}[i]
		a.Add(Entry{ID: id(i), At: Ballot{Stamp: 10 * uint64(i), Actor: 1}, Proposed: proposed, Reply: []byte{'r', i}, Omitted: i == 3}, 3)
	}
	if len(a.Entries) != 3 || a.Entries[0].ID != id(2) || a.Since != (Ballot{Stamp: 20, Actor: 1}) || a.Complete != 50 {
		t.Fatalf("after 4 with room for 3: %+v", a)
	}
	if a.CoversFrom(50) || !a.CoversFrom(51) {
		t.Error("coverage by time does not start after the dropped entry's time")
	}
	if e, ok := a.Find(id(4)); !ok || string(e.Reply) != "r\x04" || a.Has(id(1)) {
		t.Errorf("find 4: %+v %v; has the dropped 1: %v", e, ok, a.Has(id(1)))
	}
	if a.Covers(Ballot{Stamp: 10, Actor: 1}) || !a.Covers(Ballot{Stamp: 20, Actor: 1}) {
		t.Error("coverage does not start at the oldest entry kept")
	}
	one := Applied{Since: a.Since, Entries: slices.Clone(a.Entries)}
	one.Add(Entry{ID: id(9), At: Ballot{Stamp: 90}}, 0)
	if len(one.Entries) != 1 || one.Entries[0].ID != id(9) || one.Since != (Ballot{Stamp: 90}) || one.Complete != 70 {
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

// TestAppliedKeepsRecentEntries: beyond its bound, a record keeps the
// entries proposed at the recent time or later, up to most; once more
// than most are that recent, it keeps its bound alone, until its last
// bound entries are slow enough again for most to reach back that far.
func TestAppliedKeepsRecentEntries(t *testing.T) {
	kept := func(a *Applied) []uint64 {
		var got []uint64
		for _, e := range a.Entries {
			got = append(got, e.Proposed)
		}
		return got
	}
	add := func(a *Applied, proposed ...uint64) {
		for _, p := range proposed {
			// Kept from 100 time units before each entry: with room for
			// 4, two entries must span at least 50.
			a.AddKeeping(Entry{ID: id(byte(p)), At: Ballot{Stamp: p}, Proposed: p}, 2, 4, p-100)
		}
	}
	var a Applied
	add(&a, 100, 160, 250, 300, 350, 400)
	if got := kept(&a); !slices.Equal(got, []uint64{300, 350, 400}) || a.Complete != 250 || a.Since != (Ballot{Stamp: 300}) {
		t.Errorf("kept %v, complete %d, since %+v; want [300 350 400], 250, 300", got, a.Complete, a.Since)
	}
	add(&a, 420, 430) // a burst, but four reach back 100
	if got := kept(&a); !slices.Equal(got, []uint64{350, 400, 420, 430}) || a.Complete != 300 {
		t.Errorf("a burst: kept %v, complete %d; want [350 400 420 430], 300", got, a.Complete)
	}
	add(&a, 440) // five in the last 100: four cannot reach back
	if got := kept(&a); !slices.Equal(got, []uint64{430, 440}) || a.Complete != 420 {
		t.Errorf("written faster: kept %v, complete %d; want [430 440], 420", got, a.Complete)
	}
	add(&a, 470) // 440 and 470 span 30: still too fast
	if got := kept(&a); !slices.Equal(got, []uint64{440, 470}) {
		t.Errorf("still fast: kept %v; want [440 470]", got)
	}
	add(&a, 520)
	if got := kept(&a); !slices.Equal(got, []uint64{440, 470, 520}) || a.Complete != 430 {
		t.Errorf("slower again: kept %v, complete %d; want [440 470 520], 430", got, a.Complete)
	}
}

// TestAppliedDecodesTheFormWithoutTimes: a record written before records
// kept times decodes with Complete Unknown, so no resent write is run on
// it.
func TestAppliedDecodesTheFormWithoutTimes(t *testing.T) {
	old := []byte{0, 0, 0, 0, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, 1, 1} // since 7@1, one entry
	four := id(4)
	old = append(old, four[:]...)
	old = append(old, 0, 0, 0, 0, 0, 0, 0, 9, 0, 0, 0, 0, 0, 0, 0, 1, 0, 2, 'o', 'k')
	got, err := DecodeApplied(old)
	want := Applied{Since: Ballot{Stamp: 7, Actor: 1}, Complete: Unknown, Entries: []Entry{{ID: id(4), At: Ballot{Stamp: 9, Actor: 1}, Reply: []byte("ok")}}}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("old form: %+v, %v; want %+v", got, err, want)
	}
	if got.CoversFrom(math.MaxUint64) {
		t.Error("a record without times covers by time")
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

// TestAppliedWithTimesIsNoLonger: keeping each entry's time costs no
// bytes on a record of a key written every 400 ms or so (its stamps kept
// as differences), beyond the record's own 9: each Accept of the key
// carries the record (the first encoding with whole times made SERIAL
// SETs 2–4% slower).
func TestAppliedWithTimesIsNoLonger(t *testing.T) {
	const ms = 1 << 16 // a hybrid-clock stamp's millisecond
	var a Applied
	at := uint64(1_800_000_000_000) * ms
	a.Since = Ballot{Stamp: at, Actor: 3}
	withoutTimes := ballotSize + 1 // since, count
	for i := range 8 {
		at += 400 * ms
		a.Add(Entry{ID: id(byte(i)), At: Ballot{Stamp: at, Actor: 3}, Proposed: at + 3*ms, Reply: []byte("OK:INT 7")}, 8)
		withoutTimes += len(ID{}) + ballotSize + 1 + 1 + len("OK:INT 7")
	}
	if n := len(AppendApplied(nil, &a)); n > withoutTimes+9 {
		t.Errorf("a record of 8 entries with times takes %d bytes; without times it took %d", n, withoutTimes)
	}
}
