package resp

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

func words(s string) [][]byte {
	var out [][]byte
	for _, w := range strings.Fields(s) {
		out = append(out, []byte(w))
	}
	return out
}

func newPlan() *Plan { return &Plan{New: func() *proto.Request { return new(proto.Request) }} }

// build looks a command line up and builds its plan.
func build(t *testing.T, line string) (*Plan, error) {
	t.Helper()
	args := words(line)
	s, err := Lookup(args)
	if err != nil {
		return nil, err
	}
	p := newPlan()
	p.Reset(s.Shape)
	if s.Build == nil {
		return p, nil
	}
	return p, s.Build(args, p)
}

// TestPlans checks what Redis commands become: the Vanity requests, in
// items, as the Vanity protocol would write them, and the shape.
func TestPlans(t *testing.T) {
	cases := []struct {
		line  string
		items []string // each item's requests, as Vanity frames, joined by " ; "
		shape Shape
	}{
		{"GET k", []string{"GET (1)k"}, ShapeBulk},
		{"get k", []string{"GET (1)k"}, ShapeBulk},
		{"SET k v", []string{"SET:STR (1)k (1)v"}, ShapeStatus},
		{"SET k 42", []string{"SET:INT (1)k 42"}, ShapeStatus},
		{"SET k -7", []string{"SET:INT (1)k -7"}, ShapeStatus},
		{"SET k 007", []string{"SET:STR (1)k (3)007"}, ShapeStatus},
		{"SET k 1.5", []string{"SET:FLOAT (1)k 1.5"}, ShapeStatus},
		{"SET k 0.1234567", []string{"SET:STR (1)k (9)0.1234567"}, ShapeStatus}, // more than the wire's six decimals
		{"SET k 1e3", []string{"SET:STR (1)k (3)1e3"}, ShapeStatus},
		{"SET k v EX 10", []string{"SET_TTL:STR (1)k (1)v 10000"}, ShapeStatus},
		{"SET k 7 NX", []string{"SET_IF_ABSENT:INT (1)k 7"}, ShapeOKOrNil},
		{"SET lock me NX PX 30000", []string{"SET_TTL_IF_ABSENT:STR (4)lock (2)me 30000"}, ShapeOKOrNil},
		{"SET lock me EX 30 NX", []string{"SET_TTL_IF_ABSENT:STR (4)lock (2)me 30000"}, ShapeOKOrNil},
		{"SETNX k v", []string{"SET_IF_ABSENT:STR (1)k (1)v"}, ShapeBool},
		{"SET k 8 GET", []string{"GET_SET:INT (1)k 8"}, ShapeBulk},
		{"GETSET k v", []string{"GET_SET:STR (1)k (1)v"}, ShapeBulk},
		{"GETDEL k", []string{"GET_DEL (1)k"}, ShapeBulk},
		{"APPEND k xy", []string{"STR_APPEND (1)k (2)xy"}, ShapeInt},
		{"HINCRBY h f -2", []string{"HASH_INCR (1)h (1)f -2"}, ShapeInt},
		{"HINCRBYFLOAT h f 0.5", []string{"HASH_INCR_FLOAT (1)h (1)f 0.5"}, ShapeBulk},
		{"STRLEN k", []string{"GET (1)k"}, ShapeLen},
		{"SET k v px 250", []string{"SET_TTL:STR (1)k (1)v 250"}, ShapeStatus},
		{"SINTERCARD 2 a b", []string{"SET_INTERSECT_LEN_UPTO (2)[(1)a(1)b] 0"}, ShapeInt},
		{"SINTERCARD 1 a LIMIT 0", []string{"SET_INTERSECT_LEN_UPTO (1)[(1)a] 0"}, ShapeInt},
		{"SINTERCARD 1 a LIMIT 5", []string{"SET_INTERSECT_LEN_UPTO (1)[(1)a] 5"}, ShapeInt},
		{"SAVE", []string{"PERSIST"}, ShapeStatus},
		{"GETEX k", []string{"GET (1)k"}, ShapeBulk},
		{"COPY a b", []string{"COPY_IF_ABSENT (1)a (1)b"}, ShapeBool},
		{"MEMORY USAGE k", []string{"KEY_MEMORY (1)k"}, ShapeInt},
		{"RANDOMKEY", []string{"RANDOM_KEY"}, ShapeBulk},
		{"memory usage k SAMPLES 0", []string{"KEY_MEMORY (1)k"}, ShapeInt},
		{"COPY a b replace", []string{"COPY (1)a (1)b"}, ShapeBool},
		{"PEXPIRETIME k", []string{"EXISTS (1)k ; GET_EXPIRY_AT (1)k"}, ShapePExpireTime},
		{"GETEX k EX 10", []string{"GET (1)k ; SET_EXPIRY (1)k 10"}, ShapeBulk},
		{"GETEX k px 1500", []string{"GET (1)k ; SET_EXPIRY (1)k 1.5"}, ShapeBulk},
		{"GETEX k EXAT 1700000000", []string{"GET (1)k ; SET_EXPIRY_AT (1)k 1700000000000"}, ShapeBulk},
		{"GETEX k PERSIST", []string{"GET (1)k ; CLEAR_EXPIRY (1)k"}, ShapeBulk},
		{"LPOS l c", []string{"LIST_POS_WITHIN (1)l (1)c 1 1 0"}, ShapeFirstInt},
		{"LPOS l c RANK -2 COUNT 0 MAXLEN 0", []string{"LIST_POS_WITHIN (1)l (1)c -2 0 0"}, ShapeInts},
		{"LPOS l c MAXLEN 10", []string{"LIST_POS_WITHIN (1)l (1)c 1 1 10"}, ShapeFirstInt},
		{"SRANDMEMBER s", []string{"SET_RANDOM (1)s 1"}, ShapePopOne},
		{"SRANDMEMBER s -5", []string{"SET_RANDOM (1)s -5"}, ShapeArray},
		{"HRANDFIELD h", []string{"HASH_RANDOM (1)h 1"}, ShapePopOne},
		{"HRANDFIELD h 3", []string{"HASH_RANDOM (1)h 3"}, ShapeFields},
		{"HRANDFIELD h -3 withvalues", []string{"HASH_RANDOM (1)h -3"}, ShapePairs},
		{"SCAN 0", []string{"SCAN (1)0 (1)* 10"}, 0},
		{"SCAN 7 COUNT 200000 MATCH k*", []string{"SCAN (1)7 (2)k* 100000"}, 0},
		{"SSCAN s 0", []string{"SET_SCAN (1)s 0 (0) 10"}, ShapeScanPage},
		{"SSCAN s 42 MATCH a* COUNT 500", []string{"SET_SCAN (1)s 42 (2)a* 500"}, ShapeScanPage},
		{"HSCAN h 7 count 1000000", []string{"HASH_SCAN (1)h 7 (0) 100000"}, ShapeScanPage},
		{"SET k 5 KEEPTTL", []string{"SET_KEEP_TTL:INT (1)k 5"}, ShapeStatus},
		{"SET k v EXAT 1700000000", []string{"SET_WITH:STR (1)k (1)v ALWAYS AT 1700000000000"}, ShapeOKOrNil},
		{"SET k 5 pxat 1700000000123", []string{"SET_WITH:INT (1)k 5 ALWAYS AT 1700000000123"}, ShapeOKOrNil},
		{"SET k v KEEPTTL XX", []string{"SET_WITH:STR (1)k (1)v PRESENT KEEP 0"}, ShapeOKOrNil},
		{"SET k v NX keepttl", []string{"SET_WITH:STR (1)k (1)v ABSENT KEEP 0"}, ShapeOKOrNil},
		{"SET k v NX PXAT 10", []string{"SET_WITH:STR (1)k (1)v ABSENT AT 10"}, ShapeOKOrNil},
		{"SET k v GET EX 10", []string{"GET_SET_WITH:STR (1)k (1)v ALWAYS AFTER 10000"}, ShapeBulk},
		{"SET k v NX GET", []string{"GET_SET_WITH:STR (1)k (1)v ABSENT CLEAR 0"}, ShapeBulk},
		{"SET k 7 XX GET KEEPTTL", []string{"GET_SET_WITH:INT (1)k 7 PRESENT KEEP 0"}, ShapeBulk},
		{"SET k v get exat 1700000000 xx", []string{"GET_SET_WITH:STR (1)k (1)v PRESENT AT 1700000000000"}, ShapeBulk},
		{"SET k v EX 10 EX 20", []string{"SET_TTL:STR (1)k (1)v 20000"}, ShapeStatus},
		{"SET k v NX NX", []string{"SET_IF_ABSENT:STR (1)k (1)v"}, ShapeOKOrNil},
		{"SETEX k 2 5", []string{"SET_TTL:INT (1)k 5 2000"}, ShapeStatus},
		{"MSET a 1 b x", []string{"SET:INT (1)a 1", "SET:STR (1)b (1)x"}, ShapeAllOK},
		{"DEL a b c", []string{"DEL (1)a", "DEL (1)b", "DEL (1)c"}, ShapeCount},
		{"EXISTS a", []string{"EXISTS (1)a"}, ShapeCount},
		{"TOUCH a b", []string{"EXISTS (1)a", "EXISTS (1)b"}, ShapeCount},
		{"SMISMEMBER s x y", []string{"SET_CONTAINS (1)s (1)x", "SET_CONTAINS (1)s (1)y"}, ShapeBools},
		{"LMOVE a b left RIGHT", []string{"LIST_MOVE (1)a (1)b LEFT RIGHT"}, ShapeBulk},
		{"RPOPLPUSH a b", []string{"LIST_MOVE (1)a (1)b RIGHT LEFT"}, ShapeBulk},
		{"BRPOPLPUSH a b 0.5", []string{"LIST_MOVE_WAIT (1)a (1)b RIGHT LEFT 500"}, ShapeBulk},
		{"BLPOP a 0.5", []string{"LIST_POP_LEFT_WAIT (1)a 1 500"}, ShapeKeyedPop},
		{"BLPOP a b c 2", []string{"LIST_POP_LEFT_WAIT_ANY (3)[(1)a(1)b(1)c] 1 2000"}, ShapeKeyedPop},
		{"BRPOP a b 0", []string{"LIST_POP_RIGHT_WAIT_ANY (2)[(1)a(1)b] 1 3600000"}, ShapeKeyedPop},
		{"LSET l -1 x", []string{"EXISTS (1)l ; LIST_SET (1)l -1 (1)x"}, ShapeListSet},
		// Redis's HSET writes its pairs in order: a field named twice ends
		// with its last value (HASH_UPDATE keeps the first).
		{"HSET h f a g b f c", []string{"HASH_UPDATE (1)h (2){(1)g(1)b(1)f(1)c}"}, ShapeInt},
		{"HMSET h f a f b f c", []string{"HASH_UPDATE (1)h (1){(1)f(1)c}"}, ShapeOK},
		{"HSET h f1 1 f2 2 f3 3 f4 4 f5 5 f6 6 f7 7 f8 8 f9 9 f10 10 f11 11 f12 12 f13 13 f14 14 f15 15 f16 16 f1 x",
			[]string{"HASH_UPDATE (1)h (16){(2)f2(1)2(2)f3(1)3(2)f4(1)4(2)f5(1)5(2)f6(1)6(2)f7(1)7(2)f8(1)8(2)f9(1)9(3)f10(2)10(3)f11(2)11(3)f12(2)12(3)f13(2)13(3)f14(2)14(3)f15(2)15(3)f16(2)16(2)f1(1)x}"}, ShapeInt},
		// Redis's LTRIM empties a list for a pair LIST_TRIM leaves it whole
		// for (PROTOCOL.md §6.3): 1 0 empties any list.
		{"LTRIM l -2 -3", []string{"LIST_TRIM (1)l 1 0"}, ShapeOK},
		{"LTRIM l 5 2", []string{"LIST_TRIM (1)l 1 0"}, ShapeOK},
		{"LTRIM l -2 -1", []string{"LIST_TRIM (1)l -2 -1"}, ShapeOK},
		{"LTRIM l 2 -3", []string{"LIST_TRIM (1)l 2 -3"}, ShapeOK},
		// A count of 0: an empty array if the list has elements, else null.
		{"LPOP l 0", []string{"LIST_LEN (1)l"}, ShapePopNone},
		{"RPOP l 0", []string{"LIST_LEN (1)l"}, ShapePopNone},
		{"SPOP s 0", []string{"SET_REMOVE (1)s 0"}, ShapeSet},
		{"LMPOP 2 a b LEFT", []string{"LIST_POP_LEFT_WAIT_ANY (2)[(1)a(1)b] 1 0"}, ShapeKeyedPops},
		{"LMPOP 1 a right count 5", []string{"LIST_POP_RIGHT_WAIT_ANY (1)[(1)a] 5 0"}, ShapeKeyedPops},
		{"BLMPOP 0.5 2 a b Left COUNT 3", []string{"LIST_POP_LEFT_WAIT_ANY (2)[(1)a(1)b] 3 500"}, ShapeKeyedPops},
		{"BLMPOP 0 1 left RIGHT", []string{"LIST_POP_RIGHT_WAIT_ANY (1)[(4)left] 1 3600000"}, ShapeKeyedPops},
		{"TTL a", []string{"EXISTS (1)a ; GET_EXPIRY (1)a"}, ShapeTTL},
		{"EXPIRE a 10", []string{"EXISTS (1)a ; SET_EXPIRY (1)a 10"}, ShapeExpire},
		{"PEXPIRE a 1500", []string{"EXISTS (1)a ; SET_EXPIRY (1)a 1.5"}, ShapeExpire},
		{"EXPIREAT a 1700000000", []string{"EXISTS (1)a ; SET_EXPIRY_AT (1)a 1700000000000"}, ShapeExpire},
		{"PEXPIREAT a -3", []string{"EXISTS (1)a ; SET_EXPIRY_AT (1)a -3"}, ShapeExpire},
		{"EXPIRE a 10 nx", []string{"SET_EXPIRY_IF (1)a 10 NONE"}, ShapeBool},
		{"EXPIRE a 10 XX", []string{"SET_EXPIRY_IF (1)a 10 SOME"}, ShapeBool},
		{"PEXPIRE a 1500 GT", []string{"SET_EXPIRY_IF (1)a 1.5 LATER"}, ShapeBool},
		{"EXPIRE a 10 XX GT", []string{"SET_EXPIRY_IF (1)a 10 LATER"}, ShapeBool},
		{"EXPIRE a 10 LT", []string{"SET_EXPIRY_IF (1)a 10 EARLIER"}, ShapeBool},
		{"EXPIRE a 10 lt xx", []string{"SET_EXPIRY_IF (1)a 10 SOME_EARLIER"}, ShapeBool},
		{"EXPIREAT a 1700000000 NX", []string{"SET_EXPIRY_AT_IF (1)a 1700000000000 NONE"}, ShapeBool},
		{"PEXPIREAT a 5 XX LT", []string{"SET_EXPIRY_AT_IF (1)a 5 SOME_EARLIER"}, ShapeBool},
		{"PERSIST a", []string{"GET_EXPIRY (1)a ; CLEAR_EXPIRY (1)a"}, ShapePersist},
		{"INCR n", []string{"INCR_INT_TEXT (1)n 1"}, ShapeInt},
		{"DECRBY n 5", []string{"INCR_INT_TEXT (1)n -5"}, ShapeInt},
		{"INCRBYFLOAT n 0.5", []string{"INCR_NUMBER (1)n 0.5"}, ShapeFloat},
		{"LPUSH l a b", []string{"LIST_PUSH_LEFT (1)l (2)[(1)a(1)b]"}, ShapeInt},
		{"LPOP l", []string{"LIST_POP_LEFT (1)l 1"}, ShapePopOne},
		{"LPOP l 3", []string{"LIST_POP_LEFT (1)l 3"}, ShapePopMany},
		{"RPOP l 3", []string{"LIST_POP_RIGHT (1)l 3"}, ShapePopTail},
		{"LREM l -2 x", []string{"LIST_REMOVE (1)l (1)x -2"}, ShapeInt},
		{"SPOP s", []string{"SET_REMOVE (1)s 1"}, ShapePopOne},
		{"SPOP s 2", []string{"SET_REMOVE (1)s 2"}, ShapeSet}, // none: an empty set, not LPOP's null array
		{"SUNIONSTORE d a b", []string{"SET_UNION_INTO (1)d (2)[(1)a(1)b]"}, ShapeInt},
		{"HSET h f v g w", []string{"HASH_UPDATE (1)h (2){(1)f(1)v(1)g(1)w}"}, ShapeInt},
		{"HGET h f", []string{"HASH_GET (1)h (1)f"}, ShapeBulkOrNil},
		{"SELECT 3", []string{"SWITCH_DB 3"}, ShapeStatus},
		{"AUTH u p", []string{"AUTH (1)u (1)p"}, ShapeAuth},
		{"VANITY.CONSISTENCY one all", []string{"CONSISTENCY ONE ALL"}, ShapeStatus},
	}
	for _, c := range cases {
		p, err := build(t, c.line)
		if err != nil {
			t.Errorf("%s: %v", c.line, err)
			continue
		}
		var items []string
		for k := range p.Items {
			var reqs []string
			for _, r := range p.ItemReqs(k) {
				reqs = append(reqs, string(proto.AppendRequest(nil, r)))
			}
			items = append(items, strings.Join(reqs, " ; "))
		}
		if strings.Join(items, " | ") != strings.Join(c.items, " | ") || p.Shape != c.shape {
			t.Errorf("%s:\n got %q, shape %d\nwant %q, shape %d", c.line, items, p.Shape, c.items, c.shape)
		}
	}
}

