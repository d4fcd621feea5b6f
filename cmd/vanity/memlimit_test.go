package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/freeport"
	"github.com/vanitydb/vanity/internal/resptest"
	"github.com/vanitydb/vanity/internal/smallmem"
)

// TestMaxMemory fills a server with --max-memory=48MiB: the writes that
// add data are then refused, on both ports, with an error that says so;
// reads, PING and deletes go on; once the keys are deleted, writes are
// taken again without a restart. Redis's clients read maxmemory from
// CONFIG GET and get Redis's OOM error.
func TestMaxMemory(t *testing.T) {
	debug, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, t.TempDir(), "--no-db-persist", "--no-users-persist", "--no-logging", "--resp-port=0", "--max-memory=48MiB", "--debug-addr="+debug)
	c := s.dial()
	value := strings.Repeat("v", 1<<20)
	var acked []string
	refused := ""
	deadline := time.Now().Add(60 * time.Second)
	for i := 0; refused == "" && time.Now().Before(deadline); i++ {
		key := fmt.Sprintf("k%04d", i)
		got := raw(t, c, fmt.Sprintf("SET:STR (%d)%s (%d)%s", len(key), key, len(value), value))
		switch {
		case got == "OK":
			acked = append(acked, key)
		case strings.HasPrefix(got, "ERROR(") && strings.Contains(got, "out of memory: this node's live heap is"):
			refused = got
		default:
			t.Fatalf("write %d: %.200q", i, got)
		}
	}
	if refused == "" || len(acked) < 20 {
		t.Fatalf("no refusal after %d writes of 1 MiB", len(acked))
	}
	t.Logf("%d writes of 1 MiB taken, then %q", len(acked), refused)
	if !strings.Contains(refused, "over its --max-memory of 48.0 MiB") {
		t.Errorf("the refusal does not name the limit: %q", refused)
	}
	want := fmt.Sprintf("OK:STR (%d)%s", len(value), value)
	expect(t, c, "GET (5)"+acked[0], want, "PING", "PONG:STR (0)")
	if got := raw(t, c, "LIST_PUSH_RIGHT (1)l (1)[(1)x]"); !strings.Contains(got, "out of memory") {
		t.Errorf("a push over the limit: %.200q", got)
	}

	metric := scrape(t, debug)
	if v, n := metric("vanity_memory_refusing"), metric("vanity_memory_refused_total"); v != 1 || n < 2 {
		t.Errorf("/metrics over the limit: refusing %v, %v refused", v, n)
	}
	if v := metric("vanity_max_memory_bytes"); v != 48<<20 {
		t.Errorf("vanity_max_memory_bytes %v", v)
	}
	ctx := context.Background()
	db, err := client.Open(ctx, s.addr, client.Options{PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Set(ctx, "g", "x"); !errors.Is(err, client.ErrOutOfMemory) {
		t.Errorf("the Go client's Set over the limit: %v, want ErrOutOfMemory", err)
	}
	if err := db.Set(ctx, "g", "x"); errors.Is(err, client.ErrFenced) {
		t.Errorf("the refusal matches ErrFenced: %v", err)
	}
	rc := resptest.Client(t, s.line("vanity RESP listening on "), 2, 0)
	if err := rc.Set(ctx, "r", "x", 0).Err(); err == nil || err.Error() != "OOM command not allowed when used memory > 'maxmemory'." {
		t.Errorf("RESP SET over the limit: %v", err)
	}
	if got, err := rc.ConfigGet(ctx, "maxmemory").Result(); err != nil || got["maxmemory"] != fmt.Sprint(48<<20) {
		t.Errorf("CONFIG GET maxmemory: %v, %v", got, err)
	}
	if n, err := rc.Exists(ctx, acked[0]).Result(); err != nil || n != 1 {
		t.Errorf("RESP EXISTS over the limit: %d, %v", n, err)
	}

	for _, k := range acked {
		if got := raw(t, c, fmt.Sprintf("DEL (%d)%s", len(k), k)); got != "OK" {
			t.Fatalf("DEL %s over the limit: %q", k, got)
		}
	}
	deadline = time.Now().Add(30 * time.Second)
	for {
		got := raw(t, c, "SET:STR (5)after (1)x")
		if got == "OK" {
			break
		}
		if got != refused && !strings.Contains(got, "out of memory") {
			t.Fatalf("SET after the deletes: %q", got)
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused 30 s after every key was deleted: %q", got)
		}
		time.Sleep(50 * time.Millisecond) // polling the server's reading (every 100 ms)
	}
	if err := rc.Set(ctx, "r", "x", 0).Err(); err != nil {
		t.Errorf("RESP SET back under the limit: %v", err)
	}
}

// TestDefaultMemoryLimitKeepsTheServerUp fills a server in a control
// group of 256 MiB with values of 1 MiB. With the default --max-memory
// (60% of the group's memory) it refuses writes before the group is full
// and serves on; without a limit the kernel kills it, which shows that the
// group bites.
func TestDefaultMemoryLimitKeepsTheServerUp(t *testing.T) {
	for _, tc := range []struct {
		name     string
		args     []string
		survives bool
	}{{"default", nil, true}, {"none", []string{"--max-memory=0"}, false}} {
		t.Run(tc.name, func(t *testing.T) {
			prefix := smallmem.Prefix(t, 256<<20)
			s := startWith(t, prefix, t.TempDir(), append([]string{"--no-db-persist", "--no-users-persist", "--no-logging"}, tc.args...)...)
			c := s.dial()
			value := strings.Repeat("v", 1<<20)
			taken, refused := 0, ""
			var broke error
			for i := 0; i < 512 && refused == "" && broke == nil; i++ {
				key := fmt.Sprintf("k%04d", i)
				out, err := c.Raw(fmt.Appendf(nil, "SET:STR (%d)%s (%d)%s", len(key), key, len(value), value))
				switch got := string(out); {
				case err != nil:
					broke = err
				case got == "OK":
					taken++
				case strings.Contains(got, "out of memory: this node's live heap is"):
					refused = got
				default:
					t.Fatalf("write %d: %.200q", i, got)
				}
			}
			t.Logf("%d writes of 1 MiB taken; refused: %.90q; connection: %v", taken, refused, broke)
			if !tc.survives {
				if broke == nil {
					t.Fatalf("a server without a limit took %d MiB in a group of 256 MiB", taken)
				}
				if _, err := s.wait(10 * time.Second); err != nil {
					t.Fatalf("the server did not end: %v", err)
				}
				return
			}
			if refused == "" || broke != nil || taken < 100 {
				t.Fatalf("the default limit did not keep the server up: %d taken, refused %q, %v", taken, refused, broke)
			}
			expect(t, s.dial(), "PING", "PONG:STR (0)", "EXISTS (5)k0000", "OK")
		})
	}
}
