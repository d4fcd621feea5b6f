// Command loadtest measures Vanity and Redis under the same workloads, side
// by side, and writes reports.
//
//	loadtest run   -target=vanity|redis [-addr=HOST:PORT] -workload=get ...
//	loadtest suite [-duration=5s] [-memory] [-out=loadtest/reports]
//	loadtest memory [-keys=1000000]
//	loadtest pubsub [-subs=100] [-pubs=2] [-depth=16]
//	loadtest tx     [-conns=50]
//	loadtest expiry [-keys=1000000] [-ttl=3s]
//	loadtest durability [-restart-keys=1000000]
//	loadtest cluster [-nodes=3] [-rebalance-keys=1000000] [-out=DIR]
//	loadtest chaos -addr=ROUTER [-workers=8] [-duration=30s]   (see scripts/chaos)
//	loadtest failover [-fault=kill|stop] [-conns=16] [-out=DIR]
//	loadtest ab -a=DIR -b=DIR [-a-env=K=V,...] [-nodes=3] [-pairs=6] [-workloads=set,get]
//
// Without -addr, run starts the server itself (bin/vanity, or redis-server
// from Debian's package) on a free loopback port and stops it afterwards.
// Workloads: get, set, mixed (-read=90), incr, list (push/pop), sadd, hset.
// Closed loop: -conns connections with -depth requests in flight each
// (-pipe=N sends Vanity PIPE batches of N, and N pipelined commands to
// Redis). Open loop: -rate=OPS, latency measured from each request's
// intended send time. cluster's report also gives, per row, each
// process's CPU per operation over the measured window (cpu.go): the
// load generator, the router and every node, and the single process.
// ab compares two builds (or two environments of one) in pairs of runs on
// fresh servers, taking turns, and says how sure the pairs' spread lets
// one be (ab.go).
package main

import (
	"cmp"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

type options struct {
	target, addr, workload          string
	consistency                     string // the Vanity session's levels ("SERIAL SERIAL"; "": the default)
	conns, depth, pipe, keys, value int
	read                            int
	zipf                            bool
	rate                            float64
	warmup, duration                time.Duration
	vanityBin, redisBin             string
	heapProfile                     string // memory: where to write vanity's heap profile
	client                          string // closed loop: "loop", "loop-plain" or "goroutines"
}

func (o *options) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.target, "target", "vanity", "vanity, vanity-resp (Vanity's RESP listener) or redis")
	fs.StringVar(&o.addr, "addr", "", "server address (default: start one)")
	fs.StringVar(&o.workload, "workload", "get", "get, set, mixed, incr, list, sadd, hset")
	fs.StringVar(&o.consistency, "consistency", "", "Vanity's levels for every connection, read and write (\"SERIAL SERIAL\"); default the server's")
	fs.IntVar(&o.conns, "conns", 50, "connections")
	fs.IntVar(&o.depth, "depth", 1, "requests in flight per connection (closed loop)")
	fs.IntVar(&o.pipe, "pipe", 0, "operations per PIPE batch (0: none)")
	fs.IntVar(&o.keys, "keys", 100000, "key space")
	fs.IntVar(&o.value, "value", 100, "value size in bytes")
	fs.IntVar(&o.read, "read", 90, "percentage of reads for -workload=mixed")
	fs.BoolVar(&o.zipf, "zipf", false, "zipfian key distribution (default uniform)")
	fs.Float64Var(&o.rate, "rate", 0, "open loop: total operations per second (0: closed loop)")
	fs.DurationVar(&o.warmup, "warmup", time.Second, "warm-up before measuring")
	fs.DurationVar(&o.duration, "duration", 5*time.Second, "measured duration")
	fs.StringVar(&o.vanityBin, "vanity-bin", "bin/vanity", "vanity binary")
	fs.StringVar(&o.redisBin, "redis-bin", "redis-server", "redis-server binary")
	fs.StringVar(&o.client, "client", "loop", "closed loop: one event loop drives every connection, reading (and writing) all ready ones in one io_uring call (loop) or a system call each (loop-plain), or a goroutine drives each (goroutines)")
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: loadtest run|suite|memory|pubsub|tx|expiry|durability|cluster|chaos|failover|locks|ab [flags]")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "run":
		err = cmdRun(os.Args[2:])
	case "suite":
		err = cmdSuite(os.Args[2:])
	case "memory":
		err = cmdMemory(os.Args[2:])
	case "pubsub":
		err = cmdPubSub(os.Args[2:])
	case "tx":
		err = cmdTx(os.Args[2:])
	case "expiry":
		err = cmdExpiry(os.Args[2:])
	case "durability":
		err = cmdDurability(os.Args[2:])
	case "cluster":
		err = cmdCluster(os.Args[2:])
	case "failover":
		err = cmdFailover(os.Args[2:])
	case "chaos":
		err = cmdChaos(os.Args[2:])
	case "locks":
		err = cmdLocks(os.Args[2:])
	case "ab":
		err = cmdAB(os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(1)
	}
}

