package resptest

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/vanitydb/vanity/resp/rdb"
)

// DumpRestore copies keys between a redis-server and the listener at addr
// by DUMP and RESTORE, as migration tools do, both ways: every encoding a
// Redis 7.0 writes for strings (raw, integers, LZF), lists (quicklists of
// one node and of many, integers of every width, a long element), sets
// (intsets of each width, listpacks, plain sets) and hashes (listpacks,
// plain), restored into Vanity and read back through it; then Vanity's
// payloads restored into the redis-server and read there. And RESTORE's
// options and refusals: BUSYKEY without REPLACE, REPLACE with a TTL,
// ABSTTL in the past, a damaged payload, a sorted set, DUMP of a missing
// key.
func DumpRestore(t *testing.T, addr string) {
	ctx := context.Background()
	rc := redis.NewClient(&redis.Options{Addr: startRedis(t), Protocol: 2, DisableIdentity: true})
	defer rc.Close()
	c := Client(t, addr, 2, 5)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	// Small packs, so that a few entries make each of Redis's forms.
	for _, kv := range [][2]string{{"list-max-listpack-size", "4"}, {"hash-max-listpack-entries", "4"},
		{"set-max-intset-entries", "4"}} {
		if err := rc.ConfigSet(ctx, kv[0], kv[1]).Err(); err != nil {
			t.Fatal(err)
		}
	}
	ints := []any{"0", "12", "-5", "300", "-4000", "20000", "-70000", "2000000000", "-5000000000", "9223372036854775807"}
	many := make([]any, 300)
	for i := range many {
		many[i] = "element-" + strconv.Itoa(i)
	}
	setup := [][]any{
		{"set", "d:str", "hello"}, {"set", "d:int", "12345"}, {"set", "d:neg", "-7"}, {"set", "d:big", "123456789012"},
		{"set", "d:lzf", strings.Repeat("abc", 200) + "end"}, {"set", "d:bin", "\x00\xff\r\n"}, {"set", "d:empty", ""},
		append([]any{"rpush", "d:ints"}, ints...), append([]any{"rpush", "d:many"}, many...),
		{"rpush", "d:long", strings.Repeat("L", 5000), "short"},
		{"sadd", "d:is16", "1", "2"}, {"sadd", "d:is32", "-100000", "3"}, {"sadd", "d:is64", "10000000000"},
		{"sadd", "d:strs", "a", "b"}, append([]any{"sadd", "d:manyset"}, many...),
		{"hset", "d:hash", "f", "1", "g", "two"}, {"hset", "d:bighash", "a", "1", "b", "2", "c", "3", "d", "4", "e", "5"},
	}
	for _, cmd := range setup {
		if err := rc.Do(ctx, cmd...).Err(); err != nil {
			t.Fatal(cmd, err)
		}
	}
	read := func(c *redis.Client, key string) string {
		t.Helper()
		typ, err := c.Type(ctx, key).Result()
		if err != nil {
			t.Fatalf("TYPE %s: %v", key, err)
		}
		var v any
		switch typ {
		case "string":
			v, err = c.Get(ctx, key).Result()
		case "list":
			v, err = c.LRange(ctx, key, 0, -1).Result()
		case "set":
			var m []string
			m, err = c.SMembers(ctx, key).Result()
			v = sorted(m)
		case "hash":
			v, err = c.HGetAll(ctx, key).Result()
		}
		if err != nil {
			t.Fatalf("reading %s %s: %v", typ, key, err)
		}
		return fmt.Sprintf("%s %q", typ, v)
	}
	for _, cmd := range setup {
		key := cmd[1].(string)
		payload, err := rc.Dump(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		want := read(rc, key)
		if err := c.Restore(ctx, key, 0, payload).Err(); err != nil {
			t.Errorf("RESTORE of redis-server's %s: %v", key, err)
			continue
		}
		if got := read(c, key); got != want {
			t.Errorf("%s restored: %s, redis-server has %s", key, got, want)
		}
		back, err := c.Dump(ctx, key).Result()
		if err != nil {
			t.Fatal(err)
		}
		if err := rc.RestoreReplace(ctx, key+":back", 0, back).Err(); err != nil {
			t.Errorf("redis-server's RESTORE of Vanity's %s: %v", key, err)
			continue
		}
		if got := read(rc, key+":back"); got != want {
			t.Errorf("%s restored into redis-server: %s, want %s", key, got, want)
		}
	}

	payload, _ := rc.Dump(ctx, "d:hash").Result()
	if err := c.Restore(ctx, "d:str", 0, payload).Err(); err == nil || err.Error() != "BUSYKEY Target key name already exists." {
		t.Errorf("RESTORE over a key without REPLACE: %v", err)
	}
	if got := read(c, "d:str"); got != `string "hello"` {
		t.Errorf("the key a refused RESTORE named: %s", got)
	}
	if err := c.RestoreReplace(ctx, "d:str", 5*time.Second, payload).Err(); err != nil {
		t.Errorf("RESTORE REPLACE: %v", err)
	}
	if got := read(c, "d:str"); got != read(rc, "d:hash") {
		t.Errorf("after RESTORE REPLACE: %s", got)
	}
	if ms, err := c.PTTL(ctx, "d:str").Result(); err != nil || ms <= 0 || ms > 5*time.Second {
		t.Errorf("PTTL after RESTORE REPLACE with 5000: %v, %v", ms, err)
	}
	past := strconv.FormatInt(time.Now().Add(-time.Hour).UnixMilli(), 10)
	if err := c.Do(ctx, "RESTORE", "d:int", past, payload, "REPLACE", "ABSTTL").Err(); err != nil {
		t.Errorf("RESTORE REPLACE ABSTTL in the past: %v", err)
	}
	if n, err := c.Exists(ctx, "d:int").Result(); err != nil || n != 0 {
		t.Errorf("a key restored with a deadline in the past exists: %d, %v", n, err)
	}
	future := strconv.FormatInt(time.Now().Add(time.Hour).UnixMilli(), 10)
	if err := c.Do(ctx, "RESTORE", "d:new", future, payload, "ABSTTL", "IDLETIME", "5").Err(); err != nil {
		t.Errorf("RESTORE ABSTTL IDLETIME: %v", err)
	}
	if ttl, err := c.TTL(ctx, "d:new").Result(); err != nil || ttl < 59*time.Minute || ttl > time.Hour {
		t.Errorf("TTL after RESTORE ABSTTL an hour ahead: %v, %v", ttl, err)
	}
	damaged := []byte(payload)
	damaged[1] ^= 1
	for _, c2 := range []struct {
		args []any
		want string
	}{
		{[]any{"RESTORE", "d:bad", "0", string(damaged)}, "ERR DUMP payload version or checksum are wrong"},
		{[]any{"RESTORE", "d:bad", "0", string(rdb.Encode(nil, &rdb.Value{Kind: rdb.List}))}, "ERR Bad data format: an empty list"},
		{[]any{"RESTORE", "d:bad", "-1", payload}, "ERR Invalid TTL value, must be >= 0"},
		{[]any{"RESTORE", "d:bad", "0", payload, "FREQ", "300"}, "ERR Invalid FREQ value, must be >= 0 and <= 255"},
		{[]any{"RESTORE", "d:bad", "0", payload, "IDLETIME", "1", "FREQ", "1"}, "ERR syntax error"},
	} {
		if err := c.Do(ctx, c2.args...).Err(); err == nil || err.Error() != c2.want {
			t.Errorf("%q: %v, want %s", c2.args[:3], err, c2.want)
		}
	}
	if err := rc.ZAdd(ctx, "d:zset", redis.Z{Score: 1, Member: "m"}).Err(); err != nil {
		t.Fatal(err)
	}
	zset, _ := rc.Dump(ctx, "d:zset").Result()
	if err := c.Restore(ctx, "d:zset", 0, zset).Err(); err == nil || !strings.HasPrefix(err.Error(), "ERR Bad data format: ") ||
		!strings.Contains(err.Error(), "sorted set") {
		t.Errorf("RESTORE of a sorted set: %v", err)
	}
	if n, _ := c.Exists(ctx, "d:bad", "d:zset").Result(); n != 0 {
		t.Errorf("refused RESTOREs left %d keys", n)
	}
	if _, err := c.Dump(ctx, "d:missing").Result(); err != redis.Nil {
		t.Errorf("DUMP of a missing key: %v, want nil", err)
	}
	// In a transaction REPLACE is queued; without it RESTORE is refused
	// and the transaction with it.
	pipe := c.TxPipeline()
	pipe.RestoreReplace(ctx, "d:tx", 0, payload)
	if _, err := pipe.Exec(ctx); err != nil {
		t.Errorf("RESTORE REPLACE in MULTI: %v", err)
	}
	if got := read(c, "d:tx"); got != read(rc, "d:hash") {
		t.Errorf("after RESTORE REPLACE in MULTI: %s", got)
	}
	pipe = c.TxPipeline()
	pipe.Restore(ctx, "d:tx2", 0, payload)
	if _, err := pipe.Exec(ctx); err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
		t.Errorf("RESTORE without REPLACE in MULTI: %v, want EXECABORT", err)
	}
}

