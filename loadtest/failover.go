package main

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// loadtest failover: a closed-loop QUORUM load of SETs and GETs through a
// router while one storage node is killed (or paused, then resumed), and
// the replies counted second by second. Issue 14's goal: 0 failed reads,
// no second with fewer than half the usual replies, failed writes only
// for those in flight at the fault.

// failoverSecond is one second of a failover run.
type failoverSecond struct {
	ok, failedReads, failedWrites int
}

// failoverResult is a failover run, second by second.
type failoverResult struct {
	fault   string
	at      int // the second the fault began
	seconds []failoverSecond
	slowest time.Duration
	errs    map[string]int // failed replies, by text (node addresses cut off)
	// resent is what became of the writes the router sent again on the
	// serial path, by outcome (the nodes' vanity_node_serial_resent_total
	// after the run; a killed node's are not counted).
	resent map[string]int64
}

// usual is the mean replies a second before the fault, leaving out the
// first second (connections warming up).
func (r *failoverResult) usual() float64 {
	sum, n := 0, 0
	for s := 1; s < r.at && s < len(r.seconds); s++ {
		sum += r.seconds[s].ok
		n++
	}
	if n == 0 {
		return 0
	}
	return float64(sum) / float64(n)
}

// lowest is the second from the fault on with the fewest replies, and
// its share of the usual.
func (r *failoverResult) lowest() (second int, share float64) {
	second = -1
	for s := r.at; s < len(r.seconds); s++ {
		if second < 0 || r.seconds[s].ok < r.seconds[second].ok {
			second = s
		}
	}
	if second < 0 || r.usual() == 0 {
		return second, 0
	}
	return second, float64(r.seconds[second].ok) / r.usual()
}

// failed sums the failed reads and writes of every second.
func (r *failoverResult) failed() (reads, writes int) {
	for _, s := range r.seconds {
		reads += s.failedReads
		writes += s.failedWrites
	}
	return reads, writes
}

