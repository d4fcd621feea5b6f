package gossip

import (
	"fmt"
	"testing"
	"time"
)

// BenchmarkJoinConvergence measures how long five members starting one
// after another take until every one of them sees all five (the tail is
// what matters: news that dies out waits for a full state exchange).
func BenchmarkJoinConvergence(b *testing.B) {
	var worst time.Duration
	for i := 0; i < b.N; i++ {
		start := time.Now()
		var gs []*Gossip
		for j := 0; j < 5; j++ {
			cfg := Config{Name: fmt.Sprintf("n-%d", j), Role: RoleNode, BindAddr: freeAddr(b),
				RPCAddr: "127.0.0.1:1", Secret: []byte("s"), Fast: true}
			if j > 0 {
				cfg.Join = []string{gs[0].cfg.BindAddr}
			}
			g, err := Start(cfg)
			if err != nil {
				b.Fatal(err)
			}
			gs = append(gs, g)
		}
		for !allSee(gs, 5) {
			time.Sleep(time.Millisecond) // polling gossip state
		}
		worst = max(worst, time.Since(start))
		for _, g := range gs {
			g.Shutdown()
		}
	}
	b.ReportMetric(float64(worst.Milliseconds()), "worst-ms")
}

func allSee(gs []*Gossip, n int) bool {
	for _, g := range gs {
		if len(g.Members()) != n {
			return false
		}
	}
	return true
}
