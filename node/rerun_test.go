package node

import (
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// proposalOn returns the proposal of c, with c.ID for its id, on key
// over three acceptors that answer nothing by themselves (a test takes
// their votes).
func proposalOn(key string, c *rpc.Cmd) *proposal {
	return &proposal{c: c, req: c.Reqs[0], key: []byte(key), sets: [][]string{{"a", "b", "c"}},
		accs:     []acceptor{fakeAcceptor{name: "a"}, fakeAcceptor{name: "b"}, fakeAcceptor{name: "c"}},
		deadline: time.Now().Add(time.Minute), id: c.ID}
}

// TestRerunRemembersEarlierAccepts: a command that runs again after its
// Accept at m1 was refused by the round's majority keeps m1 among its
// Accepts. When a later round finds the key at a state past m1 whose
// applied record no longer reaches back to m1 (newer commands pushed
// it out), the command may be in that state through m1 (an acceptor
// outside the first majority held it, and another proposer chose it), so
// it answers "not confirmed" instead of running a third time: a push
// would otherwise be applied twice.
func TestRerunRemembersEarlierAccepts(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
	s := &Service{node: n}
	at := func(ms uint64, actor uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: actor} }
	list := func(b hlc.Stamp, elems ...string) []byte {
		d := storage.Delta{Key: "q", Reset: b}
		if len(elems) > 0 {
			d.Val = storage.ValDelta{Kind: proto.TypeList, TS: b}
			for i, e := range elems {
				d.Val.Elems = append(d.Val.Elems, storage.Elem{ID: storage.ElemID{Pos: int64(i), S: b}, VS: b, Value: e})
			}
		}
		return storage.AppendDelta(nil, &d)
	}
	record := func(since hlc.Stamp, n int) []byte {
		rec := serial.Applied{Since: ballotOf(since)}
		for i := range n {
			var id serial.ID
			id[0], id[1] = 0xee, byte(i)
			rec.Entries = append(rec.Entries, serial.Entry{ID: id, At: ballotOf(since)})
		}
		return serial.AppendApplied(nil, &rec)
	}
	promise := func(p *proposal, latest hlc.Stamp, state, rec []byte) {
		for _, name := range []string{"a", "b"} {
			p.take(name, rpc.Vote{Yes: true, Time: latest.Time, Actor: latest.Actor, State: state, Applied: rec}, nil)
		}
	}
	req := parse(t, "LIST_PUSH_RIGHT (1)q (1)[(1)e]")
	c := &rpc.Cmd{ID: serial.ID{1}, Reqs: req}
	p := proposalOn("q", c)
	m1 := at(1000, 5)
	p.mine = []mineAccept{{at: m1}} // its first Accept, refused by a majority
	// Round 1: the majority's latest state is below m1, without the push:
	// the command runs again (an Accept at a new ballot).
	p.begin(rpc.KindPrepare, n.clock.Now())
	promise(p, at(900, 9), list(at(900, 9)), record(at(900, 9), 1))
	if st := p.advance(s); st != stepNext || p.m.Kind != rpc.KindAccept {
		t.Fatalf("round 1: step %v, phase %v; want the command run again, to Accept", st, p.m.Kind)
	}
	// Round 2: another proposer chose m1's state (with the push) and eight
	// commands since, pushing this one out of the record.
	later := n.clock.Now()
	latest := hlc.Stamp{Time: later.Time + 1<<hlc.LogicalBits, Actor: 9}
	p.begin(rpc.KindPrepare, hlc.Stamp{Time: latest.Time + 1<<hlc.LogicalBits, Actor: 5})
	promise(p, latest, list(latest, "e"), record(at(1100, 9), 8)) // reaches back past round 1's Accept, not to m1
	p.advance(s)
	if !p.done || p.st != rpc.StatusNotConfirmed {
		t.Fatalf("round 2: done %v, status %v, phase %v; want not confirmed (the command may be in that state through m1)", p.done, p.st, p.m.Kind)
	}
}

// TestRestateAnswersTheChosenAccept: a command whose Accepts carried
// different replies (it ran again on a newer state after its first
// Accept was refused by the round's majority: a pop that took another
// element) answers, when a later round finds one of them chosen, the
// reply of that one — the one the key's applied record names — not the
// reply of its last Accept. Answering the last one handed an element to
// a client that another pop also delivered (the queue checker's
// "delivered twice"), while the element really taken went to nobody.
func TestRestateAnswersTheChosenAccept(t *testing.T) {
	at := func(ms uint64, actor uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: actor} }
	id := serial.ID{1}
	m1, m2, latest := at(1000, 5), at(1100, 5), at(1200, 9)
	for _, omitted := range []bool{false, true} {
		n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
		s := &Service{node: n, standing: newStandingPromises(16)}
		req := parse(t, "LIST_POP_LEFT (1)q 1")
		c := &rpc.Cmd{ID: id, Reqs: req}
		p := proposalOn("q", c)
		// Its first Accept popped "x"; refused by a majority, it ran again
		// on a newer state and popped "y".
		first, again := []byte("OK:LIST (1)[(1)x]"), []byte("OK:LIST (1)[(1)y]")
		p.mine = []mineAccept{{at: m1, replies: [][]byte{first}}, {at: m2, replies: [][]byte{again}}}
		// Another proposer chose m1's state, then one command more; the
		// record names m1.
		entry := serial.Entry{ID: id, At: ballotOf(m1), Reply: first, Omitted: omitted}
		if omitted {
			entry.Reply = nil
		}
		rec := serial.Applied{Since: ballotOf(at(900, 9)), Entries: []serial.Entry{entry, {ID: serial.ID{2}, At: ballotOf(latest)}}}
		state := storage.AppendDelta(nil, &storage.Delta{Key: "q", Reset: latest})
		p.begin(rpc.KindPrepare, n.clock.Now())
		for _, name := range []string{"a", "b"} {
			p.take(name, rpc.Vote{Yes: true, Time: latest.Time, Actor: latest.Actor, State: state, Applied: serial.AppendApplied(nil, &rec)}, nil)
		}
		if st := p.advance(s); st != stepNext || p.m.Kind != rpc.KindAccept {
			t.Fatalf("omitted %v: step %v, phase %v; want the latest re-proposed", omitted, st, p.m.Kind)
		}
		for _, name := range []string{"a", "b"} {
			p.take(name, rpc.Vote{Yes: true}, nil)
		}
		if st := p.advance(s); st != stepDone || p.st != rpc.StatusOK || string(p.reply) != string(first) {
			t.Fatalf("omitted %v: step %v, status %v, reply %q; want %q, the reply of the chosen Accept", omitted, st, p.st, p.reply, first)
		}
	}
}
