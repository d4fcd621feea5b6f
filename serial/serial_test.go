package serial

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/vanitydb/vanity/internal/lincheck"
)

func TestBallotOrder(t *testing.T) {
	a, b, c := Ballot{5, 1}, Ballot{5, 2}, Ballot{6, 1}
	if !a.Less(b) || !b.Less(c) || c.Less(a) || a.Less(a) {
		t.Error("ballots order by stamp, then actor")
	}
	if !(Ballot{}).IsZero() || !(Ballot{}).Less(a) {
		t.Error("the zero ballot is below every other")
	}
	if got := Above(Ballot{100, 9}, 3, 50); !(Ballot{100, 9}).Less(got) || got.Actor != 3 {
		t.Errorf("Above a newer ballot than the clock: %v", got)
	}
	if got := Above(Ballot{100, 9}, 3, 200); got != (Ballot{200, 3}) {
		t.Errorf("Above from the clock: %v", got)
	}
	if n := a.Next(); n != (Ballot{6, 1}) {
		t.Errorf("Next: %v", n)
	}
}

func TestRegisterTransitions(t *testing.T) {
	var r Register
	r, ok := r.Prepare(Ballot{5, 1})
	if !ok || r.Promised != (Ballot{5, 1}) {
		t.Fatalf("a first Prepare: %v %+v", ok, r)
	}
	if _, ok := r.Prepare(Ballot{5, 1}); ok {
		t.Error("the same ballot promised twice")
	}
	if _, ok := r.Accept(Ballot{4, 9}, []byte("old")); ok {
		t.Error("a proposal below the promise accepted")
	}
	r, ok = r.Accept(Ballot{5, 1}, []byte("s1"))
	if !ok || r.Accepted != (Ballot{5, 1}) || string(r.State) != "s1" {
		t.Fatalf("Accept at the promise: %v %+v", ok, r)
	}
	r2, ok := r.Accept(Ballot{7, 2}, []byte("s2")) // no Prepare needed at or above the promise
	if !ok || r2.Promised != (Ballot{7, 2}) {
		t.Fatalf("Accept above the promise: %v %+v", ok, r2)
	}
	if _, ok := r2.Prepare(Ballot{6, 1}); ok {
		t.Error("a Prepare below an accepted ballot promised")
	}
	j := Join(Register{Promised: Ballot{9, 1}, Accepted: Ballot{3, 1}, State: []byte("a")}, r2)
	if j.Promised != (Ballot{9, 1}) || j.Accepted != (Ballot{7, 2}) || string(j.State) != "s2" {
		t.Errorf("Join: %+v", j)
	}
}

func TestPhaseCounting(t *testing.T) {
	p := NewPhase([]string{"a", "b", "c"})
	p.Promise("a", Ballot{3, 1}, []byte("x"))
	p.Promise("a", Ballot{9, 9}, []byte("dup")) // counted once
	if p.Outcome() != Pending {
		t.Fatal("one of three is not a majority")
	}
	p.Refuse("b", Ballot{20, 4})
	if p.Outcome() != Pending {
		t.Fatal("one yes, one no, one left: pending")
	}
	p.Promise("c", Ballot{5, 2}, []byte("y"))
	if p.Outcome() != Won {
		t.Fatal("two of three is a majority")
	}
	if b, s := p.Latest(); b != (Ballot{5, 2}) || string(s) != "y" {
		t.Errorf("Latest: %v %q", b, s)
	}
	if p.Highest() != (Ballot{20, 4}) {
		t.Errorf("Highest: %v", p.Highest())
	}
	q := NewPhase([]string{"a", "b", "c"})
	q.Refuse("a", Ballot{1, 1})
	q.Refuse("b", Ballot{2, 1})
	if q.Outcome() != Lost {
		t.Error("two refusals of three: lost")
	}
	// A partition moving from {a,b,c} to {b,c,d}: a majority of each.
	j := NewPhase([]string{"a", "b", "c"}, []string{"b", "c", "d"})
	j.Accepted("a")
	j.Accepted("d")
	if j.Outcome() != Pending {
		t.Fatal("a and d are one of each set")
	}
	j.Accepted("b")
	if j.Outcome() != Won {
		t.Fatal("a, b and d are a majority of both sets")
	}
	k := NewPhase([]string{"a", "b", "c"}, []string{"b", "c", "d"})
	k.Accepted("a")
	k.Accepted("b")
	k.Refuse("c", Ballot{})
	k.Refuse("d", Ballot{})
	if k.Outcome() != Lost {
		t.Error("the new set lost its majority")
	}
}

