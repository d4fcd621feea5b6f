package node

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/cespare/xxhash/v2"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/storage"
)

// readHere answers a router's SERIAL read of one key in one round trip
// (docs/serial.md, "Reads in one round trip"). The router sends the read
// WithDigest to the key's first replica, naming the one other replica it
// asks at the same time DigestOnly (Cmd.Peer). A DigestOnly command gets
// this acceptor's register for the key: the digest of the ballot it
// accepted last, from a complete copy (P4). A WithDigest one gets the read
// run on this node's accepted state and that digest, if this node and the
// peer make a majority of each of the key's acceptor sets (P5 while the
// partition moves). When the two ballots agree, a majority reports one
// proposal as its last: it is chosen, and newer than every write
// acknowledged before the read began (whose majority meets these two),
// which is what a peek by this node would have found. Otherwise, or on a
// refusal, the router sends the read again without a digest and the key's
// first replica peeks as usual.
func (s *Service) readHere(p *proposal) *proposal {
	c := p.c
	if c.Digest == rpc.WithDigest {
		peer := ""
		for _, a := range p.accs {
			if r, ok := a.(rpcReplica); ok && r.client.Addr() == c.Peer {
				peer = r.name
			}
		}
		if peer == "" || !p.majority([]string{s.cfg.Name, peer}) {
			return p.finish(rpc.StatusError, []byte(msgSerialNotHere))
		}
	}
	accepted, state, err := s.node.peek(c.DB, p.key, c.Digest != rpc.DigestOnly, nil)
	if err != nil {
		return p.finish(rpc.StatusError, []byte(msgSerialNotHere))
	}
	p.digest = ballotDigest(accepted.Time, accepted.Actor)
	if c.Digest == rpc.DigestOnly {
		return p.finish(rpc.StatusOK, nil)
	}
	now := s.node.clock.Now()
	_, reply, err := storage.Propose(c.DB, p.key, state, now, now, p.req, rand.IntN, nil)
	if err != nil {
		return p.finish(rpc.StatusError, []byte(err.Error()))
	}
	return p.finish(rpc.StatusOK, reply)
}

// ballotDigest is the 8-byte digest (big-endian) of an accepted ballot,
// as a digest read's answer carries it.
func ballotDigest(time, actor uint64) []byte {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], time)
	binary.BigEndian.PutUint64(b[8:], actor)
	return binary.BigEndian.AppendUint64(nil, xxhash.Sum64(b[:]))
}
