package node

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/storage/wal"
)

// replicateTimeout bounds how long a coordinator waits for replicas: it
// must answer well within a router's deadline.
const replicateTimeout = 2 * time.Second

// Coordinator runs data commands on a node. It is the one path of every
// data command: the vanity binary hands it a turn's commands in process,
// with one copy of each partition; a cluster's routers send them over RPC,
// with N copies. For each run it:
//
//  1. joins, for reads at R > 1, the states of their keys from R-1 other
//     replicas, asked in one call per replica node (replication.Reads);
//  2. runs the commands in order on the node's own copy (Node.apply:
//     locks, checks, storage, one log record per command, deltas encoded
//     once);
//  3. sends each other replica node the deltas of its partitions in one
//     call while it makes its own log durable, and answers once every
//     write has W copies, or nothing more can come (replication.Tracker).
//
// Nothing waits on a goroutine of its own: the replicas' answers drive the
// run from the goroutines that receive them, and a run with nothing to
// wait for (one copy, a log that does not fsync every write) is answered
// before Run returns. Only an fsync under wal.SyncAlways, and writing
// hints, take a goroutine (owned by the coordinator, see Wait).
type Coordinator struct {
	node *Node
	// replicas returns the replicas of partition p other than this node
	// and the replica count; nil: this node holds the only copy.
	replicas func(p int) ([]replication.Replica, int)
	hints    replication.Hints
	// slow are the peers found failing or slower than Speculate lately
	// (shared with the serial path's rounds): a quorum read asks them
	// after the others, so that a replica down or cut off costs one read
	// its wait, not every read for as long as it lasts.
	slow *slowPeers
	log  *slog.Logger
	// readRepairs counts the replicas sent a joined state after a read.
	readRepairs *atomic.Int64
	// waitHere makes the caller's goroutine wait for the disk (an event
	// loop of the single process, as a single-threaded server does:
	// between two turns the loop has nothing else to do but wait); other
	// coordinators wait on a goroutine of their own.
	waitHere bool
	// background owns the goroutines that wait for the disk.
	background sync.WaitGroup
	stats      CoordinatorStats
}

// CoordinatorStats counts a coordinator's work.
type CoordinatorStats struct {
	Runs, Commands, QuorumReads, Sends atomic.Int64
}

// Stats returns the coordinator's counters.
func (c *Coordinator) Stats() *CoordinatorStats { return &c.stats }

// NewLocalCoordinator returns the coordinator of a node that holds the
// only copy of its data (the single process).
func NewLocalCoordinator(n *Node) *Coordinator {
	return &Coordinator{node: n, log: n.log, readRepairs: new(atomic.Int64), waitHere: true}
}

// Node returns the coordinator's node.
func (c *Coordinator) Node() *Node { return c.node }

// Wait waits for the goroutines of earlier runs.
func (c *Coordinator) Wait() { c.background.Wait() }

// goBackground runs f on a goroutine Wait waits for.
func (c *Coordinator) goBackground(f func()) {
	c.background.Add(1)
	go func() {
		defer c.background.Done()
		f()
	}()
}

// Run runs r and calls done with its result, in res (whose buffers it
// reuses), once it may be answered: every write durable here and stored
// by as many replicas as its level asks (or marked not confirmed), every
// reply's reads durable. done is called exactly once: before Run returns
// when nothing had to wait, otherwise from another goroutine. r is Run's
// until done returns. res is Run's until done returns and until every
// replica the writes went to has answered (an answer after done may have
// to keep res's deltas as hints); then Run calls free(res), if free is not
// nil, and res may be reused.
func (c *Coordinator) Run(r *rpc.Run, res *Result, done, free func(*Result)) {
	c.stats.Runs.Add(1)
	c.stats.Commands.Add(int64(len(r.Cmds)))
	if wants, of := c.quorumReads(r); len(wants) > 0 {
		c.stats.QuorumReads.Add(1)
		c.readQuorum(r, wants, of, func(skip []skipped) {
			c.node.apply(r, res, c.replicas != nil, skip)
			c.settle(r, res, done, free)
		})
		return
	}
	c.node.apply(r, res, c.replicas != nil, nil)
	c.settle(r, res, done, free)
}

