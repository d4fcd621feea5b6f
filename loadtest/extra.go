package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// cmdPubSub measures PUBLISH fan-out: subs connections subscribed to one
// channel, pubs connections publishing with depth requests in flight.
func cmdPubSub(args []string) error {
	var o options
	fs := flag.NewFlagSet("pubsub", flag.ExitOnError)
	o.flags(fs)
	subs := fs.Int("subs", 100, "subscriber connections")
	pubs := fs.Int("pubs", 2, "publisher connections")
	size := fs.Int("size", 32, "message size")
	fs.Parse(args)
	for _, target := range []string{"vanity", "redis"} {
		o.target = target
		delivered, published, err := pubsub(&o, *subs, *pubs, *size)
		if err != nil {
			return err
		}
		fmt.Printf("%-7s %d subscribers, %d publishers (depth %d), %d-byte messages: %.0f publishes/s, %.0f deliveries/s\n",
			target, *subs, *pubs, o.depth, *size, published/o.duration.Seconds(), delivered/o.duration.Seconds())
	}
	return nil
}

func pubsub(o *options, subs, pubs, size int) (float64, float64, error) {
	proc, err := startTarget(o)
	if err != nil {
		return 0, 0, err
	}
	defer proc.stop()
	p, _ := protoFor(o.target)
	msg := []byte(strings.Repeat("m", size))
	var subscribeReq, publishReq []byte
	if o.target == "vanity" {
		subscribeReq = appendFrame(p, nil, func(b []byte) []byte { return append(b, "SUBSCRIBE (4)chan"...) })
		publishReq = appendFrame(p, nil, func(b []byte) []byte { return appendVStr(append(b, "PUBLISH (4)chan "...), msg) })
	} else {
		subscribeReq = appendCmd(nil, []byte("SUBSCRIBE"), []byte("chan"))
		publishReq = appendCmd(nil, []byte("PUBLISH"), []byte("chan"), msg)
	}
	var delivered atomic.Int64
	var measuring atomic.Bool
	var wg sync.WaitGroup
	var conns []*wire
	defer func() {
		for _, c := range conns {
			c.nc.Close()
		}
		wg.Wait()
	}()
	for i := 0; i < subs; i++ {
		wc, err := dial(proc.addr)
		if err != nil {
			return 0, 0, err
		}
		conns = append(conns, wc)
		if err := p.login(wc); err != nil {
			return 0, 0, err
		}
		wc.w.Write(subscribeReq)
		wc.w.Flush()
		if _, err := p.readReply(wc.r); err != nil {
			return 0, 0, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				if _, err := p.readReply(wc.r); err != nil {
					return
				}
				if measuring.Load() {
					delivered.Add(1)
				}
			}
		}()
	}
	var published atomic.Int64
	stop := make(chan struct{})
	var pwg sync.WaitGroup
	for i := 0; i < pubs; i++ {
		wc, err := dial(proc.addr)
		if err != nil {
			return 0, 0, err
		}
		conns = append(conns, wc)
		if err := p.login(wc); err != nil {
			return 0, 0, err
		}
		pwg.Add(1)
		go func() {
			defer pwg.Done()
			inflight := 0
			for {
				select {
				case <-stop:
					return
				default:
				}
				for inflight < o.depth {
					wc.w.Write(publishReq)
					inflight++
				}
				if wc.w.Flush() != nil {
					return
				}
				if _, err := p.readReply(wc.r); err != nil {
					return
				}
				inflight--
				if measuring.Load() {
					published.Add(1)
				}
			}
		}()
	}
	time.Sleep(o.warmup) // warm-up before the measured window
	measuring.Store(true)
	time.Sleep(o.duration) // the measured window
	measuring.Store(false)
	close(stop)
	pwg.Wait()
	return float64(delivered.Load()), float64(published.Load()), nil
}

// cmdTx measures transaction commit throughput: each connection commits
// TRANSACT_BEGIN, INCR a, INCR b, TRANSACT_COMMIT as fast as it can
// (Redis: MULTI, INCRBY, INCRBY, EXEC), the four requests pipelined.
func cmdTx(args []string) error {
	var o options
	fs := flag.NewFlagSet("tx", flag.ExitOnError)
	o.flags(fs)
	fs.Parse(args)
	for _, target := range []string{"vanity", "redis"} {
		o.target = target
		commits, lat, err := txRun(&o)
		if err != nil {
			return err
		}
		fmt.Printf("%-7s %d conns: %.0f commits/s, p50 %v p99 %v\n", target, o.conns, commits, lat.quantile(0.5), lat.quantile(0.99))
	}
	return nil
}

