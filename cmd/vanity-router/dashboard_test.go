package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// The dashboard's picture (docs/dashboard.svg) is drawn from data a real
// cluster produced: with -record-dashboard, TestMetricsThroughAKill scrapes
// every process twice a second, holds each phase longer, evaluates the
// queries of ops/grafana/vanity.json over what it scraped (the few PromQL
// forms the dashboard uses), and writes the series to
// ops/grafana/sample.json, from which ops/dashboard_test.go draws.
var recordDashboard = flag.Bool("record-dashboard", false, "record ops/grafana/sample.json while TestMetricsThroughAKill runs")

// scrape is every process's metric families at one moment.
type scrape struct {
	at   time.Time
	fams map[string]map[string]*dto.MetricFamily // by process, by family
}

// recorder scrapes the processes until stopped.
type recorder struct {
	mu      sync.Mutex
	scrapes []scrape
	events  []event
	start   time.Time
	stop    chan struct{}
	done    chan struct{}
}

// event is a moment the picture marks.
type event struct {
	At    float64 `json:"at"` // seconds since the first scrape
	Label string  `json:"label"`
}

// mark records that something happened now.
func (r *recorder) mark(label string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, event{At: time.Since(r.start).Seconds(), Label: label})
}

func startRecorder(t *testing.T, procs map[string]string) *recorder {
	r := &recorder{stop: make(chan struct{}), done: make(chan struct{}), start: time.Now()}
	go func() {
		defer close(r.done)
		tick := time.NewTicker(500 * time.Millisecond) // the picture's resolution
		defer tick.Stop()
		for {
			s := scrape{at: time.Now(), fams: map[string]map[string]*dto.MetricFamily{}}
			for name, addr := range procs {
				if f := scrapeMetrics(t, addr); f != nil {
					s.fams[name] = f
				}
			}
			r.mu.Lock()
			r.scrapes = append(r.scrapes, s)
			r.mu.Unlock()
			select {
			case <-r.stop:
				return
			case <-tick.C:
			}
		}
	}()
	return r
}

