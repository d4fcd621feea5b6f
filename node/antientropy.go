package node

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/vfs"
)

// Anti-entropy: every replica of a partition periodically compares its
// copy with another replica's by digest (storage.Digest, a two-level hash
// tree) and the two exchange the states of the buckets that differ, both
// ways. Hints and read repair fix most divergence as it happens; this is
// what fixes the rest (hints that overflowed or were lost with a disk, a
// write whose coordinator died before its stragglers finished, keys never
// read), so every replica converges once the network heals.
//
// The same sweep purges tombstones older than the tombstone grace, which
// is longer than the reap timeout: a replica away for less than the reap
// timeout comes back before the deletions it missed are forgotten, and
// one away longer is refused its old data (checkAway).

// ErrNotServing is returned for digest requests about a partition this
// node does not serve.
var ErrNotServing = errors.New("node: partition not served here")

// PartitionDigest returns the digest of partition p at horizon (see
// storage.Digest).
func (n *Node) PartitionDigest(p int, horizon hlc.Stamp) (dg *storage.Digest, err error) {
	err = n.withHeld(p, func(sh *storage.Shard) { dg = sh.Digest(horizon) })
	return dg, err
}

// BucketStates returns the states of partition p's keys in the given
// digest buckets, in the stream encoding (EncodeDeltas).
func (n *Node) BucketStates(p int, horizon hlc.Stamp, buckets *[storage.DigestLeaves]bool) (out []byte, err error) {
	err = n.withHeld(p, func(sh *storage.Shard) {
		var one []byte
		sh.EachIn(buckets, horizon, func(d *storage.Delta) bool {
			one = storage.AppendDelta(one[:0], d)
			out = binary.AppendUvarint(out, uint64(len(one)))
			out = append(out, one...)
			return true
		})
	})
	return out, err
}

// withHeld runs fn on partition p's shard under the partition's lock, or
// returns ErrNotServing if the node does not hold p.
func (n *Node) withHeld(p int, fn func(*storage.Shard)) error {
	if err := n.failure(); err != nil {
		return err
	}
	if p < 0 || p >= len(n.parts) {
		return fmt.Errorf("node: partition %d out of range", p)
	}
	part := &n.parts[p]
	part.mu.Lock()
	defer part.mu.Unlock()
	if !part.state.held() {
		return ErrNotServing
	}
	fn(part.shard)
	return nil
}

// PurgeTombstones removes partition p's tombstones written before horizon
// (storage.Shard.Purge) and returns how many went. The purge is not
// logged: after a restart the WAL brings old tombstones back, and the next
// purge removes them again.
func (n *Node) PurgeTombstones(p int, horizon hlc.Stamp) int {
	part := &n.parts[p]
	part.mu.Lock()
	defer part.mu.Unlock()
	return part.shard.Purge(horizon)
}

// Digest and bucket request payloads:
//
//	digest  = partition:uvarint horizon:u64 root:u64   answer: "" when the roots agree, else leaves (256 × u64)
//	buckets = partition:uvarint horizon:u64 bitmap:[32]byte   answer: EncodeDeltas
func appendDigestRequest(p int, horizon hlc.Stamp, tail []byte) []byte {
	b := binary.AppendUvarint(nil, uint64(p))
	b = binary.BigEndian.AppendUint64(b, horizon.Time)
	return append(b, tail...)
}

func decodeDigestRequest(b []byte, tail int) (int, hlc.Stamp, []byte, error) {
	p, k := binary.Uvarint(b)
	if k <= 0 || len(b) != k+8+tail || p > MaxClusterPartitions {
		return 0, hlc.Stamp{}, nil, rpc.ErrMalformed
	}
	return int(p), hlc.Stamp{Time: binary.BigEndian.Uint64(b[k:])}, b[k+8:], nil
}

// handleDigest answers a peer's digest request.
func (s *Service) handleDigest(payload, dst []byte) ([]byte, error) {
	p, horizon, tail, err := decodeDigestRequest(payload, 8)
	if err != nil {
		return dst, err
	}
	dg, err := s.node.PartitionDigest(p, horizon)
	if err != nil {
		return dst, err
	}
	if dg.Root() == binary.BigEndian.Uint64(tail) {
		return dst, nil
	}
	for _, l := range dg {
		dst = binary.BigEndian.AppendUint64(dst, l)
	}
	return dst, nil
}

