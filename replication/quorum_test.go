package replication

import (
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// named is a Replica known by name only: the plans never call it.
type named string

func (r named) Name() string                                            { return string(r) }
func (named) Send([]Item, time.Duration, func(error))                   {}
func (named) Ask([]StateReq, time.Duration, func([]StateAnswer, error)) {}

// TestTrackerReturnsAtQuorum: a QUORUM write of N=3 is confirmed by the
// coordinator and one other replica, whatever the third does; ALL waits
// for it, and is decided (not confirmed) once it fails.
func TestTrackerReturnsAtQuorum(t *testing.T) {
	quorum := NewTracker([]Unit{{Need: proto.ConsQuorum.Need(3), Parts: []int{7}}}, [][]int{{7}, {7}})
	quorum.StoredLocally()
	if quorum.Decided() {
		t.Fatal("decided with one copy")
	}
	quorum.Answered(1, true)
	if ok, copies := quorum.Confirmed(0); !ok || copies != 2 || !quorum.Decided() {
		t.Fatalf("confirmed %v with %d copies", ok, copies)
	}
	all := NewTracker([]Unit{{Need: proto.ConsAll.Need(3), Parts: []int{7}}}, [][]int{{7}, {7}})
	all.StoredLocally()
	all.Answered(0, true)
	if all.Decided() {
		t.Fatal("ALL decided with a replica still to answer")
	}
	all.Answered(1, false)
	if ok, copies := all.Confirmed(0); ok || copies != 2 || !all.Decided() {
		t.Fatalf("ALL with a failed replica: confirmed %v with %d copies", ok, copies)
	}
}

// TestTrackerCountsEveryCopy: replicas' copies count as the
// coordinator's does (a failed local log answers every write with its
// error anyway); a unit without writes waits for the local copy alone.
func TestTrackerCountsEveryCopy(t *testing.T) {
	tr := NewTracker([]Unit{{Need: 2, Parts: []int{1}}}, [][]int{{1}, {1}})
	tr.Answered(0, true)
	tr.Answered(1, true)
	if ok, _ := tr.Confirmed(0); !ok {
		t.Fatal("two replicas stored it: confirmed")
	}
	if tr.Decided() != true {
		t.Fatal("every unit confirmed: decided")
	}
	one := NewTracker([]Unit{{Need: 1}}, nil)
	if ok, _ := one.Confirmed(0); ok || one.Decided() {
		t.Fatal("a unit without writes is confirmed only by the local copy")
	}
	one.StoredLocally()
	if ok, _ := one.Confirmed(0); !ok || !one.Decided() {
		t.Fatal("the local copy confirms a unit without writes")
	}
}

// TestTrackerDecidesPerUnit: units are confirmed by the copies of every
// partition they wrote; a send carrying several partitions counts for
// each; the run is decided once every unit is confirmed or every answer
// is in.
func TestTrackerDecidesPerUnit(t *testing.T) {
	units := []Unit{
		{Need: 2, Parts: []int{1}},    // a QUORUM write of partition 1
		{Need: 2, Parts: []int{1, 2}}, // a command over partitions 1 and 2
		{Need: 1, Parts: []int{3}},    // ONE
		{Need: 2},                     // a read in the same run
	}
	tr := NewTracker(units, [][]int{{1, 3}, {2}, {1, 2, 3}})
	if tr.Decided() {
		t.Fatal("decided before any answer")
	}
	tr.StoredLocally()
	if ok, _ := tr.Confirmed(2); !ok {
		t.Fatal("ONE not confirmed by the local copy")
	}
	if ok, _ := tr.Confirmed(3); !ok {
		t.Fatal("a unit without writes waits only for the local copy")
	}
	tr.Answered(0, true) // partitions 1 and 3
	if ok, _ := tr.Confirmed(0); !ok {
		t.Fatal("partition 1 has two copies")
	}
	if ok, least := tr.Confirmed(1); ok || least != 1 {
		t.Fatalf("partition 2 has one copy: %v %d", ok, least)
	}
	if tr.Decided() {
		t.Fatal("decided with unit 1 open and answers pending")
	}
	tr.Answered(1, false)
	tr.Answered(2, true)
	if ok, least := tr.Confirmed(1); !ok || least != 2 {
		t.Fatalf("unit 1 after the third send: %v %d", ok, least)
	}
	if !tr.Decided() {
		t.Fatal("not decided with every answer in")
	}
}

// asks renders a plan's calls as "replica:want,want ...".
func asks(as []Ask) string {
	out := ""
	for _, a := range as {
		if out != "" {
			out += " "
		}
		out += a.Replica.Name() + ":"
		for k, w := range a.Wants {
			if k > 0 {
				out += ","
			}
			out += string(rune('0' + w))
		}
	}
	return out
}

// TestReadsAskOnlyWhatTheyNeed: a QUORUM read of N=3 asks one other
// replica; a failure makes it ask the next at once; silence makes it ask
// the next when Slow is called; ONE asks nobody; ALL asks every replica
// at once and falls short when one fails.
func TestReadsAskOnlyWhatTheyNeed(t *testing.T) {
	b, c := named("b"), named("c")
	r := NewReads([]Want{{Replicas: []Replica{b, c}, Need: 2}})
	if got := asks(r.Start()); got != "b:0" {
		t.Fatalf("start: %s", got)
	}
	if r.Done() {
		t.Fatal("done before the answer")
	}
	if got := asks(r.Answered(0, false)); got != "c:0" {
		t.Fatalf("after a failure: %s", got)
	}
	r.Answered(0, true)
	if !r.Done() || r.Got(0) != 2 || r.Short(0) {
		t.Fatalf("after c's answer: done %v, %d copies", r.Done(), r.Got(0))
	}

	slow := NewReads([]Want{{Replicas: []Replica{b, c}, Need: 2}})
	slow.Start()
	if got := asks(slow.Slow()); got != "c:0" {
		t.Fatalf("slow: %s", got)
	}
	if got := asks(slow.Slow()); got != "" {
		t.Fatalf("out of replicas: %s", got)
	}
	slow.Answered(0, true) // c, say
	if got := slow.Answered(0, true); !slow.Done() || slow.Got(0) != 2 || got != nil {
		t.Fatalf("a late answer changes nothing: %d copies", slow.Got(0))
	}

	one := NewReads([]Want{{Replicas: []Replica{b, c}, Need: 1}})
	if got := asks(one.Start()); got != "" || !one.Done() {
		t.Fatalf("ONE: %s", got)
	}

	all := NewReads([]Want{{Replicas: []Replica{b, c}, Need: 3}})
	if got := asks(all.Start()); got != "b:0 c:0" {
		t.Fatalf("ALL: %s", got)
	}
	all.Answered(0, true)
	all.Answered(0, false)
	if !all.Done() || all.Got(0) != 2 || !all.Short(0) {
		t.Fatalf("ALL with a replica down: done %v, %d copies", all.Done(), all.Got(0))
	}
}

// TestReadsGroupByReplica: the requests of several partitions held by the
// same replicas go to each replica in one call.
func TestReadsGroupByReplica(t *testing.T) {
	b, c := named("b"), named("c")
	var wants []Want
	for p := 0; p < 5; p++ {
		replicas := []Replica{b, c}
		if p%2 == 1 {
			replicas = []Replica{c, b}
		}
		wants = append(wants, Want{Req: StateReq{Partition: p}, Replicas: replicas, Need: 2})
	}
	r := NewReads(wants)
	if got := asks(r.Start()); got != "b:0,2,4 c:1,3" {
		t.Fatalf("start: %s", got)
	}
	for w := range wants {
		r.Answered(w, true)
	}
	if !r.Done() {
		t.Fatal("not done with every want met")
	}
}