// message is one message in flight in the simulation.
type message struct {
	to, from int
	kind     uint8 // prepare, promise, accept, accepted, refuse
	round    int   // the proposer's round it belongs to
	ballot   Ballot
	accepted Ballot
	state    []byte
}

const (
	msgPrepare = iota
	msgPromise
	msgAccept
	msgAccepted
	msgRefuse
)

// proposer is a simulated proposer: it wants its op (one byte) appended to
// the key's state, and runs rounds until one of its proposals is chosen.
type proposer struct {
	id     int
	ops    []byte // to append, one chosen proposal each
	op     byte
	round  int
	ballot Ballot
	phase  *Phase
	accept bool // the round is in its Accept phase
	done   bool
	seen   Ballot
	clock  uint64
	called int // the step its current op began at (the history's call)
	// sets are the replica sets its phases need a majority of each, and
	// to the acceptors of which it sends them.
	sets [][]string
	to   []int
}

func names(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

// TestSafetyUnderLossAndReordering runs proposers against acceptors over
// a network that delivers messages in any order, drops and duplicates
// them, and checks Paxos's promise: once a state is chosen, every state
// chosen with a higher ballot extends it (so no chosen op is ever lost),
// and no op is applied twice. It also records each op's history (called
// when its proposer starts on it, returned when a proposal holding it is
// chosen, answering where it landed) and checks with porcupine that the
// appends are linearizable: one order, respecting real time, explains
// every answer.
var stats struct{ runs, chosen int }

func TestSafetyUnderLossAndReordering(t *testing.T) {
	testSafety(t, false)
}

// TestSafetyWhileTheReplicaSetChanges runs the same simulation with four
// acceptors while a key's replica set changes from {0, 1, 2} to
// {1, 2, 3} (docs/serial.md, P5): each proposer counts either the old set
// alone (its ring does not show the change yet) or a majority of both
// (it does), as a node's acceptors do while a partition moves. Counting
// the new set alone instead would let two proposals be chosen apart.
func TestSafetyWhileTheReplicaSetChanges(t *testing.T) {
	testSafety(t, true)
}

func testSafety(t *testing.T, moving bool) {
	defer func() { t.Logf("%d runs, %d proposals chosen", stats.runs, stats.chosen) }()
	stats.runs, stats.chosen = 0, 0
	rapid.Check(t, func(rt *rapid.T) {
		nAcc := rapid.SampledFrom([]int{3, 5}).Draw(rt, "acceptors")
		if moving {
			nAcc = 4
		}
		nProp := rapid.IntRange(1, 4).Draw(rt, "proposers")
		acc := make([]Register, nAcc)
		props := make([]*proposer, nProp)
		var net []message
		start := func(p *proposer) {
			p.round++
			p.clock += uint64(rapid.IntRange(0, 3).Draw(rt, "clock"))
			p.ballot = Above(p.seen, uint64(p.id+1), p.clock)
			p.phase, p.accept = NewPhase(p.sets...), false
			for _, a := range p.to {
				net = append(net, message{to: a, from: p.id, kind: msgPrepare, round: p.round, ballot: p.ballot})
			}
		}
		for i := range props {
			props[i] = &proposer{id: i, ops: []byte{byte('a' + 3*i), byte('b' + 3*i), byte('c' + 3*i)}}
			props[i].sets, props[i].to = [][]string{names(nAcc)}, []int{0, 1, 2, 3, 4}[:nAcc]
			if moving {
				old, joint := [][]string{{"0", "1", "2"}}, [][]string{{"1", "2", "3"}, {"0", "1", "2"}}
				props[i].sets, props[i].to = old, []int{0, 1, 2}
				if rapid.Bool().Draw(rt, "sees the change") {
					props[i].sets, props[i].to = joint, []int{0, 1, 2, 3}
				}
			}
			props[i].op, props[i].ops = props[i].ops[0], props[i].ops[1:]
			start(props[i])
		}
		type choice struct {
			ballot Ballot
			state  []byte
		}
		var chosen []choice
		var history lincheck.History
		step := 0
		for ; step < 2000; step++ {
			if len(net) == 0 { // every message delivered or lost: the waiting proposers time out and retry
				idle := true
				for _, p := range props {
					if !p.done {
						idle = false
						start(p)
					}
				}
				if idle {
					break
				}
			}
			i := rapid.IntRange(0, len(net)-1).Draw(rt, "deliver")
			m := net[i]
			switch rapid.IntRange(0, 19).Draw(rt, "fate") {
			case 19: // lost
				net = append(net[:i], net[i+1:]...)
				continue
			case 18: // duplicated: delivered and kept
			default:
				net = append(net[:i], net[i+1:]...)
			}
			switch m.kind {
			case msgPrepare, msgAccept:
				r := acc[m.to]
				var ok bool
				if m.kind == msgPrepare {
					r, ok = r.Prepare(m.ballot)
				} else {
					r, ok = r.Accept(m.ballot, m.state)
				}
				acc[m.to] = r
				reply := message{to: m.from, from: m.to, round: m.round, ballot: r.Promised}
				switch {
				case !ok:
					reply.kind = msgRefuse
				case m.kind == msgPrepare:
					reply.kind, reply.accepted, reply.state = msgPromise, r.Accepted, r.State
				default:
					reply.kind = msgAccepted
				}
				net = append(net, reply)
			default:
				p := props[m.to]
				if p.seen.Less(m.ballot) {
					p.seen = m.ballot
				}
				if p.done || m.round != p.round {
					continue // a stale answer
				}
				from := fmt.Sprint(m.from)
				switch m.kind {
				case msgPromise:
					if !p.accept {
						p.phase.Promise(from, m.accepted, m.state)
					}
				case msgAccepted:
					if p.accept {
						p.phase.Accepted(from)
					}
				case msgRefuse:
					p.phase.Refuse(from, m.ballot)
				}
				switch p.phase.Outcome() {
				case Lost:
					start(p)
				case Won:
					if !p.accept {
						_, state := p.phase.Latest()
						next := append([]byte(nil), state...)
						if !bytes.ContainsRune(next, rune(p.op)) { // the op applies once
							next = append(next, p.op)
						}
						p.accept, p.phase = true, NewPhase(p.sets...)
						for _, a := range p.to {
							net = append(net, message{to: a, from: p.id, kind: msgAccept, round: p.round, ballot: p.ballot, state: next})
						}
						p.phase.state = next // remembered for the check below
					} else {
						state := p.phase.state
						chosen = append(chosen, choice{p.ballot, state})
						landed := state[:bytes.IndexByte(state, p.op)+1]
						history.Add(p.id, lincheck.Append{Elem: string(p.op)}, string(landed), int64(p.called), int64(step))
						if len(p.ops) == 0 {
							p.done = true
						} else {
							p.op, p.ops = p.ops[0], p.ops[1:]
							p.called = step
							start(p)
						}
					}
				}
			}
		}
		stats.runs++
		stats.chosen += len(chosen)
		if err := history.Check(lincheck.Log, 5*time.Second); err != nil {
			rt.Fatal(err)
		}
		for _, a := range chosen {
			for _, b := range chosen {
				if a.ballot.Less(b.ballot) && !bytes.HasPrefix(b.state, a.state) {
					rt.Fatalf("chosen %v=%q, then %v=%q, which lost what was chosen", a.ballot, a.state, b.ballot, b.state)
				}
			}
			seen := map[byte]bool{}
			for _, op := range a.state {
				if seen[op] {
					rt.Fatalf("op %c applied twice in %q", op, a.state)
				}
				seen[op] = true
			}
		}
	})
}

// TestPhaseCountsInOneAllocation: counting a phase of five replicas
// allocates the Phase alone (every serial command counts one or more, and
// its proposal keeps it; maps of the answers took two more allocations and
// their growth).
func TestPhaseCountsInOneAllocation(t *testing.T) {
	if raceEnabled {
		t.Skip("the race detector allocates")
	}
	sets := [][]string{{"a", "b", "c", "d", "e"}}
	allocs := testing.AllocsPerRun(50, func() {
		p := NewPhase(sets...)
		p.Accepted("a")
		p.Refuse("b", Ballot{2, 1})
		p.Accepted("c")
		p.Accepted("d")
		if p.Outcome() != Won {
			t.Fatal("three of five is a majority")
		}
		kept = p
	})
	if allocs != 1 {
		t.Errorf("%v allocations to count a phase; want 1", allocs)
	}
}

// kept holds a phase as a proposal would, so that it is on the heap.
var kept *Phase
