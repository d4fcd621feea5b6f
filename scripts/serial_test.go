package scripts_test

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/lincheck"
	"github.com/vanitydb/vanity/proto"
)

// TestSerialIsLinearizable records reads, writes, compare-and-sets, swaps
// and fenced writes at CONSISTENCY SERIAL from clients of two routers in front of three real
// nodes holding three copies, through a kill -9 of a node and its
// restart, and checks each key's history with porcupine. An operation
// answered "not confirmed" (or cut off) may have taken effect or not;
// one answered "unavailable" did not run. Queues of lists and locks with
// fenced writes run beside it at SERIAL (serialQueues, serialLocks).
func TestSerialIsLinearizable(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c, routers, w, q, l := serialCluster(t, "VANITY_CLUSTER_REPLICAS=3")
	epoch := time.Now()
	waitFor := func(n int64) {
		t.Helper()
		w.WaitFor(n, 90*time.Second)
		t.Logf("%d operations at %v", w.Ops(), time.Since(epoch).Round(time.Millisecond))
	}
	waitFor(600)
	if got := c.run("kill", "2"); got != "killed node 2" {
		t.Fatalf("kill: %q", got)
	}
	waitFor(w.Ops() + 600) // two copies of three: every key still has a majority
	c.run("start", "2")
	waitFor(w.Ops() + 600)
	checkSerial(t, w, q, l, routers)
	checkOnce(t, routers)
	checkFencing(t, routers)
	checkContention(t, c, routers)
}

