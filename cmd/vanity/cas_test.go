package main

import (
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/lincheck"
)

// TestCompareAndSetIsLinearizable: clients read, write, compare-and-set
// (SET_IF, SET_IF_ABSENT, DEL_IF), swap (GET_SET, GET_DEL) and write
// behind a fence (FENCED SET) three keys of the single process at once,
// through a kill -9 and a restart on the same data. Every key's history,
// recorded from the real process, must be linearizable as a register
// (lincheck.Register); an operation whose reply the kill cut off counts
// as having taken effect or not, and its client goes on as a new one.
func TestCompareAndSetIsLinearizable(t *testing.T) {
	s := start(t, t.TempDir())
	var addr atomic.Value
	addr.Store(s.addr)
	w := &lincheck.Registers{T: t, Keys: []string{"reg:0", "reg:1", "reg:2"}, Clients: 6, Seed: 11,
		Dial: func(int) (*client.Client, error) {
			return client.Dial(addr.Load().(string), client.Options{Username: "vanity", Password: "vanity", Timeout: 5 * time.Second})
		}}
	w.Start()
	w.WaitFor(3000, 30*time.Second)
	s.restart()
	addr.Store(s.addr)
	w.WaitFor(6000, 30*time.Second)
	w.Stop()
	w.Check(time.Minute, false)
}
