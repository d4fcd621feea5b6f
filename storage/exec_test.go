package storage

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// tb is the part of testing.TB that rapid.T also has.
type tb interface {
	Helper()
	Fatalf(format string, args ...any)
	Errorf(format string, args ...any)
}

// harness runs commands against shards the way a node does, with a clock
// the test drives.
type harness struct {
	t      tb
	shards []*Shard
	clock  *hlc.Clock
	wall   int64
	db     int
	rng    *rand.Rand
	deltas []Delta
}

func newHarness(t tb, nShards int, keep bool, actor uint64) *harness {
	h := &harness{t: t, wall: 1_000_000, rng: rand.New(rand.NewPCG(1, 2))}
	for i := 0; i < nShards; i++ {
		h.shards = append(h.shards, NewShard(keep))
	}
	h.clock = hlc.NewClock(actor, func() int64 { return h.wall })
	return h
}

func (h *harness) locate(key []byte) *Shard {
	if len(h.shards) == 1 {
		return h.shards[0]
	}
	var sum uint32
	for _, b := range key {
		sum = sum*31 + uint32(b)
	}
	return h.shards[sum%uint32(len(h.shards))]
}

// do runs one request and returns the reply payload.
func (h *harness) do(request string) string {
	var req proto.Request
	if err := proto.ParseRequest([]byte(request), &req); err != proto.ErrNone {
		h.t.Fatalf("parse %q: %v", request, err)
	}
	t := h.clock.Now()
	if req.Cmd == proto.CmdReset {
		for _, sh := range h.shards {
			d := ResetDelta(h.db, t)
			sh.Apply(&d)
			h.deltas = append(h.deltas, d)
		}
		return "OK"
	}
	if req.Cmd == proto.CmdSwitchDB {
		h.db = int(req.Int[0])
		return "OK"
	}
	return string(h.execAt(t, &req))
}

// exec runs one parsed data command and returns the reply payload.
func (h *harness) exec(req *proto.Request) []byte { return h.execAt(h.clock.Now(), req) }

func (h *harness) execAt(t hlc.Stamp, req *proto.Request) []byte {
	c := &Ctx{T: t, DB: h.db, Locate: h.locate, Rand: func(n int) int { return h.rng.IntN(n) }}
	out := Exec(c, req, nil)
	h.deltas = append(h.deltas, c.Deltas...)
	return out
}

// check runs "> request < reply" lines. A reply starting with "~" is
// compared ignoring the order of set, hash and array elements.
func (h *harness) check(script string) {
	h.t.Helper()
	var last string
	for _, line := range strings.Split(script, "\n") {
		line = strings.TrimLeft(line, " \t")
		switch {
		case strings.HasPrefix(line, "> "):
			last = h.do(line[2:])
		case strings.HasPrefix(line, "< "):
			if want := line[2:]; last != want {
				h.t.Errorf("reply %q, want %q", last, want)
			}
		case strings.HasPrefix(line, "~ "):
			if want := line[2:]; canonical(h.t, last) != canonical(h.t, want) {
				h.t.Errorf("reply %q, want (unordered) %q", last, want)
			}
		case strings.HasPrefix(line, "+"):
			h.wall += int64(mustAtoi(h.t, line[1:]))
		}
	}
}

func mustAtoi(t tb, s string) int {
	n := 0
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("bad number %q", s)
		}
		n = n*10 + int(c-'0')
	}
	return n
}

