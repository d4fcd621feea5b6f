package main

import (
	"strings"
	"testing"
	"time"
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

// TestDurableRowsStandBesideSerial: the durable QUORUM SETs are set
// against the SERIAL row of the same label (throughput and p50 ratios),
// rows without a durable twin add nothing, and without durable rows the
// section is left out.
func TestDurableRowsStandBesideSerial(t *testing.T) {
	res := func(ops uint64, lat time.Duration) *result {
		r := &result{ops: ops, elapsed: time.Second}
		for range 100 {
			r.lat.record(lat)
		}
		return r
	}
	s := &serialResult{rows: []serialRow{
		{label: "SET c50", quorum: res(40000, time.Millisecond), serial: res(10000, 4*time.Millisecond)},
		{label: "GET c50", quorum: res(70000, time.Millisecond), serial: res(60000, time.Millisecond)},
	}}
	var b strings.Builder
	writeDurable(&b, s)
	if b.Len() != 0 {
		t.Fatalf("no durable rows wrote %q", b.String())
	}
	s.durable = []durableRow{{label: "SET c50", r: res(20000, 2*time.Millisecond)}}
	writeDurable(&b, s)
	out := b.String()
	if !strings.Contains(out, "| SET c50 | 20000 | 10000 | 0.50 |") || !strings.Contains(out, "| 2.00 |") {
		t.Errorf("the SET row's ratios are missing:\n%s", out)
	}
	if strings.Contains(out, "GET c50") {
		t.Errorf("a row without a durable twin is reported:\n%s", out)
	}
}

// TestLockRowsPerConnections: each lock load is a row of its connections,
// takings and operations (twice the takings) a second.
func TestLockRowsPerConnections(t *testing.T) {
	lr := func(takings int64, lat time.Duration) *lockResult {
		r := &lockResult{takings: takings, acquire: &hist{}, release: &hist{}, fenced: &hist{}}
		for range 100 {
			r.acquire.record(lat)
			r.release.record(lat)
		}
		return r
	}
	s := &serialResult{d: 2 * time.Second, locks: []lockRow{{50, lr(8000, 5*time.Millisecond)}, {100, lr(13000, 6*time.Millisecond)}}}
	var b strings.Builder
	writeLocks(&b, s)
	out := b.String()
	for _, row := range []string{"| 50 | 4000 | 8000 |", "| 100 | 6500 | 13000 |"} {
		if !strings.Contains(out, row) {
			t.Errorf("no row %q in:\n%s", row, out)
		}
	}
}
