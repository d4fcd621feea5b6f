package proto

import (
	"math"
	"reflect"
	"testing"
)

func TestMatchCommand(t *testing.T) {
	tests := []struct {
		in   string
		want Command
		n    int
	}{
		{"GET(3)foo", CmdGet, 3},
		{"DEL_USER (4)user", CmdDelUser, 8},
		{"DEL (3)foo", CmdDel, 3},
		{"SET_UNION_INTO", CmdSetUnionInto, 14},
		{"SET_UNION (0)[]", CmdSetUnion, 9},
		{"SET:STR", CmdSet, 3},
		{"SWITCH_DB2", CmdSwitchDB, 9},
		{"PINGhello", CmdPing, 4},
		{"PINGGET(3)foo", CmdPing, 4},
		{"TRANSACT_BEGINSET:STR(1)f(1)b", CmdTransactBegin, 14},
		{"SETX", CmdSet, 3},
		{"get (3)foo", CmdNone, 0},
		{"", CmdNone, 0},
		{"STR_SET", CmdNone, 0},  // a later alias, not accepted (§8.6)
		{"KEYSPACE", CmdKeys, 4}, // §12.4's KEYS, then trailing text
		{"DBSIZE", CmdNone, 0},   // Redis's name is a CLI alias, not a command word
	}
	for _, tt := range tests {
		c, n := MatchCommand([]byte(tt.in))
		if c != tt.want || n != tt.n {
			t.Errorf("MatchCommand(%q) = %v, %d; want %v, %d", tt.in, c, n, tt.want, tt.n)
		}
	}
}

func TestEveryCommandNameMatchesItself(t *testing.T) {
	for c := CmdPing; c < numCommands; c++ {
		got, n := MatchCommand([]byte(c.String()))
		if got != c || n != len(c.String()) {
			t.Errorf("MatchCommand(%q) = %v", c.String(), got)
		}
		if byName, ok := CommandByName(c.String()); !ok || byName != c {
			t.Errorf("CommandByName(%q) = %v, %v", c.String(), byName, ok)
		}
	}
}

func bs(ss ...string) [][]byte {
	out := make([][]byte, len(ss))
	for i, s := range ss {
		out[i] = []byte(s)
	}
	return out
}

