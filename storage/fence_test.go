package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/storage/hlc"
)

// fenced is the refusal of a FENCED write of token behind at.
func fenced(lock string, at, token int64) string {
	body := fmt.Sprintf("fenced: lock %q is at token %d, newer than this write's %d (the write did not run)", lock, at, token)
	return fmt.Sprintf("ERROR(%d)%s", len(body), body)
}

// TestFence: a FENCED write runs only if its token is at least the
// highest one a FENCED write to its key carried for its lock; an accepted
// token raises that fence even when the write then changes nothing; each
// lock, key and database has its own; a DEL keeps it; unfenced writes
// neither check nor move it.
func TestFence(t *testing.T) {
	h := newHarness(t, 4, false, 1)
	h.check(fmt.Sprintf(`
		> FENCED (4)jobs 10 SET:STR (3)out (1)a
		< OK
		> FENCED (4)jobs 9 SET:STR (3)out (1)b
		< %s
		> GET (3)out
		< OK:STR (1)a
		> FENCED (4)jobs 10 SET:STR (3)out (1)c
		< OK
		> FENCED (5)other 1 SET:STR (3)out (1)d
		< OK
		> FENCED (4)jobs 1 SET:STR (4)out2 (1)e
		< OK
		> FENCED (4)jobs 12 SET_IF:STR (3)out (1)x (1)y
		< OK:BOOL false
		> FENCED (4)jobs 11 DEL (3)out
		< %s
		> DEL (3)out
		< OK
		> FENCED (4)jobs 11 LIST_PUSH_LEFT (3)out (1)[(1)f]
		< %s
		> SET:STR (3)out (1)g
		< OK
		> GET (3)out
		< OK:STR (1)g
		> FENCED (4)jobs 12 INCR_INT (3)out 1
		< BAD_TYPE
		> SWITCH_DB 1
		< OK
		> FENCED (4)jobs 5 SET:STR (3)out (1)h
		< OK
		> SWITCH_DB 0
		< OK
		> FENCED (4)jobs 11 SET:STR (3)out (1)i
		< %s
		> GET (3)out
		< OK:STR (1)g
	`, fenced("jobs", 10, 9), fenced("jobs", 12, 11), fenced("jobs", 12, 11), fenced("jobs", 12, 11)))
	// A refused write leaves nothing to log; an accepted one logs its
	// fence beside its write.
	n := len(h.deltas)
	h.do("FENCED (4)jobs 3 SET:STR (3)out (1)j")
	if len(h.deltas) != n {
		t.Errorf("a refused FENCED write produced %d deltas", len(h.deltas)-n)
	}
	h.do("FENCED (4)jobs 13 SET:STR (3)out (1)k")
	if got := h.deltas[n:]; len(got) != 2 || got[0].DB != FenceDB || got[1].DB != 0 {
		t.Errorf("an accepted FENCED write produced %+v, want its fence, then its write", got)
	}
}

// TestProposalCarriesFence: on the serial path a key's fence travels with
// its state: a proposal refuses a token behind the fence in the state it
// runs on, and the state it leaves carries the fence's fields of its
// database at its ballot (also when the command does not touch the
// fence), so the next proposal, which sees only that state, refuses it
// too; an acceptor takes the state and the fence as one proposal.
func TestProposalCarriesFence(t *testing.T) {
	b1 := hlc.Stamp{Time: 1 << 40, Actor: 1}
	p1, reply := propose(t, nil, b1, "FENCED (4)jobs 10 SET:STR (1)k (1)a")
	if reply != "OK" {
		t.Fatalf("first fenced write: %q", reply)
	}
	s1 := p1.AppendState(nil)
	b2 := hlc.Stamp{Time: 2 << 40, Actor: 2}
	p2, reply := propose(t, s1, b2, "SET:STR (1)k (1)b") // not fenced: passes, carries the fence
	if reply != "OK" {
		t.Fatalf("unfenced write: %q", reply)
	}
	s2 := p2.AppendState(nil)
	ds, err := DecodeProposal(nil, s2, 0, []byte("k"), b2)
	if err != nil || len(ds) != 2 || ds[1].DB != FenceDB {
		t.Fatalf("the unfenced write's state: %+v, %v; want the key's state and its fence at the ballot", ds, err)
	}
	b3 := hlc.Stamp{Time: 3 << 40, Actor: 3}
	if _, reply := propose(t, s2, b3, "FENCED (4)jobs 9 SET:STR (1)k (1)c"); reply != fenced("jobs", 10, 9) {
		t.Errorf("an older token on the chosen state: %q", reply)
	}
	if _, reply := propose(t, s2, b3, "FENCED (4)jobs 10 SET:STR (1)k (1)c"); reply != "OK" {
		t.Errorf("the fence's own token: %q", reply)
	}

	// An acceptor holding both fields of another database's fence and
	// this one's reports them; a proposal carries only its own database's.
	acc := newHarness(t, 1, true, 9)
	acc.do("SWITCH_DB 1")
	acc.do("FENCED (4)jobs 50 SET:STR (1)k (1)x")
	acc.do("SWITCH_DB 0")
	acc.do("FENCED (4)jobs 7 SET:STR (1)k (1)y")
	state := acc.shards[0].AppendSerialState(nil, 0, []byte("k"))
	b4 := hlc.Stamp{Time: acc.clock.Now().Time + 1000, Actor: 4}
	p4, reply := propose(t, state, b4, "GET_SET:STR (1)k (1)z")
	if reply != "OK:STR (1)y" {
		t.Fatalf("GET_SET on the acceptor's state: %q", reply)
	}
	ds, err = DecodeProposal(nil, p4.AppendState(nil), 0, []byte("k"), b4)
	if err != nil || len(ds) != 2 || len(ds[1].Val.Members) != 1 || ds[1].Val.Members[0].Value != "7" {
		t.Fatalf("the proposal's fence: %+v, %v; want database 0's field alone, token 7", ds, err)
	}

	// What an acceptor refuses to take as a proposal.
	for name, state := range map[string][]byte{
		"fence first":      append(AppendDelta(nil, &ds[1]), AppendDelta(nil, &ds[0])...),
		"fence alone":      AppendDelta(nil, &ds[1]),
		"another key":      p1.AppendState(nil),
		"two fences":       append(append(AppendDelta(nil, &ds[0]), AppendDelta(nil, &ds[1])...), AppendDelta(nil, &ds[1])...),
		"another database": AppendDelta(nil, &Delta{DB: 2, Key: "k", Reset: b4}),
	} {
		key := "k"
		if name == "another key" {
			key = "q" // p1's is k's
		}
		if _, err := DecodeProposal(nil, state, 0, []byte(key), b4); err == nil {
			t.Errorf("%s: taken", name)
		}
	}
	if _, err := DecodeProposal(nil, p1.AppendState(nil), 0, []byte("k"), b4); err == nil || !strings.Contains(err.Error(), "ballot") {
		t.Errorf("a proposal of another ballot: %v", err)
	}
}
