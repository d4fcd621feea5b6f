package storage

import (
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// serialAcceptor is one acceptor's shard in these tests, written through
// an ordinary harness (its clock is the "ordinary writes" of a key).
func propose(t *testing.T, state []byte, b hlc.Stamp, request string) (Proposal, string) {
	t.Helper()
	return proposeAt(t, state, b, b, request)
}

// proposeAt is propose with the proposer's clock at now.
func proposeAt(t *testing.T, state []byte, b, now hlc.Stamp, request string) (Proposal, string) {
	t.Helper()
	var req proto.Request
	if err := proto.ParseRequest([]byte(request), &req); err != proto.ErrNone {
		t.Fatalf("parse %q: %v", request, err)
	}
	p, reply, err := Propose(0, req.Key(), state, b, now, &req, func(int) int { return 0 }, nil)
	if err != nil {
		t.Fatalf("%s: %v", request, err)
	}
	return p, string(reply)
}

func stateOf(t *testing.T, sh *Shard, key string) []byte {
	t.Helper()
	out, ok := sh.AppendState(nil, 0, []byte(key))
	if !ok {
		return nil
	}
	return out
}

// TestProposalReplacesWholeState: the state a proposal leaves is stamped
// whole at its ballot, for every type (a list, set or hash with every
// element and member at the ballot, the list's order kept), so joining it
// into an acceptor that accepted some other, unchosen proposal in between
// leaves exactly the proposal's state (an ordinary join would keep the
// other's newer register, counter slot, element or member), and the
// acceptor's register then reports the ballot.
func TestProposalReplacesWholeState(t *testing.T) {
	base := newHarness(t, 1, true, 1)
	base.do("SET:INT (1)n 10")
	base.do("INCR_INT (1)n 5") // a slot and a register
	base.do("SET:STR (1)s (3)old")
	base.do("SET_EXPIRY (1)s 60")
	base.do("LIST_PUSH_RIGHT (1)l (3)[(1)a(1)b(1)c]")
	base.do("SET_ADD (1)m (2){(1)x(1)y}")
	base.do("HASH_SET (1)h (2){(1)f(1)1(1)g(1)2}")
	chosen := base.shards[0]
	b := hlc.Stamp{Time: base.clock.Now().Time + 100, Actor: 7}

	// Another acceptor holds an unchosen proposal written after the
	// chosen state but before b.
	other := newHarness(t, 1, true, 2)
	other.wall = base.wall
	for _, d := range base.deltas {
		other.shards[0].Apply(&d)
	}
	other.clock.Observe(base.clock.Now())
	other.do("INCR_INT (1)n 1000")
	other.do("SET:STR (1)s (7)unknown")
	other.do("LIST_PUSH_LEFT (1)l (1)[(7)unknown]")
	other.do("SET_ADD (1)m (1){(7)unknown}")
	other.do("HASH_SET (1)h (1){(7)unknown(1)9}")

	for _, tc := range []struct{ key, request, reply, read, after string }{
		{"n", "INCR_INT (1)n 1", "OK:INT 16", "GET (1)n", "OK:INT 16"},
		{"s", "SET_IF:STR (1)s (3)old (3)new", "OK:BOOL true", "GET (1)s", "OK:STR (3)new"},
		{"l", "LIST_POP_LEFT (1)l 1", "OK:LIST (1)[(1)a]", "LIST_RANGE (1)l 0 -1", "OK:LIST (2)[(1)b(1)c]"},
		{"m", "SET_DISCARD (1)m (1){(1)x}", "OK:INT 1", "SET_ALL (1)m", "OK:SET (1){(1)y}"},
		{"h", "HASH_INCR (1)h (1)f 41", "OK:INT 42", "HASH_MANY_GET (1)h (3)[(1)f(1)g(7)unknown]", "OK:ARR (3)[:STR (2)42:STR (1)2:NULL ]"},
	} {
		p, reply := propose(t, stateOf(t, chosen, tc.key), b, tc.request)
		if reply != tc.reply || !p.Wrote {
			t.Fatalf("%s: %q (wrote %v), want %q", tc.request, reply, p.Wrote, tc.reply)
		}
		d := p.State()
		if got := d.MaxStamp(); got != b {
			t.Errorf("%s: state stamped up to %v, want the ballot %v", tc.key, got, b)
		}
		sh := other.shards[0]
		sh.Apply(&d)
		if got := other.do(tc.read); got != tc.after {
			t.Errorf("%s after accepting over another proposal: %q, want %q", tc.key, got, tc.after)
		}
		if _, acc := sh.Acceptor(0, []byte(tc.key)); acc != b {
			t.Errorf("%s: accepted %v, want %v", tc.key, acc, b)
		}
	}
	if got := other.do("GET_EXPIRY (1)s"); got != "OK:NULL" && got != "NULL" {
		// SET_IF replaces the value and, as SET does, its deadline.
		t.Errorf("deadline after SET_IF: %q", got)
	}
}

// TestProposalKeepsDeadlineAndToken: a command that keeps the deadline
// (STR_APPEND) and one that keeps a lock's token (LOCK_REFRESH) still do
// after their state is rewritten at a later ballot.
func TestProposalKeepsDeadlineAndToken(t *testing.T) {
	b1 := hlc.Stamp{Time: 1_000_000 << hlc.LogicalBits, Actor: 1}
	p, reply := propose(t, nil, b1, "LOCK_ACQUIRE (1)m (1)w 60000")
	token := fmt.Sprintf("OK:INT %d", b1.Time)
	if reply != token {
		t.Fatalf("acquire: %q, want %q", reply, token)
	}
	d := p.State()
	sh := NewShard(true)
	sh.Apply(&d)
	b2 := hlc.Stamp{Time: b1.Time + 5<<hlc.LogicalBits, Actor: 2}
	p, reply = propose(t, stateOf(t, sh, "m"), b2, fmt.Sprintf("LOCK_REFRESH (1)m %d 90000", b1.Time))
	if reply != "OK:BOOL true" {
		t.Fatalf("refresh: %q", reply)
	}
	d = p.State()
	sh.Apply(&d)
	b3 := hlc.Stamp{Time: b2.Time + 1, Actor: 1}
	_, reply = propose(t, stateOf(t, sh, "m"), b3, "LOCK_INFO (1)m")
	want := fmt.Sprintf("OK:ARR (3)[:STR (1)w:INT %d:INT 90000]", b1.Time)
	if reply != want {
		t.Errorf("after a refresh at a later ballot: %q, want %q", reply, want)
	}
}

// TestProposalAtAnOlderBallot: a proposal at a ballot promised an hour
// before (a standing promise) is stamped at that ballot, and a lock's
// token is the ballot, but its times are the command's: a TTL counts from
// now, and a lease that ended before now has ended.
func TestProposalAtAnOlderBallot(t *testing.T) {
	b := hlc.Stamp{Time: 1_000_000 << hlc.LogicalBits, Actor: 1}
	now := hlc.Stamp{Time: b.Time + 3_600_000<<hlc.LogicalBits, Actor: 1}
	p, _ := proposeAt(t, nil, b, now, "SET_TTL:STR (1)k (1)v 10000")
	d := p.State()
	if d.MaxStamp() != b || d.Val.Str != "v" || d.Exp.At != now.Wall()+10_000 {
		t.Errorf("state %+v: want the value stamped at %v, expiring at %d", d, b, now.Wall()+10_000)
	}
	lock, _ := proposeAt(t, nil, b, b, "LOCK_ACQUIRE (1)m (1)w 60000")
	d = lock.State()
	sh := NewShard(true)
	sh.Apply(&d)
	b2 := hlc.Stamp{Time: b.Time + 1, Actor: 2}
	if _, reply := proposeAt(t, stateOf(t, sh, "m"), b2, now, "LOCK_ACQUIRE (1)m (1)x 60000"); reply != fmt.Sprintf("OK:INT %d", b2.Time) {
		t.Errorf("acquiring a lease that ended before now: %q", reply)
	}
}

// TestProposalReads: a read writes nothing (no state to accept unless the
// round must finish an older proposal); an absent key's state is a
// tombstone at the ballot.
func TestProposalReads(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	h.do("LIST_PUSH_LEFT (1)l (1)[(1)x]")
	b := hlc.Stamp{Time: h.clock.Now().Time + 10, Actor: 3}
	p, reply := propose(t, stateOf(t, h.shards[0], "l"), b, "LIST_LEN (1)l")
	if reply != "OK:INT 1" || p.Wrote {
		t.Errorf("LIST_LEN: %q (wrote %v)", reply, p.Wrote)
	}
	p, reply = propose(t, nil, b, "DEL_IF:STR (1)k (1)v")
	if reply != "OK:BOOL false" || p.Wrote {
		t.Errorf("DEL_IF of nothing: %q (wrote %v)", reply, p.Wrote)
	}
	if d := p.State(); d.Reset != b || d.Val.Kind != proto.TypeNone {
		t.Errorf("an absent key's state: %+v; want a tombstone at the ballot", d)
	}
}

// TestReleasedProposalsStartEmpty: a proposal runs on a shard reused from
// released ones, which holds nothing of theirs: a key, its deadline or a
// database reset another proposal left would otherwise show.
func TestReleasedProposalsStartEmpty(t *testing.T) {
	b := hlc.Stamp{Time: 100 << hlc.LogicalBits, Actor: 3}
	for i := range 20 {
		p, reply := propose(t, nil, b, "SET_TTL:STR (1)k (1)v 60000")
		if reply != "OK" || !p.Wrote {
			t.Fatalf("round %d: SET_TTL: %q", i, reply)
		}
		p.Release()
		p, reply = propose(t, nil, b, "GET (1)k")
		if reply != "NULL" {
			t.Fatalf("round %d: a fresh proposal read %q, left by a released one", i, reply)
		}
		p.Release()
		p, _ = propose(t, nil, b, "SET:STR (1)k (1)w")
		if d := p.State(); d.Exp.At != 0 || d.Val.Str != "w" {
			t.Fatalf("round %d: a fresh proposal's SET left %+v; want w with no deadline", i, d)
		}
		p.Release()
	}
}

// TestAppliedRecordIsCopied: the applied record's delta shares the
// caller's bytes, and the shard keeps a copy of its own.
func TestAppliedRecordIsCopied(t *testing.T) {
	sh := NewShard(true)
	b := hlc.Stamp{Time: 7, Actor: 1}
	rec := []byte("record")
	d := AppliedDelta("k", b, rec)
	sh.Apply(&d)
	copy(rec, "XXXXXX")
	if got, ok := sh.AppendApplied(nil, []byte("k"), b); !ok || string(got) != "record" {
		t.Errorf("the record kept: %q %v, want %q", got, ok, "record")
	}
}

// TestAcceptorRegister: a promise raises the promised ballot; its
// tombstone once a proposal covers it keeps the ballot; the accepted
// ballot is the state's latest stamp, a database reset included.
func TestAcceptorRegister(t *testing.T) {
	sh := NewShard(true)
	key := []byte("k")
	if p, a := sh.Acceptor(0, key); !p.IsZero() || !a.IsZero() {
		t.Fatalf("empty: %v %v", p, a)
	}
	b1, b2 := hlc.Stamp{Time: 10, Actor: 1}, hlc.Stamp{Time: 20, Actor: 2}
	for _, b := range []hlc.Stamp{b2, b1} { // the higher promise stays
		d := PromiseDelta(string(key), b)
		sh.Apply(&d)
	}
	if p, _ := sh.Acceptor(0, key); p != b2 {
		t.Errorf("promised %v, want %v", p, b2)
	}
	d := PromiseDone(string(key), b2)
	sh.Apply(&d)
	if p, _ := sh.Acceptor(0, key); p != b2 {
		t.Errorf("after the promise's tombstone: promised %v, want %v", p, b2)
	}
	if p, _ := sh.Acceptor(3, key); p != b2 {
		t.Errorf("a promise covers the key in every database: %v", p)
	}
	r := ResetDelta(0, hlc.Stamp{Time: 30, Actor: 1})
	sh.Apply(&r)
	if _, a := sh.Acceptor(0, key); a != r.Reset {
		t.Errorf("after RESET: accepted %v, want %v", a, r.Reset)
	}
}

// TestLatestIsTheStatesMaxStamp: the ballot an acceptor reads off a key
// (latest) is the latest stamp of the key's whole state, for every kind of
// value, a deadline's stamp and a key holding two kinds at once
// (concurrent writes of different types) included.
func TestLatestIsTheStatesMaxStamp(t *testing.T) {
	h := newHarness(t, 1, true, 1)
	for _, r := range []string{
		"SET:STR (1)s (1)v", "INCR_INT (1)n 5", "INCR_FLOAT (1)f 1.5", "LIST_PUSH_LEFT (1)l (2)[(1)a(1)b]",
		"SET_ADD (1)m (2){(1)x(1)y}", "HASH_SET (1)h (1){(1)k(1)v}", "SET_TTL:STR (1)t (1)v 60000",
		"SET:STR (1)u (1)v", "SET_EXPIRY (1)u 90000", "SET_DISCARD (1)m (1){(1)x}",
	} {
		h.wall += 7
		h.do(r)
	}
	sh := h.shards[0]
	// A second kind on s, from a writer that did not see the first.
	other := newHarness(t, 1, true, 2)
	other.wall = h.wall + 100
	other.do("INCR_INT (1)s 3")
	for _, d := range other.deltas {
		sh.Apply(&d)
	}
	if _, ok := sh.entryOf(0, "s").val.(*multi); !ok {
		t.Fatal("s does not hold two kinds")
	}
	for key, e := range sh.dbs[0].all() {
		d := sh.state(0, key, &e)
		if got, want := sh.latest(0, []byte(key), &e), d.maxStamp(); got != want {
			t.Errorf("%s: latest %v, the state's max stamp %v", key, got, want)
		}
	}
}

// TestSerialKeysKeepRemovalsWithoutTombstones: a shard that keeps no
// tombstones (one copy) still keeps a key's removals' stamps once the key
// has a promise, so that the key's accepted ballot (Acceptor) moves past
// a pop or a DEL made outside the serial path: a standing promise's older
// state must not be proposed over them (the popped element came back).
// Keys without a promise drop their removals at once, as before.
func TestSerialKeysKeepRemovalsWithoutTombstones(t *testing.T) {
	sh := NewShard(false)
	at := func(n uint64) hlc.Stamp { return hlc.Stamp{Time: n, Actor: 1} }
	d := PromiseDelta("k", at(10))
	sh.Apply(&d)
	for _, key := range []string{"k", "o"} {
		push := Delta{Key: key, Val: ValDelta{Kind: proto.TypeList, TS: at(20), Elems: []Elem{
			{ID: ElemID{Pos: 0, S: at(20)}, VS: at(20), Value: "a"}, {ID: ElemID{Pos: 1, S: at(20)}, VS: at(20), Value: "z"}}}}
		sh.Apply(&push)
		pop := Delta{Key: key, Val: ValDelta{Kind: proto.TypeList, TS: at(20), Tombs: []Tomb{{ID: ElemID{Pos: 1, S: at(20)}, S: at(30)}}}}
		sh.Apply(&pop)
	}
	if _, a := sh.Acceptor(0, []byte("k")); a != at(30) {
		t.Errorf("after a pop of a serial key: accepted %v, want the pop's %v", a, at(30))
	}
	if _, a := sh.Acceptor(0, []byte("o")); a != at(20) {
		t.Errorf("after a pop of an ordinary key: latest %v, want the push's %v (no tombstone kept)", a, at(20))
	}
	del := Delta{Key: "k", Reset: at(40)}
	sh.Apply(&del)
	if _, a := sh.Acceptor(0, []byte("k")); a != at(40) {
		t.Errorf("after a DEL of a serial key: accepted %v, want the DEL's %v", a, at(40))
	}
	if v, ok := sh.lookup(0, []byte("k")); ok && v.shows() {
		t.Errorf("the deleted key still shows")
	}
}
