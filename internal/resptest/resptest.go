// Package resptest checks a Vanity server's RESP listener the way Redis's
// own tools use it: go-redis runs the supported commands in both protocol
// versions and compares every answer with Redis's, redis-cli and
// redis-benchmark run against it, and AsRedis compares its raw frames
// with a redis-server's, over a fixed script and over random ones drawn
// from a seed (AsRedisRandom; across kills and node stops,
// AsRedisAcrossRestarts; at SERIAL, AsRedisRandomAtSerial). The single
// process's and the cluster's end-to-end tests call the same checks. For
// tests only.
package resptest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// Password is the default user's password the checks log in with.
const Password = "vanity"

// Client returns a go-redis client of addr speaking protocol version v,
// logged in as the default user, on database db.
func Client(t testing.TB, addr string, v, db int) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, Password: Password, Protocol: v, DB: db,
		DialTimeout: 5 * time.Second, ReadTimeout: 10 * time.Second, DisableIdentity: true})
	t.Cleanup(func() { c.Close() })
	return c
}

// eq fails the test unless got equals want.
func eq[T any](t testing.TB, what string, got T, err error, want T) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s = %#v, want %#v", what, got, want)
	}
}

// is returns a check that a command's result is want.
func is[T any](t testing.TB, what string, want T) func(T, error) {
	t.Helper()
	return func(got T, err error) {
		t.Helper()
		eq(t, what, got, err, want)
	}
}

// refused fails the test unless err is a server error starting with
// prefix.
func refused(t testing.TB, what string, err error, prefix string) {
	t.Helper()
	var re redis.Error
	if !errors.As(err, &re) || !strings.HasPrefix(err.Error(), prefix) {
		t.Errorf("%s: error %v, want one starting %q", what, err, prefix)
	}
}

func sorted(s []string) []string { slices.Sort(s); return s }

