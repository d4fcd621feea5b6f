package main

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/vanitydb/vanity/internal/debughttp"
	"github.com/vanitydb/vanity/internal/flagenv"
	"github.com/vanitydb/vanity/internal/gctune"
	"github.com/vanitydb/vanity/internal/logfile"
	"github.com/vanitydb/vanity/internal/sysmem"
	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
	"github.com/vanitydb/vanity/storage/wal"
)

// config is the all-in-one server's configuration, from flags and the
// environment (PROTOCOL.md §9, plus this project's additions).
type config struct {
	port            int
	respPort        int // -1: no RESP listener
	host            string
	root            string // directory relative paths resolve against
	dbPersist       bool
	persistFile     string
	usersPersist    bool
	usersFile       string
	logging         bool
	logFile         string
	logLevel        string
	logFormat       string
	adminName       string
	adminPassword   string
	bcryptCost      int
	partitions      int
	snapshotEvery   time.Duration
	snapshotLogMiB  int
	debugAddr       string
	fsync           wal.Policy
	walRepair       bool
	walSegment      int64
	defaultPassword bool // the admin password is the well-known default
	eventLoops      int  // -1: one per core when there is no write-ahead log
	noIOUring       bool // event loops make a system call per socket read and write
	maxUnauth       int  // largest request before AUTH, in bytes
	maxRequest      int  // largest request after AUTH, in bytes
	maxReply        int  // largest reply to one request, in bytes
	maxQueued       int  // bytes of messages a subscriber may leave unread
	slowLog         router.SlowLogConfig
	maxClients      int
	authIdle        time.Duration // idle time before AUTH that closes a connection
	authFailures    int           // failed AUTH attempts per source address and minute
	debugPublic     bool          // the debug address may be other than loopback
	tlsCert         string        // client port speaks TLS with this certificate...
	tlsKey          string        // ...and key
	tlsClientCA     string        // clients must present a certificate this CA signed
	gcHeadroom      int           // MiB the heap may grow before a collection (gctune)
	maxMemory       uint64        // live heap past which writes that add data are refused (0: none)
	memTotal        uint64        // the memory the process may use (sysmem.Total, read once; 0: unknown)
}

