package cluster

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

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
func mergePages(pages []keyPage, max int) router.KeyPage {
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
	pg := router.KeyPage{Keys: all, More: more}
	if more {
		pg.Last = all[len(all)-1] // bound, which its replica sent
	}
	return pg.Cut(max)
}

// Partitions implements router.KeyLister.
func (b *Backend) Partitions() int { return b.partitions() }

// ListKeys implements router.KeyLister: the union of level's number of
// complete copies of partition p, less the keys some of them lack that a
// read at level does not find (confirm). While the partition moves (a
// node answers that it does not serve it completely, and too few others
// do), it asks again, as a command would (whileMoving).
func (b *Backend) ListKeys(ctx context.Context, db int, level proto.Consistency, p int, after, pattern []byte, max int) (router.KeyPage, error) {
	var pg router.KeyPage
	err := b.whileMoving(ctx, func() (moving bool, err error) {
		pg, moving, err = b.listKeys(ctx, db, level, p, after, pattern, max)
		return moving, err
	})
	return pg, err
}

// whileMoving calls try until it succeeds, fails otherwise than because
// a partition is moving, or the router's RetryFor has passed, backing off
// (2 ms, doubling to 10) and reading the routes again between tries, as
// runItem does for a command: a hand-off keeps a partition unserved for
// tens of milliseconds.
func (b *Backend) whileMoving(ctx context.Context, try func() (moving bool, err error)) error {
	deadline := time.Now().Add(b.cfg.RetryFor)
	wait := 2 * time.Millisecond
	for {
		moving, err := try()
		if err == nil || !moving || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-b.life.Done():
			return err
		case <-time.After(wait):
		}
		wait = min(2*wait, 10*time.Millisecond)
		b.poll(b.life)
		b.refresh()
	}
}

// listKeys is one try of ListKeys; moving: a node answered that it does
// not serve the partition completely, or too few serve it while one of
// its replicas brings its copy in.
func (b *Backend) listKeys(ctx context.Context, db int, level proto.Consistency, p int, after, pattern []byte, max int) (router.KeyPage, bool, error) {
	rt := b.routes.Load()
	need := level.Need(b.replicas())
	payload := rpc.AppendKeysQuery(nil, rpc.KeysQuery{DB: db, Partition: p, Max: max, After: after, Pattern: pattern})
	var pages []keyPage
	var tried []string
	var lastErr error
	moving, refreshed, askedFailed := false, false, false
	for len(pages) < need {
		var batch []string
		for len(batch) < need-len(pages) {
			a := b.pickAlive(rt, p, slices.Concat(tried, batch))
			if a == "" {
				break
			}
			batch = append(batch, a)
		}
		if len(batch) == 0 && refreshed && !askedFailed {
			// Gossip's "failed" is a suspicion: a node leaving the
			// cluster shows as failed for a moment when its departure
			// arrives before its intent to leave, and serves its
			// partitions until their new replicas have them. A node so
			// marked is asked last (callAsked), as a command's
			// candidates are.
			askedFailed = true
			for _, a := range rt.ownersOf(p) {
				if rt.failed[a] != "" && !contains(tried, a) && len(batch) < need-len(pages) {
					batch = append(batch, a)
				}
			}
		}
		if len(batch) == 0 {
			if !refreshed {
				// The routes may predate a restart (a node back, serving
				// again): they are read again once, as runItem does.
				refreshed = true
				b.poll(b.life)
				rt = b.refresh()
				continue
			}
			// Too few nodes serve the partition: while one of its
			// replicas is still bringing its copy in, it is moving.
			moving = moving || rt.moving(p)
			msg := fmt.Sprintf("unavailable: partition %d: %d of %d replicas listed its keys", p, len(pages), need)
			if lastErr != nil {
				msg += fmt.Sprintf(" (%v)", lastErr)
			}
			return router.KeyPage{}, moving, &router.CommandError{Msg: msg}
		}
		tried = append(tried, batch...)
		var mu sync.Mutex
		_ = parallel(batch, func(addr string) error {
			out, err := b.callAsked(ctx, rt, addr, rpc.KindKeys, payload)
			var pg keyPage
			if err == nil {
				pg.keys, pg.more, err = rpc.DecodeKeysPage(out)
			}
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				lastErr = fmt.Errorf("%s: %w", addr, err)
				var re *rpc.Error
				if errors.As(err, &re) && re.Status == rpc.StatusWrongRing {
					moving = true
				} else if re == nil {
					b.suspect(addr, err) // unreachable or silent: later calls go elsewhere first
				}
				return err
			}
			pages = append(pages, pg)
			return nil
		})
	}
	pg := mergePages(pages, max)
	pg.Keys = b.confirm(db, level, pg.Keys, disputed(pages, pg.Keys))
	return pg, false, nil
}

