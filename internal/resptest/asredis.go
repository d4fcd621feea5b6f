package resptest

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/freeport"
)

// AsRedis sends the same commands, raw, to the RESP listener at addr and
// to a redis-server it starts, in both protocol versions, and compares
// the frames that come back: their kinds (an integer is not its text, an
// empty set is not a null array) and values, an error's first word only
// (ERR, WRONGTYPE: Vanity's explanations are its own), the members of an
// unordered reply in any order. The commands are those whose answers
// docs/resp.md says are Redis's; the differences it lists are left out.
// Every key carries the tag {r}, so that a cluster keeps them in one
// partition; no command reads a clock (a TTL's seconds could round apart
// on a loaded machine). Skips when redis-server is not installed (fails when
// $VANITY_REQUIRE_TOOLS is set).
func AsRedis(t *testing.T, addr string) { asRedis(t, addr, "", 9) }

// AsRedisAtSerial is AsRedis on connections at VANITY.CONSISTENCY SERIAL
// SERIAL, where a cluster runs every command of one key through rounds of
// consensus and refuses a write of several keys: the script's lines
// marked "@" (such writes, and a transaction of several keys) are left
// out on both sides.
func AsRedisAtSerial(t *testing.T, addr string) { asRedis(t, addr, "SERIAL", 11) }

// asRedis runs the script at the Vanity levels given ("": the session's
// default), RESP2 in database db and RESP3 in db+1: a cluster with a node
// down refuses FLUSHDB (it would miss that node's partitions), and each
// run must start empty.
func asRedis(t *testing.T, addr, level string, db int) {
	redisAddr := startRedis(t)
	for _, v := range []int{2, 3} {
		t.Run(fmt.Sprintf("RESP%d", v), func(t *testing.T) {
			ours, theirs := dialRaw(t, addr, Password), dialRaw(t, redisAddr, "")
			for _, c := range []*rawConn{ours, theirs} {
				c.call(t, "SELECT", strconv.Itoa(db+v-2))
				if v == 3 {
					c.call(t, "HELLO", "3")
				}
				c.call(t, "FLUSHDB")
			}
			if level != "" {
				if got := ours.call(t, "VANITY.CONSISTENCY", level, level); got.String() != "+\"OK\"" {
					t.Fatalf("VANITY.CONSISTENCY %s %s: %s", level, level, got)
				}
			}
			for _, line := range asRedisScript {
				args, unordered := strings.Fields(line), false
				if args[0] == "@" {
					if level == "SERIAL" {
						continue
					}
					args = args[1:]
				}
				if args[0] == "~" {
					args, unordered = args[1:], true
				}
				got, want := ours.call(t, args...), theirs.call(t, args...)
				if unordered {
					got, want = got.sorted(), want.sorted()
				}
				if got.String() != want.String() {
					t.Errorf("RESP%d %s: Vanity answered %s, redis-server %s%s", v, line, got, want, got.detail())
				}
			}
		})
	}
}

