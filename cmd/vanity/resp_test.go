package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/vanitydb/vanity/internal/resptest"
)

// respServer starts an in-memory server with a RESP listener and returns
// its RESP address.
func respServer(t *testing.T, args ...string) string {
	s := start(t, t.TempDir(), append([]string{"--no-db-persist", "--no-users-persist", "--no-logging", "--resp-port=0"}, args...)...)
	return s.line("vanity RESP listening on ")
}

// TestRESP runs Redis's clients and tools against the single process:
// go-redis in both protocol versions, served by the event loops and by a
// goroutine per connection.
func TestRESP(t *testing.T) {
	for _, mode := range []struct {
		name string
		args []string
	}{{"loops", nil}, {"goroutines", []string{"--event-loops=0"}}} {
		t.Run(mode.name, func(t *testing.T) {
			addr := respServer(t, mode.args...)
			resptest.All(t, addr, addr)
			t.Run("wait", func(t *testing.T) { resptest.Wait(t, addr, 1) })
		})
	}
}

// TestRESPReplyLimit: a reply over --max-reply is refused with an error,
// as on the Vanity port, and the connection goes on.
func TestRESPReplyLimit(t *testing.T) {
	addr := respServer(t, "--max-reply=2048")
	ctx := context.Background()
	c := resptest.Client(t, addr, 2, 0)
	for i := range 100 {
		if err := c.RPush(ctx, "big", strings.Repeat("x", 20)+strconv.Itoa(i)).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.LRange(ctx, "big", 0, -1).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR response too large") {
		t.Errorf("LRANGE over the limit: %v", err)
	}
	if n, err := c.LLen(ctx, "big").Result(); err != nil || n != 100 {
		t.Errorf("after the refusal: LLEN %d, %v", n, err)
	}
}

// TestRESPSave: SAVE is PERSIST, a snapshot written before the reply; with
// persistence off it answers PERSIST's error.
func TestRESPSave(t *testing.T) {
	ctx := context.Background()
	s := start(t, t.TempDir(), "--no-users-persist", "--no-logging", "--resp-port=0")
	c := resptest.Client(t, s.line("vanity RESP listening on "), 2, 0)
	if err := c.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	if got, err := c.Save(ctx).Result(); err != nil || got != "OK" {
		t.Errorf("SAVE = %q, %v; want OK", got, err)
	}
	off := resptest.Client(t, respServer(t), 2, 0)
	if err := off.Save(ctx).Err(); err == nil || !strings.Contains(err.Error(), "Persistence disabled") {
		t.Errorf("SAVE with --no-db-persist: %v, want the Persistence disabled error", err)
	}
}

// TestRESPMSetIsAtomic: the single process runs an MSET as one unit, as
// Redis does: a reader's MGET never sees some of its keys written and not
// the others (a cluster runs MSET key by key: docs/resp.md).
func TestRESPMSetIsAtomic(t *testing.T) {
	for _, mode := range [][]string{nil, {"--event-loops=0"}} {
		t.Run(fmt.Sprint(mode), func(t *testing.T) {
			addr := respServer(t, mode...)
			ctx := context.Background()
			w, r := resptest.Client(t, addr, 2, 0), resptest.Client(t, addr, 2, 0)
			const rounds = 2000
			done := make(chan error, 1)
			go func() {
				for i := range rounds {
					if err := w.MSet(ctx, "a", i, "b", i, "c", i).Err(); err != nil {
						done <- err
						return
					}
				}
				done <- nil
			}()
			for reads := 0; ; reads++ {
				select {
				case err := <-done:
					if err != nil {
						t.Fatal(err)
					}
					t.Logf("%d MGETs beside %d MSETs", reads, rounds)
					return
				default:
				}
				vals, err := r.MGet(ctx, "a", "b", "c").Result()
				if err != nil {
					t.Fatal(err)
				}
				if vals[0] != vals[1] || vals[1] != vals[2] {
					t.Fatalf("an MGET saw a half-done MSET: a=%v b=%v c=%v", vals[0], vals[1], vals[2])
				}
			}
		})
	}
}

// TestRESPClientListNeedsAdmin: CLIENT LIST shows every user's
// connections, so a USER is refused it; CLIENT INFO, its own line, is
// anyone's.
func TestRESPClientListNeedsAdmin(t *testing.T) {
	s := start(t, t.TempDir(), "--no-db-persist", "--no-users-persist", "--no-logging", "--resp-port=0")
	expect(t, s.dial(), "ADD_USER (6)bobcat (8)password", "OK")
	bob := redis.NewClient(&redis.Options{Addr: s.line("vanity RESP listening on "), Username: "bobcat", Password: "password",
		Protocol: 2, DisableIdentity: true})
	defer bob.Close()
	ctx := context.Background()
	if err := bob.Do(ctx, "CLIENT", "LIST").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Errorf("CLIENT LIST as a USER: %v, want NOPERM", err)
	}
	if err := bob.Do(ctx, "CLIENT", "KILL", "USER", "vanity").Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Errorf("CLIENT KILL as a USER: %v, want NOPERM", err)
	}
	if info, err := bob.Do(ctx, "CLIENT", "INFO").Text(); err != nil || !strings.Contains(info, " user=bobcat ") {
		t.Errorf("CLIENT INFO as a USER: %q, %v", info, err)
	}
}
