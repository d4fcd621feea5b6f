// Command vanity-node runs a Vanity storage node: it holds partitions of
// the keyspace, serves routers over the internal RPC, gossips its
// membership, and takes over the partitions the ring assigns it.
//
// SIGTERM or SIGINT makes it leave the cluster gracefully: it announces its
// departure, waits until every partition it holds has moved to another
// node (up to --leave-timeout), writes a snapshot and exits.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vanitydb/vanity/internal/debughttp"
	"github.com/vanitydb/vanity/internal/flagenv"
	"github.com/vanitydb/vanity/internal/gctune"
	"github.com/vanitydb/vanity/internal/logfile"
	"github.com/vanitydb/vanity/internal/sched"
	"github.com/vanitydb/vanity/internal/secret"
	"github.com/vanitydb/vanity/internal/sysmem"
	"github.com/vanitydb/vanity/internal/tlsconf"
	"github.com/vanitydb/vanity/internal/version"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/ring/gossip"

	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage/wal"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vanity-node:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "remove" {
		return remove(args[1:])
	}
	if len(args) > 0 && args[0] == "leave" {
		return leave(args[1:])
	}
	fs := flag.NewFlagSet("vanity-node", flag.ContinueOnError)
	name := fs.String("name", "", "node name, unique in the cluster (default: the host name and RPC port)")
	dataDir := fs.String("data-dir", "", "directory for the snapshot, WAL and held-partition set (required)")
	rpcAddr := fs.String("rpc", "127.0.0.1:9956", "internal RPC address")
	gossipAddr := fs.String("gossip", "127.0.0.1:7946", "gossip address")
	join := fs.String("join", "", "comma-separated gossip addresses of members to join (the same list on every node works)")
	joinTimeout := fs.Duration("join-timeout", 2*time.Minute, "keep trying to reach a member of --join this long (peers may start later)")
	partitions := fs.Int("partitions", ring.DefaultPartitions, "partition count (fixed when the cluster is created)")
	replicas := fs.Int("replicas", ring.DefaultReplicas, "copies of each partition (quorum reads and writes when more than 1; the same on every member)")
	secrets := secret.AddFlags(fs)
	rpcTLSFlags := tlsconf.AddRPCFlags(fs)
	fsync := fs.String("fsync", "everysec", "WAL fsync policy: always, everysec or no (votes on the serial path, SERIAL and conditional commands, are fsynced before they leave whatever the policy)")
	walRepair := fs.Bool("wal-repair", false, "cut a damaged write-ahead log at the damage and start (what follows is lost here; the other replicas' copies come back by catch-up and anti-entropy, but serial-path promises and votes in the lost part are forgotten: a SERIAL write under way at the damage may then be lost or ordered wrongly)")
	snapshotEvery := fs.Duration("snapshot-interval", 10*time.Minute, "automatic snapshot period (0: none by time; a snapshot is also written whenever the WAL has grown past --snapshot-log and twice the last snapshot)")
	snapshotLog := fs.Int("snapshot-log", 64, "MiB the write-ahead log may grow past the last snapshot before the next (0: none by size)")
	reap := fs.Duration("reap-timeout", 24*time.Hour, "remove a failed node from the ring after this long")
	leaveTimeout := fs.Duration("leave-timeout", time.Minute, "how long a leave (vanity-node leave) waits for hand-offs")
	maxTransfers := fs.Int("max-transfers", 2, "partitions moving into this node at once")
	transferRate := fs.Int("transfer-rate", 64, "MiB per second of partition data moving into this node (0: unlimited)")
	antiEntropy := fs.Duration("anti-entropy", 5*time.Minute, "compare every partition with a peer replica once per this period (0: never)")
	grace := fs.Duration("tombstone-grace", 0, "forget deletions after this long; longer than --reap-timeout (default: twice it)")
	maxHints := fs.Int64("max-hints", 256, "MiB of hints kept for replicas that are away (0: none)")
	standing := fs.Int("standing-promises", node.DefaultStandingPromises, "keys whose standing promise this node keeps as a serial proposer: their next SERIAL write takes one round trip instead of two (0: none)")
	rpcLoops := fs.Int("rpc-loops", -1, "event loops reading the RPC connections and running their calls (-1: one per core but one; 0: a goroutine per connection)")
	keepStale := fs.Bool("keep-stale-data", false, "start on data older than the reap timeout (only after the whole cluster was down)")
	fast := fs.Bool("fast-gossip", false, "LAN-local gossip timings (tests on one machine)")
	logFile := fs.String("log-file", "", "log file (default stderr)")
	logLevel := fs.String("log-level", "info", "debug, info, warning or error")
	logFormat := fs.String("log-format", "text", "log records as "+logfile.Formats+" lines")
	debugAddr := fs.String("debug-addr", debughttp.DefaultNode, `serve /metrics, /health, /ready, /debug/pprof/ and /debug/stats over HTTP on this loopback address (they answer anyone who reaches them; "off": none; a default address already taken is skipped)`)
	debugPublic := fs.Bool("debug-public", false, "allow --debug-addr on an address other machines reach")
	showVersion := fs.Bool("version", false, "print the version and exit")
	procs := fs.Int("procs", 0, "cores this node runs on at once (GOMAXPROCS; 0: the Go runtime's choice: $GOMAXPROCS, else the cgroup's CPU limit, else every core); nodes sharing a machine run cheaper with a share each")
	schedPolicy := sched.Flag(fs, sched.Batch)
	gcHeadroom := gctune.Flag(fs)
	maxMemoryFlag := fs.String("max-memory", sysmem.DefaultShare, sysmem.FlagUsage)
	config := flagenv.ConfigFlag(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println(version.String("vanity-node"))
		return nil
	}
	if err := flagenv.Load(fs, "VANITY_NODE_", config); err != nil {
		return err
	}
	if *dataDir == "" {
		return fmt.Errorf("--data-dir is required")
	}
	if *procs < 0 {
		return fmt.Errorf("--procs %d: give a count of cores, or 0 for the runtime's choice", *procs)
	}
	if *procs > 0 {
		runtime.GOMAXPROCS(*procs)
	}
	snapshotLogBytes, err := node.SnapshotLogBytes(*snapshotLog)
	if err != nil {
		return err
	}
	headroom, err := gctune.Bytes(*gcHeadroom)
	if err != nil {
		return err
	}
	memTotal := sysmem.Total()
	maxMemory, err := sysmem.ParseLimit(*maxMemoryFlag, memTotal)
	if err != nil {
		return fmt.Errorf("invalid --max-memory %w", err)
	}
	defer gctune.Start(headroom).Stop()
	key, err := secrets.Resolve(*rpcAddr, *gossipAddr)
	if err != nil {
		return err
	}
	rpcTLS, err := rpcTLSFlags.Load()
	if err != nil {
		return err
	}
	*debugAddr = debughttp.Addr(*debugAddr)
	if err := secret.DebugAddr(*debugAddr, *debugPublic); err != nil {
		return err
	}
	policy, err := wal.ParsePolicy(*fsync)
	if err != nil {
		return err
	}
	if *name == "" {
		host, _ := os.Hostname()
		*name = host + "-" + strings.ReplaceAll(*rpcAddr, ":", "-")
	}
	log, closeLog, err := logfile.Open(*logFile, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	defer closeLog()
	if err := os.MkdirAll(*dataDir, 0o700); err != nil {
		return err
	}
	if err := sched.Apply(*schedPolicy); err != nil {
		log.Warn("running with the scheduling policy the process started with", "asked", schedPolicy.String(), "err", err)
	}
	if key == nil {
		log.Warn("no cluster secret (--insecure): gossip and RPC accept anyone on this host")
	}
	snap := filepath.Join(*dataDir, "vanity.db")
	var joins []string
	if *join != "" {
		joins = strings.Split(*join, ",")
	}
	left := make(chan struct{}) // closed once an operator's leave has handed everything off
	storage := debughttp.NewStorageMetrics()
	svc, err := node.StartService(node.ServiceConfig{
		Node: node.Config{Partitions: *partitions, SnapshotPath: snap, WALDir: node.WALPath(snap), Fsync: policy, SnapshotEvery: *snapshotEvery, SnapshotLogBytes: snapshotLogBytes, WALRepair: *walRepair,
			HeldPath: filepath.Join(*dataDir, "held"), OnSync: storage.OnSync, OnAppend: storage.OnAppend, OnSnapshot: storage.OnSnapshot,
			MaxMemory: maxMemory, LiveHeap: gctune.LiveHeap},
		Name: *name, RPCAddr: *rpcAddr, GossipAddr: *gossipAddr, Join: joins, JoinTimeout: *joinTimeout, Secret: key, LeaveTimeout: *leaveTimeout, OnLeft: func() { close(left) },
		RPCServerTLS: rpcTLS.ServerConfig(), RPCClientTLS: rpcTLS.ClientConfig(),
		Replicas: *replicas, ReapTimeout: *reap, Fast: *fast, Logger: log,
		MaxTransfers: *maxTransfers, TransferRate: transferBytes(*transferRate),
		AntiEntropy: orNegative(*antiEntropy), TombstoneGrace: *grace, MaxHints: orNegative(*maxHints << 20),
		StandingPromises: orNegative(*standing),
		KeepStaleData:    *keepStale,
		RPCLoops:         rpcLoopCount(*rpcLoops),
	})
	if err != nil {
		return err
	}
	gctune.SoftLimit(maxMemory, os.Getenv) // once the data is in
	if w := sysmem.Warning(maxMemory, memTotal); w != "" {
		log.Warn(w)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- svc.Run(ctx) }()
	if *debugAddr != "" {
		prometheus.MustRegister(debughttp.KeysMetric(svc.Node().Keys))
		prometheus.MustRegister(newNodeMetrics(svc)...)
		prometheus.MustRegister(debughttp.MemoryMetrics(svc.Node())...)
		prometheus.MustRegister(debughttp.RingMetrics(svc.RingState))
		prometheus.MustRegister(storage.Collectors()...)
		go func() {
			if err := debughttp.Serve(ctx, *debugAddr, func(out map[string]any) {
				keys := map[int]int{}
				for db := 0; db < 16; db++ {
					if k := svc.Node().Keys(db); k > 0 {
						keys[db] = k
					}
				}
				out["keys"] = keys
				st := svc.Coordinator().Stats()
				out["runs"] = map[string]int64{"runs": st.Runs.Load(), "commands": st.Commands.Load(),
					"quorum_reads": st.QuorumReads.Load(), "sends": st.Sends.Load(),
					"read_repairs": svc.EntropyStats().ReadRepairs}
			}, log, debughttp.Route{Path: "/debug/digests", Handler: func(w http.ResponseWriter, _ *http.Request) {
				// The digest root of every partition this node serves, for
				// checkers that wait until the replicas agree.
				roots := map[string]string{}
				for p, root := range svc.Digests() {
					roots[strconv.Itoa(p)] = strconv.FormatUint(root, 16)
				}
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(roots)
			}}, debughttp.Ready(svc.Ready)); err != nil {
				log.Warn("debug endpoints not served", "addr", *debugAddr, "err", err)
			}
		}()
	}
	fmt.Printf("vanity-node %s rpc %s gossip %s\n", *name, svc.RPCAddr(), *gossipAddr)
	// SIGTERM and SIGINT (systemctl stop, a pod deleted, Ctrl-C) stop the
	// node but keep it a member: a restart, or the whole cluster going
	// down; its partitions wait for it to come back. Leaving the cluster
	// is an operator's explicit decision: vanity-node leave.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	stop := func(why string) {
		log.Info(why)
		if err := svc.Node().Persist(); err != nil && !errors.Is(err, node.ErrPersistenceDisabled) {
			log.Error("final snapshot failed", "err", err)
		}
		cancel()
		<-done
	}
	select {
	case <-sig:
		stop("stopping; staying a member of the cluster")
	case <-left:
		stop("left the cluster; stopping")
	case err := <-done:
		return err
	}
	log.Info("stopped")
	return nil
}

