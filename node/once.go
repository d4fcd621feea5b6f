package node

import (
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
)

// Writes with a request id (PROTOCOL.md §12.12) outside the serial path:
// the single process's, under the key's partition lock. They keep the
// applied record a serial proposal keeps (docs/serial.md) in the same
// place, so that a RETRY, or the ONCE sent again, answers the first reply
// instead of running again. Here every record written was applied (there
// are no unchosen proposals), so a record lists what ran whatever stamp
// it was written at, and even a write that changed nothing (a pop of an
// empty list) is recorded, except a blocking pop's try (proto.OnceTry):
// one that takes nothing leaves the id free for the next try.

// runOnce runs req, a ONCE or RETRY write of one key, at x.c.T: the reply
// its id has in the key's applied record if the record lists it; else,
// for ONCE, the write, whose id and reply then join the record; for
// RETRY, "not confirmed".
func (n *Node) runOnce(x *execCtx, req *proto.Request, dst []byte) []byte {
	key := req.Key()
	sh := n.locate(key)
	raw, at, _ := sh.AppendLatestApplied(nil, key)
	rec := appliedRecord(raw, ballotOf(at), x.c.T)
	id := serial.ID(proto.OnceID(req.OnceID))
	if e, ok := rec.Find(id); ok {
		if e.Omitted {
			return proto.AppendErrorMsg(dst, "unavailable: "+msgSerialApplied)
		}
		return append(dst, e.Reply...)
	}
	if req.Once == proto.OnceRetry {
		return proto.AppendErrorMsg(dst, "unavailable: "+msgSerialResent)
	}
	start, t, wrote := len(dst), x.c.T, len(x.c.Deltas)
	dst = storage.Exec(&x.c, req, dst)
	if req.Once == proto.OnceTry && len(x.c.Deltas) == wrote {
		return dst // took nothing
	}
	rec.Add(appliedEntry(id, t, t, dst[start:]), maxApplied)
	d := storage.AppliedDelta(string(key), t, serial.AppendApplied(nil, &rec))
	sh.Apply(&d)
	x.c.Deltas = append(x.c.Deltas, d)
	return dst
}
