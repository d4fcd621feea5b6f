package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"slices"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// Listing keys (SCAN, KEYS, DB_SIZE): a partition's page of keys comes
// from as many complete copies as the read level asks for, merged; a
// replica that does not serve the partition completely (catching up, a
// copy arriving) refuses, and the next candidate is asked.

var (
	_ router.KeyLister = (*Backend)(nil)
	_ router.KeyLister = (*Local)(nil)
)

// keyPage is one replica's answer for a partition.
type keyPage struct {
	keys [][]byte // in byte order
	more bool
}

// mergePages merges replicas' pages of one partition into the page of up
// to max keys their union holds. A replica with more keys left has sent
// only those up to its last one, so the merged page ends there: past it,
// keys that replica holds would be missing.
func mergePages(pages []keyPage, max int) ([][]byte, bool) {
	var bound []byte
	more := false
	for _, p := range pages {
		if p.more && len(p.keys) > 0 {
			last := p.keys[len(p.keys)-1]
			if !more || bytes.Compare(last, bound) < 0 {
				bound = last
			}
			more = true
		}
	}
	var all [][]byte
	for _, p := range pages {
		for _, k := range p.keys {
			if !more || bytes.Compare(k, bound) <= 0 {
				all = append(all, k)
			}
		}
	}
	slices.SortFunc(all, bytes.Compare)
	all = slices.CompactFunc(all, bytes.Equal)
	if len(all) > max {
		all, more = all[:max], true
	}
	return all, more
}

// Partitions implements router.KeyLister.
func (b *Backend) Partitions() int { return b.partitions() }

// ListKeys implements router.KeyLister: the union of level's number of
// complete copies of partition p.
func (b *Backend) ListKeys(ctx context.Context, db int, level proto.Consistency, p int, after, pattern []byte, max int) ([][]byte, bool, error) {
	rt := b.routes.Load()
	need := level.Need(b.replicas())
	payload := rpc.AppendKeysQuery(nil, rpc.KeysQuery{DB: db, Partition: p, Max: max, After: after, Pattern: pattern})
	var pages []keyPage
	var tried []string
	var lastErr error
	for len(pages) < need {
		var batch []string
		for len(batch) < need-len(pages) {
			a := b.pickHealthy(rt, p, slices.Concat(tried, batch))
			if a == "" {
				break
			}
			batch = append(batch, a)
		}
		if len(batch) == 0 {
			msg := fmt.Sprintf("unavailable: partition %d: %d of %d replicas listed its keys", p, len(pages), need)
			if lastErr != nil {
				msg += fmt.Sprintf(" (%v)", lastErr)
			}
			return nil, false, &router.CommandError{Msg: msg}
		}
		tried = append(tried, batch...)
		var mu sync.Mutex
		_ = parallel(batch, func(addr string) error {
			out, err := b.call(ctx, addr, rpc.KindKeys, payload)
			var pg keyPage
			if err == nil {
				pg.keys, pg.more, err = rpc.DecodeKeysPage(out)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				lastErr = fmt.Errorf("%s: %w", addr, err)
				return err
			}
			pages = append(pages, pg)
			return nil
		})
	}
	keys, more := mergePages(pages, max)
	return keys, more, nil
}

// CountKeys implements router.KeyLister: each partition counted as the
// largest count among its complete copies. That is exact whenever one
// copy holds every write (a copy that lags lacks writes the others have);
// it can be low while different copies each miss a different write, and
// high by the keys of writes that failed on all but one copy.
func (b *Backend) CountKeys(ctx context.Context, db int) (int64, error) {
	rt := b.routes.Load()
	if len(rt.nodes) == 0 {
		return 0, &router.CommandError{Msg: "unavailable: no storage node"}
	}
	var counts [][]int
	var mu sync.Mutex
	_ = parallel(rt.nodes, func(addr string) error {
		out, err := b.call(ctx, addr, rpc.KindCount, binary.AppendUvarint(nil, uint64(db)))
		if err != nil {
			return err
		}
		c, err := rpc.DecodeCounts(out)
		if err != nil || len(c) != b.partitions() {
			return fmt.Errorf("%s: malformed counts", addr)
		}
		mu.Lock()
		counts = append(counts, c)
		mu.Unlock()
		return nil
	})
	return countPartitions(counts, b.partitions())
}

// countPartitions adds up, for each partition, the largest count the
// nodes reported for it (-1: a node without a complete copy).
func countPartitions(counts [][]int, parts int) (int64, error) {
	var total int64
	for p := range parts {
		n := -1
		for _, c := range counts {
			n = max(n, c[p])
		}
		if n < 0 {
			return 0, &router.CommandError{Msg: fmt.Sprintf("unavailable: no node with a complete copy of partition %d answered", p)}
		}
		total += int64(n)
	}
	return total, nil
}

// LocalNode is the node of the single process, as its backend needs it.
type LocalNode interface {
	// NewTransport returns a transport for one sender.
	NewTransport() Transport
	// Persist writes a snapshot.
	Persist(ctx context.Context) error
	// Partitions is the number of partitions.
	Partitions() int
	// ListKeys and CountKeys are node.Node's.
	ListKeys(db, p int, after, pattern []byte, max int) ([][]byte, bool, error)
	CountKeys(db int) ([]int, error)
	// Describe adds the node's lines to INFO (persistence).
	Describe() []router.InfoField
}

// Partitions implements router.KeyLister.
func (l *Local) Partitions() int { return l.node.Partitions() }

// ListKeys implements router.KeyLister: the one copy.
func (l *Local) ListKeys(_ context.Context, db int, _ proto.Consistency, p int, after, pattern []byte, max int) ([][]byte, bool, error) {
	return l.node.ListKeys(db, p, after, pattern, max)
}

// CountKeys implements router.KeyLister.
func (l *Local) CountKeys(_ context.Context, db int) (int64, error) {
	counts, err := l.node.CountKeys(db)
	if err != nil {
		return 0, err
	}
	return countPartitions([][]int{counts}, len(counts))
}
