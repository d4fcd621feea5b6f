package node

import (
	"bytes"
	"context"
	"testing"
	"time"
)

func TestPackRoundTrip(t *testing.T) {
	for _, b := range [][]byte{nil, []byte("short"), bytes.Repeat([]byte("delta "), 10000)} {
		p := pack(nil, b)
		if len(b) >= packMin && len(p) >= len(b) {
			t.Errorf("%d bytes packed into %d", len(b), len(p))
		}
		got, err := unpack(p)
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("round trip of %d bytes: %v", len(b), err)
		}
	}
	for _, bad := range [][]byte{nil, {9, 1, 2}, {packZstd, 1, 2, 3}} {
		if _, err := unpack(bad); err == nil {
			t.Errorf("unpack(%v) succeeded", bad)
		}
	}
}

// TestThrottlePaces checks the pacing arithmetic with a rate so low that
// the second reservation must wait, and a cancelled context ends the wait.
func TestThrottlePaces(t *testing.T) {
	th := throttle{rate: 1000} // bytes per second
	if err := th.wait(context.Background(), 1000); err != nil {
		t.Fatal(err) // the first second is free
	}
	if d := time.Until(th.next); d < 900*time.Millisecond {
		t.Fatalf("after 1000 bytes at 1000 B/s the next slot is %v away", d)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := th.wait(ctx, 1); err == nil {
		t.Fatal("a wait past a cancelled context returned nil")
	}
	free := throttle{}
	if err := free.wait(ctx, 1<<30); err != nil {
		t.Fatal("an unlimited throttle waited")
	}
}