// TestRefusals checks Redis's wording for commands refused before they
// run.
func TestRefusals(t *testing.T) {
	cases := []struct{ line, want string }{
		{"NOSUCH a b", "ERR unknown command 'NOSUCH', with args beginning with: 'a' 'b' "},
		{"GET", "ERR wrong number of arguments for 'get' command"},
		{"GET a b", "ERR wrong number of arguments for 'get' command"},
		{"MSET a 1 b", "ERR wrong number of arguments for 'mset' command"},
		{"HSET h f", "ERR wrong number of arguments for 'hset' command"},
		{"INCRBY n x", "ERR value is not an integer or out of range"},
		// Integers are read as Redis reads them: no plus sign, no leading
		// zero, no "-0".
		{"INCRBY n +1", "ERR value is not an integer or out of range"},
		{"INCRBY n 007", "ERR value is not an integer or out of range"},
		{"LRANGE l -0 1", "ERR value is not an integer or out of range"},
		{"HINCRBY h f 01", "ERR value is not an integer or out of range"},
		{"INCRBYFLOAT n x", "ERR value is not a valid float"},
		{"SET k v EX 0", "ERR invalid expire time in 'set' command"},
		{"SET k v EX", "ERR syntax error"},
		{"SET k v BOGUS", "ERR syntax error"},
		{"SINTERCARD 0 a", "ERR numkeys should be greater than 0"},
		{"SINTERCARD 3 a b", "ERR Number of keys can't be greater than number of args"},
		{"SINTERCARD 1 a LIMIT x", "ERR LIMIT can't be negative"},
		{"SINTERCARD 1 a LIMIT -1", "ERR LIMIT can't be negative"},
		{"SINTERCARD 1 a b", "ERR syntax error"},
		{"COPY a a", "ERR source and destination objects are the same"},
		{"FLUSHALL NOW", "ERR syntax error"},
		{"MEMORY DOCTOR", "ERR MEMORY DOCTOR is not supported by Vanity: MEMORY USAGE is"},
		{"MEMORY USAGE", "ERR syntax error"},
		{"MEMORY USAGE k SAMPLES -1", "ERR value is out of range, must be positive"},
		{"FLUSHDB LATER", "ERR syntax error"},
		{"COPY a b DB 16", "ERR DB index is out of range"},
		{"COPY a b DB", "ERR syntax error"},
		{"COPY a b NOW", "ERR syntax error"},
		{"GETEX k EX 0", "ERR invalid expire time in 'getex' command"},
		{"GETEX k EX", "ERR syntax error"},
		{"GETEX k PERSIST 1", "ERR syntax error"},
		{"GETEX k KEEPTTL 1", "ERR syntax error"},
		{"GETEX k EX x", "ERR value is not an integer or out of range"},
		{"LPOS l c RANK 0", "ERR RANK can't be zero"},
		{"LPOS l c COUNT -1", "ERR COUNT can't be negative"},
		{"LPOS l c MAXLEN -1", "ERR MAXLEN can't be negative"},
		{"LPOS l c RANK", "ERR syntax error"},
		{"LPOS l c FIRST 1", "ERR syntax error"},
		{"SRANDMEMBER s x", "ERR value is not an integer or out of range"},
		{"SRANDMEMBER s 1 2", "ERR syntax error"},
		{"SRANDMEMBER s 1 WITHVALUES", "ERR syntax error"},
		{"HRANDFIELD h 1 WITHSCORES", "ERR syntax error"},
		{"SSCAN s x", "ERR invalid cursor"},
		{"SSCAN s -1", "ERR invalid cursor"},
		{"SSCAN s 0 COUNT 0", "ERR syntax error"},
		{"HSCAN h 0 MATCH", "ERR syntax error"},
		{"HSCAN h 0 NOVALUES", "ERR syntax error"},
		{"SET k v EX 5 KEEPTTL", "ERR syntax error"},
		{"SET k v KEEPTTL PXAT 5", "ERR syntax error"},
		{"SET k v EXAT 0", "ERR invalid expire time in 'set' command"},
		{"SET k v PXAT -5", "ERR invalid expire time in 'set' command"},
		{"SET k v EXAT 10 PX 5", "ERR syntax error"},
		{"SET k v PX 5 PXAT 10", "ERR syntax error"},
		{"SET k v NX XX", "ERR syntax error"},
		{"SET k v EX 10 PX 10", "ERR syntax error"},
		{"SET k v KEEPTTL EX 10", "ERR syntax error"},
		{"SET k v NX GET XX", "ERR syntax error"},
		{"SELECT 16", "ERR DB index is out of range"},
		{"EXPIRE k 10 NX XX", "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"EXPIRE k 10 GT NX", "ERR NX and XX, GT or LT options at the same time are not compatible"},
		{"PEXPIREAT k 10 GT LT", "ERR GT and LT options at the same time are not compatible"},
		{"EXPIRE k 10 SOON", "ERR Unsupported option SOON"},
		{"EXPIRE k ten NX", "ERR value is not an integer or out of range"},
		{"LPOP l -1", "ERR value is out of range, must be positive"},
		{"LMPOP 0 a LEFT", "ERR numkeys should be greater than 0"},
		{"LMPOP x a LEFT", "ERR numkeys should be greater than 0"},
		{"LMPOP 2 a LEFT", "ERR syntax error"},
		{"LMPOP 1 a UP", "ERR syntax error"},
		{"LMPOP 1 a LEFT COUNT 0", "ERR count should be greater than 0"},
		{"LMPOP 1 a LEFT COUNT", "ERR syntax error"},
		{"LMPOP 1 a LEFT COUNT 1 COUNT 2", "ERR syntax error"},
		{"LMPOP 1 a LEFT MORE", "ERR syntax error"},
		{"BLMPOP -1 1 a LEFT", "ERR timeout is not a float or out of range"},
		{"BLMPOP 1 0 a LEFT", "ERR numkeys should be greater than 0"},
		{"BLMPOP x 1 a UP", "ERR syntax error"},
		{"SETRANGE s -1 x", "ERR offset is out of range"},
		{"SCAN 0 COUNT", "ERR syntax error"},
		{"SCAN 0 TYPE", "ERR syntax error"},
		{"SSCAN s 0 TYPE string", "ERR syntax error"},
		{"VANITY.CONSISTENCY one some", "ERR consistency must be ONE, QUORUM, ALL or SERIAL"},
	}
	for _, c := range cases {
		_, err := build(t, c.line)
		var e *Error
		if !errors.As(err, &e) || !strings.HasPrefix(e.Prefix+" "+e.Msg, c.want) {
			t.Errorf("%s: %v, want %q", c.line, err, c.want)
		}
	}
}

// TestTable checks the table's invariants: lower-case unique names, a
// plan for every command that runs requests, and one kind of request per
// plan (all data, or one session or server request).
func TestTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range Specs() {
		if s.Name != strings.ToLower(s.Name) || seen[s.Name] {
			t.Errorf("%q: names are lower case and unique", s.Name)
		}
		seen[s.Name] = true
		for _, name := range []string{s.Name, strings.ToUpper(s.Name), strings.ToUpper(s.Name[:1]) + s.Name[1:]} {
			if got := find([]byte(name)); got != s {
				t.Errorf("find(%q) = %v, want the spec of %s", name, got, s.Name)
			}
		}
		switch s.Kind {
		case KindRequests, KindScan, KindPublish:
			if s.Build == nil {
				t.Errorf("%s runs requests but has no Build", s.Name)
			}
		}
		if s.Summary == "" || s.Group == "" {
			t.Errorf("%s: COMMAND DOCS needs a summary and a group", s.Name)
		}
	}
	for _, name := range []string{"", "nosuchcommand", "gett", "ge", strings.Repeat("get", 20)} {
		if got := find([]byte(name)); got != nil {
			t.Errorf("find(%q) = %s, want nothing", name, got.Name)
		}
	}
	for _, line := range []string{"DEL a b", "TTL a", "PERSIST a", "EXPIRE a 1", "MSET a 1 b 2", "PING", "MULTI", "INFO"} {
		p, err := build(t, line)
		if err != nil {
			t.Fatal(err)
		}
		data := p.Reqs[0].Cmd.IsData()
		for _, r := range p.Reqs {
			if r.Cmd.IsData() != data || !data && len(p.Reqs) > 1 {
				t.Errorf("%s: a plan is all data requests, or one other", line)
			}
		}
	}
}

