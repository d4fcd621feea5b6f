package rpc

import (
	"reflect"
	"testing"
)

// TestSerialMessagesRoundTrip: phases and votes decode to what was
// encoded, and every truncation or extension of them is refused.
func TestSerialMessagesRoundTrip(t *testing.T) {
	ph := Phase{DB: 3, Time: 1 << 40, Actor: 7, Deadline: 1_700_000_000_000, Key: []byte("k"), State: []byte("state")}
	enc := AppendPhase(nil, &ph)
	var got Phase
	if err := DecodePhase(enc, &got); err != nil || !reflect.DeepEqual(got, ph) {
		t.Fatalf("phase: %+v, %v; want %+v", got, err, ph)
	}
	v := Vote{Yes: true, Time: 9, Actor: 2, State: []byte("s")}
	venc := AppendVote(nil, &v)
	var gv Vote
	if err := DecodeVote(venc, &gv); err != nil || !reflect.DeepEqual(gv, v) {
		t.Fatalf("vote: %+v, %v; want %+v", gv, err, v)
	}
	for i := range len(enc) {
		if DecodePhase(enc[:i], &got) == nil {
			t.Errorf("phase cut at %d decoded", i)
		}
	}
	if DecodePhase(append(enc, 0), &got) == nil {
		t.Error("phase with a trailing byte decoded")
	}
	for i := range len(venc) {
		if DecodeVote(venc[:i], &gv) == nil {
			t.Errorf("vote cut at %d decoded", i)
		}
	}
	if DecodeVote(append(venc, 0), &gv) == nil {
		t.Error("vote with a trailing byte decoded")
	}
}