func TestCommandExamples(t *testing.T) {
	tests := map[string]string{
		"strings": `
			> SET:STR (3)foo (3)bar
			< OK
			> GET (3)foo
			< OK:STR (3)bar
			> SET :INT(1)i 42
			< OK
			> GET (1)i
			< OK:INT 42
			> SET:FLOAT (1)f 1.5
			> GET (1)f
			< OK:FLOAT 1.500000
			> GET (3)nop
			< NULL
			> EXISTS (3)foo
			< OK
			> EXISTS (3)nop
			< NULL
			> TYPE (3)foo
			< OK:STR 
			> TYPE (1)i
			< OK:INT 
			> TYPE (1)f
			< OK:FLOAT 
			> TYPE (3)nop
			< NULL
			> STR_LEN (3)foo
			< OK:INT 3
			> STR_LEN (3)nop
			< BAD_TYPE
			> STR_LEN (1)i
			< BAD_TYPE
			> DEL (3)foo
			< OK
			> DEL (3)foo
			< ERROR
			> GET (3)foo
			< NULL`,
		"incr": `
			> INCR_INT (1)i 5
			< OK:INT 5
			> INCR_INT (1)i -50
			< OK:INT -45
			> SET:STR (3)foo (3)bar
			> INCR_INT (3)foo 1
			< BAD_TYPE
			> INCR_FLOAT (1)i 1.0
			< BAD_TYPE
			> INCR_FLOAT (1)f 5.5
			< OK:FLOAT 5.500000
			> SET:FLOAT (1)g 123.456
			> INCR_FLOAT (1)g -456.789
			< OK:FLOAT -333.333000
			> SET:INT (1)m 9223372036854775807
			> INCR_INT (1)m 1
			< ERROR(16)integer overflow
			> GET (1)m
			< OK:INT 9223372036854775807
			> INCR_INT (1)m -9223372036854775807
			< OK:INT 0
			> INCR_INT (1)m -9223372036854775807
			< OK:INT -9223372036854775807
			> INCR_INT (1)m -1
			< OK:INT -9223372036854775808
			> INCR_INT (1)m -1
			< ERROR(16)integer overflow
			> SET:FLOAT (1)h 1e308
			> INCR_FLOAT (1)h 1e308
			< OK:FLOAT inf
			> INCR_FLOAT (1)h -inf
			< OK:FLOAT nan
			> SET:INT (1)i 10
			> GET (1)i
			< OK:INT 10
			> INCR_INT (1)i 1
			< OK:INT 11`,
		"incr number": `
			> INCR_NUMBER (1)n 1.5
			< OK:FLOAT 1.500000
			> INCR_NUMBER (1)n 1
			< OK:FLOAT 2.500000
			> SET:INT (1)i 5
			> SET_EXPIRY (1)i 100
			> INCR_NUMBER (1)i 1.5
			< OK:FLOAT 6.500000
			> TYPE (1)i
			< OK:FLOAT 
			> GET_EXPIRY (1)i
			< OK:FLOAT 100.000000
			> INCR_INT (1)i 1
			< BAD_TYPE
			> SET:STR (1)s (3)3.0
			> INCR_NUMBER (1)s 1
			< OK:FLOAT 4.000000
			> SET:STR (1)e (3)1e3
			> INCR_NUMBER (1)e -0.5
			< OK:FLOAT 999.500000
			> SET:STR (1)w (3)abc
			> INCR_NUMBER (1)w 1
			< BAD_TYPE
			> SET:STR (1)x (3)inf
			> INCR_NUMBER (1)x 1
			< BAD_TYPE
			> GET (1)x
			< OK:STR (3)inf
			> LIST_PUSH_LEFT (1)l (1)[(1)a]
			> INCR_NUMBER (1)l 1
			< BAD_TYPE
			> SET:FLOAT (1)h 1e308
			> INCR_NUMBER (1)h 1e308
			< ERROR(39)increment would produce NaN or Infinity
			> GET (1)h
			< OK:FLOAT 100000000000000001097906362944045541740492309677311846336810682903157585404911491537163328978494688899061249669721172515611590283743140088328307009198146046031271664502933027185697489699588559043338384466165001178426897626212945177628091195786707458122783970171784415105291802893207873272974885715430223118336.000000
			> INCR_NUMBER (1)k -inf
			< ERROR(39)increment would produce NaN or Infinity
			> EXISTS (1)k
			< NULL`,
		"many get": `
			> SET:STR (3)foo (3)bar
			> SET:INT (1)i -8
			> MANY_GET (3)[(3)foo(1)i(3)nop]
			< OK:ARR (3)[:STR (3)bar:INT -8:NULL ]
			> MANY_GET (0)[]
			< OK:ARR (0)[]
			> LIST_PUSH_RIGHT (1)l (1)[(1)a]
			> MANY_GET (1)[(1)l]
			< OK:ARR (1)[:LIST (1)[(1)a]]`,
		"lists": `
			> LIST_PUSH_LEFT (6)mylist (2)[(5)hello(5)world]
			< OK:INT 2
			> GET (6)mylist
			< OK:LIST (2)[(5)world(5)hello]
			> LIST_PUSH_RIGHT (6)mylist (2)[(1)a (1)b]
			< OK:INT 4
			> LIST_LEN (6)mylist
			< OK:INT 4
			> LIST_GET (6)mylist 0
			< OK:STR (5)world
			> LIST_GET (6)mylist -1
			< OK:STR (1)b
			> LIST_GET (6)mylist 10
			< ERROR(18)index out of range
			> LIST_GET (6)mylist -5
			< ERROR(18)index out of range
			> LIST_GET (4)nope 0
			< ERROR(18)index out of range
			> LIST_SET (6)mylist 0 (1)X
			< OK
			> LIST_SET (6)mylist 99 (1)X
			< ERROR(18)index out of range
			> LIST_POP_LEFT (6)mylist 1
			< OK:LIST (1)[(1)X]
			> LIST_POP_LEFT (6)mylist 0
			< OK:LIST (0)[]
			> LIST_POP_LEFT (2)nx 3
			< OK:LIST (0)[]
			> LIST_POP_RIGHT (6)mylist 2
			< OK:LIST (2)[(1)a(1)b]
			> GET (6)mylist
			< OK:LIST (1)[(5)hello]
			> LIST_PUSH_LEFT (6)mylist (0)[]
			< OK:INT 1
			> LIST_PUSH_LEFT (2)nx (0)[]
			< OK:INT 0
			> EXISTS (2)nx
			< NULL
			> LIST_POP_LEFT (6)mylist 5
			< OK:LIST (1)[(5)hello]
			> EXISTS (6)mylist
			< NULL
			> SET:STR (1)s (1)v
			> LIST_LEN (1)s
			< BAD_TYPE(10)not a list
			> LIST_PUSH_LEFT (1)s (0)[]
			< BAD_TYPE(10)not a list`,
		"list pop negative": `
			> LIST_PUSH_RIGHT (1)k (12)[(1)a(1)b(1)c(1)d(1)e(1)f(1)g(1)h(1)i(1)j(1)k(1)l]
			> LIST_POP_LEFT (1)k -7
			< OK:LIST (5)[(1)a(1)b(1)c(1)d(1)e]
			> LIST_POP_RIGHT (1)k -100
			< OK:LIST (0)[]
			> LIST_POP_RIGHT (1)k -5
			< OK:LIST (2)[(1)k(1)l]`,
		"list range": `
			> LIST_PUSH_RIGHT (1)L (6)[(1)0(1)1(1)2(1)3(1)4(1)5]
			> LIST_RANGE (1)L 0 -1
			< OK:LIST (6)[(1)0(1)1(1)2(1)3(1)4(1)5]
			> LIST_RANGE (1)L 4 1
			< OK:LIST (0)[]
			> LIST_RANGE (1)L -10 2
			< OK:LIST (3)[(1)0(1)1(1)2]
			> LIST_RANGE (1)L 2 100
			< OK:LIST (4)[(1)2(1)3(1)4(1)5]
			> LIST_RANGE (1)L -3 -1
			< OK:LIST (3)[(1)3(1)4(1)5]
			> LIST_RANGE (1)L 0 -100
			< OK:LIST (0)[]
			> LIST_RANGE (1)L 3 -4
			< OK:LIST (0)[]
			> LIST_RANGE (2)no 0 -1
			< OK:LIST (0)[]`,
		"list trim": `
			> LIST_PUSH_RIGHT (1)L (6)[(1)0(1)1(1)2(1)3(1)4(1)5]
			> LIST_TRIM (1)L 1 4
			< OK:INT 2
			> GET (1)L
			< OK:LIST (4)[(1)1(1)2(1)3(1)4]
			> LIST_TRIM (1)L 5 2
			< OK:INT 0
			> LIST_TRIM (1)L -100 -50
			< OK:INT 4
			> EXISTS (1)L
			< NULL
			> LIST_TRIM (1)L 0 1
			< OK:INT 0`,
		"list remove": `
			> LIST_PUSH_RIGHT (1)R (5)[(1)x(1)a(1)x(1)b(1)x]
			> LIST_REMOVE (1)R (1)x -1
			< OK:INT 1
			> GET (1)R
			< OK:LIST (4)[(1)x(1)a(1)x(1)b]
			> LIST_REMOVE (1)R (1)x 0
			< OK:INT 2
			> GET (1)R
			< OK:LIST (2)[(1)a(1)b]
			> LIST_REMOVE (1)R (1)a 5
			< OK:INT 1
			> LIST_REMOVE (1)Q (1)a 5
			< OK:INT 0`,
		"sets": `
			> SET_ADD (5)myset (3){(3)one(3)two(5)three}
			< OK:INT 3
			> SET_ADD (5)myset (2){(3)one (4)four}
			< OK:INT 1
			> SET_ADD (5)myset (0){}
			< OK:INT 0
			> SET_ADD (2)ns (0){}
			< OK:INT 0
			> EXISTS (2)ns
			< NULL
			> SET_ALL (5)myset
			~ OK:SET (4){(4)four(3)one(3)two(5)three}
			> SET_LEN (5)myset
			< OK:INT 4
			> SET_CONTAINS (5)myset (3)one
			< OK:BOOL true
			> SET_CONTAINS (4)nope (3)one
			< OK:BOOL false
			> SET_DISCARD (5)myset (2){(3)one(1)z}
			< OK:INT 1
			> SET_ALL (4)nope
			< OK:SET (0){}
			> SET_REMOVE (5)myset 0
			< OK:SET (0){}
			> SET_REMOVE (5)myset -1
			~ OK:SET (3){(4)four(3)two(5)three}
			> EXISTS (5)myset
			< NULL
			> SET_ADD (1)d (3){(1)a(1)a(1)b}
			< OK:INT 2
			> SET:STR (1)s (1)v
			> SET_ADD (1)s (0){}
			< BAD_TYPE(9)not a set`,
		"set move": `
			> SET_ADD (1)A (2){(1)a(1)b}
			> SET:STR (1)s (1)v
			> SET_MOVE (1)A (1)M (1)a
			< OK:BOOL true
			> SET_MOVE (1)A (1)M (1)q
			< OK:BOOL false
			> SET_MOVE (1)A (1)s (1)b
			< BAD_TYPE(9)not a set
			> SET_MOVE (1)s (1)A (1)q
			< BAD_TYPE(9)not a set
			> SET_MOVE (1)A (1)A (1)b
			< OK:BOOL true
			> SET_MOVE (1)Z (1)A (1)b
			< OK:BOOL false
			> SET_MOVE (1)A (1)M (1)b
			< OK:BOOL true
			> EXISTS (1)A
			< NULL
			> SET_ALL (1)M
			~ OK:SET (2){(1)a(1)b}`,
		"set algebra": `
			> SET_ADD (1)A (3){(1)a(1)b(1)c}
			> SET_ADD (1)B (2){(1)b(1)d}
			> SET:STR (1)s (1)v
			> SET_UNION (2)[(1)A(1)B]
			~ OK:SET (4){(1)c(1)b(1)d(1)a}
			> SET_UNION_INTO (1)U (2)[(1)A(1)B]
			< OK:INT 4
			> SET_UNION_LEN (2)[(1)A(1)B]
			< OK:INT 4
			> SET_UNION (2)[(1)A(1)s]
			< BAD_TYPE(9)not a set
			> SET_UNION (2)[(1)Z(1)s]
			< BAD_TYPE(9)not a set
			> SET_UNION (0)[]
			< OK:SET (0){}
			> SET_INTERSECT (2)[(1)A(1)B]
			< OK:SET (1){(1)b}
			> SET_INTERSECT (3)[(1)A(1)B(1)Z]
			< OK:SET (0){}
			> SET_INTERSECT (0)[]
			< OK:SET (0){}
			> SET_INTERSECT_INTO (1)E (2)[(1)A(1)B]
			< OK:INT 1
			> SET_INTERSECT_LEN (2)[(1)A(1)B]
			< OK:INT 1
			> SET_DIFF (1)A (1)B
			~ OK:SET (2){(1)c(1)a}
			> SET_DIFF (1)A (1)Z
			~ OK:SET (3){(1)a(1)b(1)c}
			> SET_DIFF (1)Z (1)A
			< OK:SET (0){}
			> SET_DIFF_INTO (1)D (1)A (1)B
			< OK:INT 2
			> SET_DIFF_LEN (1)A (1)B
			< OK:INT 2
			> SET_ALL (1)D
			~ OK:SET (2){(1)a(1)c}
			> SET_UNION_INTO (1)s (1)[(1)A]
			< OK:INT 3
			> TYPE (1)s
			< OK:SET 
			> SET_INTERSECT_INTO (1)s (2)[(1)A(1)Z]
			< OK:INT 0
			> EXISTS (1)s
			< NULL
			> SET_UNION_INTO (1)A (2)[(1)A(1)B]
			< OK:INT 4`,
		"hashes": `
			> HASH_SET (5)mykey (2){(6)field1(6)value1(6)field2(6)value2}
			< OK
			> HASH_ALL (5)mykey
			~ OK:HASH (2){(6)field2(6)value2(6)field1(6)value1}
			> HASH_GET (5)mykey (6)field1
			< OK:STR (6)value1
			> HASH_GET (5)mykey (6)field9
			< ERROR(7)bad key
			> HASH_GET (4)nope (6)field1
			< ERROR(7)bad key
			> HASH_CONTAINS (5)mykey (6)field1
			< OK:BOOL true
			> HASH_CONTAINS (4)nope (6)field1
			< OK:BOOL false
			> HASH_LEN (5)mykey
			< OK:INT 2
			> HASH_KEY_LEN (5)mykey (6)field1
			< OK:INT 6
			> HASH_KEY_LEN (5)mykey (6)fieldX
			< ERROR(7)bad key
			> HASH_KEYS (5)mykey
			~ OK:ARR (2)[:STR (6)field2:STR (6)field1]
			> HASH_VALUES (5)mykey
			~ OK:ARR (2)[:STR (6)value2:STR (6)value1]
			> HASH_KEYS (4)nope
			< OK:ARR (0)[]
			> HASH_MANY_GET (5)mykey (2)[(6)field1(6)field3]
			< OK:ARR (2)[:STR (6)value1:NULL ]
			> HASH_MANY_GET (4)nope (1)[(1)a]
			< OK:ARR (1)[:NULL ]
			> HASH_UPDATE (5)mykey (2){(6)field1(1)X(6)field3(1)Y}
			< OK:INT 1
			> HASH_GET (5)mykey (6)field1
			< OK:STR (1)X
			> HASH_REMOVE (5)mykey (2)[(6)field1(6)fieldZ]
			< OK:INT 1
			> HASH_UPDATE (2)nh (0){}
			< OK:INT 0
			> EXISTS (2)nh
			< NULL
			> HASH_SET (5)mykey (0){}
			< OK
			> EXISTS (5)mykey
			< NULL
			> HASH_SET (1)h (2){(1)a(1)1(1)a(1)2}
			> HASH_ALL (1)h
			< OK:HASH (1){(1)a(1)1}
			> SET:STR (1)s (1)v
			> HASH_GET (1)s (1)a
			< BAD_TYPE(8)not hash
			> HASH_LEN (1)s
			< BAD_TYPE(8)not hash
			> HASH_SET (1)s (1){(1)a(1)b}
			< OK
			> HASH_ALL (1)s
			< OK:HASH (1){(1)a(1)b}`,
		"expiry": `
			> SET:STR (3)key (1)v
			> SET_EXPIRY (3)key 0.5
			< OK
			> GET_EXPIRY (3)key
			< OK:FLOAT 0.500000
			+100
			> GET_EXPIRY (3)key
			< OK:FLOAT 0.400000
			> SET_EXPIRY (3)nop 5
			< OK
			> GET_EXPIRY (3)nop
			< NULL
			+400
			> GET (3)key
			< OK:STR (1)v
			+1
			> GET (3)key
			< NULL
			> DEL (3)key
			< ERROR
			> SET:STR (3)key (1)v
			> GET_EXPIRY (3)key
			< NULL
			> SET_EXPIRY (3)key nan
			< ERROR(14)invalid expiry
			> SET_EXPIRY (3)key 0
			< OK
			> EXISTS (3)key
			< NULL
			> LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]
			> SET_EXPIRY (1)l 10
			> LIST_PUSH_RIGHT (1)l (1)[(1)c]
			> GET_EXPIRY (1)l
			< OK:FLOAT 10.000000
			> LIST_POP_LEFT (1)l 3
			> LIST_PUSH_RIGHT (1)l (1)[(1)c]
			> GET_EXPIRY (1)l
			< NULL
			> SET_EXPIRY (1)l 1
			> CLEAR_EXPIRY (1)l
			< OK
			> GET_EXPIRY (1)l
			< NULL
			> CLEAR_EXPIRY (3)nop
			< OK
			> SET_EXPIRY (1)l 1e300
			> GET_EXPIRY (1)l
			+5000
			> GET (1)l
			< OK:LIST (1)[(1)c]
			> SET:INT (1)n 1
			> SET_EXPIRY (1)n 0.001
			+2
			> INCR_INT (1)n 5
			< OK:INT 5
			> GET_EXPIRY (1)n
			< NULL`,
		"set with a time to live": `
			> SET:STR (1)k (3)old
			> SET_EXPIRY (1)k 100
			> SET_TTL:STR (1)k (3)new 500
			< OK
			> GET (1)k
			< OK:STR (3)new
			> GET_EXPIRY (1)k
			< OK:FLOAT 0.500000
			> SET_TTL:INT (1)n 7 1000
			> SET_TTL:FLOAT (1)f 2.5 1000
			> LIST_PUSH_RIGHT (1)l (1)[(1)a]
			> SET_TTL:STR (1)l (1)v 1000
			< OK
			> GET (1)l
			< OK:STR (1)v
			> SET_TTL:STR (1)k (1)v 0
			< ERROR(14)invalid expiry
			> SET_TTL:STR (1)k (1)v -5
			< ERROR(14)invalid expiry
			> GET (1)k
			< OK:STR (3)new
			+500
			> GET (1)k
			< OK:STR (3)new
			+1
			> GET (1)k
			< NULL
			> GET (1)n
			< OK:INT 7
			> SET:STR (1)n (1)x
			> GET_EXPIRY (1)n
			< NULL
			+500
			> GET (1)n
			< OK:STR (1)x
			> GET (1)f
			< NULL`,
		"compare and set": `
			> SET_IF_PRESENT:STR (4)lock (1)z
			< OK:BOOL false
			> EXISTS (4)lock
			< NULL
			> SET_IF_ABSENT:STR (4)lock (1)a
			< OK:BOOL true
			> SET_IF_ABSENT:STR (4)lock (1)b
			< OK:BOOL false
			> GET (4)lock
			< OK:STR (1)a
			> SET_IF:STR (4)lock (1)b (1)c
			< OK:BOOL false
			> SET_IF:STR (4)lock (1)a (1)c
			< OK:BOOL true
			> GET (4)lock
			< OK:STR (1)c
			> DEL_IF:STR (4)lock (1)a
			< OK:BOOL false
			> DEL_IF:STR (4)lock (1)c
			< OK:BOOL true
			> GET (4)lock
			< NULL
			> SET_IF:STR (4)lock (0) (1)x
			< OK:BOOL false
			> SET_IF_ABSENT:INT (1)n 5
			< OK:BOOL true
			> SET_EXPIRY (1)n 100
			> SET_IF_PRESENT:INT (1)n 4
			< OK:BOOL true
			> GET_EXPIRY (1)n
			< NULL
			> SET_IF_PRESENT:INT (1)n 5
			< OK:BOOL true
			> SET_TTL_IF_PRESENT:INT (2)n2 5 1000
			< OK:BOOL false
			> EXISTS (2)n2
			< NULL
			> SET_TTL_IF_PRESENT:INT (1)n 5 0
			< ERROR(14)invalid expiry
			> SET_TTL_IF_PRESENT:INT (1)n 5 2000
			< OK:BOOL true
			> GET_EXPIRY (1)n
			< OK:FLOAT 2.000000
			> CLEAR_EXPIRY (1)n
			> SET_IF:STR (1)n (1)5 (1)6
			< OK:BOOL false
			> SET_IF:INT (1)n 4 6
			< OK:BOOL false
			> SET_IF:INT (1)n 5 6
			< OK:BOOL true
			> GET (1)n
			< OK:INT 6
			> INCR_INT (1)n 1
			< OK:INT 7
			> SET:FLOAT (1)f 0.1
			> INCR_FLOAT (1)f 0.2
			< OK:FLOAT 0.300000
			> SET_IF:FLOAT (1)f 0.3 1.25
			< OK:BOOL true
			> GET (1)f
			< OK:FLOAT 1.250000
			> DEL_IF:INT (1)f 1
			< OK:BOOL false
			> DEL_IF:FLOAT (1)f 1.25
			< OK:BOOL true
			> LIST_PUSH_RIGHT (1)l (1)[(1)a]
			> SET_IF:STR (1)l (1)a (1)b
			< OK:BOOL false
			> SET_IF_ABSENT:STR (1)l (1)b
			< OK:BOOL false
			> GET (1)l
			< OK:LIST (1)[(1)a]
			> SET_TTL:STR (1)t (1)v 100
			> SET_IF_ABSENT:STR (1)t (1)w
			< OK:BOOL false
			+101
			> SET_IF_ABSENT:STR (1)t (1)w
			< OK:BOOL true
			> GET_EXPIRY (1)t
			< NULL
			> SET_EXPIRY (1)t 100
			> SET_IF:STR (1)t (1)w (1)z
			< OK:BOOL true
			> GET_EXPIRY (1)t
			< NULL
			> SET_TTL_IF_ABSENT:STR (5)lease (2)me 300
			< OK:BOOL true
			> SET_TTL_IF_ABSENT:STR (5)lease (3)you 300
			< OK:BOOL false
			> GET_EXPIRY (5)lease
			< OK:FLOAT 0.300000
			> SET_TTL_IF_ABSENT:STR (5)lease (3)you 0
			< ERROR(14)invalid expiry
			+301
			> SET_TTL_IF_ABSENT:INT (5)lease 2 1000
			< OK:BOOL true
			> GET (5)lease
			< OK:INT 2`,
		"read-modify-writes": `
			> STR_APPEND (1)s (2)ab
			< OK:INT 2
			> SET_EXPIRY (1)s 100
			> STR_APPEND (1)s (1)c
			< OK:INT 3
			> GET (1)s
			< OK:STR (3)abc
			> GET_EXPIRY (1)s
			< OK:FLOAT 100.000000
			> SET:INT (1)n 5
			> SET_EXPIRY (1)n 100
			> STR_APPEND (1)n (1)x
			< OK:INT 2
			> GET (1)n
			< OK:STR (2)5x
			> GET_EXPIRY (1)n
			< OK:FLOAT 100.000000
			> SET:FLOAT (1)f 2.5
			> STR_APPEND (1)f (1)0
			< OK:INT 4
			> GET (1)f
			< OK:STR (4)2.50
			> INCR_INT (1)c 7
			> STR_APPEND (1)c (0)
			< OK:INT 1
			> TYPE (1)c
			< OK:STR 
			> LIST_PUSH_LEFT (1)l (1)[(1)a]
			> STR_APPEND (1)l (1)x
			< BAD_TYPE
			> SET:INT (1)n 5
			> HASH_INCR (1)h (1)f 5
			< OK:INT 5
			> HASH_INCR (1)h (1)f -7
			< OK:INT -2
			> HASH_UPDATE (1)h (2){(1)g(1)x(1)i(19)9223372036854775807}
			< OK:INT 2
			> HASH_INCR (1)h (1)g 1
			< ERROR(28)hash value is not an integer
			> HASH_UPDATE (1)h (3){(1)p(2)+1(1)z(3)007(1)m(2)-0}
			< OK:INT 3
			> HASH_INCR (1)h (1)p 1
			< ERROR(28)hash value is not an integer
			> HASH_INCR (1)h (1)z 1
			< ERROR(28)hash value is not an integer
			> HASH_INCR (1)h (1)m 1
			< ERROR(28)hash value is not an integer
			> HASH_INCR (1)h (1)i 1
			< ERROR(16)integer overflow
			> HASH_GET (1)h (1)f
			< OK:STR (2)-2
			> HASH_GET (1)h (1)i
			< OK:STR (19)9223372036854775807
			> HASH_INCR (1)n (1)f 1
			< BAD_TYPE(8)not hash
			> HASH_SET_IF_ABSENT (2)hn (1)f (1)a
			< OK:BOOL true
			> HASH_SET_IF_ABSENT (2)hn (1)f (1)b
			< OK:BOOL false
			> HASH_SET_IF_ABSENT (2)hn (1)g (1)c
			< OK:BOOL true
			> HASH_MANY_GET (2)hn (2)[(1)f(1)g]
			< OK:ARR (2)[:STR (1)a:STR (1)c]
			> HASH_SET_IF_ABSENT (1)n (1)f (1)a
			< BAD_TYPE(8)not hash`,
		"string ranges": `
			> STR_RANGE (1)r 0 -1
			< OK:STR (0)
			> STR_SET_RANGE (1)r 0 (0)
			< OK:INT 0
			> EXISTS (1)r
			< NULL
			> STR_SET_RANGE (1)r 6 (5)World
			< OK:INT 11
			> STR_SET_RANGE (1)r 0 (5)Hello
			< OK:INT 11
			> GET (1)r
			< OK:STR (11)Hello` + "\x00" + `World
			> SET_EXPIRY (1)r 100
			> STR_SET_RANGE (1)r 5 (1)_
			< OK:INT 11
			> GET_EXPIRY (1)r
			< OK:FLOAT 100.000000
			> STR_RANGE (1)r 0 4
			< OK:STR (5)Hello
			> STR_RANGE (1)r -5 -1
			< OK:STR (5)World
			> STR_RANGE (1)r -100 2
			< OK:STR (3)Hel
			> STR_RANGE (1)r 3 100
			< OK:STR (8)lo_World
			> STR_RANGE (1)r 5 2
			< OK:STR (0)
			> STR_RANGE (1)r 20 30
			< OK:STR (0)
			> STR_SET_RANGE (1)r -1 (1)x
			< ERROR(44)offset is out of range: it must be 0 or more
			> STR_SET_RANGE (1)r 536870912 (1)x
			< ERROR(78)the string would be longer than 536870912 bytes (512 MiB, the largest request)
			> SET:INT (1)n 512
			> STR_RANGE (1)n 1 -1
			< OK:STR (2)12
			> STR_SET_RANGE (1)n 0 (0)
			< OK:INT 3
			> TYPE (1)n
			< OK:INT 
			> STR_SET_RANGE (1)n 1 (1)x
			< OK:INT 3
			> GET (1)n
			< OK:STR (3)5x2
			> SET:FLOAT (1)f 1000000.25
			> STR_RANGE (1)f 0 -1
			< OK:STR (10)1000000.25
			> LIST_PUSH_LEFT (1)l (1)[(1)a]
			> STR_RANGE (1)l 0 -1
			< BAD_TYPE
			> STR_SET_RANGE (1)l 0 (1)x
			< BAD_TYPE`,
		"rename": `
			> RENAME (1)a (1)b
			< ERROR(11)no such key
			> LIST_PUSH_RIGHT (1)a (3)[(1)x(1)y(1)z]
			< OK:INT 3
			> SET_EXPIRY (1)a 100
			> SET_TTL:STR (1)b (3)old 5000
			> RENAME (1)a (1)b
			< OK
			> EXISTS (1)a
			< NULL
			> LIST_RANGE (1)b 0 -1
			< OK:LIST (3)[(1)x(1)y(1)z]
			> GET_EXPIRY (1)b
			< OK:FLOAT 100.000000
			> LIST_PUSH_LEFT (1)b (1)[(1)w]
			< OK:INT 4
			> RENAME (1)b (1)b
			< OK
			> LIST_LEN (1)b
			< OK:INT 4
			> HASH_SET (1)h (1){(1)f(1)v}
			> RENAME_IF_ABSENT (1)h (1)b
			< OK:BOOL false
			> HASH_GET (1)h (1)f
			< OK:STR (1)v
			> RENAME_IF_ABSENT (1)h (1)g
			< OK:BOOL true
			> HASH_GET (1)g (1)f
			< OK:STR (1)v
			> GET_EXPIRY (1)g
			< NULL
			> SET:INT (1)n 5
			> INCR_INT (1)n 2
			> SET_TTL:STR (1)m (1)s 5000
			> RENAME (1)n (1)m
			< OK
			> GET_EXPIRY (1)m
			< NULL
			> INCR_INT (1)m 1
			< OK:INT 8
			> RENAME_IF_ABSENT (1)q (1)r
			< ERROR(11)no such key`,
		"hash incr float": `
			> HASH_INCR_FLOAT (1)h (1)f 10.5
			< OK:STR (4)10.5
			> HASH_INCR_FLOAT (1)h (1)f 0.1
			< OK:STR (4)10.6
			> HASH_SET (1)g (3){(1)a(1)5(1)b(3)abc(1)c(3)1e3}
			> HASH_INCR_FLOAT (1)g (1)a 0.25
			< OK:STR (4)5.25
			> HASH_INCR_FLOAT (1)g (1)c -1
			< OK:STR (3)999
			> HASH_INCR (1)g (1)c 1
			< OK:INT 1000
			> HASH_INCR_FLOAT (1)g (1)b 1
			< ERROR(25)hash value is not a float
			> HASH_INCR_FLOAT (1)g (1)a inf
			< ERROR(39)increment would produce NaN or Infinity
			> HASH_GET (1)g (1)a
			< OK:STR (4)5.25
			> SET:STR (1)s (1)v
			> HASH_INCR_FLOAT (1)s (1)f 1
			< BAD_TYPE(8)not hash`,
		"expiry at": `
			> SET:STR (1)k (1)v
			> SET_EXPIRY_AT (1)k 1100000
			< OK
			> GET_EXPIRY (1)k
			< OK:FLOAT 100.000000
			> SET_EXPIRY_AT (1)k 9223372036854775807
			< OK
			> EXISTS (1)k
			< OK
			> SET_EXPIRY_AT (1)k 1000000
			< OK
			> EXISTS (1)k
			< NULL
			> SET_EXPIRY_AT (3)nop 1100000
			< OK
			> EXISTS (3)nop
			< NULL
			> SET_TTL:STR (1)t (1)v 2500
			< OK
			> GET_EXPIRY_AT (1)t
			< OK:INT 1002500
			> GET_EXPIRY_AT (3)nop
			< NULL
			> SET:STR (1)p (1)v
			< OK
			> GET_EXPIRY_AT (1)p
			< NULL`,
		"incr int text": `
			> INCR_INT_TEXT (1)n 5
			< OK:INT 5
			> INCR_INT_TEXT (1)n -7
			< OK:INT -2
			> SET:STR (1)s (3)105
			> SET_EXPIRY (1)s 100
			> INCR_INT_TEXT (1)s 1
			< OK:INT 106
			> TYPE (1)s
			< OK:INT 
			> GET_EXPIRY (1)s
			< OK:FLOAT 100.000000
			> SET:FLOAT (1)f 4.0
			> INCR_INT_TEXT (1)f 1
			< OK:INT 5
			> SET:FLOAT (1)g 4.5
			> INCR_INT_TEXT (1)g 1
			< ERROR(39)value is not an integer or out of range
			> SET:STR (1)z (3)007
			> INCR_INT_TEXT (1)z 1
			< ERROR(39)value is not an integer or out of range
			> SET:STR (1)m (2)-0
			> INCR_INT_TEXT (1)m 1
			< ERROR(39)value is not an integer or out of range
			> SET:STR (1)b (19)9223372036854775807
			> INCR_INT_TEXT (1)b 1
			< ERROR(37)increment or decrement would overflow
			> SET:INT (1)i 9223372036854775807
			> INCR_INT_TEXT (1)i 1
			< ERROR(37)increment or decrement would overflow
			> LIST_PUSH_LEFT (1)l (1)[(1)a]
			> INCR_INT_TEXT (1)l 1
			< BAD_TYPE(12)not a number`,
		"list push if present": `
			> LIST_PUSH_LEFT_IF_PRESENT (1)l (1)[(1)a]
			< OK:INT 0
			> EXISTS (1)l
			< NULL
			> LIST_PUSH_RIGHT (1)l (1)[(1)b]
			< OK:INT 1
			> LIST_PUSH_LEFT_IF_PRESENT (1)l (2)[(1)a(1)z]
			< OK:INT 3
			> LIST_PUSH_RIGHT_IF_PRESENT (1)l (1)[(1)c]
			< OK:INT 4
			> LIST_RANGE (1)l 0 -1
			< OK:LIST (4)[(1)z(1)a(1)b(1)c]
			> SET:STR (1)s (1)v
			> LIST_PUSH_RIGHT_IF_PRESENT (1)s (1)[(1)c]
			< BAD_TYPE(10)not a list`,
		"bits": `
			> STR_GET_BIT (1)b 7
			< OK:INT 0
			> STR_BIT_POS_FROM (1)b 0 0
			< OK:INT 0
			> STR_BIT_POS_FROM (1)b 1 0
			< OK:INT -1
			> STR_SET_BIT (1)b 7 0
			< OK:INT 0
			> GET (1)b
			< OK:STR (1)` + "\x00" + `
			> STR_SET_BIT (1)b 9 1
			< OK:INT 0
			> STR_SET_BIT (1)b 9 1
			< OK:INT 1
			> STR_GET_BIT (1)b 9
			< OK:INT 1
			> STR_BIT_COUNT (1)b 0 -1 BYTE
			< OK:INT 1
			> STR_BIT_POS (1)b 1 0 -1 BYTE
			< OK:INT 9
			> STR_BIT_POS (1)b 0 1 1 BYTE
			< OK:INT 8
			> STR_SET_BIT (1)b 8 1
			< OK:INT 0
			> STR_BIT_POS (1)b 1 9 15 BIT
			< OK:INT 9
			> STR_SET_BIT (1)b 2 2
			< ERROR(37)bit is not an integer or out of range
			> STR_GET_BIT (1)b -1
			< ERROR(44)bit offset is not an integer or out of range
			> STR_BIT_POS (1)b 2 0 -1 BYTE
			< ERROR(32)The bit argument must be 1 or 0.
			> SET:INT (1)n 5
			< OK
			> SET_EXPIRY (1)n 100
			> STR_SET_BIT (1)n 6 1
			< OK:INT 0
			> GET (1)n
			< OK:STR (1)7
			> GET_EXPIRY (1)n
			< OK:FLOAT 100.000000
			> LIST_PUSH_RIGHT (1)l (1)[(1)a]
			> STR_GET_BIT (1)l 0
			< BAD_TYPE
			> STR_SET_BIT (1)l 0 2
			< ERROR(37)bit is not an integer or out of range
			> STR_GET_BIT (1)l -1
			< ERROR(44)bit offset is not an integer or out of range
			> STR_BIT_POS_FROM (1)l 2 0
			< ERROR(32)The bit argument must be 1 or 0.
			> SET:STR (1)x (3)abc
			> SET:STR (1)y (2)AB
			> STR_BIT_OP_INTO (1)d AND (2)[(1)x(1)y]
			< OK:INT 3
			> GET (1)d
			< OK:STR (3)AB` + "\x00" + `
			> STR_BIT_OP_INTO (1)d OR (2)[(1)x(4)none]
			< OK:INT 3
			> GET (1)d
			< OK:STR (3)abc
			> STR_BIT_OP_INTO (1)d NOT (2)[(1)x(1)y]
			< ERROR(50)BITOP NOT must be called with a single source key.
			> STR_BIT_OP_INTO (1)d XOR (2)[(1)x(1)l]
			< BAD_TYPE
			> STR_BIT_OP_INTO (1)d XOR (1)[(4)none]
			< OK:INT 0
			> EXISTS (1)d
			< NULL`,
		"hyperloglog": `
			> HLL_COUNT (1)[(1)h]
			< OK:INT 0
			> HLL_ADD (1)h (3)[(1)a(1)b(1)c]
			< OK:INT 1
			> HLL_ADD (1)h (2)[(1)a(1)b]
			< OK:INT 0
			> HLL_COUNT (1)[(1)h]
			< OK:INT 3
			> GET (1)h
			< OK:STR (27)HYLL` + "\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x80\x60\xf3\x80\x50\xb1\x84\x4b\xfb\x80\x42\x5a" + `
			> HLL_ADD (1)g (0)[]
			< OK:INT 1
			> HLL_ADD (1)g (0)[]
			< OK:INT 0
			> HLL_ADD (1)g (2)[(1)c(1)d]
			< OK:INT 1
			> HLL_COUNT (3)[(1)h(1)g(4)none]
			< OK:INT 4
			> SET_EXPIRY (1)h 100
			> HLL_MERGE_INTO (1)h (1)[(1)g]
			< OK
			> HLL_COUNT (1)[(1)h]
			< OK:INT 4
			> GET_EXPIRY (1)h
			< OK:FLOAT 100.000000
			> HLL_MERGE_INTO (1)m (0)[]
			< OK
			> HLL_COUNT (1)[(1)m]
			< OK:INT 0
			> SET:STR (1)s (5)plain
			> HLL_ADD (1)s (1)[(1)a]
			< BAD_TYPE(83)not a HyperLogLog sketch: a string HLL_ADD or HLL_MERGE_INTO made, or Redis's PFADD
			> HLL_COUNT (2)[(1)h(1)s]
			< BAD_TYPE(83)not a HyperLogLog sketch: a string HLL_ADD or HLL_MERGE_INTO made, or Redis's PFADD
			> SET:INT (1)n 5
			> HLL_MERGE_INTO (1)h (1)[(1)n]
			< BAD_TYPE(83)not a HyperLogLog sketch: a string HLL_ADD or HLL_MERGE_INTO made, or Redis's PFADD
			> LIST_PUSH_RIGHT (1)l (1)[(1)a]
			> HLL_ADD (1)l (1)[(1)a]
			< BAD_TYPE`,
		"list insert": `
			> LIST_INSERT (1)l LEFT (1)a (1)x
			< OK:INT 0
			> EXISTS (1)l
			< NULL
			> LIST_PUSH_RIGHT (1)l (3)[(1)a(1)b(1)a]
			< OK:INT 3
			> LIST_INSERT (1)l LEFT (1)z (1)x
			< OK:INT -1
			> LIST_INSERT (1)l RIGHT (1)a (1)c
			< OK:INT 4
			> LIST_INSERT (1)l LEFT (1)a (1)d
			< OK:INT 5
			> LIST_INSERT (1)l RIGHT (1)b (1)e
			< OK:INT 6
			> LIST_RANGE (1)l 0 -1
			< OK:LIST (6)[(1)d(1)a(1)c(1)b(1)e(1)a]
			> SET:STR (1)s (1)v
			> LIST_INSERT (1)s LEFT (1)v (1)c
			< BAD_TYPE(10)not a list`,
		"set with": `
			> SET_WITH:STR (1)k (1)a ABSENT AFTER 10000
			< OK:BOOL true
			> GET_SET_WITH:STR (1)k (1)b ABSENT CLEAR 0
			< OK:STR (1)a
			> GET_SET_WITH:STR (1)k (1)b PRESENT KEEP 0
			< OK:STR (1)a
			> GET_EXPIRY_AT (1)k
			< OK:INT 1010000
			> SET_WITH:INT (1)k 5 PRESENT AT 1200000
			< OK:BOOL true
			> GET_EXPIRY_AT (1)k
			< OK:INT 1200000
			> GET_SET_WITH:STR (1)k (1)c ALWAYS AFTER 5000
			< OK:INT 5
			> GET_EXPIRY_AT (1)k
			< OK:INT 1005000
			> SET_WITH:STR (1)n (1)x PRESENT CLEAR 0
			< OK:BOOL false
			> EXISTS (1)n
			< NULL
			> GET_SET_WITH:STR (1)k (1)d PRESENT AT 1000000
			< OK:STR (1)c
			> EXISTS (1)k
			< NULL
			> SET_WITH:STR (1)k (1)e ALWAYS CLEAR 0
			< OK:BOOL true
			> GET_EXPIRY (1)k
			< NULL
			> SET_WITH:STR (1)k (1)e ALWAYS AFTER 0
			< ERROR(14)invalid expiry
			> LIST_PUSH_LEFT (1)l (1)[(1)a]
			> GET_SET_WITH:STR (1)l (1)v ALWAYS CLEAR 0
			< BAD_TYPE
			> SET_WITH:STR (1)l (1)v PRESENT KEEP 0
			< OK:BOOL true
			> GET (1)l
			< OK:STR (1)v`,
		"expiry if": `
			> SET:STR (1)k (1)v
			> SET_EXPIRY_AT_IF (1)k 1100000 SOME
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1100000 LATER
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1100000 SOME_EARLIER
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1100000 NONE
			< OK:BOOL true
			> GET_EXPIRY_AT (1)k
			< OK:INT 1100000
			> SET_EXPIRY_AT_IF (1)k 1200000 NONE
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1100000 LATER
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1100000 EARLIER
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1100000 SOME_EARLIER
			< OK:BOOL false
			> SET_EXPIRY_AT_IF (1)k 1200000 LATER
			< OK:BOOL true
			> SET_EXPIRY_AT_IF (1)k 1300000 EARLIER
			< OK:BOOL false
			> GET_EXPIRY_AT (1)k
			< OK:INT 1200000
			> SET_EXPIRY_IF (1)k 50 SOME_EARLIER
			< OK:BOOL true
			> GET_EXPIRY_AT (1)k
			< OK:INT 1050000
			> SET_EXPIRY_IF (1)k 60 SOME
			< OK:BOOL true
			> SET_EXPIRY_IF (1)k 70 ALWAYS
			< OK:BOOL true
			> GET_EXPIRY_AT (1)k
			< OK:INT 1070000
			> SET_EXPIRY_IF (1)k nan SOME
			< ERROR(14)invalid expiry
			> SET:STR (1)p (1)v
			> SET_EXPIRY_IF (1)p 30 EARLIER
			< OK:BOOL true
			> GET_EXPIRY_AT (1)p
			< OK:INT 1030000
			> SET_EXPIRY_IF (1)p -1 EARLIER
			< OK:BOOL true
			> EXISTS (1)p
			< NULL
			> SET_EXPIRY_IF (3)nop 10 ALWAYS
			< OK:BOOL false
			> SET_EXPIRY_IF (3)nop 10 EARLIER
			< OK:BOOL false
			> EXISTS (3)nop
			< NULL`,
		"set keep ttl": `
			> SET_TTL:STR (1)k (1)a 10000
			< OK
			> SET_KEEP_TTL:INT (1)k 7
			< OK
			> GET (1)k
			< OK:INT 7
			> GET_EXPIRY (1)k
			< OK:FLOAT 10.000000
			> SET_KEEP_TTL:STR (1)n (1)v
			< OK
			> GET_EXPIRY (1)n
			< NULL
			> LIST_PUSH_RIGHT (1)l (1)[(1)x]
			< OK:INT 1
			> SET_EXPIRY (1)l 5
			< OK
			> SET_KEEP_TTL:FLOAT (1)l 1.5
			< OK
			> GET (1)l
			< OK:FLOAT 1.500000
			> GET_EXPIRY (1)l
			< OK:FLOAT 5.000000
			+6000
			> EXISTS (1)l
			< NULL
			> SET_KEEP_TTL:STR (1)l (1)t
			< OK
			> GET_EXPIRY (1)l
			< NULL
			> GET (1)l
			< OK:STR (1)t`,
		"list pos": `
			> LIST_PUSH_RIGHT (1)l (7)[(1)a(1)b(1)c(1)d(1)1(1)2(1)c]
			< OK:INT 7
			> LIST_POS (1)l (1)c 1 1
			< OK:ARR (1)[:INT 2]
			> LIST_POS (1)l (1)c 1 0
			< OK:ARR (2)[:INT 2:INT 6]
			> LIST_POS_WITHIN (1)l (1)c 1 0 6
			< OK:ARR (1)[:INT 2]
			> LIST_POS_WITHIN (1)l (1)c 1 0 2
			< OK:ARR (0)[]
			> LIST_POS_WITHIN (1)l (1)c -1 0 4
			< OK:ARR (1)[:INT 6]
			> LIST_POS_WITHIN (1)l (1)c -1 0 5
			< OK:ARR (2)[:INT 6:INT 2]
			> LIST_POS_WITHIN (1)l (1)c 1 0 0
			< OK:ARR (2)[:INT 2:INT 6]
			> LIST_POS_WITHIN (1)l (1)c 1 0 -1
			< ERROR(56)LIST_POS_WITHIN maxlen must be 0 (every element) or more
			> LIST_POS (1)l (1)c 2 0
			< OK:ARR (1)[:INT 6]
			> LIST_POS (1)l (1)c -1 0
			< OK:ARR (2)[:INT 6:INT 2]
			> LIST_POS (1)l (1)c -2 1
			< OK:ARR (1)[:INT 2]
			> LIST_POS (1)l (1)c 3 0
			< OK:ARR (0)[]
			> LIST_POS (1)l (1)z 1 0
			< OK:ARR (0)[]
			> LIST_POS (4)none (1)c 1 1
			< OK:ARR (0)[]
			> LIST_POS (1)l (1)c 0 1
			< ERROR(122)LIST_POS rank cannot be 0: 1 starts from the first match from the head, 2 from the second, -1 from the first from the tail
			> LIST_POS (1)l (1)c 1 -1
			< ERROR(46)LIST_POS count must be 0 (every match) or more
			> SET:STR (1)s (1)v
			< OK
			> LIST_POS (1)s (1)v 1 1
			< BAD_TYPE(10)not a list`,
		"copy": `
			> LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]
			< OK:INT 2
			> SET_EXPIRY (1)l 5
			< OK
			> COPY (1)l (1)m
			< OK:BOOL true
			> LIST_RANGE (1)m 0 -1
			< OK:LIST (2)[(1)a(1)b]
			> GET_EXPIRY (1)m
			< OK:FLOAT 5.000000
			> LIST_PUSH_RIGHT (1)m (1)[(1)c]
			< OK:INT 3
			> LIST_LEN (1)l
			< OK:INT 2
			> SET:INT (1)n 7
			< OK
			> COPY_IF_ABSENT (1)n (1)m
			< OK:BOOL false
			> GET (1)m
			< OK:LIST (3)[(1)a(1)b(1)c]
			> COPY (1)n (1)m
			< OK:BOOL true
			> GET (1)m
			< OK:INT 7
			> GET_EXPIRY (1)m
			< NULL
			> COPY (4)none (1)m
			< OK:BOOL false
			> GET (1)m
			< OK:INT 7
			> COPY (1)n (1)n
			< ERROR(46)COPY's source and destination are the same key`,
		"list move": `
			> LIST_MOVE (4)todo (5)doing RIGHT LEFT
			< NULL
			> LIST_PUSH_RIGHT (4)todo (3)[(1)a(1)b(1)c]
			< OK:INT 3
			> SET:STR (1)s (1)v
			> LIST_MOVE (4)todo (1)s LEFT LEFT
			< BAD_TYPE(10)not a list
			> LIST_MOVE (1)s (4)todo LEFT LEFT
			< BAD_TYPE(10)not a list
			> LIST_MOVE (4)none (1)s LEFT LEFT
			< NULL
			> LIST_MOVE (4)todo (5)doing RIGHT LEFT
			< OK:STR (1)c
			> LIST_PUSH_RIGHT (5)doing (1)[(1)x]
			< OK:INT 2
			> LIST_MOVE (4)todo (5)doing LEFT RIGHT
			< OK:STR (1)a
			> LIST_RANGE (5)doing 0 -1
			< OK:LIST (3)[(1)c(1)x(1)a]
			> LIST_MOVE (5)doing (5)doing LEFT RIGHT
			< OK:STR (1)c
			> LIST_RANGE (5)doing 0 -1
			< OK:LIST (3)[(1)x(1)a(1)c]
			> LIST_MOVE (5)doing (5)doing RIGHT LEFT
			< OK:STR (1)c
			> LIST_MOVE (5)doing (5)doing RIGHT RIGHT
			< OK:STR (1)a
			> LIST_RANGE (5)doing 0 -1
			< OK:LIST (3)[(1)c(1)x(1)a]
			> SET_EXPIRY (4)todo 100
			> SET_EXPIRY (5)doing 200
			> LIST_MOVE (4)todo (4)todo LEFT RIGHT
			< OK:STR (1)b
			> GET_EXPIRY (4)todo
			< OK:FLOAT 100.000000
			> LIST_MOVE (4)todo (5)doing LEFT LEFT
			< OK:STR (1)b
			> EXISTS (4)todo
			< NULL
			> GET_EXPIRY (5)doing
			< OK:FLOAT 200.000000
			> LIST_MOVE (5)doing (4)todo RIGHT LEFT
			< OK:STR (1)a
			> GET_EXPIRY (4)todo
			< NULL
			> LIST_RANGE (5)doing 0 -1
			< OK:LIST (3)[(1)b(1)c(1)x]`,
		"read and replace": `
			> GET_SET:STR (1)k (1)a
			< NULL
			> GET_SET:INT (1)k 5
			< OK:STR (1)a
			> GET (1)k
			< OK:INT 5
			> SET_EXPIRY (1)k 100
			> GET_SET:FLOAT (1)k 1.5
			< OK:INT 5
			> GET_EXPIRY (1)k
			< NULL
			> LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]
			> GET_SET:STR (1)l (1)x
			< BAD_TYPE
			> GET_DEL (1)l
			< BAD_TYPE
			> GET (1)l
			< OK:LIST (2)[(1)a(1)b]
			> GET_DEL (1)k
			< OK:FLOAT 1.500000
			> GET_DEL (1)k
			< NULL
			> EXISTS (1)k
			< NULL`,
	}
	for name, script := range tests {
		t.Run(name, func(t *testing.T) {
			newHarness(t, 4, false, 1).check(script)
			newHarness(t, 1, true, 1).check(script)
		})
	}
}

