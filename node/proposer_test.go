package node

import (
	"errors"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
)

// fakeAcceptor answers every phase at once with its vote or error.
type fakeAcceptor struct {
	name string
	vote rpc.Vote
	err  error
}

func (f fakeAcceptor) Name() string { return f.name }
func (f fakeAcceptor) Phase(_ rpc.Kind, _ *rpc.Phase, _ time.Duration, done func(rpc.Vote, error)) {
	done(f.vote, f.err)
}

// TestPeekNeedsAMajority: a read's peek answers only from a proposal a
// majority of the acceptors report as their latest, whatever order the
// answers come in, and gives up (the read then prepares) when no
// majority agrees.
func TestPeekNeedsAMajority(t *testing.T) {
	at := func(name string, time uint64, state string) fakeAcceptor {
		return fakeAcceptor{name: name, vote: rpc.Vote{Yes: true, Time: time, Actor: 1, State: []byte(state)}}
	}
	down := fakeAcceptor{name: "down", err: errors.New("unreachable")}
	m := &rpc.Phase{Key: []byte("k")}
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
		state, ok := peek(tc.accs, m, time.Now().Add(time.Second))
		if ok != tc.ok || string(state) != tc.state {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, state, ok, tc.state, tc.ok)
		}
	}
}
