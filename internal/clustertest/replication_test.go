package clustertest

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// replicatedWorkload writes unique keys and increments a counter through
// addr from several clients until stop, recording what was acknowledged.
type replicatedWorkload struct {
	mu     sync.Mutex
	keys   map[string]bool
	incrs  int
	unsure int
	errs   []string
}

func (w *replicatedWorkload) run(t *testing.T, addr string, clients int, stop <-chan struct{}) *sync.WaitGroup {
	var wg sync.WaitGroup
	for i := 0; i < clients; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			cl, err := client.Dial(addr, client.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer cl.Close()
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				key := fmt.Sprintf("w%d-%d", i, n)
				w.mu.Lock()
				w.unsure++ // the increment, until its reply says OK
				w.mu.Unlock()
				// Odd clients pipeline the pair (the router sends it as one
				// exec-many per node), even ones send one at a time.
				replies, err := send(cl, i%2 == 1, "SET:STR "+enc(key)+" (1)v", "INCR_INT (7)counter 1")
				if err != nil {
					t.Error(err)
					return
				}
				w.mu.Lock()
				if strings.HasPrefix(replies[0], "OK") {
					w.keys[key] = true
				} else if len(w.errs) < 5 {
					w.errs = append(w.errs, replies[0])
				}
				if strings.HasPrefix(replies[1], "OK") {
					w.incrs++
					w.unsure--
				}
				w.mu.Unlock()
			}
		}(i)
	}
	return &wg
}

// send sends requests one at a time, or all at once (pipelined).
func send(cl *client.Client, pipelined bool, reqs ...string) ([]string, error) {
	var out []string
	if !pipelined {
		for _, q := range reqs {
			p, err := cl.Raw([]byte(q))
			if err != nil {
				return nil, err
			}
			out = append(out, string(p))
		}
		return out, nil
	}
	for _, q := range reqs {
		if err := cl.Send([]byte(q)); err != nil {
			return nil, err
		}
	}
	if err := cl.Flush(); err != nil {
		return nil, err
	}
	for range reqs {
		p, err := cl.Receive()
		if err != nil {
			return nil, err
		}
		out = append(out, string(p))
	}
	return out, nil
}

func (w *replicatedWorkload) acked() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.keys)
}

// readBack checks that every acknowledged key reads back through cl.
func (w *replicatedWorkload) readBack(t *testing.T, cl *client.Client, when string) {
	t.Helper()
	for k := range w.keys {
		rep, err := cl.Get(k)
		if err != nil || rep.Status != proto.StatusOK {
			t.Fatalf("%s after %s: %v %s", k, when, err, client.Format(rep))
		}
	}
}

// heldBy counts the partitions node name holds.
func heldBy(c *Cluster, name string) int {
	n := 0
	for _, hs := range c.Holders() {
		for _, h := range hs {
			if h == name {
				n++
			}
		}
	}
	return n
}

// waitFor polls cond (the workload's progress) until it holds or 60 s pass.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond) // polling the workload's progress
	}
}

// TestReplicatedWritesSurviveANodeCrash: three nodes, every partition on
// all three, QUORUM reads and writes. One node stops abruptly while
// clients write; the others take over its partitions at once (no
// rebalancing: they hold them already), every acknowledged write reads
// back, and the counter equals the acknowledged increments.
func TestReplicatedWritesSurviveANodeCrash(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	if !c.Nodes[0].Service.Node().KeepsTombstones() {
		t.Fatal("a replicated node drops tombstones: late deltas could resurrect removed elements")
	}
	w, stop, wg := startWorkload(t, c, 300)
	c.StopNode(0)
	w.stopAfter(t, 300, " after the crash", stop, wg)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	keys := make([]string, 0, len(w.keys))
	for k := range w.keys {
		keys = append(keys, k)
	}
	for from := 0; from < len(keys); from += 200 {
		batch := keys[from:min(from+200, len(keys))]
		rep, err := cl.ManyGet(batch...)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range rep.Value.Elems {
			if v.Type != proto.TypeStr {
				t.Fatalf("acknowledged key %s lost after the crash: %s", batch[i], client.Format(rep))
			}
		}
	}
	rep, err := cl.Get("counter")
	if err != nil || rep.Status != proto.StatusOK {
		t.Fatalf("counter: %v %s", err, client.Format(rep))
	}
	if got := int(rep.Value.Int); got < w.incrs || got > w.incrs+w.unsure {
		t.Fatalf("counter %d, acknowledged increments %d (+%d unsure)", got, w.incrs, w.unsure)
	}
	t.Logf("%d acknowledged writes and %d increments across the crash, 0 lost; errors seen: %s",
		len(keys), w.incrs, strings.Join(w.errs, "; "))
}

