package main

import (
	"strings"
	"testing"

	"github.com/vanitydb/vanity/internal/difftest"
)

// TestRestartedAnswersAsNeverStopped sends one wide script (every data
// command whose reply the requests before it decide: difftest.Wide) to a
// server that never stops and, in stretches, to one persisting with
// --fsync=always that is killed with SIGKILL and started again between
// them, half the time after a PERSIST (a snapshot, then the log's tail;
// otherwise the log alone since the last one). Each value type's
// snapshot and log encodings, tombstones and deadlines must bring back
// exactly what was acknowledged: every reply must match.
func TestRestartedAnswersAsNeverStopped(t *testing.T) {
	reqs := difftest.Wide(21, 3000)
	want, err := difftest.RunScript(memoryServer(t).dial(), reqs, false)
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, t.TempDir(), "--fsync=always", "--no-logging")
	db, inTx := "0", false // the session's database, and whether a transaction is open
	restarts := 0
	cl := s.dial()
	for i, q := range reqs {
		if i > 0 && i%100 == 0 && !inTx { // a stretch ends: kill and start again
			if restarts%2 == 1 {
				if got := raw(t, cl, "PERSIST"); got != "OK" {
					t.Fatalf("PERSIST: %q", got)
				}
			}
			cl.Close()
			s.restart()
			restarts++
			cl = s.dial()
			if got := raw(t, cl, "SWITCH_DB "+db); got != "OK" {
				t.Fatalf("SWITCH_DB after the restart: %q", got)
			}
		}
		p, err := cl.Raw(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := difftest.Canonical(q, p); got != want[i] {
			t.Fatalf("request %d %q after %d restarts: %q, never stopped %q", i, q, restarts, got, want[i])
		}
		switch name, arg, _ := strings.Cut(string(q), " "); name {
		case "SWITCH_DB":
			db = arg
		case "TRANSACT_BEGIN":
			inTx = true
		case "TRANSACT_COMMIT", "TRANSACT_DISCARD":
			inTx = false
		}
	}
	cl.Close()
	if restarts < 20 {
		t.Fatalf("only %d restarts", restarts)
	}
}