func buildWorkload(o *options) (*workload, error) {
	w := &workload{name: o.workload, keys: o.keys, zipf: o.zipf, valueLen: o.value, pipe: o.pipe}
	switch o.workload {
	case "get":
		w.ops = []op{opGet}
	case "set":
		w.ops = []op{opSet}
	case "mixed":
		w.ops, w.readPct = []op{opGet, opSet}, o.read
	case "incr":
		w.ops = []op{opIncr}
	case "list":
		w.ops = []op{opPush, opPop}
	case "sadd":
		w.ops = []op{opSAdd}
	case "hset":
		w.ops = []op{opHSet}
	default:
		return nil, fmt.Errorf("unknown workload %q", o.workload)
	}
	return w, nil
}

func protoFor(target string) (protocol, error) {
	switch target {
	case "vanity":
		return vanityProto{}, nil
	case "redis":
		return redisProto{}, nil
	case "vanity-resp":
		return vanityRESP{}, nil
	}
	return nil, fmt.Errorf("unknown target %q", target)
}

func startTarget(o *options) (*process, error) {
	if o.target == "redis" {
		return startRedis(o.redisBin)
	}
	return startVanityTarget(o.vanityBin, o.target, nil)
}

// startVanityTarget starts bin for target (vanity, or vanity-resp: its
// RESP listener is the address measured), with env over this process's
// environment.
func startVanityTarget(bin, target string, env []string) (*process, error) {
	if target == "vanity-resp" {
		return startVanityWith(bin, env, "--resp-port=0")
	}
	return startVanityWith(bin, env)
}

// measure runs one workload against one target.
func measure(o *options) (*result, error) {
	w, err := buildWorkload(o)
	if err != nil {
		return nil, err
	}
	p, err := protoFor(o.target)
	if err != nil {
		return nil, err
	}
	if vp, ok := p.(vanityProto); ok && o.consistency != "" {
		vp.levels = o.consistency
		p = vp
	}
	addr := o.addr
	if addr == "" {
		proc, err := startTarget(o)
		if err != nil {
			return nil, err
		}
		defer proc.stop()
		addr = proc.addr
	}
	if o.workload == "get" || o.workload == "mixed" {
		if err := fill(addr, p, o.keys, o.value); err != nil {
			return nil, err
		}
	}
	if o.rate > 0 {
		return runOpen(addr, p, w, o.conns, o.rate, o.warmup, o.duration)
	}
	switch o.client {
	case "goroutines":
		return runClosed(addr, p, w, o.conns, o.depth, o.warmup, o.duration)
	case "loop", "loop-plain":
		return runClosedLoop(addr, p, w, o.conns, o.depth, o.warmup, o.duration, o.client == "loop")
	}
	return nil, fmt.Errorf("loadtest: -client=%q: want loop, loop-plain or goroutines", o.client)
}

