package storage

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
	"pgregory.net/rapid"
)

// normalize makes empty and nil slices compare equal and forgets which
// cell holds a string and whether the key and members are lent.
func normalize(d Delta) Delta {
	d.lentKey = false
	vals := append([]ValDelta{d.Val}, d.More...)
	for i := range vals {
		v := &vals[i]
		v.cell = nil // where the string lives, not what it is
		v.lent = false
		if len(v.Absorbed) == 0 {
			v.Absorbed = nil
		}
		if len(v.Slots) == 0 {
			v.Slots = nil
		}
		if len(v.Members) == 0 {
			v.Members = nil
		}
		if len(v.Elems) == 0 {
			v.Elems = nil
		}
		if len(v.Tombs) == 0 {
			v.Tombs = nil
		}
	}
	d.Val = vals[0]
	d.More = nil
	if len(vals) > 1 {
		d.More = vals[1:]
	}
	return d
}

// sameDelta reports whether two deltas are equal field by field. NaN is a
// value a float counter can legitimately hold (INCR_FLOAT of inf and -inf),
// and reflect.DeepEqual never finds NaN equal to itself, so where DeepEqual
// disagrees the deltas are compared by their printed fields (which show NaN,
// -0 and every float digit) and by their encodings.
func sameDelta(a, b Delta) bool {
	a, b = normalize(a), normalize(b)
	if reflect.DeepEqual(a, b) {
		return true
	}
	return fmt.Sprintf("%+v", a) == fmt.Sprintf("%+v", b) &&
		bytes.Equal(AppendDelta(nil, &a), AppendDelta(nil, &b))
}

// roundTrip encodes d with full and with compact stamps and checks that
// each decodes to d.
func roundTrip(t tb, d Delta) Delta {
	var got Delta
	for _, compact := range []bool{false, true} {
		var err error
		got, err = DecodeDelta(appendDelta(nil, &d, compact))
		if err != nil {
			t.Fatalf("decode of %+v (compact %v): %v", d, compact, err)
		}
		if !sameDelta(got, d) {
			t.Fatalf("round trip (compact %v) changed the delta:\n got %+v\nwant %+v", compact, got, d)
		}
	}
	return got
}

// TestCodecRoundTrip encodes and decodes every delta and whole state that
// random command sequences produce.
func TestCodecRoundTrip(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		h := newHarness(rt, 2, rapid.Bool().Draw(rt, "keep"), 3)
		for s := rapid.IntRange(1, 60).Draw(rt, "steps"); s > 0; s-- {
			h.wall += rapid.Int64Range(0, 10).Draw(rt, "tick")
			h.deltas = nil
			h.do(genRequest(rt))
			for _, d := range h.deltas {
				roundTrip(rt, d)
			}
		}
		for _, sh := range h.shards {
			sh.Each(func(d *Delta) bool {
				roundTrip(rt, *d)
				return true
			})
		}
	})
}

func TestCodecExamples(t *testing.T) {
	s := hlc.Stamp{Time: 1 << 40, Actor: 7}
	for _, d := range []Delta{
		{DB: 3, DBWide: true, Reset: s},
		{DB: 0, Key: "k", Reset: s, Val: ValDelta{Kind: proto.TypeStr, TS: s, Reg: s, Str: "\x00v"}},
		{DB: 15, Key: "", Exp: Expiry{S: s, At: -1}},
		{Key: "x", Val: ValDelta{Kind: proto.TypeFloat, TS: s, Float: math.Copysign(0, -1)}},
		// inf + -inf: a float counter may hold NaN (PROTOCOL D13)
		{Key: "n", Val: ValDelta{Kind: proto.TypeFloat, TS: s, Reg: s, Float: math.NaN(),
			Slots: []Slot{{Actor: 2, Birth: s, Last: s, Float: math.Inf(-1)}}}},
	} {
		roundTrip(t, d)
	}
}

