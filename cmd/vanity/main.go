package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/vanitydb/vanity/internal/cli"
	"github.com/vanitydb/vanity/internal/debughttp"
	"github.com/vanitydb/vanity/internal/gctune"
	"github.com/vanitydb/vanity/internal/logfile"
	"github.com/vanitydb/vanity/internal/secret"
	"github.com/vanitydb/vanity/internal/sysmem"
	"github.com/vanitydb/vanity/internal/tlsconf"
	"github.com/vanitydb/vanity/internal/version"
	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/router"
	"github.com/vanitydb/vanity/router/cluster"
	"github.com/vanitydb/vanity/router/users"
	"github.com/vanitydb/vanity/storage"
)

func main() {
	if len(os.Args) > 1 && os.Args[1] == "cli" {
		os.Exit(cli.Main(os.Args[2:], os.Stdin, os.Stdout, os.Stderr, os.Getenv))
	}
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help") {
		fmt.Print(usage)
		return
	}
	if len(os.Args) > 1 && (os.Args[1] == "--version" || os.Args[1] == "-version" || os.Args[1] == "version") {
		fmt.Println(version.String("vanity"))
		return
	}
	cfg, err := parseFlags(os.Args[1:], os.Getenv)
	if err != nil {
		fmt.Fprintf(os.Stderr, "vanity: %v\n\n%s", err, usage)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, cfg); err != nil {
		fmt.Fprintf(os.Stderr, "vanity: %v\n", err)
		os.Exit(1)
	}
}