// finish stops the recorder and writes the dashboard's series.
func (r *recorder) finish(t *testing.T) {
	close(r.stop)
	<-r.done
	dash, err := os.ReadFile(filepath.Join(repoRoot(), "ops", "grafana", "vanity.json"))
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string         `json:"title"`
			GridPos map[string]int `json:"gridPos"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		t.Fatal(err)
	}
	type series struct {
		Name   string    `json:"name"`
		Points []float64 `json:"points"` // NaN as null: no value then
	}
	type panel struct {
		Title   string         `json:"title"`
		GridPos map[string]int `json:"gridPos"`
		Expr    string         `json:"expr"`
		Series  []series       `json:"series"`
	}
	out := struct {
		Seconds float64 `json:"seconds"`
		Events  []event `json:"events"`
		Panels  []panel `json:"panels"`
	}{Seconds: r.scrapes[len(r.scrapes)-1].at.Sub(r.scrapes[0].at).Seconds(), Events: r.events}
	for _, p := range d.Panels {
		pp := panel{Title: p.Title, GridPos: p.GridPos, Series: []series{}}
		for _, tg := range p.Targets {
			pp.Expr = tg.Expr
			vals, err := r.eval(tg.Expr)
			if err != nil {
				t.Fatalf("%s: %v", p.Title, err)
			}
			names := make([]string, 0, len(vals))
			for n := range vals {
				names = append(names, n)
			}
			sort.Strings(names)
			for _, n := range names {
				// A series that never rose above zero (a command nobody
				// sent) is left out, as Grafana's legend would hide it.
				if slices.ContainsFunc(vals[n], func(v float64) bool { return v > 0 }) {
					pp.Series = append(pp.Series, series{Name: n, Points: vals[n]})
				}
			}
		}
		out.Panels = append(out.Panels, pp)
	}
	// JSON has no NaN: a missing point is written as -1 (every plotted
	// quantity is non-negative).
	for i := range out.Panels {
		for j := range out.Panels[i].Series {
			for k, v := range out.Panels[i].Series[j].Points {
				if math.IsNaN(v) {
					out.Panels[i].Series[j].Points[k] = -1
				} else {
					out.Panels[i].Series[j].Points[k] = math.Round(v*1e4) / 1e4
				}
			}
		}
	}
	b, err := json.MarshalIndent(out, "", " ")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(repoRoot(), "ops", "grafana", "sample.json"), append(b, '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
}

// sample is one series' value at one scrape, with its labels (the
// process as "instance").
type sample struct {
	labels map[string]string
	value  float64
}

// samples returns the series of a metric (histogram buckets as
// name_bucket with "le") at scrape i.
func (r *recorder) samples(i int, name string) []sample {
	var out []sample
	base, bucket := strings.CutSuffix(name, "_bucket")
	for proc, fams := range r.scrapes[i].fams {
		f := fams[base]
		if f == nil {
			continue
		}
		for _, m := range f.GetMetric() {
			labels := map[string]string{"instance": proc}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			switch {
			case bucket && m.Histogram != nil:
				for _, b := range m.Histogram.GetBucket() {
					lb := maps(labels)
					lb["le"] = strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)
					out = append(out, sample{lb, float64(b.GetCumulativeCount())})
				}
				lb := maps(labels)
				lb["le"] = "+Inf"
				out = append(out, sample{lb, float64(m.Histogram.GetSampleCount())})
			case m.Counter != nil:
				out = append(out, sample{labels, m.Counter.GetValue()})
			case m.Gauge != nil:
				out = append(out, sample{labels, m.Gauge.GetValue()})
			case m.Untyped != nil:
				out = append(out, sample{labels, m.Untyped.GetValue()})
			}
		}
	}
	return out
}

func maps(m map[string]string) map[string]string {
	c := make(map[string]string, len(m)+1)
	for k, v := range m {
		c[k] = v
	}
	return c
}

// key is a series' identity: its labels, sorted.
func key(labels map[string]string, only []string) string {
	var parts []string
	for k, v := range labels {
		if only == nil || slices.Contains(only, k) {
			parts = append(parts, k+"="+v)
		}
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// rates returns, at scrape i, the per-second increase of each series of
// name over the window (or as much of it as was recorded); a counter that
// went down (a process restarted) counts from zero.
func (r *recorder) rates(i int, name string, window time.Duration) map[string]sample {
	j := i
	for j > 0 && r.scrapes[i].at.Sub(r.scrapes[j-1].at) <= window {
		j--
	}
	out := map[string]sample{}
	if j == i {
		return out
	}
	then := map[string]float64{}
	for _, s := range r.samples(j, name) {
		then[key(s.labels, nil)] = s.value
	}
	secs := r.scrapes[i].at.Sub(r.scrapes[j].at).Seconds()
	for _, s := range r.samples(i, name) {
		d := s.value - then[key(s.labels, nil)]
		if d < 0 {
			d = s.value
		}
		out[key(s.labels, nil)] = sample{s.labels, d / secs}
	}
	return out
}

var (
	quantileExpr = regexp.MustCompile(`^histogram_quantile\(([\d.]+), sum by \(([^)]*)\) \(rate\((\w+)\[(\w+)\]\)\)\)$`)
	sumRateExpr  = regexp.MustCompile(`^sum by \(([^)]*)\) \(rate\((\w+)\[(\w+)\]\)\)$`)
	sumExpr      = regexp.MustCompile(`^sum by \(([^)]*)\) \((\w+)\)$`)
	plainExpr    = regexp.MustCompile(`^(\w+)(\{[^}]*\})?$`)
)

func labelList(s string) []string {
	var out []string
	for _, l := range strings.Split(s, ",") {
		out = append(out, strings.TrimSpace(l))
	}
	return out
}

// eval evaluates a dashboard query at every scrape: a series name → its
// values (NaN where it has none).
func (r *recorder) eval(expr string) (map[string][]float64, error) {
	n := len(r.scrapes)
	out := map[string][]float64{}
	put := func(i int, name string, v float64) {
		if out[name] == nil {
			out[name] = make([]float64, n)
			for k := range out[name] {
				out[name][k] = math.NaN()
			}
		}
		if math.IsNaN(out[name][i]) {
			out[name][i] = 0
		}
		out[name][i] += v
	}
	switch {
	case quantileExpr.MatchString(expr):
		m := quantileExpr.FindStringSubmatch(expr)
		q, _ := strconv.ParseFloat(m[1], 64)
		by := slices.DeleteFunc(labelList(m[2]), func(s string) bool { return s == "le" })
		window, err := time.ParseDuration(m[4])
		if err != nil {
			return nil, err
		}
		for i := range n {
			groups := map[string]map[float64]float64{} // series → le → rate
			for _, s := range r.rates(i, m[3], window) {
				g := key(s.labels, by)
				le, _ := strconv.ParseFloat(s.labels["le"], 64)
				if groups[g] == nil {
					groups[g] = map[float64]float64{}
				}
				groups[g][le] += s.value
			}
			for g, buckets := range groups {
				if v := quantile(q, buckets); !math.IsNaN(v) {
					put(i, g, v)
				}
			}
		}
	case sumRateExpr.MatchString(expr):
		m := sumRateExpr.FindStringSubmatch(expr)
		window, err := time.ParseDuration(m[3])
		if err != nil {
			return nil, err
		}
		for i := range n {
			for _, s := range r.rates(i, m[2], window) {
				put(i, key(s.labels, labelList(m[1])), s.value)
			}
		}
	case sumExpr.MatchString(expr):
		m := sumExpr.FindStringSubmatch(expr)
		for i := range n {
			for _, s := range r.samples(i, m[2]) {
				put(i, key(s.labels, labelList(m[1])), s.value)
			}
		}
	case plainExpr.MatchString(expr):
		m := plainExpr.FindStringSubmatch(expr)
		for i := range n {
			for _, s := range r.samples(i, m[1]) {
				put(i, key(s.labels, []string{"instance"}), s.value)
			}
		}
	default:
		return nil, fmt.Errorf("a query this recorder cannot evaluate: %s", expr)
	}
	return out, nil
}

// quantile is histogram_quantile over cumulative bucket rates by upper
// bound: linear within the bucket the rank falls in.
func quantile(q float64, buckets map[float64]float64) float64 {
	les := make([]float64, 0, len(buckets))
	for le := range buckets {
		les = append(les, le)
	}
	sort.Float64s(les)
	total := buckets[math.Inf(1)]
	if total <= 0 || len(les) < 2 {
		return math.NaN()
	}
	rank := q * total
	prevLe, prevCount := 0.0, 0.0
	for _, le := range les {
		c := buckets[le]
		if c >= rank {
			if math.IsInf(le, 1) {
				return prevLe
			}
			if c == prevCount {
				return le
			}
			return prevLe + (le-prevLe)*(rank-prevCount)/(c-prevCount)
		}
		prevLe, prevCount = le, c
	}
	return prevLe
}