// Commands runs the supported commands through go-redis in protocol
// version v, on database db (emptied first), and checks each reply
// against Redis's.
func Commands(t *testing.T, addr string, v, db int) {
	ctx := context.Background()
	c := Client(t, addr, v, db)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("FLUSHDB: %v", err)
	}

	// Strings: numbers stored by SET read back as the same text and count.
	is(t, "SET", "OK")(c.Set(ctx, "s", "hello", 0).Result())
	is(t, "GET", "hello")(c.Get(ctx, "s").Result())
	if _, err := c.Get(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("GET missing: %v, want redis.Nil", err)
	}
	is(t, "SET number", "OK")(c.Set(ctx, "n", "41", 0).Result())
	is(t, "INCR", int64(42))(c.Incr(ctx, "n").Result())
	is(t, "GET number", "42")(c.Get(ctx, "n").Result())
	is(t, "STRLEN of a number", int64(2))(c.StrLen(ctx, "n").Result())
	is(t, "STRLEN of nothing", int64(0))(c.StrLen(ctx, "missing").Result())
	is(t, "DECRBY", int64(-8))(c.DecrBy(ctx, "n", 50).Result())
	is(t, "INCRBYFLOAT", 2.5)(c.IncrByFloat(ctx, "f", 2.5).Result())
	is(t, "GET float", "2.5")(c.Get(ctx, "f").Result())
	is(t, "SET 007", "OK")(c.Set(ctx, "z", "007", 0).Result())
	is(t, "GET 007", "007")(c.Get(ctx, "z").Result())
	// INCRBYFLOAT on whatever holds a number, as Redis: an integer, a
	// string of a number's text (007 is 7 to a float's parser).
	is(t, "INCRBYFLOAT of an integer", 1.5)(c.IncrByFloat(ctx, "n", 9.5).Result())
	is(t, "GET after INCRBYFLOAT of an integer", "1.5")(c.Get(ctx, "n").Result())
	is(t, "INCRBYFLOAT of 007", 7.25)(c.IncrByFloat(ctx, "z", 0.25).Result())
	is(t, "SET 1e3", "OK")(c.Set(ctx, "g", "1e3", 0).Result())
	is(t, "INCRBYFLOAT of 1e3", 1001.0)(c.IncrByFloat(ctx, "g", 1).Result())
	refused(t, "INCRBYFLOAT of text", c.IncrByFloat(ctx, "s", 1).Err(), "ERR value is not a valid float")
	refused(t, "INCRBYFLOAT to infinity", c.Do(ctx, "INCRBYFLOAT", "g", "inf").Err(), "ERR increment would produce NaN or Infinity")
	is(t, "GET after a refused INCRBYFLOAT", "1001")(c.Get(ctx, "g").Result())
	is(t, "DEL INCRBYFLOAT's", int64(1))(c.Del(ctx, "g").Result())
	refused(t, "INCR of text", c.Incr(ctx, "s").Err(), "ERR value is not an integer")
	is(t, "STRLEN", int64(5))(c.StrLen(ctx, "s").Result())
	is(t, "MSET", "OK")(c.MSet(ctx, "a", "1", "b", "two").Result())
	is(t, "MGET", []any{"1", "two", nil})(c.MGet(ctx, "a", "b", "missing").Result())
	is(t, "SET EX", "OK")(c.Set(ctx, "e", "x", 100*time.Second).Result())
	ttl := c.TTL(ctx, "e").Val()
	if ttl < 99*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL after SET EX 100 = %v", ttl)
	}
	// RENAME and RENAMENX, keys in one partition ({tags}: a cluster
	// renames only there, as Redis Cluster within a slot).
	{
		refused(t, "RENAME of nothing", c.Rename(ctx, "{rn}none", "{rn}b").Err(), "ERR no such key")
		is(t, "RPUSH for RENAME", int64(2))(c.RPush(ctx, "{rn}a", "x", "y").Result())
		is(t, "EXPIRE for RENAME", true)(c.Expire(ctx, "{rn}a", time.Minute).Result())
		is(t, "RENAME", "OK")(c.Rename(ctx, "{rn}a", "{rn}b").Result())
		is(t, "EXISTS after RENAME", int64(0))(c.Exists(ctx, "{rn}a").Result())
		eq(t, "LRANGE after RENAME", c.LRange(ctx, "{rn}b", 0, -1).Val(), nil, []string{"x", "y"})
		if ttl := c.PTTL(ctx, "{rn}b").Val(); ttl <= 59*time.Second || ttl > time.Minute {
			t.Errorf("PTTL after RENAME = %v", ttl)
		}
		is(t, "RENAMENX", true)(c.RenameNX(ctx, "{rn}b", "{rn}c").Result())
		is(t, "SET for RENAMENX", "OK")(c.Set(ctx, "{rn}d", "v", 0).Result())
		is(t, "RENAMENX onto a key", false)(c.RenameNX(ctx, "{rn}c", "{rn}d").Result())
		is(t, "GET after RENAMENX onto a key", "v")(c.Get(ctx, "{rn}d").Result())
		is(t, "DEL RENAME's", int64(2))(c.Del(ctx, "{rn}c", "{rn}d").Result())
	}
	// LMOVE and RPOPLPUSH, keys in one partition ({tags}, as for RENAME):
	// the reliable queue's move to a processing list.
	{
		is(t, "RPUSH for LMOVE", int64(3))(c.RPush(ctx, "{mv}jobs", "a", "b", "c").Result())
		is(t, "RPOPLPUSH", any("c"))(c.Do(ctx, "RPOPLPUSH", "{mv}jobs", "{mv}doing").Result())
		is(t, "LMOVE", "a")(c.LMove(ctx, "{mv}jobs", "{mv}doing", "left", "RIGHT").Result())
		eq(t, "LRANGE after LMOVE", c.LRange(ctx, "{mv}doing", 0, -1).Val(), nil, []string{"c", "a"})
		is(t, "LMOVE within a list", "c")(c.LMove(ctx, "{mv}doing", "{mv}doing", "LEFT", "RIGHT").Result())
		eq(t, "LRANGE after a rotation", c.LRange(ctx, "{mv}doing", 0, -1).Val(), nil, []string{"a", "c"})
		if err := c.LMove(ctx, "{mv}none", "{mv}doing", "LEFT", "LEFT").Err(); !errors.Is(err, redis.Nil) {
			t.Errorf("LMOVE from nothing: %v, want nil", err)
		}
		refused(t, "LMOVE to the middle", c.Do(ctx, "LMOVE", "{mv}jobs", "{mv}doing", "LEFT", "MIDDLE").Err(), "ERR syntax error")
		is(t, "SET for LMOVE", "OK")(c.Set(ctx, "{mv}s", "v", 0).Result())
		refused(t, "LMOVE to a string", c.LMove(ctx, "{mv}jobs", "{mv}s", "LEFT", "LEFT").Err(), "WRONGTYPE")
		is(t, "LLEN after a refused LMOVE", int64(1))(c.LLen(ctx, "{mv}jobs").Result())
		is(t, "BLMOVE", "b")(c.BLMove(ctx, "{mv}jobs", "{mv}doing", "RIGHT", "LEFT", time.Second).Result())
		if err := c.Do(ctx, "BRPOPLPUSH", "{mv}jobs", "{mv}doing", 0.1).Err(); !errors.Is(err, redis.Nil) {
			t.Errorf("BRPOPLPUSH of an empty list after its timeout: %v, want redis.Nil", err)
		}
		// A move waiting (or about to) takes what another connection
		// pushes; router/waitpop_test.go checks that the push wakes it.
		took := make(chan *redis.Cmd, 1)
		go func() { took <- c.Do(ctx, "BRPOPLPUSH", "{mv}jobs", "{mv}doing", 10) }()
		pusher := redis.NewClient(c.Options())
		defer pusher.Close()
		for deadline := time.Now().Add(10 * time.Second); ; {
			if n, _ := pusher.LLen(ctx, "{mv}jobs").Result(); n == 0 {
				if err := pusher.RPush(ctx, "{mv}jobs", "late").Err(); err != nil {
					t.Fatalf("RPUSH while BRPOPLPUSH waits: %v", err)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatal("the list did not empty within 10 s")
			}
			time.Sleep(time.Millisecond)
		}
		is(t, "BRPOPLPUSH woken by a push", any("late"))((<-took).Result())
		eq(t, "LRANGE after the blocking moves", c.LRange(ctx, "{mv}doing", 0, -1).Val(), nil, []string{"late", "b", "a", "c"})
		is(t, "DEL LMOVE's", int64(2))(c.Del(ctx, "{mv}jobs", "{mv}doing", "{mv}s").Result())
	}
	// The conditional commands: linearizable in both deployments (a
	// cluster's serial path).
	{
		is(t, "GETSET", "hello")(c.Do(ctx, "GETSET", "s", "hola").Text())
		is(t, "SET GET", "hola")(c.SetArgs(ctx, "s", "hello", redis.SetArgs{Get: true}).Result())
		is(t, "SET for GETDEL", "OK")(c.Set(ctx, "gd", "x", 0).Result())
		is(t, "GETDEL", "x")(c.GetDel(ctx, "gd").Result())
		if _, err := c.GetDel(ctx, "gd").Result(); !errors.Is(err, redis.Nil) {
			t.Errorf("GETDEL of a deleted key: %v, want redis.Nil", err)
		}
		is(t, "APPEND new", int64(2))(c.Append(ctx, "ap", "ab").Result())
		is(t, "APPEND", int64(5))(c.Append(ctx, "ap", "cde").Result())
		is(t, "GET after APPEND", "abcde")(c.Get(ctx, "ap").Result())
		is(t, "SETRANGE new", int64(11))(c.SetRange(ctx, "sr", 6, "World").Result())
		is(t, "SETRANGE", int64(11))(c.SetRange(ctx, "sr", 0, "Hello").Result())
		is(t, "GETRANGE", "Hello")(c.GetRange(ctx, "sr", 0, 4).Result())
		is(t, "GETRANGE from the end", "World")(c.GetRange(ctx, "sr", -5, -1).Result())
		is(t, "GETRANGE past the end", "")(c.GetRange(ctx, "sr", 20, 30).Result())
		is(t, "GET after SETRANGE", "Hello\x00World")(c.Get(ctx, "sr").Result())
		refused(t, "SETRANGE at a negative offset", c.SetRange(ctx, "sr", -1, "x").Err(), "ERR offset is out of range")
		is(t, "DEL SETRANGE's", int64(1))(c.Del(ctx, "sr").Result())
		is(t, "HSETNX new", true)(c.HSetNX(ctx, "hn", "f", "a").Result())
		is(t, "HSETNX held", false)(c.HSetNX(ctx, "hn", "f", "b").Result())
		is(t, "HGET after HSETNX", "a")(c.HGet(ctx, "hn", "f").Result())
		is(t, "DEL HSETNX's", int64(1))(c.Del(ctx, "hn").Result())
		is(t, "HINCRBY new", int64(3))(c.HIncrBy(ctx, "hi", "f", 3).Result())
		is(t, "HINCRBY", int64(1))(c.HIncrBy(ctx, "hi", "f", -2).Result())
		is(t, "HGET after HINCRBY", "1")(c.HGet(ctx, "hi", "f").Result())
		is(t, "HINCRBYFLOAT", 1.5)(c.HIncrByFloat(ctx, "hi", "f", 0.5).Result())
		is(t, "HINCRBYFLOAT new", -0.25)(c.HIncrByFloat(ctx, "hi", "g", -0.25).Result())
		is(t, "HGET after HINCRBYFLOAT", "1.5")(c.HGet(ctx, "hi", "f").Result())
		refused(t, "HINCRBY of a float", c.HIncrBy(ctx, "hi", "f", 1).Err(), "ERR hash value is not an integer")
		is(t, "HSET text", int64(1))(c.HSet(ctx, "hi", "t", "abc").Result())
		refused(t, "HINCRBYFLOAT of text", c.HIncrByFloat(ctx, "hi", "t", 1).Err(), "ERR hash value is not a float")
		is(t, "HDEL HINCRBYFLOAT's", int64(2))(c.HDel(ctx, "hi", "g", "t").Result())
		is(t, "HSET text", int64(1))(c.HSet(ctx, "hi", "t", "x").Result())
		refused(t, "HINCRBY of text", c.HIncrBy(ctx, "hi", "t", 1).Err(), "ERR hash value is not an integer")
		is(t, "DEL APPEND's and HINCRBY's", int64(2))(c.Del(ctx, "ap", "hi").Result())
		is(t, "SET XX of nothing", false)(c.SetXX(ctx, "xx", "a", 0).Result())
		is(t, "EXISTS after SET XX of nothing", int64(0))(c.Exists(ctx, "xx").Result())
		is(t, "SET for SET XX", "OK")(c.Set(ctx, "xx", "a", 0).Result())
		is(t, "SET XX", true)(c.SetXX(ctx, "xx", "b", 0).Result())
		is(t, "GET after SET XX", "b")(c.Get(ctx, "xx").Result())
		is(t, "SET XX EX", true)(c.SetXX(ctx, "xx", "c", time.Minute).Result())
		if ttl := c.PTTL(ctx, "xx").Val(); ttl <= 59*time.Second || ttl > time.Minute {
			t.Errorf("PTTL after SET XX EX: %v", ttl)
		}
		is(t, "SET XX PX of nothing", false)(c.SetXX(ctx, "xx-none", "c", 1500*time.Millisecond).Result())
		is(t, "EXISTS after SET XX PX of nothing", int64(0))(c.Exists(ctx, "xx-none").Result())
		refused(t, "SET NX XX", c.Do(ctx, "SET", "xx", "c", "NX", "XX").Err(), "ERR syntax error")
		is(t, "DEL SET XX's", int64(1))(c.Del(ctx, "xx").Result())
		is(t, "SET NX PX", true)(c.SetNX(ctx, "lock", "me", time.Minute).Result())
		is(t, "SET NX PX held", false)(c.SetNX(ctx, "lock", "you", time.Minute).Result())
		if ttl := c.PTTL(ctx, "lock").Val(); ttl <= 59*time.Second || ttl > time.Minute {
			t.Errorf("PTTL after SET NX PX 60000 = %v", ttl)
		}
		is(t, "DEL the lock", int64(1))(c.Del(ctx, "lock").Result())
		is(t, "SET NX", true)(c.SetNX(ctx, "nx", "x", 0).Result())
		is(t, "SET NX again", false)(c.SetNX(ctx, "nx", "y", 0).Result())
		is(t, "SETNX", int64(0))(c.Do(ctx, "SETNX", "nx", "z").Int64())
		is(t, "SETNX new", int64(1))(c.Do(ctx, "SETNX", "nx2", "z").Int64())
		is(t, "GET after SETNX", "x")(c.Get(ctx, "nx").Result())
		is(t, "DEL SETNX's", int64(2))(c.Del(ctx, "nx", "nx2").Result())
	}

	// Keys.
	is(t, "EXISTS", int64(2))(c.Exists(ctx, "s", "n", "missing").Result())
	is(t, "TOUCH", int64(2))(c.Touch(ctx, "s", "n", "missing").Result())
	is(t, "EXPIREAT", true)(c.ExpireAt(ctx, "e", time.Now().Add(time.Hour)).Result())
	if ttl := c.TTL(ctx, "e").Val(); ttl < 3590*time.Second || ttl > time.Hour {
		t.Errorf("TTL after EXPIREAT an hour on = %v", ttl)
	}
	is(t, "EXPIREAT of nothing", false)(c.ExpireAt(ctx, "missing", time.Now().Add(time.Hour)).Result())
	is(t, "PEXPIREAT 2100", true)(c.PExpireAt(ctx, "e", time.UnixMilli(4102444800123)).Result())
	is(t, "PEXPIRETIME", time.Duration(4102444800123)*time.Millisecond)(c.PExpireTime(ctx, "e").Result())
	is(t, "EXPIRETIME", time.Duration(4102444800)*time.Second)(c.ExpireTime(ctx, "e").Result())
	is(t, "EXPIRETIME of nothing", time.Duration(-2))(c.ExpireTime(ctx, "missing").Result())
	c.Set(ctx, "mem", strings.Repeat("m", 1000), 0)
	if n, err := c.MemoryUsage(ctx, "mem").Result(); err != nil || n < 1000 || n > 2000 {
		t.Errorf("MEMORY USAGE of a 1,000-byte string: %d (%v), want a little over 1,000", n, err)
	}
	if _, err := c.MemoryUsage(ctx, "missing").Result(); !errors.Is(err, redis.Nil) {
		t.Errorf("MEMORY USAGE of nothing: %v, want nil", err)
	}
	if k, err := c.RandomKey(ctx).Result(); err != nil || c.Exists(ctx, k).Val() != 1 {
		t.Errorf("RANDOMKEY: %q (%v), want a key that exists", k, err)
	}
	c.Del(ctx, "mem")
	is(t, "SET for PEXPIREAT", "OK")(c.Set(ctx, "gone", "x", 0).Result())
	is(t, "PEXPIREAT in the past", true)(c.PExpireAt(ctx, "gone", time.UnixMilli(1000)).Result())
	is(t, "EXISTS after PEXPIREAT in the past", int64(0))(c.Exists(ctx, "gone").Result())
	refused(t, "EXPIREAT beyond the range", c.Do(ctx, "EXPIREAT", "e", "9223372036854775807").Err(), "ERR invalid expire time in 'expireat' command")
	is(t, "SET EXAT", "OK")(c.SetArgs(ctx, "exat", "v", redis.SetArgs{ExpireAt: time.Now().Add(time.Hour)}).Result())
	if ttl := c.TTL(ctx, "exat").Val(); ttl < 3590*time.Second || ttl > time.Hour {
		t.Errorf("TTL after SET EXAT an hour on = %v", ttl)
	}
	is(t, "GET after SET EXAT", "v")(c.Get(ctx, "exat").Result())
	is(t, "SET PXAT in the past", "OK")(c.Do(ctx, "SET", "exat", "w", "PXAT", "1000").Text())
	is(t, "EXISTS after SET PXAT in the past", int64(0))(c.Exists(ctx, "exat").Result())
	is(t, "SET EX for KEEPTTL", "OK")(c.Set(ctx, "keep", "v", 100*time.Second).Result())
	is(t, "SET KEEPTTL", "OK")(c.Set(ctx, "keep", "w", redis.KeepTTL).Result())
	if ttl := c.TTL(ctx, "keep").Val(); ttl < 90*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL after SET EX 100, SET KEEPTTL = %v", ttl)
	}
	is(t, "GET after SET KEEPTTL", "w")(c.Get(ctx, "keep").Result())
	is(t, "SET KEEPTTL of a new key", "OK")(c.Set(ctx, "keep2", "7", redis.KeepTTL).Result())
	is(t, "TTL after SET KEEPTTL of a new key", time.Duration(-1))(c.TTL(ctx, "keep2").Result())
	is(t, "DEL KEEPTTL's", int64(2))(c.Del(ctx, "keep", "keep2").Result())
	c.RPush(ctx, "cp{t}", "a", "b")
	is(t, "COPY", int64(1))(c.Copy(ctx, "cp{t}", "cp2{t}", db, false).Result())
	is(t, "LRANGE of the copy", []string{"a", "b"})(c.LRange(ctx, "cp2{t}", 0, -1).Result())
	is(t, "COPY onto an existing key", int64(0))(c.Copy(ctx, "cp{t}", "cp2{t}", db, false).Result())
	c.Set(ctx, "cp{t}", "s", 0)
	is(t, "COPY REPLACE", int64(1))(c.Copy(ctx, "cp{t}", "cp2{t}", db, true).Result())
	is(t, "GET of the replaced copy", "s")(c.Get(ctx, "cp2{t}").Result())
	is(t, "COPY of nothing", int64(0))(c.Copy(ctx, "none{t}", "cp2{t}", db, true).Result())
	is(t, "DEL COPY's", int64(2))(c.Del(ctx, "cp{t}", "cp2{t}").Result())
	refused(t, "COPY into another database", c.Copy(ctx, "cp{t}", "cp2{t}", db+1, true).Err(), "ERR a command of another database")
	is(t, "SET for GETEX", "OK")(c.Set(ctx, "gx", "v", 100*time.Second).Result())
	is(t, "GETEX PX", "v")(c.GetEx(ctx, "gx", 500*time.Second).Result())
	if ttl := c.TTL(ctx, "gx").Val(); ttl < 490*time.Second || ttl > 500*time.Second {
		t.Errorf("TTL after GETEX PX 500000 = %v", ttl)
	}
	is(t, "GETEX PERSIST", "v")(c.GetEx(ctx, "gx", 0).Result())
	is(t, "TTL after GETEX PERSIST", time.Duration(-1))(c.TTL(ctx, "gx").Result())
	is(t, "GETEX EXAT in the past", "v")(c.Do(ctx, "GETEX", "gx", "EXAT", "1").Text())
	is(t, "EXISTS after GETEX EXAT in the past", int64(0))(c.Exists(ctx, "gx").Result())
	if err := c.GetEx(ctx, "gx", time.Minute).Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("GETEX of nothing: %v, want redis.Nil", err)
	}
	before := time.Now()
	now, err := c.Time(ctx).Result()
	if after := time.Now(); err != nil || now.Before(before.Add(-time.Second)) || now.After(after.Add(time.Second)) {
		t.Errorf("TIME = %v, %v; want between %v and %v", now, err, before, after)
	}
	is(t, "TYPE", "string")(c.Type(ctx, "n").Result())
	is(t, "TYPE missing", "none")(c.Type(ctx, "missing").Result())
	is(t, "EXPIRE", true)(c.Expire(ctx, "s", time.Minute).Result())
	is(t, "EXPIRE missing", false)(c.Expire(ctx, "missing", time.Minute).Result())
	is(t, "TTL", time.Minute)(c.TTL(ctx, "s").Result())
	if p := c.PTTL(ctx, "s").Val(); p <= 59*time.Second || p > time.Minute {
		t.Errorf("PTTL = %v", p)
	}
	is(t, "PERSIST", true)(c.Persist(ctx, "s").Result())
	is(t, "PERSIST again", false)(c.Persist(ctx, "s").Result())
	is(t, "TTL none", time.Duration(-1))(c.TTL(ctx, "s").Result())
	is(t, "TTL missing", time.Duration(-2))(c.TTL(ctx, "missing").Result())
	is(t, "DEL", int64(2))(c.Del(ctx, "s", "n", "missing").Result())
	// f, z, a, b, e. In a cluster DBSIZE counts each partition's fullest
	// copy, so a key deleted a moment ago counts until its last copy
	// has applied the delete (docs/resp.md): poll, within a deadline.
	size, err := c.DBSize(ctx).Result()
	for deadline := time.Now().Add(5 * time.Second); err == nil && size != 5 && time.Now().Before(deadline); {
		size, err = c.DBSize(ctx).Result()
	}
	eq(t, "DBSIZE", size, err, int64(5))
	eq(t, "KEYS", sorted(c.Keys(ctx, "*").Val()), nil, []string{"a", "b", "e", "f", "z"})

	// Lists.
	is(t, "LPUSH", int64(3))(c.LPush(ctx, "l", "a", "b", "c").Result())
	is(t, "RPUSH", int64(5))(c.RPush(ctx, "l", "d", "e").Result())
	is(t, "LRANGE", []string{"c", "b", "a", "d", "e"})(c.LRange(ctx, "l", 0, -1).Result())
	is(t, "LLEN", int64(5))(c.LLen(ctx, "l").Result())
	is(t, "LINDEX", "e")(c.LIndex(ctx, "l", -1).Result())
	if err := c.LIndex(ctx, "l", 99).Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("LINDEX out of range: %v, want redis.Nil", err)
	}
	is(t, "LSET", "OK")(c.LSet(ctx, "l", 0, "C").Result())
	refused(t, "LSET out of range", c.LSet(ctx, "l", 99, "x").Err(), "ERR index out of range")
	refused(t, "LSET of a missing key", c.LSet(ctx, "no-list", 0, "x").Err(), "ERR no such key")
	is(t, "LPOP", "C")(c.LPop(ctx, "l").Result())
	is(t, "RPOP count", []string{"e", "d"})(c.RPopCount(ctx, "l", 2).Result())
	is(t, "LPOP count", []string{"b", "a"})(c.LPopCount(ctx, "l", 5).Result())
	if err := c.LPop(ctx, "l").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("LPOP of an empty list: %v, want redis.Nil", err)
	}
	c.RPush(ctx, "q", "first", "last")
	is(t, "BLPOP", []string{"q", "first"})(c.BLPop(ctx, time.Second, "q").Result())
	is(t, "BRPOP", []string{"q", "last"})(c.BRPop(ctx, time.Second, "q").Result())
	if err := c.BLPop(ctx, 100*time.Millisecond, "q").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLPOP of an empty list after its timeout: %v, want redis.Nil", err)
	}
	// Several keys, each in its own partition in a cluster: the first
	// that has an element gives it.
	c.RPush(ctx, "bq2", "b")
	is(t, "BLPOP of two keys", []string{"bq2", "b"})(c.BLPop(ctx, time.Second, "bq1", "bq2").Result())
	c.RPush(ctx, "bq1", "a")
	c.RPush(ctx, "bq2", "c")
	is(t, "BRPOP of two keys, both with elements", []string{"bq1", "a"})(c.BRPop(ctx, time.Second, "bq1", "bq2").Result())
	is(t, "BRPOP of two keys, the second with one", []string{"bq2", "c"})(c.BRPop(ctx, time.Second, "bq1", "bq2").Result())
	if err := c.Do(ctx, "BLPOP", "bq1", "bq2", "0.1").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLPOP of two empty lists after its timeout: %v, want redis.Nil", err)
	}
	woken := make(chan []string, 1)
	go func() { woken <- c.BLPop(ctx, 10*time.Second, "bq1", "bq2").Val() }()
	is(t, "BLPOP of two keys woken by a push", []string{"bq2", "late"})(pushUntilTaken(t, c, "bq2", "BLPOP of two keys", woken), nil)
	c.Set(ctx, "bqs", "v", 0)
	refused(t, "BLPOP reaching a string", c.BLPop(ctx, time.Second, "bq1", "bqs").Err(), "WRONGTYPE")
	if err := c.Del(ctx, "bq2", "bqs").Err(); err != nil { // bq2 may hold a push the pop did not need
		t.Errorf("DEL BLPOP's: %v", err)
	}
	// LMPOP and BLMPOP: the first of several keys that has elements gives
	// up to COUNT of them, from the right the last first.
	keyed := func(cmd *redis.KeyValuesCmd) ([]string, error) {
		k, vs, err := cmd.Result()
		return append([]string{k}, vs...), err
	}
	c.RPush(ctx, "mp2", "a", "b", "c")
	is(t, "LMPOP of two keys", []string{"mp2", "a", "b"})(keyed(c.LMPop(ctx, "left", 2, "mp1", "mp2")))
	is(t, "LMPOP from the right", []string{"mp2", "c"})(keyed(c.LMPop(ctx, "right", 5, "mp1", "mp2")))
	if err := c.LMPop(ctx, "left", 1, "mp1", "mp2").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("LMPOP of two empty lists: %v, want redis.Nil", err)
	}
	if err := c.BLMPop(ctx, 100*time.Millisecond, "left", 1, "mp1", "mp2").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("BLMPOP of two empty lists after its timeout: %v, want redis.Nil", err)
	}
	mwoken := make(chan []string, 1)
	go func() {
		got, _ := keyed(c.BLMPop(ctx, 10*time.Second, "right", 1, "mp1", "mp2"))
		mwoken <- got
	}()
	is(t, "BLMPOP of two keys woken by a push", []string{"mp1", "late"})(pushUntilTaken(t, c, "mp1", "BLMPOP of two keys", mwoken), nil)
	if err := c.Del(ctx, "mp1").Err(); err != nil { // pushes the pop did not need
		t.Errorf("DEL BLMPOP's: %v", err)
	}
	is(t, "LPUSHX of no list", int64(0))(c.LPushX(ctx, "px", "a").Result())
	is(t, "EXISTS after LPUSHX of no list", int64(0))(c.Exists(ctx, "px").Result())
	c.RPush(ctx, "px", "b")
	is(t, "LPUSHX", int64(3))(c.LPushX(ctx, "px", "a", "z").Result())
	is(t, "RPUSHX", int64(4))(c.RPushX(ctx, "px", "c").Result())
	is(t, "LRANGE after LPUSHX and RPUSHX", []string{"z", "a", "b", "c"})(c.LRange(ctx, "px", 0, -1).Result())
	is(t, "DEL LPUSHX's", int64(1))(c.Del(ctx, "px").Result())
	is(t, "LINSERT of no list", int64(0))(c.LInsertBefore(ctx, "li", "a", "x").Result())
	c.RPush(ctx, "li", "a", "c")
	is(t, "LINSERT of no pivot", int64(-1))(c.LInsertAfter(ctx, "li", "z", "x").Result())
	is(t, "LINSERT AFTER", int64(3))(c.LInsertAfter(ctx, "li", "a", "b").Result())
	is(t, "LINSERT BEFORE", int64(4))(c.LInsert(ctx, "li", "before", "a", "0").Result())
	// Again and again right after a: the list is laid out anew on the
	// way (PROTOCOL.md §12.30) and reads the same.
	want := []string{"0", "a"}
	for i := range 30 {
		v := strconv.Itoa(30 - i)
		if err := c.LInsertAfter(ctx, "li", "a", v).Err(); err != nil {
			t.Fatalf("LINSERT AFTER a %s: %v", v, err)
		}
	}
	for i := range 30 {
		want = append(want, strconv.Itoa(i+1))
	}
	is(t, "LRANGE after LINSERTs", append(want, "b", "c"))(c.LRange(ctx, "li", 0, -1).Result())
	if err := c.LInsert(ctx, "li", "middle", "a", "x").Err(); err == nil || !strings.Contains(err.Error(), "syntax error") {
		t.Errorf("LINSERT middle: %v, want a syntax error", err)
	}
	is(t, "DEL LINSERT's", int64(1))(c.Del(ctx, "li").Result())
	c.RPush(ctx, "l2", "x", "y", "x", "z", "x")
	is(t, "LREM", int64(2))(c.LRem(ctx, "l2", 2, "x").Result())
	is(t, "LTRIM", "OK")(c.LTrim(ctx, "l2", 0, 1).Result())
	is(t, "LRANGE after", []string{"y", "z"})(c.LRange(ctx, "l2", 0, -1).Result())
	c.RPush(ctx, "lp", "a", "b", "c", "b", "b")
	is(t, "LPOS", int64(1))(c.LPos(ctx, "lp", "b", redis.LPosArgs{}).Result())
	is(t, "LPOS RANK -1", int64(4))(c.LPos(ctx, "lp", "b", redis.LPosArgs{Rank: -1}).Result())
	is(t, "LPOS COUNT 0", []int64{1, 3, 4})(c.LPosCount(ctx, "lp", "b", 0, redis.LPosArgs{}).Result())
	is(t, "LPOS RANK 2 COUNT 1", []int64{3})(c.LPosCount(ctx, "lp", "b", 1, redis.LPosArgs{Rank: 2}).Result())
	if err := c.LPos(ctx, "lp", "zz", redis.LPosArgs{}).Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("LPOS of no match: %v, want redis.Nil", err)
	}
	refused(t, "LPOS RANK 0", c.Do(ctx, "LPOS", "lp", "b", "RANK", "0").Err(), "ERR RANK can't be zero")
	is(t, "DEL LPOS's", int64(1))(c.Del(ctx, "lp").Result())
	refused(t, "GET of a list", c.Get(ctx, "l2").Err(), "WRONGTYPE")
	refused(t, "LPUSH on a string", c.LPush(ctx, "a", "x").Err(), "WRONGTYPE")

	// Sets.
	is(t, "SADD", int64(3))(c.SAdd(ctx, "s1", "a", "b", "c").Result())
	is(t, "SADD again", int64(1))(c.SAdd(ctx, "s1", "a", "d").Result())
	is(t, "SREM", int64(1))(c.SRem(ctx, "s1", "d", "zz").Result())
	eq(t, "SMEMBERS", sorted(c.SMembers(ctx, "s1").Val()), nil, []string{"a", "b", "c"})
	is(t, "SISMEMBER", true)(c.SIsMember(ctx, "s1", "a").Result())
	is(t, "SISMEMBER no", false)(c.SIsMember(ctx, "s1", "q").Result())
	is(t, "SMISMEMBER", []bool{true, false, true})(c.SMIsMember(ctx, "s1", "a", "q", "c").Result())
	is(t, "SMISMEMBER of nothing", []bool{false})(c.SMIsMember(ctx, "none", "a").Result())
	is(t, "SCARD", int64(3))(c.SCard(ctx, "s1").Result())
	c.SAdd(ctx, "s2", "b", "c", "d")
	eq(t, "SUNION", sorted(c.SUnion(ctx, "s1", "s2").Val()), nil, []string{"a", "b", "c", "d"})
	eq(t, "SINTER", sorted(c.SInter(ctx, "s1", "s2").Val()), nil, []string{"b", "c"})
	is(t, "SINTERCARD", int64(2))(c.SInterCard(ctx, 0, "s1", "s2").Result())
	is(t, "SDIFF", []string{"a"})(c.SDiff(ctx, "s1", "s2").Result())
	is(t, "SUNIONSTORE", int64(4))(c.SUnionStore(ctx, "u", "s1", "s2").Result())
	eq(t, "SMEMBERS of the union", sorted(c.SMembers(ctx, "u").Val()), nil, []string{"a", "b", "c", "d"})
	is(t, "SMOVE", true)(c.SMove(ctx, "s1", "s3", "a").Result())
	eq(t, "SMOVE moved", []bool{c.SIsMember(ctx, "s1", "a").Val(), c.SIsMember(ctx, "s3", "a").Val()}, nil, []bool{false, true})
	popped := c.SPop(ctx, "s2").Val()
	if popped != "b" && popped != "c" && popped != "d" {
		t.Errorf("SPOP = %q", popped)
	}
	is(t, "SCARD after SPOP", int64(2))(c.SCard(ctx, "s2").Result())
	eq(t, "SPOP count", len(c.SPopN(ctx, "s2", 5).Val()), nil, 2)
	big := make([]any, 200)
	for i := range big {
		big[i] = fmt.Sprintf("m%d", i)
	}
	is(t, "SADD for SSCAN", int64(200))(c.SAdd(ctx, "big", big...).Result())
	var scanned []string
	for it := c.SScan(ctx, "big", 0, "", 5).Iterator(); it.Next(ctx); {
		scanned = append(scanned, it.Val())
	}
	if slices.Sort(scanned); len(scanned) != 200 || len(slices.Compact(slices.Clone(scanned))) != 200 {
		t.Errorf("SSCAN of 200 members returned %d (%d distinct)", len(scanned), len(slices.Compact(slices.Clone(scanned))))
	}
	page, _, err := c.SScan(ctx, "big", 0, "m1?", 1000).Result()
	eq(t, "SSCAN MATCH", sorted(page), err, []string{"m10", "m11", "m12", "m13", "m14", "m15", "m16", "m17", "m18", "m19"})
	one, err := c.SRandMember(ctx, "big").Result()
	if err != nil || !slices.Contains(scanned, one) {
		t.Errorf("SRANDMEMBER = %q, %v; want a member", one, err)
	}
	if some, err := c.SRandMemberN(ctx, "big", 5).Result(); err != nil || len(some) != 5 || len(slices.Compact(slices.Sorted(slices.Values(some)))) != 5 {
		t.Errorf("SRANDMEMBER big 5 = %q, %v; want 5 distinct members", some, err)
	}
	if some, err := c.SRandMemberN(ctx, "big", -300).Result(); err != nil || len(some) != 300 {
		t.Errorf("SRANDMEMBER big -300: %d members, %v; want 300 draws", len(some), err)
	}
	is(t, "SCARD after SRANDMEMBER", int64(200))(c.SCard(ctx, "big").Result())
	if err := c.SRandMember(ctx, "nothing").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("SRANDMEMBER of nothing: %v, want redis.Nil", err)
	}
	is(t, "SRANDMEMBER of nothing with a count", []string{})(c.SRandMemberN(ctx, "nothing", 3).Result())
	is(t, "DEL SSCAN's", int64(1))(c.Del(ctx, "big").Result())

	// Hashes.
	is(t, "HSET", int64(2))(c.HSet(ctx, "h", "a", "1", "b", "2").Result())
	is(t, "HSET again", int64(1))(c.HSet(ctx, "h", "b", "3", "c", "4").Result())
	is(t, "HGET", "3")(c.HGet(ctx, "h", "b").Result())
	if err := c.HGet(ctx, "h", "zz").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("HGET of a missing field: %v, want redis.Nil", err)
	}
	is(t, "HMGET", []any{"1", nil})(c.HMGet(ctx, "h", "a", "zz").Result())
	is(t, "HGETALL", map[string]string{"a": "1", "b": "3", "c": "4"})(c.HGetAll(ctx, "h").Result())
	if f, err := c.Do(ctx, "HRANDFIELD", "h").Text(); err != nil || f != "a" && f != "b" && f != "c" {
		t.Errorf("HRANDFIELD = %q, %v; want a field", f, err)
	}
	eq(t, "HRANDFIELD with a count", sorted(c.HRandField(ctx, "h", 5).Val()), nil, []string{"a", "b", "c"})
	if kv, err := c.HRandFieldWithValues(ctx, "h", -4).Result(); err != nil || len(kv) != 4 {
		t.Errorf("HRANDFIELD h -4 WITHVALUES = %v, %v; want 4 pairs", kv, err)
	} else {
		for _, p := range kv {
			if want := map[string]string{"a": "1", "b": "3", "c": "4"}[p.Key]; p.Value != want {
				t.Errorf("HRANDFIELD WITHVALUES gave %s=%s, want %s", p.Key, p.Value, want)
			}
		}
	}
	if err := c.Do(ctx, "HRANDFIELD", "nothing").Err(); !errors.Is(err, redis.Nil) {
		t.Errorf("HRANDFIELD of nothing: %v, want redis.Nil", err)
	}
	kvs, cursor, err := c.HScan(ctx, "h", 0, "[ab]", 10).Result()
	if err != nil || cursor != 0 || len(kvs) != 4 {
		t.Errorf("HSCAN h 0 MATCH [ab] = %q, cursor %d, %v; want a, b and their values, cursor 0", kvs, cursor, err)
	} else if got := map[string]string{kvs[0]: kvs[1], kvs[2]: kvs[3]}; got["a"] != "1" || got["b"] != "3" {
		t.Errorf("HSCAN pairs %v, want a=1 b=3", got)
	}
	is(t, "HEXISTS", true)(c.HExists(ctx, "h", "a").Result())
	is(t, "HLEN", int64(3))(c.HLen(ctx, "h").Result())
	eq(t, "HKEYS", sorted(c.HKeys(ctx, "h").Val()), nil, []string{"a", "b", "c"})
	eq(t, "HVALS", sorted(c.HVals(ctx, "h").Val()), nil, []string{"1", "3", "4"})
	is(t, "HSTRLEN", int64(1))(c.HStrLen(ctx, "h", "a").Result())
	is(t, "HDEL", int64(1))(c.HDel(ctx, "h", "a", "zz").Result())
	is(t, "HGETALL empty", map[string]string{})(c.HGetAll(ctx, "missing").Result())

	// Pipelines and transactions.
	cmds, err := c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i := range 50 {
			p.Set(ctx, fmt.Sprintf("p%d", i), i, 0)
		}
		for i := range 50 {
			p.Get(ctx, fmt.Sprintf("p%d", i))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("pipeline: %v", err)
	}
	for i, cmd := range cmds[50:] {
		eq(t, "pipelined GET", cmd.(*redis.StringCmd).Val(), nil, fmt.Sprint(i))
	}
	var incr *redis.IntCmd
	var get *redis.StringCmd
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		incr = p.Incr(ctx, "{t}counter")
		p.Set(ctx, "{t}x", "y", 0)
		get = p.Get(ctx, "{t}x")
		return nil
	})
	eq(t, "MULTI/EXEC", []any{incr.Val(), get.Val()}, err, []any{int64(1), "y"})
	// A command that fails to queue (here, a wrong argument count)
	// dooms the transaction: EXEC runs none of it, as Redis's EXECABORT.
	var bad *redis.Cmd
	_, err = c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "{t}counter")
		bad = p.Do(ctx, "SET", "{t}x")
		return nil
	})
	refused(t, "EXEC after a command that failed to queue", err, "EXECABORT")
	refused(t, "the command that failed to queue", bad.Err(), "ERR wrong number of arguments")
	is(t, "the doomed transaction's INCR did not run", "1")(c.Get(ctx, "{t}counter").Result())

	// Scanning: every key once, with a cursor go-redis reads as a number.
	seen := map[string]int{}
	iter := c.Scan(ctx, 0, "p*", 7).Iterator()
	for iter.Next(ctx) {
		seen[iter.Val()]++
	}
	if err := iter.Err(); err != nil {
		t.Errorf("SCAN: %v", err)
	}
	if len(seen) != 50 {
		t.Errorf("SCAN found %d of the 50 keys p*", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("SCAN returned %s %d times", k, n)
		}
	}
	// SCAN's TYPE: Redis's string is STR, INT and FLOAT; a type Vanity
	// has not (zset) or no type at all matches no key.
	c.Set(ctx, "ty:s", "v", 0)
	c.Incr(ctx, "ty:i")
	c.IncrByFloat(ctx, "ty:f", 1.5)
	c.RPush(ctx, "ty:l", "a")
	c.SAdd(ctx, "ty:set", "a")
	c.HSet(ctx, "ty:h", "f", "v")
	for _, want := range []struct {
		typ  string
		keys []string
	}{{"string", []string{"ty:f", "ty:i", "ty:s"}}, {"LIST", []string{"ty:l"}}, {"set", []string{"ty:set"}}, {"hash", []string{"ty:h"}},
		{"zset", nil}, {"robot", nil}} {
		var got []string
		it := c.ScanType(ctx, 0, "ty:*", 3, want.typ).Iterator()
		for it.Next(ctx) {
			got = append(got, it.Val())
		}
		slices.Sort(got)
		if it.Err() != nil || !slices.Equal(got, want.keys) {
			t.Errorf("SCAN MATCH ty:* COUNT 3 TYPE %s = %q, %v; want %q", want.typ, got, it.Err(), want.keys)
		}
	}

	// Server commands clients probe.
	is(t, "PING", "PONG")(c.Ping(ctx).Result())
	is(t, "ECHO", "hi")(c.Echo(ctx, "hi").Result())
	info := c.Info(ctx).Val()
	if !strings.Contains(info, "# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\n") {
		t.Errorf("INFO lacks the server section with the Redis version clients read: %q", info)
	}
	if !strings.Contains(info, "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n") {
		t.Errorf("INFO lacks role:master, which health checks look for: %q", info)
	}
	// The fields exporters read under Redis's names, beside Vanity's.
	for _, pair := range [][2]string{{"connected", "connected_clients"}, {"blocked", "blocked_clients"}, {"max", "maxclients"},
		{"uptime_seconds", "uptime_in_seconds"}, {"heap_in_use_bytes", "used_memory"}, {"max_memory_bytes", "maxmemory"}} {
		ours, redis := infoField(info, pair[0]), infoField(info, pair[1])
		if ours == "" || redis != ours {
			t.Errorf("INFO's %s is %q and %s %q; want one value under both names", pair[0], ours, pair[1], redis)
		}
	}
	if n := c.CommandList(ctx, nil).Val(); len(n) < 50 {
		t.Errorf("COMMAND LIST gave %d commands", len(n))
	}
	is(t, "CONFIG GET databases", map[string]string{"databases": "16"})(c.ConfigGet(ctx, "databases").Result())
	refused(t, "unknown command", c.Do(ctx, "NOSUCH", "x").Err(), "ERR unknown command 'NOSUCH'")
	refused(t, "arity", c.Do(ctx, "GET").Err(), "ERR wrong number of arguments for 'get' command")
	is(t, "still serving", "PONG")(c.Ping(ctx).Result())
}

