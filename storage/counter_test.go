package storage

import "testing"

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
