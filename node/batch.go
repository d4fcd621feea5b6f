package node

import (
	"context"
	"encoding/binary"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
)

// A batcher gathers the requests that the coordinators on this node send
// one replica node at the same time into as few calls as possible: while a
// call is in flight, other requests queue up and go together in the next
// (group commit over the network). Under load one call carries the work of
// many clients, handled at the replica with one durability wait; alone, a
// request goes at once, as before. Replicated stores and quorum reads' state
// requests each have a batcher per replica node.
type batcher struct {
	// send makes one call carrying payloads and returns one result per
	// payload, or an error for them all.
	send func(ctx context.Context, payloads [][]byte) ([]batchResult, error)

	mu      sync.Mutex
	pending []batchItem
	running bool
}

type batchItem struct {
	payload []byte
	done    chan batchResult
}

type batchResult struct {
	reply []byte
	err   error
}

// maxBatch bounds the bytes one call carries.
const maxBatch = 4 << 20

// do sends payload with the next call and returns its result, or ctx's
// error if ctx ends first (the request may still reach the replica).
func (b *batcher) do(ctx context.Context, payload []byte) ([]byte, error) {
	it := batchItem{payload: payload, done: make(chan batchResult, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, it)
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case r := <-it.done:
		return r.reply, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// run sends what is pending, one call at a time, until nothing is.
func (b *batcher) run() {
	for {
		b.mu.Lock()
		n, size := 0, 0
		for n < len(b.pending) && (n == 0 || size+len(b.pending[n].payload) <= maxBatch) {
			size += len(b.pending[n].payload)
			n++
		}
		items := append([]batchItem(nil), b.pending[:n]...)
		b.pending = append(b.pending[:0], b.pending[n:]...)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		payloads := make([][]byte, n)
		for i, it := range items {
			payloads[i] = it.payload
		}
		ctx, cancel := context.WithTimeout(context.Background(), replicateTimeout)
		results, err := b.send(ctx, payloads)
		cancel()
		if err == nil && len(results) != n {
			err = rpc.ErrMalformed
		}
		for i, it := range items {
			if err != nil {
				it.done <- batchResult{err: err}
			} else {
				it.done <- results[i]
			}
		}
	}
}

// newStoreBatcher batches replicated stores to the node c reaches: a
// replicate-many call, answered as a whole.
func newStoreBatcher(c *rpc.Client) *batcher {
	return &batcher{send: func(ctx context.Context, payloads [][]byte) ([]batchResult, error) {
		_, err := c.Call(ctx, rpc.KindReplicateMany, rpc.AppendStrings(nil, payloads))
		return make([]batchResult, len(payloads)), err
	}}
}

// newStatesBatcher batches quorum reads' state requests to the node c
// reaches: a states-many call, answered item by item.
func newStatesBatcher(c *rpc.Client) *batcher {
	return &batcher{send: func(ctx context.Context, payloads [][]byte) ([]batchResult, error) {
		raw, err := c.Call(ctx, rpc.KindStatesMany, rpc.AppendStrings(nil, payloads))
		if err != nil {
			return nil, err
		}
		items, err := rpc.DecodeItems(raw)
		if err != nil {
			return nil, err
		}
		out := make([]batchResult, len(items))
		for i, it := range items {
			if it.Status != rpc.StatusOK {
				out[i].err = &rpc.Error{Status: it.Status, Message: string(it.Reply)}
			} else {
				out[i].reply = it.Reply
			}
		}
		return out, nil
	}}
}

// A store item is partition:uvarint deltas (as KindReplicate's payload); a
// replicate-many payload is rpc.AppendStrings of them.
func appendStoreItem(p int, deltas []byte) []byte {
	return append(binary.AppendUvarint(nil, uint64(p)), deltas...)
}

// decodeStoreBatch decodes a replicate-many payload; deltas alias b.
func decodeStoreBatch(b []byte) (parts []int, deltas [][]byte, err error) {
	items, err := rpc.DecodeStrings(b)
	if err != nil {
		return nil, nil, err
	}
	for _, it := range items {
		p, k := binary.Uvarint(it)
		if k <= 0 || p > MaxClusterPartitions {
			return nil, nil, rpc.ErrMalformed
		}
		parts = append(parts, int(p))
		deltas = append(deltas, it[k:])
	}
	return parts, deltas, nil
}

// handleStatesMany answers a states-many call: each item is a state
// request (db:u8 strings(keys), as KindStates's payload), answered as an
// exec-many item (KeyStates's encoding, or an error).
func (s *Service) handleStatesMany(payload, dst []byte) ([]byte, error) {
	items, err := rpc.DecodeStrings(payload)
	if err != nil {
		return dst, err
	}
	dst = binary.AppendUvarint(dst, uint64(len(items)))
	for _, it := range items {
		var keys [][]byte
		if len(it) < 1 {
			err = rpc.ErrMalformed
		} else {
			keys, err = rpc.DecodeStrings(it[1:])
		}
		var out []byte
		if err == nil {
			out, _, err = s.node.KeyStates(int(it[0]), keys)
		}
		if err != nil {
			dst = rpc.AppendItem(dst, rpc.StatusError, []byte(err.Error()))
		} else {
			dst = rpc.AppendItem(dst, rpc.StatusOK, out)
		}
	}
	return dst, nil
}
