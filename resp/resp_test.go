package resp

import (
	"errors"
	"fmt"
	"math"
	"strings"
	"testing"
)

func TestReadCommand(t *testing.T) {
	cases := []struct {
		in   string
		args []string
		n    int // bytes taken; -1: the whole input
	}{
		{"*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n", []string{"GET", "foo"}, -1},
		{"*1\r\n$4\r\nPING\r\n*1\r\n$4\r\nPING\r\n", []string{"PING"}, 14},
		{"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$0\r\n\r\n", []string{"SET", "k", ""}, -1},
		{"*1\r\n$5\r\na\r\nb\n\r\n", []string{"a\r\nb\n"}, -1}, // binary inside a bulk string
		{"*0\r\n", nil, -1},
		{"PING\r\n", []string{"PING"}, -1},
		{"set k \"a b\\x41\"\n", []string{"set", "k", "a bA"}, -1},
		{"\r\n", nil, -1},
		// Incomplete: nothing taken, read more.
		{"*2\r\n$3\r\nGET\r\n$3\r\nfo", nil, 0},
		{"*2\r\n$3\r\nGET\r\n", nil, 0},
		{"*2", nil, 0},
		{"*", nil, 0},
		{"PING", nil, 0},
	}
	for _, c := range cases {
		args, n, err := ReadCommand([]byte(c.in), Limits{}, nil)
		if err != nil {
			t.Errorf("%q: %v", c.in, err)
			continue
		}
		want := c.n
		if want < 0 {
			want = len(c.in)
		}
		var got []string
		for _, a := range args {
			got = append(got, string(a))
		}
		if n != want || strings.Join(got, "|") != strings.Join(c.args, "|") {
			t.Errorf("%q: %q, %d bytes; want %q, %d", c.in, got, n, c.args, want)
		}
	}
}

func TestReadCommandRefuses(t *testing.T) {
	lim := Limits{MaxArgs: 4, MaxBulk: 10, MaxInline: 16}
	cases := []struct {
		in   string
		want error
		text string
	}{
		{"*2\r\n+GET\r\n", ErrProtocol, "expected '$'"},
		{"*x\r\n", ErrProtocol, "invalid multibulk length"},
		{"*2\r\n$x\r\n", ErrProtocol, "invalid bulk length"},
		{"*1\r\n$-1\r\n", ErrProtocol, "invalid bulk length"},
		{"*1\r\n$3\r\nabcd\r\n", ErrProtocol, "CRLF"},
		{"*5\r\n", ErrTooLarge, "5 arguments"},
		{"*1\r\n$11\r\n", ErrTooLarge, "11 bytes"},
		{"*1\r\n$99999999999999999999\r\n", ErrProtocol, "invalid bulk length"},
		{"*" + strings.Repeat("1", 40), ErrProtocol, "invalid multibulk length"},
		{strings.Repeat("a", 17), ErrTooLarge, "inline"},
		{"get \"k\n", ErrProtocol, "unbalanced quotes"},
	}
	for _, c := range cases {
		_, n, err := ReadCommand([]byte(c.in), lim, nil)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) || n != 0 {
			t.Errorf("%q: %v (%d bytes), want %v containing %q", c.in, err, n, c.want, c.text)
		}
	}
}

func TestAppend(t *testing.T) {
	cases := []struct{ got, want string }{
		{string(AppendSimple(nil, "OK")), "+OK\r\n"},
		{string(AppendError(nil, "WRONGTYPE", "Operation against a key holding the wrong kind of value")), "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"},
		{string(AppendError(nil, "ERR", "two\r\nlines")), "-ERR two  lines\r\n"},
		{string(AppendInt(nil, -7)), ":-7\r\n"},
		{string(AppendBulk(nil, "bar")), "$3\r\nbar\r\n"},
		{string(AppendBulk(nil, []byte{})), "$0\r\n\r\n"},
		{string(AppendNull(nil, RESP2)), "$-1\r\n"},
		{string(AppendNull(nil, RESP3)), "_\r\n"},
		{string(AppendFloat(nil, 10.5)), "$4\r\n10.5\r\n"},
		{string(AppendFloat(nil, 1000000.5)), "$9\r\n1000000.5\r\n"}, // no exponent, as Redis prints it
		{string(AppendFloat(nil, 1e20)), "$21\r\n100000000000000000000\r\n"},
		{string(AppendFloat(nil, 0.30000000000000004)), "$3\r\n0.3\r\n"}, // six decimals, as the wire carries it
		{string(AppendFloat(nil, math.Inf(1))), "$3\r\ninf\r\n"},
		{string(AppendBool(nil, RESP3, true)), "#t\r\n"},
		{string(AppendBool(nil, RESP2, false)), ":0\r\n"},
		{string(AppendMap(nil, RESP3, 2)), "%2\r\n"},
		{string(AppendMap(nil, RESP2, 2)), "*4\r\n"},
		{string(AppendSet(nil, RESP3, 1)), "~1\r\n"},
		{string(AppendSet(nil, RESP2, 1)), "*1\r\n"},
	}
	for _, c := range cases {
		if c.got != c.want {
			t.Errorf("got %q, want %q", c.got, c.want)
		}
	}
}

// FuzzReadCommand: any input is read or refused without a panic; a command
// encoded as an array of bulk strings reads back whole.
func FuzzReadCommand(f *testing.F) {
	f.Add([]byte("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"), []byte("a"), []byte("b c"))
	f.Add([]byte("set k \"v\"\n"), []byte(""), []byte("\r\n"))
	f.Fuzz(func(t *testing.T, in, a, b []byte) {
		_, n, err := ReadCommand(in, Limits{}, nil)
		if n < 0 || n > len(in) || err != nil && n != 0 {
			t.Fatalf("%q: n=%d err=%v", in, n, err)
		}
		enc := AppendBulk(AppendBulk(AppendArray(nil, 2), a), b)
		args, n, err := ReadCommand(enc, Limits{}, nil)
		if err != nil || n != len(enc) || len(args) != 2 || string(args[0]) != string(a) || string(args[1]) != string(b) {
			t.Fatalf("%q %q: %q, %d, %v", a, b, args, n, err)
		}
	})
}

// TestAppendHello: HELLO's reply names the Redis version the listener
// follows and standalone mode, in both protocol versions' forms.
func TestAppendHello(t *testing.T) {
	fields := "$6\r\nserver\r\n$6\r\nvanity\r\n$7\r\nversion\r\n$5\r\n7.0.0\r\n$5\r\nproto\r\n:%d\r\n$2\r\nid\r\n:7\r\n" +
		"$4\r\nmode\r\n$10\r\nstandalone\r\n$4\r\nrole\r\n$6\r\nmaster\r\n$7\r\nmodules\r\n*0\r\n"
	for v, head := range map[Version]string{RESP3: "%7\r\n", RESP2: "*14\r\n"} {
		if got, want := string(AppendHello(nil, v, 7)), head+fmt.Sprintf(fields, v); got != want {
			t.Errorf("RESP%d: %q, want %q", v, got, want)
		}
	}
}