// checkContention: eight clients of both routers writing one key at
// SERIAL all get their writes done, none "not confirmed" nor refused: the
// key's coordinator proposes one run's writes at a time (node.keyGates),
// so its proposals do not collide. (Before, 92 writes of 1,600 here
// answered "not confirmed".) Then 24 clients increment one counter: more
// than a router sends at once (--max-serial-in-flight), so their writes
// wait and meet in the coordinator's runs, which fold a run's writes on
// the key into one proposal; the increments must answer 1 to n, each
// once, each its own value (a fold that answered its first command's
// reply for all, or ran its commands at one stamp, repeats values). Last,
// an exactly-once queue on one list with as many clients, through a kill.
func checkContention(t *testing.T, c *cluster, routers []string) {
	t.Helper()
	run := func(clients, each int, write func(cl *client.Client, c, i int) (client.Reply, error)) {
		errs := make(chan string, clients*each)
		var wg sync.WaitGroup
		for c := range clients {
			wg.Go(func() {
				cl, err := client.Dial(routers[c%len(routers)], serialOptions)
				if err != nil {
					errs <- err.Error()
					return
				}
				defer cl.Close()
				for i := range each {
					if r, err := write(cl, c, i); err != nil || r.Status != proto.StatusOK {
						errs <- fmt.Sprintf("%s %v", client.Format(r), err)
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for e := range errs {
			t.Errorf("a SERIAL write to a contended key: %s", e)
		}
	}
	run(8, 40, func(cl *client.Client, c, i int) (client.Reply, error) {
		return cl.Do("SET:STR", "contended", fmt.Sprintf("%d-%d", c, i))
	})
	const clients, each = 24, 20
	got := make(chan int64, clients*each)
	run(clients, each, func(cl *client.Client, _, _ int) (client.Reply, error) {
		r, err := cl.Do("INCR_INT", "contended:n", 1)
		if err == nil && r.Status == proto.StatusOK {
			got <- r.Value.Int
		}
		return r, err
	})
	close(got)
	seen := map[int64]bool{}
	for v := range got {
		if v < 1 || v > clients*each || seen[v] {
			t.Errorf("an increment of a contended counter answered %d (1 to %d, each once, expected)", v, clients*each)
		}
		seen[v] = true
	}
	// An exactly-once queue on one list, 24 clients pushing and popping
	// with ONCE: their writes fold too, each looked up in the record on
	// its own, and the queue stays exact through a kill -9 of a node (the
	// list's proposer, if it is node 1) and its restart: folds lost with
	// it are sent again, and their commands answer from the record.
	q := &lincheck.Queues{T: t, Keys: []string{"contended:queue"}, Clients: clients, Seed: 23,
		Dial: func(c int) (*client.Client, error) { return client.Dial(routers[c%len(routers)], serialOptions) }}
	q.Start()
	q.WaitFor(1000, 90*time.Second)
	c.run("kill", "1")
	q.WaitFor(q.Ops()+500, 90*time.Second)
	c.run("start", "1")
	q.WaitFor(q.Ops()+1000, 90*time.Second)
	q.Stop()
	cl, err := client.Dial(routers[0], serialOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	q.Check(cl)
}

// checkOnce: a ONCE sent twice, through either router, and its RETRY
// answer the first reply, and the write ran once; so does a blocking
// pop's (lincheck.BlockingOnce).
func checkOnce(t *testing.T, routers []string) {
	t.Helper()
	for i, word := range []string{"ONCE", "ONCE", "RETRY", "ONCE"} {
		cl, err := client.Dial(routers[i%len(routers)], serialOptions)
		if err != nil {
			t.Fatal(err)
		}
		r, err := cl.Do(word, "once-1", client.Verbatim("LIST_PUSH_RIGHT"), "once:list", []string{"x"})
		cl.Close()
		if err != nil || r.Status != proto.StatusOK || r.Value.Int != 1 {
			t.Fatalf("%s #%d: %s, %v; want the first reply, 1", word, i, client.Format(r), err)
		}
	}
	lincheck.BlockingOnce(t, "once:", func(step int) (*client.Client, error) {
		return client.Dial(routers[step%len(routers)], serialOptions)
	})
}

// checkFencing: a FENCED write of a token older than the one its lock
// holds is refused although no write of the newer token reached its key
// (a lapsed holder writing after the next took the lock, before that one
// wrote); the holder's own token writes. The lock and the key are taken
// through different routers.
func checkFencing(t *testing.T, routers []string) {
	t.Helper()
	do := func(i int, args ...any) client.Reply {
		t.Helper()
		cl, err := client.Dial(routers[i%len(routers)], serialOptions)
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		r, err := cl.Do(args[0].(string), args[1:]...)
		if err != nil {
			t.Fatalf("%v: %v", args, err)
		}
		return r
	}
	r := do(0, "LOCK_ACQUIRE", "fence:lock", "worker-2", 60000)
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeInt {
		t.Fatalf("LOCK_ACQUIRE: %s", client.Format(r))
	}
	token := r.Value.Int
	r = do(1, "FENCED", "fence:lock", token-1, client.Verbatim("SET:STR"), "fence:data", "old")
	if want := fmt.Sprintf("lock \"fence:lock\" is at token %d, newer than this write's %d", token, token-1); r.Status != proto.StatusError || !strings.Contains(string(r.Body), want) {
		t.Errorf("an older holder's write while the lock holds a newer token: %s; want the refusal %q", client.Format(r), want)
	}
	if r = do(1, "FENCED", "fence:lock", token, client.Verbatim("SET:STR"), "fence:data", "new"); r.Status != proto.StatusOK {
		t.Errorf("the holder's write: %s", client.Format(r))
	}
	if r = do(0, "GET", "fence:data"); r.Status != proto.StatusOK || string(r.Value.Str) != "new" {
		t.Errorf("the key after the writes: %s; want the holder's", client.Format(r))
	}
}

// serialOptions are the clients' options: every command at SERIAL.
var serialOptions = client.Options{Timeout: 10 * time.Second, ReadLevel: proto.ConsSerial, WriteLevel: proto.ConsSerial}

// serialQueues is the queue workload of the serial tests: four clients
// of the routers pushing to and popping from two lists at SERIAL.
func serialQueues(t *testing.T, routers []string) *lincheck.Queues {
	return &lincheck.Queues{T: t, Keys: []string{"queue:0", "queue:1"}, Clients: 4, Seed: 5,
		Dial: func(c int) (*client.Client, error) { return client.Dial(routers[c%len(routers)], serialOptions) },
	}
}

// serialCluster starts a cluster of three nodes and two routers with
// env (scripts/cluster's variables), and the serial register, queue and
// lock workloads against the routers.
func serialCluster(t *testing.T, env ...string) (*cluster, []string, *lincheck.Registers, *lincheck.Queues, *lincheck.Locks) {
	t.Helper()
	c := newCluster(t)
	c.env = append(c.env, env...)
	routers := []string{routerAddr(t, c.run("up", "3")), routerAddr(t, c.run("router"))}
	w, q, l := serialRegisters(t, routers), serialQueues(t, routers), serialLocks(t, routers)
	w.Start()
	t.Cleanup(w.Stop)
	q.Start()
	t.Cleanup(q.Stop)
	l.Start()
	t.Cleanup(l.Stop)
	return c, routers, w, q, l
}

// serialLocks is the lock workload of the serial tests: three clients of
// the routers taking two locks with 60 ms leases and fencing writes with
// their tokens, at SERIAL.
func serialLocks(t *testing.T, routers []string) *lincheck.Locks {
	return &lincheck.Locks{T: t, Names: []string{"lock:0", "lock:1"}, Clients: 3, Seed: 11, Lease: 60 * time.Millisecond,
		Dial: func(c int) (*client.Client, error) { return client.Dial(routers[(c+1)%len(routers)], serialOptions) },
	}
}

// checkSerial lets the queues answer 100 more operations and the locks 20
// more takings, stops the workloads and checks them: every register
// history decided linearizable, the queues exact, the locks exclusive and
// their fences kept.
func checkSerial(t *testing.T, w *lincheck.Registers, q *lincheck.Queues, l *lincheck.Locks, routers []string) {
	t.Helper()
	q.WaitFor(q.Ops()+100, 90*time.Second)
	l.WaitFor(l.Ops()+20, 90*time.Second)
	w.Stop()
	q.Stop()
	l.Stop()
	w.Check(time.Minute, true)
	cl, err := client.Dial(routers[0], serialOptions)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	q.Check(cl)
	l.Check()
}

// serialRegisters is the register workload of the serial tests: six
// clients of the routers (in turn) at CONSISTENCY SERIAL, on eight keys.
// Six clients on eight keys contend enough to collide often; more
// collisions leave more outcomes unknown, which the checker must try both
// ways (on four keys, about one history in five had too many for it to
// decide within a minute).
func serialRegisters(t *testing.T, routers []string) *lincheck.Registers {
	keys := []string{"serial:0", "serial:1", "serial:2", "serial:3", "serial:4", "serial:5", "serial:6", "serial:7"}
	return &lincheck.Registers{T: t, Keys: keys, Clients: 6, Seed: 17,
		Dial: func(c int) (*client.Client, error) { return client.Dial(routers[c%len(routers)], serialOptions) }}
}

// TestSerialIsLinearizableUnderNetworkFaults runs the same workload on
// nodes held in network namespaces while, one after another, a node is
// cut off from everyone, two nodes from each other, a node is paused
// (SIGSTOP) and a node is killed; each fault lasts while the clients get
// 500 more answers (two nodes of three can always form a majority), and
// every key's history must be linearizable, decided by porcupine
// ($VANITY_SERIAL_FAULT_ROUNDS repeats the faults, on other nodes each
// round and on new register keys: make chaos runs it longer). Beside
// it, clients push to and pop from lists at SERIAL: no element may be
// delivered twice, nor an acknowledged one lost (but by a pop whose reply
// never came).
func TestSerialIsLinearizableUnderNetworkFaults(t *testing.T) {
	if testing.Short() || !netnsUsable() {
		t.Skip("needs root, iproute2 and iptables to create and cut network namespaces")
	}
	c, routers, w, q, l := serialCluster(t, "VANITY_CLUSTER_NETNS=1", "VANITY_CLUSTER_REPLICAS=3")
	epoch := time.Now()
	during := func(fault string, begin, end func()) {
		t.Helper()
		begin()
		w.WaitFor(w.Ops()+500, 90*time.Second)
		end()
		t.Logf("%s: %d operations at %v", fault, w.Ops(), time.Since(epoch).Round(time.Millisecond))
	}
	w.WaitFor(300, 90*time.Second)
	heal := func() { c.run("heal") }
	// make chaos asks for more rounds; each turns the faults to other nodes.
	rounds := 1
	if n, err := strconv.Atoi(os.Getenv("VANITY_SERIAL_FAULT_ROUNDS")); err == nil && n > 1 {
		rounds = n
	}
	for r := range rounds {
		if r > 0 {
			// Each round's register operations go to keys of their
			// own: a key written through every round of a long run had
			// a history the checker could not decide within its minute
			// (about 10,000 operations and 70 of unknown outcome after
			// 24 rounds, for either scheduling policy).
			w.NextKeys()
		}
		node := func(i int) string { return strconv.Itoa((i+r)%3 + 1) }
		during("node "+node(0)+" isolated", func() { c.run("isolate", node(0)) }, heal)
		during("nodes "+node(1)+" and "+node(2)+" partitioned", func() { c.run("partition", node(1), node(2)) }, heal)
		pid := nodePID(t, c, (2+r)%3+1)
		signal := func(sig syscall.Signal) func() {
			return func() {
				if err := syscall.Kill(pid, sig); err != nil {
					t.Fatalf("signal %v to node %s: %v", sig, node(2), err)
				}
			}
		}
		during("node "+node(2)+" paused", signal(syscall.SIGSTOP), signal(syscall.SIGCONT))
		during("node "+node(1)+" killed", func() { c.run("kill", node(1)) }, func() { c.run("start", node(1)) })
	}
	w.WaitFor(w.Ops()+300, 90*time.Second)
	checkSerial(t, w, q, l, routers)
}

// nodePID returns the process id scripts/cluster recorded for node i.
func nodePID(t *testing.T, c *cluster, i int) int {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("%s/nodes/%d/pid", c.dir, i))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("node %d's pid file: %v", i, err)
	}
	return pid
}

// TestSerialIsLinearizableAcrossRebalancing runs the serial workloads
// while a fourth node joins (partitions move to it), the cluster
// rebalances, and then one of the first nodes leaves (its partitions move
// off it): every key's history must still be linearizable and the queues
// exact. While a partition moves, rounds need a majority of its old and
// of its new replica set (docs/serial.md, P5); counting the proposer's
// ring alone, this found a history no order explains about once in a
// dozen runs.
func TestSerialIsLinearizableAcrossRebalancing(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes")
	}
	c, routers, w, q, l := serialCluster(t, "VANITY_CLUSTER_REPLICAS=3", "VANITY_CLUSTER_PARTITIONS=64")
	w.WaitFor(300, 90*time.Second)
	if got := c.run("add"); got != "4" {
		t.Fatalf("add: %q", got)
	}
	if got := c.run("wait"); got != "balanced" {
		t.Fatalf("wait after add: %q", got)
	}
	w.WaitFor(w.Ops()+300, 90*time.Second)
	if got := c.run("leave", "1"); got != "node 1 left" {
		t.Fatalf("leave: %q", got)
	}
	if got := c.run("wait"); got != "balanced" {
		t.Fatalf("wait after leave: %q", got)
	}
	w.WaitFor(w.Ops()+300, 90*time.Second)
	checkSerial(t, w, q, l, routers)
}
