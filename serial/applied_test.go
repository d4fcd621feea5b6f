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
// entries proposed at the recent time or later, up to most, once its
// last bound entries were slow enough for half of most to reach back
// that far; when more than most are that recent, it keeps its bound
// alone, and does not start keeping again while it is written that fast.
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
			// Kept from 100 time units before each entry, up to 8: it
			// starts keeping when its last two span at least 50.
			a.AddKeeping(Entry{ID: id(byte(p)), At: Ballot{Stamp: p}, Proposed: p}, 2, 8, p-100)
		}
	}
	var a Applied
	add(&a, 100, 150, 200, 250)
	if got := kept(&a); !slices.Equal(got, []uint64{150, 200, 250}) || a.Complete != 100 || a.Since != (Ballot{Stamp: 150}) {
		t.Errorf("kept %v, complete %d, since %+v; want [150 200 250], 100, 150", got, a.Complete, a.Since)
	}
	add(&a, 260, 270, 280, 290, 300, 305, 310)
	if got := kept(&a); !slices.Equal(got, []uint64{250, 260, 270, 280, 290, 300, 305, 310}) || a.Complete != 200 {
		t.Errorf("faster: kept %v, complete %d; want the eight of the last 100, 200", got, a.Complete)
	}
	add(&a, 312) // nine in the last 100: eight cannot reach back
	if got := kept(&a); !slices.Equal(got, []uint64{310, 312}) || a.Complete != 305 {
		t.Errorf("too fast: kept %v, complete %d; want [310 312], 305", got, a.Complete)
	}
	add(&a, 314, 330) // still fast: the last two span less than 50
	if got := kept(&a); !slices.Equal(got, []uint64{314, 330}) || a.Complete != 312 {
		t.Errorf("still fast: kept %v, complete %d; want [314 330], 312", got, a.Complete)
	}
	add(&a, 400)
	if got := kept(&a); !slices.Equal(got, []uint64{314, 330, 400}) {
		t.Errorf("slower again: kept %v; want [314 330 400]", got)
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
