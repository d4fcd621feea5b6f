package resptest

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// AsRedisRandom is AsRedis over a script drawn from seed: n commands of
// the data types Vanity shares with Redis on four keys, so that types
// collide, lists run out and sets meet, with arguments from small pools
// that hold the edges (negative indexes, empty strings, numbers'
// look-alikes). It stops at the first reply that differs from
// redis-server's and shows the commands before it: after one, the two
// stores may hold different states and every later difference follows
// from it. The script leaves out what docs/resp.md says differs (a
// float's seventh decimal, DUMP's bytes) and what is random (SPOP,
// RANDOMKEY) or reads a clock beyond a sign (TTL answers only whether it
// is positive).
func AsRedisRandom(t *testing.T, addr string, seed uint64, n int) {
	asRedisRandom(t, addr, nil, false, seed, n)
}

// AsRedisRandomAtSerial is AsRedisRandom on connections at
// VANITY.CONSISTENCY SERIAL SERIAL, where a cluster runs every command of
// one key through rounds of consensus and refuses writes of several keys
// and transactions of several keys or with a watch: those are left out of
// the script (atSerial).
func AsRedisRandomAtSerial(t *testing.T, addr string, seed uint64, n int) {
	asRedisRandom(t, addr, nil, true, seed, n)
}

// Restarts says how AsRedisAcrossRestarts takes its server down and
// back.
type Restarts struct {
	// Restart kills the server (SIGKILL) and starts it again on its data,
	// or, in a cluster, brings a node down or back, and returns the RESP
	// address to go on with. It is called every Every commands (outside
	// transactions and watches: one due inside one waits for its end) and
	// once more at the end with last set: a cluster may keep a node down
	// from one call to the next, and is whole after the last.
	Restart func(last bool) string
	Every   int
	// Saves puts a SAVE into the script now and then, so that a restart
	// loads a snapshot and the log after it (a cluster with a node down
	// refuses it).
	Saves bool
}

// AsRedisAcrossRestarts is AsRedisRandom against a server taken down and
// back as r says. After each restart the keys, their types, contents and
// whether they have a deadline are compared with redis-server's before
// the script goes on: every acknowledged write is still there, once.
func AsRedisAcrossRestarts(t *testing.T, addr string, r Restarts, seed uint64, n int) {
	asRedisRandom(t, addr, &r, false, seed, n)
}

func asRedisRandom(t *testing.T, addr string, r *Restarts, serial bool, seed uint64, n int) {
	redisAddr := startRedis(t)
	script := RandomScript(seed, n)
	if serial {
		script = atSerial(script)
	}
	if r != nil && r.Saves {
		script = withSaves(script, seed)
	}
	for _, v := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", v), func(t *testing.T) {
			db := strconv.Itoa(randomDB + v - 2)
			open := func(addr, password string) *rawConn {
				c := dialRaw(t, addr, password)
				c.call(t, "SELECT", db)
				if v == 3 {
					c.call(t, "HELLO", "3")
				}
				return c
			}
			openOurs := func(addr string) *rawConn { // after a restart too
				c := open(addr, Password)
				if serial {
					if got := c.call(t, "VANITY.CONSISTENCY", "SERIAL", "SERIAL"); got.kind != '+' {
						t.Fatalf("VANITY.CONSISTENCY SERIAL SERIAL: %s%s", got, got.detail())
					}
				}
				return c
			}
			ours, theirs := openOurs(addr), open(redisAddr, "")
			for _, c := range []*rawConn{ours, theirs} {
				if f := c.call(t, "FLUSHDB"); f.kind != '+' {
					t.Fatalf("FLUSHDB: %s%s", f, f.detail())
				}
			}
			fail := func(i int, l Line, got, want frame, what string) {
				var before strings.Builder
				for _, p := range script[max(0, i-12):i] {
					fmt.Fprintf(&before, "\n  %s", p)
				}
				t.Fatalf("seed %d, command %d of %d%s: %s\nVanity answered %s, redis-server %s%s\nthe commands before it:%s",
					seed, i+1, len(script), what, l, got, want, got.detail(), before.String())
			}
			inTx, due := false, 0 // a transaction or watch under way; restarts due
			check := func(i int, last bool) {
				for ; due > 0; due-- {
					ours.nc.Close()
					addr = r.Restart(last && due == 1)
					ours = openOurs(addr)
					for _, d := range dumpScript(theirs, t) {
						got, want := d.norm(ours.call(t, d.args...)), d.norm(theirs.call(t, d.args...))
						if got.String() != want.String() {
							fail(i, d, got, want, " (after a restart that follows it)")
						}
					}
				}
			}
			for i, l := range script {
				var fromOurs, fromTheirs frame
				if l.cross {
					fromOurs, fromTheirs = ours.call(t, "DUMP", l.args[1]), theirs.call(t, "DUMP", l.args[1])
				}
				got, want := l.norm(l.call(t, ours, fromTheirs)), l.norm(l.call(t, theirs, fromOurs))
				if got.String() != want.String() {
					fail(i, l, got, want, "")
				}
				switch l.args[0] {
				case "MULTI", "WATCH":
					inTx = true
				case "EXEC", "DISCARD":
					inTx = false
				}
				if r != nil && (i+1)%r.Every == 0 {
					due++
				}
				if !inTx {
					check(i, false)
				}
			}
			if r != nil {
				due++ // and a last one, that leaves the server whole
				check(len(script)-1, true)
			}
		})
	}
}

