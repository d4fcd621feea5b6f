package node

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// The proposer's side of the serial path (docs/serial.md): a node that a
// router sends a serial command to runs Paxos for it over the acceptors
// of the key's partition (itself among them) and answers once a majority
// accepted the state the command left, or once a majority agreed on the
// state a read found.

// proposal is one serial command's progress as its proposer runs it, in
// rounds: each sends the round's phase m to the acceptors of the key's
// partition and counts their votes, until a majority accepted the state
// the command left, a majority agreed on the state a read found, or the
// deadline. A read starts with a peek, anything else with a Prepare.
type proposal struct {
	c    *rpc.Cmd
	req  *proto.Request
	key  []byte
	part int // the key's partition
	accs []acceptor
	// sets are the replica sets a phase needs a majority of each: the
	// key's partition's by the ring, and while the partition moves its
	// holders' too (docs/serial.md, P5). accs holds every member of each.
	sets     [][]string
	deadline time.Time
	attempt  int

	m rpc.Phase // this round's
	// This round's count: ph for a Prepare or an Accept, with, for a
	// Prepare, which acceptors' promises reported each accepted ballot;
	// peeks for a Peek, and its state once a majority reports one
	// proposal (peeked).
	ph       *serial.Phase
	accepted map[serial.Ballot][]string
	records  map[serial.Ballot][]byte // the applied record each promise reported
	peeks    map[hlc.Stamp][]string
	peeked   bool
	state    []byte
	heard    []string // the acceptors that voted or failed to
	refusals int      // acceptors that refused: they did not take the phase
	// unserved counts the refusals of acceptors that do not serve the
	// partition completely (a copy still arriving, or dropped after a
	// move: P4), whose vote names no ballot. While the partition moves
	// they may make a majority of a set impossible until the move ends.
	unserved int
	decided  bool // the round's outcome is known
	settled  bool // the round has every vote it wants

	// each: the command's reply is its own (finishEach), of every
	// request (packReplies, for several), not one answering all of them
	// (finish).
	each bool

	seen hlc.Stamp // the highest ballot a refusal named
	// id names the command in the applied records of the states it
	// leaves; mine are its Accepts that some acceptor may have taken.
	id   serial.ID
	mine []mineAccept
	// reran: the command was sent again (rpc.Cmd.Resent), and runs here,
	// the key's record showing that no earlier sending ran it (neverRan).
	reran bool
	// more are the commands folded into this proposal after c (later
	// writes on the key in the same run: serialWaves): each runs on the
	// state the ones before it left, all in one Accept, and they share
	// its fate.
	more []member

	// locks are the chosen states of the locks the FENCED writes among
	// the commands name (readLocks): each runs beside them.
	locks lockStates
	// chosen is, for a read done, the key's chosen state it ran on.
	chosen []byte

	done   bool
	st     rpc.Status
	reply  []byte // the command's on success, a message otherwise
	digest []byte // a digest read's (readHere)
}

// member is a command folded into a proposal after its first: the
// command, its id in applied records, and its outcome.
type member struct {
	c     *rpc.Cmd
	id    serial.ID
	st    rpc.Status
	reply []byte
}

