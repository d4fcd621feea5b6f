package proto

import (
	"slices"
	"testing"
)

func TestCombine(t *testing.T) {
	a := NameSet{"x": {}, "y": {}, "z": {}}
	b := NameSet{"y": {}, "w": {}}
	cases := []struct {
		cmd     Command
		sources []Members
		want    []string
	}{
		{CmdSetUnion, []Members{a, b, nil}, []string{"w", "x", "y", "z"}},
		{CmdSetUnionLen, []Members{nil}, nil},
		{CmdSetIntersect, []Members{a, b}, []string{"y"}},
		{CmdSetIntersectInto, []Members{a, nil}, nil}, // an absent key has no members
		{CmdSetDiff, []Members{a, b}, []string{"x", "z"}},
		{CmdSetDiffLen, []Members{a, nil}, []string{"x", "y", "z"}},
		{CmdSetDiffInto, []Members{nil, b}, nil},
		// Any number of sets: the first less every other (§12.24).
		{CmdSetDiffMany, []Members{a, b, NameSet{"z": {}}}, []string{"x"}},
		{CmdSetDiffMany, []Members{a, nil, b}, []string{"x", "z"}},
		{CmdSetDiffMany, []Members{a}, []string{"x", "y", "z"}},
		{CmdSetDiffManyInto, []Members{nil, a}, nil},
		{CmdSetDiffMany, nil, nil},
	}
	for _, c := range cases {
		got := Combine(c.cmd, c.sources)
		slices.Sort(got)
		if !slices.Equal(got, c.want) {
			t.Errorf("%v: %q, want %q", c.cmd, got, c.want)
		}
	}
	if got := string(AppendCombined(nil, &Request{Cmd: CmdSetUnionInto}, []string{"a", "b"})); got != "OK:INT 2" {
		t.Errorf("_INTO reply %q", got)
	}
	if got := string(AppendCombined(nil, &Request{Cmd: CmdSetDiffManyInto}, []string{"a"})); got != "OK:INT 1" {
		t.Errorf("SET_DIFF_MANY_INTO reply %q", got)
	}
	if got := string(AppendCombined(nil, &Request{Cmd: CmdSetUnion}, []string{"a"})); got != "OK:SET (1){(1)a}" {
		t.Errorf("set reply %q", got)
	}
	for limit, want := range map[int64]string{0: "OK:INT 3", 2: "OK:INT 2", 3: "OK:INT 3", 5: "OK:INT 3"} {
		req := &Request{Cmd: CmdSetIntersectLenUpTo, Int: [3]int64{limit}}
		if got := string(AppendCombined(nil, req, []string{"a", "b", "c"})); got != want {
			t.Errorf("SET_INTERSECT_LEN_UPTO of 3 members, limit %d: %q, want %q", limit, got, want)
		}
	}
}

func TestOperands(t *testing.T) {
	var req Request
	if err := ParseRequest([]byte("SET_DIFF_INTO (1)d (1)a (1)b"), &req); err != ErrNone {
		t.Fatal(err)
	}
	dest, src, ok := Operands(&req)
	if !ok || string(dest) != "d" || len(src) != 2 || string(src[0]) != "a" || string(src[1]) != "b" {
		t.Fatalf("%q %q %v", dest, src, ok)
	}
	if err := ParseRequest([]byte("SET_DIFF_MANY_INTO (1)d (3)[(1)a(1)b(1)c]"), &req); err != ErrNone {
		t.Fatal(err)
	}
	dest, src, ok = Operands(&req)
	if !ok || string(dest) != "d" || len(src) != 3 || string(src[2]) != "c" || !IsInto(req.Cmd) {
		t.Fatalf("SET_DIFF_MANY_INTO: %q %q %v", dest, src, ok)
	}
	if keys := req.Keys(nil); len(keys) != 4 || string(keys[0]) != "d" {
		t.Fatalf("SET_DIFF_MANY_INTO's keys: %q", keys)
	}
	if err := ParseRequest([]byte("GET (1)a"), &req); err != ErrNone {
		t.Fatal(err)
	}
	if _, _, ok := Operands(&req); ok {
		t.Fatal("GET has set algebra operands")
	}
}
