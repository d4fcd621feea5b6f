package node

import (
	"testing"

	"github.com/vanitydb/vanity/replication"
)

func TestStoreBatchRejectsMalformed(t *testing.T) {
	good := appendStoreItems(nil, []replication.Item{{Partition: 3, Deltas: []byte("abc")}, {Partition: 4}})
	var sb storeBatch
	if err := sb.decode(good); err != nil || len(sb.parts) != 2 || sb.parts[0] != 3 || string(sb.deltas[0]) != "abc" {
		t.Fatalf("round trip: %v %q %v", sb.parts, sb.deltas, err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-2],
		"trailing":  append(append([]byte{}, good...), 0),
		"huge part": appendStoreItems(nil, []replication.Item{{Partition: MaxClusterPartitions + 1}}),
		"no part":   {1, 0},
	} {
		if err := sb.decode(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
