package clustertest

import (
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// TestSetScanAcrossRouters: a SET_SCAN's cursor is a member's hash, the
// same on every copy, so a scan whose pages alternate between two routers
// (and so may be answered from different coordinators' joined copies)
// returns every member exactly once, with no state kept by either router.
func TestSetScanAcrossRouters(t *testing.T) {
	c := New(t, 3, 2, Options{Replicas: 3})
	c.WaitReplicated(3)
	routers := []*client.Client{dial(t, c.Routers[0].Addr, client.Options{}), dial(t, c.Routers[1].Addr, client.Options{})}
	var members []string
	for i := range 500 {
		members = append(members, fmt.Sprintf("member-%d", i))
	}
	if r, err := routers[0].Do("SET_ADD", "big", client.SetOf(members)); err != nil || r.Value.Int != 500 {
		t.Fatalf("SET_ADD of 500: %v, %v", client.Format(r), err)
	}
	seen := map[string]int{}
	cursor, pages := int64(0), 0
	for {
		r, err := routers[pages%2].Do("SET_SCAN", "big", cursor, "", 7)
		if err != nil || r.Status != proto.StatusOK || len(r.Value.Elems) != 2 {
			t.Fatalf("SET_SCAN page %d from %d through router %d: %v, %v", pages, cursor, pages%2, client.Format(r), err)
		}
		for _, m := range r.Value.Elems[1].Strs {
			seen[string(m)]++
		}
		pages++
		if cursor = r.Value.Elems[0].Int; cursor == 0 {
			break
		}
	}
	if len(seen) != 500 || pages < 2 {
		t.Errorf("%d distinct members in %d pages, want 500 in several", len(seen), pages)
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("%s returned %d times", m, n)
		}
	}
}