// TestRestartedReplicaCatchesUp: a replica that was down while clients
// wrote gets what it missed from the hints its peers kept, so that once
// the others are stopped it alone (reads at ONE) serves every
// acknowledged write.
func TestRestartedReplicaCatchesUp(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	w := writeWhileDown(t, c, 2, 300)
	c.RestartNode(2)
	// The hints are delivered within a few of the peers' rounds.
	for _, i := range []int{0, 1} {
		hs := c.Nodes[i].Service.Hints()
		waitFor(t, "hints delivered", func() bool { return hs.Pending(c.Nodes[2].Name) == 0 })
	}
	c.StopNode(0)
	c.StopNode(1)
	w.readAlone(t, c.Routers[0].Addr)
}

// startWorkload starts the workload's 4 clients on the first router and
// waits until n writes are acknowledged.
func startWorkload(t *testing.T, c *Cluster, n int) (*replicatedWorkload, chan struct{}, *sync.WaitGroup) {
	t.Helper()
	w := &replicatedWorkload{keys: map[string]bool{}}
	stop := make(chan struct{})
	wg := w.run(t, c.Routers[0].Addr, 4, stop)
	waitFor(t, fmt.Sprintf("%d acknowledged writes", n), func() bool { return w.acked() >= n })
	return w, stop, wg
}

// stopAfter lets the workload get n more writes acknowledged, then stops
// it and waits for its clients.
func (w *replicatedWorkload) stopAfter(t *testing.T, n int, what string, stop chan struct{}, wg *sync.WaitGroup) {
	t.Helper()
	before := w.acked()
	waitFor(t, fmt.Sprintf("%d more acknowledged writes%s", n, what), func() bool { return w.acked() >= before+n })
	close(stop)
	wg.Wait()
}

// readAlone reads every acknowledged key at ONE, with one node left
// running: that node must hold every write by itself.
func (w *replicatedWorkload) readAlone(t *testing.T, router string) {
	t.Helper()
	cl := dial(t, router, client.Options{})
	expect(t, cl, "CONSISTENCY ONE ONE", "OK")
	for k := range w.keys {
		deadline := time.Now().Add(30 * time.Second)
		for {
			rep, err := cl.Get(k)
			if err != nil {
				t.Fatal(err)
			}
			if rep.Status == proto.StatusOK {
				break
			}
			if rep.Status == proto.StatusNull || time.Now().After(deadline) {
				t.Fatalf("%s on the remaining replica alone: %s", k, client.Format(rep))
			}
			time.Sleep(20 * time.Millisecond) // the router learns the others are down
		}
	}
}

// TestRestartedReplicaCatchesUpWithoutHints: with hints and the periodic
// anti-entropy sweep off, a replica that was down during writes catches up
// when it restarts (a digest sync of each partition with a live peer)
// before it serves again; with its peers stopped it then serves every
// acknowledged write by itself at ONE.
func TestRestartedReplicaCatchesUpWithoutHints(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3, MaxHints: -1, AntiEntropy: -1})
	c.WaitReplicated(3)
	w := writeWhileDown(t, c, 2, 300)
	if got := c.Nodes[0].Service.Hints(); got != nil {
		t.Fatal("hints are on; the test would not show the catch-up at work")
	}
	c.RestartNode(2)
	// Until it has caught up, the node serves none of what it held.
	waitFor(t, "the restarted replica to catch up", func() bool {
		for _, h := range c.Nodes[2].Service.Node().Held() {
			if !h {
				return false
			}
		}
		return true
	})
	if !c.inSync(2, 0) || !c.inSync(2, 1) {
		t.Fatal("the restarted replica serves, but its digests differ from its peers'")
	}
	t.Logf("restarted node: %+v", c.Nodes[2].Service.EntropyStats())
	c.StopNode(0)
	c.StopNode(1)
	w.readAlone(t, c.Routers[0].Addr)
}

// writeWhileDown stops node i and runs the workload through the first
// router until n writes are acknowledged.
func writeWhileDown(t *testing.T, c *Cluster, i, n int) *replicatedWorkload {
	t.Helper()
	c.StopNode(i)
	w, stop, wg := startWorkload(t, c, 0)
	w.stopAfter(t, n, " with a replica down", stop, wg)
	return w
}