// Auth checks logins: none (NOAUTH), a wrong password (WRONGPASS), AUTH
// with a user name and HELLO with AUTH.
func Auth(t *testing.T, addr string) {
	ctx := context.Background()
	anon := redis.NewClient(&redis.Options{Addr: addr, Protocol: 2, DisableIdentity: true})
	defer anon.Close()
	refused(t, "GET before AUTH", anon.Get(ctx, "x").Err(), "NOAUTH")
	wrong := redis.NewClient(&redis.Options{Addr: addr, Password: "wrong", Protocol: 2, DisableIdentity: true})
	defer wrong.Close()
	refused(t, "wrong password", wrong.Ping(ctx).Err(), "WRONGPASS")
	named := redis.NewClient(&redis.Options{Addr: addr, Username: "vanity", Password: Password, Protocol: 3, DisableIdentity: true})
	defer named.Close()
	is(t, "HELLO 3 AUTH vanity", "PONG")(named.Ping(ctx).Result())
}

// Clients checks CLIENT INFO and CLIENT LIST: a connection's id, name,
// database, user and protocol as it changes them, seen from another
// connection of the same router.
func Clients(t *testing.T, addr string) {
	ctx := context.Background()
	worker := Client(t, addr, 2, 0).Conn()
	defer worker.Close()
	id, err := worker.ClientID(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT ID: %v", err)
	}
	is(t, "CLIENT SETNAME", true)(worker.ClientSetName(ctx, "worker-7").Result())
	is(t, "SELECT", "OK")(worker.Select(ctx, 5).Result())
	info, err := worker.Do(ctx, "CLIENT", "INFO").Text()
	want := []string{fmt.Sprintf("id=%d ", id), " name=worker-7 ", " db=5 ", " user=vanity ", " resp=2 ", " wire=resp"}
	for _, w := range want {
		if err != nil || !strings.Contains(info, w) {
			t.Errorf("CLIENT INFO = %q, %v; want %q in it", info, err, w)
		}
	}
	admin := Client(t, addr, 3, 0)
	list, err := admin.Do(ctx, "CLIENT", "LIST", "ID", strconv.FormatInt(id, 10)).Text()
	if err != nil || strings.Count(list, "\n") != 1 {
		t.Fatalf("CLIENT LIST ID %d = %q, %v; want one line", id, list, err)
	}
	for _, w := range want {
		if !strings.Contains(list, w) {
			t.Errorf("CLIENT LIST ID %d = %q; want %q in it", id, list, w)
		}
	}
	all, err := admin.Do(ctx, "CLIENT", "LIST").Text()
	if err != nil || !strings.Contains(all, list) || strings.Count(all, "\n") < 2 {
		t.Errorf("CLIENT LIST = %q, %v; want the worker's line and the caller's", all, err)
	}
	refused(t, "CLIENT LIST of a bad id", admin.Do(ctx, "CLIENT", "LIST", "ID", "x").Err(), "ERR Invalid client ID")

	// CLIENT KILL closes the connections it names: the worker's next
	// command finds its connection gone, and a connection waiting in a
	// blocking pop stops waiting.
	waiter := Client(t, addr, 2, 0).Conn()
	defer waiter.Close()
	wid, err := waiter.ClientID(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT ID: %v", err)
	}
	popped := make(chan error, 1)
	go func() { popped <- waiter.BLPop(ctx, 20*time.Second, "killed-queue").Err() }()
	for deadline := time.Now().Add(10 * time.Second); !strings.Contains(admin.Info(ctx, "clients").Val(), "blocked:1\r\n"); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("INFO clients after a BLPOP began: %q, want blocked:1", admin.Info(ctx, "clients").Val())
		}
	}
	is(t, "CLIENT KILL ID of a waiting BLPOP", int64(1))(admin.Do(ctx, "CLIENT", "KILL", "ID", strconv.FormatInt(wid, 10)).Int64())
	select {
	case <-popped:
	case <-time.After(10 * time.Second):
		t.Fatal("a BLPOP of 20 s went on 10 s after CLIENT KILL of its connection")
	}
	is(t, "CLIENT KILL of a killed id", int64(0))(admin.Do(ctx, "CLIENT", "KILL", "ID", strconv.FormatInt(wid, 10)).Int64())
	is(t, "CLIENT KILL ADDR", int64(1))(admin.Do(ctx, "CLIENT", "KILL", "ADDR", addrOf(t, list)).Int64())
	killedAway(t, admin, worker, id, "CLIENT KILL ADDR")
	refused(t, "CLIENT KILL of an unknown address", admin.Do(ctx, "CLIENT", "KILL", "127.0.0.1:1").Err(), "ERR No such client")
	refused(t, "CLIENT KILL of an unknown user", admin.Do(ctx, "CLIENT", "KILL", "USER", "nobody-at-all").Err(), "ERR No such user")
	refused(t, "CLIENT KILL ID x", admin.Do(ctx, "CLIENT", "KILL", "ID", "x").Err(), "ERR client-id should be greater than 0")
	refused(t, "CLIENT KILL with a bad filter", admin.Do(ctx, "CLIENT", "KILL", "NAME", "x").Err(), "ERR syntax error")
	is(t, "CLIENT KILL of the caller's user skips the caller", int64(0))(admin.Do(ctx, "CLIENT", "KILL", "ID", "999999999", "SKIPME", "yes").Int64())

	// TYPE: a connection following a channel is pubsub, one following
	// none normal; a Vanity server has no replication links (master,
	// replica, slave). Each kill names its connection by ID too, so the
	// other tests' connections to this server live on.
	sub := dialRaw(t, addr, Password)
	subID := sub.call(t, "CLIENT", "ID").text
	if f := sub.call(t, "SUBSCRIBE", "kill-news"); f.kind != '*' || len(f.elems) != 3 || f.elems[0].text != "subscribe" {
		t.Fatalf("SUBSCRIBE kill-news: %s", f)
	}
	plain := Client(t, addr, 2, 0).Conn()
	defer plain.Close()
	plainID, err := plain.ClientID(ctx).Result()
	if err != nil {
		t.Fatalf("CLIENT ID: %v", err)
	}
	pid := strconv.FormatInt(plainID, 10)
	for _, kind := range []string{"master", "replica", "slave"} {
		is(t, "CLIENT KILL TYPE "+kind, int64(0))(admin.Do(ctx, "CLIENT", "KILL", "TYPE", kind).Int64())
	}
	refused(t, "CLIENT KILL TYPE of no kind", admin.Do(ctx, "CLIENT", "KILL", "TYPE", "robot").Err(), "ERR Unknown client type 'robot'")
	is(t, "CLIENT KILL TYPE normal of the subscriber", int64(0))(admin.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "ID", subID).Int64())
	is(t, "CLIENT KILL TYPE pubsub of a plain connection", int64(0))(admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub", "ID", pid).Int64())
	is(t, "PING after CLIENT KILL TYPE pubsub missed it", "PONG")(plain.Ping(ctx).Result())
	is(t, "CLIENT KILL TYPE pubsub of the subscriber", int64(1))(admin.Do(ctx, "CLIENT", "KILL", "TYPE", "pubsub", "ID", subID).Int64())
	sub.nc.SetReadDeadline(time.Now().Add(10 * time.Second))
	if f, err := readFrame(sub.r); err == nil {
		t.Errorf("the subscriber after CLIENT KILL TYPE pubsub read %s; want its connection closed", f)
	}
	is(t, "CLIENT KILL TYPE normal of a plain connection", int64(1))(admin.Do(ctx, "CLIENT", "KILL", "TYPE", "normal", "ID", pid).Int64())
	killedAway(t, admin, plain, plainID, "CLIENT KILL TYPE normal")
}

