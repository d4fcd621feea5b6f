package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"time"

	"github.com/vanitydb/vanity/node"
)

// serveDebug serves profiling and statistics on addr until ctx ends:
// /debug/pprof/ (the standard profiles) and /debug/stats (heap and key
// counts, as JSON). It is off unless --debug-addr is given.
func serveDebug(ctx context.Context, addr string, n *node.Node, log *slog.Logger) error {
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
		keys := map[int]int{}
		for db := 0; db < 16; db++ {
			if k := n.Keys(db); k > 0 {
				keys[db] = k
			}
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"heap_alloc": ms.HeapAlloc, "heap_inuse": ms.HeapInuse, "heap_sys": ms.HeapSys,
			"heap_released": ms.HeapReleased, "sys": ms.Sys, "num_gc": ms.NumGC, "keys": keys,
		})
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	log.Info("debug endpoints", "addr", l.Addr().String())
	stopped := context.AfterFunc(ctx, func() { srv.Close() })
	defer stopped()
	if err := srv.Serve(l); err != http.ErrServerClosed {
		return err
	}
	return nil
}