// writeLocally writes keys into one node's copy only, as a write whose
// coordinator died before replicating it would leave them.
func writeLocally(t *testing.T, n *node.Node, keys []string) {
	t.Helper()
	for _, k := range keys {
		if out := RunOn(t, n, 0, "SET:STR "+enc(k)+" (1)v"); out != "OK" {
			t.Fatalf("local write of %s: %q", k, out)
		}
	}
}

// lonelyKeys returns a workload record of n keys.
func lonelyKeys(n int) (*replicatedWorkload, []string) {
	w := &replicatedWorkload{keys: map[string]bool{}}
	var keys []string
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("lonely-%d", i)
		keys = append(keys, k)
		w.keys[k] = true
	}
	return w, keys
}

// TestAntiEntropyRepairsDivergence: keys that reached one replica only
// (written into its copy directly, no replication) reach the others by the
// periodic anti-entropy sweep alone (no hints, nothing reads them): the
// digests come to agree, and another replica alone serves every key at ONE.
func TestAntiEntropyRepairsDivergence(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3, MaxHints: -1, AntiEntropy: 300 * time.Millisecond})
	c.WaitReplicated(3)
	w, keys := lonelyKeys(200)
	writeLocally(t, c.Nodes[0].Service.Node(), keys)
	if c.inSync(0, 1) {
		t.Fatal("the local writes left the copies equal")
	}
	waitFor(t, "the replicas' digests to agree", func() bool { return c.inSync(0, 1) && c.inSync(0, 2) })
	for _, nd := range c.Nodes {
		t.Logf("%s: %+v", nd.Name, nd.Service.EntropyStats())
	}
	c.StopNode(0)
	c.StopNode(2)
	w.readAlone(t, c.Routers[0].Addr)
}

// TestReadRepairsStaleReplicas: with hints and anti-entropy off, keys that
// reached one replica only are spread by reads: reading every key at ALL
// sends the joined state to each replica that answered with less (the
// coordinator's own copy is joined before it answers), so every replica
// ends up holding every key read, and one alone serves them at ONE.
func TestReadRepairsStaleReplicas(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3, MaxHints: -1, AntiEntropy: -1})
	c.WaitReplicated(3)
	w, keys := lonelyKeys(200)
	writeLocally(t, c.Nodes[0].Service.Node(), keys)
	missing := func(n *node.Node) int {
		m := 0
		for _, k := range keys {
			if states, _, err := n.KeyStates(0, [][]byte{[]byte(k)}); err != nil || len(states) == 0 {
				m++
			}
		}
		return m
	}
	if m := missing(c.Nodes[1].Service.Node()); m != len(keys) {
		t.Fatalf("another replica holds %d of the local writes already", len(keys)-m)
	}
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl, "CONSISTENCY ALL QUORUM", "OK")
	w.readBack(t, cl, "the local writes")
	for _, i := range []int{1, 2} {
		waitFor(t, "read repair to reach every replica", func() bool { return missing(c.Nodes[i].Service.Node()) == 0 })
	}
	var repairs int64
	for _, nd := range c.Nodes {
		repairs += nd.Service.EntropyStats().ReadRepairs
	}
	t.Logf("%d read repairs for %d keys held by one replica of three", repairs, len(keys))
	c.StopNode(0)
	c.StopNode(1)
	w.readAlone(t, c.Routers[0].Addr)
}

// inSync reports whether nodes i and j serve every partition with equal
// digests.
func (c *Cluster) inSync(i, j int) bool {
	a, b := c.Nodes[i].Service.Node(), c.Nodes[j].Service.Node()
	for p := 0; p < a.Partitions(); p++ {
		da, err := a.PartitionDigest(p, hlc.Stamp{})
		if err != nil {
			return false
		}
		db, err := b.PartitionDigest(p, hlc.Stamp{})
		if err != nil || *da != *db {
			return false
		}
	}
	return true
}

// TestReplicasMoveWhenANodeJoins: with N=3, a fourth node copies in the
// partitions it becomes a replica of and the node each one leaves drops
// its copy; acknowledged writes stay readable throughout.
func TestReplicasMoveWhenANodeJoins(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	w, stop, wg := startWorkload(t, c, 200)
	c.AddNode()
	waitFor(t, "the new node to copy replicas in", func() bool { return heldBy(c, c.Nodes[3].Name) >= 32 })
	c.WaitReplicated(3)
	w.stopAfter(t, 200, "", stop, wg)
	held := heldBy(c, c.Nodes[3].Name)
	if held == 0 {
		t.Fatal("the new node holds no replica")
	}
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	w.readBack(t, cl, "the join")
	t.Logf("the new node holds %d of 64 partitions' replicas; %d acknowledged writes read back", held, len(w.keys))
}

