package main

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSignTest checks the two-sided sign test against values worked by
// hand: six wins of six happen by chance once in 32, five of six in 14 of
// 64 splits at least that uneven, three of six always.
func TestSignTest(t *testing.T) {
	for _, c := range []struct {
		k, n int
		want float64
	}{
		{6, 6, 2.0 / 64}, {0, 6, 2.0 / 64}, {5, 6, 14.0 / 64}, {1, 6, 14.0 / 64},
		{3, 6, 1}, {9, 10, 22.0 / 1024}, {1, 1, 1}, {0, 0, 1},
	} {
		if got := signTest(c.k, c.n); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("signTest(%d, %d) = %v, want %v", c.k, c.n, got, c.want)
		}
	}
}

// TestSummarize: the median of an even count is the mean of the middle
// two, a ratio of 1 is neither a win nor a loss (and leaves the sign
// test), and a pair without a ratio (NaN: no CPU samples; infinite or
// zero: a side that measured nothing) counts not at all.
func TestSummarize(t *testing.T) {
	s := summarize([]float64{1.1, 0.9, 1.2, math.NaN(), 1.0})
	near := func(a, b float64) bool { return math.Abs(a-b) < 1e-12 }
	if s.n != 4 || !near(s.median, 1.05) || s.lo != 0.9 || s.hi != 1.2 || s.wins != 2 || s.losses != 1 {
		t.Fatalf("got %+v, want 4 pairs, median 1.05, 0.9 to 1.2, 2 wins, 1 loss", s)
	}
	if want := math.Pow(0.9*1.0*1.1*1.2, 0.25); !near(s.geomean, want) {
		t.Fatalf("geometric mean %v, want %v", s.geomean, want)
	}
	if want := signTest(2, 3); s.p != want {
		t.Fatalf("p %v, want the sign test of 2 wins in 3 untied pairs, %v", s.p, want)
	}
	if s := summarize([]float64{math.NaN(), math.Inf(1), 0}); s.n != 0 || s.p != 1 {
		t.Fatalf("no ratio: got %+v, want nothing counted and p 1", s)
	}
}

// TestABOrderAlternates: A runs first in the first pair, B in the
// second, and so on, so that a machine growing slower over the run does
// not favour either.
func TestABOrderAlternates(t *testing.T) {
	for i, want := range [][2]int{{0, 1}, {1, 0}, {0, 1}, {1, 0}} {
		if got := abOrder(i); got != want {
			t.Fatalf("pair %d: order %v, want %v", i, got, want)
		}
	}
}

// TestABSideRunsItsBuildWithItsEnvironment starts a real vanity as a
// side of a comparison: the process gets the side's environment, and a
// run measures throughput and the server's CPU per operation.
func TestABSideRunsItsBuildWithItsEnvironment(t *testing.T) {
	dir := t.TempDir()
	if out, err := exec.Command("go", "build", "-o", dir+"/", "../cmd/vanity").CombinedOutput(); err != nil {
		t.Fatalf("build: %v\n%s", err, out)
	}
	p, err := startVanityWith(filepath.Join(dir, "vanity"), []string{"VANITY_AB_TEST=side-b"})
	if err != nil {
		t.Fatal(err)
	}
	environ, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", p.cmd.Process.Pid))
	p.stop()
	if err != nil {
		t.Skip("no /proc to read a process's environment from")
	}
	if !strings.Contains(string(environ), "VANITY_AB_TEST=side-b\x00") {
		t.Fatal("the server did not get the side's environment")
	}
	side := abSide{name: "B", bin: dir, env: []string{"VANITY_AB_TEST=side-b"}}
	var o options
	o.target, o.workload, o.conns, o.depth, o.keys, o.value = "vanity", "set", 4, 1, 1000, 16
	o.warmup, o.duration, o.client = 100*time.Millisecond, 500*time.Millisecond, "loop"
	run, err := side.measure(&o, 0, 1)
	if err != nil {
		t.Fatal(err)
	}
	if run.ops <= 0 || run.p50 <= 0 || math.IsNaN(run.cpu) || run.cpu <= 0 {
		t.Fatalf("got %+v, want throughput, a p50 and the server's CPU per operation", run)
	}
	// The side's levels reach its clients: levels the server does not
	// know make the run fail.
	side.levels = "NOSUCH NOSUCH"
	if _, err := side.measure(&o, 0, 1); err == nil {
		t.Fatal("a side with unknown consistency levels measured without an error")
	}
}

// TestABReportComparesP50: each pair's p50 latencies are set against each
// other as its throughputs are.
func TestABReportComparesP50(t *testing.T) {
	row := abRow{workload: "set"}
	for _, p := range [][2]float64{{200, 390}, {210, 430}, {190, 400}} {
		row.runs[0] = append(row.runs[0], abRun{ops: 1000, p50: p[0], cpu: 10})
		row.runs[1] = append(row.runs[1], abRun{ops: 500, p50: p[1], cpu: 20})
	}
	var o options
	sides := [2]abSide{{name: "A", levels: "QUORUM QUORUM"}, {name: "B", levels: "SERIAL SERIAL"}}
	r := abReport("x", &o, sides, 3, 3, []abRow{row})
	if want := "p50 B/A median 2.048 (1.950–2.105)"; !strings.Contains(r.summary, want) {
		t.Errorf("summary %q lacks %q", r.summary, want)
	}
	if !strings.Contains(r.full, "levels QUORUM QUORUM") || !strings.Contains(r.full, "levels SERIAL SERIAL") {
		t.Errorf("report does not name each side's levels:\n%s", r.full)
	}
}
