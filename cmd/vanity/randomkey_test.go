package main

import (
	"fmt"
	"strings"
	"testing"
)

// TestRandomKey: NULL for an empty database; otherwise a key that exists,
// and over many calls more than one of them; other databases' keys never.
func TestRandomKey(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	expect(t, c, "SWITCH_DB 3", "OK", "RANDOM_KEY", "NULL", "SET:STR (5)other (1)v", "OK", "SWITCH_DB 4", "OK")
	keys := map[string]bool{}
	for i := range 40 {
		k := fmt.Sprintf("key-%02d", i)
		keys[k] = true
		expect(t, c, fmt.Sprintf("SET:INT (%d)%s %d", len(k), k, i), "OK")
	}
	seen := map[string]bool{}
	for range 50 {
		r := raw(t, c, "RANDOM_KEY")
		k, ok := strings.CutPrefix(r, "OK:STR (6)")
		if !ok || !keys[k] {
			t.Fatalf("RANDOM_KEY: %q, want one of the database's keys", r)
		}
		seen[k] = true
	}
	if len(seen) < 5 {
		t.Errorf("50 RANDOM_KEYs gave %d keys of 40: %v", len(seen), seen)
	}
	// In a PIPE it sees the pipe's own write.
	expect(t, c, "RESET", "OK", "PIPE(2)SET:STR (4)last (1)vRANDOM_KEY", "OK:PIPE(2)OKOK:STR (4)last")
}
