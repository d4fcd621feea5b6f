package main

import (
	"errors"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// Optimistic increments under faults (PROTOCOL.md §12.21): every worker
// adds one to a shared key by TRANSACT_WATCH, GET, then a transaction that
// SETs the value read plus one. A commit that answers its AGG wrote that
// value; one that answers NULL ran nothing. Two acknowledged commits that
// wrote the same value both read the same one: an increment lost, which
// docs/guarantees.md allows only while a failover puts two coordinators on
// the key. The run reports them; it does not fail on them.

// watchLog is what the optimistic increments recorded (under chaosLog.mu).
type watchLog struct {
	wrote   map[int64]int // values written by acknowledged commits, and how often
	changed int           // commits that ran nothing: a watched key changed
	unsure  int           // commits with no answer, or an error: they may have run
	maxSent int64         // the largest value a commit carried
}

// chaosWatch makes one optimistic increment of the run's watched key. It
// reports whether the connection is still usable.
func chaosWatch(c *client.Client, lg *chaosLog) bool {
	key := lg.prefix + "watched"
	r, err := c.TransactWatch(key)
	if !lg.outcome(r, err, func() {}, nil) || r.Status != proto.StatusOK {
		return err == nil
	}
	r, err = c.Get(key)
	if err != nil {
		lg.note(func() { lg.conn++ })
		return false
	}
	if r.Status != proto.StatusOK && r.Status != proto.StatusNull {
		lg.note(func() { lg.errs++ })
		_, err = c.TransactUnwatch()
		return err == nil
	}
	next := r.Value.Int + 1
	lg.note(func() { lg.watch.maxSent = max(lg.watch.maxSent, next) })
	rs, err := c.Tx().Add("SET :INT", key, next).Commit()
	lg.note(func() {
		switch {
		case err == nil:
			if lg.watch.wrote == nil {
				lg.watch.wrote = map[int64]int{}
			}
			lg.watch.wrote[next]++
		case rs.Status == proto.StatusNull:
			lg.watch.changed++
		default:
			lg.watch.unsure++
		}
	})
	return err == nil || rs.Status == proto.StatusNull || isReplyError(err)
}

// isReplyError reports an error the server answered (the connection is
// still in step), as opposed to a broken connection.
func isReplyError(err error) bool {
	var se *client.ServerError
	return errors.As(err, &se)
}

// watchSummary fills the summary's optimistic-increment fields from the
// log and the key's final value (final < 0: unreadable).
func watchSummary(w *watchLog, final int64, s *chaosSummary) {
	s.WatchCommits, s.WatchChanged, s.WatchUnsure, s.WatchFinal = 0, w.changed, w.unsure, final
	top := int64(0)
	s.WatchLostUpdates = 0
	for v, n := range w.wrote {
		s.WatchCommits += n
		s.WatchLostUpdates += n - 1
		top = max(top, v)
	}
	// The key ends on the largest value a commit wrote unless an
	// increment was lost on the way or a commit of unknown outcome
	// carried a larger one.
	s.WatchFinalOK = final >= top && final <= max(top, w.maxSent)
}
