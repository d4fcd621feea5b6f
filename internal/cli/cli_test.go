package cli

import (
	"errors"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// TestFormat renders reply frames the way the CLI prints them.
func TestFormat(t *testing.T) {
	cases := []struct{ frame, want string }{
		{"OK", "OK"},
		{"NULL", "(nil)"},
		{"PONG:STR (0)", "PONG"},
		{"PONG:STR (5)hello", `"hello"`},
		{"OK:STR (3)bar", `"bar"`},
		{"OK:STR (6)a\"b\x00\n\xff", `"a\"b\x00\n\xff"`},
		{"OK:STR (6)héllo", `"héllo"`},
		{"OK:INT -8", "(integer) -8"},
		{"OK:FLOAT 1.500000", "(float) 1.500000"},
		{"OK:BOOL true", "(true)"},
		{"OK:STR ", "str"},
		{"OK:LIST (2)[(5)world(5)hello]", "1) \"world\"\n2) \"hello\""},
		{"OK:LIST (0)[]", "(empty list)"},
		{"OK:SET (0){}", "(empty set)"},
		{"OK:HASH (1){(1)k(1)v}", `1) "k" => "v"`},
		{"OK:ARR (3)[:STR (3)bar:NULL :LIST (2)[(1)a(1)b]]", "1) \"bar\"\n2) (nil)\n3) 1) \"a\"\n   2) \"b\""},
		{"OK:LIST (10)[(1)0(1)1(1)2(1)3(1)4(1)5(1)6(1)7(1)8(1)9]", " 1) \"0\"\n 2) \"1\"\n 3) \"2\"\n 4) \"3\"\n 5) \"4\"\n 6) \"5\"\n 7) \"6\"\n 8) \"7\"\n 9) \"8\"\n10) \"9\""},
		{"ERROR(7)bad key", "(error) ERROR bad key"},
		{"ERROR", "(error) ERROR"},
		{"BAD_TYPE(10)not a list", "(error) BAD_TYPE not a list"},
		{"DENIED", "(error) DENIED"},
		{"QUEUED", "QUEUED"},
		{"OK:AGG(2)OKOK:INT 1", "1) OK\n2) (integer) 1"},
		{"ASYNC:PUBLISH (4)news(2)hi", `message from "news": "hi"`},
	}
	for _, c := range cases {
		r, err := proto.ParseReply([]byte(c.frame))
		if err != nil {
			t.Fatalf("%q: %v", c.frame, err)
		}
		if got := Format(r); got != c.want {
			t.Errorf("%q:\n got %q\nwant %q", c.frame, got, c.want)
		}
	}
}

// TestFormatReadsBack: a string the CLI prints, typed back, is the same
// bytes (SplitWords reads the escapes Format writes).
func TestFormatReadsBack(t *testing.T) {
	for _, s := range []string{"plain", "a b", "quote\"back\\slash", "\x00\x01\xfe\n\r\t", "ünï"} {
		var b strings.Builder
		writeString(&b, []byte(s))
		words, err := proto.SplitWords(b.String())
		if err != nil || len(words) != 1 || string(words[0].Text) != s {
			t.Errorf("%q printed as %s reads back as %v (%v)", s, b.String(), words, err)
		}
	}
}

func TestParseArgs(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	none := env(nil)
	cases := []struct {
		args []string
		env  func(string) string
		want options
	}{
		{nil, none, options{host: "127.0.0.1", port: 9955, user: "vanity", password: "vanity"}},
		{[]string{"-h", "db1", "-p", "7000", "get", "foo"}, none,
			options{host: "db1", port: 7000, user: "vanity", password: "vanity", words: []string{"get", "foo"}}},
		{[]string{"--user=bob", "--password", "pw", "-n", "3"}, none,
			options{host: "127.0.0.1", port: 9955, user: "bob", password: "pw", db: 3}},
		{[]string{"-u", "bob"}, env(map[string]string{"VANITY_PASSWORD": "fromenv"}),
			options{host: "127.0.0.1", port: 9955, user: "bob", password: "fromenv"}},
		{[]string{"-u", "bob"}, none, options{host: "127.0.0.1", port: 9955, user: "bob"}},
		{[]string{"9000"}, none, options{host: "127.0.0.1", port: 9000, user: "vanity", password: "vanity"}},
		{[]string{"example", "9000", "no-auth"}, none,
			options{host: "example", port: 9000, user: "vanity", password: "vanity", noAuth: true}},
		{[]string{"set:int", "n", "5"}, none,
			options{host: "127.0.0.1", port: 9955, user: "vanity", password: "vanity", words: []string{"set:int", "n", "5"}}},
		{[]string{"help", "get"}, none,
			options{host: "127.0.0.1", port: 9955, user: "vanity", password: "vanity", words: []string{"help", "get"}}},
	}
	for _, c := range cases {
		got, err := parseArgs(c.args, c.env)
		if err != nil {
			t.Errorf("%q: %v", c.args, err)
			continue
		}
		got.timeout = 0
		if got.host != c.want.host || got.port != c.want.port || got.user != c.want.user ||
			got.password != c.want.password || got.db != c.want.db || got.noAuth != c.want.noAuth ||
			strings.Join(got.words, " ") != strings.Join(c.want.words, " ") {
			t.Errorf("%q: %+v, want %+v", c.args, got, c.want)
		}
	}
	for _, bad := range [][]string{{"-p", "x"}, {"-p", "70000"}, {"--bogus"}, {"h", "x"}, {"a", "b", "c"}} {
		if _, err := parseArgs(bad, none); !errors.Is(err, errUsage) {
			t.Errorf("%q: %v, want a usage error", bad, err)
		}
	}
}

func TestCompletion(t *testing.T) {
	got, n := completer{}.Do([]rune("lpo"), 3)
	if n != 3 || len(got) != 1 || string(got[0]) != "p " {
		t.Errorf("lpo: %q %d, want [\"p \"] 3", got, n)
	}
	got, _ = completer{}.Do([]rune("LIST_P"), 6)
	var words []string
	for _, g := range got {
		words = append(words, "list_p"+string(g))
	}
	want := "list_pop_left  list_pop_left_wait  list_pop_left_wait_any  list_pop_right  list_pop_right_wait  list_pop_right_wait_any  list_pos  list_pos_within  list_push_left  list_push_left_if_present  list_push_right  list_push_right_if_present "
	if strings.Join(words, " ") != want {
		t.Errorf("LIST_P: %q, want %q", strings.Join(words, " "), want)
	}
	got, _ = completer{}.Do([]rune("get fo"), 6)
	if got != nil {
		t.Errorf("an argument was completed: %q", got)
	}
	got, n = completer{}.Do([]rune("help hgeta"), 10)
	if len(got) != 1 || string(got[0]) != "ll " || n != 5 {
		t.Errorf("help hgeta: %q %d", got, n)
	}
}

func TestHelp(t *testing.T) {
	all := helpText(nil)
	for _, c := range proto.Commands() {
		if c != proto.CmdPipe && !strings.Contains(all, strings.ToLower(c.String())+" ") {
			t.Errorf("help does not list %s", c)
		}
	}
	one := helpText([]string{"LPUSH"})
	for _, want := range []string{"list_push_left key value...", "Redis name: lpush"} {
		if !strings.Contains(one, want) {
			t.Errorf("help lpush: %q lacks %q", one, want)
		}
	}
	if got := helpText([]string{"nope"}); !strings.Contains(got, `no command "nope"`) {
		t.Errorf("help nope: %q", got)
	}
}
