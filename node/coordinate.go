package node

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring/gossip"
)

// replicateTimeout bounds how long a coordinator waits for replicas: it
// must answer well within a router's call timeout.
const replicateTimeout = 2 * time.Second

// openHints opens the hint store beside the node's data, if it persists.
func openHints(cfg ServiceConfig, n *Node) (*replication.HintStore, error) {
	if cfg.Replicas < 2 || cfg.Node.HeldPath == "" || cfg.MaxHints < 0 {
		return nil, nil
	}
	return replication.OpenHints(n.fs, filepath.Join(filepath.Dir(cfg.Node.HeldPath), "hints"), cfg.MaxHints)
}

// others returns the replicas of partition p other than this node, by the
// current ring.
func (s *Service) others(p int) ([]replication.Replica, int) {
	r := s.ring.Load()
	if r == nil {
		return nil, 1
	}
	prefs := r.Replicas(p)
	var out []replication.Replica
	for _, i := range prefs {
		m := r.Member(int(i))
		if m.ID != s.cfg.Name {
			out = append(out, s.replica(m.ID, m.Addr))
		}
	}
	return out, len(prefs)
}

// coordinate runs a command (or a transaction's commands) of one partition
// for a router when partitions have several replicas: a read at R > 1
// first joins R-1 other replicas' states of its keys (repairing this copy),
// and a write's deltas go to every other replica, the write confirmed once
// W have stored them (those that did not get hints). It returns the
// replies and their end offsets.
func (s *Service) coordinate(ctx context.Context, db int, read, write proto.Consistency, reqs []*proto.Request,
	dst []byte) ([]byte, []int, error) {
	var keys [][]byte
	reads := true
	for _, r := range reqs {
		keys = r.Keys(keys)
		reads = reads && r.Cmd.Class() == proto.ClassRead
	}
	if len(keys) == 0 {
		return s.node.ExecBatch(ctx, db, reqs, dst)
	}
	p := s.node.partitionOf(keys[0])
	if reads {
		if msg := s.joinQuorum(ctx, db, p, keys, read); msg != "" {
			return unavailable(dst, len(reqs), msg)
		}
	}
	out, ends, deltas, err := s.node.ExecBatchCapture(ctx, db, reqs, dst)
	if err != nil {
		return out, ends, err
	}
	if msg := s.replicate(ctx, p, deltas, write); msg != "" {
		return unavailable(dst, len(reqs), msg)
	}
	return out, ends, nil
}

// joinQuorum joins into this node's copy of partition p the states of
// keys held by other replicas, until the read level's count of replicas
// (this one included) has contributed. It returns "" or the error text
// for the client.
func (s *Service) joinQuorum(ctx context.Context, db, p int, keys [][]byte, read proto.Consistency) string {
	others, n := s.others(p)
	need := replication.Need(read, n)
	if need <= 1 {
		return ""
	}
	rctx, cancel := context.WithTimeout(ctx, replicateTimeout)
	defer cancel()
	local, _, _ := s.node.KeyStates(db, keys)
	type answer struct {
		r      replication.Replica
		states []byte
	}
	var answers []answer
	differ := false
	got, err := replication.Read(rctx, db, keys, others, need, func(r replication.Replica, states []byte) error {
		answers = append(answers, answer{r, states})
		if bytes.Equal(states, local) {
			return nil // nothing to repair (the usual case)
		}
		differ = true
		return s.node.ApplyReplica(p, states)
	})
	if err != nil {
		return fmt.Sprintf("unavailable: partition %d: %d of %d replicas answered", p, got, need)
	}
	if differ {
		// Read repair: the replicas that answered with less than the join
		// get it, in the background (the reply does not wait).
		joined, _, err := s.node.KeyStates(db, keys)
		if err != nil {
			return ""
		}
		for _, a := range answers {
			if bytes.Equal(a.states, joined) {
				continue
			}
			go func() {
				rctx, cancel := context.WithTimeout(context.Background(), replicateTimeout)
				defer cancel()
				if err := a.r.Store(rctx, p, joined); err != nil {
					s.log.Debug("read repair failed", "replica", a.r.Name(), "partition", p, "err", err)
				}
				s.entropy.readRepairs.Add(1)
			}()
		}
	}
	return ""
}

