package clustertest

import (
	"strings"
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/ring"
)

// TestBitOpInACluster: STR_BIT_OP_INTO of keys in one partition runs
// atomically on their coordinator and every copy gets the destination
// (a read at ALL agrees); keys in different partitions are refused with
// the remedy.
func TestBitOpInACluster(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl,
		"SET:STR (4)a{b} (3)abc", "OK",
		"SET:STR (4)b{b} (2)AB", "OK",
		"STR_BIT_OP_INTO (4)d{b} OR (2)[(4)a{b}(4)b{b}]", "OK:INT 3",
		"STR_BIT_OP_INTO (4)e{b} NOT (1)[(4)a{b}]", "OK:INT 3",
		"CONSISTENCY ALL ALL", "OK",
		"GET (4)d{b}", "OK:STR (3)abc",
		"STR_BIT_COUNT (4)e{b} 0 -1 BYTE", "OK:INT 14",
		"CONSISTENCY QUORUM QUORUM", "OK")
	other := "other"
	for i := 0; ring.PartitionOf([]byte(other), 64) == ring.PartitionOf([]byte("a{b}"), 64); i++ {
		other = "other" + strings.Repeat("x", i+1)
	}
	if got := raw(t, cl, "STR_BIT_OP_INTO (4)d{b} AND (2)[(4)a{b}"+enc(other)+"]"); !strings.Contains(got, "different partitions") || !strings.Contains(got, "{tags}") {
		t.Errorf("STR_BIT_OP_INTO across partitions: %q", got)
	}
}
