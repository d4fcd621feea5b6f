package node

import (
	"slices"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// A serial run: the serial commands a router sends a node, which the
// node runs as proposals (proposer.go), and what it counts of them.

// SerialStats counts what this node's proposer did: the phases it began
// (Prepare, Accept, Peek), the Accepts it sent on a standing promise
// without a Prepare, the rounds refused (each backs off and prepares
// again), and the commands folded into the proposal of an earlier one on
// their key; and, as an acceptor, the calls other proposers made to it
// and the phases they carried (their ratio is how full rounds are, most
// of what a serial write costs: docs/decisions.md, "One serial run in
// flight per node"); and what became of the writes routers sent again
// (Resent).
type SerialStats struct {
	Prepares, Accepts, Peeks, Standing, Refused, Folded atomic.Int64
	VoteCalls, VotePhases                               atomic.Int64
	Learns                                              atomic.Int64 // chosen proposals sent to acceptors a round did not ask
	SlowPeers                                           atomic.Int64 // peers found failing or slower than a hedge (slowPeers.mark)
	Resent                                              [numResentOutcomes]atomic.Int64
}

// ResentOutcome is what became of a write a router sent again
// (rpc.Cmd.Resent).
type ResentOutcome uint8

const (
	ResentAnswered     ResentOutcome = iota // the key's record listed it: its first reply
	ResentRan                               // the record showed no sending ran it: it ran here
	ResentNotConfirmed                      // its fate could not be learned
	ResentFailed                            // refused or failed otherwise (it did not run here)
	numResentOutcomes
)

// String names o as the metrics label it.
func (o ResentOutcome) String() string {
	return [...]string{"answered", "ran", "not_confirmed", "failed"}[o]
}

// countResent counts the outcome of p, a resent write's proposal, done.
func (st *SerialStats) countResent(p *proposal) {
	o := ResentFailed
	switch {
	case p.st == rpc.StatusNotConfirmed:
		o = ResentNotConfirmed
	case p.st == rpc.StatusOK && p.reran:
		o = ResentRan
	case p.st == rpc.StatusOK:
		o = ResentAnswered
	}
	st.Resent[o].Add(1)
}

// asker is this node as its rounds' proposer.
func (s *Service) asker() asker { return asker{self: s.cfg.Name, learn: s.learns, slow: s.slow} }

// Serial returns the counters of this node's serial proposals.
func (s *Service) Serial() *SerialStats { return &s.serial }

// hasSerial reports whether any command of r runs on the serial path.
func hasSerial(r *rpc.Run) bool {
	for i := range r.Cmds {
		if c := &r.Cmds[i]; proto.Serial(c.Read, c.Write, c.Reqs) {
			return true
		}
	}
	return false
}

// serialRun runs every command of r on the serial path, puts their
// answers in res in r's order, and calls done. A run of reads proposes at
// once: its peeks' round starts on the caller's goroutine and, when their
// replicas agree, done runs on whichever goroutine ended it (the
// caller's, or the RPC reader of the deciding vote), with no goroutine of
// its own; reads that must prepare go on on a goroutine. A run that
// writes goes on a goroutine at once: it takes its keys' gates
// (keyGates) and runs in waves (serialWaves), each wave's rounds together
// (drive).
func (s *Service) serialRun(r *rpc.Run, res *Result, done func()) {
	s.node.clock.Observe(hlc.Stamp{Time: r.Floor})
	deadline := time.Now().Add(replicateTimeout)
	if r.Deadline != 0 {
		deadline = time.UnixMilli(r.Deadline)
	}
	props := make([]*proposal, len(r.Cmds))
	answer := func() {
		res.reset(r.Answers())
		for i, p := range props {
			if r.Cmds[i].Resent {
				s.serial.countResent(p)
			}
			switch c := &r.Cmds[i]; {
			case p.st != rpc.StatusOK || len(c.Reqs) > 1 && !p.each:
				res.refuse(c.Answers(), p.st, string(p.reply))
			case len(c.Reqs) > 1:
				replies, ok := unpackReplies(p.reply, len(c.Reqs))
				if !ok {
					res.refuse(c.Answers(), rpc.StatusError, msgSerialBadReplies)
					break
				}
				for _, reply := range replies {
					res.Replies = append(res.Replies, reply...)
					res.end(rpc.StatusOK)
				}
			default:
				if c.Digest != rpc.DigestOnly {
					res.Replies = append(res.Replies, p.reply...)
					res.end(rpc.StatusOK)
				}
				if c.Digest != rpc.DigestNone {
					res.Replies = append(res.Replies, p.digest...)
					res.end(rpc.StatusOK)
				}
			}
		}
		done()
	}
	// The goroutines below end with done, which the caller waits for
	// (the RPC connection holds the call open until then): they are owned.
	if slices.ContainsFunc(r.Cmds, func(c rpc.Cmd) bool { return !proto.ReadOnly(c.Reqs) }) {
		s.rpc.Go(func() {
			waves, keys := serialWaves(r)
			unlock := s.gates.lock(slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return k == "" }))
			locks := s.readLocks(deadline, fencedOf(r)...)
			for _, w := range waves {
				var live []*proposal
				for i := range w {
					// A write that adds data on a node over its memory
					// limit is refused alone; the rest of its fold runs.
					w[i] = s.refuseOverMemory(r, w[i], props)
					f := w[i]
					if len(f) == 0 {
						continue
					}
					more := make([]*rpc.Cmd, 0, len(f)-1)
					for _, j := range f[1:] {
						more = append(more, &r.Cmds[j])
					}
					if props[f[0]] = s.newProposal(&r.Cmds[f[0]], deadline, locks, more...); !props[f[0]].done {
						live = append(live, props[f[0]])
					}
				}
				s.drive(live)
				for _, f := range w {
					if len(f) == 0 {
						continue
					}
					for k, j := range f[1:] {
						m := &props[f[0]].more[k]
						props[j] = &proposal{done: true, st: m.st, reply: m.reply}
					}
				}
			}
			unlock()
			answer()
		})
		return
	}
	var live []*proposal
	for i := range r.Cmds {
		if props[i] = s.newProposal(&r.Cmds[i], deadline, nil); !props[i].done {
			live = append(live, props[i])
		}
	}
	if len(live) == 0 {
		answer()
		return
	}
	// A peek's round ends in its proposal done or preparing (advance
	// never retries it).
	startRound(s.asker(), live, func() {
		next := live[:0]
		for _, p := range live {
			if p.advance(s) == stepNext {
				next = append(next, p)
			}
		}
		if len(next) == 0 {
			answer()
			return
		}
		s.rpc.Go(func() {
			s.drive(next)
			answer()
		})
	})
}

