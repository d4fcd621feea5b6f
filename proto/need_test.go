package proto

import "testing"

func TestNeed(t *testing.T) {
	for _, c := range []struct {
		level   Consistency
		n, want int
	}{
		{ConsOne, 3, 1}, {ConsQuorum, 3, 2}, {ConsAll, 3, 3},
		{ConsQuorum, 1, 1}, {ConsQuorum, 4, 3}, {ConsQuorum, 5, 3}, {ConsAll, 1, 1},
	} {
		if got := c.level.Need(c.n); got != c.want {
			t.Errorf("Need(%v, %d) = %d, want %d", c.level, c.n, got, c.want)
		}
	}
}
