package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// cmdLocks measures lock takings (PROTOCOL.md §12.7): each connection
// takes a lock picked at random among -locks (LOCK_ACQUIRE with a lease),
// writes -fenced times with its token (FENCED SET of "<lock>:data",
// §12.11), and gives the lock back with its token (LOCK_RELEASE), over and
// over. A taking that finds the lock held (another connection has it)
// counts as busy and picks again. Against a cluster the locks run on the
// serial path. One event loop drives every connection (locksLoop), or with
// -client goroutines a goroutine each (locksRun).
func cmdLocks(args []string) error {
	var o options
	fs := flag.NewFlagSet("locks", flag.ExitOnError)
	o.flags(fs)
	locks := fs.Int("locks", 1000, "locks taken and given back at random")
	lease := fs.Duration("lease", 10*time.Second, "the lease of a taking")
	fenced := fs.Int("fenced", 0, "FENCED writes of each taking, between its acquire and its release")
	fs.Parse(args)
	if *fenced < 0 {
		return fmt.Errorf("loadtest: -fenced %d: give a count of writes (0: none)", *fenced)
	}
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
	l := lockLoad{conns: o.conns, locks: *locks, fenced: *fenced, lease: *lease, warmup: o.warmup, d: o.duration}
	res, err := run(addr, l)
	if err != nil {
		return err
	}
	secs := o.duration.Seconds()
	fmt.Printf("vanity locks conns=%d locks=%d fenced=%d: %.0f takings/s (acquire and release), acquire p50 %v p99 %v, release p50 %v p99 %v",
		o.conns, *locks, *fenced, float64(res.takings)/secs, res.acquire.quantile(0.5), res.acquire.quantile(0.99),
		res.release.quantile(0.5), res.release.quantile(0.99))
	if *fenced > 0 {
		fmt.Printf(", %.0f fenced writes/s, p50 %v p99 %v", float64(res.fenced.n)/secs, res.fenced.quantile(0.5), res.fenced.quantile(0.99))
	}
	fmt.Printf(", %d busy, %d errors\n", res.busy, res.errors)
	return nil
}

// lockLoad is what cmdLocks drives: conns connections taking locks at
// random among locks, each taking with a lease of lease and fenced
// writes before its release, measured for d after warmup.
type lockLoad struct {
	conns, locks, fenced int
	lease, warmup, d     time.Duration
}

// lockResult is what locksRun measured after the warm-up: takings and
// their acquire and release latencies, fenced writes' latencies (each
// taking's, all accepted: a refusal counts as an error).
type lockResult struct {
	takings, busy, errors    int64
	acquire, release, fenced *hist
}

// locksRun drives l's connections to addr for l.warmup then l.d.
func locksRun(addr string, l lockLoad) (*lockResult, error) {
	from := time.Now().Add(l.warmup)
	to := from.Add(l.d)
	res := &lockResult{acquire: &hist{}, release: &hist{}, fenced: &hist{}}
	var takings, busy, errCount atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	errs := make(chan error, l.conns)
	for w := range l.conns {
		cl, err := client.Dial(addr, client.Options{Timeout: 10 * time.Second})
		if err != nil {
			return nil, err
		}
		wg.Go(func() {
			defer cl.Close()
			rng := rand.New(rand.NewPCG(uint64(w), 7))
			owner := fmt.Sprintf("worker-%d", w)
			acq, rel, fen := &hist{}, &hist{}, &hist{}
			defer func() {
				mu.Lock()
				res.acquire.merge(acq)
				res.release.merge(rel)
				res.fenced.merge(fen)
				mu.Unlock()
			}()
			for {
				t0 := time.Now()
				if t0.After(to) {
					return
				}
				measured := t0.After(from)
				name := fmt.Sprintf("lock:%d", rng.IntN(l.locks))
				r, err := cl.Do("LOCK_ACQUIRE", name, owner, l.lease.Milliseconds())
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
				token := r.Value.Int
				for i := range l.fenced {
					f0 := time.Now()
					r, err := cl.Do("FENCED", name, token, client.Verbatim("SET:STR"), name+":data", strconv.Itoa(i))
					if err != nil {
						errs <- err
						return
					}
					switch {
					case !measured:
					case r.Status != proto.StatusOK:
						errCount.Add(1)
					default:
						fen.record(time.Since(f0))
					}
				}
				t2 := time.Now()
				r, err = cl.Do("LOCK_RELEASE", name, token)
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
					rel.record(time.Since(t2))
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
