package main

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vanitydb/vanity/internal/resptest"
)

// TestTransactionSizeLimit: a transaction's queued commands take at most
// --max-request bytes, as one request does. The command that would pass
// it is refused and the transaction is doomed: what follows is not kept,
// and the commit runs none of it (Vanity: an ERROR; RESP: EXECABORT).
// The session goes on.
func TestTransactionSizeLimit(t *testing.T) {
	s := start(t, t.TempDir(), "--no-db-persist", "--no-users-persist", "--no-logging", "--max-request=4096", "--resp-port=0")
	c := s.dial()
	v := strings.Repeat("v", 1500)
	set := func(k string) string { return fmt.Sprintf("SET:STR (%d)%s (%d)%s", len(k), k, len(v), v) }
	expect(t, c,
		"TRANSACT_BEGIN", "OK",
		set("a"), "QUEUED",
		set("b"), "QUEUED",
		set("c"), "ERROR(106)transaction too large: its queued commands pass 4096 bytes (--max-request); the commit will run none of it",
		"SET:STR (1)d (1)v", "QUEUED",
		"TRANSACT_COMMIT", "ERROR(92)transaction discarded: its queued commands passed 4096 bytes (--max-request); none of it ran",
		"MANY_GET (4)[(1)a(1)b(1)c(1)d]", "OK:ARR (4)[:NULL :NULL :NULL :NULL ]",
		"TRANSACT_BEGIN", "OK",
		set("a"), "QUEUED",
		"TRANSACT_COMMIT", "OK:AGG(1)OK")

	ctx := context.Background()
	r := resptest.Client(t, s.line("vanity RESP listening on "), 2, 0)
	_, err := r.TxPipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range []string{"x", "y", "z"} {
			p.Set(ctx, k, v, 0)
		}
		return nil
	})
	if err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
		t.Fatalf("MULTI past --max-request: EXEC answered %v, want EXECABORT", err)
	}
	if n, err := r.Exists(ctx, "x", "y", "z").Result(); err != nil || n != 0 {
		t.Fatalf("keys of the discarded transaction: %d exist (%v)", n, err)
	}
	if _, err := r.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, "x", v, 0); return nil }); err != nil {
		t.Fatalf("the next transaction: %v", err)
	}
}