// asRedisScript is AsRedis's commands, one a line, in order; a line
// starting "~ " answers members in no set order, and one starting "@ " is
// a write of several keys (or part of a transaction of several), which a
// cluster refuses at SERIAL, or a RESTORE without REPLACE, which checks
// the key's version and is refused at SERIAL (AsRedisAtSerial leaves them
// out).
var asRedisScript = strings.Split(strings.TrimSpace(`
SET {r}str hello
SET {r}num 10
SET {r}fl 2.5
RPUSH {r}list a b c b
SADD {r}set x y z
HSET {r}hash f 1 g two
INCR {r}num
DECR {r}num
INCRBY {r}num 5
DECRBY {r}num 3
INCR {r}new
INCRBYFLOAT {r}fl 1.5
SET {r}ap 10
APPEND {r}ap 5
INCR {r}ap
GET {r}ap
SETRANGE {r}ap2 0 -12
DECRBY {r}ap2 3
SET {r}ap3 007
INCR {r}ap3
APPEND {r}ap4 -0
INCR {r}ap4
SET {r}ap5 922337203685477580
APPEND {r}ap5 7
INCR {r}ap5
APPEND {r}ap5 0
INCR {r}ap5
INCR {r}list
INCRBY {r}set 2
DECR {r}hash
INCR {r}fl
INCRBYFLOAT {r}num 1
INCRBYFLOAT {r}big 1000000.5
INCRBYFLOAT {r}big 1e20
GET {r}num
GET {r}fl
GET {r}nothere
STRLEN {r}str
STRLEN {r}num
STRLEN {r}nothere
APPEND {r}str xy
APPEND {r}new2 abc
SET {r}n2 12
APPEND {r}n2 5
GETRANGE {r}n2 1 2
SETRANGE {r}n2 0 9
GET {r}n2
GETRANGE {r}str 0 2
GETRANGE {r}nothere 0 1
SETRANGE {r}sr 2 ab
GET {r}sr
SETRANGE {r}sr -1 x
SETNX {r}str x
SETNX {r}sn x
GETSET {r}str world
GETDEL {r}sn
GETDEL {r}sn
MSET {r}m1 1 {r}m2 2
@ MSETNX {r}m2 x {r}m3 y
@ MSETNX {r}m3 3 {r}m4 4.5
@ MSETNX {r}m5 a
MSETNX {r}m5
MGET {r}m1 {r}m2 {r}m3 {r}m4 {r}m5
MGET {r}str {r}num {r}nothere {r}list
DEL {r}m1 {r}m2 {r}m3 {r}m4 {r}m5 {r}nothere
EXISTS {r}str {r}num {r}nothere
TYPE {r}str
TYPE {r}num
TYPE {r}list
TYPE {r}set
TYPE {r}hash
TYPE {r}nothere
SET {r}k v NX
SET {r}k v XX
SET {r}k2 v XX
SET {r}k3 v GET
SET {r}k4 v EX 100
PERSIST {r}k4
SET {r}sw a NX GET
SET {r}sw b NX GET
SET {r}sw c XX GET
SET {r}sw2 c XX GET
EXISTS {r}sw2
SET {r}sw d GET EX 100
SET {r}sw e XX KEEPTTL
SET {r}sw f XX KEEPTTL GET
PERSIST {r}sw
PERSIST {r}sw
SET {r}sw g NX KEEPTTL
SET {r}sw h PXAT 4102444800000 XX GET
SET {r}sw i EXAT 4102444800 NX
SET {r}sw3 j EXAT 4102444800 NX
SET {r}sw3 k PXAT 1 XX GET
EXISTS {r}sw3
SET {r}sw 7 EX 100 EX 100
SET {r}sw 8 EX 100 PX 100
SET {r}sw 9 KEEPTTL EX 100
SET {r}sw 10 NX XX
SET {r}sw 11 GET GET
GET {r}sw
LPUSHX {r}px a
RPUSHX {r}px a
EXISTS {r}px
RPUSH {r}px b
LPUSHX {r}px a z
RPUSHX {r}px c
LRANGE {r}px 0 -1
RPUSHX {r}sw a
LINSERT {r}li BEFORE a x
RPUSH {r}li a c a
LINSERT {r}li AFTER a b
LINSERT {r}li BEFORE a z
LINSERT {r}li after c d
LINSERT {r}li BEFORE q x
LINSERT {r}li MIDDLE a x
LRANGE {r}li 0 -1
LINSERT {r}sw BEFORE a x
GETBIT {r}bm 0
BITCOUNT {r}bm
BITPOS {r}bm 0
BITPOS {r}bm 1
BITPOS {r}bm 0 5 10
SETBIT {r}bm 7 1
SETBIT {r}bm 7 1
SETBIT {r}bm 100 1
SETBIT {r}bm 3 0
SETBIT {r}bm 3 1
GET {r}bm
GETBIT {r}bm 7
GETBIT {r}bm 6
GETBIT {r}bm 100
GETBIT {r}bm 1000
GETBIT {r}bm -1
GETBIT {r}bm x
SETBIT {r}bm 5 2
SETBIT {r}bm -1 1
SETBIT {r}bm 4294967296 1
SETBIT {r}bm x 1
BITCOUNT {r}bm
BITCOUNT {r}bm 0 0
BITCOUNT {r}bm 0 0 BIT
BITCOUNT {r}bm 3 7 BIT
BITCOUNT {r}bm 1 -1
BITCOUNT {r}bm -1 -1
BITCOUNT {r}bm -100 -100
BITCOUNT {r}bm -20 -30
BITCOUNT {r}bm -5 -1 bit
BITCOUNT {r}bm 5 2
BITCOUNT {r}bm 0 1000
BITCOUNT {r}bm 0
BITCOUNT {r}bm 0 1 WORD
BITCOUNT {r}bm 0 1 BIT extra
BITPOS {r}bm 1
BITPOS {r}bm 0
BITPOS {r}bm 1 1
BITPOS {r}bm 1 0 0 BIT
BITPOS {r}bm 1 4 7 BIT
BITPOS {r}bm 1 8 99 BIT
BITPOS {r}bm 1 8 100 bit
BITPOS {r}bm 0 0 -1
BITPOS {r}bm 1 -1
BITPOS {r}bm 1 -1 -1
BITPOS {r}bm 1 100
BITPOS {r}bm 2
BITPOS {r}bm 1 0 1 WORD
SETBIT {r}ones 0 1
SETBIT {r}ones 1 1
SETBIT {r}ones 2 1
SETBIT {r}ones 3 1
SETBIT {r}ones 4 1
SETBIT {r}ones 5 1
SETBIT {r}ones 6 1
SETBIT {r}ones 7 1
BITPOS {r}ones 0
BITPOS {r}ones 0 1
BITPOS {r}ones 0 0 -1
BITPOS {r}ones 0 0 7 BIT
BITPOS {r}ones 0 8 15 BIT
BITPOS {r}ones 1 2
SET {r}bn 5
GETBIT {r}bn 2
BITCOUNT {r}bn
SETBIT {r}bn 6 1
GET {r}bn
SET {r}be ""
BITPOS {r}be 0
BITPOS {r}be 1
BITCOUNT {r}be
RPUSH {r}bl a
GETBIT {r}bl 0
SETBIT {r}bl 0 1
BITCOUNT {r}bl
BITPOS {r}bl 1
@ SET {r}bo1 foobar
@ SET {r}bo2 abcdef
@ SET {r}bo3 ab
@ SET {r}bon 12
@ BITOP AND {r}bod {r}bo1 {r}bo2
@ GET {r}bod
@ BITOP OR {r}bod {r}bo1 {r}bo3
@ GET {r}bod
@ BITOP XOR {r}bod {r}bo1 {r}bo2 {r}bo3
@ GET {r}bod
@ BITOP AND {r}bod {r}bo1 {r}bo3
@ GET {r}bod
@ BITOP NOT {r}bod {r}bon
@ STRLEN {r}bod
@ BITCOUNT {r}bod
@ BITOP NOT {r}bod {r}bo1 {r}bo2
@ BITOP AND {r}bod {r}bo1 {r}none
@ GET {r}bod
@ BITOP OR {r}bod {r}none {r}none2
@ EXISTS {r}bod
@ RPUSH {r}bol a
@ BITOP OR {r}bod {r}bo1 {r}bol
@ SET {r}bod x EX 100
@ BITOP OR {r}bod {r}bo3
@ TTL {r}bod
@ BITOP OR {r}bol {r}bo3
@ TYPE {r}bol
@ BITOP NAND {r}bod {r}bo1
SUBSTR {r}str 1 3
SUBSTR {r}str -3 -1
SUBSTR {r}nostr 0 5
PUBSUB NUMSUB {r}nochannel
PUBSUB CHANNELS {r}nochannel*
PUBSUB
SLOWLOG
SLOWLOG NOPE
SLOWLOG GET -2
SLOWLOG GET many
SLOWLOG GET 1 2
SLOWLOG LEN 1
SLOWLOG RESET 1
SLOWLOG HELP 1
CONFIG GET slowlog-max-len
DUMP {r}nokey
PFADD {r}hll a b c
GET {r}hll
PFADD {r}hll a b
PFCOUNT {r}hll
PFADD {r}hll2
PFADD {r}hll2
PFCOUNT {r}hll2
PFCOUNT {r}nohll
@ PFCOUNT {r}hll {r}hll2 {r}nohll
@ PFMERGE {r}hll3 {r}hll {r}hll2
PFCOUNT {r}hll3
@ PFMERGE {r}hll4
PFCOUNT {r}hll4
PFADD {r}str x
PFCOUNT {r}str
@ PFMERGE {r}hll {r}str
PFADD {r}list x
PFADD
PFCOUNT
LATENCY LATEST
LATENCY HISTORY command
LATENCY RESET
LATENCY RESET command fork
LATENCY GRAPH command
LATENCY HISTOGRAM nosuchcommand
LATENCY NOPE
LATENCY LATEST x
LATENCY HISTORY
LATENCY DOCTOR x
CONFIG GET latency-monitor-threshold
@ RESTORE {r}str 0 x
@ RESTORE {r}nokey 0 x
@ RESTORE {r}nokey abc x
RESTORE {r}nokey 0 x REPLACE
RESTORE {r}nokey -5 x REPLACE
RESTORE {r}nokey 0 x bogus
RESTORE {r}nokey 0 x IDLETIME -1
RESTORE {r}nokey 0 x FREQ 256
RPUSH {r}bq2 x y
BLPOP {r}bq1 {r}bq2 1
RPUSH {r}bq1 z
BRPOP {r}bq1 {r}bq2 1
BRPOP {r}bq1 {r}bq2 1
BLPOP {r}bq1 {r}bq2 {r}sw 1
RPUSH {r}mp a b c d e
RPUSH {r}mq x
LMPOP 2 {r}mn {r}mp LEFT
LMPOP 2 {r}mp {r}mq RIGHT COUNT 2
LMPOP 2 {r}mn {r}mq left COUNT 5
LMPOP 3 {r}mn {r}mq {r}mp RIGHT count 9
LMPOP 2 {r}mn {r}mp LEFT
EXISTS {r}mp
LMPOP 2 {r}mn {r}sw LEFT
LMPOP 0 {r}mn LEFT
LMPOP 2 {r}mn LEFT
LMPOP 1 {r}mn DOWN
LMPOP 1 {r}mn LEFT COUNT 0
LMPOP 1 {r}mn LEFT COUNT
LMPOP 1 {r}mn LEFT COUNT 1 COUNT 1
RPUSH {r}mq y z
BLMPOP 1 2 {r}mn {r}mq RIGHT COUNT 2
BLMPOP 1 2 {r}mn {r}mq LEFT
BLMPOP 0.01 1 {r}mn LEFT
BLMPOP 1 2 {r}mn {r}sw LEFT
BLMPOP 1 0 {r}mn LEFT
BLMPOP x 1 {r}mn UP
RPUSH {r}swl a
SET {r}swl v NX GET
SET {r}swl v XX GET KEEPTTL
SET {r}swl v XX KEEPTTL
TYPE {r}swl
PTTL {r}nothere
TTL {r}str
EXPIRE {r}str 100
PERSIST {r}str
PERSIST {r}str
EXPIRE {r}nothere 10
SET {r}ex v
EXPIRE {r}ex 100 XX
EXPIRE {r}ex 100 GT
EXPIRE {r}ex 100 XX GT
EXPIRE {r}ex 100 XX LT
EXPIRE {r}ex 100 NX
EXPIRE {r}ex 200 NX
EXPIRE {r}ex 200 LT
EXPIRE {r}ex 50 lt
PEXPIRE {r}ex 100000 GT
EXPIREAT {r}ex 4102444800 XX GT
PEXPIREAT {r}ex 4102444800000 GT
EXPIRE {r}ex 10 XX LT
EXPIRE {r}nothere 10 NX
EXPIRE {r}nothere 10 LT
EXPIRE {r}ex 10 NX XX
EXPIRE {r}ex 10 GT LT
EXPIRE {r}ex 10 SOON
PEXPIREAT {r}ex 1 LT
EXISTS {r}ex
SET {r}ex v
PEXPIRE {r}ex -1 LT
EXISTS {r}ex
SETEX {r}se 10 v
EXPIRETIME {r}nothere
SET {r}s x EX 0
SET {r}s x PX abc
SET {r}s x NX XX
LPUSH {r}list z
LLEN {r}list
LRANGE {r}list 0 -1
LRANGE {r}nothere 0 -1
LINDEX {r}list 0
LINDEX {r}list 99
LSET {r}list 0 q
LSET {r}list 99 q
LSET {r}nothere 0 q
LSET {r}str 0 q
EXISTS {r}nothere
LREM {r}list 1 b
LTRIM {r}list 0 2
LPOP {r}list
RPOP {r}list
RPUSH {r}list a b c a
LPOS {r}list a
LPOS {r}list a RANK -1 COUNT 2
LPOS {r}list nope
RPUSH {r}lp x a b a c a
LPOS {r}lp a MAXLEN 1
LPOS {r}lp a MAXLEN 2
LPOS {r}lp a COUNT 0 MAXLEN 4
LPOS {r}lp a RANK -1 COUNT 0 MAXLEN 3
LPOS {r}lp a RANK 2 MAXLEN 4
LPOS {r}lp a RANK -2 MAXLEN 1
LPOS {r}lp a COUNT 0 MAXLEN 0
LPOS {r}lp a MAXLEN -1
LPOS {r}nolp a MAXLEN 3
SADD {r}si1 a b c d
SADD {r}si2 b c d e
SINTERCARD 2 {r}si1 {r}si2
SINTERCARD 2 {r}si1 {r}si2 LIMIT 2
SINTERCARD 2 {r}si1 {r}si2 LIMIT 3
SINTERCARD 2 {r}si1 {r}si2 LIMIT 9
SINTERCARD 2 {r}si1 {r}si2 LIMIT 0
SINTERCARD 2 {r}si1 {r}si2 LIMIT -1
SINTERCARD 2 {r}si1 {r}si2 LIMIT x
SINTERCARD 2 {r}si1 {r}none LIMIT 1
LPOP {r}list 2
RPOP {r}list 5
LPOP {r}nothere
LPOP {r}nothere 2
LLEN {r}nothere
@ LMOVE {r}nothere {r}list LEFT RIGHT
SADD {r}set w x
SREM {r}set w nope
SISMEMBER {r}set x
SISMEMBER {r}set nope
SMISMEMBER {r}set x nope
SCARD {r}set
SCARD {r}nothere
@ SMOVE {r}set {r}set2 x
@ SMOVE {r}set {r}set2 nope
~ SMEMBERS {r}set2
~ SINTER {r}set {r}set2
@ SUNIONSTORE {r}su {r}set {r}set2
@ SINTERSTORE {r}si {r}set {r}set2
~ SDIFF {r}set {r}set2 {r}nothere
SDIFF {r}nothere {r}set
SADD {r}set3 y
~ SDIFF {r}set {r}set3 {r}set2
~ SDIFF {r}set
@ SDIFFSTORE {r}sd {r}set {r}set3 {r}set2
~ SMEMBERS {r}sd
@ SDIFFSTORE {r}sd {r}nothere {r}set
EXISTS {r}sd
SDIFF {r}set {r}str
SPOP {r}nothere
SPOP {r}nothere 2
SRANDMEMBER {r}nothere
HSET {r}hash h 3
HGET {r}hash f
HGET {r}hash nope
HMGET {r}hash f nope
HDEL {r}hash h nope
HEXISTS {r}hash f
HEXISTS {r}hash nope
HLEN {r}hash
~ HKEYS {r}hash
HKEYS {r}nothere
HGETALL {r}nothere
HINCRBY {r}hash f 2
HINCRBY {r}hash g 2
HSTRLEN {r}hash g
HSTRLEN {r}hash nope
HSETNX {r}hash f z
HSETNX {r}hash k z
HRANDFIELD {r}nothere
INCR {r}str
LLEN {r}str
SADD {r}str x
HGET {r}str f
STRLEN {r}list
GET {r}list
@ COPY {r}num {r}numcopy
GET {r}numcopy
@ RENAME {r}numcopy {r}nc
EXISTS {r}numcopy {r}nc
MULTI
SET {r}t 1
INCR {r}t
LPUSH {r}t x
GET {r}t
EXEC
@ MULTI
@ HINCRBY {r}h2 f 5
@ APPEND {r}s2 ab
@ EXPIRE {r}h2 100
@ SET {r}s3 v NX
@ GETSET {r}s3 w
@ EXEC
HGET {r}h2 f
GET {r}s2
GET {r}s3
DEL {r}s3
EXISTS {r}s3
MULTI
SET {r}t
EXEC
EXEC
DISCARD
MULTI
INCRBY {r}t2 2.5
SET {r}t2 5
SET {r}t3 v BOGUS
INCRBY {r}t2 +1
INCR {r}t2
EXEC
GET {r}t2
HSET {r}hd f a g b f c
HGET {r}hd f
HMSET {r}hd g x g y
HGET {r}hd g
HSET {r}hd n 007
HINCRBY {r}hd n 1
RPUSH {r}lt a b c
LTRIM {r}lt -1 -2
EXISTS {r}lt
RPUSH {r}lt a b c
LTRIM {r}lt 3 1
LLEN {r}lt
RPUSH {r}lt a b c
LPOP {r}lt 0
RPOP {r}lt 0
LPOP {r}nothere 0
RPOP {r}nothere 0
LPOP {r}str 0
SETBIT {r}list 0 2
GETBIT {r}list -1
BITPOS {r}list 2
MULTI
MULTI
DISCARD
ECHO hi
ROLE
PING
PING hello
DBSIZE
`), "\n")

