package node

import (
	"encoding/binary"
	"math/bits"
	"slices"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
)

// The replica traffic of the data path (rpc.KindReplicateMany and
// rpc.KindStatesMany):
//
//	replicate-many = rpc.AppendStrings of items, item = partition:uvarint deltas (EncodeDeltas)
//	states-many    = rpc.AppendStrings of requests, request = db:u8 rpc.AppendStrings(keys)
//	                 answered as rpc.AppendItem per request (KeyStates's encoding, or an error)

// appendStoreItems encodes a replicate-many payload, growing dst once.
func appendStoreItems(dst []byte, items []replication.Item) []byte {
	size := uvarintLen(uint64(len(items)))
	for _, it := range items {
		n := uvarintLen(uint64(it.Partition)) + len(it.Deltas)
		size += uvarintLen(uint64(n)) + n
	}
	dst = slices.Grow(dst, size)
	dst = binary.AppendUvarint(dst, uint64(len(items)))
	for _, it := range items {
		n := uvarintLen(uint64(it.Partition)) + len(it.Deltas)
		dst = binary.AppendUvarint(dst, uint64(n))
		dst = binary.AppendUvarint(dst, uint64(it.Partition))
		dst = append(dst, it.Deltas...)
	}
	return dst
}

// uvarintLen is the length of v's uvarint encoding.
func uvarintLen(v uint64) int { return (bits.Len64(v|1) + 6) / 7 }

// payloads recycles the buffers replicate-many and phases payloads are encoded into
// (the RPC client copies a payload into its connection's queue).
var payloads = sync.Pool{New: func() any { return new([]byte) }}

// appendStateReqs encodes a states-many payload.
func appendStateReqs(dst []byte, reqs []replication.StateReq) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(reqs)))
	var one []byte
	for _, r := range reqs {
		one = rpc.AppendStrings(append(one[:0], byte(r.DB)), r.Keys)
		dst = binary.AppendUvarint(dst, uint64(len(one)))
		dst = append(dst, one...)
	}
	return dst
}

// storeBatch is a decoded replicate-many payload: partition parts[i]
// receives deltas[i], which alias the payload.
type storeBatch struct {
	parts  []int
	deltas [][]byte
}

// storeBatches recycles decoded batches.
var storeBatches = sync.Pool{New: func() any { return new(storeBatch) }}

// decode decodes a replicate-many payload into sb, reusing its slices.
func (sb *storeBatch) decode(b []byte) error {
	sb.parts, sb.deltas = sb.parts[:0], sb.deltas[:0]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return rpc.ErrMalformed
	}
	b = b[k:]
	for range n {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return rpc.ErrMalformed
		}
		it := b[k : k+int(l)]
		b = b[k+int(l):]
		p, k := binary.Uvarint(it)
		if k <= 0 || p > MaxClusterPartitions {
			return rpc.ErrMalformed
		}
		sb.parts = append(sb.parts, int(p))
		sb.deltas = append(sb.deltas, it[k:])
	}
	if len(b) != 0 {
		return rpc.ErrMalformed
	}
	return nil
}

// free returns sb to the pool, dropping its references to the payload.
func (sb *storeBatch) free() {
	clear(sb.deltas)
	storeBatches.Put(sb)
}

// handleStatesMany answers a states-many call.
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
			dst = rpc.AppendItem(dst, statusOf(err), []byte(err.Error()))
		} else {
			dst = rpc.AppendItem(dst, rpc.StatusOK, out)
		}
	}
	return dst, nil
}
