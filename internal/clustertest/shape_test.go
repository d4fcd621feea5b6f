package clustertest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/router/cluster"
)

// TestShapeMismatch: keys hash to partitions modulo the count, and copies
// and quorums follow the replica count, so a member with another count
// would place keys elsewhere or count quorums of another size. A node
// started with another count than its cluster's does not start, and says
// which flag fixes it; a router with another count routes to no such node,
// and logs why, once; a router given no counts takes the nodes'.
func TestShapeMismatch(t *testing.T) {
	c := New(t, 1, 0, Options{Partitions: 64, Replicas: 1})
	defer c.Close()

	for _, tc := range []struct {
		partitions, replicas int
		flag                 string
	}{{32, 1, "--partitions 64"}, {64, 2, "--replicas 1"}} {
		snap := filepath.Join(t.TempDir(), "vanity.db")
		svc, err := node.StartService(node.ServiceConfig{
			Node: node.Config{Partitions: tc.partitions, SnapshotPath: snap, WALDir: node.WALPath(snap)},
			Name: "stranger", RPCAddr: "127.0.0.1:0", GossipAddr: FreeAddr(t), Join: []string{c.Seed()},
			Replicas: tc.replicas, Secret: c.secret, Fast: true, Logger: slog.New(slog.DiscardHandler),
		})
		if err == nil {
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			svc.Run(ctx)
			t.Fatalf("a node of %d partitions and %d replicas joined a cluster of 64 and 1", tc.partitions, tc.replicas)
		}
		if !errors.Is(err, gossip.ErrShape) || !strings.Contains(err.Error(), tc.flag) {
			t.Fatalf("node start: %v, want %v naming %s", err, gossip.ErrShape, tc.flag)
		}
	}

	router := func(t *testing.T, partitions, replicas int) (*cluster.Backend, *countingHandler) {
		h := &countingHandler{counts: map[string]int{}}
		b, err := cluster.Start(cluster.Config{Name: fmt.Sprintf("router-%d-%d", partitions, replicas), GossipAddr: FreeAddr(t),
			RPCAddr: "127.0.0.1:0", Join: []string{c.Seed()}, Secret: c.secret, Partitions: partitions, Replicas: replicas,
			Fast: true, Logger: slog.New(h)})
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			b.Run(ctx)
		}()
		t.Cleanup(func() {
			cancel()
			<-done
		})
		return b, h
	}
	for _, tc := range []struct{ partitions, replicas int }{{32, 1}, {64, 3}} {
		t.Run(fmt.Sprintf("router %d partitions %d replicas", tc.partitions, tc.replicas), func(t *testing.T) {
			b, h := router(t, tc.partitions, tc.replicas)
			logged := func() int {
				h.mu.Lock()
				defer h.mu.Unlock()
				return h.counts["a node is not routed to"]
			}
			for deadline := time.Now().Add(30 * time.Second); logged() == 0; {
				if time.Now().After(deadline) {
					t.Fatal("the router never said why it does not route to the node")
				}
				b.Ready()                         // refreshes the routing table from gossip
				time.Sleep(10 * time.Millisecond) // polling gossip
			}
			if err := b.Ready(); err == nil {
				t.Error("the router is ready to route to a node of another shape")
			}
			if n := logged(); n != 1 {
				t.Errorf("the mismatch was logged %d times, want once", n)
			}
		})
	}
	t.Run("router of no shape", func(t *testing.T) {
		b, _ := router(t, 0, 0)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		// The users are a key read at QUORUM through the routes.
		if _, err := b.WaitUsers(ctx, 1); err != nil {
			t.Fatal(err)
		}
		if b.Partitions() != 64 {
			t.Errorf("the router routes by %d partitions, want the node's 64", b.Partitions())
		}
		fields, err := b.Describe(ctx)
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for _, f := range fields {
			got[f.Name] = f.Value
		}
		if got["partitions"] != "64" || got["replicas"] != "1" {
			t.Errorf("INFO says %s partitions and %s replicas, want the node's 64 and 1", got["partitions"], got["replicas"])
		}
	})
}
