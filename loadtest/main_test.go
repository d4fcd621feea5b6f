package main

import (
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
