package node

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestListKeys pages through a partition's keys, counts them, and
// refuses for a partition this node does not serve completely.
func TestListKeys(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	n := newNode(t, Config{Partitions: 4, Now: func() time.Time { return now }})
	for i := 0; i < 40; i++ {
		do(t, n, 0, fmt.Sprintf("SET:INT (3)k%02d %d", i, i))
	}
	do(t, n, 0, "SET_EXPIRY (3)k00 0.5")
	now = now.Add(time.Second) // k00 has expired
	total := 0
	for p := 0; p < 4; p++ {
		var after []byte
		for {
			keys, more, err := n.ListKeys(0, p, after, []byte("k*"), 3)
			if err != nil {
				t.Fatal(err)
			}
			for _, k := range keys {
				if n.partitionOf(k) != p || string(k) == "k00" {
					t.Errorf("partition %d listed %q", p, k)
				}
			}
			total += len(keys)
			if !more {
				break
			}
			after = keys[len(keys)-1]
		}
	}
	if total != 39 {
		t.Errorf("listed %d keys, want 39", total)
	}
	counts, err := n.CountKeys(0)
	if err != nil {
		t.Fatal(err)
	}
	sum := 0
	for _, c := range counts {
		sum += c
	}
	if sum != 39 {
		t.Errorf("counted %d keys (%v), want 39", sum, counts)
	}

	n.parts[2].mu.Lock()
	n.parts[2].state = partCatching
	n.parts[2].mu.Unlock()
	if _, _, err := n.ListKeys(0, 2, nil, nil, 10); !errors.Is(err, ErrNotHeld) {
		t.Errorf("a partition catching up listed its keys: %v", err)
	}
	if counts, _ := n.CountKeys(0); counts[2] != -1 {
		t.Errorf("a partition catching up was counted: %v", counts)
	}
}
