package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// cmdLocks measures lock takings (PROTOCOL.md §12.7): each connection
// takes a lock picked at random among -locks (LOCK_ACQUIRE with a lease)
// and gives it back with its token (LOCK_RELEASE), over and over. A taking
// that finds the lock held (another connection has it) counts as busy and
// picks again. Against a cluster the locks run on the serial path. One
// event loop drives every connection (locksLoop), or with -client
// goroutines a goroutine each (locksRun).
func cmdLocks(args []string) error {
	var o options
	fs := flag.NewFlagSet("locks", flag.ExitOnError)
	o.flags(fs)
	locks := fs.Int("locks", 1000, "locks taken and given back at random")
	lease := fs.Duration("lease", 10*time.Second, "the lease of a taking")
	fs.Parse(args)
	addr := o.addr
	if addr == "" {
		proc, err := startTarget(&o)
		if err != nil {
			return err
		}
		defer proc.stop()
		addr = proc.addr
	}
	run := locksLoop
	if o.client == "goroutines" {
		run = locksRun
	}
	res, err := run(addr, o.conns, *locks, *lease, o.warmup, o.duration)
	if err != nil {
		return err
	}
	secs := o.duration.Seconds()
	fmt.Printf("vanity locks conns=%d locks=%d: %.0f takings/s (acquire and release), acquire p50 %v p99 %v, release p50 %v p99 %v, %d busy, %d errors\n",
		o.conns, *locks, float64(res.takings)/secs, res.acquire.quantile(0.5), res.acquire.quantile(0.99),
		res.release.quantile(0.5), res.release.quantile(0.99), res.busy, res.errors)
	return nil
}

// lockResult is what locksRun measured after the warm-up.
type lockResult struct {
	takings, busy, errors int64
	acquire, release      *hist
}

// locksRun drives conns connections to addr for warmup then d.
func locksRun(addr string, conns, locks int, lease, warmup, d time.Duration) (*lockResult, error) {
	from := time.Now().Add(warmup)
	to := from.Add(d)
	res := &lockResult{acquire: &hist{}, release: &hist{}}
	var takings, busy, errCount atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for w := range conns {
		cl, err := client.Dial(addr, client.Options{Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			defer cl.Close()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			owner := fmt.Sprintf("worker-%d", w)
			acq, rel := &hist{}, &hist{}
			defer func() {
				mu.Lock()
				res.acquire.merge(acq)
				res.release.merge(rel)
				mu.Unlock()
			}()
			for {
				t0 := time.Now()
				if t0.After(to) {
					return
				}
				measured := t0.After(from)
				name := fmt.Sprintf("lock:%d", rng.IntN(locks))
				r, err := cl.Do("LOCK_ACQUIRE", name, owner, lease.Milliseconds())
				if err != nil {
					errs <- err
					return
				}
				t1 := time.Now()
				switch {
				case r.Status == proto.StatusNull:
					if measured {
						busy.Add(1)
					}
					continue
				case r.Status != proto.StatusOK || r.Value.Type != proto.TypeInt:
					if measured {
						errCount.Add(1)
					}
					continue
				}
				r, err = cl.Do("LOCK_RELEASE", name, r.Value.Int)
				if err != nil {
					errs <- err
					return
				}
				if r.Status != proto.StatusOK || !r.Value.Bool {
					if measured {
						errCount.Add(1)
					}
					continue
				}
				if measured {
					acq.record(t1.Sub(t0))
					rel.record(time.Since(t1))
					takings.Add(1)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, err
	}
	res.takings, res.busy, res.errors = takings.Load(), busy.Load(), errCount.Load()
	return res, nil
}
