package node

import (
	"encoding/binary"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
)

// The replica traffic of the data path (rpc.KindReplicateMany and
// rpc.KindStatesMany):
//
//	replicate-many = rpc.AppendStrings of items, item = partition:uvarint deltas (EncodeDeltas)
//	states-many    = rpc.AppendStrings of requests, request = db:u8 rpc.AppendStrings(keys)
//	                 answered as rpc.AppendItem per request (KeyStates's encoding, or an error)

// appendStoreItems encodes a replicate-many payload.
func appendStoreItems(dst []byte, items []replication.Item) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(items)))
	for _, it := range items {
		n := len(binary.AppendUvarint(nil, uint64(it.Partition))) + len(it.Deltas)
		dst = binary.AppendUvarint(dst, uint64(n))
		dst = binary.AppendUvarint(dst, uint64(it.Partition))
		dst = append(dst, it.Deltas...)
	}
	return dst
}

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