// NeedRedis returns redis-server's path, or skips the test where it is
// not installed (fails it under VANITY_REQUIRE_TOOLS, as CI runs). A
// test that changes a cluster around AsRedis calls it first, so a skip
// inside AsRedis cannot leave that change undone.
func NeedRedis(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("redis-server")
	switch {
	case err == nil:
	case os.Getenv("VANITY_REQUIRE_TOOLS") != "":
		t.Fatalf("redis-server is required (apt-get install redis-server): %v", err)
	default:
		t.Skipf("redis-server not installed (apt-get install redis-server)")
	}
	return bin
}

// startRedis starts a redis-server without persistence on a free port
// for the test, and returns its address.
func startRedis(t *testing.T) string {
	bin := NeedRedis(t)
	port, err := freeport.Port()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	addr := "127.0.0.1:" + strconv.Itoa(port)
	for deadline := time.Now().Add(10 * time.Second); ; {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server did not listen on %s in 10 s:\n%s", addr, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// rawConn is a RESP connection that reads replies as frames.
type rawConn struct {
	nc net.Conn
	r  *bufio.Reader
}

// dialRaw connects to addr, logging in with password unless it is empty.
func dialRaw(t *testing.T, addr, password string) *rawConn {
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	c := &rawConn{nc: nc, r: bufio.NewReader(nc)}
	if password != "" {
		if f := c.call(t, "AUTH", password); f.kind != '+' {
			t.Fatalf("AUTH: %s", f)
		}
	}
	return c
}

// call sends args as one command and returns its reply.
func (c *rawConn) call(t *testing.T, args ...string) frame {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "*%d\r\n", len(args))
	for _, a := range args {
		fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
	}
	c.nc.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.nc.Write([]byte(b.String())); err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	f, err := readFrame(c.r)
	if err != nil {
		t.Fatalf("%v: %v", args, err)
	}
	return f
}

// frame is one RESP reply: its kind byte, its text (a simple string's,
// an error's first word, a number's, a bulk string's, or an aggregate's
// length), its elements, or that it is null ($-1, *-1). An error's whole
// line is kept apart (whole), for a failure's message, since only its
// first word is compared.
type frame struct {
	kind  byte
	text  string
	whole string
	elems []frame
	null  bool
}

// readFrame reads one reply.
func readFrame(r *bufio.Reader) (frame, error) {
	line, err := r.ReadString('\n')
	if err != nil {
		return frame{}, err
	}
	if len(line) < 3 || !strings.HasSuffix(line, "\r\n") {
		return frame{}, fmt.Errorf("malformed reply line %q", line)
	}
	f := frame{kind: line[0], text: line[1 : len(line)-2]}
	switch f.kind {
	case '+', ':', ',', '#', '(', '_':
		return f, nil
	case '-':
		f.whole = f.text
		f.text, _, _ = strings.Cut(f.text, " ")
		return f, nil
	case '$', '=':
		n, err := strconv.Atoi(f.text)
		if err != nil || n < 0 {
			f.null = true
			return f, err
		}
		b := make([]byte, n+2)
		if _, err := io.ReadFull(r, b); err != nil {
			return f, err
		}
		f.text = string(b[:n])
		return f, nil
	case '*', '~', '%', '>':
		n, err := strconv.Atoi(f.text)
		if err != nil || n < 0 {
			f.null = true
			return f, err
		}
		if f.kind == '%' {
			n *= 2
		}
		for range n {
			e, err := readFrame(r)
			if err != nil {
				return f, err
			}
			f.elems = append(f.elems, e)
		}
		return f, nil
	}
	return f, fmt.Errorf("unknown reply kind %q", line)
}

// sorted returns f with its elements (a map's pairs kept together) in
// the order of their text.
func (f frame) sorted() frame {
	step := 1
	if f.kind == '%' {
		step = 2
	}
	var groups [][]frame
	for i := 0; i+step <= len(f.elems); i += step {
		groups = append(groups, f.elems[i:i+step])
	}
	slices.SortFunc(groups, func(a, b []frame) int { return strings.Compare(a[0].String(), b[0].String()) })
	out := frame{kind: f.kind, text: f.text, null: f.null}
	for _, g := range groups {
		out.elems = append(out.elems, g...)
	}
	return out
}

// sortedPairs returns f, a RESP2 array of field, value, ... or a RESP3
// array of [field, value] arrays, with its pairs in the order of their
// text.
func (f frame) sortedPairs() frame {
	if len(f.elems) > 0 && f.elems[0].elems != nil { // RESP3: the pairs are arrays
		return f.sorted()
	}
	m := f
	m.kind = '%' // sorted keeps a map's pairs together
	m = m.sorted()
	m.kind = f.kind
	return m
}

// detail is ", Vanity's error: …" when f is an error, else "".
func (f frame) detail() string {
	if f.kind != '-' {
		return ""
	}
	return ", Vanity's error: " + strconv.Quote(f.whole)
}

// String renders f: its kind, then its text, its elements or null.
func (f frame) String() string {
	switch {
	case f.null:
		return string(f.kind) + "null"
	case f.elems == nil:
		return string(f.kind) + strconv.Quote(f.text)
	}
	parts := make([]string, len(f.elems))
	for i, e := range f.elems {
		parts[i] = e.String()
	}
	return string(f.kind) + "[" + strings.Join(parts, " ") + "]"
}