// killedAway checks that conn's connection, of id id, which what killed,
// is closed: the server lists it no more, and conn's next command does
// not run on it. go-redis may find the connection closed and dial a new
// one for that command (which then succeeds, under another id), or send
// it on the dead one and fail; CI once saw the first, when a PING was all
// the test sent.
func killedAway(t *testing.T, admin *redis.Client, conn *redis.Conn, id int64, what string) {
	t.Helper()
	ctx := context.Background()
	listed := func() bool {
		all, err := admin.Do(ctx, "CLIENT", "LIST").Text()
		return err != nil || strings.Contains(all, fmt.Sprintf("id=%d ", id))
	}
	for deadline := time.Now().Add(10 * time.Second); listed(); time.Sleep(5 * time.Millisecond) { // polling the server's connections
		if time.Now().After(deadline) {
			t.Fatalf("CLIENT LIST still has connection %d 10 s after %s", id, what)
		}
	}
	if again, err := conn.ClientID(ctx).Result(); err == nil && again == id {
		t.Errorf("CLIENT ID on the connection %s closed: %d, the killed connection's", what, again)
	}
}

// pushUntilTaken pushes "late" onto key until the blocking command what,
// which answers on taken, has taken one (it may not be waiting yet when
// the first push lands), and returns its answer; it fails the test after
// 10 s.
func pushUntilTaken[T any](t *testing.T, c *redis.Client, key, what string, taken chan T) T {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); len(taken) == 0; time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("%s not woken by pushes within 10 s", what)
		}
		if err := c.RPush(context.Background(), key, "late").Err(); err != nil {
			t.Fatalf("RPUSH while %s waits: %v", what, err)
		}
	}
	return <-taken
}

