package clustertest

import (
	"log/slog"
	"testing"
	"time"

	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/storage"
)

// TestCompactStampsWaitForEveryNode: nodes write compact stamps (fewer
// bytes in every log, snapshot and replica call) only while every node of
// their cluster reads them. A member gossiping as a node of an older
// version does (no stamps tag) turns them off; they stay off after it
// leaves, while gossip still lists it (it hands its partitions over after
// it has left).
func TestCompactStampsWaitForEveryNode(t *testing.T) {
	c := New(t, 2, 0, Options{Replicas: 2})
	defer c.Close()
	waitFor(t, "compact stamps", storage.CompactStamps)

	older, err := gossip.Start(gossip.Config{Name: "older-node", Role: gossip.RoleNode, BindAddr: FreeAddr(t),
		RPCAddr: "127.0.0.1:1", Join: []string{c.Seed()}, Secret: c.secret, Fast: true,
		Tags: gossip.Shape{Partitions: c.opts.Partitions, Replicas: 2}.Tags(), Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "full stamps beside an older node", func() bool { return !storage.CompactStamps() })

	if err := older.Leave(); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the older node's leave seen", func() bool {
		return c.Nodes[0].Service.MemberState("older-node") == gossip.Left.String()
	})
	// Reconciles run every 500 ms and on every change: through four of
	// them, the nodes keep full stamps.
	for end := time.Now().Add(2 * time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		if storage.CompactStamps() {
			t.Fatal("compact stamps while a node that left may still be handing its partitions over")
		}
	}
	older.Shutdown()
}