func TestParseRequest(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want Request
	}{
		{"get", "GET (3)foo", Request{Cmd: CmdGet, Str: [3][]byte{[]byte("foo")}}},
		{"no space after command", "GET(3)foo", Request{Cmd: CmdGet, Str: [3][]byte{[]byte("foo")}}},
		{"leading and trailing whitespace", " \t\nGET (3)foo \r\n\v\f", Request{Cmd: CmdGet, Str: [3][]byte{[]byte("foo")}}},
		{"string body keeps spaces", "GET (5)a b c", Request{Cmd: CmdGet, Str: [3][]byte{[]byte("a b c")}}},
		{"leading zeros in length", "GET (03)foo", Request{Cmd: CmdGet, Str: [3][]byte{[]byte("foo")}}},
		{"empty key", "GET (0)", Request{Cmd: CmdGet, Str: [3][]byte{{}}}},
		{"binary key", "GET (3)\x00\xff(", Request{Cmd: CmdGet, Str: [3][]byte{[]byte("\x00\xff(")}}},
		{"set str", "SET:STR (3)foo (3)bar", Request{Cmd: CmdSet, Type: TypeStr, Str: [3][]byte{[]byte("foo"), []byte("bar")}}},
		{"set int python form", "SET :INT(1)i 42", Request{Cmd: CmdSet, Type: TypeInt, Str: [3][]byte{[]byte("i")}, Int: [3]int64{42}}},
		{"set float", "SET:FLOAT (1)f 1.5", Request{Cmd: CmdSet, Type: TypeFloat, Str: [3][]byte{[]byte("f")}, Float: 1.5}},
		{"set annotation whitespace", "SET : STR(1)k(1)v", Request{Cmd: CmdSet, Type: TypeStr, Str: [3][]byte{[]byte("k"), []byte("v")}}},
		{"incr negative", "INCR_INT (1)i -50", Request{Cmd: CmdIncrInt, Str: [3][]byte{[]byte("i")}, Int: [3]int64{-50}}},
		{"incr plus sign", "INCR_INT (1)i +5", Request{Cmd: CmdIncrInt, Str: [3][]byte{[]byte("i")}, Int: [3]int64{5}}},
		{"int min", "INCR_INT (1)i -9223372036854775808", Request{Cmd: CmdIncrInt, Str: [3][]byte{[]byte("i")}, Int: [3]int64{math.MinInt64}}},
		{"int max", "INCR_INT (1)i 9223372036854775807", Request{Cmd: CmdIncrInt, Str: [3][]byte{[]byte("i")}, Int: [3]int64{math.MaxInt64}}},
		{"float python exponent", "INCR_FLOAT (1)f 1e-05", Request{Cmd: CmdIncrFloat, Str: [3][]byte{[]byte("f")}, Float: 1e-05}},
		{"float integer literal", "INCR_FLOAT (1)f 456", Request{Cmd: CmdIncrFloat, Str: [3][]byte{[]byte("f")}, Float: 456}},
		{"float leading dot", "INCR_FLOAT (1)f .5", Request{Cmd: CmdIncrFloat, Str: [3][]byte{[]byte("f")}, Float: .5}},
		{"float trailing dot", "INCR_FLOAT (1)f 5.", Request{Cmd: CmdIncrFloat, Str: [3][]byte{[]byte("f")}, Float: 5}},
		{"float inf", "INCR_FLOAT (1)f -Infinity", Request{Cmd: CmdIncrFloat, Str: [3][]byte{[]byte("f")}, Float: math.Inf(-1)}},
		{"float underflow accepted", "INCR_FLOAT (1)f 1e-400", Request{Cmd: CmdIncrFloat, Str: [3][]byte{[]byte("f")}, Float: 0}},
		{"list range two ints", "LIST_RANGE (1)k 0 -1", Request{Cmd: CmdListRange, Str: [3][]byte{[]byte("k")}, Int: [3]int64{0, -1}}},
		{"list set", "LIST_SET (6)mylist 0 (1)X", Request{Cmd: CmdListSet, Str: [3][]byte{[]byte("mylist"), []byte("X")}, Int: [3]int64{0}}},
		{"list remove", "LIST_REMOVE (1)R (1)x -1", Request{Cmd: CmdListRemove, Str: [3][]byte{[]byte("R"), []byte("x")}, Int: [3]int64{-1}}},
		{"many get", "MANY_GET (3)[(3)foo(1)i(3)nop]", Request{Cmd: CmdManyGet, Elems: bs("foo", "i", "nop")}},
		{"empty array", "MANY_GET (0)[]", Request{Cmd: CmdManyGet}},
		{"whitespace in array", "MANY_GET (2)[ (1)a \n(1)b ]", Request{Cmd: CmdManyGet, Elems: bs("a", "b")}},
		{"list push", "LIST_PUSH_RIGHT (6)mylist (2)[(1)a (1)b]", Request{Cmd: CmdListPushRight, Str: [3][]byte{[]byte("mylist")}, Elems: bs("a", "b")}},
		{"set add duplicates kept by parser", "SET_ADD (1)s (3){(1)a(1)a(1)b}", Request{Cmd: CmdSetAdd, Str: [3][]byte{[]byte("s")}, Elems: bs("a", "a", "b")}},
		{"hash", "HASH_SET (5)mykey (2){(6)field1(6)value1 (6)field2 (6)value2}", Request{Cmd: CmdHashSet, Str: [3][]byte{[]byte("mykey")}, Elems: bs("field1", "value1", "field2", "value2")}},
		{"edit user", "EDIT_USER (5)user1 ADMIN", Request{Cmd: CmdEditUser, Str: [3][]byte{[]byte("user1")}, Level: LevelAdmin}},
		{"edit user peer parses", "EDIT_USER (5)user1 PEER", Request{Cmd: CmdEditUser, Str: [3][]byte{[]byte("user1")}, Level: LevelPeer}},
		{"switch db glued", "SWITCH_DB2", Request{Cmd: CmdSwitchDB, Int: [3]int64{2}}},
		{"ping raw", "PING hello", Request{Cmd: CmdPing, Raw: []byte(" hello")}},
		{"ping glued", "PINGhello", Request{Cmd: CmdPing, Raw: []byte("hello")}},
		{"ping empty", "PING", Request{Cmd: CmdPing, Raw: []byte{}}},
		{"set move", "SET_MOVE (1)A (1)M (1)a", Request{Cmd: CmdSetMove, Str: [3][]byte{[]byte("A"), []byte("M"), []byte("a")}}},
		{"set diff into", "SET_DIFF_INTO (1)D (1)A (1)B", Request{Cmd: CmdSetDiffInto, Str: [3][]byte{[]byte("D"), []byte("A"), []byte("B")}}},
		{"consistency", "CONSISTENCY ONE ALL", Request{Cmd: CmdConsistency, Cons: [2]Consistency{ConsOne, ConsAll}}},
		{"list move", "LIST_MOVE (1)a (1)b RIGHT LEFT", Request{Cmd: CmdListMove, Str: [3][]byte{[]byte("a"), []byte("b")}, Ends: [2]End{EndRight, EndLeft}}},
		{"list move wait", "LIST_MOVE_WAIT (1)a (1)b LEFT LEFT 250", Request{Cmd: CmdListMoveWait, Str: [3][]byte{[]byte("a"), []byte("b")}, Int: [3]int64{0, 250}}},
		{"set with", "SET_WITH:STR (1)k (1)v ABSENT AT 1700000000000", Request{Cmd: CmdSetWith, Type: TypeStr, Str: [3][]byte{[]byte("k"), []byte("v")}, Int: [3]int64{0, 1700000000000}, If: KeyAbsent, TTL: TTLAt}},
		{"get set with", "GET_SET_WITH:INT (1)k 7 PRESENT KEEP 0", Request{Cmd: CmdGetSetWith, Type: TypeInt, Str: [3][]byte{[]byte("k")}, Int: [3]int64{7, 0}, If: KeyPresent, TTL: TTLKeep}},
		{"expiry if", "SET_EXPIRY_IF (1)k 1.5 SOME_EARLIER", Request{Cmd: CmdSetExpiryIf, Str: [3][]byte{[]byte("k")}, Float: 1.5, When: DeadlineSomeEarlier}},
		{"expiry if some", "SET_EXPIRY_IF (1)k 2 SOME", Request{Cmd: CmdSetExpiryIf, Str: [3][]byte{[]byte("k")}, Float: 2, When: DeadlineSome}},
		{"expiry at if", "SET_EXPIRY_AT_IF (1)k 1700000000000 LATER", Request{Cmd: CmdSetExpiryAtIf, Str: [3][]byte{[]byte("k")}, Int: [3]int64{1700000000000}, When: DeadlineLater}},
		{"set expiry", "SET_EXPIRY (3)key 0.5", Request{Cmd: CmdSetExpiry, Str: [3][]byte{[]byte("key")}, Float: 0.5}},
		{"fenced set", "FENCED (4)jobs 117 SET:STR (3)out (2)ok", Request{Cmd: CmdSet, Type: TypeStr, Str: [3][]byte{[]byte("out"), []byte("ok")},
			Fenced: true, Fence: Fence{Lock: []byte("jobs"), Token: 117}}},
		{"fenced push", "FENCED(1)l -3 LIST_PUSH_LEFT (1)q (1)[(1)x]", Request{Cmd: CmdListPushLeft, Str: [3][]byte{[]byte("q")}, Elems: bs("x"),
			Fenced: true, Fence: Fence{Lock: []byte("l"), Token: -3}}},
		{"once pop", "ONCE (2)r1 LIST_POP_LEFT (1)q 1", Request{Cmd: CmdListPopLeft, Str: [3][]byte{[]byte("q")}, Int: [3]int64{1},
			Once: OnceFirst, OnceID: []byte("r1")}},
		{"once blocking pop", "ONCE (2)r1 LIST_POP_RIGHT_WAIT (1)q 2 500", Request{Cmd: CmdListPopRightWait, Str: [3][]byte{[]byte("q")}, Int: [3]int64{2, 500},
			Once: OnceFirst, OnceID: []byte("r1")}},
		{"retry fenced", "RETRY (2)r1 FENCED (1)l 9 DEL (1)k", Request{Cmd: CmdDel, Str: [3][]byte{[]byte("k")},
			Once: OnceRetry, OnceID: []byte("r1"), Fenced: true, Fence: Fence{Lock: []byte("l"), Token: 9}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Request
			if err := ParseRequest([]byte(tt.in), &got); err != ErrNone {
				t.Fatalf("ParseRequest(%q) failed: %v", tt.in, err)
			}
			if len(got.Elems) == 0 {
				got.Elems = nil
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseRequest(%q)\n got %+v\nwant %+v", tt.in, got, tt.want)
			}
		})
	}
}

