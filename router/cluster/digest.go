package cluster

import (
	"encoding/binary"
	"fmt"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// A read at R > 1 of keys in one partition is a digest read: in the same
// turn the router asks the partition's coordinator to run it (at ONE) and
// answer the digest of the keys' states too, and R-1 other replicas for
// their digests only; each goes in the run the node gets anyway. When
// every digest agrees, the coordinator's reply is what joining the R
// replicas' states would answer, and it is sent. Otherwise (a replica
// missed a write, or failed to answer) the read runs again as a quorum
// read by the coordinator, which joins the replicas' states and repairs
// them. A healthy read so costs one round trip in parallel instead of two
// one after the other, and no state crosses the network.
type digestRead struct {
	b       *Backend
	j       *router.Job
	i       int
	mu      sync.Mutex
	pending int
	replies []rpc.Item // the coordinator's answers to the requests
	want    uint64     // the coordinator's digest
	got     []uint64   // the others', by their place in peers
	failed  error
	serial  bool // a SERIAL read (addSerialDigestRead)
	// coord and peers are the nodes asked: the coordinator, and those
	// asked for a digest only (digestPeers learns from them).
	coord string
	peers []string

	// Room for a read of one request at QUORUM of three, in the same
	// allocation.
	repliesRoom [1]rpc.Item
	gotRoom     [1]uint64
	peersRoom   [1]string
}

// primary marks the coordinator's part of a digest read in its ref.
const primary = -1

// addDigestRead adds item i of j as a digest read, if it is a read at
// R > 1 of one partition with R-1 other replicas at hand, and reports
// whether it did.
func (s *Sender) addDigestRead(addr string, t Transport, j *router.Job, i int) bool {
	it := &j.Items[i]
	rt := s.b.routes.Load()
	if rt.ring == nil || !proto.ReadOnly(it.Reqs) {
		return false
	}
	need := it.Levels[0].Need(rt.ring.ReplicaCount())
	if need <= 1 {
		return false
	}
	s.keys = s.keys[:0]
	for _, r := range it.Reqs {
		s.keys = r.Keys(s.keys)
	}
	p := -1
	for _, k := range s.keys {
		if q := s.b.partition(k); p >= 0 && q != p {
			return false // several partitions: the coordinator joins each
		} else {
			p = q
		}
	}
	if p < 0 {
		return false
	}
	others := s.b.others(rt, p, addr, need-1, s.others[:0])
	s.others = others[:0]
	if len(others) < need-1 {
		return false // the coordinator says how many answered
	}
	dr := &digestRead{b: s.b, j: j, i: i, pending: need, coord: addr}
	dr.replies, dr.peers = dr.repliesRoom[:0], append(dr.peersRoom[:0], others...)
	dr.got = append(dr.gotRoom[:0], make([]uint64, len(others))...)
	s.addCmd(addr, t, rpc.Cmd{DB: it.DB, Read: proto.ConsOne, Write: it.Levels[1], Digest: rpc.WithDigest, Reqs: it.Reqs},
		ref{j: j, i: primary, dr: dr})
	for k, o := range others {
		s.addCmd(o, s.b.transport(o), rpc.Cmd{DB: it.DB, Digest: rpc.DigestOnly, Reqs: it.Reqs}, ref{j: j, i: k, dr: dr})
	}
	return true
}

// addSerialDigestRead adds item i of j, a SERIAL read of one key, as a
// read in one round trip (docs/serial.md, "Reads in one round trip"): the
// key's first replica runs it WithDigest on its own copy, naming the one
// other replica asked DigestOnly for its register in the same turn; when
// the two ballots agree the first replica's reply is sent, and otherwise
// the read runs again as an ordinary serial read. It applies when a
// majority of the replicas is two (two or three copies) and reports
// whether it did.
func (s *Sender) addSerialDigestRead(addr string, t Transport, j *router.Job, i int) bool {
	it := &j.Items[i]
	rt := s.b.routes.Load()
	if rt.ring == nil || len(it.Reqs) != 1 || !proto.ReadOnly(it.Reqs) || rt.ring.ReplicaCount()/2+1 != 2 {
		return false
	}
	s.keys = it.Reqs[0].Keys(s.keys[:0])
	if len(s.keys) != 1 {
		return false
	}
	others := s.b.others(rt, s.b.partition(s.keys[0]), addr, 1, s.others[:0])
	s.others = others[:0]
	if len(others) != 1 {
		return false
	}
	dr := &digestRead{b: s.b, j: j, i: i, pending: 2, serial: true, coord: addr}
	dr.replies, dr.peers = dr.repliesRoom[:0], append(dr.peersRoom[:0], others...)
	dr.got = dr.gotRoom[:1]
	cmd := itemCmd(it)
	cmd.Digest, cmd.Peer = rpc.WithDigest, others[0]
	s.addSerialCmd(addr, t, cmd, ref{j: j, i: primary, dr: dr})
	cmd.Digest, cmd.Peer = rpc.DigestOnly, ""
	s.addSerialCmd(others[0], s.b.transport(others[0]), cmd, ref{j: j, i: 0, dr: dr})
	return true
}

// others appends to out up to n candidates of partition p other than
// addr, neither failed nor suspected: first the one whose node comes after
// addr's by name (ring.ByPartner), which a proposer on addr's node asks
// first on the serial path, so that a read's digest comes from a copy
// that proposer's writes reach at once (docs/serial.md, "Fewer
// acceptors"), unless its digests kept disagreeing with addr's lately
// (digestPeers: it is asked last then).
func (b *Backend) others(rt *routes, p int, addr string, n int, out []string) []string {
	from := len(out)
	for _, a := range rt.partnersOf(p, addr) {
		if rt.failed[a] == "" && !b.suspected(a) {
			out = append(out, a)
		}
	}
	b.digestPeers.last(addr, out[from:])
	return out[:from+min(n, len(out)-from)]
}

// answered takes one part's answers (the coordinator's when who is
// primary), or the failure of its run.
func (d *digestRead) answered(who int, items []rpc.Item, err error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.pending--
	if err == nil {
		if st, msg := firstFailure(items); st != rpc.StatusOK {
			err = fmt.Errorf("%s: %s", st, msg)
		}
	}
	switch {
	case err != nil:
		if d.failed == nil {
			d.failed = err
		}
	case who == primary:
		n := len(items) - 1
		d.replies = append(d.replies[:0], items[:n]...)
		d.want = digestOf(items[n].Reply)
	default:
		d.got[who] = digestOf(items[0].Reply)
	}
	if d.pending > 0 {
		return
	}
	agree := d.failed == nil
	for _, g := range d.got {
		agree = agree && g == d.want
	}
	level, outcome := 0, 0
	if d.serial {
		level = 1
	}
	if !agree {
		outcome = 1
	}
	routerRPCMetrics().digests[level][outcome].Inc()
	if d.failed == nil {
		for k, p := range d.peers {
			d.b.digestPeers.outcome(d.coord, p, d.got[k] == d.want)
		}
	}
	if agree {
		answer(ref{j: d.j, i: d.i}, d.replies)
		return
	}
	// The replicas differ (or one failed): the coordinator joins them.
	d.b.goRetry([]ref{{j: d.j, i: d.i}}, "", d.failed, 0)
}

func digestOf(b []byte) uint64 {
	if len(b) != 8 {
		return 0
	}
	return binary.BigEndian.Uint64(b)
}
