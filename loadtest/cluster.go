package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// cluster is a Vanity cluster started through scripts/cluster in a
// directory of its own; down stops exactly the processes it started.
type cluster struct {
	script, dir string
	env         []string
	routers     []string
	stopped     bool // down ran
}

// clusterPartitions is the partition count of a new cluster (the nodes'
// default, ring.DefaultPartitions, which this program does not import: it
// knows the servers only by their protocol and scripts).
const clusterPartitions = 256

// With resp, every router also listens for RESP, and routers holds those
// addresses. env sets more of scripts/cluster's variables (NAME=value),
// over the environment's.
func startCluster(nodes, partitions, replicas int, resp bool, env ...string) (*cluster, error) {
	dir, err := os.MkdirTemp("", "loadtest-cluster")
	if err != nil {
		return nil, err
	}
	c := &cluster{
		script: "scripts/cluster",
		dir:    dir,
		env: append(os.Environ(), "VANITY_CLUSTER_DIR="+dir, "VANITY_CLUSTER_FAST=1",
			"VANITY_CLUSTER_PARTITIONS="+strconv.Itoa(partitions), "VANITY_CLUSTER_REPLICAS="+strconv.Itoa(replicas)),
	}
	if resp {
		c.env = append(c.env, "VANITY_CLUSTER_RESP=1")
	}
	c.env = append(c.env, env...)
	lines, err := c.runLines("up", strconv.Itoa(nodes))
	if err != nil {
		c.down()
		return nil, err
	}
	addr := routerAddr(lines[len(lines)-1])
	if resp { // "resp ADDR" comes right before "router ADDR"
		if len(lines) < 2 || !strings.HasPrefix(lines[len(lines)-2], "resp ") {
			c.down()
			return nil, fmt.Errorf("scripts/cluster up printed no RESP address: %q", lines)
		}
		addr = strings.TrimPrefix(lines[len(lines)-2], "resp ")
	}
	c.routers = append(c.routers, addr)
	return c, nil
}

// run runs one scripts/cluster command and returns its output's last line.
func (c *cluster) run(args ...string) (string, error) {
	lines, err := c.runLines(args...)
	if err != nil {
		return "", err
	}
	return lines[len(lines)-1], nil
}

// runLines runs one scripts/cluster command and returns its output's lines.
func (c *cluster) runLines(args ...string) ([]string, error) {
	cmd := exec.Command(c.script, args...)
	cmd.Env = c.env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("scripts/cluster %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return strings.Split(strings.TrimSpace(out.String()), "\n"), nil
}

func routerAddr(line string) string { return strings.TrimPrefix(line, "router ") }

// nodesCPU returns the CPU time the cluster's storage nodes have used so
// far (their pid files, read now).
func (c *cluster) nodesCPU() time.Duration {
	var sum time.Duration
	for _, p := range c.procs("nodes") {
		sum += pidCPU(p.pid)
	}
	return sum
}

// down stops what the cluster started and removes its directory, once.
func (c *cluster) down() {
	if c.stopped {
		return
	}
	c.stopped = true
	if _, err := c.run("down"); err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
	}
	os.RemoveAll(c.dir)
}

// memberInfo is one member of a CLUSTER_INFO reply.
type memberInfo struct {
	name, role, state string
	served, owned     int64
}

func clusterInfo(cl *client.Client) (ring string, members []memberInfo, err error) {
	rep, err := cl.Do("CLUSTER_INFO")
	if err != nil {
		return "", nil, err
	}
	if rep.Status != proto.StatusOK || rep.Value.Type != proto.TypeArr || len(rep.Value.Elems) == 0 {
		return "", nil, fmt.Errorf("CLUSTER_INFO: %s", client.Format(rep))
	}
	for _, m := range rep.Value.Elems[1:] {
		if len(m.Elems) != 6 {
			return "", nil, fmt.Errorf("CLUSTER_INFO member: %s", client.Format(rep))
		}
		members = append(members, memberInfo{
			name: string(m.Elems[0].Str), role: string(m.Elems[1].Str), state: string(m.Elems[3].Str),
			served: m.Elems[4].Int, owned: m.Elems[5].Int,
		})
	}
	return string(rep.Value.Elems[0].Str), members, nil
}

