package hlc

import (
	"sync"
	"testing"
)

func TestClockMonotonic(t *testing.T) {
	wall := int64(1000)
	c := NewClock(7, func() int64 { return wall })
	a := c.Now()
	b := c.Now()
	if !a.Less(b) || a.Wall() != 1000 || b.Wall() != 1000 {
		t.Fatalf("stamps %v then %v", a, b)
	}
	wall = 999 // the physical clock steps back: stamps still increase
	if d := c.Now(); !b.Less(d) {
		t.Fatalf("after a backwards step got %v after %v", d, b)
	}
	wall = 2000
	if e := c.Now(); e.Wall() != 2000 || e.Actor != 7 {
		t.Fatalf("got %v", e)
	}
}

func TestClockObserve(t *testing.T) {
	c := NewClock(1, func() int64 { return 10 })
	remote := Stamp{Time: 50 << LogicalBits, Actor: 2}
	c.Observe(remote)
	if s := c.Now(); !remote.Less(s) {
		t.Fatalf("stamp %v does not order after observed %v", s, remote)
	}
}

func TestClockConcurrentUnique(t *testing.T) {
	c := NewClock(1, func() int64 { return 5 })
	var mu sync.Mutex
	seen := map[Stamp]bool{}
	var wg sync.WaitGroup
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			local := make([]Stamp, 0, 1000)
			for i := 0; i < 1000; i++ {
				local = append(local, c.Now())
			}
			mu.Lock()
			defer mu.Unlock()
			for _, s := range local {
				if seen[s] {
					t.Errorf("duplicate stamp %v", s)
				}
				seen[s] = true
			}
		}()
	}
	wg.Wait()
}

func TestEndOfMilli(t *testing.T) {
	e := EndOfMilli(100)
	in := Stamp{Time: 100<<LogicalBits | 5, Actor: 99}
	after := Stamp{Time: 101 << LogicalBits}
	if !in.Less(e) || !e.Less(after) {
		t.Fatalf("EndOfMilli(100) = %v does not separate %v and %v", e, in, after)
	}
}
