package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
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

// lockTaken takes lock in h for owner and returns its token.
func lockTaken(t *testing.T, h *harness, lock, owner string) int64 {
	t.Helper()
	out := h.do(fmt.Sprintf("LOCK_ACQUIRE (%d)%s (%d)%s 100000", len(lock), lock, len(owner), owner))
	r, err := proto.ParseReply([]byte(out))
	if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeInt {
		t.Fatalf("LOCK_ACQUIRE %s: %q, %v", lock, out, err)
	}
	return r.Value.Int
}

// TestFenceChecksTheLock: a FENCED write is refused when its lock issued a
// newer token, although no write with that token has reached its key (a
// holder whose lease lapsed, writing after the next holder took the lock
// and before that one wrote); the holder's own token passes; the lock
// keeps the newest token it issued through a lapsed lease, its release
// and a DEL of it; a key in another database and a key that is not a lock
// say nothing.
func TestFenceChecksTheLock(t *testing.T) {
	h := newHarness(t, 4, false, 1)
	old := lockTaken(t, h, "jobs", "a") - 1 // as if an earlier holder's
	held := old + 1
	h.check(fmt.Sprintf(`
		> FENCED (4)jobs %d SET:STR (3)out (1)a
		< %s
		> GET (3)out
		< NULL
		> FENCED (4)jobs %d SET:STR (3)out (1)b
		< OK
		> GET (3)out
		< OK:STR (1)b
	`, old, fenced("jobs", held, old), held))
	released := lockTaken(t, h, "tasks", "a")
	if out := h.do(fmt.Sprintf("LOCK_RELEASE (5)tasks %d", released)); out != "OK:BOOL true" {
		t.Fatalf("LOCK_RELEASE: %q", out)
	}
	deleted := lockTaken(t, h, "chores", "a")
	if out := h.do("DEL (6)chores"); out != "OK" {
		t.Fatalf("DEL of a lock: %q", out)
	}
	h.wall += 200_000 // the lease of jobs lapses; nobody takes it again
	h.check(fmt.Sprintf(`
		> FENCED (4)jobs %d SET:STR (5)other (1)c
		< %s
		> FENCED (5)tasks %d SET:STR (5)third (1)f
		< %s
		> FENCED (5)tasks %d SET:STR (5)third (1)f
		< OK
		> FENCED (6)chores %d SET:STR (5)third (1)g
		< %s
		> SWITCH_DB 1
		< OK
		> FENCED (4)jobs %d SET:STR (3)out (1)d
		< OK
		> SWITCH_DB 0
		< OK
		> SET:STR (5)plain (5)hello
		< OK
		> FENCED (5)plain 1 SET:STR (4)out2 (1)e
		< OK
	`, old, fenced("jobs", held, old), released-1, fenced("tasks", released, released-1), released,
		deleted-1, fenced("chores", deleted, deleted-1), old))
}

// TestProposalSeesItsLock: on the serial path the lock's chosen state,
// put beside the key's (See), refuses a FENCED write of an older token,
// and the proposal still carries the key's state alone.
func TestProposalSeesItsLock(t *testing.T) {
	h := newHarness(t, 1, true, 9)
	token := lockTaken(t, h, "jobs", "a")
	lockState := h.shards[0].AppendSerialState(nil, 0, []byte("jobs"))
	var req proto.Request
	if err := proto.ParseRequest(fmt.Appendf(nil, "FENCED (4)jobs %d SET:STR (1)k (1)v", token-1), &req); err != proto.ErrNone {
		t.Fatal(err)
	}
	b := hlc.Stamp{Time: h.clock.Now().Time + 1000, Actor: 2}
	run := func(see bool) (*Proposal, string) {
		p, err := Restate(0, []byte("k"), nil, b, b)
		if err != nil {
			t.Fatal(err)
		}
		if see {
			if err := p.See([]byte("jobs"), lockState); err != nil {
				t.Fatal(err)
			}
		}
		out, _ := p.Run(&req, func(int) int { return 0 }, nil)
		return &p, string(out)
	}
	if p, out := run(false); out != "OK" {
		t.Errorf("without the lock's state: %q", out)
	} else {
		p.Release()
	}
	p, out := run(true)
	if out != fenced("jobs", token, token-1) {
		t.Errorf("with the lock's state: %q", out)
	}
	if ds, err := DecodeProposal(nil, p.AppendState(nil), 0, []byte("k"), b); err != nil || len(ds) != 1 || ds[0].Key != "k" {
		t.Errorf("the proposal's state: %+v, %v; want k's alone", ds, err)
	}
	p.Release()
	if err := (&Proposal{DB: 0, Key: []byte("k")}).See([]byte("jobs"), AppendDelta(nil, &Delta{DB: 0, Key: "other", Reset: b})); err == nil {
		t.Error("See took another key's state")
	}
}