// RestoreRaces runs RESTORE without REPLACE against a SET of the same key
// from another connection, many times: whichever comes first, the SET's
// value must be what stays (a RESTORE after it answers BUSYKEY; one
// before it is overwritten by it). A RESTORE that found the key missing
// and then wrote over a SET that landed meanwhile would leave its own.
func RestoreRaces(t *testing.T, addr string) {
	ctx := context.Background()
	a, b := Client(t, addr, 2, 7), Client(t, addr, 2, 7)
	if err := a.Set(ctx, "race:src", "restored", 0).Err(); err != nil {
		t.Fatal(err)
	}
	payload, err := a.Dump(ctx, "race:src").Result()
	if err != nil {
		t.Fatal(err)
	}
	busy := 0
	for i := range 300 {
		key := "race:" + strconv.Itoa(i)
		done := make(chan error, 1)
		go func() { done <- b.Set(ctx, key, "set", 0).Err() }()
		rerr := a.Restore(ctx, key, 0, payload).Err()
		if serr := <-done; serr != nil {
			t.Fatal(serr)
		}
		switch {
		case rerr != nil && rerr.Error() == "BUSYKEY Target key name already exists.":
			busy++
		case rerr != nil:
			t.Fatalf("RESTORE: %v", rerr)
		}
		if v, err := a.Get(ctx, key).Result(); err != nil || v != "set" {
			t.Fatalf("round %d: %q, %v after a RESTORE (%v) and a SET: the RESTORE replaced the SET's value", i, v, err, rerr)
		}
	}
	t.Logf("%d of 300 RESTOREs found the key set", busy)
}