func cmdRun(args []string) error {
	var o options
	fs := flag.NewFlagSet("run", flag.ExitOnError)
	o.flags(fs)
	fs.Parse(args)
	r, err := measure(&o)
	if err != nil {
		return err
	}
	fmt.Printf("%s %s conns=%d depth=%d pipe=%d: %.0f ops/s, p50 %v p90 %v p99 %v p99.9 %v max %v, %d errors\n",
		o.target, o.workload, o.conns, o.depth, o.pipe, r.throughput(),
		r.lat.quantile(0.5), r.lat.quantile(0.9), r.lat.quantile(0.99), r.lat.quantile(0.999),
		time.Duration(r.lat.max), r.errors)
	return nil
}

// suiteCase is one row of the standard suite.
type suiteCase struct {
	label              string
	workload           string
	conns, depth, pipe int
	rate               float64 // open loop at this total rate (0: closed loop)
}

var standardSuite = []suiteCase{
	{"GET c50", "get", 50, 1, 0, 0},
	{"SET c50", "set", 50, 1, 0, 0},
	{"mixed 90/10 c50", "mixed", 50, 1, 0, 0},
	{"INCR c50", "incr", 50, 1, 0, 0},
	{"list push/pop c50", "list", 50, 1, 0, 0},
	{"set add c50", "sadd", 50, 1, 0, 0},
	{"hash update c50", "hset", 50, 1, 0, 0},
	{"GET c50 depth16", "get", 50, 16, 0, 0},
	{"SET c50 depth16", "set", 50, 16, 0, 0},
	{"GET c50 pipe16", "get", 50, 1, 16, 0},
	{"SET c50 pipe16", "set", 50, 1, 16, 0},
	// Latency at one load both servers carry, not at each one's own
	// saturation (where a closed loop's latency is its throughput's
	// inverse, by Little's law).
	{"GET c50 open 40K/s", "get", 50, 1, 0, 40000},
	{"SET c50 open 40K/s", "set", 50, 1, 0, 40000},
}

// row is one suite case's result: for each server the median of its
// rounds (by throughput; by p99 for an open loop, whose throughput is set),
// and the range of the rounds' throughput.
type row struct {
	c                  suiteCase
	vanity, redis      *result
	vanityLo, vanityHi float64
	redisLo, redisHi   float64
	pairs              []float64 // vanity/redis throughput of each round, in turn
}

// pairRatios returns, round by round, vanity's throughput over Redis's in
// the round taken just after it: a slow spell of the machine tends to
// fall on both halves of a pair, so these vary less than the medians'
// ratio when the machine is noisy.
func pairRatios(vanity, redis []*result) []float64 {
	var out []float64
	for i := range min(len(vanity), len(redis)) {
		out = append(out, vanity[i].throughput()/redis[i].throughput())
	}
	return out
}

// median returns the middle round and the range of their throughput.
func median(rounds []*result, open bool) (*result, float64, float64) {
	key := func(r *result) float64 {
		if open {
			return float64(r.lat.quantile(0.99))
		}
		return r.throughput()
	}
	sorted := slices.Clone(rounds)
	slices.SortFunc(sorted, func(a, b *result) int { return cmp.Compare(key(a), key(b)) })
	lo, hi := math.Inf(1), 0.0
	for _, r := range rounds {
		lo, hi = min(lo, r.throughput()), max(hi, r.throughput())
	}
	return sorted[len(sorted)/2], lo, hi
}

