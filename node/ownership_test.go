package node

import (
	"context"
	"slices"
	"testing"

	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring/gossip"
)

// TestClaimsAndSources: each partition's claims list its holders in the
// members' order, with the state each counts with; a partition's source is
// one of its live holders, partitions taking them in turn, and a failed
// holder is waited for, never copied from.
func TestClaimsAndSources(t *testing.T) {
	others := []gossip.Member{{Name: "a", RPC: "A"}, {Name: "b", RPC: "B"}, {Name: "c", RPC: "C"}}
	helds := [][]bool{
		{true, true, true, false},
		{true, true, false, false},
		{true, false, true, true},
	}
	states := []gossip.State{gossip.Alive, gossip.Alive, gossip.Failed}
	claims := gatherClaims(others, helds, states, 4)
	want := [][]claim{
		{{"A", gossip.Alive}, {"B", gossip.Alive}, {"C", gossip.Failed}},
		{{"A", gossip.Alive}, {"B", gossip.Alive}},
		{{"A", gossip.Alive}, {"C", gossip.Failed}},
		{{"C", gossip.Failed}},
	}
	for p := range want {
		if !slices.Equal(claims[p], want[p]) {
			t.Errorf("claims of partition %d: %v, want %v", p, claims[p], want[p])
		}
	}
	// Partitions 0 and 1 have the same two live holders: they take one
	// each.
	src0, waiting0 := source(0, claims[0])
	src1, waiting1 := source(1, claims[1])
	if src0 == src1 || !slices.Contains([]string{"A", "B"}, src0) || !slices.Contains([]string{"A", "B"}, src1) {
		t.Errorf("sources of partitions 0 and 1: %q and %q, want A and B once each", src0, src1)
	}
	if !waiting0 || waiting1 {
		t.Errorf("waiting for a failed holder: partition 0 %v (held by one), 1 %v (not)", waiting0, waiting1)
	}
	if src, _ := source(2, claims[2]); src != "A" {
		t.Errorf("partition 2: source %q, want its one live holder A", src)
	}
	if src, waiting := source(3, claims[3]); src != "" || !waiting {
		t.Errorf("partition 3, held by a failed node alone: source %q waiting %v, want none, waiting", src, waiting)
	}
	if src, waiting := source(0, nil); src != "" || waiting {
		t.Errorf("a partition nobody holds: source %q waiting %v", src, waiting)
	}
}

// countingCopy counts the digests a copy is asked for.
type countingCopy struct {
	replication.Copy
	digests int
}

func (c *countingCopy) Digest(context.Context, int, uint64, uint64) (replication.Digest, error) {
	c.digests++
	return replication.Digest{Root: uint64(c.digests)}, nil
}

// TestHandOverDigestsOnce: the hand-over's syncs, one per peer, share one
// digest of the copy, taken again after a sync joined a peer's states in.
func TestHandOverDigestsOnce(t *testing.T) {
	c := &countingCopy{}
	local := &digestOnce{Copy: c}
	for range 2 {
		if d, err := local.Digest(context.Background(), 7, 0, 0); err != nil || d.Root != 1 {
			t.Fatalf("digest: %v %v", d, err)
		}
		local.synced(replication.SyncResult{Out: 10}) // sent, took nothing
	}
	if c.digests != 1 {
		t.Fatalf("%d digests taken for two syncs that changed nothing here, want 1", c.digests)
	}
	local.synced(replication.SyncResult{In: 10})
	if d, _ := local.Digest(context.Background(), 7, 0, 0); d.Root != 2 || c.digests != 2 {
		t.Fatalf("after a peer's states came in: root %d after %d digests, want a second digest", d.Root, c.digests)
	}
}
