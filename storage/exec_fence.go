package storage

import (
	"fmt"
	"strconv"

	"github.com/vanitydb/vanity/proto"
)

// Store-enforced fencing (PROTOCOL.md §12.11, docs/serial.md): a FENCED
// write carries a lock's name and a token of it, and runs only if the
// lock has issued no newer token and no FENCED write with a newer token
// of that lock has written its key.

// FenceDB is the database of the keys' fences: key k's is a HASH k whose
// field for database db and lock l (fenceField) holds, in decimal, the
// highest token a FENCED write to k in db carried for l. A field is
// written at the stamp of the write that raised it, and the writes that
// raise one are linearized (by the partition's lock in the single
// process, by the serial path in a cluster, where every proposal also
// carries its register's fields: Proposal.AppendState), so the latest
// stamp holds the highest token wherever copies join. It lives beside the
// key, in the key's partition, travels and persists with it; it is never
// removed (a DEL of the key keeps it). No client can reach it.
const FenceDB = 19

// fenceField names lock's field of a fence in database db.
func fenceField(db int, lock []byte) string {
	return string(append([]byte{byte(db)}, lock...))
}

// fenceOf returns the token of lock's field of key's fence in db, if it
// has one.
func (s *Shard) fenceOf(db int, key, lock []byte) (int64, bool) {
	e, ok := s.lookup(FenceDB, key)
	if !ok {
		return 0, false
	}
	m, ok := e.visible().(*memberMap)
	if !ok {
		return 0, false
	}
	st, ok := m.m.getString(fenceField(db, lock))
	if !ok {
		return 0, false
	}
	t, err := strconv.ParseInt(st.v, 10, 64)
	return t, err == nil
}

// lockToken returns the token of the lock held in key of db, if the key
// holds one, whether or not its lease has lapsed: a token is issued once
// its taking is written, and only a newer taking replaces it.
func (s *Shard) lockToken(db int, key []byte) (int64, bool) {
	e, ok := s.lookup(db, key)
	if !ok {
		return 0, false
	}
	v, ok := e.visible().(strVal)
	if !ok {
		return 0, false
	}
	token, _, ok := parseLock(v.str())
	return token, ok
}

// fence checks req's token against the newest token its lock issued and
// against its key's fence for the lock, and raises the fence to the
// token. It reports false, with the refusal appended to dst, when the
// lock issued a newer token (taken since the writer's, whether or not the
// new holder has written the key, and whether or not it still holds the
// lock) or a FENCED write with a newer token has written the key: the
// write must not run. The lock is read where c.Locate finds
// it: the single process locks its partition for the write
// (node.apply), the serial path reads its chosen state before the
// proposal (Proposal.See). An accepted token raises the fence even if the
// write then changes nothing (a SET_IF whose value differs).
func (c *Ctx) fence(req *proto.Request, dst []byte) ([]byte, bool) {
	key, f := req.Key(), &req.Fence
	sh := c.Locate(key)
	at, fenced := sh.fenceOf(c.DB, key, f.Lock)
	newest, known := at, fenced
	lsh := c.Locate(f.Lock)
	if issued, ok := lsh.fenceOf(c.DB, f.Lock, f.Lock); ok && (!known || issued > newest) {
		newest, known = issued, true
	}
	if held, ok := lsh.lockToken(c.DB, f.Lock); ok && (!known || held > newest) {
		newest, known = held, true // a lock taken before takings were recorded
	}
	if known && f.Token < newest {
		return proto.AppendErrorMsg(dst, fmt.Sprintf("%s: lock %q is at token %d, newer than this write's %d (the write did not run)",
			proto.MsgFenced, f.Lock, newest, f.Token)), false
	}
	if !fenced || f.Token > at {
		c.raiseFence(key, f.Lock, f.Token)
	}
	return dst, true
}

// raiseFence raises key's fence for lock in c's database to token. A
// lock's taking raises the lock's own (key and lock the same): the record
// of the newest token it issued, kept through its release, a DEL or a
// lapsed lease, as every fence is.
func (c *Ctx) raiseFence(key, lock []byte, token int64) {
	c.Deltas = append(c.Deltas, Delta{DB: FenceDB, Key: string(key), Val: ValDelta{Kind: proto.TypeHash, TS: c.T,
		Members: []Member{{Name: fenceField(c.DB, lock), S: c.T, Value: strconv.FormatInt(token, 10)}}}})
	c.Locate(key).Apply(&c.Deltas[len(c.Deltas)-1])
}
