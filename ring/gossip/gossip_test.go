package gossip

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/hashicorp/serf/serf"
	"github.com/vanitydb/vanity/internal/freeport"
)

// freeAddr returns a loopback address with a port free for both UDP and TCP.
func freeAddr(t testing.TB) string {
	t.Helper()
	addr, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	return addr
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond) // polling gossip state with a deadline
	}
}

func states(g *Gossip) map[string]State {
	out := map[string]State{}
	for _, m := range g.Members() {
		out[m.Name] = m.State
	}
	return out
}

func TestMembership(t *testing.T) {
	secret := []byte("cluster-secret")
	var gs []*Gossip
	for i := 0; i < 3; i++ {
		cfg := Config{Name: fmt.Sprintf("node-%d", i), Role: RoleNode, BindAddr: freeAddr(t),
			RPCAddr: fmt.Sprintf("127.0.0.1:%d", 9000+i), Secret: secret, Fast: true, ReapTimeout: time.Hour}
		if i > 0 {
			cfg.Join = []string{gs[0].cfg.BindAddr}
		}
		g, err := Start(cfg)
		if err != nil {
			t.Fatal(err)
		}
		gs = append(gs, g)
	}
	defer func() {
		for _, g := range gs[:2] {
			g.Shutdown()
		}
	}()
	waitFor(t, "three alive members", func() bool {
		s := states(gs[0])
		return len(s) == 3 && s["node-2"] == Alive && s["node-1"] == Alive
	})
	if st, ok := gs[0].State("node-1"); !ok || st != Alive {
		t.Errorf("State(node-1) = %v %v, want alive", st, ok)
	}
	if _, ok := gs[0].State("nobody"); ok {
		t.Error("State of an unknown member reported known")
	}
	for _, m := range gs[1].Members() {
		if m.Role != RoleNode || m.RPC == "" {
			t.Errorf("member %+v lacks its tags", m)
		}
	}
	// A tag change reaches the others.
	gs[1].SetTag("parts", "abc")
	waitFor(t, "the tag", func() bool {
		for _, m := range gs[0].Members() {
			if m.Name == "node-1" && m.Tags["parts"] == "abc" {
				return true
			}
		}
		return false
	})
	// A crashed member is failed, not gone.
	gs[2].Shutdown()
	waitFor(t, "node-2 failed", func() bool { return states(gs[0])["node-2"] == Failed })
	if st, _ := gs[0].State("node-2"); st != Failed {
		t.Errorf("State(node-2) = %v once Members reports it failed", st)
	}
	// A graceful leave is reported as left.
	gs[1].Leave()
	waitFor(t, "node-1 left", func() bool { return states(gs[0])["node-1"] == Left })
	if st, _ := gs[0].State("node-1"); st != Left {
		t.Errorf("State(node-1) = %v once Members reports it left", st)
	}
}

func TestWrongSecretCannotJoin(t *testing.T) {
	a, err := Start(Config{Name: "a", Role: RoleNode, BindAddr: freeAddr(t), Secret: []byte("one"), Fast: true})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Shutdown()
	b, err := Start(Config{Name: "b", Role: RoleNode, BindAddr: freeAddr(t), Secret: []byte("two"), Fast: true,
		Join: []string{a.cfg.BindAddr}, JoinTimeout: time.Second})
	if err == nil {
		b.Shutdown()
		t.Fatal("a member with another secret joined")
	}
}

