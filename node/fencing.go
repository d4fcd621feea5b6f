package node

import (
	"slices"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
)

// Fencing on the serial path (docs/serial.md, "Store-enforced fencing"):
// a FENCED write is refused when its lock has issued a newer token than
// the write's, as well as when a newer token's write reached its key. The
// lock is another key, usually of other replicas, so a run's FENCED
// writes first read their locks at SERIAL, one round for them all, and
// each write then runs on its key's chosen state with its lock's beside it
// (storage.Proposal.See, storage's Ctx.fence).

// lockName is a lock a FENCED write names: the key in its database.
type lockName struct {
	db  int
	key string
}

// lockStates holds the chosen states of locks (storage's serial form; empty:
// the lock is absent), by lock.
type lockStates map[lockName][]byte

// lockOf returns the lock c's FENCED write names.
func lockOf(c *rpc.Cmd) lockName {
	return lockName{db: c.DB, key: string(c.Reqs[0].Fence.Lock)}
}

// readLocks reads, at SERIAL, the chosen state of every lock the FENCED
// writes fenced name, each lock once and all in the same rounds, by
// deadline. A lock whose read failed is missing from the result (its
// writes then do not run: newProposal); nil when fenced is empty.
func (s *Service) readLocks(deadline time.Time, fenced ...*rpc.Cmd) lockStates {
	var names []lockName
	var props []*proposal
	for _, c := range fenced {
		name := lockOf(c)
		if slices.Contains(names, name) {
			continue
		}
		read := &rpc.Cmd{DB: c.DB, Read: proto.ConsSerial, Write: proto.ConsSerial,
			Reqs: []*proto.Request{{Cmd: proto.CmdLockInfo, Str: [3][]byte{c.Reqs[0].Fence.Lock}}}}
		names = append(names, name)
		props = append(props, s.newProposal(read, deadline, nil))
	}
	if len(props) == 0 {
		return nil
	}
	var live []*proposal
	for _, p := range props {
		if !p.done {
			live = append(live, p)
		}
	}
	s.drive(live)
	out := make(lockStates, len(props))
	for i, p := range props {
		if p.st == rpc.StatusOK {
			out[names[i]] = p.chosen
		}
	}
	return out
}

// rereadLocks reads the locks of p's FENCED writes again, before p
// prepares again after a refusal (a newer holder may have taken one
// meanwhile), and reports whether it read them all, or else names one it
// could not read. p keeps the new states (its own map: the run's
// proposals share the first).
func (s *Service) rereadLocks(p *proposal) (unread []byte, ok bool) {
	fenced := p.fenced()
	if len(fenced) == 0 {
		return nil, true
	}
	p.locks = s.readLocks(p.deadline, fenced...)
	return p.unreadLock()
}

// fencedOf returns the commands of r that are FENCED writes (nil: none).
func fencedOf(r *rpc.Run) []*rpc.Cmd {
	var out []*rpc.Cmd
	for i := range r.Cmds {
		if c := &r.Cmds[i]; len(c.Reqs) == 1 && c.Reqs[0].Fenced {
			out = append(out, c)
		}
	}
	return out
}

// fenced returns p's commands (its own, then those folded in after it)
// that are FENCED writes.
func (p *proposal) fenced() []*rpc.Cmd {
	var out []*rpc.Cmd
	for i := range 1 + len(p.more) {
		if c, _ := p.command(i); len(c.Reqs) == 1 && c.Reqs[0].Fenced {
			out = append(out, c)
		}
	}
	return out
}

// unreadLock names a lock of p's FENCED writes that p.locks lacks (its
// reading failed), if any.
func (p *proposal) unreadLock() (lock []byte, ok bool) {
	for _, c := range p.fenced() {
		if _, read := p.locks[lockOf(c)]; !read {
			return c.Reqs[0].Fence.Lock, false
		}
	}
	return nil, true
}
