package ring

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/placement.golden")

func members(n int) []Member {
	out := make([]Member, n)
	for i := range out {
		out[i] = Member{ID: fmt.Sprintf("node-%d", i+1), Addr: fmt.Sprintf("10.0.0.%d:9956", i+1)}
	}
	return out
}

// placement renders where sample keys live, for the golden file.
func placement(r *Ring) string {
	var b strings.Builder
	fmt.Fprintf(&b, "# %d members, %d partitions, %d replicas, version %016x\n",
		len(r.Members()), r.Partitions(), r.ReplicaCount(), r.Version())
	for i := 0; i < 200; i++ {
		key := "key:" + strconv.Itoa(i)
		p, reps := r.Locate([]byte(key))
		ids := make([]string, len(reps))
		for k, m := range reps {
			ids[k] = r.Member(int(m)).ID
		}
		fmt.Fprintf(&b, "%s %d %s\n", key, p, strings.Join(ids, ","))
	}
	return b.String()
}

// TestPlacementGolden pins placement: a change in the hashing library, the
// hasher or the algorithm that moves keys fails here. Run with -update only
// for a deliberate, documented placement change (it needs a migration).
func TestPlacementGolden(t *testing.T) {
	var b strings.Builder
	// 1024 was the default count before 256 (clusters made then keep it).
	for _, parts := range []int{1024, DefaultPartitions} {
		for _, n := range []int{1, 3, 5, 8} {
			r, err := New(members(n), parts, 3)
			if err != nil {
				t.Fatal(err)
			}
			b.WriteString(placement(r))
		}
	}
	path := filepath.Join("testdata", "placement.golden")
	if *update {
		if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Fatal("placement differs from testdata/placement.golden: a dependency or algorithm change moved keys")
	}
}

func TestPreferenceLists(t *testing.T) {
	r, err := New(members(5), 1024, 3)
	if err != nil {
		t.Fatal(err)
	}
	owned := map[int]int{}
	for p := 0; p < 1024; p++ {
		reps := r.Replicas(p)
		if len(reps) != 3 {
			t.Fatalf("partition %d has %d replicas", p, len(reps))
		}
		seen := map[uint16]bool{}
		for _, m := range reps {
			if seen[m] {
				t.Fatalf("partition %d lists member %d twice", p, m)
			}
			seen[m] = true
		}
		owned[r.Primary(p)]++
	}
	// Bounded loads: no member is primary for more than 1.25x its share.
	for m, n := range owned {
		if n > 1024/5*5/4+1 {
			t.Errorf("member %d is primary of %d partitions", m, n)
		}
	}
}

// TestBackupsSpread checks that the partitions a member is primary of are
// backed up by many different peers, so its failure spreads the load.
func TestBackupsSpread(t *testing.T) {
	r, _ := New(members(8), 1024, 3)
	backups := map[uint16]map[uint16]int{}
	for p := 0; p < 1024; p++ {
		reps := r.Replicas(p)
		if backups[reps[0]] == nil {
			backups[reps[0]] = map[uint16]int{}
		}
		backups[reps[0]][reps[1]]++
	}
	for m, peers := range backups {
		if len(peers) < 7 {
			t.Errorf("member %d's partitions are backed up by only %d peers", m, len(peers))
		}
	}
}

func TestMembershipChangeMovesFewPrimaries(t *testing.T) {
	a, _ := New(members(5), 1024, 3)
	b, _ := New(members(6), 1024, 3)
	moved := 0
	for p := 0; p < 1024; p++ {
		if a.Member(a.Primary(p)).ID != b.Member(b.Primary(p)).ID {
			moved++
		}
	}
	// Ideally 1/6 of the partitions move to the new member.
	if moved > 1024/2 {
		t.Errorf("%d of 1024 primaries moved when one member joined", moved)
	}
	t.Logf("%d of 1024 primaries moved when a sixth member joined", moved)
}

// TestPrimariesAreBalanced: every member's share of primaries is within
// [0.8, 1.25] of the average, so a node that joins takes over a fair share.
func TestPrimariesAreBalanced(t *testing.T) {
	for n := 3; n <= 8; n++ {
		r, err := New(members(n), 1024, 1)
		if err != nil {
			t.Fatal(err)
		}
		counts := make([]int, n)
		for p := 0; p < 1024; p++ {
			counts[r.Primary(p)]++
		}
		avg := 1024.0 / float64(n)
		for i, c := range counts {
			if float64(c) < 0.8*avg || float64(c) > 1.25*avg+1 {
				t.Errorf("%d members: %s has %d primaries (average %.0f): %v", n, r.Member(i).ID, c, avg, counts)
			}
		}
	}
}

func TestVersion(t *testing.T) {
	a, _ := New(members(3), 64, 2)
	b, _ := New([]Member{members(3)[2], members(3)[0], members(3)[1]}, 64, 2)
	if a.Version() != b.Version() {
		t.Error("member order changed the version")
	}
	c, _ := New(members(4), 64, 2)
	if a.Version() == c.Version() {
		t.Error("different members, same version")
	}
	if _, err := New(nil, 64, 2); err != ErrNoMembers {
		t.Errorf("empty ring: %v", err)
	}
	if _, err := New(append(members(2), members(1)...), 64, 2); err == nil {
		t.Error("duplicate member accepted")
	}
	if a.IndexOf("node-2") != 1 || a.IndexOf("nope") != -1 {
		t.Error("IndexOf")
	}
}

func TestLookupAllocatesNothing(t *testing.T) {
	r, _ := New(members(5), 1024, 3)
	var cur Current
	cur.Store(r)
	key := []byte("user:1234")
	if n := testing.AllocsPerRun(1000, func() { cur.Load().Locate(key) }); n != 0 {
		t.Fatalf("lookup allocates %v times", n)
	}
}

func BenchmarkLocate(b *testing.B) {
	r, _ := New(members(5), 1024, 3)
	var cur Current
	cur.Store(r)
	key := []byte("key:000012345")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		cur.Load().Locate(key)
	}
}

func BenchmarkNewRing(b *testing.B) {
	ms := members(8)
	for i := 0; i < b.N; i++ {
		New(ms, 1024, 3)
	}
}

func TestBuilderReusesTheRingWhileMembersAreTheSame(t *testing.T) {
	b := NewBuilder(64, 2)
	ms := members(4)
	r1, err := b.Build(ms)
	if err != nil {
		t.Fatal(err)
	}
	reversed := []Member{ms[3], ms[2], ms[1], ms[0]}
	if r2, _ := b.Build(reversed); r2 != r1 {
		t.Fatal("the same members in another order built a new ring")
	}
	moved := append([]Member(nil), ms...)
	moved[1].Addr = "elsewhere:1"
	if r3, _ := b.Build(moved); r3 == r1 || r3.Member(r3.IndexOf(moved[1].ID)).Addr != "elsewhere:1" {
		t.Fatal("a changed address kept the old ring")
	}
	dup := []Member{ms[0], ms[0], ms[2], ms[3]}
	if _, err := b.Build(dup); err == nil {
		t.Fatal("duplicate members accepted")
	}
	if r5, _ := b.Build(members(3)); r5.Version() == r1.Version() || len(r5.Members()) != 3 {
		t.Fatal("a member fewer kept the old ring")
	}
}

// BenchmarkBuilderUnchanged is what a membership event that changes
// nothing costs, against BenchmarkNewRing.
func BenchmarkBuilderUnchanged(b *testing.B) {
	bl := NewBuilder(1024, 3)
	ms := members(8)
	bl.Build(ms)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		bl.Build(ms)
	}
}
