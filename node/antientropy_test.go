package node

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/vfs"
)

// TestAwayTooLongRefusesToStart: a replicated node whose alive mark is
// older than the reap timeout refuses its data, with a message that says
// what to do, unless told the whole cluster was down; a recent mark, or a
// node that holds nothing, starts.
func TestAwayTooLongRefusesToStart(t *testing.T) {
	fs := vfs.NewMem()
	if err := fs.MkdirAll("/d"); err != nil {
		t.Fatal(err)
	}
	cfg := ServiceConfig{Node: Config{Partitions: 4, FS: fs, HeldPath: "/d/held", Cluster: true, KeepTombstones: true},
		Replicas: 3, ReapTimeout: time.Hour}
	n, err := New(cfg.Node)
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	s := &Service{cfg: cfg, node: n}
	now := time.Now()
	if err := checkAway(cfg, n, now); err != nil {
		t.Fatalf("a node never started before: %v", err)
	}
	if err := s.markAlive(now.Add(-2 * time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := checkAway(cfg, n, now); err != nil {
		t.Fatalf("a node that holds nothing: %v", err)
	}
	if err := n.SetHeld(1, true); err != nil {
		t.Fatal(err)
	}
	err = checkAway(cfg, n, now)
	if err == nil || !strings.Contains(err.Error(), "empty data directory") {
		t.Fatalf("away 2h with a 1h reap timeout: got %v", err)
	}
	stale := cfg
	stale.KeepStaleData = true
	if err := checkAway(stale, n, now); err != nil {
		t.Fatalf("with KeepStaleData: %v", err)
	}
	one := cfg
	one.Replicas = 1
	if err := checkAway(one, n, now); err != nil {
		t.Fatalf("one replica (the only copy is never refused): %v", err)
	}
	if err := s.markAlive(now.Add(-30 * time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := checkAway(cfg, n, now); err != nil {
		t.Fatalf("away 30m: %v", err)
	}
}

func TestDigestRequestRoundTrip(t *testing.T) {
	for _, tail := range []int{0, 8, 32} {
		b := appendDigestRequest(1023, hlcAt(12345), make([]byte, tail))
		p, h, rest, err := decodeDigestRequest(b, tail)
		if err != nil || p != 1023 || h != hlcAt(12345) || len(rest) != tail {
			t.Fatalf("tail %d: got %d %v %d %v", tail, p, h, len(rest), err)
		}
		if _, _, _, err := decodeDigestRequest(b[:len(b)-1], tail); err == nil {
			t.Fatalf("tail %d: a truncated request decoded", tail)
		}
	}
}

func hlcAt(ms int64) hlc.Stamp { return hlc.Stamp{Time: uint64(ms) << hlc.LogicalBits} }

// TestSweepOrderRotates: a sweep visits every served partition once,
// beginning where its draw says (modulo the count), so that sweeps cut
// short by restarts begin in different places.
func TestSweepOrderRotates(t *testing.T) {
	served := []int{3, 5, 8, 13}
	for from, want := range [][]int{{3, 5, 8, 13}, {5, 8, 13, 3}, {8, 13, 3, 5}, {13, 3, 5, 8}, {3, 5, 8, 13}} {
		got := sweepOrder(slices.Clone(served), uint64(from))
		if !slices.Equal(got, want) {
			t.Errorf("from %d: %v, want %v", from, got, want)
		}
	}
	if got := sweepOrder(nil, 7); len(got) != 0 {
		t.Errorf("nothing served: %v", got)
	}
}