func TestResetEmptiesOnlyCurrentDB(t *testing.T) {
	h := newHarness(t, 3, false, 1)
	h.check(`
		> SET:STR (1)a (1)1
		> SWITCH_DB 1
		> SET:STR (1)a (1)2
		> SET:STR (1)b (1)2
		> RESET
		> GET (1)a
		< NULL
		> SWITCH_DB 0
		> GET (1)a
		< OK:STR (1)1
		> SWITCH_DB 1
		> SET:STR (1)a (1)3
		> GET (1)a
		< OK:STR (1)3`)
}

func TestSetRemoveRandomSubset(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	h.do("SET_ADD (1)s (5){(1)a(1)b(1)c(1)d(1)e}")
	out := h.do("SET_REMOVE (1)s 2")
	r, err := proto.ParseReply([]byte(out))
	if err != nil || r.Value.Type != proto.TypeSet || len(r.Value.Strs) != 2 {
		t.Fatalf("SET_REMOVE reply %q", out)
	}
	for _, m := range r.Value.Strs {
		if got := h.do("SET_CONTAINS (1)s (1)" + string(m)); got != "OK:BOOL false" {
			t.Errorf("removed member %s still present", m)
		}
	}
	if got := h.do("SET_LEN (1)s"); got != "OK:INT 3" {
		t.Errorf("SET_LEN after removing 2 of 5: %s", got)
	}
}

