package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// proc is a process whose CPU time a report shows.
type proc struct {
	name string
	pid  int
}

// cpuSample is every watched process's CPU time at one moment.
type cpuSample struct {
	at  time.Time
	cpu []time.Duration // per proc, in the sampler's order
}

// cpuSampler reads the CPU time of a set of processes every few
// milliseconds while a row is measured, so that the report can give each
// process's CPU per operation over the row's measured window alone (not
// its warm-up, nor the fill before it). The goroutine is the sampler's:
// samples stops and waits for it, and only then reads got.
type cpuSampler struct {
	procs []proc
	got   []cpuSample
	stop  chan struct{}
	done  chan struct{}
}

// startCPUSampler samples procs every period.
func startCPUSampler(procs []proc, period time.Duration) *cpuSampler {
	s := &cpuSampler{procs: procs, stop: make(chan struct{}), done: make(chan struct{})}
	s.sample()
	go func() {
		defer close(s.done)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-s.stop:
				s.sample()
				return
			case <-t.C:
				s.sample()
			}
		}
	}()
	return s
}

func (s *cpuSampler) sample() {
	c := cpuSample{at: time.Now(), cpu: make([]time.Duration, len(s.procs))}
	for i, p := range s.procs {
		c.cpu[i] = pidCPU(p.pid)
	}
	s.got = append(s.got, c)
}

// samples stops the sampler and returns what it read, in time order.
func (s *cpuSampler) samples() []cpuSample {
	close(s.stop)
	<-s.done
	return s.got
}

// cpuPerOp returns each process's CPU per operation, in microseconds,
// over [from, to]: its CPU time at either end, interpolated between the
// samples around it, divided by ops. nil when the samples do not cover
// the window or there were no operations.
func cpuPerOp(samples []cpuSample, from, to time.Time, ops uint64) []float64 {
	if ops == 0 || len(samples) < 2 || from.Before(samples[0].at) || to.After(samples[len(samples)-1].at) || !from.Before(to) {
		return nil
	}
	a, b := cpuAt(samples, from), cpuAt(samples, to)
	out := make([]float64, len(a))
	for i := range a {
		out[i] = float64(b[i]-a[i]) / float64(time.Microsecond) / float64(ops)
	}
	return out
}

// cpuAt interpolates every process's CPU time at t, which the samples
// cover.
func cpuAt(samples []cpuSample, t time.Time) []float64 {
	i := 1
	for i < len(samples)-1 && samples[i].at.Before(t) {
		i++
	}
	x, y := samples[i-1], samples[i]
	f := 0.0
	if span := y.at.Sub(x.at); span > 0 {
		f = float64(t.Sub(x.at)) / float64(span)
	}
	out := make([]float64, len(x.cpu))
	for k := range out {
		out[k] = float64(x.cpu[k]) + f*float64(y.cpu[k]-x.cpu[k])
	}
	return out
}

// measureCPU measures o as measure does and returns, with the result,
// each of procs' CPU per operation in µs over the measured window (nil if
// the samples do not cover it).
func measureCPU(o *options, procs []proc) (*result, []float64, error) {
	s := startCPUSampler(procs, 50*time.Millisecond)
	r, err := measure(o)
	samples := s.samples()
	if err != nil {
		return nil, nil, err
	}
	return r, cpuPerOp(samples, r.from, r.from.Add(r.elapsed), r.ops), nil
}

// procs returns the cluster's members of the kinds given ("routers",
// "nodes"; their pid files, read now), in that order, each kind in number
// order.
func (c *cluster) procs(kinds ...string) []proc {
	var out []proc
	for _, kind := range kinds {
		dirs, _ := filepath.Glob(filepath.Join(c.dir, kind, "*"))
		for n := 1; n <= len(dirs); n++ {
			raw, err := os.ReadFile(filepath.Join(c.dir, kind, strconv.Itoa(n), "pid"))
			if pid, perr := strconv.Atoi(strings.TrimSpace(string(raw))); err == nil && perr == nil {
				out = append(out, proc{name: strings.TrimSuffix(kind, "s") + " " + strconv.Itoa(n), pid: pid})
			}
		}
	}
	return out
}
