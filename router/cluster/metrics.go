package cluster

import (
	"errors"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanitydb/vanity/node/rpc"
)

// rpcMetrics are a router's figures per storage node: how long runs take
// and how they fail. Every Backend of the process shares them (tests run
// several routers in one process); the node's RPC address is the label.
type rpcMetrics struct {
	seconds *prometheus.HistogramVec
	errors  *prometheus.CounterVec
	failed  *prometheus.CounterVec // commands a node answered with a failure, by status
	hedged  prometheus.Counter     // reads sent to another replica because their node was slow
	// digest reads by level (quorum 0, serial 1) and outcome (agreed 0:
	// answered in one round trip; again 1: run again without digests)
	digests [2][2]prometheus.Counter
}

var (
	rpcMetricsOnce sync.Once
	sharedRPC      *rpcMetrics
)

func routerRPCMetrics() *rpcMetrics {
	rpcMetricsOnce.Do(func() {
		sharedRPC = &rpcMetrics{
			seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Namespace: "vanity", Name: "router_node_run_seconds",
				Help:    "Time from sending a run of commands to a storage node to its answer, by node.",
				Buckets: prometheus.ExponentialBuckets(25e-6, 2, 17),
			}, []string{"node"}),
			errors: prometheus.NewCounterVec(prometheus.CounterOpts{
				Namespace: "vanity", Name: "router_node_errors_total",
				Help: "Runs to a storage node that failed, by node and cause: not_sent (refused or reset before it left), timeout, other.",
			}, []string{"node", "cause"}),
			failed: prometheus.NewCounterVec(prometheus.CounterOpts{
				Namespace: "vanity", Name: "router_command_failures_total",
				Help: "Commands a storage node answered with a failure, by status: unavailable (a quorum not reached), not_confirmed (a write fewer replicas stored than asked), refused (its log failed: the write goes to another replica), expired, error.",
			}, []string{"status"}),
			hedged: prometheus.NewCounter(prometheus.CounterOpts{
				Namespace: "vanity", Name: "router_hedged_reads_total",
				Help: "Reads sent to another replica because their node had not answered in time.",
			}),
		}
		digests := prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "vanity", Name: "router_digest_reads_total",
			Help: "Reads answered from one replica when the others' digests agreed, by level (quorum, serial) and outcome: agreed (one round trip), again (they differed, or one failed: the read ran again without digests).",
		}, []string{"level", "outcome"})
		for l, level := range []string{"quorum", "serial"} {
			for o, outcome := range []string{"agreed", "again"} {
				sharedRPC.digests[l][o] = digests.WithLabelValues(level, outcome)
			}
		}
		prometheus.MustRegister(sharedRPC.seconds, sharedRPC.errors, sharedRPC.failed, sharedRPC.hedged, digests)
	})
	return sharedRPC
}

// failure records a command a node answered with st.
func (m *rpcMetrics) failure(st rpc.Status) {
	m.failed.WithLabelValues(strings.ReplaceAll(st.String(), " ", "_")).Inc()
}

// runFailed counts a run to node that got no answer, by cause (a run that
// answered is timed in its transport's histogram: rpcTransport.took).
func (m *rpcMetrics) runFailed(node string, err error) {
	cause := "other"
	switch {
	case errors.Is(err, rpc.ErrNotSent):
		cause = "not_sent"
	case errors.Is(err, rpc.ErrTimeout):
		cause = "timeout"
	}
	m.errors.WithLabelValues(node, cause).Inc()
}
