package main

import (
	"strings"
	"testing"
)

// TestRoundsReportEachRatio: a row measured several times reports every
// round's cluster / redis-server ratio in order and their median; rows
// measured once add nothing.
func TestRoundsReportEachRatio(t *testing.T) {
	var b strings.Builder
	writeRounds(&b, []clusterRow{{c: suiteCase{label: "SET c50"}, rounds: 1, ratios: []float64{0.4}}})
	if b.Len() != 0 {
		t.Fatalf("one round wrote %q", b.String())
	}
	writeRounds(&b, []clusterRow{
		{c: suiteCase{label: "SET c50 depth16"}, rounds: 3, ratios: []float64{0.31, 0.27, 0.29}},
		{c: suiteCase{label: "GET c50"}, rounds: 3, ratios: []float64{0.55, 0.52, 0.58}},
	})
	out := b.String()
	for _, want := range []string{"measured 3 times", "| SET c50 depth16 | 0.31, 0.27, 0.29 | 0.29 |", "| GET c50 | 0.55, 0.52, 0.58 | 0.55 |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}
