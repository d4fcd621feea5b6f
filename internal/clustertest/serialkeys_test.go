package clustertest

import (
	"testing"

	"github.com/vanitydb/vanity/client"
)

// TestWritesToSerialKeysTakeTheSerialPath: once a key has been written
// through its consensus (SET_IF_ABSENT), ordinary QUORUM writes to it go
// on the serial path (their coordinator sends them there), with their
// usual replies, and the reads pipelined after them see them; writes to
// other keys stay ordinary.
func TestWritesToSerialKeysTakeTheSerialPath(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	upgrades := func() (n int64) {
		for _, nd := range c.Nodes {
			n += nd.Service.SerialUpgrades()
		}
		return n
	}
	expect(t, cl, "SET:STR (5)plain (1)a", "OK", "DEL (5)plain", "OK")
	if n := upgrades(); n != 0 {
		t.Fatalf("writes to a key never written at SERIAL took the serial path %d times", n)
	}
	expect(t, cl, "SET_IF_ABSENT:STR (4)lock (1)a", "OK:BOOL true")
	// Ordinary commands only: one run to the key's coordinator, which
	// sends the writes on the serial path and runs the reads in turn.
	expect(t, cl,
		"PIPE(5)SET:STR (4)lock (1)b GET (4)lock SET:STR (4)lock (1)c GET (4)lock MANY_GET (2)[(4)lock(5)plain]",
		"OK:PIPE(5)OKOK:STR (1)bOKOK:STR (1)cOK:ARR (2)[:STR (1)c:NULL ]")
	// A serial command beside ordinary ones on its key: the router runs
	// the job item by item.
	expect(t, cl,
		"PIPE(4)SET:STR (4)lock (1)b GET (4)lock STR_APPEND (4)lock (1)c GET (4)lock",
		"OK:PIPE(4)OKOK:STR (1)bOK:INT 2OK:STR (2)bc",
		"DEL (4)lock", "OK",
		"GET (4)lock", "NULL")
	if n := upgrades(); n < 4 {
		t.Fatalf("%d commands took the serial path, want the four SETs and the DEL at least", n)
	}
	expect(t, cl, "CONSISTENCY SERIAL SERIAL", "OK", "GET (4)lock", "NULL")
}
