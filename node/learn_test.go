package node

import (
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/serial"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// recordingAcceptor accepts every phase at once and keeps the kinds of
// the phases of each call; or fails every call with err.
type recordingAcceptor struct {
	name  string
	err   error
	mu    *sync.Mutex
	kinds *[][]rpc.Kind
}

func (r recordingAcceptor) Name() string { return r.name }
func (r recordingAcceptor) Phases(ms []rpc.Phase, _ time.Duration, done func([]rpc.Vote, error)) {
	r.mu.Lock()
	var ks []rpc.Kind
	for _, m := range ms {
		ks = append(ks, m.Kind)
	}
	*r.kinds = append(*r.kinds, ks)
	r.mu.Unlock()
	if r.err != nil {
		done(nil, r.err)
		return
	}
	vs := make([]rpc.Vote, len(ms))
	for i := range vs {
		vs[i] = rpc.Vote{Yes: true, Time: ms[i].Time, Actor: ms[i].Actor}
	}
	done(vs, nil)
}

// accepting returns a proposal at its Accept of ballot 7 on key over accs.
func accepting(key string, accs []acceptor) *proposal {
	p := &proposal{c: &rpc.Cmd{}, key: []byte(key), accs: accs, sets: [][]string{nil}, deadline: time.Now().Add(time.Second)}
	for _, a := range accs {
		p.sets[0] = append(p.sets[0], a.Name())
	}
	p.begin(rpc.KindAccept, hlc.Stamp{Time: 7, Actor: 1})
	p.m.Next = 9
	return p
}

// TestAcceptsAskABareMajorityAndTheRestLearn: an Accept goes to this
// node and to its partner (ring.ByPartner: the replica after it by name),
// not to the third replica of three, which gets what was chosen as a
// Learn, batched, soon after; when the partner fails, the third is asked
// to accept instead, and nobody is sent a Learn.
func TestAcceptsAskABareMajorityAndTheRestLearn(t *testing.T) {
	for _, partnerDown := range []bool{false, true} {
		var mu sync.Mutex
		var self, partner, third [][]rpc.Kind
		var err error
		if partnerDown {
			err = errors.New("down")
		}
		// n2's partner is n3; n1 comes last. The acceptors are listed in
		// another order (the ring's) on purpose.
		accs := []acceptor{recordingAcceptor{name: "n1", mu: &mu, kinds: &third},
			recordingAcceptor{name: "n3", mu: &mu, kinds: &partner, err: err},
			recordingAcceptor{name: "n2", mu: &mu, kinds: &self}}
		var learned atomic.Int64
		l := newLearner(&learned)
		k := asker{self: "n2", learn: l, slow: newSlowPeers(nil)}
		props := []*proposal{accepting("k1", accs), accepting("k2", accs)}
		rounds(k, props)
		for _, p := range props {
			if !p.settled {
				t.Fatalf("partner down %v: a proposal did not settle", partnerDown)
			}
		}
		want := [][]rpc.Kind{{rpc.KindLearn, rpc.KindLearn}}
		if partnerDown {
			want = [][]rpc.Kind{{rpc.KindAccept, rpc.KindAccept}}
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			got := slices.Clone(third)
			mu.Unlock()
			if len(got) > 0 || time.Now().After(deadline) {
				if len(got) != 1 || !slices.Equal(got[0], want[0]) {
					t.Errorf("partner down %v: the third replica got calls %v, want %v", partnerDown, got, want)
				}
				break
			}
			time.Sleep(time.Millisecond)
		}
		l.close()
		mu.Lock()
		if len(self) != 1 || len(partner) != 1 {
			t.Errorf("partner down %v: this node asked %d times, its partner %d; want once each", partnerDown, len(self), len(partner))
		}
		mu.Unlock()
		if n := learned.Load(); partnerDown && n != 0 || !partnerDown && n != 2 {
			t.Errorf("partner down %v: %d Learns counted", partnerDown, n)
		}
		if !partnerDown {
			continue
		}
		// The failed partner is asked after the third for a while: the
		// next round goes to the third alone.
		mu.Lock()
		self, partner, third = nil, nil, nil
		mu.Unlock()
		l = newLearner(&learned)
		k.learn = l
		p := accepting("k3", accs)
		rounds(k, []*proposal{p})
		l.close()
		mu.Lock()
		if !p.settled || len(partner) != 0 || len(third) != 1 || len(third[0]) != 1 || third[0][0] != rpc.KindAccept {
			t.Errorf("after the partner failed: settled %v, partner called %v, third %v; want the third asked to accept, the partner not", p.settled, partner, third)
		}
		mu.Unlock()
	}
}

// TestLearnerBatchesAndStops: Learns for one acceptor wait together and
// leave in one call; laterMax of them leave at once; after close nothing
// is sent.
func TestLearnerBatchesAndStops(t *testing.T) {
	var mu sync.Mutex
	var calls [][]rpc.Kind
	a := recordingAcceptor{name: "a", mu: &mu, kinds: &calls}
	var learned atomic.Int64
	l := newLearner(&learned)
	one := []rpc.Phase{{Kind: rpc.KindLearn, Key: []byte("k")}}
	l.add(a, one...)
	l.add(a, one...)
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(calls)
		mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	if len(calls) != 1 || len(calls[0]) != 2 {
		t.Errorf("two Learns went as calls %v, want one call of two", calls)
	}
	calls = nil
	mu.Unlock()
	l.add(a, make([]rpc.Phase, laterMax)...)
	mu.Lock()
	if len(calls) != 1 || len(calls[0]) != laterMax {
		t.Errorf("laterMax Learns went as calls of %d, want one at once", len(calls))
	}
	calls = nil
	mu.Unlock()
	l.add(a, one...)
	l.close()
	l.add(a, one...)
	mu.Lock()
	defer mu.Unlock()
	if len(calls) != 0 {
		t.Errorf("%d calls after close", len(calls))
	}
}

// TestAcceptorTakesALearn: an acceptor takes a Learn's state as it would
// its Accept, also below a higher promise (the proposal is chosen), which
// it keeps, but not below a proposal it accepted, and the vote waits for
// no fsync; it promises nothing to the proposer.
func TestAcceptorTakesALearn(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
	at := func(ms uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: 1} }
	state := func(b hlc.Stamp, v string) []byte {
		d := storage.Delta{Key: "k", Reset: b, Val: storage.ValDelta{Kind: proto.TypeStr, TS: b, Reg: b, Str: v}}
		return storage.AppendDelta(nil, &d)
	}
	vote := func(m rpc.Phase) (rpc.Vote, bool) {
		t.Helper()
		x := n.ctxs.Get().(*execCtx)
		defer n.release(x)
		v, sync, err := n.vote(&m, x, nil)
		if err != nil {
			t.Fatal(err)
		}
		return v, sync
	}
	p := at(10)
	if _, sync := vote(rpc.Phase{Kind: rpc.KindPrepare, Time: p.Time, Actor: p.Actor, Key: []byte("k")}); !sync {
		t.Fatal("a promise did not wait for an fsync")
	}
	low := at(5)
	if _, sync := vote(rpc.Phase{Kind: rpc.KindLearn, Time: low.Time, Actor: low.Actor, Key: []byte("k"), State: state(low, "old")}); sync {
		t.Error("a Learn asked for an fsync")
	}
	if promised, accepted, _ := n.register(0, []byte("k")); promised != p || accepted != low {
		t.Errorf("after a Learn below the promise: promised %v accepted %v, want %v and %v", promised, accepted, p, low)
	}
	if v, _ := vote(rpc.Phase{Kind: rpc.KindLearn, Time: at(4).Time, Actor: 1, Key: []byte("k"), State: state(at(4), "older")}); v.Yes {
		t.Error("a Learn below the proposal accepted was taken")
	}
	if _, accepted, _ := n.register(0, []byte("k")); accepted != low {
		t.Errorf("after a Learn below the proposal accepted: accepted %v, want %v", accepted, low)
	}
	high := at(20)
	if _, sync := vote(rpc.Phase{Kind: rpc.KindLearn, Time: high.Time, Actor: high.Actor, Key: []byte("k"), State: state(high, "new")}); sync {
		t.Error("a Learn asked for an fsync")
	}
	promised, accepted, _ := n.register(0, []byte("k"))
	if accepted != high || promised.Max(accepted) != high {
		t.Errorf("after a Learn at %v: promised %v accepted %v", high, promised, accepted)
	}
	if _, sync := vote(rpc.Phase{Kind: rpc.KindAccept, Time: at(30).Time, Actor: 1, Key: []byte("k"), State: state(at(30), "newer")}); !sync {
		t.Error("an Accept did not wait for an fsync")
	}
	// A key this acceptor never promised anything for: it takes the
	// chosen state and, as after an Accept, holds the key as serial, so
	// that an ordinary write it coordinates goes through consensus.
	j := at(40)
	d := storage.Delta{Key: "j", Reset: j, Val: storage.ValDelta{Kind: proto.TypeStr, TS: j, Reg: j, Str: "v"}}
	vote(rpc.Phase{Kind: rpc.KindLearn, Time: j.Time, Actor: j.Actor, Key: []byte("j"), State: storage.AppendDelta(nil, &d)})
	if _, accepted, _ := n.register(0, []byte("j")); accepted != j {
		t.Errorf("a Learn on a fresh key: accepted %v, want %v", accepted, j)
	}
	part := &n.parts[0]
	part.mu.Lock()
	defer part.mu.Unlock()
	if !part.shard.Serial([]byte("j")) {
		t.Error("a key learned is not serial on the acceptor")
	}
}

