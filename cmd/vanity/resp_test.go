package main

import (
	"testing"

	"github.com/vanitydb/vanity/internal/resptest"
)

// respServer starts an in-memory server with a RESP listener and returns
// its RESP address.
func respServer(t *testing.T, args ...string) string {
	s := start(t, t.TempDir(), append([]string{"--no-db-persist", "--no-users-persist", "--no-logging", "--resp-port=0"}, args...)...)
	return s.line("vanity RESP listening on ")
}

// TestRESP runs Redis's clients and tools against the single process:
// go-redis in both protocol versions, served by the event loops and by a
// goroutine per connection.
func TestRESP(t *testing.T) {
	for _, mode := range []struct {
		name string
		args []string
	}{{"loops", nil}, {"goroutines", []string{"--event-loops=0"}}} {
		t.Run(mode.name, func(t *testing.T) {
			addr := respServer(t, mode.args...)
			t.Run("RESP2", func(t *testing.T) { resptest.Commands(t, addr, 2, 1) })
			t.Run("RESP3", func(t *testing.T) { resptest.Commands(t, addr, 3, 2) })
			t.Run("auth", func(t *testing.T) { resptest.Auth(t, addr) })
			t.Run("pubsub2", func(t *testing.T) { resptest.PubSub(t, addr, addr, 2) })
			t.Run("pubsub3", func(t *testing.T) { resptest.PubSub(t, addr, addr, 3) })
			t.Run("redis-cli", func(t *testing.T) { resptest.CLI(t, addr) })
			t.Run("redis-benchmark", func(t *testing.T) { resptest.Benchmark(t, addr, 2000) })
		})
	}
}