// atSerial is script without what SERIAL refuses: a write of several
// keys, and a transaction (with what follows its WATCH) unless it names
// one key and watches nothing.
func atSerial(script []Line) []Line {
	out := make([]Line, 0, len(script))
	for i := 0; i < len(script); i++ {
		l := script[i]
		if l.args[0] != "MULTI" && l.args[0] != "WATCH" {
			if !severalWritten(l) {
				out = append(out, l)
			}
			continue
		}
		j := i
		for script[j].args[0] != "EXEC" && script[j].args[0] != "DISCARD" {
			j++
		}
		block, keys := script[i:j+1], map[string]bool{}
		for _, b := range block {
			for _, k := range keysOf(b) {
				keys[k] = true
			}
		}
		if l.args[0] == "MULTI" && len(keys) <= 1 {
			out = append(out, block...)
		}
		i = j
	}
	return out
}

// severalWritten reports whether l writes several keys, or writes one and
// reads another, or is MSETNX.
func severalWritten(l Line) bool {
	switch l.args[0] {
	case "MSETNX": // it checks versions, which SERIAL does not run (docs/resp.md)
		return true
	case "MSET", "RENAME", "RENAMENX", "COPY", "SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE", "SMOVE",
		"RPOPLPUSH", "LMOVE", "LMPOP", "BITOP":
		return len(keysOf(l)) > 1
	}
	return false
}

