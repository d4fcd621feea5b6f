package storage

import (
	"flag"
	"os"
	"testing"
)

// TestMain raises rapid's default number of cases: the convergence
// properties need a few hundred random histories before rare interleavings
// (say, two LIST_SETs of one element delivered out of order) show up.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "rapid.checks" })
	if !set && !testing.Short() {
		_ = flag.Set("rapid.checks", "2000")
	}
	os.Exit(m.Run())
}

// entryOf returns key's entry in db (the zero entry when there is none).
func (s *Shard) entryOf(db int, key string) entry {
	e, _ := s.dbs[db].getString(key)
	return e
}

// visibleOf returns what a reader sees of key in db, deadlines aside (nil:
// nothing).
func (s *Shard) visibleOf(db int, key string) value {
	e := s.entryOf(db, key)
	return e.visible()
}