func cmdFailover(args []string) error {
	fs := flag.NewFlagSet("failover", flag.ExitOnError)
	nodes := fs.Int("nodes", 3, "storage nodes")
	replicas := fs.Int("replicas", 3, "copies of each partition")
	conns := fs.Int("conns", 16, "client connections")
	keys := fs.Int("keys", 1000, "key space")
	reads := fs.Int("read", 50, "percentage of GETs (the rest SETs)")
	duration := fs.Duration("duration", 12*time.Second, "measured time")
	at := fs.Duration("at", 3*time.Second, "when node 2 fails (whole seconds)")
	fault := fs.String("fault", "kill", "kill (SIGKILL) or stop (SIGSTOP, then SIGCONT after -for)")
	pause := fs.Duration("for", 6*time.Second, "how long a stopped node stays stopped")
	serial := fs.Bool("serial", false, "SERIAL reads and writes instead of QUORUM")
	out := fs.String("out", "", "write a report into this directory")
	fs.Parse(args)
	if *fault != "kill" && *fault != "stop" {
		return fmt.Errorf("failover: -fault is kill or stop, not %q", *fault)
	}
	if *at < time.Second || *at >= *duration || *at%time.Second != 0 {
		return fmt.Errorf("failover: -at is whole seconds, at least 1 s and before -duration")
	}
	cl, err := startCluster(*nodes, 1024, *replicas, false)
	if err != nil {
		return err
	}
	defer cl.down()
	level := proto.ConsQuorum
	if *serial {
		level = proto.ConsSerial
	}
	r, err := runFailover(cl, *conns, *keys, *reads, level, *duration, *at, *fault, *pause)
	if err != nil {
		return err
	}
	fmt.Print(failoverTable(r))
	if *out == "" {
		return nil
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	name := filepath.Join(*out, time.Now().UTC().Format("2006-01-02")+"-"+gitCommit()+"-failover-"+*fault+".md")
	if *serial {
		name = strings.TrimSuffix(name, ".md") + "-serial.md"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Failover load test %s\n\n", filepath.Base(strings.TrimSuffix(name, ".md")))
	fmt.Fprintf(&b, "Machine: %d cores (%s/%s), every process sharing them. Go %s.\n\n", runtime.NumCPU(), runtime.GOOS,
		runtime.GOARCH, runtime.Version())
	what := "killed (SIGKILL)"
	if *fault == "stop" {
		what = fmt.Sprintf("stopped (SIGSTOP) for %v", *pause)
	}
	fmt.Fprintf(&b, "%d `vanity-node` processes (%d copies of each of %d partitions, fsync everysec) and one "+
		"`vanity-router` from `scripts/cluster up`; %d client connections in a closed loop, each a GET (%d%%) or a SET "+
		"of one of %d keys at %s; node 2 %s at second %d.\n\n", *nodes, *replicas, clusterPartitions, *conns, *reads, *keys, level, what, r.at)
	b.WriteString(failoverTable(r))
	return os.WriteFile(name, []byte(b.String()), 0o644)
}

// runFailover drives the load on cl's router and fails node 2 at at.
func runFailover(cl *cluster, conns, keys, reads int, level proto.Consistency, d, at time.Duration, fault string, pause time.Duration) (*failoverResult, error) {
	nodes := cl.procs("nodes")
	if len(nodes) < 2 {
		return nil, fmt.Errorf("failover: %d nodes; node 2 fails", len(nodes))
	}
	victim := nodes[1].pid
	r := &failoverResult{fault: fault, at: int(at / time.Second), seconds: make([]failoverSecond, int((d+time.Second-1)/time.Second)),
		errs: map[string]int{}}
	var clients []*client.Client
	defer func() {
		for _, c := range clients {
			c.Close()
		}
	}()
	for range conns {
		c, err := client.Dial(cl.routers[0], client.Options{ReadLevel: level, WriteLevel: level})
		if err != nil {
			return nil, err
		}
		clients = append(clients, c)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	start := time.Now()
	value := strings.Repeat("v", 100)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			for {
				key := "k" + strconv.Itoa(rng.IntN(keys))
				read := rng.IntN(100) < reads
				t0 := time.Now()
				var rep client.Reply
				var err error
				if read {
					rep, err = c.Get(key)
				} else {
					rep, err = c.Set(key, value)
				}
				took := time.Since(t0)
				s := int(time.Since(start) / time.Second)
				if s >= len(r.seconds) {
					return
				}
				mu.Lock()
				if err != nil {
					r.errs["connection: "+err.Error()]++
					mu.Unlock()
					return
				}
				r.slowest = max(r.slowest, took)
				switch {
				case rep.Status == proto.StatusOK || rep.Status == proto.StatusNull:
					r.seconds[s].ok++
				case read:
					r.seconds[s].failedReads++
					r.errs["GET: "+client.Format(rep)]++
				default:
					r.seconds[s].failedWrites++
					r.errs["SET: "+client.Format(rep)]++
				}
				mu.Unlock()
			}
		}()
	}
	time.Sleep(time.Until(start.Add(at))) // the fault's moment in the load, not a synchronisation
	var ferr error
	switch fault {
	case "kill":
		_, ferr = cl.run("kill", "2")
	case "stop":
		if ferr = syscall.Kill(victim, syscall.SIGSTOP); ferr == nil {
			time.Sleep(pause)
			ferr = syscall.Kill(victim, syscall.SIGCONT)
		}
	}
	wg.Wait()
	r.resent = cl.resentOutcomes()
	return r, ferr
}

// failoverTable is a run's replies second by second and its summary.
func failoverTable(r *failoverResult) string {
	var b strings.Builder
	b.WriteString("| second | replies | failed reads | failed writes |\n|---:|---:|---:|---:|\n")
	for s, x := range r.seconds {
		mark := ""
		if s == r.at {
			mark = " (fault)"
		}
		fmt.Fprintf(&b, "| %d%s | %d | %d | %d |\n", s, mark, x.ok, x.failedReads, x.failedWrites)
	}
	low, share := r.lowest()
	fr, fw := r.failed()
	fmt.Fprintf(&b, "\nUsual (seconds 1 to %d): %.0f replies a second. Lowest from the fault on: second %d, %.2f of the usual "+
		"(goal: at least 0.5). Failed reads %d (goal 0), failed writes %d. Slowest command %v.\n",
		r.at-1, r.usual(), low, share, fr, fw, r.slowest.Round(time.Millisecond))
	for text, n := range r.errs {
		fmt.Fprintf(&b, "- %d× %s\n", n, text)
	}
	if n := r.resent["answered"] + r.resent["ran"] + r.resent["not_confirmed"] + r.resent["failed"]; n > 0 {
		fmt.Fprintf(&b, "\nWrites the router sent again after losing their first sending (docs/serial.md, \"Settling a write "+
			"sent again\"): %d; answered from the key's record %d, run (the record showed no sending had) %d, not "+
			"confirmed %d, failed otherwise %d.\n", n, r.resent["answered"], r.resent["ran"], r.resent["not_confirmed"], r.resent["failed"])
	}
	return b.String()
}
