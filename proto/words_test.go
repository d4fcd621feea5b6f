package proto

import (
	"errors"
	"strings"
	"testing"
)

// TestWordsMakeFrames reads command lines into requests and checks the
// frame AppendRequest writes for them, which the server's parser reads.
func TestWordsMakeFrames(t *testing.T) {
	cases := []struct{ line, frame string }{
		{"get foo", "GET (3)foo"},
		{"GET foo", "GET (3)foo"},
		{"set foo bar", "SET:STR (3)foo (3)bar"},
		{"set n 5", "SET:INT (1)n 5"},
		{"set n -5", "SET:INT (1)n -5"},
		{"set f 1.5", "SET:FLOAT (1)f 1.5"},
		{"set f 1e3", "SET:FLOAT (1)f 1000"},
		{`set n "5"`, "SET:STR (1)n (1)5"},
		{"set:str n 5", "SET:STR (1)n (1)5"},
		{"SET:FLOAT n 5", "SET:FLOAT (1)n 5"},
		{"set s nan", "SET:STR (1)s (3)nan"},
		{"set big 99999999999999999999", "SET:FLOAT (3)big 1e+20"},
		{"set_ttl k v 1500", "SET_TTL:STR (1)k (1)v 1500"},
		{"set_ttl k 7 1500", "SET_TTL:INT (1)k 7 1500"},
		{"set_if k old new", "SET_IF:STR (1)k (3)old (3)new"},
		{"set_if n 5 6", "SET_IF:INT (1)n 5 6"},
		{"set_if f 1.5 2", "SET_IF:FLOAT (1)f 1.5 2"},
		{"set_if:str n 5 6", "SET_IF:STR (1)n (1)5 (1)6"},
		{"setnx lock me", "SET_IF_ABSENT:STR (4)lock (2)me"},
		{"del_if lock me", "DEL_IF:STR (4)lock (2)me"},
		{"set_ttl_if_absent lock me 30000", "SET_TTL_IF_ABSENT:STR (4)lock (2)me 30000"},
		{"getset k 7", "GET_SET:INT (1)k 7"},
		{"getdel k", "GET_DEL (1)k"},
		{"lock_acquire jobs w1 30000", "LOCK_ACQUIRE (4)jobs (2)w1 30000"},
		{"lock_refresh jobs 77 30000", "LOCK_REFRESH (4)jobs 77 30000"},
		{"lock_release jobs 77", "LOCK_RELEASE (4)jobs 77"},
		{"append log hi", "STR_APPEND (3)log (2)hi"},
		{"hincrby h f -2", "HASH_INCR (1)h (1)f -2"},
		{"fenced jobs 117 set out done", "FENCED (4)jobs 117 SET:STR (3)out (4)done"},
		{"fenced jobs 117 lpush q a b", "FENCED (4)jobs 117 LIST_PUSH_LEFT (1)q (2)[(1)a(1)b]"},
		{"once req-1 lpop q 1", "ONCE (5)req-1 LIST_POP_LEFT (1)q 1"},
		{"retry req-1 list_pop_left_wait q 1 500", "RETRY (5)req-1 LIST_POP_LEFT_WAIT (1)q 1 500"},
		{"retry req-1 fenced jobs 5 set k v", "RETRY (5)req-1 FENCED (4)jobs 5 SET:STR (1)k (1)v"},
		{"lpush todo milk eggs", "LIST_PUSH_LEFT (4)todo (2)[(4)milk(4)eggs]"},
		{"LIST_PUSH_RIGHT todo", "LIST_PUSH_RIGHT (4)todo (0)[]"},
		{"sadd s a b a", "SET_ADD (1)s (3){(1)a(1)b(1)a}"},
		{"hset h f1 v1 f2 v2", "HASH_UPDATE (1)h (2){(2)f1(2)v1(2)f2(2)v2}"},
		{"mget a b", "MANY_GET (2)[(1)a(1)b]"},
		{"incrby n -3", "INCR_INT (1)n -3"},
		{"incr_float f 0.5", "INCR_FLOAT (1)f 0.5"},
		{"lrange l 0 -1", "LIST_RANGE (1)l 0 -1"},
		{"edit_user bob admin", "EDIT_USER (3)bob ADMIN"},
		{"consistency one all", "CONSISTENCY ONE ALL"},
		{"lmove jobs doing right left", "LIST_MOVE (4)jobs (5)doing RIGHT LEFT"},
		{"set_expiry_if k 10 some_earlier", "SET_EXPIRY_IF (1)k 10 SOME_EARLIER"},
		{"set_with k v absent after 1500", "SET_WITH:STR (1)k (1)v ABSENT AFTER 1500"},
		{"list_pop_left_wait_any urgent normal 1 500", "LIST_POP_LEFT_WAIT_ANY (2)[(6)urgent(6)normal] 1 500"},
		{"get_set_with k 7 present keep 0", "GET_SET_WITH:INT (1)k 7 PRESENT KEEP 0"},
		{"set_expiry_at_if k 1700000000000 none", "SET_EXPIRY_AT_IF (1)k 1700000000000 NONE"},
		{"ping", "PING"},
		{"ping hello world", "PINGhello world"},
		{"select 2", "SWITCH_DB 2"},
		{`set k "a b\x00\n"`, "SET:STR (1)k (5)a b\x00\n"},
		{`set k 'it\'s \n'`, "SET:STR (1)k (7)it's \\n"},
		{`get ""`, "GET (0)"},
	}
	for _, c := range cases {
		words, err := SplitWords(c.line)
		if err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		var req Request
		if err := ParseWords(words, &req); err != nil {
			t.Errorf("%q: %v", c.line, err)
			continue
		}
		got := string(AppendRequest(nil, &req))
		if got != c.frame {
			t.Errorf("%q: frame %q, want %q", c.line, got, c.frame)
		}
		var back Request
		if perr := ParseRequest([]byte(got), &back); perr != ErrNone {
			t.Errorf("%q: the server cannot read %q: %v", c.line, got, perr)
		}
	}
}

