package cluster

import (
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
)

// TestReadNeed: a partition counts as served once a read quorum of its
// replicas serve it (two of three), or, when fewer of its replicas are
// alive, as many as are alive, and at least one.
func TestReadNeed(t *testing.T) {
	var members []ring.Member
	for i := range 4 {
		members = append(members, ring.Member{ID: fmt.Sprintf("n%d", i), Addr: fmt.Sprintf("a%d", i)})
	}
	cases := []struct {
		replicas int
		dead     int // replicas of the partition that are not alive
		want     int
	}{
		{3, 0, 2}, {3, 1, 2}, {3, 2, 1}, {3, 3, 1}, {1, 0, 1}, {2, 0, 2}, {2, 1, 1},
	}
	for _, c := range cases {
		r, err := ring.New(members, 16, c.replicas)
		if err != nil {
			t.Fatal(err)
		}
		const p = 7
		state := map[string]gossip.State{}
		for _, m := range members {
			state[m.ID] = gossip.Alive
		}
		for k, i := range r.Replicas(p) {
			if k < c.dead {
				state[r.Member(int(i)).ID] = gossip.Failed
			}
		}
		if got := readNeed(r, p, state); got != c.want {
			t.Errorf("%d replicas, %d of them dead: need %d, want %d", c.replicas, c.dead, got, c.want)
		}
	}
	if readNeed(nil, 0, nil) != 1 {
		t.Error("no ring yet: one owner is enough")
	}
}