// infoField returns the value of field name in INFO's text, or "".
func infoField(info, name string) string {
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, name+":"); ok {
			return v
		}
	}
	return ""
}

// addrOf returns the addr= field of a CLIENT LIST line.
func addrOf(t *testing.T, line string) string {
	t.Helper()
	for _, f := range strings.Fields(line) {
		if a, ok := strings.CutPrefix(f, "addr="); ok {
			return a
		}
	}
	t.Fatalf("no addr= in %q", line)
	return ""
}

// PubSub checks that a subscriber of subAddr gets what a publisher of
// pubAddr sends (the same router, or another in the cluster). Its channel
// is the test's own: a router drops a closed subscriber's channels after
// the close reaches it, so an earlier test's subscriber may still count
// in PUBLISH's reply.
func PubSub(t *testing.T, subAddr, pubAddr string, v int) {
	ctx := context.Background()
	news := "news/" + t.Name()
	sub := Client(t, subAddr, v, 0)
	ps := sub.Subscribe(ctx, news, "sport")
	defer ps.Close()
	for range 2 {
		if _, err := ps.Receive(ctx); err != nil {
			t.Fatalf("subscription: %v", err)
		}
	}
	pub := Client(t, pubAddr, 2, 0)
	n, err := pub.Publish(ctx, news, "hello").Result()
	want := int64(0) // PUBLISH counts the receivers on its own router
	if subAddr == pubAddr {
		want = 1
	}
	eq(t, "PUBLISH", n, err, want)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	msg, err := ps.ReceiveMessage(rctx)
	eq(t, "message", [2]string{msg.Channel, msg.Payload}, err, [2]string{news, "hello"})
	// A subscriber's PING is answered in the subscription's stream.
	if err := ps.Ping(ctx, "still there"); err != nil {
		t.Fatalf("PING while subscribed: %v", err)
	}
	got, err := ps.Receive(rctx)
	if pong, ok := got.(*redis.Pong); err != nil || !ok || (v == 2 && pong.Payload != "still there") {
		t.Errorf("PING while subscribed: %#v, %v", got, err)
	}
}

