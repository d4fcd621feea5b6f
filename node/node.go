package node

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/snapshot"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

// Config configures a node.
type Config struct {
	// Partitions is the number of partitions (default ring.DefaultPartitions).
	Partitions int
	// Actor identifies this node's incarnation in stamps; it must be unique
	// in a cluster. Zero picks a random one.
	Actor uint64
	// KeepTombstones keeps removal records for late deltas. Replicated
	// partitions need them; a lone node does not.
	KeepTombstones bool
	// SnapshotPath is the snapshot file; empty disables persistence.
	SnapshotPath string
	// WALDir is the write-ahead log's directory; empty disables the log
	// (writes after the last snapshot are then lost in a crash).
	WALDir string
	// Fsync is the log's fsync policy.
	Fsync wal.Policy
	// SegmentSize is the WAL segment size in bytes (default 64 MiB).
	SegmentSize int64
	// WALRepair cuts a damaged WAL at the damage instead of refusing to
	// start; what follows the damage is lost.
	WALRepair bool
	// FS is the file system (default the real one).
	FS vfs.FS
	// Cluster makes the node serve only the partitions it holds (none at
	// first; see SetHeld and the transfer methods). A lone node holds all.
	Cluster bool
	// HeldPath is where a cluster node saves which partitions it holds.
	HeldPath string
	// ExpiryInterval is the period of the expiry sweep (default 100ms).
	ExpiryInterval time.Duration
	// ExpirySample is how many keys a sweep examines per partition and
	// database per round (default 20).
	ExpirySample int
	// StorageRetry is how often a node whose log failed (a full disk, a
	// failed fsync) tries to write a snapshot and take writes again
	// (default 1s).
	StorageRetry time.Duration
	// SnapshotEvery is how often Run writes a snapshot (0: only when the
	// log grows, SnapshotLogBytes). Both need SnapshotPath.
	SnapshotEvery time.Duration
	// SnapshotLogBytes is how far the log may grow past the last
	// snapshot, and past twice its size, before Run writes another, which
	// bounds what a restart replays (default 64 MiB; <0: never for size).
	SnapshotLogBytes int64
	// Now is the physical clock (default time.Now).
	Now func() time.Time
	// OnSync, OnAppend and OnSnapshot, if set, are told of each fsync of
	// the log, each record appended to it and each snapshot written (how
	// long, how large): for metrics; they must not block.
	OnSync     func(took time.Duration)
	OnAppend   func(bytes int)
	OnSnapshot func(took time.Duration, bytes int64)
	// Logger receives the node's log (default: discard).
	Logger *slog.Logger
	// MaxMemory is the live heap, in bytes, past which the node refuses
	// writes that add data (memory.go; 0: no limit).
	MaxMemory uint64
	// LiveHeap reads the live heap the last collection found (needed with
	// a MaxMemory), and Collect runs a collection (default runtime.GC).
	LiveHeap func() uint64
	Collect  func()
}

// MaxSnapshotLogMiB bounds --snapshot-log.
const MaxSnapshotLogMiB = 1 << 20

// SnapshotLogBytes is Config.SnapshotLogBytes for --snapshot-log, in MiB,
// where 0 means no snapshot for the log's size; it checks the flag's
// range for every binary that takes it.
func SnapshotLogBytes(mib int) (int64, error) {
	switch {
	case mib < 0 || mib > MaxSnapshotLogMiB:
		return 0, fmt.Errorf("invalid --snapshot-log %q: give MiB, 0 to %d", strconv.Itoa(mib), MaxSnapshotLogMiB)
	case mib == 0:
		return -1, nil
	}
	return int64(mib) << 20, nil
}

// DefaultConfig returns the defaults.
func DefaultConfig() Config {
	return Config{
		Partitions:       ring.DefaultPartitions,
		ExpiryInterval:   100 * time.Millisecond,
		ExpirySample:     20,
		StorageRetry:     time.Second,
		SnapshotLogBytes: 64 << 20,
		Now:              time.Now,
		Logger:           slog.New(slog.DiscardHandler),
		Collect:          runtime.GC,
	}
}