// disputed returns the indices of the merged keys that some page lacks
// (each page holds every key of its own up to the merged page's end, in
// byte order): a copy that has not yet received the key's write, or one
// that still holds a key the others deleted.
func disputed(pages []keyPage, keys [][]byte) []int {
	var out []int
	for i, k := range keys {
		for _, p := range pages {
			if _, found := slices.BinarySearchFunc(p.keys, k, bytes.Compare); !found {
				out = append(out, i)
				break
			}
		}
	}
	return out
}

// confirm drops from keys those of the disputed ones (indices) that do
// not exist: each is read with EXISTS (NULL: absent) at the session's read level, a
// read that joins the copies' states as any read does, so a key whose
// delete was acknowledged is not listed from a copy that lags, as GET
// would not find it. A key whose read fails is listed (the copies that
// were asked hold it).
func (b *Backend) confirm(db int, level proto.Consistency, keys [][]byte, idx []int) [][]byte {
	if len(idx) == 0 {
		return keys
	}
	j := &router.Job{Items: make([]router.Item, len(idx))}
	for n, i := range idx {
		j.Items[n] = router.Item{DB: db, Levels: [2]proto.Consistency{level, level},
			Reqs: []*proto.Request{{Cmd: proto.CmdExists, Str: [3][]byte{keys[i]}}}}
	}
	router.NewWaitSender(b.NewSender()).Run(j)
	gone := make(map[int]bool, len(idx))
	for n, i := range idx {
		if it := &j.Items[n]; it.Err == nil && len(it.Replies) == 1 {
			if r, err := parse(it.Replies[0]); err == nil && r.Status == proto.StatusNull {
				gone[i] = true
			}
		}
	}
	out := keys[:0]
	for i, k := range keys {
		if !gone[i] {
			out = append(out, k)
		}
	}
	return out
}

// CountKeys implements router.KeyLister: each partition counted as its
// complete copies count it when they agree. At ONE, or when they differ,
// as the largest count: exact whenever one copy holds every write, low
// while different copies each miss a different write, high by the keys
// of writes that failed on all but one copy or whose delete a copy has
// not yet received. At any other level a partition whose copies differ
// is counted by listing its keys at that level (ListKeys: those some copy
// lacks are read), so a count after an acknowledged write or delete
// includes it.
func (b *Backend) CountKeys(ctx context.Context, db int, level proto.Consistency) (int64, error) {
	var total int64
	var differ []differing
	err := b.whileMoving(ctx, func() (moving bool, err error) {
		var missing int
		total, differ, missing, err = b.countKeys(ctx, db)
		// A partition no node serves completely is moving, unless gossip
		// has found each of its nodes failed.
		return missing >= 0 && !b.allFailed(missing), err
	})
	if err != nil || level == proto.ConsOne {
		return total, err
	}
	for _, d := range differ {
		n, err := b.countListed(ctx, db, level, d.part)
		if err != nil {
			return 0, err
		}
		total += n - int64(d.largest)
	}
	return total, nil
}