// leave is "vanity-node leave --rpc ADDR": the node at ADDR hands every
// partition it holds to the nodes that take them over, then stops. It
// returns once the hand-offs are done, or with the node's error.
func leave(args []string) error {
	fs := flag.NewFlagSet("vanity-node leave", flag.ContinueOnError)
	rpcAddr := fs.String("rpc", "", "internal RPC address of the node that leaves (required)")
	secrets := secret.AddFlags(fs)
	rpcTLSFlags := tlsconf.AddRPCFlags(fs)
	wait := fs.Duration("wait", 5*time.Minute, "how long to wait for the hand-offs (the node's --leave-timeout bounds them too)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := flagenv.Apply(fs, "VANITY_NODE_"); err != nil {
		return err
	}
	if *rpcAddr == "" {
		return fmt.Errorf("leave needs --rpc, the node's internal RPC address")
	}
	key, err := secrets.Resolve(*rpcAddr)
	if err != nil {
		return err
	}
	rpcTLS, err := rpcTLSFlags.Load()
	if err != nil {
		return err
	}
	c := rpc.NewClient(*rpcAddr, key, 1).UseTLS(rpcTLS.ClientConfig())
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), *wait)
	defer cancel()
	if _, err := c.Call(ctx, rpc.KindLeave, nil); err != nil {
		return fmt.Errorf("leave %s: %w", *rpcAddr, err)
	}
	fmt.Printf("node at %s left the cluster\n", *rpcAddr)
	return nil
}