// newProposal starts the proposal of c's one request, with the commands
// more folded in after it (writes of one request on c's key that
// foldable allows), or returns it done when c cannot run on the serial
// path. locks holds the chosen states of the locks FENCED writes name
// (readLocks; nil: none): one of these commands whose lock could not be
// read is done, unrun.
func (s *Service) newProposal(c *rpc.Cmd, deadline time.Time, locks lockStates, more ...*rpc.Cmd) *proposal {
	p := &proposal{c: c, deadline: deadline, locks: locks}
	for _, m := range more {
		p.more = append(p.more, member{c: m, id: s.commandID(m)})
	}
	s.serial.Folded.Add(int64(len(more)))
	if lock, ok := p.unreadLock(); !ok {
		if c.Resent { // sent before elsewhere: that sending may have run it
			return p.finish(rpc.StatusNotConfirmed, fmt.Appendf(nil, msgSerialResentLockUnread, lock))
		}
		return p.finish(rpc.StatusUnavailable, fmt.Appendf(nil, msgSerialLockUnread, lock))
	}
	if c.Digest != rpc.DigestNone && !proto.ReadOnly(c.Reqs) {
		return p.finish(rpc.StatusError, []byte(msgSerialDigest))
	}
	key, ok := oneKey(c)
	if !ok {
		msg := msgSerialOneKey
		if len(c.Reqs) > 1 && c.Read != proto.ConsSerial && c.Write != proto.ConsSerial {
			msg = msgSerialNotInTransaction // a lock, fenced or once request made it serial
		}
		return p.finish(rpc.StatusOK, proto.AppendErrorMsg(nil, msg))
	}
	p.req, p.key = c.Reqs[0], key
	p.part = s.node.partitionOf(p.key)
	if s.movedAway(p.part) {
		// As an ordinary command, refused where the partition is no
		// longer served: from the first command so refused on, every
		// later one is too, and the router sends them on in order.
		return p.finish(rpc.StatusWrongRing, fmt.Appendf(nil, msgSerialMovedAway, p.part))
	}
	p.accs, p.sets = s.acceptors(p.part)
	if len(p.accs) == 0 {
		return p.finish(rpc.StatusUnavailable, fmt.Appendf(nil, "partition %d has no replicas in this node's ring", p.part))
	}
	if c.Digest != rpc.DigestNone {
		return s.readHere(p) // the router's read in one round trip
	}
	if proto.ReadOnly(c.Reqs) {
		s.serial.Peeks.Add(1)
		p.begin(rpc.KindPeek, hlc.Stamp{}) // one round trip and no write when the replicas agree
		return p
	}
	p.id = s.commandID(c)
	now := s.node.clock.Now()
	st, ok := s.standing.take(c.DB, p.key, p.sets, now)
	var listed []*serial.Entry
	var rec serial.Applied
	if ok {
		// A command the chosen state lists ran already (a client's ONCE
		// sent twice, a RETRY, a router's resending): it is answered from
		// the record, and does not run again. One sent again and not
		// listed runs here only if the record shows no earlier sending
		// ran it; otherwise a Prepare finds the latest record.
		rec = appliedRecord(st.applied, ballotOf(st.at), now)
		listed = p.listedIn(rec)
		if !slices.Contains(listed, nil) {
			replies := make([][]byte, len(listed))
			for i, e := range listed {
				replies[i] = entryReply(e)
			}
			p.finishEach(replies)
			return p
		}
		p.reran = c.Resent && p.neverRan(rec)
		ok = !c.Resent || p.reran
	}
	if ok {
		// Where this node's own copy shows the promise outranked or the
		// key written since (another proposer, a write at QUORUM), the
		// Accept would be refused: prepare at once instead.
		promised, accepted, held := s.node.register(c.DB, p.key)
		ok = held && promised == st.b && accepted == st.at
	}
	if !ok {
		p.prepare(s)
		return p
	}
	// A standing promise: the command runs on the state it reported,
	// chosen, and goes straight to Accept at the promised ballot.
	s.serial.Standing.Add(1)
	np, outs, rec, _, err := p.propose(st.state, st.b, now, rec, listed)
	if err != nil {
		return p.finish(rpc.StatusError, []byte(err.Error()))
	}
	p.accept(s, &np, outs, rec)
	return p
}

// commandID returns c's id in applied records: the router's or client's,
// or one of this node's (its actor and a counter).
func (s *Service) commandID(c *rpc.Cmd) serial.ID {
	id := c.ID
	if id == (serial.ID{}) {
		binary.BigEndian.PutUint64(id[:8], s.node.Actor())
		binary.BigEndian.PutUint64(id[8:], s.proposals.Add(1))
	}
	return id
}

// propose runs p's command, then those folded in after it, in order on
// state as the proposal of ballot b, but for those listed (their entries
// in the record of state, listedIn: they ran from an earlier sending),
// and returns the proposal, each command's reply (p's first; a listed
// one's from its entry, nil if it was too long to keep), rec with the
// entries of the commands to record (extended in place: the caller's rec
// is a fresh decoding it does not read again), and whether one of those has its
// client's id (its record must be accepted for a RETRY to find it).
func (p *proposal) propose(state []byte, b, now hlc.Stamp, rec serial.Applied, listed []*serial.Entry) (storage.Proposal, [][]byte, serial.Applied, bool, error) {
	np, err := storage.Restate(p.c.DB, p.key, state, b, now)
	if err != nil {
		return np, nil, rec, false, err
	}
	for _, c := range p.fenced() {
		if err := np.See(c.Reqs[0].Fence.Lock, p.locks[lockOf(c)]); err != nil {
			np.Release()
			return np, nil, rec, false, err
		}
	}
	outs := make([][]byte, 0, 1+len(p.more))
	var once bool
	for i, e := range listed {
		if e != nil {
			outs = append(outs, entryReply(e))
			continue
		}
		c, id := p.command(i)
		out, record := runAll(&np, c)
		outs = append(outs, out)
		if record {
			addApplied(&rec, id, b, now, out)
			once = once || c.Reqs[0].Once != proto.OnceNone
		}
	}
	return np, outs, rec, once, nil
}