// TestDecodeDeltaIntoOverwrites: decoding into a delta that held another
// (a replica reuses its slice of deltas) leaves nothing of the old one.
func TestDecodeDeltaIntoOverwrites(t *testing.T) {
	s := hlc.Stamp{Time: 1 << 40, Actor: 7}
	rich := Delta{DB: 2, Key: "rich", Reset: s, Exp: Expiry{S: s, At: 99},
		Val:  ValDelta{Kind: proto.TypeHash, TS: s, Members: []Member{{Name: "f", S: s, Value: "v"}}},
		More: []ValDelta{{Kind: proto.TypeStr, TS: s, Reg: s, Str: "old"}}}
	plain := Delta{Key: "k", Val: ValDelta{Kind: proto.TypeInt, TS: s, Slots: []Slot{{Actor: 1, Birth: s, Last: s, Int: 5}}}}
	var d Delta
	for _, want := range []Delta{rich, plain, rich} {
		if err := DecodeDeltaInto(AppendDelta(nil, &want), &d, nil); err != nil {
			t.Fatal(err)
		}
		if !sameDelta(d, want) {
			t.Fatalf("decoded into a used delta:\n got %+v\nwant %+v", d, want)
		}
	}
	if err := DecodeDeltaInto([]byte{0xff}, &d, nil); err == nil || !sameDelta(d, Delta{}) {
		t.Fatalf("a malformed delta decoded into %+v (err %v), want the zero delta and an error", d, err)
	}
}

func TestDecodeDeltaRejects(t *testing.T) {
	good := AppendDelta(nil, &Delta{Key: "k", Val: ValDelta{Kind: proto.TypeSet, TS: hlc.Stamp{Time: 5}, Members: []Member{{Name: "m"}}}})
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-1],
		"trailing":  append(append([]byte{}, good...), 0),
		"bad db":    {0, NumDBs, 0},
		"bad flags": {0x80, 0, 0},
		"bad kind":  {0, 0, 1, 99, 0, 0, 0, 0},
		"huge count": {flagKey, 0, 1, 'k', 1, byte(proto.TypeSet), fieldMembers, 0, 0, 0,
			0xff, 0xff, 0xff, 0xff, 0x0f},
		// compact stamps: an unknown tag, a stamp no later than the one
		// before it, a tag cut short
		"bad stamp tag":   {flagCompact | flagReset, 0, 3},
		"stamp not later": {flagCompact | flagReset, 0, stampLater, 0},
		"short stamp":     {flagCompact | flagReset, 0, stampFull, 5},
		"bad slot flags": {flagCompact, 0, 1, byte(proto.TypeInt), fieldSlots, 0, stampSame, 1,
			4, stampSame, stampSame, 0},
	} {
		if _, err := DecodeDelta(b); !errors.Is(err, ErrCorrupt) {
			t.Errorf("%s: got %v, want ErrCorrupt", name, err)
		}
	}
}