func TestWordsRefuseWhatDoesNotFit(t *testing.T) {
	cases := []struct {
		line string
		want error
		text string
	}{
		{"gett foo", ErrUnknownCommand, `"gett"`},
		{"pipe", ErrUnknownCommand, ""},
		{"get", ErrArguments, "usage: GET key"},
		{"get a b", ErrArguments, "usage: GET key"},
		{"incrby n x", ErrArguments, "invalid integer"},
		{"incrby n 5x", ErrArguments, "unexpected character at end of message"},
		{"incrby n 99999999999999999999", ErrArguments, "integer out of range"},
		{"incr_float f abc", ErrArguments, "invalid float"},
		{"set:int n five", ErrArguments, "invalid integer"},
		{"set:list n a", ErrArguments, "not STR, INT or FLOAT"},
		{"get:str k", ErrArguments, "only SET, SET_TTL and the compare-and-set"},
		{"set k", ErrArguments, "usage: SET key value"},
		{"hset h f", ErrArguments, "a field without a value"},
		{"edit_user bob boss", ErrArguments, "invalid auth level"},
		{"set_ttl k v soon", ErrArguments, "invalid integer"},
		{"fenced jobs 117 get k", ErrArguments, "FENCED carries a write of one key, not GET"},
		{"fenced jobs 117", ErrArguments, "usage: FENCED lock token command..."},
		{"fenced jobs x del k", ErrArguments, "invalid integer"},
		{"once req-1 get k", ErrArguments, "ONCE carries a write of one key or a blocking pop, not GET"},
		{"retry req-1", ErrArguments, "usage: RETRY id command..."},
		{"", ErrUnknownCommand, "empty line"},
	}
	for _, c := range cases {
		words, err := SplitWords(c.line)
		if err != nil {
			t.Fatalf("%q: %v", c.line, err)
		}
		var req Request
		err = ParseWords(words, &req)
		if !errors.Is(err, c.want) || !strings.Contains(err.Error(), c.text) {
			t.Errorf("%q: error %v, want %v containing %q", c.line, err, c.want, c.text)
		}
	}
}

func TestSplitWordsQuotes(t *testing.T) {
	for _, bad := range []string{`get "foo`, `get 'foo`, `get "foo"bar`, `get "a\"`} {
		if _, err := SplitWords(bad); !errors.Is(err, ErrQuotes) {
			t.Errorf("%q: %v, want ErrQuotes", bad, err)
		}
	}
	words, err := SplitWords("  a\t\"b c\"  'd'  \"\\x41\\x4a\\\\\" ")
	if err != nil {
		t.Fatal(err)
	}
	want := []Word{{[]byte("a"), false}, {[]byte("b c"), true}, {[]byte("d"), true}, {[]byte(`AJ\`), true}}
	if len(words) != len(want) {
		t.Fatalf("%d words, want %d", len(words), len(want))
	}
	for i := range want {
		if string(words[i].Text) != string(want[i].Text) || words[i].Quoted != want[i].Quoted {
			t.Errorf("word %d: %q quoted=%v, want %q quoted=%v", i, words[i].Text, words[i].Quoted, want[i].Text, want[i].Quoted)
		}
	}
}

// TestHelpCoversEveryCommand: each command has a summary, one parameter
// word per argument, and aliases that name no other command.
func TestHelpCoversEveryCommand(t *testing.T) {
	seen := map[string]Command{}
	for _, c := range Commands() {
		if c.Summary() == "" {
			t.Errorf("%s has no summary", c)
		}
		params := strings.Fields(c.Params())
		want := 0
		for _, a := range commands[c].args {
			switch a {
			case argType, argHash:
				want += 2 // key and value; field value...
			case argRaw:
				want++ // [message]
			case argFence:
				want += 3 // lock token command...
			case argOnce:
				want += 2 // id command...
			default:
				want++
			}
		}
		if c != CmdPipe && len(params) != want {
			t.Errorf("%s: params %q name %d arguments, the schema has %d", c, c.Params(), len(params), want)
		}
		if a := c.Alias(); a != "" {
			if other, dup := seen[a]; dup {
				t.Errorf("alias %s names %s and %s", a, other, c)
			}
			seen[a] = c
			if got, ok := LookupWord(strings.ToLower(a)); !ok || got != c {
				t.Errorf("alias %s finds %s, want %s", a, got, c)
			}
		}
	}
}
