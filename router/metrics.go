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
	requests [256]prometheus.Counter // by command word; a PIPE's entries count each
	// failed counts the data commands the backend could not serve (a
	// quorum not met, a write not confirmed...), by command; routers
	// count them by status too (vanity_router_command_failures_total).
	failed [256]prometheus.Counter
	// latency is how long requests took, by command: a data command from
	// when its connection handed it to the backend to when its reply was
	// in place (one observation per run of the same command in a
	// connection's batch: they all took that long), another command its
	// run.
	latency     [256]prometheus.Histogram
	connections prometheus.Gauge
	refused     *prometheus.CounterVec // connections and AUTHs refused by a limit, by limit
	// received and sent count the bytes of client connections (an event
	// loop adds its turn's total once per turn).
	received, sent prometheus.Counter
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
		failed := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vanity", Name: "request_failures_total",
			Help: "Data commands the server could not serve (unavailable, not confirmed, ...), by command.",
		}, []string{"command"})
		m := &metrics{
			connections: prometheus.NewGauge(prometheus.GaugeOpts{
				Namespace: "vanity", Name: "client_connections", Help: "Open client connections.",
			}),
			received: prometheus.NewCounter(prometheus.CounterOpts{
				Namespace: "vanity", Name: "client_received_bytes_total", Help: "Bytes read from client connections.",
			}),
			sent: prometheus.NewCounter(prometheus.CounterOpts{
				Namespace: "vanity", Name: "client_sent_bytes_total", Help: "Bytes written to client connections.",
			}),
			refused: prometheus.NewCounterVec(prometheus.CounterOpts{
				Namespace: "vanity", Name: "refused_total",
				Help: "Connections and requests refused by a limit (PROTOCOL.md §12.2), by limit.",
			}, []string{"limit"}),
		}
		latency := prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "vanity", Name: "request_duration_seconds",
			Help: "Time to answer a request, by command: for data commands, from the backend's hand-off to the reply (one sample per run of the same command in a connection's batch).",
			// 25 µs to 1.6 s, doubling.
			Buckets: prometheus.ExponentialBuckets(25e-6, 2, 17),
		}, []string{"command"})
		for i := range m.requests {
			name := "unknown"
			if c := proto.Command(i); c.Valid() {
				name = c.String()
			}
			m.requests[i] = reqs.WithLabelValues(name)
			m.failed[i] = failed.WithLabelValues(name)
			m.latency[i] = latency.WithLabelValues(name).(prometheus.Histogram)
		}
		prometheus.MustRegister(reqs, failed, latency, m.connections, m.refused, m.received, m.sent)
		shared = m
	})
	return shared
}