// clusterRow compares one workload on the single process and the cluster.
type clusterRow struct {
	c               suiteCase
	single, cluster *result
	redisOne        *result // one redis-server, same workload (-redis)
	redis           *result // Redis Cluster, same workload (depth 1 rows, -redis-cluster)
	// procs are the load generator and the cluster's processes; cpu their
	// CPU per cluster operation in µs, in that order (nil: not measured);
	// singleCPU the single process's per operation of its row (0: not
	// measured)
	procs     []proc
	cpu       []float64
	singleCPU float64
	// rounds are the times the row was measured (-rounds), the servers
	// taking turns: single, cluster, redis above are each server's median
	// round, and ratios each round's cluster / redis-server throughput.
	rounds int
	ratios []float64
}

// rebalanceResult describes adding a node to a loaded cluster.
type rebalanceResult struct {
	keys, partitions, moved int
	fill                    time.Duration
	took                    time.Duration
	cpu                     time.Duration // the nodes' CPU time from the add to the end
	rate                    float64
	before, during          *result
	missing                 int
}

var clusterSuite = []suiteCase{
	{"GET c50", "get", 50, 1, 0, 0},
	{"SET c50", "set", 50, 1, 0, 0},
	{"GET c50 depth16", "get", 50, 16, 0, 0},
	{"SET c50 depth16", "set", 50, 16, 0, 0},
}

