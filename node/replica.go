package node

import (
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"time"

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
	pos, err := n.applyReplicas(parts, deltas)
	if err != nil {
		return err
	}
	return n.Durable(pos)
}

// applyReplicas joins replicated deltas (parts[i] receives deltas[i]) and
// logs them as one record, under the locks of all their partitions taken
// in ascending order (as a command takes them), and returns the log
// position to wait for. A malformed or misaddressed call is refused whole,
// before anything is applied. The keys are looked up together first
// (Shard.Warm): a coordinator's call carries about one delta for each of
// many partitions, and one partition at a time their misses to memory
// came one after the other.
func (n *Node) applyReplicas(parts []int, deltas [][]byte) (uint64, error) {
	if err := n.failure(); err != nil {
		return 0, err
	}
	x := n.ctxs.Get().(*execCtx)
	defer n.release(x)
	ds, raw, dparts, locks := x.c.Deltas[:0], x.raw[:0], x.dparts[:0], x.locks[:0]
	for i, p := range parts {
		if p < 0 || p >= len(n.parts) {
			return 0, fmt.Errorf("node: partition %d out of range", p)
		}
		from := len(ds)
		var err error
		ds, raw, err = decodeStatesOnto(ds, raw, deltas[i], &x.c.Borrowed)
		x.c.Deltas, x.raw = ds, raw // kept for reuse, whatever happens next
		if err != nil {
			return 0, err
		}
		for k := from; k < len(ds); k++ {
			if got := n.partitionOfString(ds[k].Key); !ds[k].DBWide && got != p {
				return 0, fmt.Errorf("node: a delta for partition %d sent as partition %d", got, p)
			}
			dparts = append(dparts, p)
		}
		locks = append(locks, p)
	}
	x.dparts = dparts
	if len(ds) == 0 {
		return 0, nil
	}
	slices.Sort(locks)
	x.locks = slices.Compact(locks)
	for _, p := range x.locks {
		n.parts[p].mu.Lock()
	}
	for k := range ds {
		n.parts[dparts[k]].shard.Warm(&ds[k])
	}
	kept := 0
	for k := range ds {
		n.clock.Observe(ds[k].MaxStamp())
		sh := n.parts[dparts[k]].shard
		if !sh.Admits(&ds[k]) {
			continue // below the key's promise: refused, and not logged
		}
		sh.Apply(&ds[k])
		ds[kept], raw[kept], dparts[kept] = ds[k], raw[k], dparts[k]
		kept++
	}
	x.c.Deltas, x.raw, x.dparts = ds[:kept], raw[:kept], dparts[:kept]
	_, seq, err := n.logCmd(x, nil) // logs the deltas as they came (x.raw)
	n.unlock(x.locks)
	return seq, err
}

// applyReplica is applyReplicas for one partition's deltas.
func (n *Node) applyReplica(p int, deltas []byte) (uint64, error) {
	return n.applyReplicas([]int{p}, [][]byte{deltas})
}

// KeyStates returns the whole state of keys in database db, with the
// database-wide reset of their partitions if there was one, in the stream
// encoding: what a coordinator joins into its own copy before it answers a
// read at R > 1 (the join is the read repair). keys must share a partition.
func (n *Node) KeyStates(db int, keys [][]byte) ([]byte, int, error) {
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
	if part.state != partServing {
		// Only a complete copy counts toward a read quorum: a restarted
		// replica that has not caught up lacks what it missed, and a copy
		// still arriving holds only the writes sent since it began (a
		// replica that joined with the ring would answer "absent" for a
		// key the others, but one, also lack). The router's digest reads
		// refuse the same (Node.apply's held check).
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

// rpcReplica is a replication.Replica reached over the internal RPC. A
// Send (or Store) is one replicate-many call, an Ask one states-many
// call, however many partitions they carry.
type rpcReplica struct {
	name   string
	client *rpc.Client
}

// NewReplica returns the replication.Replica for the node name whose RPC
// client is c.
func NewReplica(name string, c *rpc.Client) replication.Replica {
	return rpcReplica{name: name, client: c}
}

func (r rpcReplica) Name() string { return r.name }

// Send implements replication.Replica.
func (r rpcReplica) Send(items []replication.Item, timeout time.Duration, done func(error)) {
	buf := payloads.Get().(*[]byte)
	*buf = appendStoreItems((*buf)[:0], items)
	r.client.Go(rpc.KindReplicateMany, *buf, timeout, func(_ []byte, err error) { done(err) })
	payloads.Put(buf) // Go has copied it
}

// Store sends items and waits (replication.Copy: anti-entropy, hints).
func (r rpcReplica) Store(ctx context.Context, items []replication.Item) error {
	_, err := r.client.Call(ctx, rpc.KindReplicateMany, appendStoreItems(nil, items))
	return err
}

// Ask implements replication.Replica.
func (r rpcReplica) Ask(reqs []replication.StateReq, timeout time.Duration, done func([]replication.StateAnswer, error)) {
	r.client.Go(rpc.KindStatesMany, appendStateReqs(nil, reqs), timeout, func(raw []byte, err error) {
		if err != nil {
			done(nil, err)
			return
		}
		items, err := rpc.DecodeItems(raw)
		if err != nil {
			done(nil, err)
			return
		}
		out := make([]replication.StateAnswer, len(items))
		for i, it := range items {
			if it.Status != rpc.StatusOK {
				out[i].Err = &rpc.Error{Status: it.Status, Message: string(it.Reply)}
			} else {
				out[i].States = it.Reply
			}
		}
		done(out, nil)
	})
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