func TestParseRequestErrors(t *testing.T) {
	tests := []struct {
		in   string
		want ParseError
	}{
		{"", ErrInvalidOperation},
		{"   ", ErrInvalidOperation},
		{"get (3)foo", ErrInvalidOperation},
		{"FOO", ErrInvalidOperation},
		{"STR_SET (1)k (1)v", ErrInvalidOperation},
		{"GET", ErrUnexpectedEnd},
		{"GET   ", ErrUnexpectedEnd},
		{"GET (3)foo junk", ErrTrailing},
		{"EXIT now", ErrTrailing},
		{"GET foo", ErrExpectedLength},
		{"GET (3foo", ErrExpectedLength},
		{"GET (3", ErrExpectedLength},
		{"GET ( 3)foo", ErrInvalidLength},
		{"GET (+3)foo", ErrInvalidLength},
		{"GET (-1)foo", ErrInvalidLength},
		{"GET ()foo", ErrInvalidLength},
		{"GET (", ErrInvalidLength},
		{"GET (99999999999999999999)foo", ErrLengthRange},
		{"GET (4)foo", ErrStrLength},
		{"INCR_INT (1)i", ErrUnexpectedEnd},
		{"INCR_INT (1)i x", ErrInvalidInt},
		{"INCR_INT (1)i -", ErrInvalidInt},
		{"INCR_INT (1)i 1.5", ErrTrailing},
		{"INCR_INT (1)i 5abc", ErrTrailing},
		{"INCR_INT (1)i 9223372036854775808", ErrIntRange},
		{"INCR_INT (1)i -9223372036854775809", ErrIntRange},
		{"INCR_INT (1)i 99999999999999999999999", ErrIntRange},
		{"INCR_FLOAT (1)f x", ErrInvalidFloat},
		{"INCR_FLOAT (1)f .", ErrInvalidFloat},
		{"INCR_FLOAT (1)f e5", ErrInvalidFloat},
		{"INCR_FLOAT (1)f 0x10", ErrTrailing},
		{"INCR_FLOAT (1)f 1e400", ErrFloatRange},
		{"INCR_FLOAT (1)f -1e400", ErrFloatRange},
		{"INCR_FLOAT (1)f 1e", ErrTrailing},
		{"INCR_FLOAT (1)f nan(1)", ErrTrailing},
		{"SET (1)a (1)b", ErrExpectedType},
		{"SET", ErrExpectedType},
		{"SET:LIST (1)a (1)b", ErrInvalidTypeColon},
		{"SET:ARR (1)a (1)b", ErrInvalidTypeColon},
		{"SET:HASH (1)a (1)b", ErrInvalidTypeColon},
		{"SET:SET (1)a (1)b", ErrInvalidTypeColon},
		{"SET:BOOL (1)a (1)b", ErrInvalidType},
		{"SET:NULL (1)a", ErrInvalidType},
		{"SET:", ErrInvalidType},
		{"SET:STRING (1)a (1)b", ErrExpectedLength},
		{"SET:INT (1)a (1)b", ErrInvalidInt},
		{"EDIT_USER (4)abcd", ErrInvalidLevel},
		{"EDIT_USER (5)user1 FOO", ErrInvalidLevel},
		{"EDIT_USER (5)user1 USERX", ErrTrailing},
		{"MANY_GET", ErrUnexpectedEnd},
		{"MANY_GET (1)(1)a", ErrArrOpen},
		{"MANY_GET (1) [(1)a]", ErrArrOpen},
		{"MANY_GET (1)[(1)a", ErrArrClose},
		{"MANY_GET (1)[(1)a(1)b]", ErrArrClose},
		{"MANY_GET (2)[(1)a]", ErrExpectedLength},
		{"MANY_GET (2)[(1)a", ErrUnexpectedEnd},
		{"LIST_PUSH_LEFT (1)k (1)(1)a", ErrListOpen},
		{"LIST_PUSH_LEFT (1)k (1)[(1)a", ErrListClose},
		{"SET_ADD (1)k (1)[(1)a]", ErrSetOpen},
		{"SET_ADD (1)k (1){(1)a", ErrSetClose},
		{"HASH_SET (1)k (1)[(1)a(1)b]", ErrHashOpen},
		{"HASH_SET (1)k (1){(1)a(1)b", ErrHashClose},
		{"HASH_SET (1)k (1){(1)a}", ErrExpectedLength},
		{"SWITCH_DB", ErrUnexpectedEnd},
		{"CONSISTENCY ONE", ErrUnexpectedEnd},
		{"CONSISTENCY ONE SOME", ErrInvalidConsistency},
		{"LIST_MOVE (1)a (1)b LEFT", ErrUnexpectedEnd},
		{"LIST_MOVE (1)a (1)b LEFT UP", ErrInvalidEnd},
		{"LIST_MOVE (1)a (1)b left right", ErrInvalidEnd},
		{"LIST_MOVE (1)a (1)b LEFT RIGHTS", ErrTrailing},
		{"SET_EXPIRY_IF (1)k 1", ErrUnexpectedEnd},
		{"SET_WITH:STR (1)k (1)v NX CLEAR 0", ErrInvalidSetOption},
		{"SET_WITH:STR (1)k (1)v ABSENT EX 0", ErrInvalidSetOption},
		{"SET_WITH:STR (1)k (1)v ABSENT AT", ErrUnexpectedEnd},
		{"SET_EXPIRY_IF (1)k 1 NX", ErrInvalidDeadlineIf},
		{"SET_EXPIRY_IF (1)k 1 some", ErrInvalidDeadlineIf},
		{"SET_EXPIRY_AT_IF (1)k 1 SOMETIMES", ErrTrailing},
		{"ONCE (1)r LIST_MOVE (1)a (1)b LEFT RIGHT", ErrOnceCommand},
		{"ONCE (1)r LIST_MOVE_WAIT (1)a (1)b LEFT RIGHT 10", ErrOnceCommand},
		{"FENCED (1)l 5 GET (1)k", ErrFencedCommand},
		{"FENCED (1)l 5 SET_MOVE (1)a (1)b (1)m", ErrFencedCommand},
		{"FENCED (1)l 5 FENCED (1)l 5 DEL (1)k", ErrFencedCommand},
		{"FENCED (1)l 5 PIPE (0)", ErrFencedCommand},
		{"FENCED (1)l 5 RESET", ErrFencedCommand},
		{"FENCED (1)l 5", ErrInvalidOperation},
		{"FENCED (1)l DEL (1)k", ErrInvalidInt},
		{"FENCED 5 DEL (1)k", ErrExpectedLength},
		{"FENCED (1)l 5 DEL (1)k x", ErrTrailing},
		{"ONCE (1)r GET (1)k", ErrOnceCommand},
		{"ONCE (1)r ONCE (1)r DEL (1)k", ErrOnceCommand},
		{"RETRY (1)r RESET", ErrOnceCommand},
		{"FENCED (1)l 5 ONCE (1)r DEL (1)k", ErrFencedCommand},
		{"ONCE (1)r FENCED (1)l 5 GET (1)k", ErrFencedCommand},
		{"ONCE DEL (1)k", ErrExpectedLength},
		{"RETRY (1)r", ErrInvalidOperation},
	}
	for _, tt := range tests {
		var req Request
		if got := ParseRequest([]byte(tt.in), &req); got != tt.want {
			t.Errorf("ParseRequest(%q) = %v; want %v", tt.in, got, tt.want)
		}
	}
}