// replicate sends partition p's deltas to its other replicas and returns
// "" once the write level's count has stored them (this node included),
// or the error text for the client. Replicas still storing then finish in
// the background (a hint if they fail or run out of time), not cut off by
// the reply.
func (s *Service) replicate(ctx context.Context, p int, deltas []byte, write proto.Consistency) string {
	others, n := s.others(p)
	if len(deltas) == 0 || len(others) == 0 {
		return ""
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), replicateTimeout)
	done := make(chan struct{})
	var hints replication.Hints // a nil *HintStore in it would not be a nil interface
	if s.hints != nil {
		hints = s.hints
	}
	o := replication.Replicate(rctx, p, deltas, others, replication.Need(write, n), hints, done)
	go func() {
		<-done
		cancel()
	}()
	if !o.Confirmed() {
		return fmt.Sprintf("unavailable: partition %d: %d of %d replicas answered; the write is not confirmed (it may still appear later, through repair)",
			p, o.Acked, o.Needed)
	}
	return ""
}

// unavailable answers every one of n commands with ERROR msg.
func unavailable(dst []byte, n int, msg string) ([]byte, []int, error) {
	ends := make([]int, n)
	for i := range ends {
		dst = proto.AppendErrorMsg(dst, msg)
		ends[i] = len(dst)
	}
	return dst, ends, nil
}

// deliverHints hands kept hints to replicas that are alive again, until ctx
// ends.
func (s *Service) deliverHints(ctx context.Context) {
	defer s.wg.Done()
	every := time.Second
	if s.cfg.Fast {
		every = 200 * time.Millisecond
	}
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		alive := map[string]string{}
		for _, m := range s.gossip.Members() {
			if m.Role == gossip.RoleNode && m.State == gossip.Alive {
				alive[m.Name] = m.RPC
			}
		}
		for _, name := range s.hints.Replicas() {
			addr, ok := alive[name]
			if !ok {
				continue
			}
			r := NewReplica(name, s.peer(addr))
			n, err := s.hints.Deliver(ctx, name, func(ctx context.Context, p int, d []byte) error {
				cctx, cancel := context.WithTimeout(ctx, replicateTimeout)
				defer cancel()
				return r.Store(cctx, p, d)
			})
			if n > 0 || err != nil {
				s.log.Info("hints delivered", "replica", name, "count", n, "err", err)
			}
		}
	}
}

// coordinateMany runs a router's pipeline when partitions have several
// replicas: reads at R > 1 first join R-1 replicas' states of their keys,
// partition by partition in parallel; the commands then run in order as
// ExecMany runs them; each partition's deltas go to its other replicas in
// one call, in parallel; the writes of a partition that did not reach W
// replicas answer that they are not confirmed. errs is ExecMany's.
func (s *Service) coordinateMany(ctx context.Context, db int, read, write proto.Consistency, reqs []*proto.Request) ([]byte, []int, []error) {
	type part struct {
		keys   [][]byte
		reads  []int // indexes of reads on the partition
		writes []int // and of writes
		err    string
	}
	parts := map[int]*part{}
	var keys [][]byte
	for i, r := range reqs {
		keys = r.Keys(keys[:0])
		if len(keys) == 0 {
			continue
		}
		p := s.node.partitionOf(keys[0])
		pt := parts[p]
		if pt == nil {
			pt = &part{}
			parts[p] = pt
		}
		if r.Cmd.Class() == proto.ClassRead {
			pt.reads = append(pt.reads, i)
			for _, k := range keys {
				pt.keys = append(pt.keys, append([]byte(nil), k...))
			}
		} else {
			pt.writes = append(pt.writes, i)
		}
	}
	var wg sync.WaitGroup
	for p, pt := range parts {
		if len(pt.reads) == 0 {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			pt.err = s.joinQuorum(ctx, db, p, pt.keys, read)
		}()
	}
	wg.Wait()
	out, ends, errs, deltas := s.node.ExecManyCapture(ctx, db, reqs, nil)
	for p, d := range deltas {
		pt := parts[p]
		if pt == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if msg := s.replicate(ctx, p, d, write); msg != "" && pt.err == "" {
				pt.err = msg
			}
		}()
	}
	wg.Wait()
	failed := map[int]string{}
	for _, pt := range parts {
		if pt.err != "" {
			for _, i := range append(pt.reads, pt.writes...) {
				failed[i] = pt.err
			}
		}
	}
	if len(failed) == 0 {
		return out, ends, errs
	}
	rebuilt := make([]byte, 0, len(out))
	prev := 0
	for i, e := range ends {
		if msg, ok := failed[i]; ok && (errs == nil || errs[i] == nil) {
			rebuilt = proto.AppendErrorMsg(rebuilt, msg)
		} else {
			rebuilt = append(rebuilt, out[prev:e]...)
		}
		prev = e
		ends[i] = len(rebuilt)
	}
	return rebuilt, ends, errs
}
