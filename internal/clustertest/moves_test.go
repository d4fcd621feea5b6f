package clustertest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// TestResetReachesPartitionsMovingOut: with one copy, a node that leaves
// serves its partitions until their new owners take them, but gossip
// says it has left long before (a leave is announced first), so a RESET
// in between does not reach it. The new owners, which the RESET did
// reach, keep it over the copies that come, and once the leave is done
// no key written before the RESET is left; the keys written after it
// stay.
func TestResetReachesPartitionsMovingOut(t *testing.T) {
	c := New(t, 4, 1, Options{})
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	const n = 2000
	for i := range n {
		if err := cl.Send(fmt.Appendf(nil, "SET:STR %s (1)v", enc(fmt.Sprintf("old%d", i)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Flush(); err != nil {
		t.Fatal(err)
	}
	for range n {
		if r, err := cl.Receive(); err != nil || string(r) != "OK" {
			t.Fatalf("SET: %q %v", r, err)
		}
	}
	const leaving = 3
	name := c.Nodes[leaving].Name
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.LeaveNode(leaving)
	}()
	admin := dial(t, c.Routers[0].Addr, client.Options{})
	deadline := time.Now().Add(30 * time.Second)
	for memberState(t, admin, name) != "left" {
		if time.Now().After(deadline) {
			t.Fatalf("the router never saw %s leave", name)
		}
		time.Sleep(time.Millisecond) // polling the router's view of gossip
	}
	expect(t, cl, "RESET", "OK")
	held := 0
	for _, h := range c.Nodes[leaving].Service.Node().Held() {
		if h {
			held++
		}
	}
	if held == 0 {
		t.Fatalf("%s had handed every partition off before the RESET: the test checks nothing", name)
	}
	expect(t, cl, "SET:STR (3)new (1)v", "OK")
	<-done
	r, err := cl.Do("KEYS", "*")
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, k := range r.Value.Strs {
		keys = append(keys, string(k))
	}
	if r.Status != proto.StatusOK || !slices.Equal(keys, []string{"new"}) {
		t.Fatalf("after the RESET (%d partitions still on %s) and the leave: KEYS %.200s", held, name, client.Format(r))
	}
}

// memberState returns member name's state in CLUSTER_INFO's answer.
func memberState(t *testing.T, cl *client.Client, name string) string {
	t.Helper()
	r, err := cl.Do("CLUSTER_INFO")
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range r.Value.Elems[1:] {
		if len(m.Elems) == 6 && string(m.Elems[0].Str) == name {
			return string(m.Elems[3].Str)
		}
	}
	return ""
}

// TestListingWhileANodeLeaves: with two copies, when a node leaves, a
// partition it held has one node serving it until its new replica has
// brought its copy in: fewer than a listing at QUORUM asks. KEYS and
// DB_SIZE wait for the copy, as a command waits for a partition moving,
// instead of failing.
func TestListingWhileANodeLeaves(t *testing.T) {
	c := New(t, 4, 1, Options{Replicas: 2})
	c.WaitReplicated(2)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	const n = 300
	for i := range n {
		expect(t, cl, fmt.Sprintf("SET:STR %s (1)v", enc(fmt.Sprintf("k%03d", i))), "OK")
	}
	admin := dial(t, c.Routers[0].Addr, client.Options{})
	listed, moving := 0, 0
	// A leave is tried again (a node added, then it leaves) when no
	// listing happened to run while its partitions were short of copies:
	// on a loaded machine the window can fall between two listings.
	for leaving, try := 3, 0; moving == 0 && try < 3; try++ {
		if try > 0 {
			leaving = c.AddNode()
			c.WaitReplicated(2)
		}
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.LeaveNode(leaving)
		}()
		for left := false; !left; listed++ {
			select {
			case <-done:
				left = true
			default:
			}
			if rep, err := admin.Do("CLUSTER_INFO"); err == nil && !balanced(rep) {
				moving++
			}
			r, err := cl.Do("KEYS", "*")
			if err != nil {
				t.Fatal(err)
			}
			if r.Status != proto.StatusOK || len(r.Value.Strs) != n {
				t.Fatalf("KEYS while a node leaves (listing %d): %.200s", listed, client.Format(r))
			}
			expect(t, cl, "DB_SIZE", fmt.Sprintf("OK:INT %d", n))
		}
	}
	if moving == 0 {
		t.Fatal("no listing ran while partitions moved, in three leaves: the test checks nothing")
	}
	t.Logf("%d listings, %d while partitions moved", listed, moving)
}

// TestSerialWritesWhileOneCopyMoves: with one copy, a partition's one
// acceptor moves when a node leaves or joins. A SERIAL write under way on
// the node that hands the partition off takes the acceptors it asks
// afresh at each Prepare and, once the partition has left that node, is
// refused at once ("moved away") for the router to send to the new
// owner: it does not wait for the old sets, which no longer make a
// majority, until its deadline and fail. Every write succeeds, or fails
// saying that the new copy was not complete in time (the command did not
// run) or, if its Accept left before the hand-off, that it is not
// confirmed; and the keys read back the last write that succeeded, or one
// not confirmed after it.
func TestSerialWritesWhileOneCopyMoves(t *testing.T) {
	// A write's deadline (the routers' RequestTimeout) of 5 s, not 1: on
	// a machine loaded by other tests a round of consensus could pass 1 s
	// and fail the write as "no majority in time", which is what a
	// proposal kept on its old acceptors does at any deadline.
	c := New(t, 4, 1, Options{RequestTimeout: 5 * time.Second})
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl, "CONSISTENCY SERIAL SERIAL", "OK")
	const keys = 64
	last := make([]int, keys)
	unsure := make([][]int, keys) // writes after last whose fate is unknown
	write := func(round int) {
		for k := range keys {
			got := raw(t, cl, fmt.Sprintf("SET:INT %s %d", enc(fmt.Sprintf("s%02d", k)), round))
			switch {
			case got == "OK":
				last[k], unsure[k] = round, nil
			case strings.Contains(got, "is moving and a new replica did not have its whole copy in time"):
			case strings.Contains(got, "not confirmed"):
				// An Accept that left before its node handed the
				// partition off: it may have been chosen.
				unsure[k] = append(unsure[k], round)
			default:
				t.Fatalf("SET s%02d while partitions move: %q", k, got)
			}
		}
	}
	round := 1
	write(round)
	for _, change := range []func(){func() { c.LeaveNode(3) }, func() { c.AddNode() }} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			change()
		}()
		for moving := true; moving; {
			select {
			case <-done:
				moving = false
			default:
				round++
				write(round)
			}
		}
	}
	for k := range keys {
		got := raw(t, cl, "GET "+enc(fmt.Sprintf("s%02d", k)))
		ok := got == fmt.Sprintf("OK:INT %d", last[k])
		for _, r := range unsure[k] {
			ok = ok || got == fmt.Sprintf("OK:INT %d", r)
		}
		if !ok {
			t.Errorf("GET s%02d: %q; want the last write that succeeded, %d, or one not confirmed after it %v", k, got, last[k], unsure[k])
		}
	}
}