func cmdCluster(args []string) error {
	var o options
	fs := flag.NewFlagSet("cluster", flag.ExitOnError)
	o.flags(fs)
	nodes := fs.Int("nodes", 3, "storage nodes")
	partitions := fs.Int("partitions", clusterPartitions, "partitions")
	replicas := fs.Int("replicas", 3, "copies of each partition (QUORUM reads and writes when > 1)")
	rkeys := fs.Int("rebalance-keys", 1000000, "keys loaded before a node is added (0: skip)")
	rrate := fs.Float64("rebalance-rate", 5000, "open-loop ops/s (90% GET) kept up while rebalancing")
	out := fs.String("out", "", "write a report into this directory")
	only := fs.String("only", "", "comma-separated labels to run (default all; \"serial\" names the serial section)")
	withRedisOne := fs.Bool("redis", true, "also run every row on one redis-server")
	withRedis := fs.Bool("redis-cluster", false, "also run the depth-1 rows on a Redis Cluster of -nodes masters with -redis-replicas replicas each")
	redisReplicas := fs.Int("redis-replicas", -1, "replicas of each Redis master (default -replicas minus 1: as many copies as Vanity keeps)")
	serial := fs.Bool("serial", true, "with 3 or more copies and -target vanity, also compare SERIAL with QUORUM and measure locks")
	rounds := fs.Int("rounds", 1, "measure each row this many times, the servers taking turns, and report each one's median round "+
		"with every round's cluster / redis-server ratio (this machine's noise moves one run's ratio by a tenth)")
	fs.Parse(args)
	*rounds = max(*rounds, 1)
	if o.target != "vanity" && o.target != "vanity-resp" {
		return fmt.Errorf("cluster: -target is vanity or vanity-resp (clients speaking RESP to the routers), not %q", o.target)
	}
	if *redisReplicas < 0 {
		*redisReplicas = max(*replicas-1, 0)
	}
	for _, b := range []string{o.vanityBin, "bin/vanity-node", "bin/vanity-router"} {
		if _, err := os.Stat(b); err != nil {
			return fmt.Errorf("%s: %v (run make build)", b, err)
		}
	}
	var rows []clusterRow
	for _, sc := range clusterSuite {
		if *only != "" && !strings.Contains(","+*only+",", ","+sc.label+",") {
			continue
		}
		oc := o
		oc.workload, oc.conns, oc.depth, oc.pipe = sc.workload, sc.conns, sc.depth, sc.pipe
		row := clusterRow{c: sc, rounds: *rounds}
		var singles, clusters, redisOnes, redises []*result
		var cpus [][]float64
		var singleCPUs []float64
		for range *rounds {
			// The single process persists like the nodes do (WAL, everysec).
			single, err := startPersistent(&oc, oc.target, "everysec")
			if err != nil {
				return err
			}
			oc.addr = single.addr
			r, cpu, err := measureCPU(&oc, []proc{{name: "single", pid: single.cmd.Process.Pid}})
			single.stop()
			if err != nil {
				return fmt.Errorf("%s single: %w", sc.label, err)
			}
			singleCPU := 0.0 // not measured
			if cpu != nil {
				singleCPU = cpu[0]
			}
			singles, singleCPUs = append(singles, r), append(singleCPUs, singleCPU)
			cl, err := startCluster(*nodes, *partitions, *replicas, oc.target == "vanity-resp")
			if err != nil {
				return err
			}
			oc.addr = cl.routers[0]
			row.procs = append([]proc{{name: "client", pid: os.Getpid()}}, cl.procs("routers", "nodes")...)
			r, cpu, err = measureCPU(&oc, row.procs)
			cl.down()
			if err != nil {
				return fmt.Errorf("%s cluster: %w", sc.label, err)
			}
			clusters, cpus = append(clusters, r), append(cpus, cpu)
			if *withRedisOne {
				or := oc
				or.target, or.addr = "redis", ""
				r, err := measure(&or)
				if err != nil {
					return fmt.Errorf("%s redis: %w", sc.label, err)
				}
				redisOnes = append(redisOnes, r)
			}
			if *withRedis && sc.depth == 1 {
				rc, err := startRedisCluster(o.redisBin, *nodes, *redisReplicas)
				if err != nil {
					return err
				}
				w, _ := buildWorkload(&oc)
				var r *result
				if err = fillRedisCluster(rc, oc.keys, oc.value); err == nil {
					r, err = runRedisCluster(rc, w, oc.conns, oc.warmup, oc.duration)
				}
				rc.stop()
				if err != nil {
					return fmt.Errorf("%s redis cluster: %w", sc.label, err)
				}
				redises = append(redises, r)
			}
		}
		row.single, _, _ = median(singles, false)
		row.singleCPU = singleCPUs[slices.Index(singles, row.single)]
		row.cluster, _, _ = median(clusters, false)
		row.cpu = cpus[slices.Index(clusters, row.cluster)]
		if len(redisOnes) > 0 {
			row.redisOne, _, _ = median(redisOnes, false)
			row.ratios = pairRatios(clusters, redisOnes)
		}
		if len(redises) > 0 {
			row.redis, _, _ = median(redises, false)
		}
		for _, x := range []struct {
			name string
			r    *result
		}{{"single", row.single}, {fmt.Sprintf("%d nodes", *nodes), row.cluster}, {"redis", row.redisOne}, {"redis cl.", row.redis}} {
			if x.r == nil {
				continue
			}
			fmt.Printf("%-16s %-8s %9.0f ops/s  p50 %v p99 %v  errors %d\n", sc.label, x.name,
				x.r.throughput(), x.r.lat.quantile(0.5), x.r.lat.quantile(0.99), x.r.errors)
		}
		rows = append(rows, row)
	}
	var sr *serialResult
	if *serial && *replicas >= 3 && o.target == "vanity" && (*only == "" || strings.Contains(","+*only+",", ",serial,")) {
		var err error
		if sr, err = runSerial(&o, *nodes, *partitions, *replicas); err != nil {
			return fmt.Errorf("serial: %w", err)
		}
	}
	var rb *rebalanceResult
	if *rkeys > 0 {
		var err error
		rb, err = rebalance(&o, *nodes, *partitions, *replicas, *rkeys, *rrate)
		if err != nil {
			return fmt.Errorf("rebalance: %w", err)
		}
	}
	if *out != "" {
		return writeClusterReport(*out, &o, *nodes, *partitions, *replicas, *redisReplicas, rows, sr, rb)
	}
	return nil
}