func TestBadRequestBodies(t *testing.T) {
	// The exact frames of PROTOCOL.md §4.3.
	want := map[ParseError]string{
		ErrInvalidOperation:  "BAD_REQUEST(34) InvalidRequest: invalid operation",
		ErrTrailing:          "BAD_REQUEST(55) InvalidRequest: unexpected character at end of message",
		ErrUnexpectedEnd:     "BAD_REQUEST(42) InvalidRequest: unexpected end of message",
		ErrExpectedLength:    "BAD_REQUEST(42) InvalidRequest: expected length specifier",
		ErrLengthRange:       "BAD_REQUEST(36) InvalidRequest: length out of range",
		ErrInvalidLength:     "BAD_REQUEST(31) InvalidRequest: invalid length",
		ErrStrLength:         "BAD_REQUEST(39) InvalidRequest: string length mismatch",
		ErrInvalidInt:        "BAD_REQUEST(32) InvalidRequest: invalid integer",
		ErrIntRange:          "BAD_REQUEST(37) InvalidRequest: integer out of range",
		ErrInvalidFloat:      "BAD_REQUEST(30) InvalidRequest: invalid float",
		ErrFloatRange:        "BAD_REQUEST(35) InvalidRequest: float out of range",
		ErrExpectedType:      "BAD_REQUEST(37) InvalidRequest: expected object type",
		ErrInvalidType:       "BAD_REQUEST(36) InvalidRequest: invalid object type",
		ErrInvalidTypeColon:  "BAD_REQUEST(37) InvalidRequest: invalid object type:",
		ErrInvalidLevel:      "BAD_REQUEST(35) InvalidRequest: invalid auth level",
		ErrArrOpen:           "BAD_REQUEST(46) InvalidRequest: array not opened with bracket",
		ErrArrClose:          "BAD_REQUEST(46) InvalidRequest: array not closed with bracket",
		ErrListOpen:          "BAD_REQUEST(45) InvalidRequest: list not opened with bracket",
		ErrListClose:         "BAD_REQUEST(45) InvalidRequest: list not closed with bracket",
		ErrSetOpen:           "BAD_REQUEST(48) InvalidRequest: set not opened with '{' bracket",
		ErrSetClose:          "BAD_REQUEST(48) InvalidRequest: set not closed with '}' bracket",
		ErrHashOpen:          "BAD_REQUEST(49) InvalidRequest: hash not opened with '{' bracket",
		ErrHashClose:         "BAD_REQUEST(49) InvalidRequest: hash not closed with '}' bracket",
		ErrFencedCommand:     "BAD_REQUEST(50) InvalidRequest: FENCED carries a write of one key",
		ErrOnceCommand:       "BAD_REQUEST(74) InvalidRequest: ONCE and RETRY carry a write of one key or a blocking pop",
		ErrInvalidEnd:        "BAD_REQUEST(33) InvalidRequest: invalid list end",
		ErrInvalidDeadlineIf: "BAD_REQUEST(43) InvalidRequest: invalid deadline condition",
		ErrInvalidSetOption:  "BAD_REQUEST(35) InvalidRequest: invalid SET option",
	}
	for e, w := range want {
		if got := string(AppendBadRequest(nil, e)); got != w {
			t.Errorf("AppendBadRequest(%v) = %q; want %q", e, got, w)
		}
	}
}