// listedIn returns the entry rec lists for p's command and for each of
// those folded in after it (nil: not listed).
func (p *proposal) listedIn(rec serial.Applied) []*serial.Entry {
	out := make([]*serial.Entry, 1+len(p.more))
	for i := range out {
		_, id := p.command(i)
		if e, ok := rec.Find(id); ok {
			out[i] = &e
		}
	}
	return out
}

// foldable reports whether c may be in a fold with other commands on its
// key (serialWaves), and first whether it may lead one: a write of one
// request that may run (not a client's RETRY, which never runs, nor a
// router's resending, which runs only once its record shows no sending
// did, alone, nor a blocking pop's try, whose id is recorded only when it
// takes an element; a client's ONCE is looked up in the record on its
// own, listedIn). A command folded after another also derives
// nothing from its stamp, which is above the ballot: a lock's token is
// the ballot its taking ran at, so a taking leads a fold or runs alone.
func foldable(c *rpc.Cmd, first bool) bool {
	if len(c.Reqs) != 1 || c.Resent || c.Digest != rpc.DigestNone || proto.ReadOnly(c.Reqs) {
		return false
	}
	req := c.Reqs[0]
	return (req.Once == proto.OnceNone || req.Once == proto.OnceFirst) && (first || req.Cmd != proto.CmdLockAcquire)
}

// oneKey returns the key of c when c's requests all name one key and
// nothing else, the commands the serial path runs: one request, or
// several (a Redis command's plan, as EXPIRE's EXISTS then SET_EXPIRY, or
// a transaction of one key), which run in order on one state as one
// proposal, each with its reply (packReplies). Of several, none may be a
// transaction's check (KEY_VERSION_IS: WATCH) or a request that is
// serial of its own (a lock's, FENCED, ONCE, RETRY), which run alone.
func oneKey(c *rpc.Cmd) ([]byte, bool) {
	var buf [3][]byte // every command names at most 3 keys but those of many
	var key []byte
	found := false
	for _, req := range c.Reqs {
		if len(c.Reqs) > 1 && (req.Cmd == proto.CmdKeyVersionIs || req.Cmd.Lock() || req.Fenced || req.Once != proto.OnceNone) {
			return nil, false
		}
		keys := req.Keys(buf[:0])
		if len(keys) == 0 {
			return nil, false
		}
		if !found {
			key, found = keys[0], true
		}
		if slices.ContainsFunc(keys, func(k []byte) bool { return string(k) != string(key) }) {
			return nil, false
		}
	}
	return key, found
}

// packReplies packs the replies of a command of several requests into
// the one reply a proposal, its Accepts and the key's applied record
// keep for a command: each reply's length (uvarint), then the reply. A
// command of one request keeps its reply as it is.
func packReplies(dst []byte, replies [][]byte) []byte {
	for _, r := range replies {
		dst = append(binary.AppendUvarint(dst, uint64(len(r))), r...)
	}
	return dst
}

// unpackReplies returns the n replies packReplies packed into b, or false
// when b does not hold n.
func unpackReplies(b []byte, n int) ([][]byte, bool) {
	out := make([][]byte, 0, n)
	for len(b) > 0 {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return nil, false
		}
		out, b = append(out, b[k:k+int(l)]), b[k+int(l):]
	}
	return out, len(out) == n
}

