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

// TestNowAtKeepsOrder: stamps drawn at a physical time read earlier still
// order after every stamp issued or observed, and carry that time when
// the clock has not passed it.
func TestNowAtKeepsOrder(t *testing.T) {
	c := NewClock(3, func() int64 { return 2000 })
	a := c.Now()
	if b := c.NowAt(1500); !a.Less(b) {
		t.Fatalf("NowAt an earlier time gave %v after %v", b, a)
	}
	if d := c.NowAt(3000); d.Wall() != 3000 {
		t.Fatalf("NowAt(3000) = %v, want wall 3000", d)
	}
	c.Observe(Stamp{Time: 4000 << LogicalBits, Actor: 9})
	if e := c.NowAt(c.Physical()); e.Wall() != 4000 || e.Time&(1<<LogicalBits-1) == 0 {
		t.Fatalf("after observing 4000.0, NowAt gave %v", e)
	}
}
