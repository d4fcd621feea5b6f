package main

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vanitydb/vanity/internal/resptest"
	"github.com/vanitydb/vanity/proto"
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
	s := start(t, t.TempDir(), "--no-users-persist", "--no-logging", "--resp-port=0")
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

// TestRESPSlowLog: with every command slow (--slowlog-log-slower-than=0),
// SLOWLOG GET shows the newest --slowlog-max-len data commands, newest
// first, with ids one apart: a Redis command with the arguments its client
// sent, the client's address and name, a Vanity command as its request's
// text; KEYS, which runs away from the event loop, too. RESET empties the
// log and ids go on; CONFIG GET gives the flags;
// a USER may not read the log.
func TestRESPSlowLog(t *testing.T) {
	s := start(t, t.TempDir(), "--no-db-persist", "--no-users-persist", "--no-logging", "--resp-port=0",
		"--slowlog-log-slower-than=0", "--slowlog-max-len=3")
	addr := s.line("vanity RESP listening on ")
	ctx := context.Background()
	c := redis.NewClient(&redis.Options{Addr: addr, Password: resptest.Password, Protocol: 3, ClientName: "slowpoke",
		DisableIdentity: true, PoolSize: 1})
	defer c.Close()
	if err := c.Do(ctx, "SLOWLOG", "RESET").Err(); err != nil {
		t.Fatal(err)
	}
	for _, cmd := range [][]any{{"set", "k", "v"}, {"get", "k"}, {"rpush", "l", "a", "b"}, {"mset", "m1", "1", "m2", "2"}} {
		if err := c.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(cmd, err)
		}
	}
	info, err := c.ClientInfo(ctx).Result()
	if err != nil {
		t.Fatal(err)
	}
	if n, err := c.Do(ctx, "SLOWLOG", "LEN").Int(); err != nil || n != 3 {
		t.Errorf("SLOWLOG LEN after 4 commands, 3 kept: %d, %v", n, err)
	}
	log, err := c.SlowLogGet(ctx, -1).Result()
	if err != nil || len(log) != 3 {
		t.Fatalf("SLOWLOG GET -1: %v, %v", log, err)
	}
	want := [][]string{{"mset", "m1", "1", "m2", "2"}, {"rpush", "l", "a", "b"}, {"get", "k"}}
	for i, e := range log {
		if !slices.Equal(e.Args, want[i]) || e.ClientAddr != info.Addr || e.ClientName != "slowpoke" ||
			e.ID != log[0].ID-int64(i) || e.Duration < 0 || time.Since(e.Time) > time.Minute {
			t.Errorf("entry %d: %+v, want the arguments %q from %s (slowpoke), id %d", i, e, want[i], info.Addr, log[0].ID-int64(i))
		}
	}
	if two, err := c.SlowLogGet(ctx, 2).Result(); err != nil || len(two) != 2 || two[0].ID != log[0].ID {
		t.Errorf("SLOWLOG GET 2: %v, %v", two, err)
	}

	// A Vanity command is logged as its request's text.
	v := s.dial()
	expect(t, v, "SET:STR (5)vkey (3)val", "OK")
	var req proto.Request
	if perr := proto.ParseRequest([]byte("SET:STR (5)vkey (3)val"), &req); perr != proto.ErrNone {
		t.Fatal(perr)
	}
	if log, err := c.SlowLogGet(ctx, 1).Result(); err != nil || len(log) != 1 ||
		!slices.Equal(log[0].Args, []string{string(proto.AppendRequest(nil, &req))}) || log[0].ID != 4 {
		t.Errorf("after a Vanity SET: %+v, %v", log, err)
	}

	if err := c.Do(ctx, "SLOWLOG", "RESET").Err(); err != nil {
		t.Fatal(err)
	}
	if n, err := c.Do(ctx, "SLOWLOG", "LEN").Int(); err != nil || n != 0 {
		t.Errorf("SLOWLOG LEN after RESET: %d, %v", n, err)
	}
	c.Keys(ctx, "*")
	c.Get(ctx, "k")
	if log, err := c.SlowLogGet(ctx, 10).Result(); err != nil || len(log) != 2 || log[0].ID != 6 ||
		!slices.Equal(log[1].Args, []string{"keys", "*"}) {
		t.Errorf("after RESET, KEYS (which walks the database away from the loop) and GET: %+v, %v (ids go on: 5, 6)", log, err)
	}
	if m, err := c.ConfigGet(ctx, "slowlog*").Result(); err != nil ||
		m["slowlog-log-slower-than"] != "0" || m["slowlog-max-len"] != "3" {
		t.Errorf("CONFIG GET slowlog*: %v, %v", m, err)
	}
	for _, bad := range [][]any{{"SLOWLOG", "GET", "-2"}, {"SLOWLOG", "GET", "x"}, {"SLOWLOG", "GET", "1", "2"},
		{"SLOWLOG", "LEN", "x"}, {"SLOWLOG", "NOPE"}} {
		if err := c.Do(ctx, bad...).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR ") {
			t.Errorf("%q: %v, want an ERR", bad, err)
		}
	}

	expect(t, v, "ADD_USER (6)bobcat (8)password", "OK")
	bob := redis.NewClient(&redis.Options{Addr: addr, Username: "bobcat", Password: "password", Protocol: 2, DisableIdentity: true})
	defer bob.Close()
	if err := bob.SlowLogGet(ctx, 10).Err(); err == nil || !strings.HasPrefix(err.Error(), "NOPERM") {
		t.Errorf("SLOWLOG GET as a USER: %v, want NOPERM", err)
	}
	if help, err := bob.Do(ctx, "SLOWLOG", "HELP").StringSlice(); err != nil || len(help) < 4 {
		t.Errorf("SLOWLOG HELP as a USER: %q, %v", help, err)
	}
}

// TestRESPAcrossRestarts runs random scripts (resptest.AsRedisAcrossRestarts)
// against the single process with its log and snapshots, killing it
// (SIGKILL) every 400 commands and comparing every key with
// redis-server's after it comes back.
func TestRESPAcrossRestarts(t *testing.T) {
	s := start(t, t.TempDir(), "--no-users-persist", "--no-logging", "--resp-port=0")
	addr := s.line("vanity RESP listening on ")
	restart := func(bool) string {
		s.restart()
		return s.line("vanity RESP listening on ")
	}
	for seed := range uint64(2) {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			resptest.AsRedisAcrossRestarts(t, addr, resptest.Restarts{Restart: restart, Every: 400, Saves: true}, seed, 2400)
		})
		addr = restart(true)
	}
}