// TestJoinWaitsForPeers: members that name each other start in either
// order: the first keeps trying until the second is up (the documented
// bootstrap exited with "connection refused" on every node), and a member
// whose peers never come gives up at JoinTimeout with an error.
func TestJoinWaitsForPeers(t *testing.T) {
	a, b := freeAddr(t), freeAddr(t)
	started := make(chan *Gossip, 1)
	errs := make(chan error, 1)
	go func() {
		g, err := Start(Config{Name: "first", Role: RoleNode, BindAddr: a, RPCAddr: "127.0.0.1:1", Join: []string{b},
			Secret: []byte("s"), Fast: true, JoinTimeout: 30 * time.Second})
		if err != nil {
			errs <- err
			return
		}
		started <- g
	}()
	second, err := Start(Config{Name: "second", Role: RoleNode, BindAddr: b, RPCAddr: "127.0.0.1:2", Join: []string{a},
		Secret: []byte("s"), Fast: true, JoinTimeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer second.Shutdown()
	select {
	case first := <-started:
		defer first.Shutdown()
	case err := <-errs:
		t.Fatalf("the first member gave up: %v", err)
	}
	start := time.Now()
	_, err = Start(Config{Name: "alone", Role: RoleNode, BindAddr: freeAddr(t), RPCAddr: "127.0.0.1:3",
		Join: []string{freeAddr(t)}, Secret: []byte("s"), Fast: true, JoinTimeout: 500 * time.Millisecond})
	if err == nil {
		t.Fatal("a member whose peers never came started")
	}
	if time.Since(start) < 400*time.Millisecond {
		t.Fatalf("gave up after %v, before its JoinTimeout", time.Since(start))
	}
}

func TestCheckShape(t *testing.T) {
	node := func(name, parts, replicas string, st State) Member {
		tags := map[string]string{"role": RoleNode}
		if parts != "" {
			tags[PartitionsTag] = parts
		}
		if replicas != "" {
			tags[ReplicasTag] = replicas
		}
		return Member{Name: name, Role: RoleNode, State: st, Tags: tags}
	}
	router := Member{Name: "r1", Role: RoleRouter, Tags: map[string]string{PartitionsTag: "64", ReplicasTag: "1"}}
	for _, tc := range []struct {
		name    string
		members []Member
		bad     string // the node the error names, or "" for none
		flag    string // and the flag it names
	}{
		{"same shape", []Member{node("n1", "256", "3", Alive), node("n2", "256", "3", Failed)}, "", ""},
		{"no shape gossiped", []Member{node("n1", "", "", Alive), node("n2", "x", "y", Alive)}, "", ""},
		{"self and routers are not checked", []Member{node("me", "64", "1", Alive), router}, "", ""},
		{"a node that left", []Member{node("n1", "64", "1", Left)}, "", ""},
		{"another partition count", []Member{node("n1", "256", "3", Alive), node("n2", "1024", "3", Failed)}, "n2", "--partitions 1024"},
		{"another replica count", []Member{node("n1", "256", "3", Alive), node("n2", "256", "1", Alive)}, "n2", "--replicas 1"},
		{"only partitions gossiped", []Member{node("n1", "256", "", Alive)}, "", ""},
	} {
		err := CheckShape(tc.members, "me", Shape{Partitions: 256, Replicas: 3})
		switch {
		case tc.bad == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.bad != "" && (!errors.Is(err, ErrShape) || !strings.Contains(err.Error(), "node "+tc.bad+" ") ||
			!strings.Contains(err.Error(), tc.flag)):
			t.Errorf("%s: %v, want %v naming node %s and %s", tc.name, err, ErrShape, tc.bad, tc.flag)
		}
	}
}

func TestLearnShape(t *testing.T) {
	node := func(name string, s Shape, st State) Member {
		tags := s.Tags()
		tags["role"] = RoleNode
		return Member{Name: name, Role: RoleNode, State: st, Tags: tags}
	}
	old := Member{Name: "old", Role: RoleNode, State: Alive, Tags: map[string]string{PartitionsTag: "64"}}
	router := Member{Name: "r", Role: RoleRouter, State: Alive, Tags: Shape{Partitions: 8, Replicas: 8}.Tags()}
	for _, tc := range []struct {
		name    string
		members []Member
		want    Shape
	}{
		{"no nodes", []Member{router}, Shape{}},
		{"one node", []Member{node("n1", Shape{256, 3}, Alive), router}, Shape{256, 3}},
		{"a failed node counts", []Member{node("n1", Shape{64, 1}, Failed)}, Shape{64, 1}},
		{"a node that left does not", []Member{node("n1", Shape{64, 1}, Left), node("n2", Shape{256, 3}, Alive)}, Shape{256, 3}},
		{"most nodes win", []Member{node("n1", Shape{64, 3}, Alive), node("n2", Shape{256, 3}, Alive), node("n3", Shape{256, 3}, Alive)}, Shape{256, 3}},
		{"the smaller on a tie", []Member{node("n1", Shape{1024, 3}, Alive), node("n2", Shape{256, 2}, Alive)}, Shape{256, 2}},
		{"a count none gossips is 0", []Member{old}, Shape{Partitions: 64}},
	} {
		if got := LearnShape(tc.members); got != tc.want {
			t.Errorf("%s: %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

// TestShutdownDuringLeave: a node stopped while its leave runs (an
// operator's leave, then SIGTERM) waits for the leave; serf's Leave
// panicked the process ("leave after shutdown") when the Shutdown came
// between its broadcast and its memberlist leave.
func TestShutdownDuringLeave(t *testing.T) {
	secret := []byte("cluster-secret")
	start := func(name string, join ...string) *Gossip {
		g, err := Start(Config{Name: name, Role: RoleNode, BindAddr: freeAddr(t), RPCAddr: "127.0.0.1:9000",
			Secret: secret, Fast: true, ReapTimeout: time.Hour, Join: join})
		if err != nil {
			t.Fatal(err)
		}
		return g
	}
	a := start("node-a")
	defer a.Shutdown()
	for i := 0; i < 3; i++ {
		b := start(fmt.Sprintf("node-b%d", i), a.cfg.BindAddr)
		waitFor(t, "b alive at a", func() bool { return states(a)[b.cfg.Name] == Alive })
		left := make(chan error, 1)
		go func() { left <- b.Leave() }()
		// Shutdown as soon as the leave has begun (serf's state says so).
		waitFor(t, "the leave begun", func() bool { return b.serf.State() != serf.SerfAlive })
		if err := b.Shutdown(); err != nil {
			t.Fatal(err)
		}
		if err := <-left; err != nil {
			t.Fatalf("leave: %v", err)
		}
	}
}
