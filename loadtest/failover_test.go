package main

import (
	"strings"
	"testing"
)

// TestFailoverSummary: the usual rate leaves out the first second and
// stops before the fault; the lowest second is sought from the fault on;
// the table states the goal and lists the failures.
func TestFailoverSummary(t *testing.T) {
	r := &failoverResult{at: 3, seconds: []failoverSecond{
		{ok: 10}, {ok: 100}, {ok: 120}, {ok: 40, failedWrites: 2}, {ok: 90}, {ok: 30, failedReads: 1},
	}, errs: map[string]int{"SET: ERROR unavailable: … not confirmed": 2},
		resent: map[string]int64{"answered": 1, "ran": 5, "not_confirmed": 2}}
	if u := r.usual(); u != 110 {
		t.Fatalf("usual %v, want 110 (seconds 1 and 2)", u)
	}
	if s, share := r.lowest(); s != 5 || share != 30.0/110 {
		t.Fatalf("lowest second %d (%v), want 5 (%v)", s, share, 30.0/110)
	}
	if fr, fw := r.failed(); fr != 1 || fw != 2 {
		t.Fatalf("failed reads %d writes %d, want 1 and 2", fr, fw)
	}
	table := failoverTable(r)
	for _, want := range []string{"| 3 (fault) | 40 | 0 | 2 |", "second 5, 0.27 of the usual", "Failed reads 1 (goal 0)", "2× SET: ERROR",
		"sent again after losing their first sending (docs/serial.md, \"Settling a write sent again\"): 8; answered from the key's record 1, run (the record showed no sending had) 5, not confirmed 2"} {
		if !strings.Contains(table, want) {
			t.Errorf("the table lacks %q:\n%s", want, table)
		}
	}
}