// rebalance loads keys into a cluster of nodes, keeps an open-loop load
// running, adds a node and times until every node serves exactly what the
// ring gives it; then reads every key back.
func rebalance(o *options, nodes, partitions, replicas, keys int, rate float64) (*rebalanceResult, error) {
	cl, err := startCluster(nodes, partitions, replicas, false)
	if err != nil {
		return nil, err
	}
	defer cl.down()
	router := cl.routers[0]
	rb := &rebalanceResult{keys: keys, partitions: partitions, rate: rate}
	t0 := time.Now()
	if err := fillParallel(router, keys, o.value, 4); err != nil {
		return nil, err
	}
	rb.fill = time.Since(t0)
	fmt.Printf("rebalance: %d keys loaded in %v\n", keys, rb.fill.Round(time.Millisecond))
	w := &workload{name: "mixed", keys: keys, valueLen: o.value, ops: []op{opGet, opSet}, readPct: 90}
	rb.before, err = runOpen(router, vanityProto{}, w, 20, rate, time.Second, 5*time.Second)
	if err != nil {
		return nil, err
	}
	admin, err := client.Dial(router, client.Options{Username: "vanity", Password: "vanity"})
	if err != nil {
		return nil, err
	}
	defer admin.Close()

	stop := make(chan struct{})
	var during *result
	var loadErr error
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		during, loadErr = runOpenUntil(router, vanityProto{}, w, 20, rate, 0, 10*time.Minute, stop)
	}()
	start, cpu0 := time.Now(), cl.nodesCPU()
	added, err := cl.run("add")
	if err != nil {
		close(stop)
		wg.Wait()
		return nil, err
	}
	newName := "node-" + added
	for {
		_, members, err := clusterInfo(admin)
		if err != nil {
			close(stop)
			wg.Wait()
			return nil, err
		}
		done, seen := true, false
		for _, m := range members {
			if m.role != "node" {
				continue
			}
			if m.name == newName {
				seen = m.owned > 0
				rb.moved = int(m.owned)
			}
			if m.served != m.owned {
				done = false
			}
		}
		if seen && done {
			break
		}
		if time.Since(start) > 10*time.Minute {
			close(stop)
			wg.Wait()
			return nil, fmt.Errorf("not rebalanced after 10 minutes: %+v", members)
		}
		time.Sleep(20 * time.Millisecond) // polling CLUSTER_INFO, as an operator would
	}
	rb.took, rb.cpu = time.Since(start), cl.nodesCPU()-cpu0
	close(stop)
	wg.Wait()
	if loadErr != nil {
		return nil, loadErr
	}
	rb.during = during
	fmt.Printf("rebalance: %d of %d partitions moved to %s in %v (nodes' CPU %v); errors %d/%d\n", rb.moved, partitions, newName,
		rb.took.Round(time.Millisecond), rb.cpu.Round(10*time.Millisecond), rb.before.errors, rb.during.errors)
	for _, x := range []struct {
		name string
		r    *result
	}{{"before", rb.before}, {"during", rb.during}} {
		fmt.Printf("rebalance: latency %s: p50 %v p90 %v p99 %v p99.9 %v max %v\n", x.name, x.r.lat.quantile(0.5),
			x.r.lat.quantile(0.9), x.r.lat.quantile(0.99), x.r.lat.quantile(0.999), time.Duration(x.r.lat.max))
	}
	rb.missing, err = countMissing(router, keys)
	if err != nil {
		return nil, err
	}
	fmt.Printf("rebalance: %d of %d keys missing afterwards\n", rb.missing, keys)
	return rb, nil
}