// PatternPubSub checks PSUBSCRIBE and PUNSUBSCRIBE: a subscriber of
// subAddr following a pattern and a channel it matches gets Redis's
// message and pmessage for one publication from pubAddr, and counts its
// subscriptions as Redis does, channels and patterns together.
func PatternPubSub(t *testing.T, subAddr, pubAddr string, v int) {
	ctx := context.Background()
	prefix := "pnews/" + t.Name() + "/"
	sub := Client(t, subAddr, v, 0)
	ps := sub.PSubscribe(ctx, prefix+"*")
	defer ps.Close()
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	confirm := func(what, kind, name string, count int) {
		t.Helper()
		got, err := ps.Receive(rctx)
		s, ok := got.(*redis.Subscription)
		if err != nil || !ok || s.Kind != kind || s.Channel != name || s.Count != count {
			t.Fatalf("%s: %#v %v, want %s of %q, count %d", what, got, err, kind, name, count)
		}
	}
	confirm("PSUBSCRIBE", "psubscribe", prefix+"*", 1)
	if err := ps.Subscribe(ctx, prefix+"sport"); err != nil {
		t.Fatal(err)
	}
	confirm("SUBSCRIBE beside a pattern", "subscribe", prefix+"sport", 2)
	pub := Client(t, pubAddr, 2, 0)
	n, err := pub.Publish(ctx, prefix+"sport", "goal").Result()
	want := int64(0) // PUBLISH counts the receivers on its own router
	if subAddr == pubAddr {
		want = 2 // the channel's subscription and the pattern's
	}
	eq(t, "PUBLISH to a channel and a pattern", n, err, want)
	if err := pub.Publish(ctx, "elsewhere/"+t.Name(), "no").Err(); err != nil {
		t.Fatal(err)
	}
	if err := pub.Publish(ctx, prefix+"weather", "rain").Err(); err != nil {
		t.Fatal(err)
	}
	var got [][3]string
	for range 3 {
		msg, err := ps.ReceiveMessage(rctx)
		if err != nil {
			t.Fatalf("message %d: %v", len(got), err)
		}
		got = append(got, [3]string{msg.Pattern, msg.Channel, msg.Payload})
	}
	eq(t, "messages", got, nil, [][3]string{
		{"", prefix + "sport", "goal"}, {prefix + "*", prefix + "sport", "goal"}, {prefix + "*", prefix + "weather", "rain"}})
	if err := ps.PUnsubscribe(ctx); err != nil {
		t.Fatal(err)
	}
	confirm("PUNSUBSCRIBE of all", "punsubscribe", prefix+"*", 1)
}

// PubSubInfo checks PUBSUB CHANNELS, NUMSUB and NUMPAT at addr against
// two subscribers of the test's own channels and patterns, counted as
// Redis counts them: NUMSUB a channel's subscriptions (patterns aside),
// NUMPAT the distinct patterns followed. A router forgets a closed
// subscriber's channels once the close reaches it, so counts that an
// earlier test's subscribers could still move are polled until they
// settle.
func PubSubInfo(t *testing.T, addr string) {
	ctx := context.Background()
	prefix := "info/" + t.Name() + "/"
	c := Client(t, addr, 2, 0)
	rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	subscribe := func(v int, what string, subscribe func(*redis.PubSub) error, confirmations int) *redis.PubSub {
		t.Helper()
		ps := Client(t, addr, v, 0).Subscribe(ctx)
		if err := subscribe(ps); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		for range confirmations {
			if _, err := ps.Receive(rctx); err != nil {
				t.Fatalf("%s: %v", what, err)
			}
		}
		return ps
	}
	a := subscribe(2, "SUBSCRIBE a b", func(ps *redis.PubSub) error { return ps.Subscribe(ctx, prefix+"a", prefix+"b") }, 2)
	defer a.Close()
	b := subscribe(3, "SUBSCRIBE a, PSUBSCRIBE", func(ps *redis.PubSub) error {
		if err := ps.Subscribe(ctx, prefix+"a"); err != nil {
			return err
		}
		return ps.PSubscribe(ctx, prefix+"*", prefix+"x*")
	}, 3)
	defer b.Close()
	channels := func() ([]string, error) {
		chs, err := c.PubSubChannels(ctx, prefix+"*").Result()
		return sorted(chs), err
	}
	is(t, "PUBSUB CHANNELS pattern", []string{prefix + "a", prefix + "b"})(channels())
	if all, err := c.Do(ctx, "PUBSUB", "CHANNELS").StringSlice(); err != nil || !slices.Contains(all, prefix+"b") {
		t.Errorf("PUBSUB CHANNELS: %q %v, want %s among them", all, err, prefix+"b")
	}
	is(t, "PUBSUB NUMSUB", map[string]int64{prefix + "a": 2, prefix + "b": 1, prefix + "none": 0})(
		c.PubSubNumSub(ctx, prefix+"a", prefix+"b", prefix+"none").Result())
	is(t, "PUBSUB NUMSUB of none", []any{})(c.Do(ctx, "PUBSUB", "NUMSUB").Slice())
	settles := func(what string, want int64, get func() (int64, error)) {
		t.Helper()
		for {
			n, err := get()
			if err == nil && n == want {
				return
			}
			if rctx.Err() != nil {
				t.Fatalf("%s: %d %v, want %d", what, n, err, want)
			}
			time.Sleep(10 * time.Millisecond) // polling the router's subscriptions
		}
	}
	numpat := func() (int64, error) { return c.PubSubNumPat(ctx).Result() }
	settles("PUBSUB NUMPAT", 2, numpat)
	if err := a.Unsubscribe(ctx, prefix+"a", prefix+"b"); err != nil {
		t.Fatal(err)
	}
	if err := b.PUnsubscribe(ctx, prefix+"x*"); err != nil {
		t.Fatal(err)
	}
	settles("PUBSUB NUMPAT after PUNSUBSCRIBE", 1, numpat)
	settles("PUBSUB NUMSUB after UNSUBSCRIBE", 1, func() (int64, error) {
		m, err := c.PubSubNumSub(ctx, prefix+"a").Result()
		return m[prefix+"a"], err
	})
	is(t, "PUBSUB CHANNELS after UNSUBSCRIBE", []string{prefix + "a"})(channels())
	if err := c.Do(ctx, "PUBSUB", "NUMPAT", "x").Err(); err == nil || !strings.Contains(err.Error(), "wrong number of arguments") {
		t.Errorf("PUBSUB NUMPAT x: %v, want an arity error", err)
	}
	refused(t, "PUBSUB SHARDCHANNELS", c.Do(ctx, "PUBSUB", "SHARDCHANNELS").Err(), "ERR unknown subcommand")
}

// tool returns the path of one of Redis's tools, or skips the test when
// it is not installed (fails it when $VANITY_REQUIRE_TOOLS is set, as CI
// sets it).
func tool(t *testing.T, name string) string {
	path, err := exec.LookPath(name)
	switch {
	case err == nil:
		return path
	case os.Getenv("VANITY_REQUIRE_TOOLS") != "":
		t.Fatalf("%s is required (apt-get install redis-tools): %v", name, err)
	default:
		t.Skipf("%s not installed (apt-get install redis-tools)", name)
	}
	return ""
}

// CLI runs redis-cli commands against addr and compares their output
// with redis-cli's for Redis; it skips when redis-cli is not installed.
func CLI(t *testing.T, addr string) {
	path := tool(t, "redis-cli")
	host, port, _ := strings.Cut(addr, ":")
	run := func(args ...string) string {
		out, err := exec.Command(path, append([]string{"-h", host, "-p", port, "-a", Password, "--no-auth-warning"}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("redis-cli %v: %v\n%s", args, err, out)
		}
		return strings.TrimSpace(string(out))
	}
	cases := [][2][]string{
		{{"-n", "5", "FLUSHDB"}, {"OK"}},
		{{"-n", "5", "SET", "k", "v"}, {"OK"}},
		{{"-n", "5", "GET", "k"}, {"v"}},
		{{"-n", "5", "RPUSH", "l", "a", "b"}, {"2"}},
		{{"-n", "5", "LRANGE", "l", "0", "-1"}, {"a\nb"}},
		{{"-n", "5", "--raw", "INCR", "c"}, {"1"}},
		{{"-n", "5", "EXISTS", "k", "l", "nope"}, {"2"}},
		{{"-n", "5", "GET", "nope"}, {""}},
		{{"-n", "5", "DBSIZE"}, {"3"}},
	}
	for _, c := range cases {
		if got := run(c[0]...); got != c[1][0] {
			t.Errorf("redis-cli %v: got %q, want %q", c[0], got, c[1][0])
		}
	}
	// Commands in a pipe, as a script would send them.
	cmd := exec.Command(path, "-h", host, "-p", port, "-a", Password, "--no-auth-warning", "-n", "5")
	cmd.Stdin = strings.NewReader("SET a 1\nINCRBY a 9\nGET a\nNOSUCH\nSMEMBERS nope\n")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli from stdin: %v\n%s", err, out)
	}
	// As redis-cli prints Redis's replies: an empty array is an empty line.
	want := "OK\n10\n10\nERR unknown command 'NOSUCH', with args beginning with: \n\n\n"
	if got := string(out); got != want {
		t.Errorf("redis-cli from stdin: got %q, want %q", got, want)
	}
	// redis-cli's help and hints come from COMMAND DOCS's arguments: the
	// syntax it draws is Redis's, and no command's docs make it fail.
	ansi := regexp.MustCompile("\x1b\\[[0-9;]*m")
	for name, syntax := range map[string]string{
		"set":         "SET key value [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL] [NX|XX] [GET]",
		"hset":        "HSET key field value [field value ...]",
		"unsubscribe": "UNSUBSCRIBE [channel [channel ...]]",
		"lmove":       "LMOVE source destination LEFT|RIGHT LEFT|RIGHT",
		"hrandfield":  "HRANDFIELD key [count [WITHVALUES]]",
		"config":      "CONFIG GET parameter [parameter ...]",
	} {
		if got := ansi.ReplaceAllString(run("help", name), ""); !strings.HasPrefix(got, syntax+"\r\n") {
			t.Errorf("redis-cli help %s: got %q, want the syntax %q", name, got, syntax)
		}
	}
	for _, name := range strings.Fields(run("command", "list")) {
		run("help", name) // fails the test if redis-cli fails on the command's docs
	}
}

