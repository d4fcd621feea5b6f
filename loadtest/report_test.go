package main

import (
	"os"
	"path/filepath"
	"testing"
)

// TestUnusedName: a report never overwrites one written before it.
func TestUnusedName(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "2026-12-05-abc-cluster-n3.md")
	for _, want := range []string{"2026-12-05-abc-cluster-n3.md", "2026-12-05-abc-cluster-n3-2.md", "2026-12-05-abc-cluster-n3-3.md"} {
		got := unusedName(name)
		if filepath.Base(got) != want {
			t.Fatalf("unusedName = %s, want %s", filepath.Base(got), want)
		}
		if err := os.WriteFile(got, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