// handleBuckets answers a peer's request for the states of some buckets.
func (s *Service) handleBuckets(payload, dst []byte) ([]byte, error) {
	p, horizon, tail, err := decodeDigestRequest(payload, storage.DigestLeaves/8)
	if err != nil {
		return dst, err
	}
	var buckets [storage.DigestLeaves]bool
	for i := range buckets {
		buckets[i] = tail[i/8]&(1<<(i%8)) != 0
	}
	states, err := s.node.BucketStates(p, horizon, &buckets)
	return append(dst, states...), err
}

// Digests returns the digest root of every partition this node serves, at
// the horizon its anti-entropy uses now: replicas that agree on a root
// hold the same data for that partition.
func (s *Service) Digests() map[int]uint64 {
	_, horizon := s.horizons(time.Now())
	out := map[int]uint64{}
	for p, h := range s.node.Held() {
		if !h {
			continue
		}
		if dg, err := s.node.PartitionDigest(p, horizon); err == nil {
			out[p] = dg.Root()
		}
	}
	return out
}

// EntropyStats counts a node's repair work since it started.
type EntropyStats struct {
	Rounds      int64 // anti-entropy: partitions compared with a peer
	Repaired    int64 // of those, partitions whose copies differed
	Keys        int64 // key states received from peers
	Purged      int64 // tombstones purged
	ReadRepairs int64 // replicas sent the joined state after a read
}

type entropyCounters struct{ rounds, repaired, keys, purged, readRepairs atomic.Int64 }

// EntropyStats returns the node's repair counters.
func (s *Service) EntropyStats() EntropyStats {
	c := &s.entropy
	return EntropyStats{c.rounds.Load(), c.repaired.Load(), c.keys.Load(), c.purged.Load(), c.readRepairs.Load()}
}

// horizons returns, at wall time now, the purge horizon (tombstones older
// than the grace go) and the digest horizon a little later, so that
// replicas purging at slightly different moments still compare equal.
func (s *Service) horizons(now time.Time) (purge, digest hlc.Stamp) {
	g := s.cfg.TombstoneGrace
	at := func(t time.Time) hlc.Stamp { return hlc.Stamp{Time: uint64(max(t.UnixMilli(), 0)) << hlc.LogicalBits} }
	return at(now.Add(-g)), at(now.Add(-g + g/4))
}

// antiEntropy sweeps the partitions this node serves, one at a time, so
// that each is compared with a peer replica about once per AntiEntropy
// period, until ctx ends. Each sweep also purges old tombstones. The
// sweeps of one start begin at a partition drawn at random: begun at the
// first each time, a node restarted more often than the period would
// never reach its last partitions (nor purge their tombstones).
func (s *Service) antiEntropy(ctx context.Context) {
	defer s.wg.Done()
	from := rand.Uint64()
	for round := 0; ; round++ {
		var held []int
		for p, h := range s.node.Held() {
			if h {
				held = append(held, p)
			}
		}
		served := sweepOrder(held, from)
		period := s.cfg.AntiEntropy
		if period <= 0 {
			period = 10 * time.Minute // purging only
		}
		pace := period / time.Duration(max(len(served), 1))
		for _, p := range served {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pace):
			}
			purge, digest := s.horizons(time.Now())
			if n := s.node.PurgeTombstones(p, purge); n > 0 {
				s.entropy.purged.Add(int64(n))
			}
			if s.cfg.AntiEntropy > 0 {
				if err := s.syncPartition(ctx, p, digest, round); err != nil && ctx.Err() == nil {
					s.log.Debug("anti-entropy round failed", "partition", p, "err", err)
				}
			}
		}
		if len(served) == 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(pace):
			}
		}
	}
}

// sweepOrder returns served rotated to begin at its element from (modulo
// its length).
func sweepOrder(served []int, from uint64) []int {
	if len(served) == 0 {
		return served
	}
	k := int(from % uint64(len(served)))
	return append(served[k:len(served):len(served)], served[:k]...)
}

// syncPartition compares partition p with one other live replica (a
// different one each round) and makes the two copies equal
// (replication.Sync).
func (s *Service) syncPartition(ctx context.Context, p int, horizon hlc.Stamp, round int) error {
	r := s.ring.Load()
	if r == nil {
		return nil
	}
	peers := s.livePeers(r, p)
	if len(peers) == 0 {
		return nil
	}
	peer := peers[(round+p)%len(peers)]
	res, err := s.syncWith(ctx, p, horizon, peer, localCopy{s})
	if errors.Is(err, ErrNotServing) {
		return nil // not served here any more
	}
	if err != nil {
		return err
	}
	s.entropy.rounds.Add(1)
	if res.Buckets > 0 {
		s.entropy.repaired.Add(1)
		s.log.Debug("anti-entropy repaired a partition", "partition", p, "peer", peer.ID, "buckets", res.Buckets,
			"in", res.In, "out", res.Out)
	}
	return nil
}