func TestParseFloatNaN(t *testing.T) {
	for _, in := range []string{"nan", "NaN", "-nan", "+NAN"} {
		var req Request
		if err := ParseRequest([]byte("INCR_FLOAT (1)f "+in), &req); err != ErrNone {
			t.Fatalf("%q: %v", in, err)
		}
		if !math.IsNaN(req.Float) {
			t.Errorf("%q parsed as %v", in, req.Float)
		}
	}
}

func TestSkipRequest(t *testing.T) {
	tests := []struct {
		in   string
		end  int
		want ParseError
	}{
		{"GET(3)fooGET(3)bar", 9, ErrNone},
		{"PIPE(2)GET(3)fooGET(3)barGET(1)x", 25, ErrNone},
		{"PIPE(1)PIPE(1)PINGGET(1)x", 18, ErrNone},
		{"PIPE(2)GET(3)foo", 16, ErrInvalidOperation},
		{"PIPE x", 5, ErrExpectedLength},
		{"PINGGET(1)x", 4, ErrNone},
	}
	for _, tt := range tests {
		var req Request
		end, err := SkipRequest([]byte(tt.in), 0, 1, &req)
		if err != tt.want || (err == ErrNone && end != tt.end) {
			t.Errorf("SkipRequest(%q) = %d, %v; want %d, %v", tt.in, end, err, tt.end, tt.want)
		}
	}
}

