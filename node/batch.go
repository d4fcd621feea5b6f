package node

import (
	"context"
	"encoding/binary"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
)

// A storeBatcher gathers the replicated deltas that the coordinators on
// this node send one replica node into as few calls as possible: while a
// call is in flight, the deltas of other writes queue up and go together in
// the next (group commit over the network). Under load one call carries
// the writes of many clients, with one durability wait at the replica;
// alone, a write goes at once, as before.
type storeBatcher struct {
	call func(ctx context.Context, payload []byte) error

	mu      sync.Mutex
	pending []storeItem
	running bool
}

type storeItem struct {
	p      int
	deltas []byte
	done   chan error
}

// maxStoreBatch bounds the bytes of deltas one call carries.
const maxStoreBatch = 4 << 20

func newStoreBatcher(c *rpc.Client) *storeBatcher {
	return &storeBatcher{call: func(ctx context.Context, payload []byte) error {
		_, err := c.Call(ctx, rpc.KindReplicateMany, payload)
		return err
	}}
}

// store sends partition p's deltas with the next call and returns its
// outcome, or ctx's error if ctx ends first (the deltas may still arrive).
func (b *storeBatcher) store(ctx context.Context, p int, deltas []byte) error {
	it := storeItem{p: p, deltas: deltas, done: make(chan error, 1)}
	b.mu.Lock()
	b.pending = append(b.pending, it)
	if !b.running {
		b.running = true
		go b.run()
	}
	b.mu.Unlock()
	select {
	case err := <-it.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run sends what is pending, one call at a time, until nothing is.
func (b *storeBatcher) run() {
	for {
		b.mu.Lock()
		n, size := 0, 0
		for n < len(b.pending) && (n == 0 || size+len(b.pending[n].deltas) <= maxStoreBatch) {
			size += len(b.pending[n].deltas)
			n++
		}
		items := append([]storeItem(nil), b.pending[:n]...)
		b.pending = append(b.pending[:0], b.pending[n:]...)
		if n == 0 {
			b.running = false
			b.mu.Unlock()
			return
		}
		b.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), replicateTimeout)
		err := b.call(ctx, appendStoreBatch(nil, items))
		cancel()
		for _, it := range items {
			it.done <- err
		}
	}
}

// A replicate-many payload: count, then (partition, length, deltas) per
// item, deltas as EncodeDeltas writes them.
func appendStoreBatch(dst []byte, items []storeItem) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(items)))
	for _, it := range items {
		dst = binary.AppendUvarint(dst, uint64(it.p))
		dst = binary.AppendUvarint(dst, uint64(len(it.deltas)))
		dst = append(dst, it.deltas...)
	}
	return dst
}

// decodeStoreBatch decodes appendStoreBatch's payload; deltas alias b.
func decodeStoreBatch(b []byte) (parts []int, deltas [][]byte, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, nil, rpc.ErrMalformed
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		p, k := binary.Uvarint(b)
		if k <= 0 || p > MaxClusterPartitions {
			return nil, nil, rpc.ErrMalformed
		}
		b = b[k:]
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, nil, rpc.ErrMalformed
		}
		parts = append(parts, int(p))
		deltas = append(deltas, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, nil, rpc.ErrMalformed
	}
	return parts, deltas, nil
}
