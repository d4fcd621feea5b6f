package clustertest

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/router/cluster"
)

// TestPartitionCountMismatch: keys hash to partitions modulo the count, so
// a member with another count would place them elsewhere. A node started
// with another count than its cluster's does not start, and says which
// flag fixes it; a router with another count routes to no such node, and
// logs why, once.
func TestPartitionCountMismatch(t *testing.T) {
	c := New(t, 1, 0, Options{Partitions: 64})
	defer c.Close()

	snap := filepath.Join(t.TempDir(), "vanity.db")
	svc, err := node.StartService(node.ServiceConfig{
		Node: node.Config{Partitions: 32, SnapshotPath: snap, WALDir: node.WALPath(snap)},
		Name: "stranger", RPCAddr: "127.0.0.1:0", GossipAddr: FreeAddr(t), Join: []string{c.Seed()},
		Secret: c.secret, Fast: true, Logger: slog.New(slog.DiscardHandler),
	})
	if err == nil {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		svc.Run(ctx)
		t.Fatal("a node with 32 partitions joined a cluster of 64")
	}
	if !errors.Is(err, gossip.ErrPartitions) || !strings.Contains(err.Error(), "--partitions 64") {
		t.Fatalf("node start: %v, want %v naming --partitions 64", err, gossip.ErrPartitions)
	}

	h := &countingHandler{counts: map[string]int{}}
	b, err := cluster.Start(cluster.Config{Name: "router-32", GossipAddr: FreeAddr(t), RPCAddr: "127.0.0.1:0",
		Join: []string{c.Seed()}, Secret: c.secret, Partitions: 32, Replicas: 1, Fast: true, Logger: slog.New(h)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		b.Run(ctx)
	}()
	defer func() {
		cancel()
		<-done
	}()
	logged := func() int {
		h.mu.Lock()
		defer h.mu.Unlock()
		return h.counts["a node is not routed to"]
	}
	for deadline := time.Now().Add(30 * time.Second); logged() == 0; {
		if time.Now().After(deadline) {
			t.Fatal("the router with 32 partitions never said why it does not route to the node")
		}
		b.Ready()                         // refreshes the routing table from gossip
		time.Sleep(10 * time.Millisecond) // polling gossip
	}
	if err := b.Ready(); err == nil {
		t.Error("the router with 32 partitions is ready to route to a node of 64")
	}
	if n := logged(); n != 1 {
		t.Errorf("the mismatch was logged %d times, want once", n)
	}
}