// TestAcceptorRefusesAPhasePastItsDeadline: a Prepare or an Accept that
// arrives after its deadline (by the acceptor's clock) gets no vote and
// changes nothing. A router sends a serial write again only past every
// earlier sending's deadline and the clocks' offset (Backend.runItem):
// this refusal is what stops a first sending still under way from
// running the write after the second sending did (docs/decisions.md, "A
// write sent again leaves past its first sending's deadline").
func TestAcceptorRefusesAPhasePastItsDeadline(t *testing.T) {
	now := time.UnixMilli(1_000_000)
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5, Now: func() time.Time { return now }})
	at := func(ms uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: 1} }
	state := func(b hlc.Stamp, v string) []byte {
		d := storage.Delta{Key: "k", Reset: b, Val: storage.ValDelta{Kind: proto.TypeStr, TS: b, Reg: b, Str: v}}
		return storage.AppendDelta(nil, &d)
	}
	vote := func(m rpc.Phase) rpc.Vote {
		t.Helper()
		var got rpc.Vote
		if err := n.Votes([]rpc.Phase{m}, func(_ int, v rpc.Vote) { got = v }); err != nil {
			t.Fatal(err)
		}
		return got
	}
	past, ahead := now.UnixMilli()-1, now.UnixMilli()+1000
	b := at(10)
	if v := vote(rpc.Phase{Kind: rpc.KindPrepare, Time: b.Time, Actor: b.Actor, Deadline: past, Key: []byte("k")}); v.Yes {
		t.Errorf("a Prepare past its deadline was promised: %+v", v)
	}
	if promised, accepted, _ := n.register(0, []byte("k")); !promised.IsZero() || !accepted.IsZero() {
		t.Fatalf("after a Prepare past its deadline: promised %v, accepted %v; want neither", promised, accepted)
	}
	if v := vote(rpc.Phase{Kind: rpc.KindAccept, Time: b.Time, Actor: b.Actor, Deadline: past, Key: []byte("k"), State: state(b, "late")}); v.Yes {
		t.Errorf("an Accept past its deadline was accepted: %+v", v)
	}
	if promised, accepted, _ := n.register(0, []byte("k")); !promised.IsZero() || !accepted.IsZero() {
		t.Fatalf("after an Accept past its deadline: promised %v, accepted %v; want neither", promised, accepted)
	}
	if got := do(t, n, 0, "GET (1)k"); got != "NULL" {
		t.Fatalf("after an Accept past its deadline, GET answered %s; want NULL", got)
	}
	// The same phases before their deadline are taken.
	if v := vote(rpc.Phase{Kind: rpc.KindPrepare, Time: b.Time, Actor: b.Actor, Deadline: ahead, Key: []byte("k")}); !v.Yes {
		t.Fatalf("a Prepare before its deadline was refused: %+v", v)
	}
	if v := vote(rpc.Phase{Kind: rpc.KindAccept, Time: b.Time, Actor: b.Actor, Deadline: ahead, Key: []byte("k"), State: state(b, "v")}); !v.Yes {
		t.Fatalf("an Accept before its deadline was refused: %+v", v)
	}
	if _, accepted, _ := n.register(0, []byte("k")); accepted != b {
		t.Fatalf("after an Accept before its deadline: accepted %v, want %v", accepted, b)
	}
	if got := do(t, n, 0, "GET (1)k"); got != "OK:STR (1)v" {
		t.Fatalf("after an Accept before its deadline, GET answered %s; want the accepted value", got)
	}
}