// run serves until ctx ends or an admin sends TERMINATE, then shuts down:
// stop accepting and close connections, stop background work, write a
// final snapshot.
func run(ctx context.Context, cfg config) error {
	if err := secret.DebugAddr(cfg.debugAddr, cfg.debugPublic); err != nil {
		return err
	}
	tlsCfg, err := tlsconf.Server(cfg.tlsCert, cfg.tlsKey, cfg.tlsClientCA)
	if err != nil {
		return err
	}
	// Listen first: clients may connect while the data loads (§1.5).
	l, err := net.Listen("tcp", net.JoinHostPort(cfg.host, strconv.Itoa(cfg.port)))
	if err != nil {
		return err
	}
	defer l.Close()
	var rl net.Listener // Redis's protocol, if asked for
	if cfg.respPort >= 0 {
		if rl, err = net.Listen("tcp", net.JoinHostPort(cfg.host, strconv.Itoa(cfg.respPort))); err != nil {
			return fmt.Errorf("RESP listener: %w", err)
		}
		defer rl.Close()
	}
	if tlsCfg != nil {
		// TLS connections are served by a goroutine each: the event loops
		// read raw sockets.
		l = tls.NewListener(l, tlsCfg)
		if rl != nil {
			rl = tls.NewListener(rl, tlsCfg) // Redis clients speak TLS too (redis-cli --tls)
		}
	}
	if cfg.dbPersist || cfg.usersPersist || cfg.logging {
		if err := os.MkdirAll(cfg.root, 0o700); err != nil {
			return fmt.Errorf("create %s: %w", cfg.root, err)
		}
	}
	log, closeLog, err := openLog(cfg)
	if err != nil {
		return err
	}
	defer closeLog()
	log.Info("starting", "addr", l.Addr().String(), "root", cfg.root)
	if cfg.defaultPassword {
		log.Warn("the first administrator keeps the well-known default password; set --default-password or VANITY_DEFAULT_PASSWORD")
	}
	if !isLoopback(cfg.host) && cfg.defaultPassword {
		log.Warn("listening beyond loopback while the default admin password may be unchanged", "host", cfg.host)
	}

	store, err := openUsers(cfg)
	if err != nil {
		return err
	}
	metrics := debughttp.NewStorageMetrics()
	prometheus.MustRegister(metrics.Collectors()...)
	// One process reads all it writes: nothing older reads its deltas.
	storage.SetCompactStamps(true)
	ncfg := node.Config{Partitions: cfg.partitions, Logger: log.With("component", "node"),
		OnSync: metrics.OnSync, OnAppend: metrics.OnAppend, OnSnapshot: metrics.OnSnapshot, MaxMemory: cfg.maxMemory,
		LiveHeap: gctune.LiveHeap}
	if cfg.dbPersist {
		ncfg.SnapshotPath = cfg.persistFile
		ncfg.WALDir = node.WALPath(cfg.persistFile)
		ncfg.Fsync = cfg.fsync
		ncfg.WALRepair = cfg.walRepair
		ncfg.SegmentSize = cfg.walSegment
		ncfg.SnapshotEvery = cfg.snapshotEvery
		ncfg.SnapshotLogBytes, _ = node.SnapshotLogBytes(cfg.snapshotLogMiB) // checked with the flags
	}
	restoreGC := loadingGC(cfg.memTotal)
	n, err := node.New(ncfg)
	restoreGC()
	if err != nil {
		return err
	}
	gctune.SoftLimit(cfg.maxMemory, os.Getenv)
	if w := sysmem.Warning(cfg.maxMemory, cfg.memTotal); w != "" {
		log.Warn(w)
	}
	headroom, _ := gctune.Bytes(cfg.gcHeadroom) // checked with the flags
	defer gctune.Start(headroom).Stop()
	defer func() {
		if cerr := n.Close(); cerr != nil {
			log.Error("closing the write-ahead log failed", "err", cerr)
		}
	}()

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	loops := cfg.eventLoops
	if loops < 0 {
		// One core is left to the rest: the collector, snapshots,
		// expiry, requests that wait, and (on a small machine) the
		// clients. On 2 cores under 50 clients on the same machine, 2
		// loops answered as many requests as 1 with a p99 1.6x longer
		// (loadtest/reports).
		loops = max(1, runtime.GOMAXPROCS(0)-1)
	}
	// The router reaches the node in process: the one-replica cluster.
	local := &localNode{c: node.NewLocalCoordinator(n), cfg: cfg}
	defer local.wait()
	srv, err := router.New(router.Config{
		Backend:          cluster.NewLocal(local),
		Version:          version.String("vanity"),
		Users:            store,
		Logger:           log.With("component", "router"),
		OnTerminate:      cancel,
		EventLoops:       loops,
		PlainSyscalls:    cfg.noIOUring,
		MaxUnauthRequest: cfg.maxUnauth,
		MaxRequest:       cfg.maxRequest,
		MaxReply:         cfg.maxReply,
		MaxQueued:        cfg.maxQueued,
		MaxClients:       cfg.maxClients,
		DefaultUser:      cfg.adminName,
		AuthIdleTimeout:  cfg.authIdle,
		AuthFailures:     cfg.authFailures,
		SlowLog:          cfg.slowLog,
		MaxMemory:        cfg.maxMemory,
	})
	if err != nil {
		return err
	}

	served := make(chan error, 2)
	go func() { served <- srv.Serve(l) }()
	background := make(chan struct{})
	go func() {
		defer close(background)
		runBackground(ctx, n, cfg, log)
	}()
	log.Info("ready", "addr", l.Addr().String())
	// Tests and scripts that start the server on port 0 read this line.
	fmt.Printf("vanity listening on %s\n", l.Addr())
	if rl != nil {
		go func() { served <- srv.ServeRESP(rl) }()
		log.Info("speaking RESP", "addr", rl.Addr().String())
		fmt.Printf("vanity RESP listening on %s\n", rl.Addr())
	}

	select {
	case <-ctx.Done():
	case err = <-served:
		cancel()
	}
	log.Info("shutting down")
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer scancel()
	if serr := srv.Shutdown(sctx); serr != nil {
		log.Warn("connections did not close in time", "err", serr)
	}
	if err == nil {
		err = <-served
	}
	if rl != nil {
		if rerr := <-served; err == nil || errors.Is(err, router.ErrServerClosed) {
			err = rerr
		}
	}
	<-background
	if errors.Is(err, router.ErrServerClosed) {
		err = nil
	}
	if cfg.dbPersist {
		if perr := n.Persist(); perr != nil {
			log.Error("final snapshot failed", "err", perr)
			if err == nil {
				err = perr
			}
		}
	}
	log.Info("stopped")
	return err
}

// runBackground runs the node's background work (the expiry sweep and the
// periodic snapshot: node.Run) and the debug endpoints until ctx ends, and
// waits for them.
func runBackground(ctx context.Context, n *node.Node, cfg config, log *slog.Logger) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = n.Run(ctx)
	}()
	defer func() { <-done }()
	if cfg.debugAddr != "" {
		debugDone := make(chan struct{})
		go func() {
			defer close(debugDone)
			if err := serveDebug(ctx, cfg.debugAddr, n, log); err != nil {
				log.Warn("debug endpoints not served", "addr", cfg.debugAddr, "err", err)
			}
		}()
		defer func() { <-debugDone }()
	}
	<-ctx.Done()
}