// localCopy is this node's copy of partitions for replication.Sync.
type localCopy struct{ s *Service }

func (c localCopy) Digest(_ context.Context, p int, horizon uint64, _ uint64) (replication.Digest, error) {
	dg, err := c.s.node.PartitionDigest(p, hlc.Stamp{Time: horizon})
	if err != nil {
		return replication.Digest{}, err
	}
	return replication.Digest{Root: dg.Root(), Leaves: dg[:]}, nil
}

func (c localCopy) Buckets(_ context.Context, p int, horizon uint64, buckets []int) ([]byte, error) {
	var in [storage.DigestLeaves]bool
	for _, b := range buckets {
		if b >= 0 && b < storage.DigestLeaves {
			in[b] = true
		}
	}
	return c.s.node.BucketStates(p, hlc.Stamp{Time: horizon}, &in)
}

// Store joins a peer's states, paced with the partitions moving in.
func (c localCopy) Store(ctx context.Context, items []replication.Item) error {
	for _, it := range items {
		if err := c.s.pace.wait(ctx, len(it.Deltas)); err != nil {
			return err
		}
		if err := c.s.node.ApplyReplica(it.Partition, it.Deltas); err != nil {
			return err
		}
		c.s.entropy.keys.Add(int64(countStates(it.Deltas)))
	}
	return nil
}

// countStates counts the records of an EncodeDeltas stream.
func countStates(b []byte) int {
	n := 0
	for len(b) > 0 {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			break
		}
		b = b[k+int(l):]
		n++
	}
	return n
}

// catchUp brings the partitions a restarted replica held up to date
// before it serves them again: each is synced (replication.Sync) with a
// live peer replica, then served. Meanwhile the node takes replicated
// writes for them but neither coordinates commands nor counts toward
// read quorums, so a replica that was away cannot answer from a copy that
// lacks acknowledged writes. A partition with no live peer (the whole
// cluster restarting), or no longer this node's, is served as it is once
// the ring has settled.
func (s *Service) catchUp(ctx context.Context, parts []int) {
	defer s.wg.Done()
	start, total := time.Now(), len(parts)
	for len(parts) > 0 {
		r := s.ring.Load()
		s.mu.Lock()
		stable := r != nil && time.Since(s.ringSince) >= s.settle()
		s.mu.Unlock()
		if stable {
			var left []int
			for _, p := range parts {
				if s.catchUpOne(ctx, r, p) {
					s.node.CaughtUp(p)
				} else {
					left = append(left, p)
				}
			}
			if len(left) < len(parts) {
				s.advertiseSoon()
			}
			parts = left
		}
		if len(parts) == 0 {
			break
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(100 * time.Millisecond): // for the ring to settle, or a peer to answer
		}
	}
	s.log.Info("caught up after the restart", "partitions", total, "took", time.Since(start).Round(time.Millisecond))
}

// catchUpOne syncs partition p with one live peer replica and reports
// whether p may be served.
func (s *Service) catchUpOne(ctx context.Context, r *ring.Ring, p int) bool {
	self := r.IndexOf(s.cfg.Name)
	if self < 0 || !r.Holds(self, p) {
		return true // not ours any more: reconcile drops it
	}
	_, horizon := s.horizons(time.Now())
	peers := s.livePeers(r, p)
	for _, m := range peers {
		res, err := s.syncWith(ctx, p, horizon, m, localCopy{s})
		if err == nil {
			if res.Buckets > 0 {
				s.entropy.repaired.Add(1)
			}
			return true
		}
		s.log.Debug("catching up failed", "partition", p, "peer", m.ID, "err", err)
	}
	return len(peers) == 0
}

// handOver makes this node's copy of partition p, which it is about to
// drop (no longer one of p's replicas in r), and each live replica's
// equal (replication.Sync, both ways), and reports whether every one was
// reached. What this copy holds stays on the new replica set, the
// proposals a serial key's acceptor accepted among them: one chosen by a
// majority of the old replica set that included this node is then on
// every new replica, where a quorum of the new set alone could otherwise
// miss it once this node stops counting (docs/serial.md, P5).
func (s *Service) handOver(ctx context.Context, r *ring.Ring, p int) bool {
	_, horizon := s.horizons(time.Now())
	local := &digestOnce{Copy: localCopy{s}}
	for _, m := range s.livePeers(r, p) {
		res, err := s.syncWith(ctx, p, horizon, m, local)
		if err != nil {
			s.log.Debug("handing a partition over failed", "partition", p, "peer", m.ID, "err", err)
			return false
		}
		local.synced(res)
	}
	return true
}