// runAll runs every request of c on np in order, and returns the
// command's reply (one request's as it is, several packed) and whether
// one of them is to be recorded in the key's applied record.
func runAll(np *storage.Proposal, c *rpc.Cmd) ([]byte, bool) {
	if len(c.Reqs) == 1 {
		out, wrote := np.Run(c.Reqs[0], rand.IntN, nil)
		return out, recorded(c.Reqs[0], wrote)
	}
	outs := make([][]byte, len(c.Reqs))
	rec := false
	for i, req := range c.Reqs {
		out, wrote := np.Run(req, rand.IntN, nil)
		outs[i], rec = out, rec || recorded(req, wrote)
	}
	return packReplies(nil, outs), rec
}

// mineAccept is one of a command's Accepts: its ballot, and the replies
// of the command and of those folded in after it, run on the state that
// Accept proposes (a command run again on a newer state may answer
// otherwise). A nil reply: the command took effect, its reply was not
// kept (too long for the applied record, and run elsewhere).
type mineAccept struct {
	at      hlc.Stamp
	replies [][]byte
}

// proposedAt reports whether at is the ballot of one of p's Accepts.
func (p *proposal) proposedAt(at hlc.Stamp) bool {
	_, ok := p.repliesAt(at)
	return ok
}

// repliesAt returns the replies of p's Accept at ballot at, if it made
// one.
func (p *proposal) repliesAt(at hlc.Stamp) ([][]byte, bool) {
	for _, m := range p.mine {
		if m.at == at {
			return m.replies, true
		}
	}
	return nil, false
}

// command returns p's i-th command and its id: p's own first, then
// those folded in after it.
func (p *proposal) command(i int) (*rpc.Cmd, serial.ID) {
	if i == 0 {
		return p.c, p.id
	}
	return p.more[i-1].c, p.more[i-1].id
}

// maxAppliedReply bounds the reply an applied record keeps with a
// command's id; a longer one is omitted, and the command sent again
// answers "not confirmed" (it took effect once).
const maxAppliedReply = 128

// finish ends p with status st and reply, for its command and those
// folded in after it.
func (p *proposal) finish(st rpc.Status, reply []byte) *proposal {
	p.done, p.st, p.reply = true, st, reply
	for i := range p.more {
		p.more[i].st, p.more[i].reply = st, reply
	}
	return p
}

// finishEach ends p with each command's reply (p's first), all applied: a
// nil one answers that the command took effect but its reply was not
// kept.
func (p *proposal) finishEach(replies [][]byte) {
	one := func(reply []byte) (rpc.Status, []byte) {
		if reply == nil {
			return rpc.StatusNotConfirmed, []byte(msgSerialApplied)
		}
		return rpc.StatusOK, reply
	}
	p.done, p.each = true, true
	p.st, p.reply = one(replies[0])
	for i := range p.more {
		p.more[i].st, p.more[i].reply = one(replies[i+1])
	}
}

// begin starts a round of phase kind at ballot b.
func (p *proposal) begin(kind rpc.Kind, b hlc.Stamp) {
	p.m = rpc.Phase{Kind: kind, DB: p.c.DB, Time: b.Time, Actor: b.Actor, Deadline: p.deadline.UnixMilli(), Key: p.key}
	p.settled, p.decided, p.peeked, p.state = false, false, false, nil
	p.heard, p.refusals, p.unserved = p.heard[:0], 0, 0
	switch kind {
	case rpc.KindPeek:
		p.peeks = map[hlc.Stamp][]string{}
	case rpc.KindPrepare:
		p.ph, p.accepted, p.records = serial.NewPhase(p.sets...), map[serial.Ballot][]string{}, map[serial.Ballot][]byte{}
	default:
		p.ph = serial.NewPhase(p.sets...)
	}
}

// prepare starts a Prepare at a ballot above every one seen, drawn from
// the clock: no other proposal of this node has it. Its acceptors are
// read again: while the key's partition moves, the sets a phase needs a
// majority of change as copies arrive and old holders drop theirs (P5),
// and a round over the sets of the proposal's start could wait for a
// holder that has left until the deadline. (The Accept that follows a
// Prepare asks the sets the Prepare had; only a Prepare starts over.)
func (p *proposal) prepare(s *Service) {
	s.serial.Prepares.Add(1)
	s.node.clock.Observe(p.seen)
	if accs, sets := s.acceptors(p.part); len(accs) > 0 {
		p.accs, p.sets = accs, sets
	}
	p.begin(rpc.KindPrepare, s.node.clock.Now())
}