// Validate reports a configuration error.
func (c *Config) Validate() error {
	if c.Partitions < 1 || c.Partitions > 1<<20 {
		return fmt.Errorf("node: partitions %d out of range [1, %d]", c.Partitions, 1<<20)
	}
	if c.ExpiryInterval <= 0 || c.ExpirySample < 1 {
		return errors.New("node: expiry interval and sample must be positive")
	}
	if c.MaxMemory > 0 && c.LiveHeap == nil {
		return errors.New("node: a memory limit needs a reading of the live heap (LiveHeap)")
	}
	return nil
}

// ErrPersistenceDisabled is returned by Persist when there is no snapshot path.
var ErrPersistenceDisabled = errors.New("node: persistence disabled")

type partition struct {
	mu    sync.Mutex
	shard *storage.Shard
	state partState
	// stream records the deltas written to the partition while a node
	// takes it over (between StartStream and FinishStream or AbortStream).
	stream *stream
	// intn draws from the partition's random source; guarded by mu. It is
	// a method value made once, so commands do not allocate one.
	intn func(n int) int
}

// partState is where a partition stands on this node; it changes under
// the partition's lock.
type partState uint8

const (
	// partAbsent: not here; commands on it get ErrNotHeld.
	partAbsent partState = iota
	// partServing: held and served.
	partServing
	// partCatching: held, but this replica restarted and has not yet
	// caught up with a peer; it takes replicated writes but serves
	// neither commands nor quorum reads until it has (Service.catchUp).
	partCatching
	// partHanded: handed off to a new owner (FinishStream) and kept,
	// unserved, until the new owner confirms it (DropPartition) or takes
	// it again after a failure (StartStream).
	partHanded
)

// held reports whether the partition is this node's: served, or held
// and catching up.
func (s partState) held() bool { return s == partServing || s == partCatching }

// Node is a storage node.
type Node struct {
	cfg    Config
	log    *slog.Logger
	fs     vfs.FS
	clock  *hlc.Clock
	seed   uint64
	parts  []partition
	locate func(key []byte) *storage.Shard
	ctxs   sync.Pool // *execCtx
	wal    *wal.Log  // nil without a WAL
	// failed holds the durability error that stopped writes; until a
	// snapshot has rebuilt the log (retryStorage), the node refuses every
	// write and serves reads.
	failed atomic.Pointer[error]
	// persistMu serializes snapshots, and guards capture: the buffer
	// they encode partitions into, kept from one to the next.
	persistMu sync.Mutex
	capture   snapshot.Capture
	// walBytes counts WAL bytes appended since the last snapshot started;
	// snapBytes is the size of the last snapshot written.
	walBytes  atomic.Int64
	snapBytes atomic.Int64
	heldMu    sync.Mutex // serializes saveHeld
	mem       memGuard   // the memory limit (memory.go)
}

// execCtx is the reusable state of one command.
type execCtx struct {
	c storage.Ctx
	// phys is the physical time (unix ms) the run's stamps are drawn at
	// (hlc.Clock.NowAt): read once per run, or per command when it has a
	// deadline to check.
	phys    int64
	keys    [][]byte
	locks   []int
	dparts  []int    // partition of each delta, -1: the partition of its key
	raw     [][]byte // each delta's encoding when it came encoded (a replica's): logged as is
	rec     []byte   // WAL record being built
	scratch []byte
	// proposal is an acceptor's decoded proposal (vote), reused: its
	// deltas are copied into the log and the shard before it is.
	proposal []storage.Delta
	// one is the shard of the command's one locked partition, which
	// locateOne returns for any key: a command touches only its own
	// keys, whose partitions it locked, so with one locked the Ctx need
	// not hash a key again to find its shard.
	one       *storage.Shard
	locateOne func([]byte) *storage.Shard
}

func newExecCtx() *execCtx {
	x := &execCtx{}
	x.locateOne = func([]byte) *storage.Shard { return x.one }
	return x
}

