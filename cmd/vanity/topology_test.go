package main

import (
	"bytes"
	"fmt"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/clustertest"
	"github.com/vanitydb/vanity/internal/difftest"
)

// TestClusterAnswersAsTheSingleProcess sends one wide script (every data
// command whose reply the requests before it decide, keys spread over
// partitions and sharing one by a tag, transactions, database switches,
// RESET) to the single process and through a router to three nodes, with
// one copy of each partition and with three at QUORUM: the single binary
// is the one-replica cluster, so every reply must be the same, one at a
// time and pipelined.
func TestClusterAnswersAsTheSingleProcess(t *testing.T) {
	// Seeds whose scripts once found a difference: 11 a read pipelined
	// after a transaction that waited for a serial key, 15 a pop in a
	// transaction that a later serial write undid on one copy.
	for _, seed := range []uint64{11, 15} {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			answersAsTheSingleProcess(t, difftest.Wide(seed, 4000), 1, 3)
		})
	}
}

// TestSerialAnswersAsTheSingleProcess is the same at CONSISTENCY SERIAL
// SERIAL, with commands of one key and no transaction (what the serial
// path runs): every command a round of consensus among three copies,
// whose proposals rewrite a key's whole state, must answer as the single
// process's storage does.
func TestSerialAnswersAsTheSingleProcess(t *testing.T) {
	reqs := append([][]byte{[]byte("CONSISTENCY SERIAL SERIAL")}, difftest.WideOneKey(3, 2000)...)
	c := answersAsTheSingleProcess(t, reqs, 3)[0]
	var accepts, peeks int64
	for _, n := range c.Nodes {
		accepts += n.Service.Serial().Accepts.Load()
		peeks += n.Service.Serial().Peeks.Load()
	}
	if accepts < 500 || peeks < 100 { // the script writes and reads about 1,000 times each, twice; some reads are the router's one round trip
		t.Errorf("the script took the serial path for %d writes and %d reads", accepts, peeks)
	}
}

// answersAsTheSingleProcess runs reqs on the single process, then on a
// cluster of three nodes for each of replicaCounts (returned), and
// fails at the first reply that differs.
func answersAsTheSingleProcess(t *testing.T, reqs [][]byte, replicaCounts ...int) []*clustertest.Cluster {
	var clusters []*clustertest.Cluster
	single, err := difftest.RunScript(memoryServer(t).dial(), reqs, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, replicas := range replicaCounts {
		t.Run(fmt.Sprintf("replicas=%d", replicas), func(t *testing.T) {
			c := clustertest.New(t, 3, 1, clustertest.Options{Replicas: replicas})
			clusters = append(clusters, c)
			if replicas > 1 {
				c.WaitReplicated(replicas)
			}
			for _, pipelined := range []bool{false, true} {
				cl, err := client.Dial(c.Routers[0].Addr, client.Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer cl.Close()
				for _, q := range []string{"SWITCH_DB 1", "RESET", "SWITCH_DB 0", "RESET"} { // the first pass's keys go
					if _, err := cl.Raw([]byte(q)); err != nil {
						t.Fatal(err)
					}
				}
				var got []string
				for start := 0; start < len(reqs); start += 100 {
					part, err := difftest.RunScript(cl, reqs[start:min(start+100, len(reqs))], pipelined)
					if err != nil {
						t.Fatal(err)
					}
					got = append(got, part...)
				}
				for i := range reqs {
					if single[i] != got[i] {
						t.Fatalf("pipelined=%v: request %d %q: single process %q, cluster %q", pipelined, i, reqs[i], single[i], got[i])
					}
				}
			}
		})
	}
	return clusters
}

// TestClusterAnswersWhileNodesMove sends the wide script one request at a
// time through a router to four nodes while one node leaves, one joins,
// another leaves and one joins again, with one, two and three copies of
// each partition: whatever moves under it, every reply must be the
// single process's. A cluster may refuse a request for a moment, saying
// it did not run (a serial command whose partition's new copy is not
// complete by its deadline; a read with two copies that meets one still
// arriving; a RESET while gossip still counts a node that left as failed:
// docs/decisions.md, "The wide script while nodes leave and join"); such
// a request is sent again, as a client would.
func TestClusterAnswersWhileNodesMove(t *testing.T) {
	reqs := difftest.Wide(17, 3000)
	single, err := difftest.RunScript(memoryServer(t).dial(), reqs, false)
	if err != nil {
		t.Fatal(err)
	}
	didNotRun := func(p []byte) bool {
		return bytes.HasPrefix(p, []byte("ERROR")) &&
			(bytes.Contains(p, []byte("(the command did not run)")) || bytes.Contains(p, []byte("the read did not run")) || bytes.Contains(p, []byte("its partitions would be missed")))
	}
	for _, replicas := range []int{1, 2, 3} {
		t.Run(fmt.Sprintf("replicas=%d", replicas), func(t *testing.T) {
			c := clustertest.New(t, 4, 1, clustertest.Options{Replicas: replicas})
			if replicas > 1 {
				c.WaitReplicated(replicas)
			}
			cl, err := client.Dial(c.Routers[0].Addr, client.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer cl.Close()
			// The moves start at these chunks of 100 requests, each once
			// the one before is done, and the script goes on meanwhile.
			moves := map[int]func(){5: func() { c.LeaveNode(3) }, 12: func() { c.AddNode() },
				19: func() { c.LeaveNode(1) }, 25: func() { c.AddNode() }}
			done := make(chan struct{})
			close(done)
			var got []string
			for chunk, start := 0, 0; start < len(reqs); chunk, start = chunk+1, start+100 {
				if move := moves[chunk]; move != nil {
					<-done
					done = make(chan struct{})
					go func() {
						defer close(done)
						move()
					}()
				}
				part, err := difftest.RunAgain(cl, reqs[start:min(start+100, len(reqs))], didNotRun, 30*time.Second)
				if err != nil {
					t.Fatal(err)
				}
				got = append(got, part...)
			}
			<-done
			for i := range reqs {
				if single[i] != got[i] {
					t.Fatalf("request %d %q: single process %q, cluster %q", i, reqs[i], single[i], got[i])
				}
			}
		})
	}
}