// keysOf returns the keys l names, each once.
func keysOf(l Line) []string {
	var out []string
	for _, a := range l.args[1:] {
		if strings.HasPrefix(a, "{r}") && !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	return out
}

// withSaves puts a SAVE into script after every 150 to 450 commands,
// outside transactions.
func withSaves(script []Line, seed uint64) []Line {
	r := rand.New(rand.NewPCG(seed, 0x5a7e))
	out := make([]Line, 0, len(script)+len(script)/150)
	next, inTx := 150+r.IntN(300), false
	for i, l := range script {
		out = append(out, l)
		switch l.args[0] {
		case "MULTI":
			inTx = true
		case "EXEC", "DISCARD":
			inTx = false
		}
		if i >= next && !inTx {
			out = append(out, Line{args: []string{"SAVE"}})
			next = i + 150 + r.IntN(300)
		}
	}
	return out
}

// dumpScript returns the commands that read every key redis-server's
// database holds, each as its type is read.
func dumpScript(redis *rawConn, t *testing.T) []Line {
	keys := redis.call(t, "KEYS", "*")
	out := []Line{{args: []string{"KEYS", "*"}, unordered: true}, {args: []string{"DBSIZE"}}}
	for _, k := range keys.sorted().elems {
		key := k.text
		out = append(out, Line{args: []string{"TYPE", key}}, Line{args: []string{"TTL", key}, sign: true})
		switch redis.call(t, "TYPE", key).text {
		case "string":
			if key == "{r}h" { // the sketch, whose bytes hold Redis's cached count
				out = append(out, Line{args: []string{"PFCOUNT", key}})
				continue
			}
			out = append(out, Line{args: []string{"GET", key}})
		case "list":
			out = append(out, Line{args: []string{"LRANGE", key, "0", "-1"}})
		case "set":
			out = append(out, Line{args: []string{"SMEMBERS", key}, unordered: true})
		case "hash":
			out = append(out, Line{args: []string{"HGETALL", key}, unordered: true, pairs: true})
		}
	}
	return out
}

// randomDB is the database AsRedisRandom's RESP2 run uses; RESP3's is
// the next.
const randomDB = 13

// Line is one command of a random script and how its replies compare.
type Line struct {
	args []string
	// cross: args are DUMP, a key and another: each server DUMPs the key
	// and RESTOREs (REPLACE) the other's payload into the other key, so
	// that Vanity reads what Redis writes (listpacks, quicklists,
	// intsets) and Redis what Vanity writes; the RESTOREs' replies
	// compare, and the script reads the key on.
	cross bool
	// unordered: the reply's elements come in no order Redis promises.
	unordered bool
	// anyError: an error matches any error (docs/resp.md names where
	// Vanity's word differs).
	anyError bool
	// sign: an integer reply compares by its sign (TTL and PTTL).
	sign bool
	// pairs: with unordered, the reply is field, value, ... in RESP2
	// and [field, value] pairs in RESP3 (HRANDFIELD WITHVALUES), sorted
	// by pair.
	pairs bool
	// move: WRONGTYPE compares as 0 (SMOVE: Vanity checks the
	// destination's type where Redis first answers 0 for a missing
	// source, docs/resp.md).
	move bool
}

func (l Line) String() string {
	if l.cross {
		return fmt.Sprintf("DUMP %s, then RESTORE %s 0 <the other server's payload> REPLACE", l.args[1], l.args[2])
	}
	return strings.Join(l.args, " ")
}

// call sends l to c and returns the reply; a cross line's is its
// RESTORE's of payload, the other server's DUMP of the key.
func (l Line) call(t *testing.T, c *rawConn, payload frame) frame {
	if !l.cross {
		return c.call(t, l.args...)
	}
	if payload.null || payload.kind == '_' { // no key: RESP2's null bulk, RESP3's null
		return payload
	}
	return c.call(t, "RESTORE", l.args[2], "0", payload.text, "REPLACE")
}

// norm is f as the line compares it.
func (l Line) norm(f frame) frame {
	switch {
	case f.kind == '-' && l.anyError:
		f.text = "(an error)"
	case f.kind == ':' && l.sign:
		if n, err := strconv.ParseInt(f.text, 10, 64); err == nil && n > 0 {
			f.text = "(positive)"
		}
	case f.kind == '-' && l.move && f.text == "WRONGTYPE":
		f = frame{kind: ':', text: "0"}
	case l.unordered && l.pairs:
		f = f.sortedPairs()
	case l.unordered:
		f = f.sorted()
	}
	return roundLong(f)
}

// roundLong rounds the numbers of f longer than a double's 15 digits to
// 12: Redis computes INCRBYFLOAT in a long double and Vanity in a double
// (docs/resp.md), so 1e30 less 3 prints apart past the 16th digit.
func roundLong(f frame) frame {
	if f.elems != nil {
		elems := make([]frame, len(f.elems))
		for i, e := range f.elems {
			elems[i] = roundLong(e)
		}
		f.elems = elems
		return f
	}
	if len(f.text) > 15 && (f.kind == '$' || f.kind == '+') {
		if x, err := strconv.ParseFloat(f.text, 64); err == nil {
			f.text = strconv.FormatFloat(x, 'g', 12, 64)
		}
	}
	return f
}

// RandomScript draws n commands from seed (PCG), the same ones on every
// machine, and the rest of a transaction the nth begins.
func RandomScript(seed uint64, n int) []Line {
	g := &gen{r: rand.New(rand.NewPCG(seed, 0x5eed))}
	out := make([]Line, 0, n)
	for len(out) < n {
		if g.r.IntN(24) == 0 {
			out = append(out, g.transaction()...)
			continue
		}
		out = append(out, g.line())
	}
	return out // a transaction at the end whole: n or a few more
}

// transaction is MULTI, up to four commands whose replies compare as
// they come (EXEC's array holds them), and EXEC or DISCARD; sometimes
// WATCH first, and a command between it and MULTI, which in Redis dooms
// the transaction when it writes a watched key, even from the same
// connection.
func (g *gen) transaction() []Line {
	var out []Line
	if g.r.IntN(3) == 0 {
		out = append(out, Line{args: append([]string{"WATCH"}, g.keys()...)})
		if g.r.IntN(2) == 0 {
			out = append(out, g.between())
		}
	}
	out = append(out, Line{args: []string{"MULTI"}})
	for range 1 + g.r.IntN(4) {
		out = append(out, g.plain())
	}
	return append(out, Line{args: []string{g.pick("EXEC", "EXEC", "EXEC", "DISCARD")}})
}

// between is a command between WATCH and MULTI: a read, or a SET, which
// changes its key in both servers' eyes. (A write that changes nothing,
// or fails, changes nothing for Redis's WATCH; Vanity's WATCH counts an
// SADD of a member already there, and in a cluster any command on a key
// written on the serial path: docs/resp.md.)
func (g *gen) between() Line {
	if g.r.IntN(3) == 0 {
		return Line{args: []string{"SET", g.key(), g.val()}}
	}
	for {
		l := g.plain()
		switch l.args[0] {
		case "GET", "MGET", "STRLEN", "GETRANGE", "SUBSTR", "GETBIT", "BITCOUNT", "BITPOS", "EXISTS", "TYPE",
			"LLEN", "LRANGE", "LINDEX", "LPOS", "SISMEMBER", "SMISMEMBER", "SCARD", "SINTERCARD",
			"HGET", "HMGET", "HEXISTS", "HSTRLEN", "HLEN", "PFCOUNT":
			return l
		}
	}
}

// plain is a command whose reply compares as it comes, that a
// transaction may hold (MSETNX, which reads before it writes, LMPOP and
// the commands of every key are left out: docs/resp.md).
func (g *gen) plain() Line {
	for {
		l := g.line()
		switch l.args[0] {
		case "MSETNX", "DBSIZE", "KEYS", "LMPOP":
			continue
		}
		if !l.unordered && !l.anyError && !l.sign && !l.move && !l.pairs && !l.cross {
			return l
		}
	}
}

type gen struct {
	r    *rand.Rand
	secs int
}

// seconds is a deadline's seconds that no other in the script has
// (2001, 2004, ...; SET's EX is 1000, SETEX's 100000, PSETEX's 100 s), so
// that EXPIRE's GT and LT never compare two deadlines a millisecond or
// two apart, which the two servers' clocks could order differently.
func (g *gen) seconds() string {
	g.secs++
	return strconv.Itoa(1998 + 3*g.secs)
}

func (g *gen) pick(xs ...string) string { return xs[g.r.IntN(len(xs))] }

func (g *gen) key() string { return g.pick("{r}a", "{r}b", "{r}c", "{r}d") }

// val is a value, a member or an element: numbers and their look-alikes,
// words, the empty string.
func (g *gen) val() string {
	return g.pick("1", "2", "-3", "10", "0", "2.5", "-0.5", "abc", "y", "", "007", "3.0",
		" 5", "hello world", "-0", "+1", "1.50", "b", "c")
}

// wide is one of 300 members, or a value (val).
func (g *gen) wide() string {
	if g.r.IntN(8) == 0 {
		return g.val()
	}
	return "m" + strconv.Itoa(g.r.IntN(300))
}

// word is a value without digits, which APPEND and SETRANGE write: with
// digits they make decimals such as 103.010 out of numbers, whose sum by
// INCRBYFLOAT Redis prints with a long double's digits
// (203.00999999999999999) and Vanity with a double's (203.01), and STRLEN
// and GETRANGE then read apart (docs/resp.md). The values SET writes are
// sums of halves and quarters, exact in both.
func (g *gen) word() string { return g.pick("y", "abc", "", "b", "c", "hello world", "-", ".") }

func (g *gen) field() string { return g.pick("f", "g", "h", "1") }

// index is a list index, a range's end or an offset: some reach into
// the strings SETRANGE and SETBIT make long.
func (g *gen) index() string {
	return g.pick("-100", "-3", "-2", "-1", "0", "1", "2", "3", "5", "100", "-5001", "4999", "69999")
}

// incr is an increment for INCRBY and HINCRBY: small, with refusals.
func (g *gen) incr() string {
	return g.pick("1", "-1", "5", "-7", "0", "100", "abc", "2.5", "", "+1", "007", "-0")
}

// fincr is an increment for the float commands: at most three decimals,
// so that six print them exactly.
func (g *gen) fincr() string { return g.pick("1.5", "-0.25", "2", "0.125", "10", "-3", "abc", "1e2") }

// vals is 1 to 3 values.
func (g *gen) vals() []string {
	out := []string{g.val()}
	for g.r.IntN(3) == 0 && len(out) < 3 {
		out = append(out, g.val())
	}
	return out
}

// keys is 1 to 3 keys.
func (g *gen) keys() []string {
	out := []string{g.key()}
	for g.r.IntN(2) == 0 && len(out) < 3 {
		out = append(out, g.key())
	}
	return out
}

func (g *gen) line() Line {
	l := func(args ...string) Line { return Line{args: args} }
	cat := func(a []string, rest ...[]string) []string {
		for _, r := range rest {
			a = append(a, r...)
		}
		return a
	}
	k := g.key()
	switch g.r.IntN(79) {
	case 78:
		return Line{args: []string{"DUMP", k, g.key()}, cross: true}
	case 75, 76:
		// Many at once: lists past a chunk's 128 elements, sets and hashes
		// past their small forms.
		n := 20 + g.r.IntN(150)
		switch g.r.IntN(3) {
		case 0:
			args := []string{g.pick("LPUSH", "RPUSH"), k}
			for range n {
				args = append(args, g.wide())
			}
			return l(args...)
		case 1:
			args := []string{"SADD", k}
			for range n {
				args = append(args, g.wide())
			}
			return l(args...)
		}
		args := []string{"HSET", k}
		for range n {
			args = append(args, g.wide(), g.val())
		}
		return l(args...)
	case 77:
		switch g.r.IntN(4) {
		case 0:
			return l("LINSERT", k, g.pick("BEFORE", "AFTER"), g.wide(), g.wide())
		case 1:
			return l("LREM", k, g.pick("0", "1", "-1", "3"), g.wide())
		case 2:
			return l("SREM", k, g.wide(), g.wide(), g.wide())
		}
		return l("HDEL", k, g.wide(), g.wide(), g.wide())
	case 72:
		// With a count past the size, every member: no randomness left.
		if g.r.IntN(2) == 0 {
			return Line{args: []string{g.pick("SRANDMEMBER", "SPOP"), k, "1000"}, unordered: true}
		}
		if g.r.IntN(2) == 0 {
			return Line{args: []string{"HRANDFIELD", k, "1000", "WITHVALUES"}, unordered: true, pairs: true}
		}
		return Line{args: []string{"HRANDFIELD", k, "1000"}, unordered: true}
	case 73:
		if g.r.IntN(4) == 0 {
			return l("BITOP", "NOT", k, g.key())
		}
		return l(cat([]string{"BITOP", g.pick("AND", "OR", "XOR"), k}, g.keys())...)
	case 74:
		return l("BITCOUNT", k, g.index(), g.pick("-1", "0", "1", "3", "100"), g.pick("BYTE", "BIT"))
	case 64:
		return Line{args: []string{g.pick("SETEX", "PSETEX"), k, g.pick("100000", "0", "-1", "y"), g.val()}}
	case 65:
		// No deadline in the past: redis-server 7.0 keeps such a key, which
		// DBSIZE counts until it is swept; Vanity's reads as absent at once.
		if g.r.IntN(2) == 0 {
			return l("SET", k, g.val(), "EXAT", "99999999999")
		}
		return l("SET", k, g.val(), "PXAT", "99999999999999")
	case 66:
		args := []string{"BITPOS", k, g.pick("0", "1", "2")}
		if g.r.IntN(2) == 0 {
			args = append(args, g.index())
			if g.r.IntN(2) == 0 {
				args = append(args, g.pick("-1", "0", "1", "3", "100"))
				if g.r.IntN(2) == 0 {
					args = append(args, g.pick("BYTE", "BIT"))
				}
			}
		}
		return l(args...)
	case 67:
		// A sketch of its own key, which nothing else reads or copies:
		// Redis writes the count PFCOUNT caches into the string's bytes,
		// and Vanity does not (docs/resp.md).
		return l(cat([]string{"PFADD", "{r}h"}, g.vals())...)
	case 68:
		return l(g.pick("PFCOUNT", "TYPE", "EXISTS"), "{r}h")
	case 69:
		args := []string{"LPOS", k, g.val(), "MAXLEN", g.pick("0", "1", "2", "-1")}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", g.pick("0", "2"))
		}
		return l(args...)
	case 70:
		ks := g.keys()
		return l(cat([]string{"SINTERCARD", strconv.Itoa(len(ks))}, ks, []string{"LIMIT", g.pick("0", "1", "2", "-1")})...)
	case 71:
		return l(g.pick("RENAME", "RENAMENX"), k, k)
	// strings
	case 0, 1:
		args := []string{"SET", k, g.val()}
		switch g.r.IntN(4) {
		case 0:
			args = append(args, g.pick("NX", "XX"))
		case 1:
			args = append(args, "GET")
		}
		if g.r.IntN(4) == 0 {
			args = append(args, g.pick("KEEPTTL", "EX"))
			if args[len(args)-1] == "EX" {
				args = append(args, g.pick("1000", "0", "-1", "x"))
			}
		}
		return l(args...)
	case 2:
		return l("GET", k)
	case 3:
		return l(cat([]string{"MGET"}, g.keys())...)
	case 4:
		return l("MSET", k, g.val(), g.key(), g.val())
	case 5:
		return l(g.pick("SETNX", "GETSET"), k, g.val())
	case 6:
		return l("APPEND", k, g.word())
	case 7:
		return l(g.pick("STRLEN", "GETDEL"), k)
	case 8, 9:
		return l(g.pick("INCR", "DECR"), k)
	case 10:
		return l(g.pick("INCRBY", "DECRBY"), k, g.incr())
	case 11:
		// On a list, set or hash Vanity answers "not a valid float" where
		// Redis answers WRONGTYPE (docs/resp.md).
		return Line{args: []string{"INCRBYFLOAT", k, g.fincr()}, anyError: true}
	case 12:
		// An end before the string's start is the empty string here and
		// the first byte in Redis (docs/resp.md): ends from -1 up.
		return l(g.pick("GETRANGE", "SUBSTR"), k, g.index(), g.pick("-1", "0", "1", "2", "3", "5", "100"))
	case 13:
		return l("SETRANGE", k, g.pick("0", "1", "3", "-1", "5000", "70000"), g.word())
	case 14:
		return l("MSETNX", k, g.val(), g.key(), g.val())
	case 15:
		return l("SETBIT", k, g.pick("0", "1", "7", "9", "-1", "40000", "600001"), g.pick("0", "1", "2"))
	case 16:
		return l("GETBIT", k, g.pick("0", "1", "7", "9", "100", "40000", "600001"))
	case 17:
		args := []string{"BITCOUNT", k}
		if g.r.IntN(2) == 0 {
			args = append(args, g.index(), g.index())
		}
		return l(args...)
	// keys
	case 18:
		return l(cat([]string{g.pick("DEL", "EXISTS", "UNLINK", "TOUCH")}, g.keys())...)
	case 19:
		return l("TYPE", k)
	case 20:
		args := []string{"EXPIRE", k, g.pick(g.seconds(), g.seconds(), "0", "-5", "x")}
		if g.r.IntN(3) == 0 {
			args = append(args, g.pick("NX", "XX", "GT", "LT"))
		}
		return l(args...)
	case 21:
		return l("PERSIST", k)
	case 22:
		return Line{args: []string{g.pick("TTL", "PTTL"), k}, sign: true}
	case 23:
		return l(g.pick("RENAME", "RENAMENX"), k, g.key())
	case 24:
		args := []string{"COPY", k, g.key()}
		if g.r.IntN(2) == 0 {
			args = append(args, "REPLACE")
		}
		return l(args...)
	case 25:
		if g.r.IntN(2) == 0 {
			return l("DBSIZE")
		}
		return Line{args: []string{"KEYS", g.pick("*", "{r}[ab]", "*c", "x*")}, unordered: true}
	// lists
	case 26, 27, 28:
		return l(cat([]string{g.pick("LPUSH", "RPUSH", "LPUSHX", "RPUSHX")}, []string{k}, g.vals())...)
	case 29, 30:
		args := []string{g.pick("LPOP", "RPOP"), k}
		if g.r.IntN(3) == 0 {
			args = append(args, g.pick("0", "1", "2", "5", "-1"))
		}
		return l(args...)
	case 31:
		return l("LLEN", k)
	case 32, 33:
		return l("LRANGE", k, g.index(), g.index())
	case 34:
		return l("LINDEX", k, g.index())
	case 35:
		return l("LSET", k, g.index(), g.val())
	case 36:
		return l("LREM", k, g.pick("0", "1", "-1", "2", "-2"), g.val())
	case 37:
		return l("LTRIM", k, g.index(), g.index())
	case 38:
		return l("LINSERT", k, g.pick("BEFORE", "AFTER"), g.val(), g.val())
	case 39:
		args := []string{"LPOS", k, g.val()}
		if g.r.IntN(2) == 0 {
			args = append(args, "RANK", g.pick("1", "-1", "2", "-2", "0"))
		}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", g.pick("0", "1", "2"))
		}
		return l(args...)
	case 40:
		if g.r.IntN(2) == 0 {
			return l("RPOPLPUSH", k, g.key())
		}
		return l("LMOVE", k, g.key(), g.pick("LEFT", "RIGHT"), g.pick("LEFT", "RIGHT"))
	case 41:
		args := []string{"LMPOP", "2", k, g.key(), g.pick("LEFT", "RIGHT")}
		if g.r.IntN(2) == 0 {
			args = append(args, "COUNT", g.pick("1", "2", "5"))
		}
		return l(args...)
	// sets
	case 42, 43, 44:
		return l(cat([]string{g.pick("SADD", "SADD", "SREM")}, []string{k}, g.vals())...)
	case 45:
		return Line{args: []string{"SMEMBERS", k}, unordered: true}
	case 46:
		return l("SISMEMBER", k, g.val())
	case 47:
		return l(cat([]string{"SMISMEMBER", k}, g.vals())...)
	case 48:
		return l("SCARD", k)
	case 49:
		return Line{args: cat([]string{g.pick("SUNION", "SINTER", "SDIFF")}, g.keys()), unordered: true}
	case 50:
		return l(cat([]string{g.pick("SUNIONSTORE", "SINTERSTORE", "SDIFFSTORE"), k}, g.keys())...)
	case 51:
		return Line{args: []string{"SMOVE", k, g.key(), g.val()}, move: true}
	case 52:
		ks := g.keys()
		return l(cat([]string{"SINTERCARD", strconv.Itoa(len(ks))}, ks)...)
	// hashes
	case 53, 54, 55:
		args := []string{g.pick("HSET", "HSET", "HMSET"), k, g.field(), g.val()}
		if g.r.IntN(3) == 0 {
			args = append(args, g.field(), g.val())
		}
		return l(args...)
	case 56:
		return l("HGET", k, g.field())
	case 57:
		return l("HMGET", k, g.field(), g.field())
	case 58:
		if g.r.IntN(3) == 0 {
			return Line{args: []string{"HGETALL", k}, unordered: true, pairs: true}
		}
		return Line{args: []string{g.pick("HKEYS", "HVALS"), k}, unordered: true}
	case 59:
		return l("HDEL", k, g.field(), g.field())
	case 60:
		return l(g.pick("HEXISTS", "HSTRLEN"), k, g.field())
	case 61:
		return l("HLEN", k)
	case 62:
		if g.r.IntN(2) == 0 {
			return l("HINCRBY", k, g.field(), g.incr())
		}
		return l("HINCRBYFLOAT", k, g.field(), g.fincr())
	default:
		return l("HSETNX", k, g.field(), g.val())
	}
}
