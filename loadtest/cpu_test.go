package main

import (
	"os"
	"testing"
	"time"
)

// TestCPUPerOpInterpolates: each process's CPU per operation over a window
// between samples is read off the straight lines through the samples
// around its ends; a window the samples do not cover gives nothing.
func TestCPUPerOpInterpolates(t *testing.T) {
	t0 := time.Unix(1000, 0)
	ms := time.Millisecond
	samples := []cpuSample{
		{at: t0, cpu: []time.Duration{0, 100 * ms}},
		{at: t0.Add(100 * ms), cpu: []time.Duration{10 * ms, 100 * ms}},
		{at: t0.Add(200 * ms), cpu: []time.Duration{30 * ms, 300 * ms}},
	}
	got := cpuPerOp(samples, t0.Add(50*ms), t0.Add(150*ms), 10)
	// process 0: 5 ms at 50, 20 ms at 150; process 1: 100 ms, then 200 ms.
	want := []float64{1500, 10000}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if d := got[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	for _, c := range []struct {
		name     string
		from, to time.Time
		ops      uint64
	}{
		{"starts before the samples", t0.Add(-ms), t0.Add(100 * ms), 10},
		{"ends after them", t0.Add(50 * ms), t0.Add(201 * ms), 10},
		{"no operations", t0.Add(50 * ms), t0.Add(150 * ms), 0},
		{"empty", t0.Add(50 * ms), t0.Add(50 * ms), 10},
	} {
		if got := cpuPerOp(samples, c.from, c.to, c.ops); got != nil {
			t.Errorf("%s: %v, want nothing", c.name, got)
		}
	}
}

var spun int

// TestCPUSamplerReadsProcesses: the sampler reads this process's CPU time
// from /proc as it burns some.
func TestCPUSamplerReadsProcesses(t *testing.T) {
	s := startCPUSampler([]proc{{name: "client", pid: os.Getpid()}}, 5*time.Millisecond)
	start := pidCPU(os.Getpid())
	for deadline := time.Now().Add(10 * time.Second); pidCPU(os.Getpid())-start < 50*time.Millisecond; {
		if time.Now().After(deadline) {
			s.samples()
			t.Fatal("the process's CPU time did not grow by 50 ms in 10 s of spinning")
		}
		for i := range 1_000_000 {
			spun ^= i
		}
	}
	got := s.samples()
	first, last := got[0], got[len(got)-1]
	per := cpuPerOp(got, first.at, last.at, 1)
	if len(got) < 3 || per == nil || per[0] < 40000 {
		t.Fatalf("%d samples, CPU per op %v µs: want at least 40,000 from 50 ms spun", len(got), per)
	}
}