// refusingAcceptor refuses every phase, reporting ballot at.
type refusingAcceptor struct {
	name string
	at   hlc.Stamp
}

func (r refusingAcceptor) Name() string { return r.name }
func (r refusingAcceptor) Phases(ms []rpc.Phase, _ time.Duration, done func([]rpc.Vote, error)) {
	vs := make([]rpc.Vote, len(ms))
	for i := range vs {
		vs[i] = rpc.Vote{Time: r.at.Time, Actor: r.at.Actor}
	}
	done(vs, nil)
}

// TestProposerHoldsWhatItChose: when this node's own acceptor refuses a
// proposal's Accept (it promised a higher ballot: the node's proposal on
// the key in another database, or a read's Prepare) and the two others
// choose it, this node's copy holds the chosen state by the time the
// round ends, below its promise, which it keeps. Its proposer answers the
// client then, and the node, the key's coordinator, answers the client's
// next read from that copy, whose join of a peer's state the promise
// refuses: before, the read answered the state before the write
// (TestClusterAnswersAsTheSingleProcess, seed 15). A remote acceptor
// that refused gets the Learn too, later.
func TestProposerHoldsWhatItChose(t *testing.T) {
	n := newNode(t, Config{Partitions: 1, KeepTombstones: true, Actor: 5})
	at := func(ms uint64) hlc.Stamp { return hlc.Stamp{Time: ms << hlc.LogicalBits, Actor: 5} }
	promise := at(20)
	x := n.ctxs.Get().(*execCtx)
	if _, _, err := n.vote(&rpc.Phase{Kind: rpc.KindPrepare, DB: 0, Time: promise.Time, Actor: promise.Actor, Key: []byte("k")}, x, nil); err != nil {
		t.Fatal(err)
	}
	n.release(x)

	var mu sync.Mutex
	var partner, third [][]rpc.Kind
	self := localAcceptor{name: "n2", n: n}
	accs := []acceptor{recordingAcceptor{name: "n1", mu: &mu, kinds: &third},
		recordingAcceptor{name: "n3", mu: &mu, kinds: &partner}, self}
	b := at(10)
	d := storage.Delta{DB: 1, Key: "k", Reset: b, Val: storage.ValDelta{Kind: proto.TypeStr, TS: b, Reg: b, Str: "v"}}
	p := &proposal{c: &rpc.Cmd{DB: 1}, key: []byte("k"), accs: accs, sets: [][]string{{"n1", "n2", "n3"}}, deadline: time.Now().Add(time.Second)}
	p.begin(rpc.KindAccept, b)
	p.m.State = storage.AppendDelta(nil, &d)
	var learned atomic.Int64
	l := newLearner(&learned)
	defer l.close()
	rounds(asker{self: "n2", learn: l, slow: newSlowPeers(nil)}, []*proposal{p})
	if p.ph.Outcome() != serial.Won {
		t.Fatalf("the proposal's outcome is %v, want won by n1 and n3", p.ph.Outcome())
	}
	promised, accepted, _ := n.register(1, []byte("k"))
	if accepted != b || promised != promise {
		t.Errorf("when the round ended this node's register was promised %v accepted %v, want %v and %v", promised, accepted, promise, b)
	}

	// A remote acceptor that refused is sent the Learn.
	refuser := &countingAcceptor{acceptor: refusingAcceptor{name: "n3", at: promise}}
	accs = []acceptor{recordingAcceptor{name: "n1", mu: &mu, kinds: &third}, refuser,
		recordingAcceptor{name: "n2", mu: &mu, kinds: &partner}}
	p = &proposal{c: &rpc.Cmd{DB: 1}, key: []byte("j"), accs: accs, sets: [][]string{{"n1", "n2", "n3"}}, deadline: time.Now().Add(time.Second)}
	p.begin(rpc.KindAccept, b)
	rounds(asker{self: "n2", learn: l, slow: newSlowPeers(nil)}, []*proposal{p})
	if p.ph.Outcome() != serial.Won {
		t.Fatalf("the second proposal's outcome is %v, want won by n1 and n2", p.ph.Outcome())
	}
	deadline := time.Now().Add(5 * time.Second)
	for refuser.learns.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	if refuser.learns.Load() != 1 {
		t.Errorf("the acceptor that refused got %d Learns, want 1", refuser.learns.Load())
	}
}

// countingAcceptor counts the Learns its acceptor is sent.
type countingAcceptor struct {
	acceptor
	learns atomic.Int64
}

func (c *countingAcceptor) Phases(ms []rpc.Phase, timeout time.Duration, done func([]rpc.Vote, error)) {
	for _, m := range ms {
		if m.Kind == rpc.KindLearn {
			c.learns.Add(1)
		}
	}
	c.acceptor.Phases(ms, timeout, done)
}
