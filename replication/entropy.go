package replication

import (
	"context"
	"fmt"
)

// Digest is a copy's summary of a partition for anti-entropy (the node
// computes it; see storage.Digest): a root hash and the leaves under it,
// one per bucket of keys.
type Digest struct {
	Root   uint64
	Leaves []uint64 // nil when the caller's root matched (nothing differs)
}

// Copy is one replica's copy of a partition as anti-entropy sees it: the
// local node's, or a peer's over the network. horizon is the HLC time
// before which tombstones are left out of digests and states alike.
type Copy interface {
	// Digest returns the copy's digest of partition. root is the caller's
	// root: a copy whose own root equals it may answer without leaves,
	// saving their trip.
	Digest(ctx context.Context, partition int, horizon uint64, root uint64) (Digest, error)
	// Buckets returns the copy's states of the keys in the given buckets,
	// as deltas to join.
	Buckets(ctx context.Context, partition int, horizon uint64, buckets []int) ([]byte, error)
	// Store joins states into the copy, durably (as Replica.Store).
	Store(ctx context.Context, items []Item) error
}

// SyncResult is what one anti-entropy round did.
type SyncResult struct {
	Buckets int // buckets that differed (0: the copies were equal)
	In, Out int // bytes of states joined into local, and into peer
}

// Sync makes two copies of a partition equal (anti-entropy, DESIGN §6):
// it compares their digests, and when they differ it joins the peer's
// states of the differing buckets into local and then local's into the
// peer, so each ends with the join of both. Only the differing buckets
// travel. States that arrive meanwhile (writes, hints) are joined as well;
// joins commute, so nothing is lost, and a later round settles what
// changed while this one ran.
func Sync(ctx context.Context, partition int, horizon uint64, local, peer Copy) (SyncResult, error) {
	var res SyncResult
	mine, err := local.Digest(ctx, partition, horizon, 0)
	if err != nil {
		return res, fmt.Errorf("local digest: %w", err)
	}
	theirs, err := peer.Digest(ctx, partition, horizon, mine.Root)
	if err != nil {
		return res, fmt.Errorf("peer digest: %w", err)
	}
	if theirs.Leaves == nil || theirs.Root == mine.Root {
		return res, nil
	}
	if len(theirs.Leaves) != len(mine.Leaves) {
		return res, fmt.Errorf("peer digest: %d leaves, %d here", len(theirs.Leaves), len(mine.Leaves))
	}
	var differ []int
	for i := range mine.Leaves {
		if mine.Leaves[i] != theirs.Leaves[i] {
			differ = append(differ, i)
		}
	}
	res.Buckets = len(differ)
	if len(differ) == 0 {
		return res, nil
	}
	in, err := peer.Buckets(ctx, partition, horizon, differ)
	if err != nil {
		return res, fmt.Errorf("peer states: %w", err)
	}
	if len(in) > 0 {
		if err := local.Store(ctx, []Item{{partition, in}}); err != nil {
			return res, fmt.Errorf("joining the peer's states: %w", err)
		}
	}
	res.In = len(in)
	out, err := local.Buckets(ctx, partition, horizon, differ)
	if err != nil {
		return res, fmt.Errorf("local states: %w", err)
	}
	if len(out) > 0 {
		if err := peer.Store(ctx, []Item{{partition, out}}); err != nil {
			return res, fmt.Errorf("sending states to the peer: %w", err)
		}
	}
	res.Out = len(out)
	return res, nil
}
