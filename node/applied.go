package node

import (
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage/hlc"
)

// A key's applied record: the recent commands its serial state lists,
// with their replies, so that a proposer meeting a command again answers
// its first reply instead of running it twice (PROTOCOL.md §12.12).

// entryReply is the reply an applied record keeps with a command, nil if
// it was too long to keep (the command answers "not confirmed": it ran
// once).
func entryReply(e *serial.Entry) []byte {
	if e.Omitted {
		return nil
	}
	return e.Reply
}

// appliedEntry is command id's entry in an applied record, applied at
// ballot at, proposed at time now, with reply.
func appliedEntry(id serial.ID, at, now hlc.Stamp, reply []byte) serial.Entry {
	if len(reply) > maxAppliedReply {
		return serial.Entry{ID: id, At: ballotOf(at), Proposed: now.Time, Omitted: true}
	}
	return serial.Entry{ID: id, At: ballotOf(at), Proposed: now.Time, Reply: reply}
}

// recorded reports whether the state a write req left (wrote: it changed
// it) lists the command's id in its applied record, so that a proposer
// meeting the command again answers its reply instead of running it
// twice: a write's does, except a blocking pop's try that took nothing
// (proto.OnceTry: the id stays free for the next try, which may take an
// element).
func recorded(req *proto.Request, wrote bool) bool {
	return req.Cmd.Class() != proto.ClassRead && (wrote || req.Once != proto.OnceTry)
}

// maxApplied bounds the commands a key's applied record lists (about 45
// bytes each, written with every serial write of the key): a proposer
// whose command was overtaken by more commands than that before it could
// look answers "not confirmed". 8 kept the contended test at the same
// 0.1% as 32, with records a quarter the size.
const maxApplied = 8

// Beyond maxApplied a record keeps the commands proposed in the last
// appliedWindow, up to maxAppliedRecent, so that a write a router sends
// again settles (neverRan) on a key written up to about a dozen times a
// second: the router sends it again at most its request timeout and
// clock offset (1.25 s by default) after the first sending, and the
// record must reach back three clock offsets (0.75 s) before that
// (rpc.Cmd.RanFrom). A record starts keeping more than 8 when its last
// 8 writes span at least 1.25 s (about 6 a second), and keeps them until
// more than 32 fall in the window (about 13 a second): a key written
// less often than about 3 times a second has 8 in the window anyway, and
// a hot key's Accepts stay as small as they were (a lock taken and given
// back 10 times a second: 7% fewer takings when any key could start).
const (
	maxAppliedRecent = 32
	appliedWindow    = 2500 * time.Millisecond
)

// addApplied records that command id was applied at ballot b, proposed
// at now, with reply out, in rec (maxApplied, and the recent ones).
func addApplied(rec *serial.Applied, id serial.ID, b, now hlc.Stamp, out []byte) {
	recent := uint64(max(now.Wall()-appliedWindow.Milliseconds(), 0)) << hlc.LogicalBits
	rec.AddKeeping(appliedEntry(id, b, now, out), maxApplied, maxAppliedRecent, recent)
}

// appliedRecord decodes the applied record of the proposal at ballot at,
// read at time now; without one (a state written at QUORUM, or by a build
// without records) it lists nothing and covers only what comes after at,
// and from now. A record without times covers from now as well: whatever
// its chain holds was proposed before now, but for the clocks' offsets
// (which the router's Cmd.RanFrom allows for, three times: a command's
// proposer and this node may each differ from the router's clock).
func appliedRecord(b []byte, at serial.Ballot, now hlc.Stamp) serial.Applied {
	if len(b) > 0 {
		if rec, err := serial.DecodeApplied(b); err == nil {
			if rec.Complete == serial.Unknown {
				rec.Complete = now.Time
			}
			return rec
		}
	}
	return serial.Applied{Since: at.Next(), Complete: now.Time}
}

// latestRecord is the applied record (appliedRecord, b) of the latest
// proposal a Prepare's majority reported, at ballot at. None at all (at
// zero: no acceptor of the majority holds any state of the key) means no
// state of the key was chosen within the tombstone grace, as one removed
// since (deleted, expired, or reset with its database) leaves a tombstone
// or a reset stamp at a majority for that long: so the record covers
// every time (Complete 0), and a write sent again on a fresh key runs,
// when the grace is at least minFreshGrace, far longer than the seconds
// a write takes to be sent again.
func (s *Service) latestRecord(b []byte, at serial.Ballot) serial.Applied {
	if at.IsZero() && len(b) == 0 && s.cfg.TombstoneGrace >= minFreshGrace {
		return serial.Applied{Since: at.Next()}
	}
	return appliedRecord(b, at, s.node.clock.Now())
}

// minFreshGrace is the shortest tombstone grace under which a key no
// acceptor holds is taken as never written (latestRecord).
const minFreshGrace = time.Minute
