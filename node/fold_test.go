package node

import (
	"fmt"
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
	ds, err := storage.DecodeProposal(p.m.State, 0, []byte("q"), b)
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
	for _, id := range p.ids() {
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
	if ds, err := storage.DecodeProposal(q.m.State, 0, []byte("q"), hlc.Stamp{Time: q.m.Time, Actor: q.m.Actor}); err != nil || len(ds[0].Val.Elems) != 2 {
		t.Fatalf("re-proposed %+v (%v): want m1's state unchanged (the fold not run twice)", ds, err)
	}
	for _, name := range []string{"a", "b"} {
		q.take(name, rpc.Vote{Yes: true}, nil)
	}
	if st := q.advance(s); st != stepDone || replies(q) != want {
		t.Fatalf("found: step %v, replies %q; want %q", st, replies(q), want)
	}
}