// countKeys asks every node for its complete copies' counts and adds them
// up (countPartitions).
func (b *Backend) countKeys(ctx context.Context, db int) (int64, []differing, int, error) {
	rt := b.routes.Load()
	if len(rt.nodes) == 0 {
		return 0, nil, -1, &router.CommandError{Msg: "unavailable: no storage node"}
	}
	var counts [][]int
	var mu sync.Mutex
	b.askCounting(ctx, rt, rpc.KindCount, db, func(addr string, out []byte) error {
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

// askCounting makes a call of kind about db (KindCount, KindExpiring) to
// every node that may serve a partition completely, in parallel, and
// hands take each answer. Nodes leaving serve what they have not handed
// off, and a node gossip calls failed may be one of them (serf's race,
// broadcastRun): they are asked too, a failed one for RequestTimeout at
// most, and count only if they answer.
func (b *Backend) askCounting(ctx context.Context, rt *routes, kind rpc.Kind, db int, take func(addr string, out []byte) error) {
	asked := slices.Concat(rt.nodes, rt.leaving())
	for addr := range rt.failed {
		asked = append(asked, addr)
	}
	_ = parallel(asked, func(addr string) error {
		out, err := b.callAsked(ctx, rt, addr, kind, binary.AppendUvarint(nil, uint64(db)))
		if err != nil {
			return err
		}
		return take(addr, out)
	})
}

// countListed counts partition p's keys by listing them at level.
func (b *Backend) countListed(ctx context.Context, db int, level proto.Consistency, p int) (int64, error) {
	var n int64
	var after []byte
	for {
		pg, err := b.ListKeys(ctx, db, level, p, after, nil, proto.MaxScanCount)
		if err != nil {
			return 0, err
		}
		n += int64(len(pg.Keys))
		if !pg.More {
			return n, nil
		}
		after = pg.Last
	}
}

// differing is a partition whose complete copies counted differently, and
// the largest of their counts.
type differing struct{ part, largest int }

// countPartitions adds up, for each partition, the largest count the
// nodes reported for it (-1: a node without a complete copy), and returns
// the partitions whose complete copies' counts differ, and the first
// partition no node reported a complete copy of (-1: none), with an
// error.
func countPartitions(counts [][]int, parts int) (int64, []differing, int, error) {
	var total int64
	var differ []differing
	for p := range parts {
		n, low := -1, -1
		for _, c := range counts {
			if c[p] >= 0 {
				n = max(n, c[p])
				if low < 0 || c[p] < low {
					low = c[p]
				}
			}
		}
		if n < 0 {
			return 0, nil, p, &router.CommandError{Msg: fmt.Sprintf("unavailable: no node with a complete copy of partition %d answered", p)}
		}
		if low != n {
			differ = append(differ, differing{p, n})
		}
		total += int64(n)
	}
	return total, differ, -1, nil
}

// LocalNode is the node of the single process, as its backend needs it.
type LocalNode interface {
	// NewTransport returns a transport for one sender.
	NewTransport() Transport
	// Persist writes a snapshot.
	Persist(ctx context.Context) error
	// Partitions is the number of partitions.
	Partitions() int
	// ListKeys, CountKeys and CountExpiring are node.Node's.
	ListKeys(db, p int, after, pattern []byte, max int) ([][]byte, bool, error)
	CountKeys(db int) ([]int, error)
	CountExpiring(db int) ([]int, []int64, error)
	// Describe adds the node's lines to INFO (persistence).
	Describe() []router.InfoField
}

// Partitions implements router.KeyLister.
func (l *Local) Partitions() int { return l.node.Partitions() }

// ListKeys implements router.KeyLister: the one copy.
func (l *Local) ListKeys(_ context.Context, db int, _ proto.Consistency, p int, after, pattern []byte, max int) (router.KeyPage, error) {
	keys, more, err := l.node.ListKeys(db, p, after, pattern, max)
	if err != nil || !more {
		return router.KeyPage{Keys: keys}, err
	}
	return router.KeyPage{Keys: keys, More: true, Last: keys[len(keys)-1]}, nil
}

// CountKeys implements router.KeyLister: the one copy's count.
func (l *Local) CountKeys(_ context.Context, db int, _ proto.Consistency) (int64, error) {
	counts, err := l.node.CountKeys(db)
	if err != nil {
		return 0, err
	}
	total, _, _, err := countPartitions([][]int{counts}, len(counts))
	return total, err
}

// CountExpiring implements router.ExpiryCounter: the one copy.
func (l *Local) CountExpiring(_ context.Context, db int) (int64, int64, error) {
	counts, left, err := l.node.CountExpiring(db)
	if err != nil {
		return 0, 0, err
	}
	n, sum := sumExpiring([]expiring{{counts, left}}, len(counts))
	return n, sum, nil
}

// CountExpiring implements router.ExpiryCounter: each partition as the
// complete copy with the most such keys counts it (an estimate, as
// Redis's is: INFO's keyspace section), asking the nodes DB_SIZE asks. A
// node that does not answer (one of an earlier release knows no such
// call) is left out.
func (b *Backend) CountExpiring(ctx context.Context, db int) (int64, int64, error) {
	var got []expiring
	var mu sync.Mutex
	b.askCounting(ctx, b.routes.Load(), rpc.KindExpiring, db, func(addr string, out []byte) error {
		c, left, err := rpc.DecodeExpiring(out)
		if err != nil || len(c) != b.partitions() {
			return fmt.Errorf("%s: malformed expiring counts", addr)
		}
		mu.Lock()
		got = append(got, expiring{c, left})
		mu.Unlock()
		return nil
	})
	n, sum := sumExpiring(got, b.partitions())
	return n, sum, nil
}

// expiring is one node's answer to KindExpiring.
type expiring struct {
	counts []int
	left   []int64
}

// sumExpiring adds up, for each partition, the count and milliseconds
// left of the copy that reported the most keys with a deadline ahead.
func sumExpiring(got []expiring, parts int) (n, msLeft int64) {
	for p := range parts {
		best := -1
		for i, e := range got {
			if e.counts[p] >= 0 && (best < 0 || e.counts[p] > got[best].counts[p]) {
				best = i
			}
		}
		if best >= 0 {
			n += int64(got[best].counts[p])
			msLeft += got[best].left[p]
		}
	}
	return n, msLeft
}
