package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"time"
)

// cmdAB compares two builds, or one build under two environments, on the
// same workloads: -pairs pairs of runs, each run on servers started fresh
// for it (the single process, or with -nodes a cluster through
// scripts/cluster), A and B taking turns: A first in the odd pairs, B
// first in the even ones, so that a drift of the machine over the run
// (another tenant, a warming disk) weighs on both alike. What it reports
// is each pair's ratio B/A and how sure their spread lets one be: the
// median, the geometric mean, the range, how many pairs B won and the
// sign test's two-sided p-value (the chance of a split at least that
// uneven if neither build were faster). The servers' CPU per operation
// over the measured window, and each run's p50 latency, are compared the
// same way. Options of one build are compared through the environment: a
// cluster's routers and nodes read every flag from it too (-b-env
// VANITY_ROUTER_MAX_IN_FLIGHT=2, VANITY_NODE_PROCS=1); consistency levels
// through -a-consistency and -b-consistency (one build, QUORUM against
// SERIAL: issue 18's latency goal). The machines this
// runs on swing by a tenth or more from one run to the next, so a change
// of a few percent needs many pairs (docs/decisions.md, "Measuring").
func cmdAB(args []string) error {
	var o options
	fs := flag.NewFlagSet("ab", flag.ExitOnError)
	o.flags(fs)
	aBin := fs.String("a", "bin", "directory of build A's binaries")
	bBin := fs.String("b", "bin", "directory of build B's binaries")
	aEnv := fs.String("a-env", "", "environment of A's servers, NAME=value,... (over this one's; VANITY_ROUTER_<FLAG> and VANITY_NODE_<FLAG> set a cluster's flags)")
	bEnv := fs.String("b-env", "", "environment of B's servers, NAME=value,...")
	aLevels := fs.String("a-consistency", "", "A's clients' levels, read and write (\"QUORUM QUORUM\"; default -consistency)")
	bLevels := fs.String("b-consistency", "", "B's clients' levels (\"SERIAL SERIAL\"; default -consistency)")
	workloads := fs.String("workloads", "set,get", "comma-separated workloads, each measured in every pair")
	pairs := fs.Int("pairs", 6, "pairs of runs per workload")
	nodes := fs.Int("nodes", 0, "storage nodes of a cluster behind one router (0: the single process)")
	replicas := fs.Int("replicas", 3, "copies of each partition, with -nodes")
	out := fs.String("out", "", "directory to write the report to (default: print only)")
	label := fs.String("label", "ab", "the report's name after its date")
	fs.Parse(args)
	if *pairs < 1 || *nodes < 0 || *replicas < 1 {
		return fmt.Errorf("ab: -pairs %d -nodes %d -replicas %d: want at least one pair, no negative node count and at least one copy", *pairs, *nodes, *replicas)
	}
	if o.target != "vanity" && o.target != "vanity-resp" {
		return fmt.Errorf("ab: -target %q: compares Vanity builds (vanity or vanity-resp)", o.target)
	}
	if o.addr != "" {
		return errors.New("ab: starts its own servers for every run; -addr is not for it")
	}
	var sides [2]abSide
	for i, s := range []struct{ name, bin, env, levels string }{{"A", *aBin, *aEnv, *aLevels}, {"B", *bBin, *bEnv, *bLevels}} {
		bin, err := filepath.Abs(s.bin)
		if err != nil {
			return err
		}
		if s.levels == "" {
			s.levels = o.consistency
		}
		sides[i] = abSide{name: s.name, bin: bin, version: binVersion(filepath.Join(bin, "vanity")), levels: s.levels}
		if s.env != "" {
			sides[i].env = strings.Split(s.env, ",")
		}
	}
	var rows []abRow
	for _, w := range strings.Split(*workloads, ",") {
		oc := o
		oc.workload = w
		row := abRow{workload: w}
		for pair := range *pairs {
			for _, side := range abOrder(pair) {
				run, err := sides[side].measure(&oc, *nodes, *replicas)
				if err != nil {
					return fmt.Errorf("ab: %s, pair %d, %s: %w", w, pair+1, sides[side].name, err)
				}
				row.runs[side] = append(row.runs[side], run)
			}
			a, b := row.runs[0][pair], row.runs[1][pair]
			fmt.Printf("%-8s pair %d: A %9.0f ops/s %6.1f µs/op  B %9.0f ops/s %6.1f µs/op  B/A %.3f\n",
				w, pair+1, a.ops, a.cpu, b.ops, b.cpu, b.ops/a.ops)
		}
		rows = append(rows, row)
	}
	name := time.Now().UTC().Format("2006-01-02") + "-" + *label + ".md"
	if *out != "" {
		if err := os.MkdirAll(*out, 0o755); err != nil {
			return err
		}
		name = unusedName(filepath.Join(*out, name))
	}
	report := abReport(strings.TrimSuffix(filepath.Base(name), ".md"), &o, sides, *nodes, *replicas, rows)
	fmt.Print(report.summary)
	if *out == "" {
		return nil
	}
	if err := os.WriteFile(name, []byte(report.full), 0o644); err != nil {
		return err
	}
	fmt.Println("report:", name)
	return nil
}