// TestCompactStamps: compact stamps shrink a write's delta, and a delta
// written before they existed (full stamps, no compact flag) still
// decodes, so logs and snapshots of older versions stay readable.
func TestCompactStamps(t *testing.T) {
	st := hlc.Stamp{Time: 1764950000000<<hlc.LogicalBits | 3, Actor: 0x9e3779b97f4a7c15}
	set := Delta{Key: "key:000000012345", Reset: st, Val: ValDelta{Kind: proto.TypeStr, TS: st, Reg: st, Str: "xxx"}}
	full, compact := appendDelta(nil, &set, false), appendDelta(nil, &set, true)
	if len(compact) > len(full)*6/10 {
		t.Errorf("a SET's delta takes %d bytes compact, %d in full: want at most 60%%", len(compact), len(full))
	}
	// An INCR's: the slots its result absorbs and the one it grows, of
	// the same actor as its stamps, with no float.
	later := hlc.Stamp{Time: st.Time + 5, Actor: st.Actor}
	incr := Delta{Key: "counter:00001234", Val: ValDelta{Kind: proto.TypeInt, TS: later, Reg: st, Int: 0,
		Absorbed: []Slot{{Actor: st.Actor, Birth: st, Last: st, Int: 4}},
		Slots:    []Slot{{Actor: st.Actor, Birth: st, Last: later, Int: 5}}}}
	if f, c := len(appendDelta(nil, &incr, false)), len(appendDelta(nil, &incr, true)); c > f/2 {
		t.Errorf("an INCR's delta takes %d bytes compact, %d in full: want at most half", c, f)
	}
	roundTrip(t, incr)
	// A float counter's slots of other actors keep their actor and float.
	roundTrip(t, Delta{Key: "f", Val: ValDelta{Kind: proto.TypeFloat, TS: st, Reg: st, Float: 0.5,
		Slots: []Slot{{Actor: 3, Birth: st, Last: later, Float: -2.25}, {Actor: st.Actor, Birth: later, Last: later, Float: math.Copysign(0, -1)}}}})
	// Written by the encoder before compact stamps, byte for byte.
	const stamp = "8380808cfce6bbcd01" + "95f8a9fa97b7de9b9e01"                        // time, actor
	const before = "0600" + "10" + "6b65793a303030303030303132333435" + stamp + "01" + // flags, db, key, reset, one value
		"010300" + stamp + stamp + "03787878" // STR, fields reg and str, ts, reg, "xxx"
	if got := fmt.Sprintf("%x", full); got != before {
		t.Fatalf("full stamps encode as\n%s, want\n%s", got, before)
	}
	for name, b := range map[string][]byte{"full": full, "compact": compact} {
		if d, err := DecodeDelta(b); err != nil || !sameDelta(d, set) {
			t.Errorf("%s: decoded %+v (%v), want %+v", name, d, err, set)
		}
	}
	// Stamps of other actors, and earlier ones, are written in full.
	other := hlc.Stamp{Time: st.Time - 1, Actor: 5}
	mixed := Delta{Key: "s", Val: ValDelta{Kind: proto.TypeSet, TS: st, Members: []Member{
		{Name: "a", S: st}, {Name: "b", S: other}, {Name: "c", S: hlc.Stamp{Time: st.Time + 9, Actor: 5}}, {Name: "d", S: st}}}}
	roundTrip(t, mixed)
}

// TestDigestsIgnoreCompactStamps: digests hash full stamps whatever a
// process writes, so replicas compare equal across the switch (and
// versions).
func TestDigestsIgnoreCompactStamps(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for _, r := range []string{"SET:STR (1)k (1)v", "INCR_INT (1)i 5", "SET_ADD (1)s (2){(1)a(1)b}",
		"HASH_SET (1)h (1){(1)f(1)v}", "LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]", "SET_EXPIRY (1)k 10000"} {
		h.do(r)
	}
	sh := h.shards[0]
	digests := func() (string, *Digest) {
		var keys []string
		for _, k := range []string{"k", "i", "s", "h", "l"} {
			b, ok := sh.AppendStateDigest(nil, 0, []byte(k))
			if !ok {
				t.Fatalf("%s: no state", k)
			}
			keys = append(keys, fmt.Sprintf("%x", b))
		}
		return strings.Join(keys, ","), sh.Digest(hlc.Stamp{})
	}
	was := CompactStamps()
	defer SetCompactStamps(was)
	SetCompactStamps(false)
	keysFull, dgFull := digests()
	SetCompactStamps(true)
	keysCompact, dgCompact := digests()
	if keysFull != keysCompact || *dgFull != *dgCompact {
		t.Fatal("a digest changed with compact stamps")
	}
	if b, _ := sh.AppendState(nil, 0, []byte("k")); b[0]&flagCompact == 0 {
		t.Fatal("AppendState wrote full stamps with compact stamps on")
	}
}

// FuzzDecodeDelta checks that no input panics the decoder or makes it
// allocate beyond its input, and that accepted input re-encodes stably.
func FuzzDecodeDelta(f *testing.F) {
	h := newHarness(f, 1, true, 1)
	for _, r := range []string{
		"SET:STR (1)k (1)v", "INCR_INT (1)i 5", "INCR_FLOAT (1)f 1.5", "SET_ADD (1)s (2){(1)a(1)b}",
		"HASH_SET (1)h (1){(1)f(1)v}", "LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]", "LIST_POP_LEFT (1)l 1",
		"SET_EXPIRY (1)k 10", "DEL (1)k",
	} {
		h.deltas = nil
		h.do(r)
		for _, d := range h.deltas {
			f.Add(appendDelta(nil, &d, false))
			f.Add(appendDelta(nil, &d, true))
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := DecodeDelta(b)
		if err != nil {
			return
		}
		again := AppendDelta(nil, &d)
		d2, err := DecodeDelta(again)
		if err != nil {
			t.Fatalf("re-encoded delta does not decode: %v", err)
		}
		// Compare encodings rather than values: NaN floats are unequal to
		// themselves under reflect.DeepEqual.
		if !bytes.Equal(again, AppendDelta(nil, &d2)) {
			t.Fatal("encode(decode(encode(d))) != encode(d)")
		}
		NewShard(true).Apply(&d) // any decoded delta must be safe to apply
	})
}

