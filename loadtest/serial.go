package main

import (
	"fmt"
	"os"
	"strings"
	"time"
)

// serialKeys is the key space of the serial comparison: an uncontended
// serial write on a key this proposer wrote last goes straight to Accept
// (docs/serial.md, "Standing promises"), so the comparison's keys are
// few enough that a run rewrites them, as a steady load would.
const serialKeys = 10000

// serialRow compares one workload at QUORUM and at SERIAL on one cluster.
type serialRow struct {
	label          string
	quorum, serial *result
	// quorumCPU and serialCPU: the CPU per operation in µs of each of the
	// section's procs (nil: not measured)
	quorumCPU, serialCPU []float64
}

// lockRow is one lock load: its connections and what they measured.
type lockRow struct {
	conns int
	res   *lockResult
}

// serialResult is the serial path's section of a cluster run: the
// pipeline issue's sibling goals (issue "Coordination you can trust").
type serialResult struct {
	procs []proc // the load generator and the cluster's processes
	rows  []serialRow
	// locks holds the lock takings at the rows' connections, then at
	// twice as many: a taking waits for fsyncs more than for CPU, so more
	// connections share each one.
	locks []lockRow
	conns int
	d     time.Duration
	// durable holds QUORUM SETs on a second cluster whose nodes fsync
	// every write (--fsync=always), at the rows' connections in order:
	// the serial path syncs its votes whatever the policy, so these
	// compare two writes that are both on disk when acknowledged.
	durable []durableRow
}

// durableRow is a QUORUM SET measured with every node at --fsync=always.
type durableRow struct {
	label string // the serial row it stands beside ("SET c50")
	r     *result
}

// serialLoad is one row's load: a workload at some connections.
type serialLoad struct {
	name  string
	conns int
}

// options returns o set to run l against the router at addr, at the
// consistency levels level, one request in flight per connection, over
// the section's keys.
func (l serialLoad) options(o *options, addr, level string) options {
	oc := *o
	oc.addr, oc.workload, oc.depth, oc.pipe, oc.keys, oc.consistency = addr, l.name, 1, 0, serialKeys, level
	oc.conns = l.conns
	return oc
}

// runSerial measures, on one fresh cluster, SET and GET at QUORUM and then
// at SERIAL over the same keys (QUORUM first: a QUORUM write to a key an
// acceptor promised for goes on the serial path), then lock takings; and
// then SET at QUORUM on a second cluster that fsyncs every write
// (runDurableQuorum).
func runSerial(o *options, nodes, partitions, replicas int) (*serialResult, error) {
	cl, err := startCluster(nodes, partitions, replicas, false)
	if err != nil {
		return nil, err
	}
	defer cl.down()
	res := &serialResult{conns: o.conns, d: o.duration, procs: append([]proc{{name: "client", pid: os.Getpid()}}, cl.procs("routers", "nodes")...)}
	// Each workload at the run's connections, then at one: a closed
	// loop's p50 at many connections is about its connections over its
	// throughput, so there the p50 ratio follows the throughput ratio; at
	// one connection it is a command's own latency, without queueing.
	var loads []serialLoad
	for _, conns := range []int{o.conns, 1} {
		for _, w := range []string{"set", "get"} {
			loads = append(loads, serialLoad{w, conns})
			res.rows = append(res.rows, serialRow{label: strings.ToUpper(w) + fmt.Sprintf(" c%d", conns)})
		}
		if o.conns == 1 {
			break
		}
	}
	for _, level := range []string{"QUORUM QUORUM", "SERIAL SERIAL"} {
		for i, w := range loads {
			oc := w.options(o, cl.routers[0], level)
			r, cpu, err := measureCPU(&oc, res.procs)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", level, res.rows[i].label, err)
			}
			fmt.Printf("%-16s %-8s %9.0f ops/s  p50 %v p99 %v  errors %d\n", res.rows[i].label, strings.Fields(level)[0],
				r.throughput(), r.lat.quantile(0.5), r.lat.quantile(0.99), r.errors)
			if level == "QUORUM QUORUM" {
				res.rows[i].quorum, res.rows[i].quorumCPU = r, cpu
			} else {
				res.rows[i].serial, res.rows[i].serialCPU = r, cpu
			}
		}
	}
	for _, conns := range []int{o.conns, 2 * o.conns} {
		l, err := locksLoop(cl.routers[0], lockLoad{conns: conns, locks: 1000, lease: 10 * time.Second, warmup: o.warmup, d: o.duration})
		if err != nil {
			return nil, fmt.Errorf("locks at %d connections: %w", conns, err)
		}
		res.locks = append(res.locks, lockRow{conns, l})
		fmt.Printf("%-16s %9.0f takings/s  acquire p50 %v  errors %d\n", fmt.Sprintf("locks c%d", conns),
			float64(l.takings)/o.duration.Seconds(), l.acquire.quantile(0.5), l.errors)
	}
	cl.down()
	if res.durable, err = runDurableQuorum(o, nodes, partitions, replicas, loads); err != nil {
		return nil, err
	}
	return res, nil
}

// runDurableQuorum measures the SET workloads of loads at QUORUM on a
// fresh cluster whose nodes fsync every write.
func runDurableQuorum(o *options, nodes, partitions, replicas int, loads []serialLoad) ([]durableRow, error) {
	cl, err := startCluster(nodes, partitions, replicas, false, "VANITY_CLUSTER_FSYNC=always")
	if err != nil {
		return nil, err
	}
	defer cl.down()
	var rows []durableRow
	for _, w := range loads {
		if w.name != "set" {
			continue
		}
		oc := w.options(o, cl.routers[0], "QUORUM QUORUM")
		r, err := measure(&oc)
		if err != nil {
			return nil, fmt.Errorf("durable QUORUM SET c%d: %w", w.conns, err)
		}
		label := fmt.Sprintf("SET c%d", w.conns)
		fmt.Printf("%-16s %-8s %9.0f ops/s  p50 %v p99 %v  errors %d\n", label, "durable", r.throughput(),
			r.lat.quantile(0.5), r.lat.quantile(0.99), r.errors)
		rows = append(rows, durableRow{label: label, r: r})
	}
	return rows, nil
}