func cmdSuite(args []string) error {
	var o options
	fs := flag.NewFlagSet("suite", flag.ExitOnError)
	o.flags(fs)
	out := fs.String("out", "loadtest/reports", "report directory")
	only := fs.String("only", "", "comma-separated labels to run (default all)")
	memory := fs.Bool("memory", false, "also compare memory for 1M keys (-memory-keys)")
	memKeys := fs.Int("memory-keys", 1000000, "keys for -memory")
	rounds := fs.Int("rounds", 5, "rounds per server and case, taken in turn (the report shows the median)")
	fs.Set("duration", "3s")
	fs.Parse(args)
	var rows []row
	for _, c := range standardSuite {
		if *only != "" && !strings.Contains(","+*only+",", ","+c.label+",") {
			continue
		}
		// The servers take turns, round after round, so that a slow
		// spell of this noisy machine falls on both.
		byTarget := map[string][]*result{}
		for range max(1, *rounds) {
			for _, target := range []string{"vanity", "redis"} {
				oc := o
				oc.target, oc.workload, oc.conns, oc.depth, oc.pipe, oc.rate = target, c.workload, c.conns, c.depth, c.pipe, c.rate
				r, err := measure(&oc)
				if err != nil {
					return fmt.Errorf("%s on %s: %w", c.label, target, err)
				}
				byTarget[target] = append(byTarget[target], r)
				fmt.Printf("%-20s %-7s %10.0f ops/s  p99 %v\n", c.label, target, r.throughput(), r.lat.quantile(0.99))
			}
		}
		rw := row{c: c}
		rw.vanity, rw.vanityLo, rw.vanityHi = median(byTarget["vanity"], c.rate > 0)
		rw.redis, rw.redisLo, rw.redisHi = median(byTarget["redis"], c.rate > 0)
		if c.rate == 0 {
			rw.pairs = pairRatios(byTarget["vanity"], byTarget["redis"])
		}
		rows = append(rows, rw)
	}
	var mem *memResult
	if *memory {
		om := o
		om.keys = *memKeys
		var err error
		if mem, err = measureMemory(&om); err != nil {
			return fmt.Errorf("memory: %w", err)
		}
		printMemory(mem)
	}
	return writeReport(*out, &o, *rounds, rows, mem)
}

// memResult compares resident memory for N string keys.
type memResult struct {
	keys                  int
	valueLen              int
	vanityRSS, redisRSS   int64
	vanityBase, redisBase int64
	redisUsed             int64
}

func cmdMemory(args []string) error {
	var o options
	fs := flag.NewFlagSet("memory", flag.ExitOnError)
	o.flags(fs)
	out := fs.String("out", "", "also write the result into a report in this directory")
	profile := fs.String("heap-profile", "", "write vanity's heap profile after the fill to this file (go tool pprof)")
	fs.Set("keys", "1000000")
	fs.Parse(args)
	o.heapProfile = *profile
	m, err := measureMemory(&o)
	if err != nil {
		return err
	}
	printMemory(m)
	if *out != "" {
		return writeReport(*out, &o, 0, nil, m)
	}
	return nil
}

func measureMemory(o *options) (*memResult, error) {
	m := &memResult{keys: o.keys, valueLen: o.value}
	var extra []string
	var debugAddr string
	if o.heapProfile != "" {
		port, err := freePort()
		if err != nil {
			return nil, err
		}
		debugAddr = fmt.Sprintf("127.0.0.1:%d", port)
		extra = append(extra, "--debug-addr="+debugAddr)
	}
	v, err := startVanity(o.vanityBin, extra...)
	if err != nil {
		return nil, err
	}
	defer v.stop()
	m.vanityBase = v.rss()
	if err := fill(v.addr, vanityProto{}, o.keys, o.value); err != nil {
		return nil, err
	}
	m.vanityRSS = v.rss()
	if debugAddr != "" {
		if err := saveHeapProfile(debugAddr, o.heapProfile); err != nil {
			return nil, err
		}
		if resp, err := http.Get("http://" + debugAddr + "/debug/stats"); err == nil {
			stats, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			fmt.Printf("vanity heap after the fill (and the profile's collection): %s", stats)
		}
	}
	r, err := startRedis(o.redisBin)
	if err != nil {
		return nil, err
	}
	defer r.stop()
	m.redisBase = r.rss()
	if err := fill(r.addr, redisProto{}, o.keys, o.value); err != nil {
		return nil, err
	}
	m.redisRSS = r.rss()
	m.redisUsed, _ = redisInfo(r.addr, "used_memory")
	return m, nil
}

