package node

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/storage/hlc"
)

// fakeAcceptor answers every phase at once with vote(phase), or fails
// the call with err; it counts its calls.
type fakeAcceptor struct {
	name  string
	vote  func(m *rpc.Phase) rpc.Vote
	err   error
	mu    *sync.Mutex
	calls *[]int // phases per call
}

func (f fakeAcceptor) Name() string { return f.name }
func (f fakeAcceptor) Phases(ms []rpc.Phase, _ time.Duration, done func([]rpc.Vote, error)) {
	if f.calls != nil {
		f.mu.Lock()
		*f.calls = append(*f.calls, len(ms))
		f.mu.Unlock()
	}
	if f.err != nil {
		done(nil, f.err)
		return
	}
	vs := make([]rpc.Vote, len(ms))
	for i := range ms {
		vs[i] = f.vote(&ms[i])
	}
	done(vs, nil)
}

// peeking returns a proposal at its first round, a peek at key's
// registers on accs.
func peeking(key string, accs []acceptor) *proposal {
	p := &proposal{c: &rpc.Cmd{}, key: []byte(key), accs: accs, sets: [][]string{nil}, deadline: time.Now().Add(time.Second)}
	for _, a := range accs {
		p.sets[0] = append(p.sets[0], a.Name())
	}
	p.begin(rpc.KindPeek, hlc.Stamp{})
	return p
}

// TestPeekNeedsAMajority: a read's peek answers only from a proposal a
// majority of the acceptors report as their latest, whatever order the
// answers come in, and gives up (the read then prepares) when no
// majority agrees.
func TestPeekNeedsAMajority(t *testing.T) {
	at := func(name string, time uint64, state string) fakeAcceptor {
		return fakeAcceptor{name: name, vote: func(*rpc.Phase) rpc.Vote {
			return rpc.Vote{Yes: true, Time: time, Actor: 1, State: []byte(state)}
		}}
	}
	down := fakeAcceptor{name: "down", err: errors.New("unreachable")}
	for _, tc := range []struct {
		name  string
		accs  []acceptor
		state string
		ok    bool
	}{
		{"a stale copy first", []acceptor{at("a", 1, "old"), at("b", 2, "new"), at("c", 2, "new")}, "new", true},
		{"a newer, unchosen proposal", []acceptor{at("a", 2, "chosen"), at("b", 2, "chosen"), at("c", 3, "pending")}, "chosen", true},
		{"no majority", []acceptor{at("a", 1, "old"), at("b", 2, "new"), down}, "", false},
		{"one of three", []acceptor{at("a", 2, "new"), down, down}, "", false},
	} {
		p := peeking("k", tc.accs)
		rounds(asker{}, []*proposal{p})
		if p.peeked != tc.ok || string(p.state) != tc.state {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, p.state, p.peeked, tc.state, tc.ok)
		}
	}
}

// TestRoundsCallEachAcceptorOnce: the rounds of several proposals over
// overlapping acceptors make at most one call per acceptor, carrying the
// phases of every proposal it votes on, and each vote reaches its own
// proposal. (These are peeks: an acceptor the others make a majority
// without is not asked, TestPeeksAskABareMajorityFirst.)
func TestRoundsCallEachAcceptorOnce(t *testing.T) {
	var mu sync.Mutex
	calls := map[string]*[]int{}
	acc := func(name string) fakeAcceptor {
		calls[name] = new([]int)
		return fakeAcceptor{name: name, mu: &mu, calls: calls[name], vote: func(m *rpc.Phase) rpc.Vote {
			// Every acceptor reports the same proposal for a key, whose
			// state names the key: a vote handed to another proposal
			// shows.
			return rpc.Vote{Yes: true, Time: uint64(len(m.Key)), Actor: 1, State: []byte("state of " + string(m.Key))}
		}}
	}
	a, b, c, d := acc("a"), acc("b"), acc("c"), acc("d")
	sets := [][]acceptor{{a, b, c}, {b, c, d}, {a, c, d}, {a, b, c}, {d, a, b}}
	var props []*proposal
	for i, set := range sets {
		props = append(props, peeking(fmt.Sprintf("key%d%s", i, string(make([]byte, i))), set))
	}
	rounds(asker{}, props)
	for i, p := range props {
		if want := "state of " + string(p.key); !p.peeked || string(p.state) != want {
			t.Errorf("proposal %d: %q, %v; want %q", i, p.state, p.peeked, want)
		}
	}
	want := map[string]int{"a": 4, "b": 4, "c": 4, "d": 0}
	for name, n := range want {
		if got := *calls[name]; n == 0 && len(got) != 0 || n > 0 && (len(got) != 1 || got[0] != n) {
			t.Errorf("acceptor %s: calls with %v phases; want %d", name, got, n)
		}
	}
}