// Benchmark runs redis-benchmark's standard tests against addr with a few
// requests each and fails on any error reply; it skips when
// redis-benchmark is not installed.
func Benchmark(t *testing.T, addr string, requests int) {
	path := tool(t, "redis-benchmark")
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(path, "-h", host, "-p", port, "-a", Password, "-n", fmt.Sprint(requests), "-c", "8", "-P", "4",
		"-r", "1000", "-t", "set,get,incr,lpush,rpush,lpop,rpop,sadd,hset,spop,mset", "--csv")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("redis-benchmark: %v\n%s", err, out)
	}
	text := string(out)
	if strings.Contains(text, "ERR") || strings.Contains(text, "rror") {
		t.Fatalf("redis-benchmark met errors:\n%s", text)
	}
	for _, test := range []string{`"SET"`, `"GET"`, `"INCR"`, `"LPUSH"`, `"RPUSH"`, `"LPOP"`, `"RPOP"`, `"SADD"`, `"HSET"`, `"SPOP"`, `"MSET (10 keys)"`} {
		if !strings.Contains(text, test) {
			t.Errorf("redis-benchmark did not report %s:\n%s", test, text)
		}
	}
}

// ReplyForms checks the form of answers as well as their values, as
// redis-server gives them (7.0, both protocol versions): go-redis's typed
// calls read an integer's text where an integer is due, so an INCR that
// answered the bulk string "6" passed them, while redis-py and Jedis
// would hand their callers bytes. Do returns what came: an int64 for an
// integer, a string for a bulk or simple string, []any for an array or a
// set. And numbers stored by SET are strings to APPEND, GETRANGE and
// SETRANGE, as in Redis.
func ReplyForms(t *testing.T, addr string, v, db int) {
	ctx := context.Background()
	c := Client(t, addr, v, db)
	if err := c.FlushDB(ctx).Err(); err != nil {
		t.Fatalf("FLUSHDB: %v", err)
	}
	do := func(want any, args ...any) {
		t.Helper()
		got, err := c.Do(ctx, args...).Result()
		if errors.Is(err, redis.Nil) {
			got, err = nil, nil
		}
		if err != nil {
			t.Errorf("%v: %v", args, err)
			return
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("%v = %#v (%T), want %#v (%T)", args, got, got, want, want)
		}
	}
	do("OK", "SET", "n", "10")
	do(int64(11), "INCR", "n")
	do(int64(10), "DECR", "n")
	do(int64(15), "INCRBY", "n", "5")
	do(int64(12), "DECRBY", "n", "3")
	do(int64(1), "INCR", "new")
	do("12", "GET", "n")
	do(int64(2), "STRLEN", "n")
	// INCRBYFLOAT answers a bulk string in RESP3 too, and Redis prints a
	// float without an exponent.
	do("1000000.5", "INCRBYFLOAT", "f", "1000000.5")
	do("1000000.5", "GET", "f")
	do("100000000000000000000", "INCRBYFLOAT", "big", "1e20")
	do(int64(1), "HSET", "h", "f", "abc")
	do(int64(3), "HSTRLEN", "h", "f")
	do(int64(0), "HSTRLEN", "h", "missing")
	do([]any{}, "SPOP", "missing", "2") // an empty set, where LPOP has a null array
	do(nil, "LPOP", "missing", "2")
	// Numbers are strings to the string commands.
	do("2", "GETRANGE", "n", "1", "1")
	do(int64(3), "APPEND", "n", "5")
	do("125", "GET", "n")
	do(int64(1), "INCR", "z")
	do(int64(3), "SETRANGE", "z", "1", "xy")
	do("1xy", "GET", "z")
	do(int64(11), "APPEND", "f", "25")
	do("1000000.525", "GET", "f")
	do("string", "TYPE", "f")
	do(int64(6), "DEL", "n", "new", "f", "big", "h", "z")

	// HELLO names the Redis whose replies the listener gives, and one
	// standalone server (a router too).
	hello, err := c.Do(ctx, "HELLO", strconv.Itoa(v)).Result()
	fields := map[string]any{}
	switch h := hello.(type) {
	case map[any]any: // RESP3
		for k, x := range h {
			fields[fmt.Sprint(k)] = x
		}
	case []any: // RESP2: field, value, ...
		for i := 0; i+1 < len(h); i += 2 {
			fields[fmt.Sprint(h[i])] = h[i+1]
		}
	}
	if err != nil || fields["version"] != "7.0.0" || fields["mode"] != "standalone" || fields["proto"] != int64(v) {
		t.Errorf("HELLO %d = %#v, %v; want version 7.0.0, mode standalone, proto %d", v, hello, err, v)
	}

	// Transactions in the wrong state, in Redis's words.
	conn := c.Conn()
	defer conn.Close()
	refused(t, "EXEC without MULTI", conn.Do(ctx, "EXEC").Err(), "ERR EXEC without MULTI")
	refused(t, "DISCARD without MULTI", conn.Do(ctx, "DISCARD").Err(), "ERR DISCARD without MULTI")
	is(t, "MULTI", "OK")(conn.Do(ctx, "MULTI").Text())
	refused(t, "MULTI in MULTI", conn.Do(ctx, "MULTI").Err(), "ERR MULTI calls can not be nested")
	is(t, "DISCARD", "OK")(conn.Do(ctx, "DISCARD").Text())
}

// Serial runs, on a connection at VANITY.CONSISTENCY SERIAL, Redis's
// commands whose Vanity plan is several requests on one key (EXPIRE is
// EXISTS, then SET_EXPIRY; TTL is EXISTS, then GET_EXPIRY) and a
// transaction of one key: a cluster's serial path runs each as one
// proposal, in order on one state (they answered "SERIAL runs one
// command on one key"); the single process, as it runs them at any level.
func Serial(t *testing.T, addr string) {
	ctx := context.Background()
	c := Client(t, addr, 2, 7).Conn()
	defer c.Close()
	is(t, "VANITY.CONSISTENCY SERIAL SERIAL", "OK")(c.Do(ctx, "VANITY.CONSISTENCY", "SERIAL", "SERIAL").Text())
	is(t, "SET", "OK")(c.Set(ctx, "sx", "v", 0).Result())
	is(t, "EXPIRE", true)(c.Expire(ctx, "sx", 100*time.Second).Result())
	is(t, "EXPIRE of no key", false)(c.Expire(ctx, "sx-none", 100*time.Second).Result())
	if ttl, err := c.TTL(ctx, "sx").Result(); err != nil || ttl < 99*time.Second || ttl > 100*time.Second {
		t.Errorf("TTL after EXPIRE 100 = %v, %v", ttl, err)
	}
	is(t, "TTL of no key", time.Duration(-2))(c.TTL(ctx, "sx-none").Result())
	is(t, "PERSIST", true)(c.Persist(ctx, "sx").Result())
	is(t, "PTTL after PERSIST", time.Duration(-1))(c.PTTL(ctx, "sx").Result())
	is(t, "EXPIREAT", true)(c.ExpireAt(ctx, "sx", time.Unix(4102444800, 0)).Result())
	is(t, "EXPIRETIME", time.Duration(4102444800)*time.Second)(c.ExpireTime(ctx, "sx").Result())
	is(t, "GETEX PX", "v")(c.GetEx(ctx, "sx", 5*time.Second).Result())
	if ttl, err := c.PTTL(ctx, "sx").Result(); err != nil || ttl <= 4*time.Second || ttl > 5*time.Second {
		t.Errorf("PTTL after GETEX PX 5000 = %v, %v", ttl, err)
	}
	cmds, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Incr(ctx, "sn")
		p.IncrBy(ctx, "sn", 4)
		p.Expire(ctx, "sn", time.Minute)
		p.Get(ctx, "sn")
		return nil
	})
	if err != nil || len(cmds) != 4 || cmds[0].(*redis.IntCmd).Val() != 1 || cmds[1].(*redis.IntCmd).Val() != 5 ||
		!cmds[2].(*redis.BoolCmd).Val() || cmds[3].(*redis.StringCmd).Val() != "5" {
		t.Errorf("MULTI INCR, INCRBY 4, EXPIRE, GET, EXEC of one key: %v, %v", cmds, err)
	}
	// MGET reads each key linearizably (a command of several keys stays
	// per key at SERIAL), in any partitions, a key twice too.
	is(t, "MSET", "OK")(c.MSet(ctx, "sa", "1", "{sb}b", "2", "{sb}c", "3").Result())
	is(t, "MGET at SERIAL", []any{"1", nil, "2", "3", "1"})(c.MGet(ctx, "sa", "sx-none", "{sb}b", "{sb}c", "sa").Result())
	// So do the set algebra's reads: each set read on its own, then
	// combined.
	c.SAdd(ctx, "ss1", "a", "b", "c")
	c.SAdd(ctx, "{ss1}2", "b", "c", "d")
	c.SAdd(ctx, "ss3", "c", "e")
	sorted := func(m []string, err error) ([]string, error) { slices.Sort(m); return m, err }
	is(t, "SINTER at SERIAL", []string{"c"})(sorted(c.SInter(ctx, "ss1", "{ss1}2", "ss3").Result()))
	is(t, "SUNION at SERIAL", []string{"a", "b", "c", "d", "e"})(sorted(c.SUnion(ctx, "ss1", "{ss1}2", "ss3").Result()))
	is(t, "SDIFF at SERIAL", []string{"a"})(sorted(c.SDiff(ctx, "ss1", "{ss1}2", "ss3").Result()))
	is(t, "SINTERCARD at SERIAL", int64(2))(c.SInterCard(ctx, 0, "ss1", "{ss1}2").Result())
	is(t, "DEL", int64(8))(c.Del(ctx, "sx", "sn", "sa", "{sb}b", "{sb}c", "ss1", "{ss1}2", "ss3").Result())
}

// Wait checks WAIT on a connection at each write level, where every key
// is kept in copies copies: the copies beyond the first that a write at
// that level reached when it was acknowledged (one copy: none).
func Wait(t *testing.T, addr string, copies int) {
	ctx := context.Background()
	c := Client(t, addr, 2, 0).Conn()
	defer c.Close()
	for _, l := range []struct {
		level string
		want  int64
	}{{"ONE", 0}, {"QUORUM", int64(copies / 2)}, {"ALL", int64(copies - 1)}, {"SERIAL", int64(copies / 2)}} {
		is(t, "VANITY.CONSISTENCY QUORUM "+l.level, "OK")(c.Do(ctx, "VANITY.CONSISTENCY", "QUORUM", l.level).Text())
		is(t, "SET", "OK")(c.Set(ctx, "waited", l.level, 0).Result())
		is(t, "WAIT after a write at "+l.level, l.want)(c.Do(ctx, "WAIT", "3", "100").Int64())
	}
	refused(t, "WAIT x 0", c.Do(ctx, "WAIT", "x", "0").Err(), "ERR value is not an integer")
	refused(t, "WAIT 1 -1", c.Do(ctx, "WAIT", "1", "-1").Err(), "ERR timeout is negative")
	is(t, "DEL", int64(1))(c.Del(ctx, "waited").Result())
}