// settle makes res's writes durable here while it sends their deltas to
// the other replicas, one call per replica node, and calls done once each
// write has its W copies or nothing more can come; a write without them
// answers that it is not confirmed.
func (c *Coordinator) settle(r *rpc.Run, res *Result, done, free func(*Result)) {
	if res.st == nil {
		res.st = new(settling)
	}
	st := res.st // reused with res: nothing touches it once free is called
	st.reset(c, res, done, free)
	if c.replicas != nil {
		for _, it := range res.items {
			others, n := c.replicas(it.Partition)
			st.copies = append(st.copies, n)
			for _, o := range others {
				i := st.target(o)
				st.carries[i] = append(st.carries[i], it.Partition)
				st.items[i] = append(st.items[i], it)
			}
		}
	}
	for _, w := range res.wrote {
		n := st.copies[res.itemOf[w.parts[0]]]
		st.units = append(st.units, replication.Unit{Need: r.Cmds[w.cmd].Write.Need(n), Parts: w.parts})
	}
	st.tr.Reset(st.units, st.carries)
	st.pending = len(st.targets) + 1
	c.stats.Sends.Add(int64(len(st.targets)))
	for i, o := range st.targets {
		items := st.items[i]
		o.Send(items, replicateTimeout, func(err error) {
			if err != nil {
				c.hint(o.Name(), items)
			}
			st.answered(i, err == nil)
			st.arrived()
		})
	}
	pos := res.Pos // res may be reused before a goroutine reads it
	if c.waitHere || c.node.durableAtOnce(pos) {
		st.local(c.node.Durable(pos))
		st.arrived()
		return
	}
	c.goBackground(func() {
		st.local(c.node.Durable(pos))
		st.arrived()
	})
}

// settling is a run waiting for its copies. It belongs to the run's
// Result and is reused with it, buffers and all.
type settling struct {
	c    *Coordinator
	res  *Result
	done func(*Result)
	free func(*Result)

	copies  []int                 // replica count of each of res.items' partitions
	targets []replication.Replica // the other replica nodes written to
	carries [][]int               // partitions sent to each target
	items   [][]replication.Item  // what each target is sent (aliasing res.items)
	units   []replication.Unit

	mu       sync.Mutex
	tr       replication.Tracker
	finished bool
	pending  int // answers still to come: one per replica sent to, one for the local log
}

// reset readies st for a run, keeping its buffers.
func (st *settling) reset(c *Coordinator, res *Result, done, free func(*Result)) {
	st.c, st.res, st.done, st.free = c, res, done, free
	clear(st.targets)
	for i := range st.items {
		clear(st.items[i])
	}
	st.copies, st.targets, st.units = st.copies[:0], st.targets[:0], st.units[:0]
	st.carries, st.items = st.carries[:0], st.items[:0]
	st.finished, st.pending = false, 0
}

// target returns the index of replica node o among st's targets, adding
// it (with its earlier buffers) if it is new.
func (st *settling) target(o replication.Replica) int {
	for i, t := range st.targets {
		if t.Name() == o.Name() {
			return i
		}
	}
	i := len(st.targets)
	st.targets = append(st.targets, o)
	if i < cap(st.carries) {
		st.carries = st.carries[:i+1]
		st.carries[i] = st.carries[i][:0]
	} else {
		st.carries = append(st.carries, nil)
	}
	if i < cap(st.items) {
		st.items = st.items[:i+1]
		st.items[i] = st.items[i][:0]
	} else {
		st.items = append(st.items, nil)
	}
	return i
}

// arrived counts an answer in, after it has been taken (answered, local),
// and frees res after the last one.
func (st *settling) arrived() {
	st.mu.Lock()
	st.pending--
	last := st.pending == 0
	st.mu.Unlock()
	if last && st.free != nil {
		st.free(st.res)
	}
}

func (st *settling) answered(i int, ok bool) {
	st.mu.Lock()
	st.tr.Answered(i, ok)
	st.decide()
}

// local takes the outcome of this node's own log.
func (st *settling) local(err error) {
	st.mu.Lock()
	if err != nil {
		if st.finished {
			st.mu.Unlock()
			return
		}
		st.finished = true
		st.mu.Unlock()
		st.res.replace(0, len(st.res.Ends), rpc.StatusError, "write not durable: "+err.Error())
		st.done(st.res)
		return
	}
	st.tr.StoredLocally()
	st.decide()
}

// decide answers the run once the tracker has decided; st.mu held, and
// released.
func (st *settling) decide() {
	if st.finished || !st.tr.Decided() {
		st.mu.Unlock()
		return
	}
	st.finished = true
	res := st.res
	for u, w := range res.wrote {
		if ok, least := st.tr.Confirmed(u); !ok {
			from, to := res.cmdEntries(w.cmd)
			res.replace(from, to, rpc.StatusNotConfirmed, fmt.Sprintf(
				"partition %d: %d of %d replicas stored the write; it is not confirmed (it may still appear later, through repair)",
				w.parts[0], least, st.units[u].Need))
		}
	}
	st.mu.Unlock()
	st.done(res)
}