// New returns a node, loading its snapshot if there is one.
func New(cfg Config) (*Node, error) {
	def := DefaultConfig()
	if cfg.Partitions == 0 {
		cfg.Partitions = def.Partitions
	}
	if cfg.ExpiryInterval == 0 {
		cfg.ExpiryInterval = def.ExpiryInterval
	}
	if cfg.ExpirySample == 0 {
		cfg.ExpirySample = def.ExpirySample
	}
	if cfg.SnapshotLogBytes == 0 {
		cfg.SnapshotLogBytes = def.SnapshotLogBytes
	}
	if cfg.StorageRetry == 0 {
		cfg.StorageRetry = def.StorageRetry
	}
	if cfg.Now == nil {
		cfg.Now = def.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = def.Logger
	}
	if cfg.Collect == nil {
		cfg.Collect = def.Collect
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.Actor == 0 {
		cfg.Actor = rand.Uint64() | 1
	}
	if cfg.FS == nil {
		cfg.FS = vfs.OS{}
	}
	n := &Node{cfg: cfg, log: cfg.Logger, fs: cfg.FS, seed: rand.Uint64(), mem: memGuard{limit: cfg.MaxMemory}}
	n.clock = hlc.NewClock(cfg.Actor, func() int64 { return cfg.Now().UnixMilli() })
	n.makePartitions(cfg.Partitions)
	n.locate = func(key []byte) *storage.Shard { return n.parts[n.partitionOf(key)].shard }
	n.ctxs.New = func() any { return newExecCtx() }
	if err := n.recover(); err != nil {
		return nil, err
	}
	if n.cfg.Cluster {
		if err := n.loadHeld(); err != nil {
			return nil, err
		}
	}
	return n, nil
}

func (n *Node) partitionOfString(key string) int { return ring.PartitionOfString(key, len(n.parts)) }

// makePartitions (re)creates count empty partitions. Only recovery calls
// it, before the node is shared.
func (n *Node) makePartitions(count int) {
	if len(n.parts) == count {
		return
	}
	n.parts = make([]partition, count)
	for i := range n.parts {
		n.parts[i].shard = storage.NewShard(n.cfg.KeepTombstones)
		n.parts[i].intn = rand.New(rand.NewPCG(n.seed, uint64(i))).IntN
		if !n.cfg.Cluster {
			n.parts[i].state = partServing
		}
	}
}

// snapshotDue reports whether the WAL has grown enough since the last
// snapshot that replaying it would be slow: past SnapshotLogBytes and past
// twice the last snapshot's size (the same rule Redis uses to rewrite its
// AOF).
func (n *Node) snapshotDue() bool {
	w, min := n.walBytes.Load(), n.cfg.SnapshotLogBytes
	return n.wal != nil && min >= 0 && w >= min && w >= 2*n.snapBytes.Load()
}

// Partitions returns the partition count in use.
func (n *Node) Partitions() int { return len(n.parts) }

// ErrFailed wraps the durability error that stops writes until the log
// can be written again.
var ErrFailed = errors.New("disk full or failing: writes are refused until the write-ahead log can be written again (retried every second); reads still work")

func (n *Node) failure() error {
	if p := n.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// WritesRefused returns the failure that stops writes (a full or failing
// disk), or nil while the node takes them.
func (n *Node) WritesRefused() error { return n.failure() }

func (n *Node) fail(err error) {
	err = fmt.Errorf("%w: %v", ErrFailed, err)
	if n.failed.CompareAndSwap(nil, &err) {
		n.log.Error("durability failure: refusing writes until the log can be written again", "err", err)
	}
}

// retryStorage brings a node whose log failed back to taking writes: it
// writes a snapshot of the whole state from memory (which holds every
// write the log took, and the few it failed on), and restarts the log
// after it, dropping the segments whose pages a failed write or fsync
// leaves untrusted. While the disk is still full or failing it fails and
// the node stays as it was.
func (n *Node) retryStorage() error {
	if n.failure() == nil || n.wal == nil || n.cfg.SnapshotPath == "" {
		return nil
	}
	n.persistMu.Lock()
	defer n.persistMu.Unlock()
	if err := vfs.WriteAtomic(n.fs, n.cfg.SnapshotPath, func(w io.Writer) error {
		_, err := n.writeSnapshot(w)
		return err
	}); err != nil {
		return fmt.Errorf("node: snapshot for recovery: %w", err)
	}
	if size, err := n.fs.Size(n.cfg.SnapshotPath); err == nil {
		n.snapBytes.Store(size)
	}
	if err := n.wal.Restart(); err != nil {
		return fmt.Errorf("node: restart the log: %w", err)
	}
	n.walBytes.Store(0)
	n.failed.Store(nil)
	n.log.Info("storage recovered: the log is written again; writes are accepted")
	return nil
}

// KeepsTombstones reports whether removals leave tombstones (replicated
// partitions).
func (n *Node) KeepsTombstones() bool { return n.cfg.KeepTombstones }

// Logged reports whether the node writes a write-ahead log.
func (n *Node) Logged() bool { return n.wal != nil }

// Actor returns the node's actor id.
func (n *Node) Actor() uint64 { return n.cfg.Actor }

func (n *Node) partitionOf(key []byte) int { return ring.PartitionOf(key, len(n.parts)) }

// lockKeys locks the partitions of keys in ascending order and returns
// their indexes for unlock.
func (n *Node) lockKeys(keys [][]byte, locks []int) []int {
	locks = locks[:0]
	for _, k := range keys {
		locks = append(locks, n.partitionOf(k))
	}
	if len(locks) > 1 {
		slices.Sort(locks)
		locks = slices.Compact(locks)
	}
	for _, p := range locks {
		n.parts[p].mu.Lock()
	}
	return locks
}

func (n *Node) lockAll(locks []int) []int {
	locks = locks[:0]
	for i := range n.parts {
		n.parts[i].mu.Lock()
		locks = append(locks, i)
	}
	return locks
}

func (n *Node) unlock(locks []int) {
	for i := len(locks) - 1; i >= 0; i-- {
		n.parts[locks[i]].mu.Unlock()
	}
}

// Durable waits until the log holds every record up to pos as Exec would
// before answering. A failure is the node's failure: every later command
// fails too, and no reply depending on pos may be sent.
func (n *Node) Durable(pos uint64) error {
	if pos == 0 || n.wal == nil {
		return nil
	}
	if err := n.wal.Wait(pos); err != nil {
		n.fail(err)
		return err
	}
	return nil
}

// begin prepares x for the commands of one command of a run (a
// transaction's commands share it).
func (n *Node) begin(x *execCtx, db int) {
	x.c.Reuse(db, n.locate)
	x.dparts = x.dparts[:0]
	if len(x.locks) > 0 {
		x.c.Rand = n.parts[x.locks[0]].intn
	}
	if len(x.locks) == 1 {
		x.one, x.c.Locate = n.parts[x.locks[0]].shard, x.locateOne
	}
}

// run executes req with the needed partitions locked, adding its deltas
// to x.c.Deltas.
func (n *Node) run(x *execCtx, db int, req *proto.Request, dst []byte) []byte {
	if db < 0 || db >= storage.NumDBs {
		return proto.AppendInternalError(dst, "node: database out of range")
	}
	t := n.clock.NowAt(x.phys)
	if req.Cmd.Class() == proto.ClassDatabase {
		// Every partition is reset, held or not: one still arriving, or
		// one this node may be given later, keeps the reset in its shard,
		// and InstallPartition keeps it over the copy that arrives (made
		// by a node the RESET may have missed: one leaving the cluster,
		// which gossip no longer lists, moves its partitions out after).
		for i := range n.parts {
			d := storage.ResetDelta(db, t)
			n.parts[i].shard.Apply(&d)
			x.c.Deltas = append(x.c.Deltas, d)
			x.dparts = append(x.dparts, i)
		}
		return append(dst, proto.ReplyOK...)
	}
	if !req.Cmd.IsData() {
		return proto.AppendInternalError(dst, "node: not a data command: "+req.Cmd.String())
	}
	x.c.T = t
	if req.Once != proto.OnceNone {
		dst = n.runOnce(x, req, dst)
	} else {
		dst = storage.Exec(&x.c, req, dst)
	}
	// A command writes only its own keys, whose partitions it locked: with
	// one locked, that is every delta's (logCmd need not hash the keys
	// again); with more, logCmd finds each.
	fill := -1
	if len(x.locks) == 1 {
		fill = x.locks[0]
	}
	for len(x.dparts) < len(x.c.Deltas) {
		x.dparts = append(x.dparts, fill)
	}
	return dst
}

// maxKeptBuf bounds the encoding buffers a pooled execCtx keeps: a
// command of one large value (a 512 MiB SETRANGE) left its log record and
// scratch buffers that large in the pool for good.
const maxKeptBuf = 1 << 20

func (n *Node) release(x *execCtx) {
	if cap(x.rec) > maxKeptBuf {
		x.rec = nil
	}
	if cap(x.scratch) > maxKeptBuf {
		x.scratch = nil
	}
	x.one = nil
	clear(x.keys)
	clear(x.c.Deltas)
	x.c.Reuse(0, nil)
	clear(x.raw)
	clear(x.proposal)
	x.raw, x.proposal = x.raw[:0], x.proposal[:0]
	n.ctxs.Put(x)
}

// Run performs background work until ctx ends: the expiry sweep; a
// snapshot every SnapshotEvery, and whenever the log has grown past
// SnapshotLogBytes and twice the last snapshot, which bounds the time a
// restart spends replaying it; and, after a failure of the log, a try
// every StorageRetry to take writes again (retryStorage). The expiry
// sweep spends at most a quarter of ExpiryInterval per round; while
// expired keys are piling up (a round ran out of budget with keys still
// expiring) the next round starts after a quarter interval instead of a
// whole one, so a mass expiry gets about half of one core until it is
// cleared.
func (n *Node) Run(ctx context.Context) error {
	budget := n.cfg.ExpiryInterval / 4
	t := time.NewTimer(n.cfg.ExpiryInterval)
	defer t.Stop()
	retry := time.NewTicker(n.cfg.StorageRetry)
	defer retry.Stop()
	check := time.NewTicker(time.Second) // for a snapshot
	defer check.Stop()
	var memory <-chan time.Time // the live heap's readings, with a limit
	if n.cfg.MaxMemory > 0 {
		tick := time.NewTicker(memCheckEvery)
		defer tick.Stop()
		memory = tick.C
	}
	last := time.Now()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-retry.C:
			if err := n.retryStorage(); err != nil {
				n.log.Debug("storage still failing", "err", err)
			}
		case <-check.C:
			if n.cfg.SnapshotPath == "" || n.failure() != nil ||
				!(n.cfg.SnapshotEvery > 0 && time.Since(last) >= n.cfg.SnapshotEvery || n.snapshotDue()) {
				continue
			}
			last = time.Now()
			if err := n.Persist(); err != nil {
				n.log.Error("automatic snapshot failed", "err", err)
			}
		case <-memory:
			n.checkMemory()
		case <-t.C:
			start := time.Now()
			n.mem.freed(n.SweepExpired(budget))
			if time.Since(start) >= budget {
				t.Reset(budget)
			} else {
				t.Reset(n.cfg.ExpiryInterval)
			}
		}
	}
}