func openUsers(cfg config) (*users.Store, error) {
	ucfg := users.Config{Cost: cfg.bcryptCost, Workers: max(1, numCPU()/2)}
	var records []users.Record
	if cfg.usersPersist {
		var err error
		if records, err = users.Load(cfg.usersFile); err != nil {
			return nil, err
		}
		ucfg.Saver = users.FileSaver{Path: cfg.usersFile}
	}
	return users.New(ucfg, records, cfg.adminName, cfg.adminPassword)
}

func openLog(cfg config) (*slog.Logger, func(), error) {
	var level slog.Level
	switch cfg.logLevel {
	case "debug":
		level = slog.LevelDebug
	case "info":
		level = slog.LevelInfo
	case "warning":
		level = slog.LevelWarn
	case "error":
		level = slog.LevelError
	case "critical":
		level = slog.LevelError + 4
	default:
		cfg.logging = false // any other level turns logging off, as in the original
	}
	if !cfg.logging {
		return slog.New(slog.DiscardHandler), func() {}, nil
	}
	f, err := os.OpenFile(cfg.logFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	h, err := logfile.Handler(f, cfg.logFormat, level)
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	return slog.New(h), func() { f.Close() }, nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// localNode is the node in process, as the router's backend sees it: the
// one-replica cluster. Each event loop's sender gets a transport of its
// own (newTransport).
type localNode struct {
	c   *node.Coordinator
	cfg config
}

// nodeTransport carries one sender's runs to the node: the coordinator
// runs them where the sender flushes them, and only what waits (an fsync
// under --fsync=always) continues on a goroutine. A run answered at once
// leaves its result's buffers for the next (its replies are spliced
// before the sender flushes again).
type nodeTransport struct {
	n      *localNode
	spare  *node.Result
	items  []rpc.Item
	inside bool // in Run: done is being called synchronously
}

// NewTransport implements cluster.LocalNode.
func (n *localNode) NewTransport() cluster.Transport { return &nodeTransport{n: n} }

// Partitions implements cluster.LocalNode.
func (n *localNode) Partitions() int { return n.c.Node().Partitions() }

// ListKeys implements cluster.LocalNode.
func (n *localNode) ListKeys(db, p int, after, pattern []byte, max int) ([][]byte, bool, error) {
	return n.c.Node().ListKeys(db, p, after, pattern, max)
}

// Describe implements cluster.LocalNode: INFO's persistence lines.
func (n *localNode) Describe() []router.InfoField {
	f := func(name, value string) router.InfoField {
		return router.InfoField{Section: "persistence", Name: name, Value: value}
	}
	if !n.cfg.dbPersist {
		return []router.InfoField{f("enabled", "no")}
	}
	refused := "no"
	if err := n.c.Node().WritesRefused(); err != nil {
		refused = err.Error()
	}
	return []router.InfoField{
		f("enabled", "yes"),
		f("snapshot_file", n.cfg.persistFile),
		f("fsync", n.cfg.fsync.String()),
		f("writes_refused", refused),
	}
}

// CountKeys implements cluster.LocalNode.
func (n *localNode) CountKeys(db int) ([]int, error) { return n.c.Node().CountKeys(db) }

// CountExpiring implements cluster.LocalNode.
func (n *localNode) CountExpiring(db int) ([]int, []int64, error) {
	return n.c.Node().CountExpiring(db)
}

func (t *nodeTransport) Run(r *rpc.Run, _ time.Duration, done func([]rpc.Item, error)) {
	res := t.spare
	if res == nil {
		res = new(node.Result)
	}
	t.spare = nil
	t.inside = true
	t.n.c.Run(r, res, func(res *node.Result) {
		if !t.inside {
			done(res.AppendItemList(nil), nil) // from a goroutine: nothing shared
			return
		}
		t.items = res.AppendItemList(t.items[:0])
		done(t.items, nil)
	}, func(res *node.Result) {
		if t.inside {
			t.spare = res
		}
	})
	t.inside = false
}

// wait waits for every run in flight.
func (n *localNode) wait() { n.c.Wait() }

// Persist implements cluster.LocalNode.
func (n *localNode) Persist(context.Context) error {
	err := n.c.Node().Persist()
	if errors.Is(err, node.ErrPersistenceDisabled) {
		return router.ErrPersistenceDisabled
	}
	return err
}

func numCPU() int { return runtime.NumCPU() }
