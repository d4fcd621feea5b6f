package node

import (
	"context"
	"encoding/binary"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
)

// Bringing a partition in from the node that has it: streaming its state
// and deltas (the protocol is in transfer.go), then moving it (one copy)
// or copying it (several replicas).

// transfer moves (or, with copyOnly, copies) partition p in from src in
// the background, then reconciles again: more partitions may be waiting.
func (s *Service) transfer(ctx context.Context, p int, src string, merge, copyOnly bool) {
	s.mu.Lock()
	s.moving[p] = true
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		err := s.transferIn(ctx, p, src, merge, copyOnly)
		s.mu.Lock()
		delete(s.moving, p)
		if err == nil {
			s.movedIn[p] = time.Now()
			s.broughtIn++
		}
		summary := 0
		if len(s.moving) == 0 {
			summary, s.broughtIn = s.broughtIn, 0
		}
		s.mu.Unlock()
		if summary > 0 {
			// One line per wave of transfers (each partition's is a debug
			// line): a new replica brings in hundreds.
			s.log.Info("partitions brought in", "count", summary)
		}
		if err != nil {
			s.log.Warn("bringing a partition in failed; will retry", "partition", p, "from", src, "copy", copyOnly, "err", err)
		}
		select {
		case s.kick <- struct{}{}:
		default:
		}
	}()
}

// transferIn takes partition p over from the node at src (see
// transfer.go). With merge, this node already serves p and src's copy is
// joined into its own instead of replacing it. With copyOnly (replicas),
// src keeps serving p: the copy is joined into whatever this node already
// has (deltas coordinators sent it meanwhile), and writes after the copy
// reach it from their coordinators, which send every write to the whole
// replica set.
func (s *Service) transferIn(ctx context.Context, p int, src string, merge, copyOnly bool) (err error) {
	c := s.peer(src)
	cctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	defer cancel()
	fetch := func(kind rpc.Kind) ([]byte, error) {
		raw, err := c.Call(cctx, kind, partitionPayload(p))
		if err != nil {
			return nil, err
		}
		out, err := unpack(raw)
		if err != nil {
			return nil, err
		}
		return out, s.pace.wait(cctx, len(out))
	}
	states, err := fetch(rpc.KindStream)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			c.Call(context.Background(), rpc.KindAbort, partitionPayload(p))
		}
	}()
	install := s.node.InstallPartition
	if merge {
		install = s.node.ApplyStream
	}
	if err := install(p, states); err != nil {
		return err
	}
	for round := 0; round < 50; round++ {
		deltas, err := fetch(rpc.KindPull)
		if err != nil {
			return err
		}
		if err := s.node.ApplyStream(p, deltas); err != nil {
			return err
		}
		if len(deltas) < 4096 {
			break
		}
	}
	if copyOnly {
		if _, err := c.Call(cctx, rpc.KindAbort, partitionPayload(p)); err != nil {
			return err
		}
		if err := s.node.SetHeld(p, true); err != nil {
			return err
		}
		s.advertiseSoon()
		s.log.Debug("partition copied in", "partition", p, "from", src)
		return nil
	}
	handoff := time.Now()
	raw, err := c.Call(cctx, rpc.KindHandoff, partitionPayload(p))
	if err != nil {
		return err
	}
	last, err := unpack(raw) // not paced: p is unavailable until applied
	if err != nil {
		return err
	}
	if err := s.node.ApplyStream(p, last); err != nil {
		return err
	}
	if err := s.node.SetHeld(p, true); err != nil {
		return err
	}
	s.advertiseSoon()
	unavailable := time.Since(handoff)
	if _, err := c.Call(cctx, rpc.KindDrop, partitionPayload(p)); err != nil {
		s.log.Warn("the old owner did not drop a moved partition", "partition", p, "err", err)
	}
	s.log.Debug("partition moved in", "partition", p, "from", src, "merged", merge, "unavailable", unavailable)
	return nil
}

func partitionPayload(p int) []byte { return binary.AppendUvarint(nil, uint64(p)) }
