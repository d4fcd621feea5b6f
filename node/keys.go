package node

import (
	"fmt"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage"
)

// ListKeys returns up to max keys of partition p in db, in byte order,
// after `after` and matching pattern (all keys when it is empty), as this
// replica sees them now; more reports whether keys are left. Only a
// complete copy answers (as for quorum reads, KeyStates): a partition
// catching up, arriving or handed off gives ErrNotHeld, so a router asks
// another replica.
func (n *Node) ListKeys(db, p int, after, pattern []byte, max int) (keys [][]byte, more bool, err error) {
	if db < 0 || db >= storage.NumDBs || p < 0 || p >= len(n.parts) || max < 1 {
		return nil, false, fmt.Errorf("node: bad key listing (database %d, partition %d, max %d)", db, p, max)
	}
	var match func([]byte) bool
	if len(pattern) > 0 {
		match = func(k []byte) bool { return proto.MatchPattern(pattern, k) }
	}
	now := n.cfg.Now().UnixMilli()
	part := &n.parts[p]
	part.mu.Lock()
	defer part.mu.Unlock()
	if part.state != partServing {
		return nil, false, fmt.Errorf("%w: partition %d", ErrNotHeld, p)
	}
	keys, more = part.shard.Keys(db, after, match, now, max)
	return keys, more, nil
}

// CountExpiring returns, for every partition this node serves completely,
// the keys of db with a deadline still ahead and the milliseconds left to
// those deadlines, summed; -1 and 0 for the others.
func (n *Node) CountExpiring(db int) ([]int, []int64, error) {
	if db < 0 || db >= storage.NumDBs {
		return nil, nil, fmt.Errorf("node: bad database %d", db)
	}
	now := n.cfg.Now().UnixMilli()
	counts, left := make([]int, len(n.parts)), make([]int64, len(n.parts))
	for i := range n.parts {
		part := &n.parts[i]
		part.mu.Lock()
		if part.state == partServing {
			counts[i], left[i] = part.shard.Expiring(db, now)
		} else {
			counts[i] = -1
		}
		part.mu.Unlock()
	}
	return counts, left, nil
}

// CountKeys returns, for every partition this node serves completely, the
// number of keys of db a reader sees now; -1 for the others.
func (n *Node) CountKeys(db int) ([]int, error) {
	if db < 0 || db >= storage.NumDBs {
		return nil, fmt.Errorf("node: bad database %d", db)
	}
	now := n.cfg.Now().UnixMilli()
	counts := make([]int, len(n.parts))
	for i := range n.parts {
		part := &n.parts[i]
		part.mu.Lock()
		if part.state == partServing {
			counts[i] = part.shard.Live(db, now)
		} else {
			counts[i] = -1
		}
		part.mu.Unlock()
	}
	return counts, nil
}