// TestUserChangesWhileNodesMove adds, promotes, re-passwords and deletes
// users through one router and logs in through the other while nodes
// leave and join, two copies of each partition: while the users'
// partition moved, its reads failed (a copy arriving), and the second
// router, which reread the users when told of a change and before it
// refused a login, answered "user does not exist" to users added
// seconds before (about 250 of 350 rounds). A router now applies the
// change it is told, and says unavailable when it cannot read the users
// to check a login.
func TestUserChangesWhileNodesMove(t *testing.T) {
	c := New(t, 4, 2, Options{Replicas: 2})
	c.WaitReplicated(2)
	admin := dial(t, c.Routers[0].Addr, client.Options{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		c.LeaveNode(3)
		c.AddNode()
		c.LeaveNode(1)
		c.AddNode()
	}()
	login := func(r int, name, password string) *client.Client {
		cl, err := client.Dial(c.Routers[r].Addr, client.Options{Username: name, Password: password})
		if err != nil {
			t.Fatalf("%s's login at router %d: %v", name, r, err)
		}
		return cl
	}
	rounds := 0
	for moving := true; moving || rounds < 20; rounds++ {
		select {
		case <-done:
			moving = false
		default:
		}
		u := fmt.Sprintf("user%d", rounds)
		expect(t, admin, "ADD_USER "+enc(u)+" (5)pass1", "OK")
		cl := login(1, u, "pass1")
		expect(t, cl, "RESET", "DENIED", "CHANGE_PASSWORD (5)pass2", "OK")
		cl.Close()
		expect(t, admin, "EDIT_USER "+enc(u)+" ADMIN", "OK")
		cl = login(1, u, "pass2")
		expect(t, cl, "DEL_USER "+enc(u), "ERROR(18)cannot delete self")
		expect(t, admin, "DEL_USER "+enc(u), "OK")
		if _, err := cl.Raw([]byte("PING")); err != client.ErrClosed {
			t.Fatalf("%s's session at the other router after DEL_USER: %v", u, err)
		}
	}
	t.Logf("%d rounds while nodes moved", rounds)
}
