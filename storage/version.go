package storage

import (
	"github.com/cespare/xxhash/v2"

	"github.com/vanitydb/vanity/proto"
)

// A key's version (PROTOCOL.md §12.21) is a hash of what its shard holds
// for it in the command's database: its state as replicas compare it
// (AppendStateDigest: value, stamps, deadline), the database-wide reset of
// its partition, and whether its deadline has passed at the command's
// time. Every write to the key changes it (a write that leaves the value
// equal still stamps it), as do a RESET of the database and the key's
// expiry; reads never do. Replicas holding the same state give the same
// version, so a version read through one copy can be checked on another.
// A key never written has the version of its partition's reset alone.

// version returns key's version.
func (c *Ctx) version(key []byte) uint64 {
	sh := c.shard(key)
	var buf [256]byte
	b := buf[:0]
	if d, ok := sh.DBReset(c.DB); ok {
		b = AppendCanonical(b, &d)
	}
	var stored bool
	if b, stored = sh.AppendStateDigest(b, c.DB, key); stored && sh.expired(c.DB, key, c.now()) {
		b = append(b, 1)
	}
	return xxhash.Sum64(b)
}

// ChecksHold reports whether every KEY_VERSION_IS among reqs holds: a
// transaction whose checks do not all hold runs none of its commands
// (§12.21). The keys' partitions are locked.
func (c *Ctx) ChecksHold(reqs []*proto.Request) bool {
	for _, r := range reqs {
		if r.Cmd == proto.CmdKeyVersionIs && c.version(r.Key()) != uint64(r.Int[0]) {
			return false
		}
	}
	return true
}

// HasChecks reports whether reqs hold a KEY_VERSION_IS.
func HasChecks(reqs []*proto.Request) bool {
	for _, r := range reqs {
		if r.Cmd == proto.CmdKeyVersionIs {
			return true
		}
	}
	return false
}

// execVersion runs KEY_VERSION and KEY_VERSION_IS.
func (c *Ctx) execVersion(req *proto.Request, dst []byte) []byte {
	v := c.version(req.Key())
	if req.Cmd == proto.CmdKeyVersion {
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(v))
	}
	return proto.AppendBool(append(dst, proto.ReplyOK...), v == uint64(req.Int[0]))
}
