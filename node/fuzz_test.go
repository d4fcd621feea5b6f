package node

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/storage/vfs"
	"github.com/vanitydb/vanity/storage/wal"
)

// FuzzApplyReplicas feeds any replicate-many payload (what a coordinator
// sends its replicas) to a node: it is refused or applied, never a crash,
// and the node still serves and restarts on what it logged.
func FuzzApplyReplicas(f *testing.F) {
	src := newNode(f, Config{Partitions: 8, KeepTombstones: true})
	p := 3
	var key, list string
	for i := 0; key == "" || list == ""; i++ {
		k := fmt.Sprintf("(%d)k%d", len(fmt.Sprint(i))+1, i)
		if src.partitionOf([]byte(k[strings.IndexByte(k, ')')+1:])) != p {
			continue
		}
		if key == "" {
			key = k
		} else {
			list = k
		}
	}
	f.Add(appendStoreItems(nil, []replication.Item{{Partition: p,
		Deltas: writesOf(f, src, p, "SET:STR "+key+" (1)v", "LIST_PUSH_LEFT "+list+" (1)[(1)a]", "DEL "+key)}}))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, payload []byte) {
		m := vfs.NewMem()
		n := durableNode(t, m, wal.SyncAlways)
		var sb storeBatch
		if err := sb.decode(payload); err == nil {
			_ = n.ApplyReplicas(sb.parts, sb.deltas)
		}
		if got := do(t, n, 0, "SET:STR (1)z (1)1"); got != "OK" {
			t.Fatalf("after the payload: %q", got)
		}
		n.Close()
		r := durableNode(t, m, wal.SyncAlways)
		if got := do(t, r, 0, "GET (1)z"); got != "OK:STR (1)1" {
			t.Fatalf("after a restart: %q", got)
		}
	})
}