// TestDecodedStringIsKeptWithoutACopy: a decoded STR register is read
// into the cell the register keeps, so joining it into a shard stores
// those bytes as they are (one allocation per replicated value, not a
// string and then the register's copy of it), and the encoding is the
// same either way.
func TestDecodedStringIsKeptWithoutACopy(t *testing.T) {
	st := hlc.Stamp{Time: 9, Actor: 2}
	d := Delta{Key: "k", Val: ValDelta{Kind: proto.TypeStr, TS: st, Reg: st, Str: strings.Repeat("v", 100)}}
	enc := AppendDelta(nil, &d)
	got, err := DecodeDelta(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(AppendDelta(nil, &got), enc) {
		t.Fatal("the decoded delta encodes differently")
	}
	sh := NewShard(false)
	sh.Apply(&got)
	v, ok := sh.entryOf(0, "k").val.(strVal)
	if !ok || v.str() != d.Val.Str {
		t.Fatalf("stored %#v, want the string", sh.entryOf(0, "k").val)
	}
	if unsafe.StringData(v.str()) != unsafe.StringData(got.Val.Str) {
		t.Error("the register copied the decoded value instead of keeping its cell")
	}
	// A register older than the delta's stamp is another register: copied.
	got.Val.Reg = hlc.Stamp{Time: 10, Actor: 2}
	got.Val.TS = got.Val.Reg
	sh.Apply(&got)
	if v := sh.entryOf(0, "k").val.(strVal); v.stamp() != got.Val.Reg || unsafe.StringData(v.str()) == unsafe.StringData(got.Val.Str) {
		t.Errorf("a delta restamped after decoding: stored at %v sharing its cell", v.stamp())
	}
}

// TestPlainStateEncodesAsState: the encoding of a string's, integer's or
// float's state built on the stack (appendPlainState, what AppendState
// and a digest read answer) is the generic state's, byte for byte, for
// live, expiring, deleted and conflicting keys alike: replicas of
// different versions compare these bytes.
func TestPlainStateEncodesAsState(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for _, cmd := range []string{
		"SET:STR (1)s (5)hello", "INCR_INT (1)i 7", "INCR_FLOAT (1)f 2.5",
		"SET:STR (1)e (1)x", "SET_EXPIRY (1)e 100",
		"SET:STR (1)d (1)x", "DEL (1)d",
		"SET:INT (1)n 3", "INCR_INT (1)n 4",
	} {
		h.do(cmd)
	}
	other := newHarness(t, 1, true, 2) // a concurrent write of another type: a type conflict
	other.do("INCR_INT (1)s 1")
	for _, d := range other.deltas {
		h.shards[0].Apply(&d)
	}
	sh := h.shards[0]
	plain := 0
	for key, e := range sh.dbs[0].all() {
		d := sh.state(0, key, &e)
		want := AppendDelta(nil, &d)
		got, ok := sh.AppendState(nil, 0, []byte(key))
		if !ok || string(got) != string(want) {
			t.Errorf("%s: AppendState %x, the state's encoding %x", key, got, want)
		}
		if out, ok := sh.appendPlainState(nil, 0, key, &e, compactStamps.Load()); ok {
			plain++
			if string(out) != string(want) {
				t.Errorf("%s: appendPlainState %x, the state's encoding %x", key, out, want)
			}
		}
	}
	if plain < 5 {
		t.Fatalf("%d keys encoded on the stack, want the string, counters, expiring and deleted keys", plain)
	}
}