// TestPeeksAskABareMajorityFirst: a read's peek asks this node and one
// other replica of three (as a QUORUM read asks one other for a digest);
// the third only when one of those fails or they disagree, or when they
// are slower than hedgeAfter.
func TestPeeksAskABareMajorityFirst(t *testing.T) {
	var mu sync.Mutex
	at := func(name string, time uint64, calls *[]int) fakeAcceptor {
		return fakeAcceptor{name: name, mu: &mu, calls: calls, vote: func(*rpc.Phase) rpc.Vote {
			return rpc.Vote{Yes: true, Time: time, Actor: 1, State: []byte("s")}
		}}
	}
	for _, tc := range []struct {
		name  string
		other func(calls *[]int) acceptor // the first other replica
		third bool                        // the third is asked
	}{
		{"they agree", func(calls *[]int) acceptor { return at("b", 2, calls) }, false},
		{"it fails", func(calls *[]int) acceptor {
			return fakeAcceptor{name: "b", mu: &mu, calls: calls, err: errors.New("down")}
		}, true},
		{"it disagrees", func(calls *[]int) acceptor { return at("b", 1, calls) }, true},
		{"it is slow", func(calls *[]int) acceptor { return silentAcceptor{name: "b", calls: calls, mu: &mu} }, true},
	} {
		var self, other, third []int
		// In the order rounds asks them (this node first).
		p := peeking("k", []acceptor{at("a", 2, &self), tc.other(&other), at("c", 2, &third)})
		start := time.Now()
		rounds(asker{}, []*proposal{p})
		if got := len(third) > 0; got != tc.third {
			t.Errorf("%s: third asked %v, want %v", tc.name, got, tc.third)
		}
		if took := time.Since(start); tc.name == "it is slow" && (took < hedgeAfter || took > time.Second/2) {
			t.Errorf("%s: answered after %v; want the third asked after hedgeAfter, and its answer taken", tc.name, took)
		}
		if !p.peeked || len(self) != 1 || len(other) != 1 {
			t.Errorf("%s: peeked %v, this node asked %d times, the other %d; want a peek, each asked once", tc.name, p.peeked, len(self), len(other))
		}
	}
}

// silentAcceptor never answers; it counts its calls.
type silentAcceptor struct {
	name  string
	mu    *sync.Mutex
	calls *[]int
}

func (s silentAcceptor) Name() string { return s.name }
func (s silentAcceptor) Phases(ms []rpc.Phase, _ time.Duration, _ func([]rpc.Vote, error)) {
	s.mu.Lock()
	*s.calls = append(*s.calls, len(ms))
	s.mu.Unlock()
}

// TestResentWriteNeverSaysItDidNotRun: a write sent again (by a router
// after its first coordinator failed, or a client's RETRY) whose proposer
// reaches no majority before its deadline answers "not confirmed", not
// that it did not run: its first sending may have run it. A first
// sending that never proposed answers that it did not run.
func TestResentWriteNeverSaysItDidNotRun(t *testing.T) {
	down := fakeAcceptor{name: "down", err: errors.New("unreachable")}
	for _, resent := range []bool{false, true} {
		c := &rpc.Cmd{DB: 0, Resent: resent, Reqs: parse(t, "SET:STR (1)k (1)v")}
		p := &proposal{c: c, req: c.Reqs[0], key: []byte("k"), accs: []acceptor{down, down, down},
			sets: [][]string{{"a", "b", "c"}}, deadline: time.Now()}
		p.retry(nil) // past the deadline: it ends
		switch {
		case !p.done:
			t.Fatalf("resent %v: not done past the deadline", resent)
		case resent && p.st != rpc.StatusNotConfirmed:
			t.Errorf("a resent write answered %v %q, want not confirmed", p.st, p.reply)
		case !resent && p.st != rpc.StatusUnavailable:
			t.Errorf("a first sending that never proposed answered %v %q, want unavailable (did not run)", p.st, p.reply)
		}
	}
}