// transferBytes converts --transfer-rate to node.ServiceConfig.TransferRate.
func transferBytes(mib int) int64 {
	if mib <= 0 {
		return -1
	}
	return int64(mib) << 20
}

// remove is "vanity-node remove NAME...": an admin's decision that failed
// nodes will not come back. Their partitions are reassigned, empty unless
// replicas hold them.
func remove(args []string) error {
	fs := flag.NewFlagSet("vanity-node remove", flag.ContinueOnError)
	join := fs.String("join", "", "comma-separated gossip addresses of cluster members (required)")
	secrets := secret.AddFlags(fs)
	bind := fs.String("gossip", "127.0.0.1:7949", "gossip address for this short-lived member")
	fast := fs.Bool("fast-gossip", false, "LAN-local gossip timings (tests on one machine)")
	wait := fs.Duration("wait", 0, "wait this long for a node that just stopped to be seen as failed")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: vanity-node remove --join ADDR[,ADDR] NAME...")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if err := flagenv.Apply(fs, "VANITY_NODE_"); err != nil {
		return err
	}
	if *join == "" || fs.NArg() == 0 {
		fs.Usage()
		return fmt.Errorf("remove needs --join and at least one node name")
	}
	key, err := secrets.Resolve(*bind)
	if err != nil {
		return err
	}
	g, err := gossip.Start(gossip.Config{Name: fmt.Sprintf("admin-%d", os.Getpid()), Role: gossip.RoleAdmin,
		BindAddr: *bind, Join: strings.Split(*join, ","), JoinTimeout: 10 * time.Second, Secret: key, Fast: *fast})
	if err != nil {
		return err
	}
	defer func() {
		g.Leave()
		g.Shutdown()
	}()
	deadline := time.Now().Add(*wait)
	for _, name := range fs.Args() {
		// A failed member may be unknown to a member that just joined;
		// the removal is gossiped by name either way.
		for {
			st, ok := g.State(name)
			if !ok || st == gossip.Failed || st == gossip.Left {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%s is %s: only a failed node can be removed (stop it, or let it leave)", name, st)
			}
			time.Sleep(100 * time.Millisecond) // until gossip declares it failed
		}
		if err := g.Remove(name); err != nil {
			return fmt.Errorf("removing %s: %w", name, err)
		}
		fmt.Printf("removed %s\n", name)
	}
	return nil
}

// orNegative maps a flag's 0 ("none") to the configuration's negative
// value (its 0 means "the default").
func orNegative[T ~int | ~int64](v T) T {
	if v == 0 {
		return -1
	}
	return v
}

// rpcLoopCount resolves --rpc-loops: -1 is one event loop per core but
// one (at least one), as the router's --event-loops.
func rpcLoopCount(n int) int {
	if n < 0 {
		return max(1, runtime.GOMAXPROCS(0)-1)
	}
	return n
}