// hint keeps the items a replica did not take, for delivery when it is
// back (the hint store fsyncs: on a goroutine).
func (c *Coordinator) hint(replica string, items []replication.Item) {
	if c.hints == nil {
		return
	}
	kept := make([]replication.Item, len(items)) // items alias a Result that is reused once Run frees it
	for i, it := range items {
		kept[i] = replication.Item{Partition: it.Partition, Deltas: bytes.Clone(it.Deltas)}
	}
	c.goBackground(func() {
		if err := c.hints.AddItems(replica, kept); err != nil {
			c.log.Warn("a hint was not kept; anti-entropy will repair the replica", "replica", replica, "err", err)
		}
	})
}

// quorumReads returns the quorum reads r asks for: for each partition
// (and database) that commands reading at R > 1 touch, the keys to ask
// its other replicas for; of lists the commands behind each want. A
// transaction reads so too, writes and all: what its commands read, check
// (WATCH) and answer then sees every write acknowledged before it began,
// as a read does, though this coordinator missed some (it was down, or
// another coordinated while it was cut off).
func (c *Coordinator) quorumReads(r *rpc.Run) ([]replication.Want, [][]int) {
	if c.replicas == nil {
		return nil, nil
	}
	var wants []replication.Want
	var of [][]int
	index := map[[2]int]int{} // (db, partition) to want
	var keys [][]byte
	for ci := range r.Cmds {
		cmd := &r.Cmds[ci]
		reads := true
		keys = keys[:0]
		for _, req := range cmd.Reqs {
			reads = reads && req.Cmd.Class() == proto.ClassRead
			keys = req.Keys(keys)
		}
		if !reads && len(cmd.Reqs) < 2 || len(keys) == 0 || cmd.Digest != rpc.DigestNone {
			continue // a router that asks for digests compares them itself
		}
		for _, k := range keys {
			p := c.node.partitionOf(k)
			others, n := c.replicas(p)
			need := cmd.Read.Need(n)
			if need <= 1 {
				continue
			}
			w, ok := index[[2]int{cmd.DB, p}]
			if !ok {
				w = len(wants)
				index[[2]int{cmd.DB, p}] = w
				wants = append(wants, replication.Want{Req: replication.StateReq{DB: cmd.DB, Partition: p},
					Replicas: c.slow.last(others), Need: need})
				of = append(of, nil)
			}
			wants[w].Need = max(wants[w].Need, need)
			wants[w].Req.Keys = append(wants[w].Req.Keys, k)
			if n := len(of[w]); n == 0 || of[w][n-1] != ci {
				of[w] = append(of[w], ci)
			}
		}
	}
	return wants, of
}

// reading is a quorum read in progress: the plan, and what the replicas
// answered.
type reading struct {
	c       *Coordinator
	r       *rpc.Run
	of      [][]int
	next    func([]skipped)
	local   [][]byte // this node's states of each want's keys, before the join
	answers [][]answer
	differ  []bool
	// arriving marks the wants a replica refused because its copy of the
	// partition is not complete (a copy still arriving while the
	// partition moves, or one catching up after a restart).
	arriving []bool

	mu       sync.Mutex
	plan     *replication.Reads
	timer    *time.Timer
	finished bool
	waiting  map[string]int // calls made to each replica and not answered yet
}

type answer struct {
	r      replication.Replica
	states []byte
}

// readQuorum joins into this node's copy the states the wants ask for,
// then calls next with the commands to skip: those whose partitions could
// not gather their copies. The replicas that answered with less than the
// join are sent it afterwards (read repair).
func (c *Coordinator) readQuorum(r *rpc.Run, wants []replication.Want, of [][]int, next func([]skipped)) {
	rd := &reading{c: c, r: r, of: of, next: next, plan: replication.NewReads(wants), waiting: map[string]int{},
		local: make([][]byte, len(wants)), answers: make([][]answer, len(wants)), differ: make([]bool, len(wants)),
		arriving: make([]bool, len(wants))}
	for w := range wants {
		rd.local[w], _, _ = c.node.KeyStates(wants[w].Req.DB, wants[w].Req.Keys)
	}
	rd.mu.Lock()
	asks := rd.plan.Start()
	if rd.plan.Done() {
		rd.finish() // unlocks
		return
	}
	rd.timer = time.AfterFunc(replication.Speculate, rd.slow)
	rd.mu.Unlock()
	rd.ask(asks)
}

// ask makes the calls the plan returned.
func (rd *reading) ask(asks []replication.Ask) {
	wants := rd.plan.Wants()
	rd.mu.Lock()
	for _, a := range asks {
		rd.waiting[a.Replica.Name()]++
	}
	rd.mu.Unlock()
	for _, a := range asks {
		reqs := make([]replication.StateReq, len(a.Wants))
		for k, w := range a.Wants {
			reqs[k] = wants[w].Req
		}
		a.Replica.Ask(reqs, replicateTimeout, func(out []replication.StateAnswer, err error) {
			rd.answered(a, out, err)
		})
	}
}