// SweepExpired removes keys whose deadline has passed and returns how many
// it removed. It samples ExpirySample keys with deadlines per partition and
// database at a time, holding a partition's lock only for one sample, and
// keeps sampling while more than a quarter of the samples had expired and
// the time budget lasts (as the best in-memory stores do). So a mass expiry
// is reclaimed steadily without stalling the clients of any partition.
func (n *Node) SweepExpired(budget time.Duration) int {
	removed := 0
	// The budget is real time spent, whatever the configured clock says.
	stop := time.Now().Add(budget)
	var out []storage.Delta
	x := n.ctxs.Get().(*execCtx)
	defer n.release(x)
	for {
		busy := false
		for i := range n.parts {
			p := &n.parts[i]
			p.mu.Lock()
			for db := 0; db < storage.NumDBs; db++ {
				if p.shard.Volatile(db) == 0 {
					continue
				}
				out = p.shard.Expired(db, n.clock.Now().Wall(), n.cfg.ExpirySample, out[:0])
				for k := range out {
					p.shard.Apply(&out[k])
				}
				if len(out) > 0 {
					x.c.Deltas = append(x.c.Deltas[:0], out...)
					x.dparts = append(x.dparts[:0], make([]int, len(out))...)
					for k := range x.dparts {
						x.dparts[k] = i
					}
					n.logCmd(x, nil) // a failure fails the node
				}
				removed += len(out)
				busy = busy || len(out)*4 > n.cfg.ExpirySample
			}
			p.mu.Unlock()
		}
		if !busy || !time.Now().Before(stop) {
			return removed
		}
	}
}

// Keys returns the number of entries stored in db, for tests and metrics.
func (n *Node) Keys(db int) int {
	total := 0
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		total += p.shard.Len(db)
		p.mu.Unlock()
	}
	return total
}