const usage = `usage: vanity [flags]
       vanity cli [flags] [command words...]   (vanity cli --help)
       vanity --version

flags (a name's "-" and "_" are interchangeable; a leading "-" or "--"):
  --port=N                TCP port (default 9955)
  --host=ADDR             address to bind (default 127.0.0.1)
  --resp-port=N           also speak Redis's RESP on this port (default off;
                          0: any free port); AUTH password logs in as "vanity"
  --use-cwd               keep files in the current directory, not $HOME/.vanity
  --data-dir=DIR          keep files in DIR
  --no-db-persist         no database file; PERSIST is refused
  --persist-file=PATH     database snapshot file (default vanity.db)
  --no-users-persist      users live in memory only
  --users-file=PATH       users file (default users.db)
  --no-logging            no log at all
  --log-file=PATH         log file, appended to (default vanity.log)
  --log-level=L           debug, info, warning, error or critical (default info)
  --log-format=F          text (key=value) or json lines (default text)
  --default-password=P    password of the first administrator "vanity"
                          (also VANITY_DEFAULT_PASSWORD; default "vanity")
  --bcrypt-cost=N         bcrypt work factor for passwords (default 10)
  --snapshot-interval=D   automatic snapshot period (default 10m; 0: none by time;
                          one is also written whenever the write-ahead log has
                          grown past --snapshot-log and twice the last snapshot)
  --snapshot-log=N        MiB the write-ahead log may grow past the last
                          snapshot before the next (default 64; 0: none by size)
  --fsync=P               write-ahead log fsync policy: always, everysec or no
                          (default everysec); the log lives beside the
                          database file (vanity.db.wal/)
  --wal-repair            cut a damaged write-ahead log at the damage and start
                          (what follows the damage is lost) instead of refusing
  --debug-addr=ADDR       serve /metrics, /health, /ready, /debug/pprof/ and
                          /debug/stats over HTTP on ADDR, a loopback address
                          (they answer anyone; default 127.0.0.1:9965, "off":
                          none; a default address already taken is skipped)
  --debug-public          allow --debug-addr on an address other machines reach
  --event-loops=N         serve connections from N event loops (default: one
                          per core but one, at least one; 0: a goroutine per
                          connection)
  --no-io-uring           event loops read and write each socket with a system
                          call of its own, not a turn's reads (and writes) in
                          one io_uring call (the fallback where it is missing)
  --max-unauth-request=N  largest request, in bytes, a connection may send
                          before it authenticates (default 65536); a larger
                          one gets an error and the connection is closed
  --max-request=N         largest request, in bytes, after AUTH (default and
                          most 536870912); a larger one is answered and closed;
                          a transaction's queued commands take as much in all
  --max-reply=N           largest reply to one request, in bytes (default
                          536870912); a larger one becomes INTERNAL_ERROR
                          "response too large"
  --max-subscriber-queue=N  bytes of messages a subscriber may leave unread
                          before it is disconnected (default 33554432)
  --slowlog-log-slower-than=N  keep in the slow log (SLOWLOG) the data
                          commands that took at least N microseconds (default
                          10000; 0: every one; negative: none)
  --slowlog-max-len=N     how many commands the slow log keeps (default 128)
  --max-clients=N         open client connections at most (default 10000);
                          one more gets an error and is closed
  --auth-idle-timeout=D   close a connection that has not authenticated and
                          has sent nothing for D (default 30s; 0: never)
  --auth-failures=N       failed AUTH attempts an address gets per minute
                          (default 10; 0: no limit); over it AUTH is refused
  --tls-cert=PATH         speak TLS on the client port with this certificate
  --tls-key=PATH          (PEM) and its key; connections are then served by a
                          goroutine each rather than the event loops
  --tls-client-ca=PATH    require client certificates signed by this CA
  --gc-headroom=N         MiB the heap may grow past what the last garbage
                          collection kept before the next one starts, when
                          GOGC would allow less (default 64; 0: GOGC alone)
  --max-memory=SIZE       refuse writes that add data while the live heap is
                          past SIZE: bytes, 512MiB, 4GiB, or a share of the
                          machine's memory (default 60%; 0: no limit); reads,
                          deletes and expiries go on
  --config=PATH           read flags from PATH, one "name = value" per line
                          ("name = true" for a switch); the command line wins
`

func defaultConfig() config {
	c := config{
		port: 9955, respPort: -1, host: "127.0.0.1", dbPersist: true, persistFile: "vanity.db",
		usersPersist: true, usersFile: "users.db", logging: true, logFile: "vanity.log",
		logLevel: "info", adminName: "vanity", adminPassword: "vanity", bcryptCost: 10,
		partitions: 64, snapshotEvery: 10 * time.Minute, snapshotLogMiB: 64, eventLoops: -1,
		maxUnauth: router.DefaultMaxUnauthRequest, maxClients: router.DefaultMaxClients,
		maxRequest: proto.MaxRequest, maxReply: router.DefaultMaxReply, maxQueued: router.DefaultMaxQueued,
		authIdle: router.DefaultAuthIdleTimeout, authFailures: router.DefaultAuthFailures,
		slowLog:   router.SlowLogConfig{SlowerThan: router.DefaultSlowerThan, MaxLen: router.DefaultSlowLogLen},
		debugAddr: debughttp.DefaultVanity, gcHeadroom: gctune.DefaultHeadroomMiB,
	}
	c.memTotal = sysmem.Total()
	c.maxMemory = sysmem.DefaultLimit(c.memTotal)
	return c
}