// answered joins a replica's answer and asks more replicas if the plan
// says so.
func (rd *reading) answered(a replication.Ask, out []replication.StateAnswer, err error) {
	if err == nil && len(out) != len(a.Wants) {
		err = fmt.Errorf("%w: %d answers to %d requests", rpc.ErrMalformed, len(out), len(a.Wants))
	}
	rd.mu.Lock()
	rd.waiting[a.Replica.Name()]--
	if err != nil {
		rd.c.slow.mark(a.Replica.Name(), time.Now())
	}
	if rd.finished {
		rd.mu.Unlock()
		return
	}
	var more []replication.Ask
	for k, w := range a.Wants {
		ok := err == nil && out[k].Err == nil
		if err == nil && notServed(out[k].Err) {
			rd.arriving[w] = true
		}
		if ok && rd.plan.Short(w) {
			ok = rd.join(w, a.Replica, out[k].States) == nil
		}
		more = append(more, rd.plan.Answered(w, ok)...)
	}
	if rd.plan.Done() {
		rd.finish()
		return
	}
	rd.mu.Unlock()
	rd.ask(more)
}

// join joins one replica's states of a want into this node's copy.
func (rd *reading) join(w int, r replication.Replica, states []byte) error {
	rd.answers[w] = append(rd.answers[w], answer{r, states})
	if bytes.Equal(states, rd.local[w]) {
		return nil // nothing to repair (the usual case)
	}
	rd.differ[w] = true
	_, err := rd.c.node.applyReplica(rd.plan.Wants()[w].Req.Partition, states)
	return err
}

// slow asks one more replica for the wants nobody answered in time.
func (rd *reading) slow() {
	rd.mu.Lock()
	if rd.finished {
		rd.mu.Unlock()
		return
	}
	now := time.Now()
	for name, n := range rd.waiting {
		if n > 0 {
			rd.c.slow.mark(name, now) // asked Speculate ago, and silent
		}
	}
	more := rd.plan.Slow()
	rd.timer.Reset(replication.Speculate)
	rd.mu.Unlock()
	rd.ask(more)
}

// finish ends the read (rd.mu held, and released): commands whose wants
// fell short are skipped, the others run; replicas that answered with less
// than the join get it.
func (rd *reading) finish() {
	rd.finished = true
	if rd.timer != nil {
		rd.timer.Stop()
	}
	wants := rd.plan.Wants()
	skip := make([]skipped, len(rd.r.Cmds))
	for w := range wants {
		if rd.plan.Short(w) {
			msg := fmt.Sprintf("partition %d: %d of %d replicas answered", wants[w].Req.Partition, rd.plan.Got(w), wants[w].Need)
			if rd.arriving[w] {
				msg = fmt.Sprintf(msgReadArriving, wants[w].Req.Partition, rd.plan.Got(w), wants[w].Need)
			}
			for _, ci := range rd.of[w] {
				skip[ci] = skipped{rpc.StatusUnavailable, msg}
			}
		}
	}
	rd.mu.Unlock()
	for w := range wants {
		if rd.differ[w] && !rd.plan.Short(w) {
			rd.repair(w)
		}
	}
	rd.next(skip)
}

// msgReadArriving explains a quorum read that fell short because a
// replica's copy of the partition is not complete yet.
const msgReadArriving = "partition %d: %d of %d replicas have its whole copy (another is bringing its copy in: the partition is moving, or the replica restarted); the read did not run: try again once the copy is in"

// notServed reports whether a replica's error says that it does not serve
// the partition completely (its own node's, or over RPC).
func notServed(err error) bool {
	var re *rpc.Error
	return errors.Is(err, ErrNotHeld) || errors.As(err, &re) && re.Status == rpc.StatusWrongRing
}

// repair sends the joined state of want w to the replicas that answered
// with something else.
func (rd *reading) repair(w int) {
	req := rd.plan.Wants()[w].Req
	joined, _, err := rd.c.node.KeyStates(req.DB, req.Keys)
	if err != nil {
		return
	}
	for _, a := range rd.answers[w] {
		if bytes.Equal(a.states, joined) {
			continue
		}
		a.r.Send([]replication.Item{{Partition: req.Partition, Deltas: joined}}, replicateTimeout, func(err error) {
			if err != nil {
				rd.c.log.Debug("read repair failed", "replica", a.r.Name(), "partition", req.Partition, "err", err)
			}
			rd.c.readRepairs.Add(1)
		})
	}
}

// durableAtOnce reports whether Durable(pos) returns without waiting for
// the disk: there is no log, nothing to wait for, or the log does not
// fsync before it acknowledges (it then writes its buffer to the file, one
// system call).
func (n *Node) durableAtOnce(pos uint64) bool {
	return n.wal == nil || pos == 0 || n.cfg.Fsync != wal.SyncAlways
}
