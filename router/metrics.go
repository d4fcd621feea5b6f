package router

import (
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanitydb/vanity/proto"
)

// metrics are the client-facing figures of every Server in the process,
// in Prometheus's default registry (the debug address serves /metrics).
// Counting a request is one atomic add on a counter picked by its
// command: nothing is looked up or allocated on the hot path.
type metrics struct {
	requests    [256]prometheus.Counter // by command word; a PIPE's entries count each
	connections prometheus.Gauge
	refused     *prometheus.CounterVec // connections and AUTHs refused by a limit, by limit
}

var (
	metricsOnce sync.Once
	shared      *metrics
)

// serverMetrics returns the process's metrics, registering them once.
func serverMetrics() *metrics {
	metricsOnce.Do(func() {
		reqs := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vanity", Name: "requests_total",
			Help: "Requests received from clients, by command (each entry of a PIPE counts).",
		}, []string{"command"})
		m := &metrics{
			connections: prometheus.NewGauge(prometheus.GaugeOpts{
				Namespace: "vanity", Name: "client_connections", Help: "Open client connections.",
			}),
			refused: prometheus.NewCounterVec(prometheus.CounterOpts{
				Namespace: "vanity", Name: "refused_total",
				Help: "Connections and requests refused by a limit (PROTOCOL.md §12.2), by limit.",
			}, []string{"limit"}),
		}
		for i := range m.requests {
			name := "unknown"
			if c := proto.Command(i); c.Valid() {
				name = c.String()
			}
			m.requests[i] = reqs.WithLabelValues(name)
		}
		prometheus.MustRegister(reqs, m.connections, m.refused)
		shared = m
	})
	return shared
}