// TestAppendReplies checks the replies of commands that combine several
// Vanity replies.
func TestAppendReplies(t *testing.T) {
	cases := []struct {
		shape   Shape
		replies []string
		want    string
	}{
		{ShapeCount, []string{"OK", "ERROR", "OK"}, ":2\r\n"},
		{ShapeCount, []string{"NULL", "OK"}, ":1\r\n"},
		{ShapeCount, []string{"OK", "BAD_TYPE"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{ShapeAllOK, []string{"OK", "OK"}, "+OK\r\n"},
		{ShapeTTL, []string{"NULL", "NULL"}, ":-2\r\n"},
		{ShapeTTL, []string{"OK", "NULL"}, ":-1\r\n"},
		{ShapeTTL, []string{"OK", "OK:FLOAT 9.600000"}, ":10\r\n"},
		{ShapeTTL, []string{"OK", "OK:FLOAT 9.400000"}, ":9\r\n"},
		{ShapePTTL, []string{"OK", "OK:FLOAT 9.400000"}, ":9400\r\n"},
		{ShapeExpireTime, []string{"OK", "OK:INT 1700000000600"}, ":1700000001\r\n"},
		{ShapePExpireTime, []string{"OK", "OK:INT 1700000000600"}, ":1700000000600\r\n"},
		{ShapePExpireTime, []string{"OK", "NULL"}, ":-1\r\n"},
		{ShapeExpireTime, []string{"NULL", "NULL"}, ":-2\r\n"},
		{ShapeExpire, []string{"OK", "OK"}, ":1\r\n"},
		{ShapeExpire, []string{"NULL", "OK"}, ":0\r\n"},
		{ShapePersist, []string{"OK:FLOAT 3.000000", "OK"}, ":1\r\n"},
		{ShapePersist, []string{"NULL", "OK"}, ":0\r\n"},
		{ShapeBools, []string{"OK:BOOL true", "OK:BOOL false"}, "*2\r\n:1\r\n:0\r\n"},
		{ShapeLen, []string{"OK:STR (5)hello"}, ":5\r\n"},
		{ShapeLen, []string{"OK:INT -42"}, ":3\r\n"},
		{ShapeLen, []string{"OK:FLOAT 2.500000"}, ":3\r\n"},
		{ShapeLen, []string{"NULL"}, ":0\r\n"},
		{ShapeLen, []string{"OK:LIST (1)[(1)a]"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{ShapeBools, []string{"OK:BOOL false", "BAD_TYPE(9)not a set"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{ShapePopOne, []string{"OK:LIST (1)[(1)a]"}, "$1\r\na\r\n"},
		{ShapePopOne, []string{"OK:LIST (0)[]"}, "$-1\r\n"},
		{ShapePopMany, []string{"OK:LIST (0)[]"}, "*-1\r\n"},
		{ShapePopTail, []string{"OK:LIST (2)[(1)a(1)b]"}, "*2\r\n$1\r\nb\r\n$1\r\na\r\n"},
		{ShapeBulkOrNil, []string{"ERROR(7)bad key"}, "$-1\r\n"},
		{ShapeInt, []string{"BAD_TYPE(12)not a number"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{ShapeInt, []string{"ERROR(39)value is not an integer or out of range"}, "-ERR value is not an integer or out of range\r\n"},
		{ShapeBulk, []string{"OK:LIST (1)[(1)a]"}, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{ShapeAuth, []string{"ERROR(18)incorrect password"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{ShapeAuth, []string{"ERROR(19)user does not exist"}, "-WRONGPASS invalid username-password pair or user is disabled.\r\n"},
		{ShapeAuth, []string{"ERROR(60)too many failed AUTH attempts from this address; retry in 6s"}, "-ERR too many failed AUTH attempts from this address; retry in 6s\r\n"},
		{ShapeAuth, []string{"ERROR(54)unavailable: cannot check this login: (...); try again"}, "-ERR unavailable: cannot check this login: (...); try again\r\n"},
		{ShapeInfo, []string{"OK:HASH (2){(14)server.version(1)1(12)clients.used(1)3}"}, "$136\r\n# Server\r\nredis_version:7.0.0\r\nredis_mode:standalone\r\nversion:1\r\n\r\n# Clients\r\nused:3\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n"},
		{ShapeInfo, []string{"OK:HASH (2){(17)clients.connected(1)4(11)clients.max(2)10}"}, "$118\r\n# Clients\r\nconnected:4\r\nconnected_clients:4\r\nmax:10\r\nmaxclients:10\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:0\r\n\r\n"},
	}
	for _, c := range cases {
		var rs []proto.Reply
		for _, s := range c.replies {
			r, err := proto.ParseReply([]byte(s))
			if err != nil {
				t.Fatalf("%q: %v", s, err)
			}
			rs = append(rs, r)
		}
		if got := string(AppendReplies(nil, RESP2, c.shape, rs)); got != c.want {
			t.Errorf("shape %d %q: got %q, want %q", c.shape, c.replies, got, c.want)
		}
	}
}

// TestFlushAllResetsEachDatabase: FLUSHALL is a RESET in each of the 16
// databases, each item naming its own; FLUSHDB names none (the session's).
func TestFlushAllResetsEachDatabase(t *testing.T) {
	p, err := build(t, "FLUSHALL ASYNC")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Items) != numDBs || len(p.DBs) != numDBs || p.Shape != ShapeAllOK {
		t.Fatalf("FLUSHALL: %d items, %d databases, shape %d; want %d, %d, ShapeAllOK", len(p.Items), len(p.DBs), p.Shape, numDBs, numDBs)
	}
	for k := range p.Items {
		if r := p.ItemReqs(k); len(r) != 1 || r[0].Cmd != proto.CmdReset || p.DBs[k] != k {
			t.Errorf("item %d: %v in database %d, want RESET in %d", k, r, p.DBs[k], k)
		}
	}
	if p, err := build(t, "FLUSHDB"); err != nil || len(p.DBs) != 0 || len(p.Items) != 1 {
		t.Errorf("FLUSHDB: %d items naming %d databases, %v", len(p.Items), len(p.DBs), err)
	}
}

// BenchmarkLookup finds the commands redis-benchmark sends, in its case.
func BenchmarkLookup(b *testing.B) {
	var cmds [][][]byte
	for _, name := range []string{"SET", "GET", "INCR", "LPUSH", "RPUSH", "LPOP", "RPOP", "SADD", "HSET", "SPOP", "MSET", "lrange"} {
		s, err := Lookup([][]byte{[]byte(name)})
		args := [][]byte{[]byte(name)}
		for err != nil && len(args) < 8 { // enough arguments for its arity
			args = append(args, []byte("x"))
			s, err = Lookup(args)
		}
		if s == nil {
			b.Fatalf("%s: %v", name, err)
		}
		cmds = append(cmds, args)
	}
	i := 0
	for b.Loop() {
		if _, err := Lookup(cmds[i]); err != nil {
			b.Fatal(err)
		}
		if i++; i == len(cmds) {
			i = 0
		}
	}
}

// TestScanType: SCAN's TYPE names a filter on the request, which passes
// Redis's types as Vanity's: string for STR, INT and FLOAT; a name of no
// type Vanity has passes nothing, no TYPE everything.
func TestScanType(t *testing.T) {
	all := []proto.Type{proto.TypeStr, proto.TypeInt, proto.TypeFloat, proto.TypeList, proto.TypeSet, proto.TypeHash, proto.TypeNull}
	for _, c := range []struct {
		line string
		pass []proto.Type
	}{
		{"SCAN 0", all},
		{"SCAN 0 TYPE string", all[:3]},
		{"SCAN 0 MATCH a* TYPE List COUNT 5", []proto.Type{proto.TypeList}},
		{"SCAN 0 TYPE set", []proto.Type{proto.TypeSet}},
		{"SCAN 0 TYPE hash", []proto.Type{proto.TypeHash}},
		{"SCAN 0 TYPE zset", nil},
		{"SCAN 0 TYPE robot", nil},
	} {
		p, err := build(t, c.line)
		if err != nil {
			t.Fatalf("%s: %v", c.line, err)
		}
		var pass []proto.Type
		for _, typ := range all {
			if ScanTypeMatches(p.Reqs[0].Type, typ) {
				pass = append(pass, typ)
			}
		}
		if !slices.Equal(pass, c.pass) {
			t.Errorf("%s passes %v, want %v", c.line, pass, c.pass)
		}
	}
}
