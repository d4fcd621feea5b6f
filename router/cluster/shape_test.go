package cluster

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
)

func shp(partitions, replicas int) gossip.Shape {
	return gossip.Shape{Partitions: partitions, Replicas: replicas}
}

// TestLearnShape: a router routes by the counts it was given, else by
// those most nodes gossip, else (nodes of an older version, which gossip
// none) by the defaults, saying so; it settles once, on the first node it
// sees, and has no shape before.
func TestLearnShape(t *testing.T) {
	node := func(name string, tags map[string]string) gossip.Member {
		return gossip.Member{Name: name, Role: gossip.RoleNode, State: gossip.Alive, Tags: tags}
	}
	shaped := func(name string, s gossip.Shape) gossip.Member { return node(name, s.Tags()) }
	router := gossip.Member{Name: "r", Role: gossip.RoleRouter, State: gossip.Alive}
	for _, tc := range []struct {
		name    string
		cfg     gossip.Shape
		members []gossip.Member
		want    gossip.Shape // zero: no shape yet
		warns   bool
	}{
		{"no node yet", gossip.Shape{}, []gossip.Member{router}, gossip.Shape{}, false},
		{"the nodes'", gossip.Shape{}, []gossip.Member{router, shaped("n1", shp(64, 1)), shaped("n2", shp(64, 1))},
			shp(64, 1), false},
		{"given counts win", shp(32, 3), []gossip.Member{shaped("n1", shp(64, 1))}, shp(32, 3), false},
		{"one given, one learned", gossip.Shape{Replicas: 2}, []gossip.Member{shaped("n1", shp(64, 1))}, shp(64, 2), false},
		{"nodes that gossip none", gossip.Shape{}, []gossip.Member{node("old", nil)},
			shp(ring.DefaultPartitions, ring.DefaultReplicas), true},
		{"nodes that gossip partitions only", gossip.Shape{}, []gossip.Member{node("old", map[string]string{gossip.PartitionsTag: "1024"})},
			shp(1024, ring.DefaultReplicas), true},
	} {
		var logs bytes.Buffer
		b := &Backend{cfg: Config{Partitions: tc.cfg.Partitions, Replicas: tc.cfg.Replicas}, log: slog.New(slog.NewTextHandler(&logs, nil))}
		sh := b.learnShape(tc.members)
		switch {
		case tc.want == (gossip.Shape{}) && sh != nil:
			t.Errorf("%s: a shape %+v before any node", tc.name, sh.Shape)
		case tc.want != (gossip.Shape{}) && (sh == nil || sh.Shape != tc.want):
			t.Errorf("%s: %+v, want %+v", tc.name, sh, tc.want)
		case strings.Contains(logs.String(), "level=WARN") != tc.warns:
			t.Errorf("%s: warned %v, want %v: %s", tc.name, !tc.warns, tc.warns, logs.String())
		}
		if sh == nil {
			continue
		}
		// Settled: a later majority of another shape does not move it.
		other := []gossip.Member{shaped("x", shp(8, 5)), shaped("y", shp(8, 5))}
		if again := b.learnShape(other); again != sh || b.partitions() != tc.want.Partitions || b.replicas() != tc.want.Replicas {
			t.Errorf("%s: the shape moved to %+v", tc.name, again.Shape)
		}
	}
}