// abSide is one of the two things compared: a directory of binaries, the
// environment its servers run with and its clients' consistency levels
// ("": the servers' default).
type abSide struct {
	name, bin, version string
	env                []string
	levels             string
}

// abRun is one run's throughput and its servers' CPU per operation in µs
// (all of them together: the single process, or the router and the
// nodes; NaN if the samples did not cover the window).
type abRun struct {
	ops, p50, cpu float64
}

// abRow is one workload's runs, A's and B's, pair by pair.
type abRow struct {
	workload string
	runs     [2][]abRun
}

// abOrder is the order of A (0) and B (1) in pair i (from 0): A first in
// the first pair, then B, in turn.
func abOrder(i int) [2]int {
	if i%2 == 0 {
		return [2]int{0, 1}
	}
	return [2]int{1, 0}
}

// measure starts s's servers, measures o against them and stops them.
func (s *abSide) measure(o *options, nodes, replicas int) (abRun, error) {
	var procs []proc
	oc := *o
	oc.consistency = s.levels
	if nodes == 0 {
		p, err := startVanityTarget(filepath.Join(s.bin, "vanity"), o.target, s.env)
		if err != nil {
			return abRun{}, err
		}
		defer p.stop()
		oc.addr, procs = p.addr, []proc{{name: "vanity", pid: p.cmd.Process.Pid}}
	} else {
		cl, err := startCluster(nodes, clusterPartitions, replicas, o.target == "vanity-resp", append([]string{"VANITY_CLUSTER_BIN=" + s.bin}, s.env...)...)
		if err != nil {
			return abRun{}, err
		}
		defer cl.down()
		oc.addr, procs = cl.routers[0], cl.procs("routers", "nodes")
	}
	r, cpu, err := measureCPU(&oc, procs)
	if err != nil {
		return abRun{}, err
	}
	if r.errors > 0 {
		return abRun{}, fmt.Errorf("%d errors in %d operations", r.errors, r.ops)
	}
	run := abRun{ops: r.throughput(), p50: float64(r.lat.quantile(0.5).Microseconds()), cpu: math.NaN()}
	if cpu != nil {
		run.cpu = 0
		for _, c := range cpu {
			run.cpu += c
		}
	}
	return run, nil
}

// abSummary is what a workload's pairs say of B against A.
type abSummary struct {
	n               int     // pairs with a ratio
	median, geomean float64 // of the ratios
	lo, hi          float64 // the least and greatest ratio
	wins, losses    int     // pairs whose ratio is above 1, below 1
	p               float64 // sign test, two-sided, over the pairs not tied
}

// summarize sums up ratios (B/A, one per pair; those that are no
// positive number, as when a side measured nothing, are left out).
func summarize(ratios []float64) abSummary {
	rs := slices.DeleteFunc(slices.Clone(ratios), func(r float64) bool { return math.IsNaN(r) || math.IsInf(r, 0) || r <= 0 })
	s := abSummary{n: len(rs), p: 1}
	if len(rs) == 0 {
		return s
	}
	slices.Sort(rs)
	if m := len(rs) / 2; len(rs)%2 == 1 {
		s.median = rs[m]
	} else {
		s.median = (rs[m-1] + rs[m]) / 2
	}
	logs := 0.0
	for _, r := range rs {
		logs += math.Log(r)
		switch {
		case r > 1:
			s.wins++
		case r < 1:
			s.losses++
		}
	}
	s.geomean = math.Exp(logs / float64(len(rs)))
	s.lo, s.hi = rs[0], rs[len(rs)-1]
	s.p = signTest(s.wins, s.wins+s.losses)
	return s
}

