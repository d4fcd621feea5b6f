package node

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// EncodeDeltas appends deltas in the stream encoding, (length, delta)*,
// which ApplyReplica and partition transfers read.
func EncodeDeltas(dst []byte, ds []storage.Delta) []byte {
	var one []byte
	for k := range ds {
		one = storage.AppendDelta(one[:0], &ds[k])
		dst = binary.AppendUvarint(dst, uint64(len(one)))
		dst = append(dst, one...)
	}
	return dst
}

// ApplyReplica joins deltas (EncodeDeltas) that the coordinator of a write
// to partition p sent this replica, and returns once they are durable here
// under the node's fsync policy. The node need not serve p yet: a replica
// still copying p keeps what it receives, and the copy is joined into it
// (joins commute), so nothing sent meanwhile is lost. A partition being
// streamed to another node passes the deltas on with the stream.
func (n *Node) ApplyReplica(p int, deltas []byte) error {
	return n.ApplyReplicas([]int{p}, [][]byte{deltas})
}

// ApplyReplicas is ApplyReplica for several partitions' deltas at once
// (parts[i] receives deltas[i]), with one durability wait for them all.
func (n *Node) ApplyReplicas(parts []int, deltas [][]byte) error {
	if err := n.failure(); err != nil {
		return err
	}
	var last uint64
	for i, p := range parts {
		seq, err := n.applyReplica(p, deltas[i])
		if err != nil {
			return err
		}
		last = max(last, seq)
	}
	if last == 0 {
		return nil
	}
	err := n.wal.Wait(last)
	if err != nil {
		n.fail(err)
	}
	return err
}

// applyReplica joins and logs one partition's replicated deltas and
// returns the log sequence to wait for.
func (n *Node) applyReplica(p int, deltas []byte) (uint64, error) {
	if p < 0 || p >= len(n.parts) {
		return 0, fmt.Errorf("node: partition %d out of range", p)
	}
	ds, err := decodeStates(deltas)
	if err != nil || len(ds) == 0 {
		return 0, err
	}
	for k := range ds {
		if got := n.partitionOfString(ds[k].Key); !ds[k].DBWide && got != p {
			return 0, fmt.Errorf("node: a delta for partition %d sent as partition %d", got, p)
		}
	}
	part := &n.parts[p]
	x := n.ctxs.Get().(*execCtx)
	part.mu.Lock()
	for k := range ds {
		n.clock.Observe(ds[k].MaxStamp())
		part.shard.Apply(&ds[k])
	}
	x.c.Deltas = append(x.c.Deltas[:0], ds...)
	x.dparts = x.dparts[:0]
	for range ds {
		x.dparts = append(x.dparts, p)
	}
	n.record(x)
	seq, err := n.logDeltas(x)
	part.mu.Unlock()
	n.release(x)
	if err != nil {
		n.fail(err)
	}
	return seq, err
}

// KeyStates returns the whole state of keys in database db, with the
// database-wide reset of their partitions if there was one, in the stream
// encoding: what a coordinator joins into its own copy before it answers a
// read at R > 1 (the join is the read repair). keys must share a partition.
func (n *Node) KeyStates(db int, keys [][]byte) ([]byte, int, error) {
	if err := n.failure(); err != nil {
		return nil, 0, err
	}
	if db < 0 || db >= storage.NumDBs || len(keys) == 0 {
		return nil, 0, fmt.Errorf("node: bad state request (database %d, %d keys)", db, len(keys))
	}
	p := n.partitionOf(keys[0])
	for _, k := range keys[1:] {
		if n.partitionOf(k) != p {
			return nil, 0, fmt.Errorf("node: state request spans partitions")
		}
	}
	part := &n.parts[p]
	var ds []storage.Delta
	part.mu.Lock()
	if part.catching {
		// A restarted replica that has not caught up must not count
		// toward a read quorum. (A copy still arriving does: it holds
		// every write sent to it since the copy began, and at a cluster's
		// creation every replica of every partition is one.)
		part.mu.Unlock()
		return nil, p, fmt.Errorf("%w: partition %d", ErrNotHeld, p)
	}
	if d, ok := part.shard.DBReset(db); ok {
		ds = append(ds, d)
	}
	for _, k := range keys {
		if d, ok := part.shard.State(db, k); ok {
			ds = append(ds, d)
		}
	}
	out := EncodeDeltas(nil, ds) // encoded under the lock: deltas alias the shard
	part.mu.Unlock()
	return out, p, nil
}

// rpcReplica is a replication.Replica reached over the internal RPC.
type rpcReplica struct {
	name   string
	client *rpc.Client
	// stores and states, if not nil, batch Store and States calls with
	// other coordinators' (batcher); nil: each is a call of its own.
	stores, states *batcher
}

// NewReplica returns the replication.Replica for the node name whose RPC
// client is c.
func NewReplica(name string, c *rpc.Client) replication.Replica {
	return rpcReplica{name: name, client: c}
}

func (r rpcReplica) Name() string { return r.name }

func (r rpcReplica) Store(ctx context.Context, partition int, delta []byte) error {
	if r.stores != nil {
		_, err := r.stores.do(ctx, appendStoreItem(partition, delta))
		return err
	}
	payload := binary.AppendUvarint(nil, uint64(partition))
	_, err := r.client.Call(ctx, rpc.KindReplicate, append(payload, delta...))
	return err
}

func (r rpcReplica) States(ctx context.Context, db int, keys [][]byte) ([]byte, error) {
	payload := rpc.AppendStrings([]byte{byte(db)}, keys)
	if r.states != nil {
		return r.states.do(ctx, payload)
	}
	return r.client.Call(ctx, rpc.KindStates, payload)
}

func (r rpcReplica) Digest(ctx context.Context, partition int, horizon uint64, root uint64) (replication.Digest, error) {
	raw, err := r.client.Call(ctx, rpc.KindDigest, appendDigestRequest(partition, hlc.Stamp{Time: horizon},
		binary.BigEndian.AppendUint64(nil, root)))
	if err != nil {
		return replication.Digest{}, err
	}
	if len(raw) == 0 {
		return replication.Digest{Root: root}, nil // the roots agree
	}
	if len(raw) != storage.DigestLeaves*8 {
		return replication.Digest{}, rpc.ErrMalformed
	}
	dg := new(storage.Digest)
	for i := range dg {
		dg[i] = binary.BigEndian.Uint64(raw[i*8:])
	}
	return replication.Digest{Root: dg.Root(), Leaves: dg[:]}, nil
}

func (r rpcReplica) Buckets(ctx context.Context, partition int, horizon uint64, buckets []int) ([]byte, error) {
	var bitmap [storage.DigestLeaves / 8]byte
	for _, b := range buckets {
		if b >= 0 && b < storage.DigestLeaves {
			bitmap[b/8] |= 1 << (b % 8)
		}
	}
	return r.client.Call(ctx, rpc.KindBuckets, appendDigestRequest(partition, hlc.Stamp{Time: horizon}, bitmap[:]))
}