func printMemory(m *memResult) {
	per := func(rss, base int64) float64 { return float64(rss-base) / float64(m.keys) }
	fmt.Printf("%d keys of %d bytes: vanity RSS %.1f MiB (%.0f B/key), redis RSS %.1f MiB (%.0f B/key), redis used_memory %.1f MiB\n",
		m.keys, m.valueLen, float64(m.vanityRSS)/(1<<20), per(m.vanityRSS, m.vanityBase),
		float64(m.redisRSS)/(1<<20), per(m.redisRSS, m.redisBase), float64(m.redisUsed)/(1<<20))
}

// gitCommit returns the short commit hash of the working tree, if any.
func gitCommit() string {
	out, err := exec.Command("git", "rev-parse", "--short", "HEAD").Output()
	if err != nil {
		return "nocommit"
	}
	return strings.TrimSpace(string(out))
}

func redisVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(out))
}

func writeReport(dir string, o *options, rounds int, rows []row, mem *memResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	base := time.Now().UTC().Format("2006-01-02") + "-" + gitCommit()
	md := filepath.Join(dir, base+".md")
	svg := filepath.Join(dir, base+".svg")
	var b strings.Builder
	fmt.Fprintf(&b, "# Load test %s\n\n", base)
	fmt.Fprintf(&b, "Machine: %d cores (%s/%s), client and server sharing them. Go %s. %s.\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version(), redisVersion(o.redisBin))
	fmt.Fprintf(&b, "Settings: %d keys, %d-byte values, %s keys, warm-up %v, %v measured per round, %d rounds per"+
		" server taken in turn (vanity, redis, vanity, ...), the median round shown (by throughput; by p99 for an open"+
		" loop) with the rounds' throughput range and, for a closed loop, the ratio of each round to the redis round"+
		" after it; both servers without persistence, started fresh for each round;"+
		" closed loop unless the row says open (a fixed total rate, latency from each request's intended send time);"+
		" closed-loop client: %s.\n\n",
		o.keys, o.value, map[bool]string{false: "uniform", true: "zipfian"}[o.zipf], o.warmup, o.duration, rounds,
		map[string]string{"loop": "one event loop on one thread drives every connection, reading the ready ones in one io_uring call and writing in another",
			"loop-plain": "one event loop on one thread drives every connection, a system call per read and write",
			"goroutines": "a goroutine per connection"}[o.client])
	if len(rows) > 0 {
		b.WriteString("| workload | vanity ops/s | redis ops/s | ratio | ratio per round | vanity range | redis range | vanity p50 | vanity p99 | vanity p99.9 | redis p50 | redis p99 | redis p99.9 |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		k := func(v float64) string { return fmt.Sprintf("%.0fK", v/1000) }
		for _, r := range rows {
			vt, rt := r.vanity.throughput(), r.redis.throughput()
			pairs := make([]string, len(r.pairs))
			for i, x := range r.pairs {
				pairs[i] = fmt.Sprintf("%.2f", x)
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %s | %s–%s | %s–%s | %v | %v | %v | %v | %v | %v |\n", r.c.label, vt, rt, vt/rt,
				strings.Join(pairs, " "), k(r.vanityLo), k(r.vanityHi), k(r.redisLo), k(r.redisHi),
				r.vanity.lat.quantile(0.5), r.vanity.lat.quantile(0.99), r.vanity.lat.quantile(0.999),
				r.redis.lat.quantile(0.5), r.redis.lat.quantile(0.99), r.redis.lat.quantile(0.999))
		}
		fmt.Fprintf(&b, "\n![throughput and p99](%s)\n\n", filepath.Base(svg))
		if err := os.WriteFile(svg, []byte(chart(rows)), 0o644); err != nil {
			return err
		}
		b.WriteString("Latency is per request (a PIPE batch is one request); errors: ")
		var errs []string
		for _, r := range rows {
			if r.vanity.errors+r.redis.errors > 0 {
				errs = append(errs, fmt.Sprintf("%s %d/%d", r.c.label, r.vanity.errors, r.redis.errors))
			}
		}
		if len(errs) == 0 {
			b.WriteString("none.\n")
		} else {
			b.WriteString(strings.Join(errs, ", ") + ".\n")
		}
	}
	if mem != nil {
		per := func(rss, base int64) float64 { return float64(rss-base) / float64(mem.keys) }
		fmt.Fprintf(&b, "\n## Memory\n\n%d string keys of %d bytes, written through the protocol:\n\n", mem.keys, mem.valueLen)
		b.WriteString("| server | RSS | bytes/key (RSS growth) |\n|---|---:|---:|\n")
		fmt.Fprintf(&b, "| vanity | %.1f MiB | %.0f |\n", float64(mem.vanityRSS)/(1<<20), per(mem.vanityRSS, mem.vanityBase))
		fmt.Fprintf(&b, "| redis | %.1f MiB | %.0f |\n", float64(mem.redisRSS)/(1<<20), per(mem.redisRSS, mem.redisBase))
		fmt.Fprintf(&b, "\nredis used_memory: %.1f MiB (%.0f bytes/key).\n", float64(mem.redisUsed)/(1<<20), float64(mem.redisUsed)/float64(mem.keys))
	}
	if err := os.WriteFile(md, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Println("report:", md)
	return nil
}

// chart draws throughput and p99 per workload as grouped bars.
func chart(rows []row) string {
	const w, rowH, left, barMax = 900, 34, 170, 300
	h := 60 + rowH*len(rows)
	var maxT, maxP float64
	for _, r := range rows {
		maxT = max(maxT, r.vanity.throughput(), r.redis.throughput())
		maxP = max(maxP, float64(r.vanity.lat.quantile(0.99)), float64(r.redis.lat.quantile(0.99)))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif" font-size="11">`, w, h)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="white"/>`, w, h)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="13">throughput (ops/s)</text>`, left)
	fmt.Fprintf(&b, `<text x="%d" y="20" font-size="13">p99 latency</text>`, left+barMax+90)
	fmt.Fprintf(&b, `<rect x="%d" y="30" width="10" height="10" fill="#c0392b"/><text x="%d" y="39">vanity</text>`, w-150, w-136)
	fmt.Fprintf(&b, `<rect x="%d" y="30" width="10" height="10" fill="#7f8c8d"/><text x="%d" y="39">redis</text>`, w-80, w-66)
	for i, r := range rows {
		y := 50 + i*rowH
		fmt.Fprintf(&b, `<text x="5" y="%d">%s</text>`, y+16, r.c.label)
		for k, res := range []*result{r.vanity, r.redis} {
			color := []string{"#c0392b", "#7f8c8d"}[k]
			t := res.throughput()
			bw := t / maxT * barMax
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="12" fill="%s"/>`, left, y+k*13, bw, color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%.0f</text>`, float64(left)+bw+3, y+k*13+10, t)
			p := float64(res.lat.quantile(0.99))
			pw := p / maxP * (barMax - 60)
			fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="12" fill="%s"/>`, left+barMax+90, y+k*13, pw, color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%d">%v</text>`, float64(left+barMax+90)+pw+3, y+k*13+10, time.Duration(p).Round(time.Microsecond))
		}
	}
	b.WriteString("</svg>\n")
	return b.String()
}

// saveHeapProfile fetches a server's heap profile (after a collection:
// gc=1, so it shows what is live) into file.
func saveHeapProfile(debugAddr, file string) error {
	resp, err := http.Get("http://" + debugAddr + "/debug/pprof/heap?gc=1")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	f, err := os.Create(file)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
