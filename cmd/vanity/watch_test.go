package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// TestWatch runs optimistic transactions (PROTOCOL.md §12.21) over the
// Vanity protocol: a commit after another session's write to a watched
// key answers NULL and runs nothing; one after reads only runs; watched
// keys are forgotten by a commit, a discard and TRANSACT_UNWATCH; a
// KEY_VERSION_IS check queued in a PIPE's transaction does what a watch
// does, in one round trip.
func TestWatch(t *testing.T) {
	s := memoryServer(t)
	c, other := s.dial(), s.dial()
	expect(t, c,
		"SET:INT (1)b 10", "OK",
		"TRANSACT_WATCH (1)[(1)b]", "OK",
		"GET (1)b", "OK:INT 10")
	expect(t, other, "GET (1)b", "OK:INT 10", "SET:INT (1)b 0", "OK")
	expect(t, c,
		"TRANSACT_BEGIN", "OK",
		"SET:INT (1)b 8", "QUEUED",
		"TRANSACT_COMMIT", "NULL",
		"GET (1)b", "OK:INT 0",
		// The commit forgot the key: the next transaction runs.
		"TRANSACT_BEGIN", "OK",
		"SET:INT (1)b 7", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(1)OK")

	// Reads by anyone leave a watched key's version as it was.
	expect(t, c, "TRANSACT_WATCH (2)[(1)b(1)n]", "OK")
	expect(t, other, "GET (1)b", "OK:INT 7", "EXISTS (1)n", "NULL", "KEY_VERSION_IS (1)b 0", "OK:BOOL false")
	expect(t, c,
		"TRANSACT_BEGIN", "OK",
		"INCR_INT (1)b 1", "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(1)OK:INT 8")

	// TRANSACT_UNWATCH and TRANSACT_DISCARD forget the watched keys.
	expect(t, c, "TRANSACT_WATCH (1)[(1)b]", "OK", "TRANSACT_UNWATCH", "OK")
	expect(t, other, "SET:INT (1)b 1", "OK")
	expect(t, c, "TRANSACT_BEGIN", "OK", "INCR_INT (1)b 1", "QUEUED", "TRANSACT_COMMIT", "OK:AGG(1)OK:INT 2")
	expect(t, c, "TRANSACT_WATCH (1)[(1)b]", "OK", "TRANSACT_BEGIN", "OK", "TRANSACT_DISCARD", "OK")
	expect(t, other, "SET:INT (1)b 1", "OK")
	expect(t, c, "TRANSACT_BEGIN", "OK", "INCR_INT (1)b 1", "QUEUED", "TRANSACT_COMMIT", "OK:AGG(1)OK:INT 2")

	// Refusals: inside a transaction, without keys, across databases.
	expect(t, c,
		"TRANSACT_BEGIN", "OK",
		"TRANSACT_WATCH (1)[(1)b]", "BAD_STATE",
		"TRANSACT_UNWATCH", "BAD_STATE",
		"TRANSACT_DISCARD", "OK",
		"TRANSACT_WATCH (0)[]", "ERROR(37)TRANSACT_WATCH needs at least one key",
		"TRANSACT_WATCH (1)[(1)b]", "OK",
		"SWITCH_DB 1", "OK",
		"TRANSACT_BEGIN", "OK",
		"SET:INT (1)b 5", "QUEUED",
		"TRANSACT_COMMIT", "ERROR(135)a key watched in database 0 and a commit in database 1: Vanity checks watched keys in the commit's database; watch them after SWITCH_DB",
		"GET (1)b", "NULL",
		"SWITCH_DB 0", "OK")

	// A check queued by the client: the commit runs only while it holds.
	version := strings.TrimPrefix(raw(t, c, "KEY_VERSION (1)b"), "OK:INT ")
	pipe := fmt.Sprintf("PIPE(4)TRANSACT_BEGINKEY_VERSION_IS (1)b %sINCR_INT (1)b 10TRANSACT_COMMIT", version)
	expect(t, c,
		pipe, "OK:PIPE(4)OKQUEUEDQUEUEDOK:AGG(2)OK:BOOL trueOK:INT 12",
		pipe, "OK:PIPE(4)OKQUEUEDQUEUEDNULL",
		"GET (1)b", "OK:INT 12")

	// In a PIPE, a watch after a write reads the version the write left.
	expect(t, c,
		"PIPE(5)SET:INT (1)w 1TRANSACT_WATCH (1)[(1)w]TRANSACT_BEGININCR_INT (1)w 1TRANSACT_COMMIT",
		"OK:PIPE(5)OKOKOKQUEUEDOK:AGG(1)OK:INT 2")
}

// TestPipeRunsInOrder: an entry of a PIPE that waits itself (DB_SIZE,
// KEYS, SCAN, a blocking pop, TRANSACT_WATCH) sees what the pipe's
// earlier entries wrote, served by the event loops or by a goroutine per
// connection, and the frame around them stays whole.
func TestPipeRunsInOrder(t *testing.T) {
	for _, mode := range [][]string{nil, {"--event-loops=0"}} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			s := start(t, t.TempDir(), append([]string{"--no-db-persist", "--no-users-persist", "--no-logging", "--max-reply=2048"}, mode...)...)
			c := s.dial()
			expect(t, c,
				"PIPE(3)SET:STR (1)a (1)vDB_SIZEKEYS (1)*", "OK:PIPE(3)OKOK:INT 1OK:LIST (1)[(1)a]",
				"PIPE(4)GET (1)aSET:STR (1)b (1)wDB_SIZEGET (1)b", "OK:PIPE(4)OK:STR (1)vOKOK:INT 2OK:STR (1)w",
				"PIPE(2)LIST_PUSH_RIGHT (1)q (1)[(1)x]LIST_POP_LEFT_WAIT (1)q 1 1000", "OK:PIPE(2)OK:INT 1OK:LIST (1)[(1)x]",
				"PIPE(3)SET:STR (1)c (1)vPIPE(2)DEL (1)aDB_SIZEGET (1)c", "OK:PIPE(3)OKOK:PIPE(2)OKOK:INT 2OK:STR (1)v",
			)
			// A reply over --max-reply among the entries before: the frame
			// is the error, and the connection goes on.
			big := strings.Repeat("x", 3000)
			expect(t, c, fmt.Sprintf("SET:STR (1)g (%d)%s", len(big), big), "OK",
				"PIPE(3)GET (1)gDB_SIZEGET (1)c", "INTERNAL_ERROR(18)response too large",
				"PIPE(2)GET (1)cDB_SIZE", "OK:PIPE(2)OK:STR (1)vOK:INT 3")
		})
	}
}