func txRun(o *options) (float64, *hist, error) {
	proc, err := startTarget(o)
	if err != nil {
		return 0, nil, err
	}
	defer proc.stop()
	p, _ := protoFor(o.target)
	var batch []byte
	if o.target == "vanity" {
		for _, r := range []string{"TRANSACT_BEGIN", "INCR_INT (1)a 1", "INCR_INT (1)b 1", "TRANSACT_COMMIT"} {
			batch = appendFrame(p, batch, func(b []byte) []byte { return append(b, r...) })
		}
	} else {
		batch = appendCmd(batch, []byte("MULTI"))
		batch = appendCmd(batch, []byte("INCRBY"), []byte("a"), []byte("1"))
		batch = appendCmd(batch, []byte("INCRBY"), []byte("b"), []byte("1"))
		batch = appendCmd(batch, []byte("EXEC"))
	}
	var mu sync.Mutex
	total := &hist{}
	var commits atomic.Int64
	var wg sync.WaitGroup
	from := time.Now().Add(o.warmup)
	to := from.Add(o.duration)
	errs := make(chan error, o.conns)
	for i := 0; i < o.conns; i++ {
		wc, err := dial(proc.addr)
		if err != nil {
			return 0, nil, err
		}
		if err := p.login(wc); err != nil {
			return 0, nil, err
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer wc.nc.Close()
			local := &hist{}
			for {
				t0 := time.Now()
				if t0.After(to) {
					break
				}
				wc.w.Write(batch)
				if err := wc.w.Flush(); err != nil {
					errs <- err
					return
				}
				for k := 0; k < 4; k++ {
					bad, err := p.readReply(wc.r)
					if err != nil || bad {
						errs <- fmt.Errorf("transaction reply: %v (error %v)", err, bad)
						return
					}
				}
				if t0.After(from) {
					local.record(time.Since(t0))
					commits.Add(1)
				}
			}
			mu.Lock()
			total.merge(local)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return 0, nil, err
	}
	return float64(commits.Load()) / o.duration.Seconds(), total, nil
}

// cmdExpiry writes keys that all expire at once and measures, while they
// expire, the latency of reads of other keys and the server's CPU use; then
// it writes and expires the same number again and compares resident memory
// after each round, which must not keep growing.
func cmdExpiry(args []string) error {
	var o options
	fs := flag.NewFlagSet("expiry", flag.ExitOnError)
	o.flags(fs)
	ttl := fs.Duration("ttl", 3*time.Second, "time to live of the expiring keys")
	fs.Set("keys", "1000000")
	fs.Parse(args)
	for _, target := range []string{"vanity", "redis"} {
		o.target = target
		if err := expiryRun(&o, *ttl); err != nil {
			return err
		}
	}
	return nil
}

func expiryRun(o *options, ttl time.Duration) error {
	var proc *process
	var err error
	debug := ""
	if o.target == "vanity" {
		port, perr := freePort()
		if perr != nil {
			return perr
		}
		debug = "127.0.0.1:" + strconv.Itoa(port)
		proc, err = startVanity(o.vanityBin, "--debug-addr="+debug)
	} else {
		proc, err = startTarget(o)
	}
	if err != nil {
		return err
	}
	defer proc.stop()
	p, _ := protoFor(o.target)
	base := proc.rss()
	var rss []int64
	for round := 0; round < 2; round++ {
		start := time.Now()
		if err := fillExpiring(proc.addr, p, o.keys, o.value, ttl); err != nil {
			return err
		}
		full := proc.rss()
		wait := time.Until(start.Add(ttl))
		if wait > 0 {
			time.Sleep(wait) // until the deadline passes
		}
		cpu0 := cpuTime(proc)
		w := &workload{name: "get", ops: []op{opGet}, keys: 1000, valueLen: o.value}
		r, err := runClosed(proc.addr, p, w, 10, 1, 0, 5*time.Second)
		if err != nil {
			return err
		}
		cpu := cpuTime(proc) - cpu0
		rss = append(rss, proc.rss())
		if debug != "" {
			st, err := vanityStats(debug)
			if err == nil {
				fmt.Printf("vanity  round %d: 5s after the deadline %d keys remain, heap in use %.0f MiB\n",
					round+1, st.Keys[0], float64(st.HeapInuse)/(1<<20))
			}
		} else if n, err := redisDBSize(proc.addr); err == nil {
			fmt.Printf("redis   round %d: 5s after the deadline %d keys remain\n", round+1, n)
		}
		fmt.Printf("%-7s round %d: %d keys (TTL %v): RSS %.0f MiB full, %.0f MiB 5s after the deadline; "+
			"reads meanwhile %.0f/s p99 %v max %v; server CPU %.2fs in those 5s\n",
			o.target, round+1, o.keys, ttl, float64(full-base)/(1<<20), float64(rss[round]-base)/(1<<20),
			r.throughput(), r.lat.quantile(0.99), time.Duration(r.lat.max), cpu.Seconds())
	}
	return nil
}

// fillExpiring writes keys that expire after ttl.
func fillExpiring(addr string, p protocol, keys, valueLen int, ttl time.Duration) error {
	wc, err := dial(addr)
	if err != nil {
		return err
	}
	defer wc.nc.Close()
	if err := p.login(wc); err != nil {
		return err
	}
	value := make([]byte, valueLen)
	secs := []byte(strconv.FormatFloat(ttl.Seconds(), 'f', 3, 64))
	ms := []byte(strconv.FormatInt(ttl.Milliseconds(), 10))
	var buf, key []byte
	const batch = 256
	for i := 0; i < keys; i += batch {
		buf = buf[:0]
		n := 0
		for j := i; j < min(keys, i+batch); j++ {
			key = append(keyName(key[:0], j), 'x')
			if _, isVanity := p.(vanityProto); isVanity {
				buf = appendFrame(p, buf, func(b []byte) []byte { return p.appendOp(b, opSet, key, value) })
				buf = appendFrame(p, buf, func(b []byte) []byte {
					return append(append(appendVStr(append(b, "SET_EXPIRY "...), key), ' '), secs...)
				})
				n += 2
			} else {
				buf = appendCmd(buf, []byte("SET"), key, value, []byte("PX"), ms)
				n++
			}
		}
		wc.w.Write(buf)
		if err := wc.w.Flush(); err != nil {
			return err
		}
		for k := 0; k < n; k++ {
			if bad, err := p.readReply(wc.r); err != nil || bad {
				return fmt.Errorf("fill: %v (error %v)", err, bad)
			}
		}
	}
	return nil
}

// cpuTime returns the user+system CPU time the process has used.
func cpuTime(p *process) time.Duration { return pidCPU(p.cmd.Process.Pid) }

// pidCPU returns the user+system CPU time process pid has used (0 if it
// cannot be read).
func pidCPU(pid int) time.Duration {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(data[strings.LastIndexByte(string(data), ')')+2:]))
	utime, _ := strconv.ParseInt(f[11], 10, 64)
	stime, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(utime+stime) * 10 * time.Millisecond // clock ticks of 10ms
}

type vanityStatsReply struct {
	HeapInuse int64       `json:"heap_inuse"`
	Keys      map[int]int `json:"keys"`
}

// vanityStats reads the server's /debug/stats.
func vanityStats(addr string) (*vanityStatsReply, error) {
	resp, err := http.Get("http://" + addr + "/debug/stats")
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var st vanityStatsReply
	return &st, json.NewDecoder(resp.Body).Decode(&st)
}

func redisDBSize(addr string) (int64, error) {
	wc, err := dial(addr)
	if err != nil {
		return 0, err
	}
	defer wc.nc.Close()
	wc.w.Write(appendCmd(nil, []byte("DBSIZE")))
	wc.w.Flush()
	line, err := readLine(wc.r)
	if err != nil || len(line) < 2 {
		return 0, fmt.Errorf("DBSIZE: %q %v", line, err)
	}
	return strconv.ParseInt(string(line[1:]), 10, 64)
}
