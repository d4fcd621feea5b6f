package node

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/ring/gossip"
)

// The node's side of the RPC protocol: the data path served inline on
// the connection's reader, and the calls for transfers, digests and
// information.

// handleInline serves the data path on the connection's reader goroutine:
// a router's run of commands, the replica traffic runs cause, and the
// serial path's phases. What waits (replicas, an fsync, rounds of
// consensus) continues on a goroutine of the connection.
func (s *Service) handleInline(ctx context.Context, kind rpc.Kind, payload []byte, r rpc.Responder) bool {
	switch kind {
	case rpc.KindRun:
		run := runs.Get().(*rpc.Run)
		if err := rpc.DecodeRun(payload, run); err != nil {
			runs.Put(run)
			r.Reply(rpc.StatusError, []byte(err.Error()))
			return true
		}
		res := results.Get().(*Result)
		reply := func(res *Result) {
			res.out = res.AppendAnswer(res.out[:0], s.node.clock.Last().Time)
			r.Reply(rpc.StatusOK, res.out) // copied into the connection's buffer
			runs.Put(run)
		}
		if hasSerial(run) { // rounds of consensus
			release := r.Hold()
			s.serialRun(run, res, func() {
				reply(res)
				freeResult(res)
				release()
			})
			return true
		}
		if parts := s.node.serialKeys(run); parts != nil { // writes to serial keys
			release := r.Hold()
			s.splitRun(run, parts, res, func(res *Result) {
				reply(res)
				freeResult(res)
				release()
			})
			return true
		}
		s.coord.Run(run, res, reply, freeResult)
	case rpc.KindReplicateMany:
		sb := storeBatches.Get().(*storeBatch)
		err := sb.decode(payload)
		var pos uint64
		if err == nil {
			pos, err = s.node.applyReplicas(sb.parts, sb.deltas)
		}
		sb.free()
		switch {
		case err != nil:
			r.Reply(rpc.StatusError, []byte(err.Error()))
		case s.node.durableAtOnce(pos):
			s.replyDurable(r, pos)
		default:
			r.Go(func() { s.replyDurable(r, pos) })
		}
	case rpc.KindPhases:
		// Peeks (a serial read's round) write nothing and wait for no
		// fsync: answered here, as digest reads are. Other phases wait
		// for their records' fsync, on a goroutine of the connection.
		ms, err := rpc.DecodePhases(payload, nil) // the payload is the frame's own
		switch {
		case err != nil:
			r.Reply(statusOf(err), []byte(err.Error()))
		case slices.ContainsFunc(ms, func(m rpc.Phase) bool { return m.Kind != rpc.KindPeek }):
			r.Go(func() { s.vote(ms, r) })
		default:
			s.vote(ms, r)
		}
	case rpc.KindStatesMany:
		out, err := s.handleStatesMany(payload, nil)
		if err != nil {
			r.Reply(rpc.StatusError, []byte(err.Error()))
		} else {
			r.Reply(rpc.StatusOK, out)
		}
	default:
		return false
	}
	return true
}

// vote answers a call's phases ms with this node's votes (Node.Votes).
func (s *Service) vote(ms []rpc.Phase, r rpc.Responder) {
	votes := 0 // Learns are no votes (learn.go)
	for i := range ms {
		if ms[i].Kind != rpc.KindLearn {
			votes++
		}
	}
	if votes > 0 {
		s.serial.VoteCalls.Add(1)
		s.serial.VotePhases.Add(int64(votes))
	}
	buf := payloads.Get().(*[]byte)
	out := binary.AppendUvarint((*buf)[:0], uint64(len(ms)))
	if err := s.node.Votes(ms, func(_ int, v rpc.Vote) { out = rpc.AppendVote(out, &v) }); err != nil {
		r.Reply(statusOf(err), []byte(err.Error()))
	} else {
		r.Reply(rpc.StatusOK, out) // copied into the connection's buffer
	}
	*buf = out
	payloads.Put(buf)
}

// runs and results are reused from one router run to the next.
var (
	runs    = sync.Pool{New: func() any { return new(rpc.Run) }}
	results = sync.Pool{New: func() any { return new(Result) }}
)

func freeResult(res *Result) { results.Put(res) }

// replyDurable answers a store once the log holds pos durably.
func (s *Service) replyDurable(r rpc.Responder, pos uint64) {
	if err := s.node.Durable(pos); err != nil {
		r.Reply(rpc.StatusError, []byte(err.Error()))
		return
	}
	r.Reply(rpc.StatusOK, nil)
}

// statusOf is the status an error answers with: a partition this node
// does not serve (completely) is the caller's to route elsewhere.
func statusOf(err error) rpc.Status {
	if errors.Is(err, ErrNotHeld) {
		return rpc.StatusWrongRing
	}
	return rpc.StatusError
}