// take counts acceptor name's vote (or the error that stands for its
// refusal) in this round, and reports whether the round is settled: its
// outcome is known and it wants no more votes. A lost Accept wants every
// acceptor's: if each refused it, the proposal was accepted nowhere and
// the command may run again (advance).
func (p *proposal) take(name string, v rpc.Vote, err error) bool {
	p.heard = append(p.heard, name)
	if err == nil && !v.Yes {
		p.refusals++
		if v.Time == 0 && v.Actor == 0 { // no ballot: not a complete copy (Node.Votes)
			p.unserved++
		}
	}
	bal := serial.Ballot{Stamp: v.Time, Actor: v.Actor}
	switch {
	case p.m.Kind == rpc.KindPeek:
		if err == nil && v.Yes {
			at := stampOf(bal)
			if p.peeks[at] = append(p.peeks[at], name); p.majority(p.peeks[at]) {
				p.peeked, p.state = true, v.State
			}
		}
		p.decided, p.settled = p.peeked, p.peeked
		return p.settled
	case err != nil:
		p.ph.Refuse(name, serial.Ballot{})
	case !v.Yes:
		p.ph.Refuse(name, bal)
	case p.m.Kind == rpc.KindPrepare:
		p.ph.Promise(name, bal, v.State)
		p.accepted[bal] = append(p.accepted[bal], name)
		if len(v.Applied) > 0 {
			p.records[bal] = v.Applied
		}
	default:
		p.ph.Accepted(name)
	}
	out := p.ph.Outcome()
	p.decided = out != serial.Pending
	p.settled = p.decided && (p.m.Kind != rpc.KindAccept || out == serial.Won || len(p.heard) == len(p.accs))
	return p.settled
}

// waited reports whether p's round has waited enough for this phase: its
// outcome is known, or a majority of each of its sets has answered (and
// disagrees, or refused in part). The votes still missing then may never
// come (an acceptor cut off from this node, or paused): the round waits
// for them only a grace (round.answer), and an undecided proposal moves
// on, a peek to Prepare and a Prepare or Accept to a retry.
func (p *proposal) waited() bool {
	return p.decided || p.majority(p.heard)
}

// majority reports whether the acceptors named make a majority of each of
// p's sets.
func (p *proposal) majority(names []string) bool {
	return serial.Quorum(p.sets, func(r string) bool { return slices.Contains(names, r) })
}

// step is what a proposal does after a round.
type step uint8

const (
	stepDone  step = iota // it has its outcome
	stepNext              // it goes on to its next phase
	stepRetry             // it was refused: it backs off and prepares again
)