// parseFlags reads the seed's flag syntax (§9.1): "--name" switches and
// "--name=value" options; an unknown name, a bare word, a lone "-" or
// "--", or an empty value is an error.
func parseFlags(args []string, getenv func(string) string) (config, error) {
	c := defaultConfig()
	args, err := withConfigFile(args)
	if err != nil {
		return c, err
	}
	useCwd := false
	dataDir := ""
	if p := getenv("VANITY_DEFAULT_PASSWORD"); p != "" {
		c.adminPassword = p
	}
	for _, a := range args {
		name := strings.TrimPrefix(strings.TrimPrefix(a, "-"), "-")
		if name == a || name == "" {
			return c, fmt.Errorf("unexpected argument %q", a)
		}
		value, hasValue := "", false
		if k := strings.IndexByte(name, '='); k >= 0 {
			name, value, hasValue = name[:k], name[k+1:], true
			if value == "" {
				return c, fmt.Errorf("flag --%s needs a value", name)
			}
			if strings.Contains(value, "=") {
				return c, fmt.Errorf("flag --%s: a value may not contain '='", name)
			}
		}
		name = strings.ReplaceAll(name, "_", "-")
		needValue := func() error {
			if !hasValue {
				return fmt.Errorf("flag --%s needs a value (--%s=...)", name, name)
			}
			return nil
		}
		var err error
		switch name {
		case "port":
			if err = needValue(); err == nil {
				c.port, err = strconv.Atoi(value)
				if err != nil || c.port < 0 || c.port > 65535 {
					err = fmt.Errorf("invalid port %q", value)
				}
			}
		case "resp-port":
			if err = needValue(); err == nil {
				c.respPort, err = strconv.Atoi(value)
				if err != nil || c.respPort < 0 || c.respPort > 65535 {
					err = fmt.Errorf("invalid RESP port %q", value)
				}
			}
		case "host":
			if err = needValue(); err == nil {
				c.host = value
			}
		case "use-cwd":
			useCwd = true
		case "data-dir":
			if err = needValue(); err == nil {
				dataDir = value
			}
		case "no-db-persist":
			c.dbPersist = false
		case "persist-file":
			if err = needValue(); err == nil {
				c.persistFile = value
			}
		case "no-users-persist":
			c.usersPersist = false
		case "users-file":
			if err = needValue(); err == nil {
				c.usersFile = value
			}
		case "no-logging":
			c.logging = false
		case "no-io-uring":
			c.noIOUring = true
		case "log-file":
			if err = needValue(); err == nil {
				c.logFile = value
			}
		case "log-format":
			if err = needValue(); err == nil {
				c.logFormat = strings.ToLower(value)
				if _, err = logfile.Handler(io.Discard, c.logFormat, slog.LevelInfo); err != nil {
					err = fmt.Errorf("--log-format: %w", err)
				}
			}
		case "log-level":
			if err = needValue(); err == nil {
				c.logLevel = strings.ToLower(value)
			}
		case "default-password":
			if err = needValue(); err == nil {
				c.adminPassword = value
			}
		case "bcrypt-cost":
			if err = needValue(); err == nil {
				c.bcryptCost, err = strconv.Atoi(value)
				if err != nil || c.bcryptCost < 4 || c.bcryptCost > 31 {
					err = fmt.Errorf("invalid bcrypt cost %q (4 to 31)", value)
				}
			}
		case "partitions":
			if err = needValue(); err == nil {
				c.partitions, err = strconv.Atoi(value)
				if err != nil || c.partitions < 1 || c.partitions > 1<<16 {
					err = fmt.Errorf("invalid partition count %q", value)
				}
			}
		case "gc-headroom":
			if err = needValue(); err == nil {
				if c.gcHeadroom, err = strconv.Atoi(value); err == nil {
					_, err = gctune.Bytes(c.gcHeadroom)
				} else {
					err = fmt.Errorf("invalid --gc-headroom %q: give MiB", value)
				}
			}
		case "max-memory":
			if err = needValue(); err == nil {
				if c.maxMemory, err = sysmem.ParseLimit(value, c.memTotal); err != nil {
					err = fmt.Errorf("invalid --max-memory %w", err)
				}
			}
		case "fsync":
			if err = needValue(); err == nil {
				c.fsync, err = wal.ParsePolicy(value)
			}
		case "wal-repair":
			c.walRepair = true
		case "wal-segment-size": // for tests: rotate segments often
			if err = needValue(); err == nil {
				c.walSegment, err = strconv.ParseInt(value, 10, 64)
				if err != nil || c.walSegment < 1024 {
					err = fmt.Errorf("invalid WAL segment size %q", value)
				}
			}
		case "event-loops":
			if err = needValue(); err == nil {
				c.eventLoops, err = strconv.Atoi(value)
				if err != nil || c.eventLoops < 0 || c.eventLoops > 1024 {
					err = fmt.Errorf("invalid event loop count %q (0 to 1024)", value)
				}
			}
		case "max-unauth-request":
			if err = needValue(); err == nil {
				c.maxUnauth, err = strconv.Atoi(value)
				if err != nil || c.maxUnauth < 64 || c.maxUnauth > proto.MaxRequest {
					err = fmt.Errorf("invalid --max-unauth-request %q (64 to %d bytes)", value, proto.MaxRequest)
				}
			}
		case "max-request":
			if err = needValue(); err == nil {
				c.maxRequest, err = strconv.Atoi(value)
				if err != nil || c.maxRequest < 64 || c.maxRequest > proto.MaxRequest {
					err = fmt.Errorf("invalid --max-request %q (64 to %d bytes)", value, proto.MaxRequest)
				}
			}
		case "max-reply":
			if err = needValue(); err == nil {
				c.maxReply, err = strconv.Atoi(value)
				if err != nil || c.maxReply < 1024 || c.maxReply > proto.MaxReply {
					err = fmt.Errorf("invalid --max-reply %q (1024 to %d bytes)", value, uint64(proto.MaxReply))
				}
			}
		case "max-subscriber-queue":
			if err = needValue(); err == nil {
				c.maxQueued, err = strconv.Atoi(value)
				if err != nil || c.maxQueued < 1024 {
					err = fmt.Errorf("invalid --max-subscriber-queue %q (at least 1024 bytes)", value)
				}
			}
		case "slowlog-log-slower-than":
			if err = needValue(); err == nil {
				var us int64
				us, err = strconv.ParseInt(value, 10, 64)
				if err != nil || us > int64(time.Hour/time.Microsecond) {
					err = fmt.Errorf("invalid --slowlog-log-slower-than %q (microseconds, at most an hour; negative: none)", value)
				}
				c.slowLog.SlowerThan = time.Duration(us) * time.Microsecond
			}
		case "slowlog-max-len":
			if err = needValue(); err == nil {
				c.slowLog.MaxLen, err = strconv.Atoi(value)
				if err != nil || c.slowLog.MaxLen < 0 || c.slowLog.MaxLen > router.MaxSlowLogLen {
					err = fmt.Errorf("invalid --slowlog-max-len %q (0 to %d)", value, router.MaxSlowLogLen)
				}
			}
		case "max-clients":
			if err = needValue(); err == nil {
				c.maxClients, err = strconv.Atoi(value)
				if err != nil || c.maxClients < 1 {
					err = fmt.Errorf("invalid --max-clients %q (at least 1)", value)
				}
			}
		case "auth-failures":
			if err = needValue(); err == nil {
				c.authFailures, err = strconv.Atoi(value)
				if err != nil || c.authFailures < 0 {
					err = fmt.Errorf("invalid --auth-failures %q (0: no limit)", value)
				} else if c.authFailures == 0 {
					c.authFailures = -1
				}
			}
		case "auth-idle-timeout":
			if err = needValue(); err == nil {
				c.authIdle, err = time.ParseDuration(value)
				if value == "0" {
					c.authIdle, err = -1, nil
				} else if err != nil || c.authIdle <= 0 {
					err = fmt.Errorf("invalid --auth-idle-timeout %q (a duration such as 30s, or 0)", value)
				}
			}
		case "debug-public":
			c.debugPublic = true
		case "tls-cert":
			if err = needValue(); err == nil {
				c.tlsCert = value
			}
		case "tls-key":
			if err = needValue(); err == nil {
				c.tlsKey = value
			}
		case "tls-client-ca":
			if err = needValue(); err == nil {
				c.tlsClientCA = value
			}
		case "debug-addr":
			if err = needValue(); err == nil {
				c.debugAddr = debughttp.Addr(value)
			}
		case "snapshot-log":
			if err = needValue(); err == nil {
				if c.snapshotLogMiB, err = strconv.Atoi(value); err == nil {
					_, err = node.SnapshotLogBytes(c.snapshotLogMiB)
				} else {
					err = fmt.Errorf("invalid --snapshot-log %q: give MiB, 0 to %d", value, node.MaxSnapshotLogMiB)
				}
			}
		case "snapshot-interval":
			if err = needValue(); err == nil {
				c.snapshotEvery, err = time.ParseDuration(value)
				if err != nil || c.snapshotEvery < 0 {
					err = fmt.Errorf("invalid snapshot interval %q", value)
				}
			}
		default:
			err = unknownFlag(name)
		}
		if err != nil {
			return c, err
		}
	}
	if len(c.adminPassword) < 4 {
		return c, errors.New("the default admin password needs at least 4 bytes")
	}
	c.defaultPassword = c.adminPassword == "vanity"
	switch {
	case dataDir != "":
		c.root = dataDir
	case useCwd:
		wd, err := os.Getwd()
		if err != nil {
			return c, err
		}
		c.root = wd
	default:
		home, err := os.UserHomeDir()
		if err != nil {
			return c, fmt.Errorf("no home directory for $HOME/.vanity (use --use-cwd): %w", err)
		}
		c.root = filepath.Join(home, ".vanity")
	}
	c.persistFile = c.resolve(c.persistFile)
	c.usersFile = c.resolve(c.usersFile)
	c.logFile = c.resolve(c.logFile)
	return c, nil
}