// fillParallel writes keys 0..n-1 over conns connections.
func fillParallel(addr string, n, valueLen, conns int) error {
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	for c := 0; c < conns; c++ {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			errs <- pipelined(addr, c*n/conns, (c+1)*n/conns, func(dst, key []byte) []byte {
				return vanityProto{}.appendOp(dst, opSet, key, bytes.Repeat([]byte{'v'}, valueLen))
			}, func(reply []byte) error {
				if string(reply) != "OK" {
					return fmt.Errorf("fill: %q", reply)
				}
				return nil
			})
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// countMissing reads every key back and counts the absent ones.
func countMissing(addr string, n int) (int, error) {
	missing := 0
	err := pipelined(addr, 0, n, func(dst, key []byte) []byte {
		return vanityProto{}.appendOp(dst, opGet, key, nil)
	}, func(reply []byte) error {
		switch {
		case bytes.HasPrefix(reply, []byte("OK:STR ")):
		case string(reply) == "NULL":
			missing++
		default:
			return fmt.Errorf("GET: %q", reply)
		}
		return nil
	})
	return missing, err
}

// pipelined sends one request per key in [from, to), 256 at a time, and
// hands each reply to check.
func pipelined(addr string, from, to int, req func(dst, key []byte) []byte, check func([]byte) error) error {
	wc, err := dial(addr)
	if err != nil {
		return err
	}
	defer wc.nc.Close()
	if err := (vanityProto{}).login(wc); err != nil {
		return err
	}
	var buf, key []byte
	const batch = 256
	for i := from; i < to; i += batch {
		buf = buf[:0]
		n := 0
		for j := i; j < min(to, i+batch); j++ {
			key = keyName(key[:0], j)
			buf = appendFrame(vanityProto{}, buf, func(b []byte) []byte { return req(b, key) })
			n++
		}
		if _, err := wc.w.Write(buf); err != nil {
			return err
		}
		if err := wc.w.Flush(); err != nil {
			return err
		}
		for k := 0; k < n; k++ {
			reply, err := readVanityFrame(wc.r)
			if err != nil {
				return err
			}
			if err := check(reply); err != nil {
				return err
			}
		}
	}
	return nil
}

// unusedName returns name, or name with "-2", "-3", ... before its
// extension if a file of that name exists: a second run of one commit on
// one day does not overwrite the first's report.
func unusedName(name string) string {
	base, ext := strings.TrimSuffix(name, filepath.Ext(name)), filepath.Ext(name)
	for i := 2; ; i++ {
		if _, err := os.Stat(name); errors.Is(err, fs.ErrNotExist) {
			return name
		}
		name = fmt.Sprintf("%s-%d%s", base, i, ext)
	}
}

func writeClusterReport(dir string, o *options, nodes, partitions, replicas, redisReplicas int, rows []clusterRow, sr *serialResult, rb *rebalanceResult) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	name := filepath.Join(dir, time.Now().UTC().Format("2006-01-02")+"-"+gitCommit()+"-cluster.md")
	if replicas > 1 {
		name = strings.TrimSuffix(name, ".md") + fmt.Sprintf("-n%d.md", replicas)
	}
	if o.target == "vanity-resp" {
		name = strings.TrimSuffix(name, ".md") + "-resp.md"
	}
	if len(rows) == 0 && sr != nil {
		name = strings.TrimSuffix(name, ".md") + "-serial.md"
	}
	name = unusedName(name)
	var b strings.Builder
	tput := (*result).throughput
	fmt.Fprintf(&b, "# Cluster load test %s\n\n", filepath.Base(strings.TrimSuffix(name, ".md")))
	fmt.Fprintf(&b, "Machine: %d cores (%s/%s), every process (client, router, nodes) sharing them. Go %s.\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	copies := "one copy each"
	if replicas > 1 {
		copies = fmt.Sprintf("%d copies each, QUORUM reads and writes", replicas)
	}
	fmt.Fprintf(&b, "Single process: `vanity` with its WAL (fsync everysec). Cluster: %d `vanity-node` processes "+
		"(WAL, fsync everysec, %d partitions, %s) and one `vanity-router`, started by `scripts/cluster up %d`; "+
		"the client talks to the router. %d keys, %d-byte values, uniform keys, warm-up %v, %v measured per row, "+
		"closed loop, fresh servers for each row.\n\n", nodes, partitions, copies, nodes, o.keys, o.value, o.warmup, o.duration)
	if o.target == "vanity-resp" {
		b.WriteString("Vanity rows through RESP: the client speaks Redis's protocol to the single process's and the routers' " +
			"`--resp-port` (the same client as for redis-server).\n\n")
	}
	if len(rows) > 0 {
		b.WriteString("| workload | single ops/s | cluster ops/s | ratio | redis-server ops/s | cluster / redis | single p50 | single p99 | cluster p50 | cluster p99 | errors |\n")
		b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, r := range rows {
			redisTput, redisRatio := "", ""
			if r.redisOne != nil {
				redisTput = fmt.Sprintf("%.0f", tput(r.redisOne))
				redisRatio = fmt.Sprintf("%.2f", tput(r.cluster)/tput(r.redisOne))
			}
			fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %s | %s | %v | %v | %v | %v | %d/%d |\n", r.c.label,
				tput(r.single), tput(r.cluster), tput(r.cluster)/tput(r.single), redisTput, redisRatio,
				r.single.lat.quantile(0.5), r.single.lat.quantile(0.99),
				r.cluster.lat.quantile(0.5), r.cluster.lat.quantile(0.99), r.single.errors, r.cluster.errors)
		}
		var redisRows []clusterRow
		for _, r := range rows {
			if r.redis != nil {
				redisRows = append(redisRows, r)
			}
		}
		if len(redisRows) > 0 {
			fmt.Fprintf(&b, "\nSide by side in the same run, a Redis Cluster of %d masters with %d replica(s) each "+
				"(redis-server from Debian, `redis-cli --cluster create`; the client sends each command to its key's master; "+
				"Redis replicates asynchronously, so its writes are acknowledged by the master alone):\n\n", nodes, redisReplicas)
			b.WriteString("| workload | vanity cluster ops/s | redis cluster ops/s | ratio | vanity p99 | redis p50 | redis p99 |\n")
			b.WriteString("|---|---:|---:|---:|---:|---:|---:|\n")
			for _, r := range redisRows {
				fmt.Fprintf(&b, "| %s | %.0f | %.0f | %.2f | %v | %v | %v |\n", r.c.label, tput(r.cluster), tput(r.redis),
					tput(r.cluster)/tput(r.redis), r.cluster.lat.quantile(0.99), r.redis.lat.quantile(0.5), r.redis.lat.quantile(0.99))
			}
		}
	}
	writeRounds(&b, rows)
	writeCPUTable(&b, rows)
	if sr != nil {
		writeSerialReport(&b, sr)
	}
	if rb != nil {
		fmt.Fprintf(&b, "\n## Rebalancing onto a new node\n\n"+
			"%d keys of %d bytes loaded through the router (4 connections, pipelined: %v). "+
			"An open-loop load of %.0f ops/s (90%% GET, 10%% SET over the same keys, 20 connections) runs "+
			"before and while `scripts/cluster add` starts a node; the rebalance is timed from the add "+
			"until CLUSTER_INFO shows every node serving exactly the partitions the ring gives it.\n\n",
			rb.keys, o.value, rb.fill.Round(time.Millisecond), rb.rate)
		fmt.Fprintf(&b, "| | value |\n|---|---:|\n")
		fmt.Fprintf(&b, "| partitions moved to the new node | %d of %d (about %d keys) |\n", rb.moved, rb.partitions,
			rb.keys*rb.moved/rb.partitions)
		fmt.Fprintf(&b, "| time to rebalance | %v |\n", rb.took.Round(time.Millisecond))
		fmt.Fprintf(&b, "| storage nodes' CPU time meanwhile (all nodes, load included) | %v |\n", rb.cpu.Round(10*time.Millisecond))
		fmt.Fprintf(&b, "| load before: p50 / p99 / max | %v / %v / %v |\n", rb.before.lat.quantile(0.5),
			rb.before.lat.quantile(0.99), time.Duration(rb.before.lat.max))
		fmt.Fprintf(&b, "| load during: p50 / p99 / max | %v / %v / %v |\n", rb.during.lat.quantile(0.5),
			rb.during.lat.quantile(0.99), time.Duration(rb.during.lat.max))
		fmt.Fprintf(&b, "| error replies before / during | %d / %d |\n", rb.before.errors, rb.during.errors)
		fmt.Fprintf(&b, "| keys missing when read back afterwards | %d |\n", rb.missing)
	}
	if err := os.WriteFile(name, []byte(b.String()), 0o644); err != nil {
		return err
	}
	fmt.Println("report:", name)
	return nil
}

// writeRounds writes, for rows measured more than once (-rounds), each
// round's cluster / redis-server ratio: the goals are ratios, and on this
// machine one run's moves by a tenth.
func writeRounds(b *strings.Builder, rows []clusterRow) {
	var many []clusterRow
	for _, r := range rows {
		if r.rounds > 1 && len(r.ratios) > 0 {
			many = append(many, r)
		}
	}
	if len(many) == 0 {
		return
	}
	fmt.Fprintf(b, "\nEach row was measured %d times, the single process, the cluster and redis-server taking turns; "+
		"the tables show each one's median round. The cluster / redis-server ratio of each round, and their median:\n\n",
		many[0].rounds)
	b.WriteString("| workload | ratio in each round | median |\n|---|---|---:|\n")
	for _, r := range many {
		each := make([]string, len(r.ratios))
		for i, x := range r.ratios {
			each[i] = fmt.Sprintf("%.2f", x)
		}
		sorted := slices.Clone(r.ratios)
		slices.Sort(sorted)
		fmt.Fprintf(b, "| %s | %s | %.2f |\n", r.c.label, strings.Join(each, ", "), sorted[len(sorted)/2])
	}
}

// writeCPUTable writes where each cluster row's CPU went, per process.
func writeCPUTable(b *strings.Builder, rows []clusterRow) {
	var procs []proc
	for _, r := range rows {
		if r.cpu != nil {
			procs = r.procs
			break
		}
	}
	if procs == nil {
		return
	}
	b.WriteString("\nWhere the CPU went: each process's CPU time over the row's measured window " +
		"(read from /proc every 50 ms and interpolated at the window's ends) divided by the row's operations, in µs " +
		"per operation; the single process's server in its row, then the cluster's row. The client is this load " +
		"generator.\n\n| workload | single process |")
	for _, p := range procs {
		fmt.Fprintf(b, " %s |", p.name)
	}
	b.WriteString(" cluster total |\n|---|")
	b.WriteString(strings.Repeat("---:|", len(procs)+2))
	b.WriteString("\n")
	for _, r := range rows {
		if len(r.cpu) != len(procs) {
			continue
		}
		single := ""
		if r.singleCPU > 0 {
			single = fmt.Sprintf("%.1f", r.singleCPU)
		}
		fmt.Fprintf(b, "| %s | %s |", r.c.label, single)
		writeCPUCells(b, r.cpu)
	}
}

// writeCPUCells ends a table row with each process's CPU per operation
// and their total.
func writeCPUCells(b *strings.Builder, cpu []float64) {
	total := 0.0
	for _, v := range cpu {
		fmt.Fprintf(b, " %.1f |", v)
		total += v
	}
	fmt.Fprintf(b, " %.1f |\n", total)
}

// resentOutcomes sums, over the cluster's nodes that answer, what became
// of the serial writes the router sent again, by outcome
// (vanity_node_serial_resent_total).
func (c *cluster) resentOutcomes() map[string]int64 {
	out := map[string]int64{}
	files, _ := filepath.Glob(filepath.Join(c.dir, "nodes", "*", "debug"))
	hc := &http.Client{Timeout: 2 * time.Second}
	for _, f := range files {
		raw, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		resp, err := hc.Get("http://" + strings.TrimSpace(string(raw)) + "/metrics")
		if err != nil {
			continue // a node that is down
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		fams, err := parser.TextToMetricFamilies(resp.Body)
		resp.Body.Close()
		if err != nil {
			continue
		}
		for _, m := range fams["vanity_node_serial_resent_total"].GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "outcome" {
					out[l.GetValue()] += int64(m.GetCounter().GetValue())
				}
			}
		}
	}
	return out
}