func TestRequestClone(t *testing.T) {
	buf := []byte("HASH_SET (1)k (1){(1)f(1)v}")
	var req Request
	if err := ParseRequest(buf, &req); err != ErrNone {
		t.Fatal(err)
	}
	c := req.Clone()
	for i := range buf {
		buf[i] = 'z'
	}
	if string(c.Str[0]) != "k" || string(c.Elems[0]) != "f" || string(c.Elems[1]) != "v" {
		t.Errorf("clone shares memory with the frame: %+v", c)
	}
}

func TestParseGetSetAllocatesNothing(t *testing.T) {
	get := []byte("GET (10)key:000001")
	set := []byte("SET:STR (10)key:000001 (5)hello")
	var req Request
	allocs := testing.AllocsPerRun(1000, func() {
		if ParseRequest(get, &req) != ErrNone || ParseRequest(set, &req) != ErrNone {
			panic("parse failed")
		}
	})
	if allocs != 0 {
		t.Errorf("parsing GET and SET allocates %v times per run", allocs)
	}
}

// TestWrappedCommand: the command a ONCE or RETRY frame carries, which a
// router reads to run a blocking pop with an id on the waiting path.
func TestWrappedCommand(t *testing.T) {
	for in, want := range map[string]Command{
		"ONCE (2)r1 LIST_POP_LEFT_WAIT (1)q 1 100": CmdListPopLeftWait,
		"RETRY (0) LIST_POP_RIGHT_WAIT (1)q 1 100": CmdListPopRightWait,
		"ONCE (2)r1 SET:STR (1)k (1)v":             CmdSet,
		"ONCE (2)r1 FENCED (1)l 5 DEL (1)k":        CmdFenced,
		"LIST_POP_LEFT_WAIT (1)q 1 100":            CmdNone,
		"ONCE 5 DEL (1)k":                          CmdNone,
		"ONCE (9)r":                                CmdNone,
		"":                                         CmdNone,
	} {
		if got := WrappedCommand([]byte(in)); got != want {
			t.Errorf("WrappedCommand(%q) = %v, want %v", in, got, want)
		}
	}
}