func (c *config) resolve(p string) string {
	if filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.root, p)
}

// withConfigFile puts the settings of --config=FILE before the other
// arguments, so the command line wins: "name = value" lines as
// flagenv.ReadFile reads them; a switch is "name = true" (false: left
// out).
func withConfigFile(args []string) ([]string, error) {
	var path string
	var rest []string
	for _, a := range args {
		if v, ok := strings.CutPrefix(strings.TrimLeft(a, "-"), "config="); ok && strings.HasPrefix(a, "-") {
			path = v
			continue
		}
		rest = append(rest, a)
	}
	if path == "" {
		return args, nil
	}
	settings, err := flagenv.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, st := range settings {
		switch {
		case st.Name == "config":
			return nil, fmt.Errorf("config %s:%d: a configuration file cannot name another", path, st.Line)
		case st.Value == "false":
		case st.Value == "true" || st.Value == "":
			out = append(out, "--"+st.Name)
		default:
			out = append(out, "--"+st.Name+"="+st.Value)
		}
	}
	return append(out, rest...), nil
}

// flagNames are the flags usage lists, and the test-only ones.
var flagNames = func() []string {
	names := []string{"wal-segment-size"}
	for _, m := range regexp.MustCompile(`(?m)^  --([a-z-]+)`).FindAllStringSubmatch(usage, -1) {
		names = append(names, m[1])
	}
	return names
}()

// unknownFlag is the error for a flag name nobody knows: a typo must not
// start a server that quietly ignores what was asked (the seed ignored
// unknown names, D46).
func unknownFlag(name string) error {
	best, dist := "", 3
	for _, n := range flagNames {
		if d := editDistance(name, n); d < dist {
			best, dist = n, d
		}
	}
	if best != "" {
		return fmt.Errorf("unknown flag --%s (did you mean --%s?); vanity --help lists them", name, best)
	}
	return fmt.Errorf("unknown flag --%s; vanity --help lists them", name)
}

// editDistance is the Levenshtein distance between a and b.
func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}
