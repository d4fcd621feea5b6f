package node

import (
	"slices"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/ring"
)

// TestAcceptorsJoinTheOldSetWhileAPartitionMoves: a partition's serial
// phases need a majority of its replica set by the ring and, while its
// holders (by the last claims) are other nodes, a majority of those too,
// every member of both asked (docs/serial.md, P5). Counting the ring's
// set alone, a proposer could choose with the new replicas while another,
// whose ring is older, chooses with the old ones.
func TestAcceptorsJoinTheOldSetWhileAPartitionMoves(t *testing.T) {
	n := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	s := &Service{cfg: ServiceConfig{Name: "n1"}, node: n, peers: map[string]*rpc.Client{}}
	var ms []ring.Member
	for _, name := range []string{"n1", "n2", "n3", "n4"} {
		ms = append(ms, ring.Member{ID: name, Addr: name + ":1"})
	}
	r, err := ring.New(ms, 8, 3)
	if err != nil {
		t.Fatal(err)
	}
	s.ring.Store(r)
	// A partition this node is a replica of, and the member outside its set.
	p, out := -1, ""
	for q := range 8 {
		var names []string
		for _, i := range r.Replicas(q) {
			names = append(names, r.Member(int(i)).ID)
		}
		if slices.Contains(names, "n1") {
			p = q
			for _, m := range ms {
				if !slices.Contains(names, m.ID) {
					out = m.ID
				}
			}
			break
		}
	}
	names := func(accs []acceptor) []string {
		var ns []string
		for _, a := range accs {
			ns = append(ns, a.Name())
		}
		slices.Sort(ns)
		return ns
	}
	accs, sets := s.acceptors(p)
	ring := slices.Clone(sets[0])
	slices.Sort(ring)
	if len(sets) != 1 || len(ring) != 3 || !slices.Equal(names(accs), ring) {
		t.Fatalf("no claims yet: sets %v, acceptors %v; want the ring's set alone", sets, names(accs))
	}
	// The holders are the ring's set, in another order: one set.
	var same []holder
	for _, name := range slices.Backward(ring) {
		same = append(same, holder{name: name, rpc: name + ":1"})
	}
	s.holders.Store(holdersOf(8, p, same))
	if _, sets := s.acceptors(p); len(sets) != 1 {
		t.Fatalf("holders = replicas: sets %v; want one", sets)
	}
	if m := s.Moving(); m != 0 {
		t.Errorf("holders = replicas: Moving() = %d, want 0", m)
	}
	// The partition is moving in from the member outside the set (a
	// replica of the set copies it, so another holder leaves).
	var old []holder
	for _, name := range ring {
		if name != "n1" {
			old = append(old, holder{name: name, rpc: name + ":1"})
			break
		}
	}
	old = append(old, holder{name: "n1"}, holder{name: out, rpc: out + ":1"})
	s.holders.Store(holdersOf(8, p, old))
	accs, sets = s.acceptors(p)
	if len(sets) != 2 || !slices.Contains(names(accs), out) || len(accs) != 4 {
		t.Fatalf("moving: sets %v, acceptors %v; want the holders as a second set, %s asked", sets, names(accs), out)
	}
	if m := s.Moving(); m != 1 {
		t.Errorf("one partition's holders are not its replicas: Moving() = %d, want 1", m)
	}
	// A majority of the new set alone does not do; one of each does.
	prop := &proposal{sets: sets}
	var fresh string // in the ring's set, not a holder
	for _, name := range ring {
		if !slices.ContainsFunc(old, func(h holder) bool { return h.name == name }) {
			fresh = name
		}
	}
	newOnly, joint := []string{"n1", fresh}, []string{"n1", old[0].name}
	if prop.majority(newOnly) || !prop.majority(joint) {
		t.Errorf("majority(%v) = %v, majority(%v) = %v; want false, true", newOnly, prop.majority(newOnly), joint, prop.majority(joint))
	}
}

// holdersOf is the holders of parts partitions where partition p has
// hs, the others none.
func holdersOf(parts, p int, hs []holder) *partHolders {
	h := &partHolders{of: make([][]holder, parts)}
	h.of[p] = hs
	return h
}

// TestAcceptorsAreBuiltOncePerRing: every serial command asks for its
// partition's acceptors; they are built at the first ask after the ring
// changed and shared after it (an ask allocated four times), a moving
// partition's extra holders do not leak into what is shared, and a new
// ring gets its own.
func TestAcceptorsAreBuiltOncePerRing(t *testing.T) {
	n := newNode(t, Config{Partitions: 8, KeepTombstones: true})
	s := &Service{cfg: ServiceConfig{Name: "n1"}, node: n, peers: map[string]*rpc.Client{}}
	ringOf := func(names ...string) *ring.Ring {
		var ms []ring.Member
		for _, name := range names {
			ms = append(ms, ring.Member{ID: name, Addr: name + ":1"})
		}
		r, err := ring.New(ms, 8, 3)
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	s.ring.Store(ringOf("n1", "n2", "n3"))
	first, _ := s.acceptors(0)
	if allocs := testing.AllocsPerRun(20, func() { s.acceptors(0) }); allocs != 0 && !raceEnabled {
		t.Errorf("asking again allocates %v times; want 0", allocs)
	}
	s.holders.Store(holdersOf(8, 0, []holder{{name: "n1"}, {name: "n2", rpc: "n2:1"}, {name: "n9", rpc: "n9:1"}}))
	if accs, sets := s.acceptors(0); len(accs) != 4 || len(sets) != 2 {
		t.Fatalf("moving: %d acceptors, %d sets; want 4 and 2", len(accs), len(sets))
	}
	s.holders.Store(nil)
	if accs, sets := s.acceptors(0); len(accs) != 3 || len(sets) != 1 || &accs[0] != &first[0] {
		t.Fatalf("after the move: %d acceptors, %d sets, shared %v; want the 3 shared before", len(accs), len(sets), &accs[0] == &first[0])
	}
	s.ring.Store(ringOf("n1", "n2", "n4"))
	accs, sets := s.acceptors(0)
	if !slices.Contains(sets[0], "n4") || slices.Contains(sets[0], "n3") || len(accs) != 3 {
		t.Errorf("a new ring: set %v; want n1, n2, n4", sets[0])
	}
}
