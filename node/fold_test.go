package node

import (
	"fmt"
	"github.com/vanitydb/vanity/proto"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestFoldProposesOnce: writes of one run on one key folded into one
// proposal run in the run's order on the state the ones before them
// left, go out in one Accept whose applied record lists each of them, and
// each answers its own reply. When that Accept is lost and a later round
// finds it the latest (its first command pushed out of the record, the
// others still listed), the fold is re-proposed whole and each command
// answers what it answered in it.
func TestFoldProposesOnce(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
	s := &Service{node: n, standing: newStandingPromises(16)}
	cmd := func(id byte, text string) *rpc.Cmd {
		return &rpc.Cmd{ID: serial.ID{id}, Reqs: parse(t, text)}
	}
	fold := func() *proposal {
		c := cmd(1, "LIST_PUSH_RIGHT (1)q (2)[(1)a(1)b]")
		p := proposalOn("q", c)
		for i, text := range []string{"LIST_POP_LEFT (1)q 1", "LIST_PUSH_LEFT (1)q (1)[(1)c]"} {
			c := cmd(byte(i+2), text)
			p.more = append(p.more, member{c: c, id: c.ID})
		}
		return p
	}
	replies := func(p *proposal) string {
		out := fmt.Sprintf("%v %s", p.st, p.reply)
		for _, m := range p.more {
			out += fmt.Sprintf(" | %v %s", m.st, m.reply)
		}
		return out
	}
	want := fmt.Sprintf("%v OK:INT 2 | %v OK:LIST (1)[(1)a] | %v OK:INT 2", rpc.StatusOK, rpc.StatusOK, rpc.StatusOK)

	p := fold()
	p.begin(rpc.KindPrepare, n.clock.Now())
	for _, name := range []string{"a", "b"} {
		p.take(name, rpc.Vote{Yes: true}, nil) // nothing accepted yet
	}
	if st := p.advance(s); st != stepNext || p.m.Kind != rpc.KindAccept {
		t.Fatalf("step %v, phase %v; want one Accept for the fold", st, p.m.Kind)
	}
	b := hlc.Stamp{Time: p.m.Time, Actor: p.m.Actor}
	ds, err := storage.DecodeProposal(nil, p.m.State, 0, []byte("q"), b)
	if err != nil {
		t.Fatal(err)
	}
	var elems []string
	for _, e := range ds[0].Val.Elems {
		elems = append(elems, e.Value)
	}
	if fmt.Sprint(elems) != "[c b]" {
		t.Errorf("the fold's state holds %v, want [c b]: push a b, pop a, push c on the left", elems)
	}
	rec, err := serial.DecodeApplied(p.m.Applied)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 1 + len(p.more) {
		_, id := p.command(i)
		if e, ok := rec.Find(id); !ok || e.At != ballotOf(b) {
			t.Errorf("the record lists %x: %v at %v, want at the Accept's ballot %v", id, ok, e.At, ballotOf(b))
		}
	}
	for _, name := range []string{"a", "b"} {
		p.take(name, rpc.Vote{Yes: true}, nil)
	}
	if st := p.advance(s); st != stepDone || replies(p) != want {
		t.Fatalf("step %v, replies %q; want done with %q", st, replies(p), want)
	}

	// The same fold again, its Accept at m1 lost: a later round finds m1
	// the latest, its record listing all but the fold's first command.
	q := fold()
	m1 := b
	q.mine = p.mine
	pushedOut := serial.Applied{Since: ballotOf(m1)}
	for _, e := range rec.Entries {
		if e.ID != q.id {
			pushedOut.Entries = append(pushedOut.Entries, e)
		}
	}
	q.begin(rpc.KindPrepare, hlc.Stamp{Time: m1.Time + 1<<hlc.LogicalBits, Actor: 5})
	for _, name := range []string{"a", "b"} {
		q.take(name, rpc.Vote{Yes: true, Time: m1.Time, Actor: m1.Actor, State: p.m.State, Applied: serial.AppendApplied(nil, &pushedOut)}, nil)
	}
	if st := q.advance(s); st != stepNext || q.m.Kind != rpc.KindAccept {
		t.Fatalf("found: step %v, phase %v; want the latest re-proposed", st, q.m.Kind)
	}
	if ds, err := storage.DecodeProposal(nil, q.m.State, 0, []byte("q"), hlc.Stamp{Time: q.m.Time, Actor: q.m.Actor}); err != nil || len(ds[0].Val.Elems) != 2 {
		t.Fatalf("re-proposed %+v (%v): want m1's state unchanged (the fold not run twice)", ds, err)
	}
	for _, name := range []string{"a", "b"} {
		q.take(name, rpc.Vote{Yes: true}, nil)
	}
	if st := q.advance(s); st != stepDone || replies(q) != want {
		t.Fatalf("found: step %v, replies %q; want %q", st, replies(q), want)
	}
}

// TestFoldAnswersAOnceSentAgain: a client's ONCE folded with other writes,
// which the latest state's record lists from an earlier sending (at a
// ballot of another proposal), does not run again: it answers that
// sending's reply, and the fold's other writes run on the latest state.
// A fold whose every command is listed that way answers them all without
// an Accept.
func TestFoldAnswersAOnceSentAgain(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
	s := &Service{node: n, standing: newStandingPromises(16)}
	at := func(ms uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: 9} }
	push := func(id byte, elem string) *rpc.Cmd {
		reqs := parse(t, fmt.Sprintf("ONCE (2)c%d LIST_PUSH_RIGHT (1)q (1)[(1)%s]", id, elem))
		return &rpc.Cmd{ID: serial.ID{id}, Reqs: reqs}
	}
	// The latest state: [x], pushed by an earlier sending of command 2.
	latest := at(1000)
	state := storage.AppendDelta(nil, &storage.Delta{Key: "q", Reset: latest, Val: storage.ValDelta{Kind: proto.TypeList, TS: latest,
		Elems: []storage.Elem{{ID: storage.ElemID{Pos: 0, S: latest}, VS: latest, Value: "x"}}}})
	earlier := serial.Applied{Since: ballotOf(at(900)), Entries: []serial.Entry{{ID: serial.ID{2}, At: ballotOf(latest), Reply: []byte("OK:INT 1")}}}
	fold := func(ids ...byte) *proposal {
		p := proposalOn("q", push(ids[0], "a"))
		for _, id := range ids[1:] {
			c := push(id, string('a'+rune(id)-1))
			p.more = append(p.more, member{c: c, id: c.ID})
		}
		return p
	}
	elems := func(p *proposal) string {
		ds, err := storage.DecodeProposal(nil, p.m.State, 0, []byte("q"), hlc.Stamp{Time: p.m.Time, Actor: p.m.Actor})
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, e := range ds[0].Val.Elems {
			out = append(out, e.Value)
		}
		return fmt.Sprint(out)
	}

	// After a Prepare: commands 1, 2 (sent again), 3.
	p := fold(1, 2, 3)
	p.begin(rpc.KindPrepare, n.clock.Now())
	for _, name := range []string{"a", "b"} {
		p.take(name, rpc.Vote{Yes: true, Time: latest.Time, Actor: latest.Actor, State: state, Applied: serial.AppendApplied(nil, &earlier)}, nil)
	}
	if st := p.advance(s); st != stepNext || p.m.Kind != rpc.KindAccept {
		t.Fatalf("step %v, phase %v; want an Accept", st, p.m.Kind)
	}
	if got := elems(p); got != "[x a c]" {
		t.Errorf("the fold proposes %s, want [x a c]: command 2 ran before, as x, and must not run again", got)
	}
	for _, name := range []string{"a", "b"} {
		p.take(name, rpc.Vote{Yes: true}, nil)
	}
	p.advance(s)
	if p.st != rpc.StatusOK || string(p.reply) != "OK:INT 2" || string(p.more[0].reply) != "OK:INT 1" || string(p.more[1].reply) != "OK:INT 3" {
		t.Errorf("replies %v %q, %v %q, %v %q; want OK:INT 2, the earlier sending's OK:INT 1, OK:INT 3",
			p.st, p.reply, p.more[0].st, p.more[0].reply, p.more[1].st, p.more[1].reply)
	}

	// Every command listed: answered at once, with no Accept, when a
	// majority holds the latest.
	q := fold(2)
	q.begin(rpc.KindPrepare, n.clock.Now())
	for _, name := range []string{"a", "b"} {
		q.take(name, rpc.Vote{Yes: true, Time: latest.Time, Actor: latest.Actor, State: state, Applied: serial.AppendApplied(nil, &earlier)}, nil)
	}
	if st := q.advance(s); st != stepDone || q.st != rpc.StatusOK || string(q.reply) != "OK:INT 1" {
		t.Errorf("a ONCE sent again alone: step %v, %v %q; want done with the earlier reply", st, q.st, q.reply)
	}
}