// refuseOverMemory answers the commands of fold f (indexes into r.Cmds)
// that the node's memory limit refuses (memory.go) in props, and returns
// the rest, in order (the first may lead a fold: any command that may
// follow one may lead it).
func (s *Service) refuseOverMemory(r *rpc.Run, f []int, props []*proposal) []int {
	if !s.node.OverMemory() {
		return f
	}
	return slices.DeleteFunc(slices.Clone(f), func(j int) bool {
		reply, refused := s.node.mem.refusal(r.Cmds[j].Reqs)
		if refused {
			props[j] = &proposal{done: true, st: rpc.StatusOK, reply: []byte(reply)}
		}
		return refused
	})
}

// Serial path errors, as the client reads them (PROTOCOL.md §12.1).
const (
	msgSerialOneKey           = "SERIAL runs one command on one key: run a transaction or a command of several keys at QUORUM"
	msgSerialBadReplies       = "internal error: a serial command's replies do not unpack"
	msgSerialNotInTransaction = "a cluster runs locks, FENCED writes and ONCE or RETRY requests alone, on its serial path, " +
		"never in a transaction: send them outside it"
	msgSerialDigest           = "SERIAL writes are not digest reads"
	msgSerialNotHere          = "this node cannot answer the serial read with its peer (not a majority of the key's acceptors, or a copy not complete): read again without a digest"
	msgSerialNoQuorum         = "the serial path reached no majority of the key's replicas in time (the command did not run)"
	msgSerialMoving           = "partition %d is moving and a new replica did not have its whole copy in time (the command did not run): try again once the move is done"
	msgSerialMovedAway        = "partition %d has moved away from this node (the command did not run)"
	msgSerialUnknown          = "the serial path lost its majority after proposing; the write is not confirmed (it may have been applied)"
	msgSerialApplied          = "the write was sent again and had been applied, but its reply was too long to keep; it is not confirmed here (it was applied once)"
	msgSerialResent           = "the write was sent again and is not among the key's recent commands; it is not confirmed (it may have been applied)"
	msgSerialLockUnread       = "the serial path could not read the current token of lock %q in time (the write did not run)"
	msgSerialResentLockUnread = "the write was sent again and the serial path could not read the current token of lock %q in time to learn its fate; it is not confirmed (it may have been applied)"
	msgSerialResentLost       = "the write was sent again and the serial path reached no majority of the key's replicas in time to learn its fate; it is not confirmed (it may have been applied)"
)
