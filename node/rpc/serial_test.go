package rpc

import (
	"reflect"
	"testing"
)

// TestSerialMessagesRoundTrip: phases and votes, alone and in batches,
// decode to what was encoded, and every truncation or extension of them
// is refused.
func TestSerialMessagesRoundTrip(t *testing.T) {
	ph := Phase{Kind: KindAccept, DB: 3, Time: 1 << 40, Actor: 7, Deadline: 1_700_000_000_000, Next: 1<<40 + 1, Key: []byte("k"), State: []byte("state"), Applied: []byte("rec")}
	enc := AppendPhase(nil, &ph)
	var got Phase
	if err := DecodePhase(enc, &got); err != nil || !reflect.DeepEqual(got, ph) {
		t.Fatalf("phase: %+v, %v; want %+v", got, err, ph)
	}
	v := Vote{Yes: true, Time: 9, Actor: 2, State: []byte("s"), Applied: []byte("a")}
	venc := AppendVote(nil, &v)
	var gv Vote
	if err := DecodeVote(venc, &gv); err != nil || !reflect.DeepEqual(gv, v) {
		t.Fatalf("vote: %+v, %v; want %+v", gv, err, v)
	}
	refused(t, "phase", enc, func(b []byte) error { return DecodePhase(b, &got) })
	refused(t, "vote", venc, func(b []byte) error { return DecodeVote(b, &gv) })
	bad := append([]byte(nil), enc...)
	bad[0] = byte(KindRun)
	if DecodePhase(bad, &got) == nil {
		t.Error("a phase of kind KindRun decoded")
	}
	for _, m := range []Phase{
		{Kind: KindPrepare, Time: 5, Next: 6, Key: []byte("k")},
		{Kind: KindAccept, Time: 5, Next: 5, Key: []byte("k")},
		{Kind: KindLearn, Time: 5, Next: 6, Key: []byte("k")},
	} {
		if DecodePhase(AppendPhase(nil, &m), &got) == nil {
			t.Errorf("%+v decoded: only an Accept promises a next ballot, above its own", m)
		}
	}

	phases := []Phase{ph, {Kind: KindLearn, DB: 2, Time: 9, Actor: 3, Key: []byte("l"), State: []byte("s"), Applied: []byte("a")}, {Kind: KindPrepare, DB: 0, Time: 5, Actor: 1, Key: []byte("other"), State: []byte{}, Applied: []byte{}},
		{Kind: KindPeek, Key: []byte("x"), State: []byte{}, Applied: []byte{}}}
	penc := AppendPhases(nil, phases)
	gotPhases, err := DecodePhases(penc, nil)
	if err != nil || !reflect.DeepEqual(gotPhases, phases) {
		t.Fatalf("phases: %+v, %v; want %+v", gotPhases, err, phases)
	}
	votes := []Vote{v, {Time: 3, Actor: 4, State: []byte{}, Applied: []byte{}}}
	vsenc := AppendVotes(nil, votes)
	gotVotes, err := DecodeVotes(vsenc, nil)
	if err != nil || !reflect.DeepEqual(gotVotes, votes) {
		t.Fatalf("votes: %+v, %v; want %+v", gotVotes, err, votes)
	}
	refused(t, "phases", penc, func(b []byte) error { _, err := DecodePhases(b, nil); return err })
	refused(t, "votes", vsenc, func(b []byte) error { _, err := DecodeVotes(b, nil); return err })
	if _, err := DecodeVotes([]byte{0xff, 0xff, 0xff, 0xff, 0x0f}, nil); err == nil {
		t.Error("a count larger than the payload decoded")
	}
}

// refused checks that decode refuses every prefix of enc and enc with a
// byte more.
func refused(t *testing.T, what string, enc []byte, decode func([]byte) error) {
	t.Helper()
	for i := range len(enc) {
		if decode(enc[:i]) == nil {
			t.Errorf("%s cut at %d decoded", what, i)
		}
	}
	if decode(append(enc[:len(enc):len(enc)], 0)) == nil {
		t.Errorf("%s with a trailing byte decoded", what)
	}
}
