package main

import (
	"slices"
	"testing"
	"time"
)

// TestMedianRound checks the round a suite row reports: the middle one by
// throughput (by p99 for an open loop), with the throughput's range.
func TestMedianRound(t *testing.T) {
	round := func(ops uint64, p99 time.Duration) *result {
		r := &result{ops: ops, elapsed: time.Second}
		r.lat.record(p99)
		return r
	}
	a, b, c := round(300, time.Millisecond), round(100, 3*time.Millisecond), round(200, 2*time.Millisecond)
	got, lo, hi := median([]*result{a, b, c}, false)
	if got != c || lo != 100 || hi != 300 {
		t.Fatalf("closed loop: got %d ops/s in [%v, %v], want 200 in [100, 300]", got.ops, lo, hi)
	}
	a, b, c = round(100, 5*time.Millisecond), round(100, time.Millisecond), round(100, 3*time.Millisecond)
	if got, _, _ := median([]*result{a, b, c}, true); got != c {
		t.Fatalf("open loop: got the round with p99 %v, want 3ms", got.lat.quantile(0.99))
	}
}

func TestPairRatios(t *testing.T) {
	round := func(ops uint64) *result { return &result{ops: ops, elapsed: time.Second} }
	got := pairRatios([]*result{round(300), round(100), round(90)}, []*result{round(150), round(100), round(60)})
	if want := []float64{2, 1, 1.5}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestSplitReply checks the event-loop client's reply framing for both
// protocols: complete replies are found whole, incomplete ones wait, and
// errors are told apart.
func TestSplitReply(t *testing.T) {
	for _, tc := range []struct {
		p    protocol
		in   string
		size int
		bad  bool
	}{
		{vanityProto{}, "\x00\x00\x00\x02OKrest", 6, false},
		{vanityProto{}, "\x00\x00\x00\x05ERROR", 9, true},
		{vanityProto{}, "\x00\x00\x00\x05ERR", 0, false},
		{vanityProto{}, "\x00\x00", 0, false},
		{redisProto{}, "+OK\r\n:1\r\n", 5, false},
		{redisProto{}, "-ERR x\r\n", 8, true},
		{redisProto{}, "$5\r\nhello\r\n+OK\r\n", 11, false},
		{redisProto{}, "$5\r\nhel", 0, false},
		{redisProto{}, "$-1\r\n", 5, false},
		{redisProto{}, "*2\r\n$1\r\na\r\n:3\r\n", 15, false},
		{redisProto{}, "*2\r\n$1\r\na\r\n", 0, false},
		{redisProto{}, "+OK", 0, false},
	} {
		size, bad := tc.p.splitReply([]byte(tc.in))
		if size != tc.size || bad != tc.bad {
			t.Errorf("%s %q: got (%d, %v), want (%d, %v)", tc.p.name(), tc.in, size, bad, tc.size, tc.bad)
		}
	}
}