// digestOnce is a copy whose digest of one partition is taken once for
// the syncs of a hand-over, one per peer: walking the partition again for
// each was a tenth of a source node's CPU while a joining node took its
// copies. A sync that joined a peer's states into the copy makes it take
// the digest again.
type digestOnce struct {
	replication.Copy
	digest replication.Digest
	taken  bool
}

func (c *digestOnce) Digest(ctx context.Context, p int, horizon uint64, root uint64) (replication.Digest, error) {
	if !c.taken {
		d, err := c.Copy.Digest(ctx, p, horizon, root)
		if err != nil {
			return d, err
		}
		c.digest, c.taken = d, true
	}
	return c.digest, nil
}

// synced notes what a sync did to the copy.
func (c *digestOnce) synced(res replication.SyncResult) {
	if res.In > 0 {
		c.taken = false
	}
}

// livePeers returns the live members of partition p's replica set in r,
// this node aside.
func (s *Service) livePeers(r *ring.Ring, p int) []ring.Member {
	var peers []ring.Member
	for _, i := range r.Replicas(p) {
		m := r.Member(int(i))
		if st, ok := s.gossip.State(m.ID); m.ID != s.cfg.Name && ok && st == gossip.Alive {
			peers = append(peers, m)
		}
	}
	return peers
}

// syncWith makes this node's copy of partition p, local, and peer's equal
// (replication.Sync).
func (s *Service) syncWith(ctx context.Context, p int, horizon hlc.Stamp, peer ring.Member, local replication.Copy) (replication.SyncResult, error) {
	cctx, cancel := context.WithTimeout(ctx, replicateTimeout)
	defer cancel()
	return replication.Sync(cctx, p, horizon.Time, local, rpcReplica{name: peer.ID, client: s.peer(peer.Addr)})
}

// The away check. A node writes the time into <data>/alive every
// aliveEvery while it runs; when it starts after being away longer than
// the reap timeout, the other nodes have removed it from the ring and may
// have purged tombstones of deletions its data predates, so serving that
// data could bring deleted keys back. It refuses to start unless told the
// whole cluster was down (KeepStaleData).
const aliveEvery = time.Minute

func alivePath(cfg ServiceConfig) string {
	if cfg.Node.HeldPath == "" {
		return ""
	}
	return filepath.Join(filepath.Dir(cfg.Node.HeldPath), "alive")
}

// checkAway returns an error when the node was away too long to serve its
// replicated data.
func checkAway(cfg ServiceConfig, n *Node, now time.Time) error {
	path := alivePath(cfg)
	if path == "" || cfg.Replicas < 2 || cfg.KeepStaleData {
		return nil
	}
	raw, err := readFile(n.fs, path)
	if raw == nil || err != nil {
		return err
	}
	ms, err := strconv.ParseInt(string(raw), 10, 64)
	if err != nil {
		return fmt.Errorf("node: %s: %w", path, err)
	}
	held := false
	for _, h := range n.Held() {
		held = held || h
	}
	last := time.UnixMilli(ms)
	if away := now.Sub(last); held && away > cfg.ReapTimeout+aliveEvery {
		return fmt.Errorf("node: this node was last running %s ago (%s), longer than the reap timeout (%s): "+
			"the cluster has removed it and may have forgotten deletions its data predates. Start it with an empty "+
			"data directory to rejoin, or with --keep-stale-data if the whole cluster was down",
			away.Round(time.Second), last.UTC().Format(time.RFC3339), cfg.ReapTimeout)
	}
	return nil
}

// markAlive records that the node is running now.
func (s *Service) markAlive(now time.Time) error {
	path := alivePath(s.cfg)
	if path == "" {
		return nil
	}
	return vfs.WriteAtomic(s.node.fs, path, func(w io.Writer) error {
		_, err := io.WriteString(w, strconv.FormatInt(now.UnixMilli(), 10))
		return err
	})
}

// keepAlive rewrites the alive mark every aliveEvery until ctx ends.
func (s *Service) keepAlive(ctx context.Context) {
	defer s.wg.Done()
	tick := time.NewTicker(aliveEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			if err := s.markAlive(now); err != nil {
				s.log.Warn("writing the alive mark failed", "err", err)
			}
		}
	}
}