// advance decides what follows the round just counted.
func (p *proposal) advance(s *Service) step {
	switch p.m.Kind {
	case rpc.KindPeek:
		if !p.peeked {
			p.prepare(s)
			return stepNext
		}
		now := s.node.clock.Now()
		np, err := storage.Restate(p.c.DB, p.key, p.state, now, now)
		if err != nil {
			np.Release()
			p.finish(rpc.StatusError, []byte(err.Error()))
			return stepDone
		}
		reply, _ := runAll(&np, p.c)
		np.Release()
		p.chosen = p.state
		p.finish(rpc.StatusOK, reply)
		p.each = true // the command's own reply (packed, for several requests)
		return stepDone
	case rpc.KindAccept:
		if p.ph.Outcome() == serial.Won {
			// The majority that accepted also promised the next ballot.
			next := hlc.Stamp{Time: p.m.Next, Actor: p.m.Actor}
			at := hlc.Stamp{Time: p.m.Time, Actor: p.m.Actor}
			s.standing.put(p.c.DB, p.key, standing{b: next, at: at, state: p.m.State, applied: p.m.Applied, sets: p.sets})
			p.finishEach(p.mine[len(p.mine)-1].replies)
			return stepDone
		}
		if p.refusals == len(p.accs) {
			// Every acceptor refused it: this Accept was taken nowhere and
			// can never be chosen (an earlier one of the command may).
			p.mine = p.mine[:len(p.mine)-1]
		}
		p.seen = p.seen.Max(stampOf(p.ph.Highest()))
		return stepRetry
	}
	if p.ph.Outcome() != serial.Won {
		p.seen = p.seen.Max(stampOf(p.ph.Highest()))
		return stepRetry
	}
	b := hlc.Stamp{Time: p.m.Time, Actor: p.m.Actor}
	latest, state := p.ph.Latest()
	at := stampOf(latest)
	agree := p.majority(p.accepted[latest]) // that proposal is chosen
	rec := s.latestRecord(p.records[latest], latest)
	listed := p.listedIn(rec)
	// The latest holds one of this proposal's Accepts if it is one, or if
	// its record lists one of the commands at one of their ballots. (A
	// command listed at another ballot ran from an earlier sending: a
	// client's ONCE sent again.)
	named := at
	for _, e := range listed {
		if e != nil && p.proposedAt(stampOf(e.At)) {
			named = stampOf(e.At)
			break
		}
	}
	held := p.proposedAt(named)
	switch {
	case proto.ReadOnly(p.c.Reqs):
		// A read changes nothing: it runs on the latest state, and
		// finishes that proposal first unless a majority holds it.
		p.mine, p.chosen = nil, state
	case held:
		// The latest proposal holds the effect of this command (and of
		// those folded in with it: one Accept holds all or none): finish
		// it (Paxos re-proposes it anyway) and answer what each command
		// answered. The record names the Accept the latest holds, which
		// need not be the last: one run on an older state answered
		// otherwise (a pop that took another element).
		mine, _ := p.repliesAt(named)
		replies := make([][]byte, len(listed))
		for i, e := range listed {
			switch {
			case e != nil && !e.Omitted:
				replies[i] = e.Reply
			case i < len(mine):
				replies[i] = mine[i]
			}
		}
		np, err := storage.Restate(p.c.DB, p.key, state, b, s.node.clock.Now())
		if err != nil {
			p.finish(rpc.StatusError, []byte(err.Error()))
			return stepDone
		}
		return p.accept(s, &np, replies, rec)
	case !slices.Contains(listed, nil):
		// Every command ran from an earlier sending: each answers its
		// reply there, once the latest is chosen (below).
	case p.c.Resent && !p.neverRan(rec):
		// Sent again by a router that lost track of it, and not among the
		// key's recent commands, which do not reach back to its first
		// sending: it may have been applied before them, so it does not
		// run.
		p.finish(rpc.StatusNotConfirmed, []byte(msgSerialResent))
		return stepDone
	case slices.ContainsFunc(p.mine, func(m mineAccept) bool { return m.at.Less(at) && !rec.Covers(ballotOf(m.at)) }):
		// An Accept of this command below the latest proposal, older than
		// its record reaches: the latest may hold the command's effect
		// unlisted, and running it again could apply it twice.
		p.finish(rpc.StatusNotConfirmed, []byte(msgSerialUnknown))
		return stepDone
	}
	// No state to come can hold this command's effect: every Accept of it
	// is above the latest proposal (which a majority promised to outrank)
	// or absent from the latest's record. Run it on the latest state. Its
	// earlier Accepts stay in mine: one above the latest may still sit
	// on an acceptor outside this round's majority and be chosen through
	// another proposer; once newer commands push this one out of the
	// record, a later round must still see that Accept and answer "not
	// confirmed" rather than run the command a third time
	// (TestRerunRemembersEarlierAccepts). A command the record lists
	// from an earlier sending does not run; it answers that sending's
	// reply once the latest is chosen.
	p.reran = p.reran || p.c.Resent && listed[0] == nil
	np, outs, next, once, err := p.propose(state, b, s.node.clock.Now(), rec, listed)
	if err != nil {
		p.finish(rpc.StatusError, []byte(err.Error()))
		return stepDone
	}
	if !np.Wrote && agree && !once && !p.reran {
		// A majority holds the chosen state already. (A write with its
		// client's id is accepted anyway, so that the record lists it and
		// a RETRY gets this reply, unless it is not to be recorded; so is
		// a write sent again that runs here, so that its first sending,
		// if it is still under way, finds it listed rather than running
		// it after this reply.)
		p.finishEach(outs)
		return stepDone
	}
	return p.accept(s, &np, outs, next)
}