// TestReplicaLeavesGracefully: with N=3 and four nodes, a node that leaves
// waits until the other replicas of each of its partitions serve it, then
// goes; writes continue and every acknowledged one reads back.
func TestReplicaLeavesGracefully(t *testing.T) {
	c := New(t, 4, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	w, stop, wg := startWorkload(t, c, 200)
	c.LeaveNode(3)
	// The leave returned only once the copies were in: no partition is
	// short of a replica at that moment.
	for p, hs := range c.Holders() {
		if len(hs) != 3 {
			t.Fatalf("after the leave, partition %d is held by %v only", p, hs)
		}
	}
	w.stopAfter(t, 200, "", stop, wg)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	w.readBack(t, cl, "the leave")
}

// TestRemovedReplicaIsReplaced: with N=3 and four nodes, a node that dies
// and is removed by an administrator is replaced: the live replicas copy
// its partitions to the node that takes its place in each replica set, so
// three copies exist again, and nothing acknowledged is lost.
func TestRemovedReplicaIsReplaced(t *testing.T) {
	c := New(t, 4, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	w, stop, wg := startWorkload(t, c, 200)
	name := c.Nodes[3].Name
	c.StopNode(3)
	waitFor(t, "the dead node removed", func() bool {
		return c.Nodes[0].Service.RemoveFailed(name) == nil && c.Nodes[0].Service.MemberState(name) == "left"
	})
	c.WaitReplicated(3)
	w.stopAfter(t, 200, "", stop, wg)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	w.readBack(t, cl, "the removal")
}

// TestTombstonesArePurged: deletions are remembered for the tombstone
// grace, then forgotten on every replica, which stay in sync and go on
// answering that the keys are gone.
func TestTombstonesArePurged(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3, AntiEntropy: 200 * time.Millisecond,
		ReapTimeout: time.Second, TombstoneGrace: 2 * time.Second})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	const n = 40
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("gone%d", i)
		expect(t, cl, fmt.Sprintf("SET:STR (%d)%s (1)v", len(k), k), "OK", fmt.Sprintf("DEL (%d)%s", len(k), k), "OK")
	}
	expect(t, cl, "SET_ADD (1)s (2){(1)a(1)b}", "OK:INT 2", "SET_DISCARD (1)s (1){(1)a}", "OK:INT 1")
	waitFor(t, "every node to purge the deletions", func() bool {
		for _, nd := range c.Nodes {
			if nd.Service.EntropyStats().Purged < n+1 {
				return false
			}
		}
		return true
	})
	for i := 0; i < n; i++ {
		k := fmt.Sprintf("gone%d", i)
		expect(t, cl, fmt.Sprintf("GET (%d)%s", len(k), k), "NULL")
	}
	expect(t, cl, "SET_ALL (1)s", "OK:SET (1){(1)b}")
	waitFor(t, "the replicas' digests to agree", func() bool { return c.inSync(0, 1) && c.inSync(0, 2) })
	for _, nd := range c.Nodes {
		t.Logf("%s: %+v", nd.Name, nd.Service.EntropyStats())
	}
}

// TestTransactionsReadAMajority: keys a majority of replicas hold but a
// coordinator missed (written into two copies of three directly, as
// writes another coordinator acknowledged before it failed; no hints nor
// anti-entropy to spread them) are seen by transactions, writes and all,
// as by reads: the coordinator joins the other replicas' states of the
// transaction's keys before running it.
func TestTransactionsReadAMajority(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3, MaxHints: -1, AntiEntropy: -1})
	c.WaitReplicated(3)
	_, keys := lonelyKeys(150)
	for _, i := range []int{1, 2} {
		writeLocally(t, c.Nodes[i].Service.Node(), keys)
	}
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	for _, k := range keys {
		expect(t, cl, "TRANSACT_BEGIN", "OK",
			"GET "+enc(k), "QUEUED",
			"SET:STR "+enc("{"+k+"}w")+" (1)x", "QUEUED",
			"TRANSACT_COMMIT", "OK:AGG(2)OK:STR (1)vOK")
	}
}
