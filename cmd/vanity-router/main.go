// Command vanity-router runs a stateless Vanity router: it accepts clients
// on the Vanity protocol, keeps their sessions, and routes their commands
// to the storage nodes that hold the keys. Any number of routers may serve
// one cluster; users and published messages are shared between them.
package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
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
	"github.com/vanitydb/vanity/internal/tlsconf"
	"github.com/vanitydb/vanity/internal/version"
	"github.com/vanitydb/vanity/proto"

	"github.com/vanitydb/vanity/router"
	"github.com/vanitydb/vanity/router/cluster"
	"github.com/vanitydb/vanity/router/users"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "vanity-router:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("vanity-router", flag.ContinueOnError)
	name := fs.String("name", "", "router name, unique in the cluster (default: host name and port)")
	host := fs.String("host", "127.0.0.1", "client address to bind")
	port := fs.Int("port", 9955, "client port (0: any free port)")
	respPort := fs.Int("resp-port", -1, "also speak Redis's RESP on this port (-1: off, 0: any free port); AUTH with a password only logs in as \"vanity\"")
	rpcAddr := fs.String("rpc", "127.0.0.1:0", "internal RPC address (other routers call it)")
	gossipAddr := fs.String("gossip", "127.0.0.1:7947", "gossip address")
	join := fs.String("join", "", "comma-separated gossip addresses of members to join")
	joinTimeout := fs.Duration("join-timeout", 2*time.Minute, "keep trying to reach a member of --join this long (nodes may start later)")
	partitions := fs.Int("partitions", 0, "partition count (0: as the nodes gossip it; fixed when the cluster is created)")
	replicas := fs.Int("replicas", 0, "copies of each partition (0: as the nodes gossip it)")
	secrets := secret.AddFlags(fs)
	rpcTLSFlags := tlsconf.AddRPCFlags(fs)
	password := fs.String("default-password", os.Getenv("VANITY_DEFAULT_PASSWORD"), "password of the first administrator of a new cluster (default vanity)")
	cost := fs.Int("bcrypt-cost", 10, "bcrypt cost for passwords")
	minNodes := fs.Int("min-nodes", 1, "nodes to wait for before serving")
	fast := fs.Bool("fast-gossip", false, "LAN-local gossip timings (tests on one machine)")
	logFile := fs.String("log-file", "", "log file (default stderr)")
	logLevel := fs.String("log-level", "info", "debug, info, warning or error")
	logFormat := fs.String("log-format", "text", "log records as "+logfile.Formats+" lines")
	debugAddr := fs.String("debug-addr", debughttp.DefaultRouter, `serve /metrics, /health, /ready, /debug/pprof/ and /debug/stats over HTTP on this loopback address (they answer anyone who reaches them; "off": none; a default address already taken is skipped)`)
	debugPublic := fs.Bool("debug-public", false, "allow --debug-addr on an address other machines reach")
	requestTimeout := fs.Duration("request-timeout", time.Second,
		"how long a storage node may take to start a command; a node refuses it afterwards")
	clockOffset := fs.Duration("max-clock-offset", 250*time.Millisecond,
		"the largest difference between this router's clock and a node's")
	policy := sched.Flag(fs, sched.Batch)
	gcHeadroom := gctune.Flag(fs)
	eventLoops := fs.Int("event-loops", -1, "event loops serving clients (-1: one per core but one; 0: a goroutine per connection)")
	noIOUring := fs.Bool("no-io-uring", false, "event loops read and write with a system call each instead of io_uring")
	maxUnauth := fs.Int("max-unauth-request", router.DefaultMaxUnauthRequest,
		"largest request, in bytes, a connection may send before it authenticates; a larger one gets an error and the connection is closed")
	maxRequest := fs.Int("max-request", proto.MaxRequest, "largest request, in bytes, after AUTH (and a transaction's queued commands in all); a larger one is answered and the connection closed")
	maxReply := fs.Int("max-reply", router.DefaultMaxReply, "largest reply to one request, in bytes; a larger one becomes INTERNAL_ERROR \"response too large\"")
	maxQueued := fs.Int("max-subscriber-queue", router.DefaultMaxQueued, "bytes of messages a subscriber may leave unread before it is disconnected")
	slowerThan := fs.Int64("slowlog-log-slower-than", router.DefaultSlowerThan.Microseconds(),
		"keep in the slow log (SLOWLOG) the data commands that took at least this many microseconds (0: every one; negative: none)")
	slowLen := fs.Int("slowlog-max-len", router.DefaultSlowLogLen, "how many commands the slow log keeps")
	maxClients := fs.Int("max-clients", router.DefaultMaxClients, "open client connections at most; one more gets an error and is closed")
	authIdle := fs.Duration("auth-idle-timeout", router.DefaultAuthIdleTimeout,
		"close a connection that has not authenticated and has sent nothing for this long (0: never)")
	authFailures := fs.Int("auth-failures", router.DefaultAuthFailures,
		"failed AUTH attempts an address gets per minute (0: no limit); over it AUTH is refused")
	inFlight := fs.Int("max-in-flight", 1, "runs an event loop has in flight to one node; more commands wait and go together")
	serialInFlight := fs.Int("max-serial-in-flight", cluster.DefaultMaxSerialInFlight,
		"runs of CONSISTENCY SERIAL commands an event loop has in flight to one node; more wait and go together")
	showVersion := fs.Bool("version", false, "print the version and exit")
	config := flagenv.ConfigFlag(fs)
	tlsCert := fs.String("tls-cert", "", "speak TLS on the client port with this certificate (PEM; with --tls-key); connections are then served by a goroutine each")
	tlsKey := fs.String("tls-key", "", "the key of --tls-cert (PEM)")
	tlsClientCA := fs.String("tls-client-ca", "", "require client certificates signed by this CA (PEM)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *showVersion {
		fmt.Println(version.String("vanity-router"))
		return nil
	}
	if err := flagenv.Load(fs, "VANITY_ROUTER_", config); err != nil {
		return err
	}
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
	if *maxUnauth < 64 || *maxUnauth > proto.MaxRequest || *maxRequest < 64 || *maxRequest > proto.MaxRequest {
		return fmt.Errorf("invalid -max-unauth-request %d or -max-request %d (64 to %d bytes)", *maxUnauth, *maxRequest, proto.MaxRequest)
	}
	if *maxReply < 1024 || uint64(*maxReply) > proto.MaxReply || *maxQueued < 1024 {
		return fmt.Errorf("invalid -max-reply %d (1024 to %d bytes) or -max-subscriber-queue %d (at least 1024)",
			*maxReply, uint64(proto.MaxReply), *maxQueued)
	}
	if *slowerThan > int64(time.Hour/time.Microsecond) || *slowLen < 0 || *slowLen > router.MaxSlowLogLen {
		return fmt.Errorf("invalid -slowlog-log-slower-than %d (microseconds, at most an hour) or -slowlog-max-len %d (0 to %d)",
			*slowerThan, *slowLen, router.MaxSlowLogLen)
	}
	if *maxClients < 1 || *authIdle < 0 || *authFailures < 0 {
		return fmt.Errorf("invalid -max-clients %d, -auth-idle-timeout %v or -auth-failures %d",
			*maxClients, *authIdle, *authFailures)
	}
	headroom, err := gctune.Bytes(*gcHeadroom)
	if err != nil {
		return err
	}
	defer gctune.Start(headroom).Stop()
	if *name == "" {
		h, _ := os.Hostname()
		*name = h + "-router-" + strconv.Itoa(*port)
	}
	log, closeLog, err := logfile.Open(*logFile, *logLevel, *logFormat)
	if err != nil {
		return err
	}
	defer closeLog()
	if err := sched.Apply(*policy); err != nil {
		log.Warn("running with the scheduling policy the process started with", "asked", policy.String(), "err", err)
	}
	if *password == "" {
		*password = "vanity"
		log.Warn("a new cluster's first administrator gets the well-known default password; set --default-password")
	}
	tlsCfg, err := tlsconf.Server(*tlsCert, *tlsKey, *tlsClientCA)
	if err != nil {
		return err
	}
	l, err := net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*port)))
	if err != nil {
		return err
	}
	if tlsCfg != nil {
		l = tls.NewListener(l, tlsCfg) // served by a goroutine per connection: the loops read raw sockets
	}
	var rl net.Listener // Redis's protocol, if asked for
	if *respPort >= 0 {
		if rl, err = net.Listen("tcp", net.JoinHostPort(*host, strconv.Itoa(*respPort))); err != nil {
			l.Close()
			return fmt.Errorf("RESP listener: %w", err)
		}
		if tlsCfg != nil {
			rl = tls.NewListener(rl, tlsCfg) // Redis clients speak TLS too (redis-cli --tls)
		}
	}
	var joins []string
	if *join != "" {
		joins = strings.Split(*join, ",")
	}
	backend, err := cluster.Start(cluster.Config{Name: *name, GossipAddr: *gossipAddr, RPCAddr: *rpcAddr, Join: joins,
		JoinTimeout:    *joinTimeout,
		RequestTimeout: *requestTimeout, MaxClockOffset: *clockOffset, MaxInFlight: *inFlight, MaxSerialInFlight: *serialInFlight,
		Secret: key, Partitions: *partitions, Replicas: *replicas, Fast: *fast, Logger: log,
		RPCServerTLS: rpcTLS.ServerConfig(), RPCClientTLS: rpcTLS.ClientConfig()})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	bdone := make(chan error, 1)
	go func() { bdone <- backend.Run(ctx) }()
	if *debugAddr != "" {
		go func() {
			if err := debughttp.Serve(ctx, *debugAddr, nil, log, debughttp.Ready(backend.Ready)); err != nil {
				log.Warn("debug endpoints not served", "addr", *debugAddr, "err", err)
			}
		}()
	}

	// A router started before its nodes (or while all of them restart)
	// waits for them, however long, instead of exiting.
	sig := make(chan os.Signal, 1)
	signal.Notify(sig, syscall.SIGTERM, os.Interrupt)
	go func() {
		select {
		case <-sig:
			cancel()
		case <-ctx.Done():
		}
	}()
	recs, err := backend.WaitUsers(ctx, *minNodes)
	if err != nil {
		cancel()
		<-bdone
		return err
	}
	store, err := users.New(users.Config{Cost: *cost, Workers: max(1, runtime.NumCPU()/2), Saver: backend}, recs, "vanity", *password)
	if err != nil {
		return err
	}
	loops := *eventLoops
	if loops < 0 {
		loops = max(1, runtime.GOMAXPROCS(0)-1)
	}
	srv, err := router.New(router.Config{Backend: backend, Users: store, Logger: log, Peers: backend, OnTerminate: cancel,
		EventLoops: loops, PlainSyscalls: *noIOUring, MaxUnauthRequest: *maxUnauth, MaxClients: *maxClients,
		MaxRequest: *maxRequest, MaxReply: *maxReply, MaxQueued: *maxQueued,
		SlowLog:         router.SlowLogConfig{SlowerThan: time.Duration(*slowerThan) * time.Microsecond, MaxLen: *slowLen},
		AuthIdleTimeout: idleOrNever(*authIdle), AuthFailures: zeroIsNone(*authFailures),
		Version: version.String("vanity-router")})
	if err != nil {
		return err
	}
	backend.Attach(srv, store)
	prometheus.MustRegister(debughttp.RingMetrics(backend.RingState))
	sdone := make(chan error, 2)
	go func() { sdone <- srv.Serve(l) }()
	fmt.Printf("vanity-router listening on %s\n", l.Addr())
	if rl != nil {
		go func() { sdone <- srv.ServeRESP(rl) }()
		fmt.Printf("vanity-router RESP listening on %s\n", rl.Addr())
	}
	servers := 1
	if rl != nil {
		servers = 2
	}
	select {
	case <-ctx.Done():
	case err = <-sdone:
		servers--
	}
	sctx, scancel := context.WithTimeout(context.Background(), 10*time.Second)
	srv.Shutdown(sctx)
	scancel()
	for ; servers > 0; servers-- {
		if serr := <-sdone; err == nil || errors.Is(err, router.ErrServerClosed) {
			err = serr
		}
	}
	cancel()
	<-bdone
	if errors.Is(err, router.ErrServerClosed) {
		err = nil
	}
	return err
}

// idleOrNever maps the flag's 0 (never) to the router's negative.
func idleOrNever(d time.Duration) time.Duration {
	if d == 0 {
		return -1
	}
	return d
}

// zeroIsNone maps a flag's 0 (no limit) to the router's negative.
func zeroIsNone(n int) int {
	if n == 0 {
		return -1
	}
	return n
}
