package lincheck

import (
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// clients is what the workloads share: their clients' goroutines, the
// count of operations answered, and a connection that is dialled again
// while the server restarts.
type clients struct {
	stop chan struct{}
	wg   sync.WaitGroup
	ops  atomic.Int64
}

// start runs run(c) for clients c = 0 … n-1, each on its goroutine.
func (cs *clients) start(n int, run func(c int)) {
	cs.stop = make(chan struct{})
	for c := range n {
		cs.wg.Go(func() { run(c) })
	}
}

// stopped reports whether Stop has begun.
func (cs *clients) stopped() bool {
	select {
	case <-cs.stop:
		return true
	default:
		return false
	}
}

// Stop stops the clients and waits for them.
func (cs *clients) Stop() {
	if !cs.stopped() {
		close(cs.stop)
	}
	cs.wg.Wait()
}

// Ops is the number of operations answered so far.
func (cs *clients) Ops() int64 { return cs.ops.Load() }

// waitFor waits until n operations have been answered, failing t if that
// takes longer than within.
func (cs *clients) waitFor(t testing.TB, n int64, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for cs.ops.Load() < n {
		if time.Now().After(deadline) || t.Failed() {
			cs.Stop()
			t.Fatalf("only %d operations answered within %v", cs.ops.Load(), within)
		}
		time.Sleep(time.Millisecond) // polling a counter
	}
}

// connect returns cl, or client c's new connection from dial, which is
// tried again a millisecond later while it fails (the server may be
// restarting) until Stop (then nil).
func (cs *clients) connect(c int, cl *client.Client, dial func(int) (*client.Client, error)) *client.Client {
	for cl == nil && !cs.stopped() {
		var err error
		if cl, err = dial(c); err != nil {
			cl = nil
			time.Sleep(time.Millisecond)
		}
	}
	return cl
}

// plain runs cmd through cl (or client c's new connection from dial)
// once; unknown says its outcome is (the connection broke, or "not
// confirmed"). It returns the connection to go on with (nil: none, and
// not sent if stopped).
func (cs *clients) plain(c int, cl *client.Client, dial func(int) (*client.Client, error), cmd string, args ...any) (proto.Reply, bool, *client.Client) {
	if cl = cs.connect(c, cl, dial); cl == nil {
		return proto.Reply{}, false, nil // stopped before sending
	}
	r, err := cl.Do(cmd, args...)
	if err != nil {
		cl.Close()
		cl = nil
	}
	return r, err != nil || r.Status == proto.StatusError && strings.Contains(string(r.Body), "not confirmed"), cl
}