// handle serves RPC calls.
func (s *Service) handle(ctx context.Context, kind rpc.Kind, payload, dst []byte) (rpc.Status, []byte) {
	fail := func(err error) (rpc.Status, []byte) {
		return statusOf(err), append(dst, err.Error()...)
	}
	partition := func() (int, error) {
		p, k := binary.Uvarint(payload)
		if k <= 0 || p >= uint64(len(s.node.parts)) {
			return 0, rpc.ErrMalformed
		}
		return int(p), nil
	}
	switch kind {
	case rpc.KindPing:
		return rpc.StatusOK, dst
	case rpc.KindDigest, rpc.KindBuckets:
		handler := s.handleDigest
		if kind == rpc.KindBuckets {
			handler = s.handleBuckets
		}
		out, err := handler(payload, dst)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, out
	case rpc.KindLeave:
		timeout := s.cfg.LeaveTimeout
		if timeout <= 0 {
			timeout = time.Minute
		}
		lctx, cancel := context.WithTimeout(ctx, timeout)
		err := s.Leave(lctx)
		cancel()
		if err != nil {
			return fail(fmt.Errorf("leave incomplete: %w", err))
		}
		if s.cfg.OnLeft != nil {
			s.cfg.OnLeft()
		}
		return rpc.StatusOK, dst
	case rpc.KindPersist:
		if err := s.node.Persist(); err != nil && !errors.Is(err, ErrPersistenceDisabled) {
			return fail(err)
		}
		return rpc.StatusOK, dst
	case rpc.KindStream:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		// A partition's state is encoded into a recycled buffer: grown
		// from nothing, its reallocations were 12% of a source node's
		// CPU while a joining node took its copies.
		buf := payloads.Get().(*[]byte)
		out, err := s.node.StartStream((*buf)[:0], p)
		if err == nil {
			dst = pack(dst, out)
		}
		*buf = out[:0]
		payloads.Put(buf)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, dst
	case rpc.KindPull:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		out, _, err := s.node.PullStream(p)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, pack(dst, out)
	case rpc.KindHandoff:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		out, err := s.node.FinishStream(p)
		if err != nil {
			return fail(err)
		}
		s.advertiseSoon()
		return rpc.StatusOK, pack(dst, out)
	case rpc.KindAbort:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		s.node.AbortStream(p)
		return rpc.StatusOK, dst
	case rpc.KindDrop:
		p, err := partition()
		if err != nil {
			return fail(err)
		}
		if err := s.node.DropPartition(p); err != nil {
			return fail(err)
		}
		return rpc.StatusOK, dst
	case rpc.KindKeys:
		q, err := rpc.DecodeKeysQuery(payload)
		if err != nil {
			return fail(err)
		}
		keys, more, err := s.node.ListKeys(q.DB, q.Partition, q.After, q.Pattern, q.Max)
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, rpc.AppendKeysPage(dst, keys, more)
	case rpc.KindCount:
		db, k := binary.Uvarint(payload)
		if k <= 0 || k != len(payload) || db > 1<<20 {
			return fail(rpc.ErrMalformed)
		}
		counts, err := s.node.CountKeys(int(db))
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, rpc.AppendCounts(dst, counts)
	case rpc.KindExpiring:
		db, k := binary.Uvarint(payload)
		if k <= 0 || k != len(payload) || db > 1<<20 {
			return fail(rpc.ErrMalformed)
		}
		counts, left, err := s.node.CountExpiring(int(db))
		if err != nil {
			return fail(err)
		}
		return rpc.StatusOK, rpc.AppendExpiring(dst, counts, left)
	case rpc.KindInfo:
		held := s.node.Held()
		info := Info{Name: s.cfg.Name, Partitions: len(s.node.parts), HeldSet: gossip.EncodeParts(s.node.Claimed()),
			Serving: gossip.EncodeParts(held)}
		for _, h := range held {
			if h {
				info.Held++
			}
		}
		if r := s.ring.Load(); r != nil {
			info.Ring = fmt.Sprintf("%016x", r.Version())
		}
		out, _ := json.Marshal(info)
		return rpc.StatusOK, append(dst, out...)
	}
	return rpc.StatusError, append(dst, fmt.Sprintf("unknown call kind %d", kind)...)
}

// Info is what KindInfo returns, as JSON.
type Info struct {
	Name       string `json:"name"`
	Partitions int    `json:"partitions"`
	Held       int    `json:"held"`
	HeldSet    string `json:"held_set"` // EncodeParts of the partitions held or being handed off
	Serving    string `json:"serving"`  // EncodeParts of the partitions served
	Ring       string `json:"ring"`
}
