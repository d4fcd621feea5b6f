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
	// A transaction of the serial key alone: one proposal, its commands
	// in order on one state.
	n := upgrades()
	expect(t, cl,
		"TRANSACT_BEGIN", "OK",
		"SET:STR (4)lock (1)t", "QUEUED",
		"STR_APPEND (4)lock (1)u", "QUEUED",
		"GET (4)lock", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(3)OKOK:INT 2OK:STR (2)tu",
		"DEL (4)lock", "OK")
	if got := upgrades() - n; got != 2 {
		t.Fatalf("%d commands took the serial path, want the transaction and the DEL", got)
	}
	expect(t, cl, "CONSISTENCY SERIAL SERIAL", "OK", "GET (4)lock", "NULL",
		// At SERIAL, such a transaction, and Redis's pairs of requests on
		// one key (EXPIRE's EXISTS, then SET_EXPIRY), alike.
		"TRANSACT_BEGIN", "OK",
		"SET:STR (4)lock (1)x", "QUEUED",
		"SET_EXPIRY (4)lock 100", "QUEUED",
		"GET_EXPIRY (4)lock", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(3)OKOKOK:FLOAT 100.000000",
		"TRANSACT_WATCH (1)[(4)lock]", "OK",
		"TRANSACT_BEGIN", "OK",
		"GET (4)lock", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(1)ERROR(92)SERIAL runs one command on one key: run a transaction or a command of several keys at QUORUM")
}

// TestConditionalCommandsInTransactions: inside a transaction of several
// commands, conditional commands run with the transaction, at its
// levels, on a key the serial path wrote before too (Redis's MULTI,
// HINCRBY, EXPIRE, EXEC); a lock command there is refused, with every
// command of the transaction, in words that say what to do; alone, it runs.
func TestConditionalCommandsInTransactions(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl,
		"HASH_INCR (4)h{t} (1)f 1", "OK:INT 1", // serial: the key has a promise from now on
		"TRANSACT_BEGIN", "OK",
		"HASH_INCR (4)h{t} (1)f 5", "QUEUED",
		"SET_EXPIRY (4)h{t} 100", "QUEUED",
		"SET_IF_ABSENT:STR (4)s{t} (1)v", "QUEUED",
		"GET_SET:STR (4)s{t} (1)w", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(4)OK:INT 6OKOK:BOOL trueOK:STR (1)v",
		"HASH_GET (4)h{t} (1)f", "OK:STR (1)6",
		"GET (4)s{t}", "OK:STR (1)w")
	const refused = "ERROR(134)a cluster runs locks, FENCED writes and ONCE or RETRY requests alone, on its serial path, never in a transaction: send them outside it"
	expect(t, cl,
		"TRANSACT_BEGIN", "OK",
		"LOCK_ACQUIRE (4)L{t} (1)o 10000", "QUEUED",
		"SET:STR (4)s{t} (1)x", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(2)"+refused+refused,
		"GET (4)s{t}", "OK:STR (1)w",
		"LOCK_INFO (4)L{t}", "NULL")
}
