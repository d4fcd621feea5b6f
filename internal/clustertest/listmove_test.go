package clustertest

import (
	"strings"
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/ring"
)

// TestListMoveInACluster: LIST_MOVE within one partition moves an element
// atomically on its coordinator, and every copy gets both keys' writes (a
// read at ALL agrees); keys in different partitions are refused with the
// remedy; under SERIAL writes a move between two keys is refused, and a
// rotation of one list, a command of one key, runs on the serial path.
func TestListMoveInACluster(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl,
		"LIST_PUSH_RIGHT (7)jobs{q} (3)[(1)a(1)b(1)c]", "OK:INT 3",
		"LIST_MOVE (7)jobs{q} (8)doing{q} RIGHT LEFT", "OK:STR (1)c",
		"LIST_MOVE (7)jobs{q} (8)doing{q} LEFT RIGHT", "OK:STR (1)a",
		"LIST_MOVE (8)none{q} (8)doing{q} LEFT RIGHT", "NULL",
		"CONSISTENCY ALL ALL", "OK",
		"LIST_RANGE (7)jobs{q} 0 -1", "OK:LIST (1)[(1)b]",
		"LIST_RANGE (8)doing{q} 0 -1", "OK:LIST (2)[(1)c(1)a]",
		"CONSISTENCY QUORUM QUORUM", "OK")

	// Two keys whose partitions differ, whichever node coordinates them.
	other := "other"
	for i := 0; ring.PartitionOf([]byte(other), 64) == ring.PartitionOf([]byte("jobs{q}"), 64); i++ {
		other = "other" + strings.Repeat("x", i+1)
	}
	if got := raw(t, cl, "LIST_MOVE (7)jobs{q} "+enc(other)+" LEFT LEFT"); !strings.Contains(got, "different partitions") || !strings.Contains(got, "{tags}") {
		t.Errorf("LIST_MOVE across partitions: %q", got)
	}

	expect(t, cl, "CONSISTENCY QUORUM SERIAL", "OK")
	if got := raw(t, cl, "LIST_MOVE (7)jobs{q} (8)doing{q} LEFT LEFT"); !strings.Contains(got, "SERIAL runs one command on one key") {
		t.Errorf("LIST_MOVE of two keys at SERIAL: %q", got)
	}
	expect(t, cl,
		"LIST_MOVE (8)doing{q} (8)doing{q} LEFT RIGHT", "OK:STR (1)c",
		"LIST_RANGE (8)doing{q} 0 -1", "OK:LIST (2)[(1)a(1)c]",
		"CONSISTENCY QUORUM QUORUM", "OK",
		"LIST_RANGE (7)jobs{q} 0 -1", "OK:LIST (1)[(1)b]")
}