// Reset checks RESET: a connection in database 5, named, in RESP3, in a
// transaction, following a channel, logged in, is back to how a new one
// begins: answered +RESET, logged out (NOAUTH until AUTH), in database 0
// with no name, RESP2, no transaction, following nothing.
func Reset(t *testing.T, addr string) {
	c := dialRaw(t, addr, Password)
	for _, cmd := range [][]string{{"SELECT", "5"}, {"SET", "reset-key", "five"}, {"CLIENT", "SETNAME", "before"}} {
		if f := c.call(t, cmd...); f.kind != '+' {
			t.Fatalf("%v: %s", cmd, f)
		}
	}
	if f := c.call(t, "HELLO", "3"); f.kind != '%' {
		t.Fatalf("HELLO 3: %s", f)
	}
	if f := c.call(t, "SUBSCRIBE", "reset-news"); f.kind != '>' {
		t.Fatalf("SUBSCRIBE in RESP3: %s, want a push", f)
	}
	if f := c.call(t, "MULTI"); f.String() != `+"OK"` {
		t.Fatalf("MULTI: %s", f)
	}
	if f := c.call(t, "RESET"); f.String() != `+"RESET"` {
		t.Fatalf("RESET: %s", f)
	}
	if f := c.call(t, "GET", "reset-key"); f.kind != '-' || f.text != "NOAUTH" {
		t.Errorf("GET after RESET: %s%s; want NOAUTH", f, f.detail())
	}
	if f := c.call(t, "AUTH", Password); f.String() != `+"OK"` {
		t.Fatalf("AUTH after RESET: %s", f)
	}
	for _, want := range []struct {
		cmd  []string
		want string
	}{
		{[]string{"GET", "reset-key"}, "$null"}, // database 0, and not queued: no transaction
		{[]string{"CLIENT", "GETNAME"}, "$null"},
		{[]string{"EXEC"}, `-"ERR"`},
		{[]string{"HGETALL", "reset-nothing"}, `*"0"`}, // RESP2: an empty array, not a map
		{[]string{"SELECT", "5"}, `+"OK"`},
		{[]string{"GET", "reset-key"}, `$"five"`},
	} {
		if got := c.call(t, want.cmd...); got.String() != want.want {
			t.Errorf("%v after RESET: %s%s, want %s", want.cmd, got, got.detail(), want.want)
		}
	}
	pub := Client(t, addr, 2, 0)
	is(t, "PUBLISH to the channel the reset connection followed", int64(0))(pub.Publish(context.Background(), "reset-news", "x").Result())
}

// All runs every check against the RESP listener at addr (pubAddr is
// another router's, or addr): the commands in both protocol versions,
// logins, pub/sub, redis-cli and redis-benchmark.
func All(t *testing.T, addr, pubAddr string) {
	t.Run("RESP2", func(t *testing.T) { Commands(t, addr, 2, 1) })
	t.Run("RESP3", func(t *testing.T) { Commands(t, addr, 3, 2) })
	t.Run("forms2", func(t *testing.T) { ReplyForms(t, addr, 2, 3) })
	t.Run("forms3", func(t *testing.T) { ReplyForms(t, addr, 3, 4) })
	t.Run("as redis-server", func(t *testing.T) { AsRedis(t, addr) })
	t.Run("as redis-server at SERIAL", func(t *testing.T) { AsRedisAtSerial(t, addr) })
	for seed := range uint64(3) {
		t.Run(fmt.Sprintf("as redis-server, random %d", seed), func(t *testing.T) { AsRedisRandom(t, addr, seed, 2000) })
	}
	t.Run("as redis-server at SERIAL, random", func(t *testing.T) { AsRedisRandomAtSerial(t, addr, 3, 2000) })
	t.Run("serial", func(t *testing.T) { Serial(t, addr) })
	t.Run("auth", func(t *testing.T) { Auth(t, addr) })
	t.Run("clients", func(t *testing.T) { Clients(t, addr) })
	t.Run("reset", func(t *testing.T) { Reset(t, addr) })
	t.Run("pubsub2", func(t *testing.T) { PubSub(t, addr, addr, 2) })
	t.Run("pubsub3", func(t *testing.T) { PubSub(t, addr, addr, 3) })
	t.Run("patterns2", func(t *testing.T) { PatternPubSub(t, addr, addr, 2) })
	t.Run("patterns3", func(t *testing.T) { PatternPubSub(t, addr, addr, 3) })
	t.Run("pubsub info", func(t *testing.T) { PubSubInfo(t, addr) })
	t.Run("dump and restore", func(t *testing.T) { DumpRestore(t, addr) })
	t.Run("restore races", func(t *testing.T) { RestoreRaces(t, addr) })
	t.Run("msetnx", func(t *testing.T) { MSetNX(t, addr) })
	t.Run("monitor", func(t *testing.T) { Monitor(t, addr) })
	t.Run("latency", func(t *testing.T) { Latency(t, addr) })
	if pubAddr != addr {
		t.Run("pubsub across routers", func(t *testing.T) { PubSub(t, addr, pubAddr, 2) })
		t.Run("patterns across routers", func(t *testing.T) { PatternPubSub(t, addr, pubAddr, 3) })
	}
	t.Run("watch2", func(t *testing.T) { Watch(t, addr, pubAddr, 2) })
	t.Run("watch3", func(t *testing.T) { Watch(t, addr, pubAddr, 3) })
	t.Run("redis-cli", func(t *testing.T) { CLI(t, addr) })
	t.Run("redis-benchmark", func(t *testing.T) { Benchmark(t, addr, 2000) })
	t.Run("flushall", func(t *testing.T) { FlushAll(t, addr) }) // last: it empties every database
}

// Watch checks optimistic transactions the way go-redis's Watch runs
// them: a write through otherAddr (another router, or addr) to a watched
// key makes EXEC run nothing (TxFailedErr); UNWATCH, DISCARD and EXEC
// forget the watched keys; WATCH inside MULTI dooms it. Then clients
// incrementing one counter by WATCH, GET, MULTI, SET and EXEC, retrying
// each EXEC that ran nothing, lose no increment.
func Watch(t *testing.T, addr, otherAddr string, v int) {
	ctx := context.Background()
	c, other := Client(t, addr, v, 3), Client(t, otherAddr, v, 3)
	key := fmt.Sprintf("{watch%d}k", v)
	if err := c.Set(ctx, key, "a", 0).Err(); err != nil {
		t.Fatal(err)
	}
	write := func(tx *redis.Tx, interfere func()) error {
		val, err := tx.Get(ctx, key).Result()
		if err != nil {
			return err
		}
		interfere()
		_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
			p.Set(ctx, key, val+"b", 0)
			return nil
		})
		return err
	}
	err := c.Watch(ctx, func(tx *redis.Tx) error {
		return write(tx, func() { other.Set(ctx, key, "changed", 0) })
	}, key)
	txFailed(t, "EXEC after a write to the watched key", err)
	is(t, "the key after an EXEC that ran nothing", "changed")(c.Get(ctx, key).Result())
	err = c.Watch(ctx, func(tx *redis.Tx) error {
		return write(tx, func() { other.Expire(ctx, key, time.Hour) })
	}, key)
	txFailed(t, "EXEC after EXPIRE of the watched key", err)
	err = c.Watch(ctx, func(tx *redis.Tx) error { return write(tx, func() { other.Get(ctx, key) }) }, key)
	ran(t, "EXEC after a read of the watched key", err)
	is(t, "the key after it", "changedb")(c.Get(ctx, key).Result())

	conn := c.Conn()
	defer conn.Close()
	is[any](t, "WATCH", "OK")(conn.Do(ctx, "WATCH", key).Result())
	is[any](t, "UNWATCH", "OK")(conn.Do(ctx, "UNWATCH").Result())
	other.Set(ctx, key, "after unwatch", 0)
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, key, "mine", 0); return nil })
	ran(t, "EXEC after UNWATCH and a write", err)
	is[any](t, "WATCH", "OK")(conn.Do(ctx, "WATCH", key).Result())
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Do(ctx, "WATCH", key)
		return nil
	})
	refused(t, "EXEC after WATCH inside MULTI", err, "EXECABORT")
	other.Set(ctx, key, "after EXECABORT", 0)
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error { p.Set(ctx, key, "mine", 0); return nil })
	ran(t, "EXEC after an EXECABORT, which forgot the watched key", err)

	// PING and UNWATCH inside MULTI are queued, as Redis queues them.
	var ping *redis.StatusCmd
	var unwatch *redis.Cmd
	var get *redis.StringCmd
	_, err = conn.TxPipelined(ctx, func(p redis.Pipeliner) error {
		ping = p.Ping(ctx)
		p.Set(ctx, key, "queued", 0)
		unwatch = p.Do(ctx, "UNWATCH")
		get = p.Get(ctx, key)
		return nil
	})
	ran(t, "MULTI with PING and UNWATCH", err)
	is(t, "PING inside MULTI", "PONG")(ping.Result())
	is[any](t, "UNWATCH inside MULTI", "OK")(unwatch.Result())
	is(t, "GET after them inside MULTI", "queued")(get.Result())

	counter := fmt.Sprintf("{watch%d}counter", v)
	const clients, each = 6, 20
	conflicts := make([]int, clients)
	errs := make(chan error, clients)
	for g := range clients {
		go func() {
			errs <- func() error {
				for range each {
					for {
						err := c.Watch(ctx, func(tx *redis.Tx) error {
							n, err := tx.Get(ctx, counter).Int()
							if err != nil && !errors.Is(err, redis.Nil) {
								return err
							}
							_, err = tx.TxPipelined(ctx, func(p redis.Pipeliner) error {
								p.Set(ctx, counter, n+1, 0)
								return nil
							})
							return err
						}, counter)
						if !errors.Is(err, redis.TxFailedErr) {
							if err != nil {
								return err
							}
							break
						}
						conflicts[g]++
					}
				}
				return nil
			}()
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatalf("an increment: %v", err)
		}
	}
	is(t, "the counter after every client's increments", clients*each)(c.Get(ctx, counter).Int())
	t.Logf("%d increments by %d clients, %d EXECs ran nothing and were retried", clients*each, clients, sumOf(conflicts))
}

// txFailed fails the test unless err says EXEC ran nothing.
func txFailed(t testing.TB, what string, err error) {
	t.Helper()
	if !errors.Is(err, redis.TxFailedErr) {
		t.Errorf("%s: %v, want EXEC to run nothing (%v)", what, err, redis.TxFailedErr)
	}
}

// ran fails the test if err is not nil.
func ran(t testing.TB, what string, err error) {
	t.Helper()
	if err != nil {
		t.Errorf("%s: %v", what, err)
	}
}

func sumOf(xs []int) int {
	n := 0
	for _, x := range xs {
		n += x
	}
	return n
}

// FlushAll checks FLUSHALL: keys in two databases, written through two
// connections, are gone after a FLUSHALL from a third on another
// database; inside MULTI it is refused, and EXEC then discards the
// transaction (EXECABORT).
func FlushAll(t *testing.T, addr string) {
	ctx := context.Background()
	for db := 3; db <= 4; db++ {
		c := Client(t, addr, 2, db)
		for i := range 20 {
			if err := c.Set(ctx, fmt.Sprintf("f%d", i), i, 0).Err(); err != nil {
				t.Fatal(err)
			}
		}
	}
	c := Client(t, addr, 3, 5)
	is(t, "FLUSHALL", "OK")(c.FlushAll(ctx).Result())
	for db := 3; db <= 4; db++ {
		is(t, fmt.Sprintf("DBSIZE of database %d after FLUSHALL", db), int64(0))(Client(t, addr, 2, db).DBSize(ctx).Result())
	}
	var flush *redis.StatusCmd
	_, err := c.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, "k", "v", 0)
		flush = p.FlushAll(ctx)
		return nil
	})
	refused(t, "EXEC after FLUSHALL inside MULTI", err, "EXECABORT")
	refused(t, "FLUSHALL inside MULTI", flush.Err(), "ERR a command over several databases")
	is(t, "EXISTS of the discarded transaction's key", int64(0))(c.Exists(ctx, "k").Result())
}
