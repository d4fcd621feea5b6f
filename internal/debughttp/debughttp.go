// Package debughttp serves a process's profiling and health endpoints
// over HTTP: /debug/pprof/ (the standard runtime profiles), /debug/stats
// (heap figures and whatever the process adds, as JSON), /metrics (the
// Prometheus default registry: the Go runtime, the process, and what the
// packages register, such as router's request counts), /health (200
// while the process serves) and /ready (200 once it can take traffic,
// else 503 and why). The binaries serve it on a loopback address by
// default (DefaultVanity, DefaultRouter, DefaultNode; --debug-addr moves
// it or turns it off). It also defines the metrics a node's storage feeds
// (KeysMetric, StorageMetrics), shared by vanity and vanity-node.
package debughttp

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Route is an extra endpoint a process serves beside the standard ones.
type Route struct {
	Path    string
	Handler http.HandlerFunc
}

// Ready is a /ready endpoint: 200 "ready" when check returns nil, else
// 503 with the reason (a load balancer or an orchestrator's probe).
func Ready(check func() error) Route {
	return Route{Path: "/ready", Handler: func(w http.ResponseWriter, _ *http.Request) {
		if err := check(); err != nil {
			http.Error(w, "not ready: "+err.Error(), http.StatusServiceUnavailable)
			return
		}
		w.Write([]byte("ready\n"))
	}}
}

// The default debug addresses: loopback, one port per binary, so a
// machine running one of each serves all three. A default that is taken
// (a second process of the same kind) is skipped with a warning.
const (
	DefaultVanity = "127.0.0.1:9965"
	DefaultRouter = "127.0.0.1:9966"
	DefaultNode   = "127.0.0.1:9967"
)

// Addr reads a --debug-addr value: "off" is no address (nothing served).
func Addr(flag string) string {
	if flag == "off" {
		return ""
	}
	return flag
}

// MemoryLimit is what a storing process tells of its memory limit
// (node.Node).
type MemoryLimit interface {
	MaxMemory() uint64
	OverMemory() bool
	MemoryRefusals() int64
}

// MemoryMetrics returns the gauges vanity_max_memory_bytes and
// vanity_memory_refusing, and the counter vanity_memory_refused_total,
// read from m at each scrape.
func MemoryMetrics(m MemoryLimit) []prometheus.Collector {
	return []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vanity_max_memory_bytes",
			Help: "The live heap past which this process refuses writes that add data (--max-memory; 0: no limit)."},
			func() float64 { return float64(m.MaxMemory()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "vanity_memory_refusing",
			Help: "1 while this process refuses writes that add data, its live heap past --max-memory."},
			func() float64 {
				if m.OverMemory() {
					return 1
				}
				return 0
			}),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "vanity_memory_refused_total",
			Help: "Commands refused because the live heap was past --max-memory."},
			func() float64 { return float64(m.MemoryRefusals()) }),
	}
}

// KeysMetric is the vanity_keys gauge by database: what keys returns for
// each of the 16 at each scrape (databases without keys are left out).
func KeysMetric(keys func(db int) int) prometheus.Collector {
	return &keysMetric{keys: keys, desc: prometheus.NewDesc("vanity_keys",
		"Keys held (deleted ones not yet purged included), by database.", []string{"db"}, nil)}
}

type keysMetric struct {
	keys func(db int) int
	desc *prometheus.Desc
}

func (m *keysMetric) Describe(ch chan<- *prometheus.Desc) { ch <- m.desc }

func (m *keysMetric) Collect(ch chan<- prometheus.Metric) {
	for db := 0; db < 16; db++ {
		if n := m.keys(db); n > 0 {
			ch <- prometheus.MustNewConstMetric(m.desc, prometheus.GaugeValue, float64(n), strconv.Itoa(db))
		}
	}
}

// RingMetrics exports a cluster member's view of the ring from state
// (the ring's version, 0 when there is none yet, and the members gossip
// knows by state: alive, failed, leaving, left): vanity_ring_info with the
// version as a label, and vanity_ring_members by state.
func RingMetrics(state func() (version uint64, members map[string]int)) prometheus.Collector {
	return &ringMetrics{state: state,
		info: prometheus.NewDesc("vanity_ring_info", "The ring this member routes by: its version (a hash of members and addresses).",
			[]string{"version"}, nil),
		members: prometheus.NewDesc("vanity_ring_members", "Cluster members gossip knows, by state.", []string{"state"}, nil)}
}