func TestExpiredSweep(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	for _, k := range []string{"a", "b", "c"} {
		h.do("SET:STR (1)" + k + " (1)v")
		h.do("SET_EXPIRY (1)" + k + " 0.01")
	}
	h.do("SET:STR (1)d (1)v")
	sh := h.shards[0]
	if sh.Volatile(0) != 3 {
		t.Fatalf("Volatile = %d, want 3", sh.Volatile(0))
	}
	if got := sh.Expired(0, h.wall, 100, nil); len(got) != 0 {
		t.Fatalf("nothing has expired yet, got %d deltas", len(got))
	}
	h.wall += 11
	ds := sh.Expired(0, h.wall, 100, nil)
	if len(ds) != 3 {
		t.Fatalf("got %d expiry deltas, want 3", len(ds))
	}
	for i := range ds {
		sh.Apply(&ds[i])
	}
	if sh.Len(0) != 1 || sh.Volatile(0) != 0 {
		t.Fatalf("after the sweep: %d keys, %d volatile; want 1, 0", sh.Len(0), sh.Volatile(0))
	}
}

// TestExpiredSweepLeavesSerialKeys: a key an acceptor promised for is not
// swept when its deadline passes. The sweep's deletion, stamped at the
// deadline, would read as an accepted ballot newer than the key's real one
// (Shard.Acceptor), and a Prepare would take the older state under it for
// the latest: a lock taken twice (the cluster's lock checker found it).
// Other keys with deadlines are swept as before.
func TestExpiredSweepLeavesSerialKeys(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	for _, k := range []string{"serial", "plain"} {
		h.do("SET:STR (" + strconv.Itoa(len(k)) + ")" + k + " (1)v")
		h.do("SET_EXPIRY (" + strconv.Itoa(len(k)) + ")" + k + " 0.01")
	}
	sh := h.shards[0]
	promise := PromiseDelta("serial", hlc.Stamp{Time: 1 << hlc.LogicalBits, Actor: 1})
	sh.Apply(&promise)
	_, before := sh.Acceptor(0, []byte("serial"))
	h.wall += 11
	ds := sh.Expired(0, h.wall, 100, nil)
	if len(ds) != 1 || ds[0].Key != "plain" {
		t.Fatalf("swept %v; want the plain key alone", ds)
	}
	sh.Apply(&ds[0])
	if _, after := sh.Acceptor(0, []byte("serial")); after != before {
		t.Errorf("the serial key's accepted ballot moved from %v to %v", before, after)
	}
}