// writeSerialReport appends the serial section to a cluster report.
func writeSerialReport(b *strings.Builder, s *serialResult) {
	tput := (*result).throughput
	fmt.Fprintf(b, "\n## The serial path\n\n"+
		"One fresh cluster as above; %d keys (a serial write on a key its proposer wrote last takes one round "+
		"trip, docs/serial.md), %d connections, then one; each workload at QUORUM, then the same at SERIAL (`CONSISTENCY SERIAL SERIAL`). "+
		"Goals: SERIAL writes at least 0.3x QUORUM writes' throughput with p50 at most 2x, a SERIAL read's p50 at most 1.5x a QUORUM read's. "+
		"A closed loop's p50 at %d connections is about %d over its throughput, so there the p50 ratio follows the throughput ratio; "+
		"at one connection it is one command's latency, without queueing.\n\n",
		serialKeys, s.conns, s.conns, s.conns)
	b.WriteString("| workload | QUORUM ops/s | SERIAL ops/s | ratio | QUORUM p50 | SERIAL p50 | p50 ratio | SERIAL p99 | errors |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range s.rows {
		q50, s50 := r.quorum.lat.quantile(0.5), r.serial.lat.quantile(0.5)
		fmt.Fprintf(b, "| %s | %.0f | %.0f | %.2f | %v | %v | %.2f | %v | %d/%d |\n", r.label, tput(r.quorum), tput(r.serial),
			tput(r.serial)/tput(r.quorum), q50, s50, float64(s50)/float64(q50), r.serial.lat.quantile(0.99),
			r.quorum.errors, r.serial.errors)
	}
	writeDurable(b, s)
	writeSerialCPU(b, s)
	writeLocks(b, s)
}

// writeLocks reports the lock takings at each connection count.
func writeLocks(b *strings.Builder, s *serialResult) {
	secs := s.d.Seconds()
	b.WriteString("\nLocks (`loadtest locks`: each connection takes one of 1,000 locks with `LOCK_ACQUIRE` and gives it back " +
		"with `LOCK_RELEASE`; goal: 10K acquires and releases a second), at the rows' connections and at twice as many " +
		"(a taking waits on its votes' fsyncs more than on CPU, so more connections share each fsync):\n\n" +
		"| connections | takings/s | operations/s | acquire p50 | acquire p99 | release p50 | release p99 | found held | errors |\n" +
		"|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	for _, r := range s.locks {
		l := r.res
		fmt.Fprintf(b, "| %d | %.0f | %.0f | %v | %v | %v | %v | %d | %d |\n", r.conns, float64(l.takings)/secs,
			2*float64(l.takings)/secs, l.acquire.quantile(0.5), l.acquire.quantile(0.99),
			l.release.quantile(0.5), l.release.quantile(0.99), l.busy, l.errors)
	}
}

// writeDurable compares the SERIAL SET rows with QUORUM SETs on a
// cluster that fsyncs every write (serialResult.durable).
func writeDurable(b *strings.Builder, s *serialResult) {
	if len(s.durable) == 0 {
		return
	}
	tput := (*result).throughput
	b.WriteString("\nBeside durable writes: QUORUM SET on a second fresh cluster whose nodes run `--fsync=always`. " +
		"A serial write's votes are on disk before they are counted whatever `--fsync` says (docs/serial.md, P3), " +
		"while a QUORUM write under `everysec` waits for no fsync; here both wait for theirs. Not one of the issue's " +
		"goals: it shows what the consensus costs over the fsync.\n\n" +
		"| workload | durable QUORUM ops/s | SERIAL ops/s | ratio | durable QUORUM p50 | SERIAL p50 | p50 ratio |\n" +
		"|---|---:|---:|---:|---:|---:|---:|\n")
	for _, d := range s.durable {
		for _, r := range s.rows {
			if r.label != d.label || r.serial == nil {
				continue
			}
			q50, s50 := d.r.lat.quantile(0.5), r.serial.lat.quantile(0.5)
			fmt.Fprintf(b, "| %s | %.0f | %.0f | %.2f | %v | %v | %.2f |\n", d.label, tput(d.r), tput(r.serial),
				tput(r.serial)/tput(d.r), q50, s50, float64(s50)/float64(q50))
		}
	}
}

// writeSerialCPU writes each row's CPU per operation at both levels.
func writeSerialCPU(b *strings.Builder, s *serialResult) {
	b.WriteString("\nCPU per operation in µs at each level (each process's CPU over the measured window divided by the " +
		"operations; the client is this load generator):\n\n| workload | level |")
	for _, p := range s.procs {
		fmt.Fprintf(b, " %s |", p.name)
	}
	b.WriteString(" total |\n|---|---|" + strings.Repeat("---:|", len(s.procs)+1) + "\n")
	for _, r := range s.rows {
		for _, l := range []struct {
			name string
			cpu  []float64
		}{{"QUORUM", r.quorumCPU}, {"SERIAL", r.serialCPU}} {
			if len(l.cpu) != len(s.procs) {
				continue
			}
			fmt.Fprintf(b, "| %s | %s |", r.label, l.name)
			writeCPUCells(b, l.cpu)
		}
	}
}
