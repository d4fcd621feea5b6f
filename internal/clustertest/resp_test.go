package clustertest

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/resptest"
	"github.com/vanitydb/vanity/ring"
)

// serveRESP gives router i a RESP listener and returns its address.
func (c *Cluster) serveRESP(t *testing.T, i int) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- c.Routers[i].Server.ServeRESP(l) }()
	t.Cleanup(func() {
		l.Close()
		if err := <-done; err != nil && !errors.Is(err, net.ErrClosed) {
			t.Errorf("ServeRESP: %v", err)
		}
	})
	return l.Addr().String()
}

// TestRESPThroughRouters runs Redis's clients and tools against routers
// in front of three nodes holding three copies of each partition: the
// commands whose keys fall on different partitions (DEL, EXISTS, MSET,
// MGET, set algebra, SCAN) included, and pub/sub across two routers.
func TestRESPThroughRouters(t *testing.T) {
	c := New(t, 3, 2, Options{Replicas: 3})
	c.WaitReplicated(3) // every copy in: a QUORUM read needs two complete ones
	addr, other := c.serveRESP(t, 0), c.serveRESP(t, 1)
	resptest.All(t, addr, other)
	t.Run("wait", func(t *testing.T) { resptest.Wait(t, addr, 3) })
}

// TestFreshClusterReadsAtQuorum: once a new cluster's routers are ready,
// a QUORUM read of any partition succeeds. A router used to count a
// partition served when its first owner served it, while the other
// replicas were still copying it in, so for the first seconds reads
// answered "unavailable: 1 of 2 replicas answered" (CI met it).
func TestFreshClusterReadsAtQuorum(t *testing.T) {
	// 1,024 partitions, as in production: copying them in takes long
	// enough that the window shows.
	c := New(t, 3, 1, Options{Replicas: 3, Partitions: 1024})
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	seen := map[int]bool{}
	for i := 0; len(seen) < c.opts.Partitions; i++ {
		k := "fresh" + strconv.Itoa(i)
		if p := ring.PartitionOf([]byte(k), c.opts.Partitions); !seen[p] {
			seen[p] = true
			if got := raw(t, cl, "GET ("+strconv.Itoa(len(k))+")"+k); got != "NULL" {
				t.Fatalf("GET of %s (partition %d) in a fresh cluster: %s", k, p, got)
			}
		}
	}
}

// TestRESPWithANodeDown sends AsRedis's script (Redis's own answers,
// frame by frame) through a router while one node of three is down, each
// node in turn, every partition on all three: at QUORUM the two others
// answer, whichever of them coordinated the keys, and every command
// answers as a redis-server does. Some of the script's keys are serial
// after a run (INCRBYFLOAT of an INT runs on the serial path, which
// leaves a promise), so later writes to them take that path, which counts
// a restarted node's copies only once the others see it serving again:
// the next node stops only once none sees a partition moving, as
// docs/cluster.md's rolling restart says.
func TestRESPWithANodeDown(t *testing.T) {
	resptest.NeedRedis(t)
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	addr := c.serveRESP(t, 0)
	for i := range c.Nodes {
		t.Run(c.Nodes[i].Name+" down", func(t *testing.T) {
			// Empty the script's databases while every node is up (a
			// cluster with a node down refuses FLUSHDB, which would miss
			// that node's partitions).
			for _, db := range []int{9, 10} {
				cl := resptest.Client(t, addr, 2, db)
				for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
					err := cl.FlushDB(context.Background()).Err()
					if err == nil {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("FLUSHDB of database %d with every node up: %v", db, err)
					}
				}
			}
			c.StopNode(i)
			resptest.AsRedis(t, addr)
			c.RestartNode(i)
			c.WaitReady(i)
			c.WaitSettled() // the next subtest stops another node
		})
	}
}

// TestRESPAcrossNodeStops runs random scripts (resptest.AsRedisAcrossRestarts)
// through a router in front of three nodes holding three copies of each
// partition, with one node stopped for every 300 commands in turn: the
// script goes on with it down (QUORUM reads and writes on the two
// others), then it comes back on its data and, once it is ready and
// nothing moves, the next one stops. After each stop and start every key
// is compared with redis-server's.
func TestRESPAcrossNodeStops(t *testing.T) {
	resptest.NeedRedis(t)
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	addr := c.serveRESP(t, 0)
	down, next := -1, 0
	restart := func(last bool) string {
		if down >= 0 {
			c.RestartNode(down)
			c.WaitReady(down)
			c.WaitSettled()
			down = -1
		}
		if !last {
			down, next = next, (next+1)%len(c.Nodes)
			c.StopNode(down)
		}
		return addr
	}
	for seed := range uint64(2) {
		t.Run(strconv.FormatUint(seed, 10), func(t *testing.T) {
			resptest.AsRedisAcrossRestarts(t, addr, resptest.Restarts{Restart: restart, Every: 300}, seed, 1800)
		})
	}
}

// TestSaveWithANodeDown: SAVE (PERSIST) needs every node's snapshot; with
// one node stopped it answers that the cluster is unavailable and which
// node, before and after gossip sees it down, never an internal error.
func TestSaveWithANodeDown(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := resptest.Client(t, c.serveRESP(t, 0), 2, 0)
	ctx := context.Background()
	if err := cl.Save(ctx).Err(); err != nil {
		t.Fatalf("SAVE with every node up: %v", err)
	}
	c.StopNode(1)
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		err := cl.Save(ctx).Err()
		if err == nil || !strings.HasPrefix(err.Error(), "ERR unavailable: ") {
			t.Fatalf("SAVE with a node down: %v, want ERR unavailable: ...", err)
		}
		if strings.Contains(err.Error(), "down; their partitions would be missed") {
			break // gossip saw it
		}
		if time.Now().After(deadline) {
			t.Fatalf("gossip did not see the node down within 30 s: %v", err)
		}
	}
	c.RestartNode(1)
	c.WaitReady(1)
}