// canonical parses a reply and sorts the elements of unordered containers.
func canonical(t tb, reply string) string {
	r, err := proto.ParseReply([]byte(reply))
	if err != nil {
		t.Fatalf("parse reply %q: %v", reply, err)
	}
	sortReply(&r)
	return string(proto.AppendReply(nil, r))
}

func sortReply(r *proto.Reply) { proto.SortUnordered(r) }

// TestLocks: a lock is taken only while free, for its lease; its token is
// the time of the write that took it, kept in the value, so every later
// taking, after a release, a lapsed lease or a DEL, gets a larger one;
// only the holder's token refreshes or releases it, and a refresh keeps
// the token. A STR not in a lock's form is not a lock.
func TestLocks(t *testing.T) {
	h := newHarness(t, 4, false, 1)
	tokenOf := func(reply string) int64 {
		t.Helper()
		n, ok := strings.CutPrefix(reply, "OK:INT ")
		if !ok {
			t.Fatalf("LOCK_ACQUIRE answered %q, want a token", reply)
		}
		return int64(mustAtoi(t, n))
	}
	expect := func(req, want string) {
		t.Helper()
		if got := h.do(req); got != want {
			t.Fatalf("%s: %q, want %q", req, got, want)
		}
	}
	t1 := tokenOf(h.do("LOCK_ACQUIRE (4)jobs (1)a 1000"))
	expect("LOCK_ACQUIRE (4)jobs (1)b 1000", "NULL")
	expect("LOCK_INFO (4)jobs", fmt.Sprintf("OK:ARR (3)[:STR (1)a:INT %d:INT 1000]", t1))
	value := fmt.Sprintf("%d a", t1) // the token is kept in the value
	expect("GET (4)jobs", fmt.Sprintf("OK:STR (%d)%s", len(value), value))
	expect(fmt.Sprintf("LOCK_REFRESH (4)jobs %d 5000", t1+1), "OK:BOOL false")
	h.wall += 400
	expect(fmt.Sprintf("LOCK_REFRESH (4)jobs %d 5000", t1), "OK:BOOL true")
	expect("LOCK_INFO (4)jobs", fmt.Sprintf("OK:ARR (3)[:STR (1)a:INT %d:INT 5000]", t1))
	expect(fmt.Sprintf("LOCK_RELEASE (4)jobs %d", t1-1), "OK:BOOL false")
	expect(fmt.Sprintf("LOCK_RELEASE (4)jobs %d", t1), "OK:BOOL true")
	expect("LOCK_INFO (4)jobs", "NULL")
	expect(fmt.Sprintf("LOCK_RELEASE (4)jobs %d", t1), "OK:BOOL false")
	t2 := tokenOf(h.do("LOCK_ACQUIRE (4)jobs (1)b 100"))
	h.wall += 101 // the lease lapses
	expect(fmt.Sprintf("LOCK_REFRESH (4)jobs %d 100", t2), "OK:BOOL false")
	t3 := tokenOf(h.do("LOCK_ACQUIRE (4)jobs (1)c 100"))
	expect("DEL (4)jobs", "OK")
	t4 := tokenOf(h.do("LOCK_ACQUIRE (4)jobs (1)d 100"))
	if !(t1 < t2 && t2 < t3 && t3 < t4) {
		t.Errorf("tokens %d, %d, %d, %d do not grow", t1, t2, t3, t4)
	}
	expect("LOCK_ACQUIRE (4)jobs (1)e 0", "ERROR(14)invalid expiry")
	expect("LIST_PUSH_LEFT (1)l (1)[(1)x]", "OK:INT 1")
	expect("LOCK_ACQUIRE (1)l (1)e 100", "BAD_TYPE")
	expect("SET:STR (1)s (5)plain", "OK")
	expect("LOCK_INFO (1)s", "BAD_TYPE") // a STR that is not a lock
	expect("LOCK_RELEASE (1)s 1", "BAD_TYPE")
}

