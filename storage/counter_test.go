package storage

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"pgregory.net/rapid"
)

// receive applies another replica's deltas, as replication does.
func (h *harness) receive(ds []Delta) {
	for _, d := range ds {
		d := d
		h.clock.Observe(d.MaxStamp())
		h.locate([]byte(d.Key)).Apply(&d)
	}
}

// TestCounterCountsEachIncrementOnce: a replica that got a register whose
// base already counts an actor's increments, but not that actor's slot
// (its deltas were delayed: the replica was down, they wait as hints),
// and then increments itself, must not count those increments again when
// the slot arrives. The new register's absorbed versions have to cover
// everything its base counts, the previous register's absorbed slots
// included. (Found as a chaos run's counter one above the acknowledged
// increments plus the unanswered ones.)
func TestCounterCountsEachIncrementOnce(t *testing.T) {
	z, a, b := newHarness(t, 1, true, 3), newHarness(t, 1, true, 1), newHarness(t, 1, true, 2)
	for range 5 {
		z.do("INCR_INT (1)n 1")
	}
	a.receive(z.deltas)
	a.deltas = nil
	a.check("> INCR_INT (1)n 1\n< OK:INT 6")
	b.receive(a.deltas) // A's register (base 6), without Z's slot
	b.check("> GET (1)n\n< OK:INT 6\n> INCR_INT (1)n 1\n< OK:INT 7")
	b.receive(z.deltas) // Z's increments arrive late
	b.check("> GET (1)n\n< OK:INT 7")
	// Every replica, once it has everything, reads the same 7.
	a.receive(b.deltas)
	z.receive(a.deltas)
	z.receive(b.deltas)
	for name, h := range map[string]*harness{"z": z, "a": a, "b": b} {
		if got := h.do("GET (1)n"); got != "OK:INT 7" {
			t.Errorf("replica %s reads %s, want OK:INT 7", name, got)
		}
	}
}

// TestCountersAreExact: replicas increment one INT and one FLOAT key
// concurrently while their deltas travel in any order, some duplicated
// and some long delayed, with anti-entropy joining whole states now and
// then; once everything is delivered, every replica reads exactly the
// sum of all increments. (Convergence alone, TestConvergence, holds even
// when every replica counts an increment twice.)
func TestCountersAreExact(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		n := rapid.IntRange(2, 4).Draw(rt, "replicas")
		reps := make([]*harness, n)
		for i := range reps {
			reps[i] = newHarness(rt, 1, true, uint64(i+1))
			reps[i].wall += rapid.Int64Range(-50, 50).Draw(rt, "skew")
		}
		type msg struct {
			to int
			d  Delta
		}
		var net []msg
		rng := rand.New(rand.NewPCG(rapid.Uint64().Draw(rt, "seed"), 11))
		var intSum int64
		var floatSum float64
		steps := rapid.IntRange(20, 200).Draw(rt, "steps")
		for range steps {
			for _, r := range reps {
				r.wall += rapid.Int64Range(0, 5).Draw(rt, "tick")
			}
			switch rapid.IntRange(0, 5).Draw(rt, "action") {
			case 0, 1: // deliver one message, sometimes keeping a duplicate
				if len(net) > 0 {
					k := rng.IntN(len(net))
					m := net[k]
					if rng.IntN(5) != 0 {
						net = append(net[:k], net[k+1:]...)
					}
					reps[m.to].receive([]Delta{m.d})
				}
			case 2: // anti-entropy: one replica's whole state into another
				a, b := rng.IntN(n), rng.IntN(n)
				reps[a].shards[0].Each(func(d *Delta) bool {
					reps[b].receive([]Delta{*d})
					return true
				})
			default: // an increment on some replica, sent to the others
				i := rng.IntN(n)
				reps[i].deltas = nil
				if rng.IntN(2) == 0 {
					by := int64(rng.IntN(9) + 1)
					reps[i].do("INCR_INT (1)i " + strconv.FormatInt(by, 10))
					intSum += by
				} else {
					by := float64(rng.IntN(8)+1) / 4 // exact in binary: sums compare exactly
					reps[i].do("INCR_FLOAT (1)f " + strconv.FormatFloat(by, 'f', -1, 64))
					floatSum += by
				}
				for _, d := range reps[i].deltas {
					for to := range reps {
						if to != i {
							net = append(net, msg{to, roundTrip(rt, d)})
						}
					}
				}
			}
		}
		for len(net) > 0 {
			k := rng.IntN(len(net))
			reps[net[k].to].receive([]Delta{net[k].d})
			net = append(net[:k], net[k+1:]...)
		}
		wantInt := "NULL"
		if intSum > 0 {
			wantInt = "OK:INT " + strconv.FormatInt(intSum, 10)
		}
		wantFloat := "NULL"
		if floatSum > 0 {
			wantFloat = string(proto.AppendFloat([]byte("OK"), floatSum))
		}
		for i, r := range reps {
			if got := r.do("GET (1)i"); got != wantInt {
				rt.Fatalf("replica %d reads %s for the INT, want %s", i, got, wantInt)
			}
			if got := r.do("GET (1)f"); got != wantFloat {
				rt.Fatalf("replica %d reads %s for the FLOAT, want %s", i, got, wantFloat)
			}
		}
	})
}
