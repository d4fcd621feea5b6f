package clustertest

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/vanitydb/vanity/client"
)

// TestBackupAndRestore is docs/cluster.md's backup procedure: PERSIST
// (every node writes a snapshot), copy each node's snapshot and held
// file; to restore, stop every node, replace each data directory with its
// copy, start them. The cluster is back at the backup: what was written
// before it reads back, what came after is gone, users included.
func TestBackupAndRestore(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl, "SET:STR (6)before (1)1", "OK", "ADD_USER (5)alice (6)secret", "OK", "PERSIST", "OK")
	backup := t.TempDir()
	for _, n := range c.Nodes {
		for _, f := range []string{"vanity.db", "held"} {
			b, err := os.ReadFile(filepath.Join(n.Dir, f))
			if err != nil {
				t.Fatalf("backup of %s: %v", n.Name, err)
			}
			if err := os.WriteFile(filepath.Join(backup, n.Name+"."+f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	expect(t, cl, "SET:STR (5)after (1)2", "OK", "DEL (6)before", "OK")

	for i := range c.Nodes {
		c.StopNode(i)
	}
	for _, n := range c.Nodes {
		if err := os.RemoveAll(n.Dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(n.Dir, 0o700); err != nil {
			t.Fatal(err)
		}
		for _, f := range []string{"vanity.db", "held"} {
			b, err := os.ReadFile(filepath.Join(backup, n.Name+"."+f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(n.Dir, f), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range c.Nodes {
		c.RestartNode(i)
	}
	c.WaitServed(3)
	for i := range c.Nodes {
		c.WaitReady(i)
	}
	cl = dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl, "GET (6)before", "OK:STR (1)1", "GET (5)after", "NULL")
	alice := dial(t, c.Routers[0].Addr, client.Options{Username: "alice", Password: "secret"})
	expect(t, alice, "GET (6)before", "OK:STR (1)1")
}
