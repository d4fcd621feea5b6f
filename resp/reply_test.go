package resp

import (
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// TestAppendReply turns Vanity replies into Redis's, by the shape of the
// command that asked, in both protocol versions.
func TestAppendReply(t *testing.T) {
	cases := []struct {
		frame string
		shape Shape
		v     Version
		want  string
	}{
		{"OK", ShapeStatus, RESP2, "+OK\r\n"},
		{"PONG:STR (0)", ShapeStatus, RESP2, "+PONG\r\n"},
		{"PONG:STR (2)hi", ShapeBulk, RESP2, "$2\r\nhi\r\n"},
		{"PONG:STR (0)", ShapeBulk, RESP2, "$0\r\n\r\n"}, // PING "", as Redis answers it
		{"OK:STR (3)bar", ShapeBulk, RESP2, "$3\r\nbar\r\n"},
		{"OK:INT 5", ShapeBulk, RESP2, "$1\r\n5\r\n"}, // GET of a number
		{"OK:FLOAT 1.500000", ShapeBulk, RESP3, "$3\r\n1.5\r\n"},
		{"NULL", ShapeBulk, RESP2, "$-1\r\n"},
		{"NULL", ShapeBulk, RESP3, "_\r\n"},
		{"OK:INT 8", ShapeInt, RESP2, ":8\r\n"},
		{"OK:INT 6", ShapeInt, RESP2, ":6\r\n"}, // INCR answers an integer, not its text
		{"OK:INT -1", ShapeInt, RESP3, ":-1\r\n"},
		{"OK:INT 3", ShapeIntOrZero, RESP2, ":3\r\n"},               // HSTRLEN
		{"OK:FLOAT 10.500000", ShapeFloat, RESP3, "$4\r\n10.5\r\n"}, // as Redis's INCRBYFLOAT
		{"OK:FLOAT 10.500000", ShapeFloat, RESP2, "$4\r\n10.5\r\n"},
		{"OK", ShapeFound, RESP2, ":1\r\n"},
		{"NULL", ShapeFound, RESP2, ":0\r\n"},
		{"OK", ShapeRemoved, RESP2, ":1\r\n"},
		{"ERROR", ShapeRemoved, RESP2, ":0\r\n"},
		{"OK:BOOL true", ShapeBool, RESP3, ":1\r\n"},
		{"OK:BOOL true", ShapeOKOrNil, RESP2, "+OK\r\n"},
		{"OK:BOOL false", ShapeOKOrNil, RESP2, "$-1\r\n"},
		{"OK:BOOL false", ShapeOKOrNil, RESP3, "_\r\n"},
		{"OK:LIST (2)[(1)a(1)b]", ShapeArray, RESP2, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"OK:SET (1){(1)x}", ShapeSet, RESP3, "~1\r\n$1\r\nx\r\n"},
		{"OK:SET (1){(1)x}", ShapeSet, RESP2, "*1\r\n$1\r\nx\r\n"},
		{"OK:HASH (1){(1)f(1)v}", ShapeMap, RESP3, "%1\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{"OK:HASH (1){(1)f(1)v}", ShapeMap, RESP2, "*2\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{"NULL", ShapeMap, RESP2, "*0\r\n"},
		{"OK:SET (0){}", ShapeSet, RESP2, "*0\r\n"}, // SPOP s 2 of nothing
		{"OK:SET (0){}", ShapeSet, RESP3, "~0\r\n"},
		{"OK:ARR (2)[:INT 42:SET (2){(1)a(1)b}]", ShapeScanPage, RESP3, "*2\r\n$2\r\n42\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"OK:ARR (2)[:INT 0:HASH (1){(1)f(1)v}]", ShapeScanPage, RESP2, "*2\r\n$1\r\n0\r\n*2\r\n$1\r\nf\r\n$1\r\nv\r\n"},
		{"OK:ARR (2)[:INT 2:INT 6]", ShapeFirstInt, RESP2, ":2\r\n"},
		{"OK:ARR (0)[]", ShapeFirstInt, RESP2, "$-1\r\n"},
		{"OK:ARR (0)[]", ShapeFirstInt, RESP3, "_\r\n"},
		{"OK:ARR (2)[:INT 2:INT 6]", ShapeInts, RESP3, "*2\r\n:2\r\n:6\r\n"},
		{"OK:LIST (4)[(1)a(1)1(1)b(1)2]", ShapeFields, RESP2, "*2\r\n$1\r\na\r\n$1\r\nb\r\n"},
		{"OK:LIST (4)[(1)a(1)1(1)b(1)2]", ShapePairs, RESP2, "*4\r\n$1\r\na\r\n$1\r\n1\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"OK:LIST (4)[(1)a(1)1(1)b(1)2]", ShapePairs, RESP3, "*2\r\n*2\r\n$1\r\na\r\n$1\r\n1\r\n*2\r\n$1\r\nb\r\n$1\r\n2\r\n"},
		{"OK:LIST (0)[]", ShapeFields, RESP3, "*0\r\n"},
		{"BAD_TYPE(9)not a set", ShapeScanPage, RESP2, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"OK:ARR (3)[:STR (1)a:NULL :LIST (1)[(1)x]]", ShapeArray, RESP2, "*3\r\n$1\r\na\r\n$-1\r\n$-1\r\n"},
		{"OK:INT ", ShapeType, RESP2, "+string\r\n"},
		{"OK:LIST ", ShapeType, RESP2, "+list\r\n"},
		{"NULL", ShapeType, RESP2, "+none\r\n"},
		{"BAD_TYPE", ShapeInt, RESP2, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{"ERROR(16)integer overflow", ShapeInt, RESP2, "-ERR integer overflow\r\n"},
		{"DENIED", ShapeBulk, RESP2, "-NOPERM this user has no permissions to run this command\r\n"},
		{"QUEUED", ShapeBulk, RESP2, "+QUEUED\r\n"},
	}
	for _, c := range cases {
		r, err := proto.ParseReply([]byte(c.frame))
		if err != nil {
			t.Fatalf("%q: %v", c.frame, err)
		}
		if got := string(AppendReply(nil, c.v, c.shape, &r)); got != c.want {
			t.Errorf("%q as shape %d in RESP%d: %q, want %q", c.frame, c.shape, c.v, got, c.want)
		}
	}
}

// TestAppendBadState: a transaction command in the wrong state gets
// Redis's own words.
func TestAppendBadState(t *testing.T) {
	for cmd, want := range map[proto.Command]string{
		proto.CmdTransactBegin:   "-ERR MULTI calls can not be nested\r\n",
		proto.CmdTransactCommit:  "-ERR EXEC without MULTI\r\n",
		proto.CmdTransactDiscard: "-ERR DISCARD without MULTI\r\n",
		proto.CmdTransactWatch:   "-ERR WATCH inside MULTI is not allowed\r\n",
	} {
		if got := string(AppendBadState(nil, cmd)); got != want {
			t.Errorf("%v: %q, want %q", cmd, got, want)
		}
	}
}
