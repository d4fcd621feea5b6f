package ops

import (
	"encoding/json"
	"fmt"
	"html"
	"math"
	"os"
	"strings"
	"testing"
)

// sample is ops/grafana/sample.json: the dashboard's queries evaluated
// over a real run (cmd/vanity-router's TestMetricsThroughAKill with
// -record-dashboard: three nodes and a router under a write load, one
// node killed and restarted).
type sample struct {
	Seconds float64 `json:"seconds"`
	Events  []struct {
		At    float64 `json:"at"`
		Label string  `json:"label"`
	} `json:"events"`
	Panels []struct {
		Title   string         `json:"title"`
		GridPos map[string]int `json:"gridPos"`
		Expr    string         `json:"expr"`
		Series  []struct {
			Name   string    `json:"name"`
			Points []float64 `json:"points"` // -1: no value
		} `json:"series"`
	} `json:"panels"`
}

// Grafana's grid: 24 columns; a row unit is 30 pixels.
const (
	unitW, unitH = 50, 30
	gap          = 6
)

var palette = []string{"#73bf69", "#f2cc0c", "#5794f2", "#ff780a", "#b877d9", "#f2495c", "#8ab8ff", "#fade2a"}

// humanize writes v in the unit a panel's title implies.
func humanize(title string, v float64) string {
	switch {
	case strings.Contains(title, "latency") || strings.Contains(title, "p99"):
		return fmt.Sprintf("%.3g ms", v*1000)
	case strings.Contains(title, "bytes") || strings.Contains(title, "memory") || strings.Contains(title, "size"):
		return fmt.Sprintf("%.3g MiB", v/(1<<20))
	case v >= 1000:
		return fmt.Sprintf("%.3gK", v/1000)
	}
	return fmt.Sprintf("%.3g", v)
}

// dashboardSVG draws the dashboard's panels with the sample's series, as
// Grafana lays them out.
func dashboardSVG(s sample) string {
	height := 0
	for _, p := range s.Panels {
		height = max(height, (p.GridPos["y"]+p.GridPos["h"])*unitH)
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="11">`+"\n",
		24*unitW, height+30, 24*unitW, height+30)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="#111217"/>`+"\n")
	for _, p := range s.Panels {
		x, y := p.GridPos["x"]*unitW+gap/2, p.GridPos["y"]*unitH+gap/2
		w, h := p.GridPos["w"]*unitW-gap, p.GridPos["h"]*unitH-gap
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" rx="3" fill="#181b1f" stroke="#2c3235"/>`+"\n", x, y, w, h)
		fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#ccccdc" font-size="12" font-weight="bold">%s</text>`+"\n", x+8, y+18, html.EscapeString(p.Title))
		// The plot area, with room for the axis labels and the legend.
		px, py, pw, ph := x+62, y+28, w-72, h-72
		top := 0.0
		for _, se := range p.Series {
			for _, v := range se.Points {
				top = max(top, v)
			}
		}
		if len(p.Series) == 0 || top == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#8e8e8e" text-anchor="middle">No data</text>`+"\n", x+w/2, y+h/2)
			continue
		}
		top *= 1.1
		for k := 0; k <= 2; k++ {
			gy := py + ph - ph*k/2
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#2c3235"/>`+"\n", px, gy, px+pw, gy)
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#8e8e8e" text-anchor="end">%s</text>`+"\n", px-4, gy+4, humanize(p.Title, top*float64(k)/2))
		}
		for _, sec := range []float64{0, s.Seconds / 2, s.Seconds} {
			gx := px + int(float64(pw)*sec/s.Seconds)
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#8e8e8e" text-anchor="middle">%.0f s</text>`+"\n", gx, py+ph+14, sec)
		}
		for _, e := range s.Events {
			ex := px + int(float64(pw)*e.At/s.Seconds)
			fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="#f2495c" stroke-dasharray="3,3"/>`+"\n", ex, py, ex, py+ph)
		}
		for i, se := range p.Series {
			color := palette[i%len(palette)]
			var pts []string
			flush := func() {
				if len(pts) > 1 {
					fmt.Fprintf(&b, `<polyline fill="none" stroke="%s" stroke-width="1.5" points="%s"/>`+"\n", color, strings.Join(pts, " "))
				}
				pts = pts[:0]
			}
			n := len(se.Points)
			for k, v := range se.Points {
				if v < 0 {
					flush()
					continue
				}
				xx := float64(px) + float64(pw)*float64(k)/math.Max(1, float64(n-1))
				yy := float64(py+ph) - float64(ph)*v/top
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", xx, yy))
			}
			flush()
			if i < 4 { // the legend, under the plot
				lx := x + 8 + (i%2)*(w/2)
				ly := py + ph + 30 + (i/2)*14
				fmt.Fprintf(&b, `<rect x="%d" y="%d" width="10" height="3" fill="%s"/>`+"\n", lx, ly-4, color)
				fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#ccccdc">%s</text>`+"\n", lx+14, ly, html.EscapeString(se.Name))
			}
		}
	}
	var events []string
	for _, e := range s.Events {
		events = append(events, fmt.Sprintf("%s at %.0f s", e.Label, e.At))
	}
	fmt.Fprintf(&b, `<text x="8" y="%d" fill="#8e8e8e">Recorded from 3 nodes and a router under a write load (dashed red: %s).</text>`+"\n",
		height+18, html.EscapeString(strings.Join(events, ", ")))
	b.WriteString("</svg>\n")
	return b.String()
}

// TestDashboardPicture keeps docs/dashboard.svg the drawing of
// ops/grafana/vanity.json's panels over ops/grafana/sample.json, and the
// sample the dashboard's own panels (-update redraws; cmd/vanity-router's
// TestMetricsThroughAKill -record-dashboard records a new sample).
func TestDashboardPicture(t *testing.T) {
	raw, err := os.ReadFile("grafana/sample.json")
	if err != nil {
		t.Fatal(err)
	}
	var s sample
	if err := json.Unmarshal(raw, &s); err != nil {
		t.Fatal(err)
	}
	dash, err := os.ReadFile("grafana/vanity.json")
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []struct {
			Title   string `json:"title"`
			Targets []struct {
				Expr string `json:"expr"`
			} `json:"targets"`
		} `json:"panels"`
	}
	if err := json.Unmarshal(dash, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Panels) != len(s.Panels) {
		t.Fatalf("the sample has %d panels, the dashboard %d: record it again", len(s.Panels), len(d.Panels))
	}
	for i, p := range d.Panels {
		if p.Title != s.Panels[i].Title || len(p.Targets) == 0 || p.Targets[0].Expr != s.Panels[i].Expr {
			t.Errorf("panel %d (%s) is not the sample's (%s): record the sample again", i, p.Title, s.Panels[i].Title)
		}
	}
	const path = "../docs/dashboard.svg"
	want := dashboardSVG(s)
	if got, err := os.ReadFile(path); err == nil && string(got) == want {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s is not the drawing of the sample: run go test ./ops -run TestDashboardPicture -update", path)
}
