package main

import (
	"context"
	"log/slog"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vanitydb/vanity/internal/debughttp"
	"github.com/vanitydb/vanity/node"
)

// serveDebug serves profiling, statistics and health on addr until ctx
// ends; the statistics include key counts per database, and /ready is 503
// while the log has failed and writes are refused. It is off unless
// --debug-addr is given.
func serveDebug(ctx context.Context, addr string, n *node.Node, log *slog.Logger) error {
	prometheus.MustRegister(debughttp.KeysMetric(n.Keys))
	prometheus.MustRegister(debughttp.MemoryMetrics(n)...)
	return debughttp.Serve(ctx, addr, func(out map[string]any) {
		keys := map[int]int{}
		for db := 0; db < 16; db++ {
			if k := n.Keys(db); k > 0 {
				keys[db] = k
			}
		}
		out["keys"] = keys
	}, log, debughttp.Ready(n.WritesRefused))
}
