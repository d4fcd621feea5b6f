package node

import (
	"bytes"
	"context"
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
//     replicas (batched per replica node; replication.ReadMany);
//  2. runs the commands in order on the node's own copy (Node.apply:
//     locks, checks, storage, one log record per command, deltas encoded
//     once);
//  3. sends each other replica node the deltas of its partitions in one
//     call while it waits for its own log, and answers once every write
//     has W copies, or nothing more can come (replication.Replicate).
//
// Steps that wait run on a goroutine the caller provides (spawn); a run
// that waits for nothing (one copy, a log that does not fsync every
// write) is answered before Run returns.
type Coordinator struct {
	node *Node
	// replicas returns the replicas of partition p other than this node
	// and the replica count; nil: this node holds the only copy.
	replicas func(p int) ([]replication.Replica, int)
	hints    replication.Hints
	log      *slog.Logger
	// readRepairs counts the replicas sent a joined state after a read.
	readRepairs *atomic.Int64
	// background owns the sends that outlive their run (a slow replica
	// after the quorum answered) and read repairs.
	background sync.WaitGroup
}

// NewLocalCoordinator returns the coordinator of a node that holds the
// only copy of its data (the single process).
func NewLocalCoordinator(n *Node) *Coordinator {
	return &Coordinator{node: n, log: n.log, readRepairs: new(atomic.Int64)}
}

// Node returns the coordinator's node.
func (c *Coordinator) Node() *Node { return c.node }

// Wait waits for the background work of earlier runs.
func (c *Coordinator) Wait() { c.background.Wait() }

// Run runs r and calls done with its result, in res (whose buffers it
// reuses), once it may be answered: every write durable here and stored
// by as many replicas as its level asks (or marked not confirmed), every
// reply's reads durable. done is called before Run returns when nothing
// had to wait; otherwise from a function Run hands to spawn, which must
// run it on a goroutine (and may be called only while Run runs). r and
// res are Run's until done returns.
func (c *Coordinator) Run(ctx context.Context, r *rpc.Run, res *Result, spawn func(func()), done func(*Result)) {
	if wants, of := c.quorumReads(r); len(wants) > 0 {
		spawn(func() {
			skip := c.readQuorum(ctx, r, wants, of)
			c.node.apply(r, res, c.replicas != nil, skip)
			c.settle(ctx, r, res)
			done(res)
		})
		return
	}
	c.node.apply(r, res, c.replicas != nil, nil)
	if c.waits(res) {
		spawn(func() {
			c.settle(ctx, r, res)
			done(res)
		})
		return
	}
	c.settle(ctx, r, res)
	done(res)
}

// waits reports whether settling res takes more than a system call:
// deltas to send, or a log that fsyncs before it acknowledges.
func (c *Coordinator) waits(res *Result) bool {
	if c.replicas != nil {
		for _, it := range res.items {
			if others, _ := c.replicas(it.Partition); len(others) > 0 {
				return true
			}
		}
	}
	return !c.node.durableAtOnce(res.Pos)
}

// settle sends res's deltas to the other replicas while this node makes
// its log durable, and waits until each write has its W copies or nothing
// more can come; a write without them answers that it is not confirmed.
func (c *Coordinator) settle(ctx context.Context, r *rpc.Run, res *Result) {
	local := func() error { return c.node.Durable(res.Pos) }
	if len(res.items) == 0 || c.replicas == nil {
		if err := local(); err != nil {
			res.replace(0, len(res.Ends), rpc.StatusError, "write not durable: "+err.Error())
		}
		return
	}
	var sends []replication.Send
	var carries [][]int
	index := map[string]int{}
	copies := map[int]int{} // replica count of each partition written
	for _, it := range res.items {
		others, n := c.replicas(it.Partition)
		copies[it.Partition] = n
		for _, o := range others {
			i, ok := index[o.Name()]
			if !ok {
				i = len(sends)
				index[o.Name()] = i
				sends = append(sends, replication.Send{Replica: o})
				carries = append(carries, nil)
			}
			sends[i].Items = append(sends[i].Items, it)
			carries[i] = append(carries[i], it.Partition)
		}
	}
	units := make([]replication.Unit, len(res.wrote))
	for u, w := range res.wrote {
		units[u] = replication.Unit{Need: replication.Need(r.Cmds[w.cmd].Write, copies[w.parts[0]]), Parts: w.parts}
	}
	tr := replication.NewTracker(units, carries)
	var hints replication.Hints // a nil *HintStore in it would not be a nil interface
	if c.hints != nil {
		hints = c.hints
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replicateTimeout)
	finished := make(chan struct{})
	err := replication.Replicate(rctx, sends, tr, local, hints, finished)
	c.background.Add(1)
	go func() { // the sends that outlive the answer, and their hints
		defer c.background.Done()
		<-finished
		cancel()
	}()
	if err != nil {
		res.replace(0, len(res.Ends), rpc.StatusError, "write not durable: "+err.Error())
		return
	}
	for u, w := range res.wrote {
		if ok, least := tr.Confirmed(u); !ok {
			from, to := res.cmdEntries(w.cmd)
			res.replace(from, to, rpc.StatusNotConfirmed, fmt.Sprintf(
				"partition %d: %d of %d replicas stored the write; it is not confirmed (it may still appear later, through repair)",
				w.parts[0], least, units[u].Need))
		}
	}
}

// quorumReads returns the quorum reads r asks for: for each partition
// (and database) that commands reading at R > 1 touch, the keys to ask
// its other replicas for; of lists the commands behind each want.
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
		if !reads || len(keys) == 0 {
			continue
		}
		for _, k := range keys {
			p := c.node.partitionOf(k)
			others, n := c.replicas(p)
			need := replication.Need(cmd.Read, n)
			if need <= 1 {
				continue
			}
			w, ok := index[[2]int{cmd.DB, p}]
			if !ok {
				w = len(wants)
				index[[2]int{cmd.DB, p}] = w
				wants = append(wants, replication.Want{Req: replication.StateReq{DB: cmd.DB, Partition: p},
					Replicas: others, Need: need})
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

// readQuorum joins into this node's copy the states the wants ask for,
// and returns the commands to skip: those whose partitions could not
// gather their copies. The replicas that answered with less than the join
// are sent it afterwards (read repair), in the background.
func (c *Coordinator) readQuorum(ctx context.Context, r *rpc.Run, wants []replication.Want, of [][]int) []skipped {
	type answer struct {
		r      replication.Replica
		states []byte
	}
	local := make([][]byte, len(wants))
	for w := range wants {
		local[w], _, _ = c.node.KeyStates(wants[w].Req.DB, wants[w].Req.Keys)
	}
	answers := make([][]answer, len(wants))
	differ := make([]bool, len(wants))
	rctx, cancel := context.WithTimeout(ctx, replicateTimeout)
	got := replication.ReadMany(rctx, wants, func(w int, rep replication.Replica, states []byte) error {
		answers[w] = append(answers[w], answer{rep, states})
		if bytes.Equal(states, local[w]) {
			return nil // nothing to repair (the usual case)
		}
		differ[w] = true
		_, err := c.node.applyReplica(wants[w].Req.Partition, states)
		return err
	})
	cancel()
	skip := make([]skipped, len(r.Cmds))
	for w := range wants {
		if got[w] < wants[w].Need {
			for _, ci := range of[w] {
				skip[ci] = skipped{rpc.StatusUnavailable, fmt.Sprintf("partition %d: %d of %d replicas answered",
					wants[w].Req.Partition, got[w], wants[w].Need)}
			}
			continue
		}
		if !differ[w] {
			continue
		}
		joined, _, err := c.node.KeyStates(wants[w].Req.DB, wants[w].Req.Keys)
		if err != nil {
			continue
		}
		for _, a := range answers[w] {
			if bytes.Equal(a.states, joined) {
				continue
			}
			p := wants[w].Req.Partition
			c.background.Add(1)
			go func() {
				defer c.background.Done()
				rctx, cancel := context.WithTimeout(context.Background(), replicateTimeout)
				defer cancel()
				if err := a.r.Store(rctx, []replication.Item{{Partition: p, Deltas: joined}}); err != nil {
					c.log.Debug("read repair failed", "replica", a.r.Name(), "partition", p, "err", err)
				}
				c.readRepairs.Add(1)
			}()
		}
	}
	return skip
}

// durableAtOnce reports whether Durable(pos) returns without waiting for
// the disk: there is no log, nothing to wait for, or the log does not
// fsync before it acknowledges (it then writes its buffer to the file, one
// system call).
func (n *Node) durableAtOnce(pos uint64) bool {
	return n.wal == nil || pos == 0 || n.cfg.Fsync != wal.SyncAlways
}