// heldAcceptor keeps each call's answer for the test to send, from its
// own goroutine, when it likes.
type heldAcceptor struct {
	name string
	mu   *sync.Mutex
	held *[]func()
}

func (h heldAcceptor) Name() string { return h.name }
func (h heldAcceptor) Phases(ms []rpc.Phase, _ time.Duration, done func([]rpc.Vote, error)) {
	vs := make([]rpc.Vote, len(ms))
	for i := range vs {
		vs[i] = rpc.Vote{Yes: true, Time: 2, Actor: 1, State: []byte("s")}
	}
	h.mu.Lock()
	*h.held = append(*h.held, func() { done(vs, nil) })
	h.mu.Unlock()
}

// TestRoundIsDrivenByItsVotes: starting a round waits for no vote; the
// round ends, once, on the goroutine of the vote that decides it (the
// second of three here), and an answer after its end changes nothing.
func TestRoundIsDrivenByItsVotes(t *testing.T) {
	var mu sync.Mutex
	var held []func()
	p := peeking("k", []acceptor{
		heldAcceptor{"a", &mu, &held}, heldAcceptor{"b", &mu, &held}, heldAcceptor{"c", &mu, &held},
	})
	ended := make(chan struct{}, 3)
	startRound(asker{}, []*proposal{p}, func() { ended <- struct{}{} })
	take := func(i int) func() {
		mu.Lock()
		defer mu.Unlock()
		return held[i]
	}
	if len(ended) != 0 {
		t.Fatal("the round ended before any vote came")
	}
	take(0)()
	if len(ended) != 0 {
		t.Fatal("the round ended on one vote of three")
	}
	done := make(chan struct{})
	go func() { take(1)(); close(done) }()
	<-done
	if len(ended) != 1 || !p.peeked {
		t.Fatalf("after the second agreeing vote: ended %d times, peeked %v; want once, on that vote", len(ended), p.peeked)
	}
	mu.Lock()
	late := append([]func(){held[0]}, held[2:]...) // an answer again, and the third's if the hedge asked it meanwhile
	mu.Unlock()
	for _, answer := range late {
		answer()
	}
	if len(ended) != 1 {
		t.Fatalf("a late answer ended the round again (%d times)", len(ended))
	}
}

// TestRoundDoesNotWaitForASilentAcceptor: when the acceptors that answer
// make a majority but leave a proposal undecided (peeks that disagree, a
// Prepare one promised and one refused), the round waits for the one that
// never answers (cut off from this node, or paused) only a grace, not
// until the deadline: a peek moves on to Prepare, a Prepare to a retry,
// while the command still has its time. Under a partition of two nodes of
// three, reads and contended writes failed after a second each without
// it. Fake time (synctest) measures the round.
func TestRoundDoesNotWaitForASilentAcceptor(t *testing.T) {
	var mu sync.Mutex
	var silent []int
	vote := func(name string, yes bool, time uint64) fakeAcceptor {
		return fakeAcceptor{name: name, vote: func(*rpc.Phase) rpc.Vote {
			return rpc.Vote{Yes: yes, Time: time, Actor: 1, State: []byte("s")}
		}}
	}
	for _, tc := range []struct {
		name  string
		kind  rpc.Kind
		voter [2]acceptor // the first and third asked; the second never answers
	}{
		{"peeks that disagree", rpc.KindPeek, [2]acceptor{vote("a", true, 2), vote("c", true, 1)}},
		{"a Prepare promised and refused", rpc.KindPrepare, [2]acceptor{vote("a", true, 2), vote("c", false, 9)}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				p := peeking("k", []acceptor{tc.voter[0], silentAcceptor{name: "b", mu: &mu, calls: &silent}, tc.voter[1]})
				if tc.kind != rpc.KindPeek {
					p.begin(tc.kind, hlc.Stamp{Time: 5, Actor: 2})
				}
				start := time.Now()
				rounds(asker{}, []*proposal{p})
				if took, limit := time.Since(start), time.Until(p.deadline); limit < time.Second/2 || p.decided {
					t.Errorf("the round ended after %v, decided %v; want it undecided with the deadline %v away",
						took, p.decided, limit)
				}
			})
		})
	}
}