// signTest is the two-sided p-value of k successes in n fair coin tosses:
// the chance of a split at least as uneven as k against n-k.
func signTest(k, n int) float64 {
	if n == 0 {
		return 1
	}
	tail := min(k, n-k)
	p, c := 0.0, 1.0 // c is n choose i
	for i := 0; i <= tail; i++ {
		p += c
		c = c * float64(n-i) / float64(i+1)
	}
	return min(1, 2*p/math.Exp2(float64(n)))
}

// abText is the report: its summary (printed) and the whole of it.
type abText struct{ summary, full string }

// abReport writes the report called name on rows.
func abReport(name string, o *options, sides [2]abSide, nodes, replicas int, rows []abRow) abText {
	var sum, b strings.Builder
	for _, row := range rows {
		n := len(row.runs[0])
		ops, cpu, p50 := make([]float64, n), make([]float64, n), make([]float64, n)
		for i := range ops {
			a, bb := row.runs[0][i], row.runs[1][i]
			ops[i], cpu[i], p50[i] = bb.ops/a.ops, bb.cpu/a.cpu, bb.p50/a.p50
		}
		so, sc, sp := summarize(ops), summarize(cpu), summarize(p50)
		fmt.Fprintf(&sum, "%s: B/A throughput median %.3f (geometric mean %.3f, %.3f–%.3f), B faster in %d of %d pairs (sign test p = %.2f)",
			row.workload, so.median, so.geomean, so.lo, so.hi, so.wins, so.n, so.p)
		if sp.n > 0 {
			fmt.Fprintf(&sum, "; p50 B/A median %.3f (%.3f–%.3f)", sp.median, sp.lo, sp.hi)
		}
		if sc.n > 0 {
			fmt.Fprintf(&sum, "; servers' CPU per operation B/A median %.3f (%.3f–%.3f), B cheaper in %d of %d",
				sc.median, sc.lo, sc.hi, sc.losses, sc.n)
		}
		sum.WriteString("\n")
	}
	fmt.Fprintf(&b, "# A/B load test %s\n\n", name)
	fmt.Fprintf(&b, "Machine: %d cores (%s/%s), client and servers sharing them. Go %s.\n\n",
		runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	for _, s := range sides {
		env := "its environment"
		if len(s.env) > 0 {
			env = "`" + strings.Join(s.env, " ") + "`"
		}
		levels := "the servers' default levels"
		if s.levels != "" {
			levels = "levels " + s.levels
		}
		fmt.Fprintf(&b, "- %s: `%s` (%s), %s, %s\n", s.name, s.bin, s.version, env, levels)
	}
	servers := "the single process `vanity` (no persistence), started fresh for each run"
	if nodes > 0 {
		servers = fmt.Sprintf("%d `vanity-node` processes with %d copies of each partition and one `vanity-router` (`scripts/cluster up`), started fresh for each run", nodes, replicas)
	}
	fmt.Fprintf(&b, "\nServers: %s. Client: %d connections, %d in flight each, %d keys, %d-byte values; warm-up %v, %v measured. A first in odd pairs, B first in even ones.\n\n",
		servers, o.conns, o.depth, o.keys, o.value, o.warmup, o.duration)
	b.WriteString(sum.String())
	for _, row := range rows {
		fmt.Fprintf(&b, "\n## %s\n\n| pair | A ops/s | B ops/s | B/A | A p50 µs | B p50 µs | A CPU µs/op | B CPU µs/op |\n|---:|---:|---:|---:|---:|---:|---:|---:|\n", row.workload)
		for i := range row.runs[0] {
			a, bb := row.runs[0][i], row.runs[1][i]
			fmt.Fprintf(&b, "| %d | %.0f | %.0f | %.3f | %.0f | %.0f | %.1f | %.1f |\n", i+1, a.ops, bb.ops, bb.ops/a.ops, a.p50, bb.p50, a.cpu, bb.cpu)
		}
	}
	return abText{summary: sum.String(), full: b.String()}
}

// binVersion is what bin --version says, or why it said nothing.
func binVersion(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
	if err != nil {
		return "no version: " + err.Error()
	}
	return strings.TrimSpace(string(out))
}