// neverRan reports whether rec, the latest record of the key, which does
// not list p's command, shows that no earlier sending of it ran: the
// command was sent again (Cmd.Resent) by a router that knows when it was
// first sent, and rec lists every command proposed since. The router
// sends a write again only past every earlier sending's deadline and the
// clocks' offset (Backend.runItem), when none can run any more: an
// earlier sending still under way could run after this one once this
// one's entry had left the record (a key written often keeps only its
// last commands). While the router sent writes again at once, the
// 24-round network-fault check found histories no order explains
// (docs/decisions.md, "A write sent again leaves past its first
// sending's deadline").
//
// A blocking pop's try never runs sent again: one that takes nothing
// leaves no entry (recorded), so a first sending still under way could
// take an element after this one answered that it took none.
func (p *proposal) neverRan(rec serial.Applied) bool {
	return p.c.RanFrom > 0 && p.req.Once != proto.OnceTry && rec.CoversFrom(uint64(p.c.RanFrom)<<hlc.LogicalBits)
}

// accept starts the Accept of prop, whose reply is reply and whose
// applied record is rec, at its ballot, asking the acceptors for a
// standing promise of a ballot taken from the clock now, so that no other
// proposal of this node can have it. prop is released: its state is
// encoded.
func (p *proposal) accept(s *Service, prop *storage.Proposal, replies [][]byte, rec serial.Applied) step {
	s.serial.Accepts.Add(1)
	p.begin(rpc.KindAccept, prop.B)
	p.m.State = prop.AppendState(nil)
	prop.Release()
	p.m.Applied = serial.AppendApplied(nil, &rec)
	p.m.Next = s.node.clock.Now().Time // above prop.B: the clock passed it
	p.mine = append(p.mine, mineAccept{at: prop.B, replies: replies})
	return stepNext
}

// retry backs off and prepares again, if there is time before the
// deadline and the key's partition has not moved away from this node;
// otherwise it ends the proposal and reports false.
func (p *proposal) retry(s *Service) bool {
	p.attempt++
	moved := p.unserved > 0 && s.movedAway(p.part)
	again := !moved && backoff(p.attempt, p.deadline)
	var unread []byte
	if again {
		// A FENCED write's locks are read again: a newer holder may have
		// taken one since the last reading.
		var ok bool
		if unread, ok = s.rereadLocks(p); ok {
			p.prepare(s)
			return true
		}
	}
	switch {
	case p.c.Resent:
		// Sent before, elsewhere: that sending may have run it.
		p.finish(rpc.StatusNotConfirmed, []byte(msgSerialResentLost))
	case len(p.mine) > 0 && !proto.ReadOnly(p.c.Reqs):
		p.finish(rpc.StatusNotConfirmed, []byte(msgSerialUnknown))
	case again:
		p.finish(rpc.StatusUnavailable, fmt.Appendf(nil, msgSerialLockUnread, unread))
	case moved:
		// The partition has left this node (its new owner took its one
		// copy over, or this node left the cluster): the command did not
		// run, and, as this node refuses every later command on the
		// partition alike, the router sends it to the node that serves
		// it now, in order with them, as it does any command a node no
		// longer serves.
		p.finish(rpc.StatusWrongRing, fmt.Appendf(nil, msgSerialMovedAway, p.part))
	case p.unserved > 0:
		// A new copy of the partition was not complete by the deadline.
		// Not sent again: this node still serves the partition, and a
		// later command on the key could run here before it.
		p.finish(rpc.StatusUnavailable, fmt.Appendf(nil, msgSerialMoving, p.part))
	default:
		p.finish(rpc.StatusUnavailable, []byte(msgSerialNoQuorum))
	}
	return false
}

// drive runs the proposals' rounds together until each is done: a round
// sends each acceptor the phases of every proposal it votes on in one
// call (one fsync there for them all). A proposal refused in a round
// backs off and goes on alone, on a goroutine drive waits for.
func (s *Service) drive(props []*proposal) {
	var wg sync.WaitGroup
	for len(props) > 0 {
		rounds(s.asker(), props)
		live := props[:0]
		for _, p := range props {
			switch p.advance(s) {
			case stepNext:
				live = append(live, p)
			case stepRetry:
				s.serial.Refused.Add(1)
				if len(props) == 1 {
					if p.retry(s) {
						live = append(live, p)
					}
					continue
				}
				wg.Go(func() {
					if p.retry(s) {
						s.drive([]*proposal{p})
					}
				})
			}
		}
		props = live
	}
	wg.Wait()
}

func stampOf(b serial.Ballot) hlc.Stamp { return hlc.Stamp{Time: b.Stamp, Actor: b.Actor} }

func ballotOf(s hlc.Stamp) serial.Ballot { return serial.Ballot{Stamp: s.Time, Actor: s.Actor} }