// TestGoClientCheck: the Go client's Tx.Check runs a transaction only
// while the key's version is the one read, and says ErrChanged otherwise.
func TestGoClientCheck(t *testing.T) {
	s := memoryServer(t)
	c, other := s.dial(), s.dial()
	expect(t, c, "SET:INT (1)n 1", "OK")
	r, err := c.KeyVersion("n")
	if err != nil || r.Value.Type != proto.TypeInt {
		t.Fatalf("KeyVersion: %s %v", client.Format(r), err)
	}
	v := r.Value.Int
	if r, err := c.Tx().Check("n", v).Add("INCR_INT", "n", 1).Commit(); err != nil || r.Value.Replies[1].Value.Int != 2 {
		t.Fatalf("a commit whose check holds: %s %v", client.Format(r), err)
	}
	if r, err = c.KeyVersion("n"); err != nil {
		t.Fatal(err)
	}
	v = r.Value.Int
	expect(t, other, "INCR_INT (1)n 10", "OK:INT 12")
	if _, err := c.Tx().Check("n", v).Add("INCR_INT", "n", 1).Commit(); !errors.Is(err, client.ErrChanged) {
		t.Fatalf("a commit after another session's write: %v, want ErrChanged", err)
	}
	expect(t, c, "GET (1)n", "OK:INT 12")
}

// TestGoClientWatch: the pooled client's Watch, as go-redis's: clients
// incrementing one counter, each retrying a commit that ran nothing
// (ErrChanged), lose no increment; a session command stays off the
// pool's shared connections.
func TestGoClientWatch(t *testing.T) {
	s := memoryServer(t)
	ctx := context.Background()
	db, err := client.Open(ctx, s.addr, client.Options{PoolSize: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Do(ctx, "TRANSACT_WATCH", []string{"n"}); !errors.Is(err, client.ErrSessionCommand) {
		t.Errorf("TRANSACT_WATCH through Do: %v, want ErrSessionCommand", err)
	}
	const workers, each = 4, 15
	var retried atomic.Int64
	errs := make(chan error, workers)
	for range workers {
		go func() {
			errs <- func() error {
				for range each {
					for {
						err := db.Watch(ctx, func(c *client.Client) error {
							r, err := c.Get("n")
							if err != nil {
								return err
							}
							_, err = c.Tx().Add("SET :INT", "n", r.Value.Int+1).Commit()
							return err
						}, "n")
						if !errors.Is(err, client.ErrChanged) {
							if err != nil {
								return err
							}
							break
						}
						retried.Add(1)
					}
				}
				return nil
			}()
		}()
	}
	for range workers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n, err := db.GetInt(ctx, "n"); err != nil || n != workers*each {
		t.Fatalf("counter %d (%v), want %d", n, err, workers*each)
	}
	t.Logf("%d increments, %d commits ran nothing and were retried", workers*each, retried.Load())
}