// TestDeltasKeepWhatTheyBorrow: commands run with one Ctx without emptying
// it (a transaction's) keep each its own slot versions and members in
// their deltas, while Ctx.Slots and Ctx.Members, which they borrow, grow
// under them: a replica given the deltas holds what the writer holds.
// Counters incremented by two actors before carry more than one version;
// some hashes and sets get more members than a delta borrows.
func TestDeltasKeepWhatTheyBorrow(t *testing.T) {
	writer, other, replica := newHarness(t, 1, true, 1), newHarness(t, 1, true, 2), newHarness(t, 1, true, 3)
	const keys = 40
	key := func(kind byte, i int) string { return fmt.Sprintf("(3)%c%02d", kind, i) }
	for i := range keys {
		if i%2 == 0 {
			other.do("INCR_INT " + key('c', i) + " 1000")
		}
	}
	writer.receive(other.deltas)
	many := func(i int, pairs bool) string {
		n := 1 + i%3
		if i%10 == 9 {
			n = maxBorrow + 5
		}
		var b strings.Builder
		fmt.Fprintf(&b, "(%d){", n)
		for j := range n {
			m := fmt.Sprintf("m%d-%d", i, j)
			fmt.Fprintf(&b, "(%d)%s", len(m), m)
			if pairs {
				v := fmt.Sprintf("v%d", i*j)
				fmt.Fprintf(&b, "(%d)%s", len(v), v)
			}
		}
		return b.String() + "}"
	}
	c := &Ctx{Locate: writer.locate}
	for i := range keys {
		for _, text := range []string{
			fmt.Sprintf("INCR_INT %s %d", key('c', i), i+1),
			fmt.Sprintf("HASH_UPDATE %s %s", key('h', i), many(i, true)),
			fmt.Sprintf("SET_ADD %s %s", key('s', i), many(i, false)),
		} {
			var req proto.Request
			if err := proto.ParseRequest([]byte(text), &req); err != proto.ErrNone {
				t.Fatalf("parse %q: %v", text, err)
			}
			c.T = writer.clock.Now()
			Exec(c, &req, nil)
		}
	}
	if len(c.Deltas) != 3*keys {
		t.Fatalf("%d deltas, want %d", len(c.Deltas), 3*keys)
	}
	replica.receive(other.deltas)
	replica.receive(c.Deltas)
	if got, want := dumpAll(replica), dumpAll(writer); got != want {
		t.Errorf("the replica holds\n%s\nthe writer\n%s", got, want)
	}
}

// TestStringsStayWithinTheLargestRequest lowers the bound on strings
// that APPEND, SETRANGE and SETBIT make from what a key holds: each is
// refused past it, and nothing is written. Unbounded, APPENDs grew a
// string past what one log record may hold.
func TestStringsStayWithinTheLargestRequest(t *testing.T) {
	defer func(n int64) { maxString = n }(maxString)
	maxString = 8
	tooLong := string(proto.AppendErrorMsg(nil, msgStringTooLong()))
	h := newHarness(t, 1, false, 1)
	h.check(`
		> STR_APPEND (1)s (6)abcdef
		< OK:INT 6
		> STR_APPEND (1)s (2)gh
		< OK:INT 8
		> STR_APPEND (1)s (1)i
		< ` + tooLong + `
		> STR_SET_RANGE (1)s 7 (2)xy
		< ` + tooLong + `
		> STR_SET_RANGE (1)s 6 (2)xy
		< OK:INT 8
		> STR_SET_BIT (1)s 62 1
		< OK:INT 0
		> STR_SET_BIT (1)s 64 1
		< ERROR(44)bit offset is not an integer or out of range
		> GET (1)s
		< OK:STR (8)abcdefx{`)
}