type ringMetrics struct {
	state         func() (uint64, map[string]int)
	info, members *prometheus.Desc
}

func (m *ringMetrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.info
	ch <- m.members
}

func (m *ringMetrics) Collect(ch chan<- prometheus.Metric) {
	version, members := m.state()
	if version != 0 {
		ch <- prometheus.MustNewConstMetric(m.info, prometheus.GaugeValue, 1, fmt.Sprintf("%016x", version))
	}
	for _, st := range []string{"alive", "failed", "leaving", "left"} {
		ch <- prometheus.MustNewConstMetric(m.members, prometheus.GaugeValue, float64(members[st]), st)
	}
}

// Serve serves the endpoints on addr until ctx ends. stats, if not nil,
// adds fields to /debug/stats; extra adds endpoints (Ready among them).
func Serve(ctx context.Context, addr string, stats func(map[string]any), log *slog.Logger, extra ...Route) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	mux.HandleFunc("/debug/stats", func(w http.ResponseWriter, r *http.Request) {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		out := map[string]any{
			"heap_alloc": ms.HeapAlloc, "heap_inuse": ms.HeapInuse, "heap_sys": ms.HeapSys,
			"heap_released": ms.HeapReleased, "sys": ms.Sys, "num_gc": ms.NumGC,
		}
		if stats != nil {
			stats(out)
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(out)
	})
	mux.HandleFunc("/health", func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte("ok\n")) })
	mux.Handle("/metrics", promhttp.Handler())
	for _, r := range extra {
		mux.HandleFunc(r.Path, r.Handler)
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("debug endpoints", "addr", l.Addr().String())
	stopped := context.AfterFunc(ctx, func() { srv.Close() })
	defer stopped()
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}

// StorageMetrics are the figures of a node's persistence: the log's
// appends and their bytes, how long its fsyncs take, how long a snapshot
// takes and how large it is. The node calls OnAppend, OnSync and
// OnSnapshot (node.Config); Collectors go to a registry.
type StorageMetrics struct {
	appends  prometheus.Counter
	appended prometheus.Counter
	fsync    prometheus.Histogram
	snapshot prometheus.Histogram
	size     prometheus.Gauge
}

// NewStorageMetrics makes them.
func NewStorageMetrics() *StorageMetrics {
	return &StorageMetrics{
		appends: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "vanity", Name: "wal_appends_total",
			Help: "Records appended to the write-ahead log."}),
		appended: prometheus.NewCounter(prometheus.CounterOpts{Namespace: "vanity", Name: "wal_appended_bytes_total",
			Help: "Bytes of records appended to the write-ahead log (its growth between snapshots)."}),
		fsync: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "vanity", Name: "wal_fsync_seconds",
			Help: "Time each fsync of the write-ahead log took.", Buckets: prometheus.ExponentialBuckets(50e-6, 2, 16)}),
		snapshot: prometheus.NewHistogram(prometheus.HistogramOpts{Namespace: "vanity", Name: "snapshot_seconds",
			Help: "Time to write a snapshot of every partition.", Buckets: prometheus.ExponentialBuckets(1e-3, 2, 16)}),
		size: prometheus.NewGauge(prometheus.GaugeOpts{Namespace: "vanity", Name: "snapshot_bytes",
			Help: "Size of the last snapshot written."}),
	}
}

// OnAppend records one record appended to the log.
func (m *StorageMetrics) OnAppend(bytes int) {
	m.appends.Inc()
	m.appended.Add(float64(bytes))
}

// OnSync records one fsync of the log.
func (m *StorageMetrics) OnSync(took time.Duration) { m.fsync.Observe(took.Seconds()) }

// OnSnapshot records one snapshot.
func (m *StorageMetrics) OnSnapshot(took time.Duration, bytes int64) {
	m.snapshot.Observe(took.Seconds())
	m.size.Set(float64(bytes))
}

// Collectors returns the metrics, to register.
func (m *StorageMetrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.appends, m.appended, m.fsync, m.snapshot, m.size}
}
