package proto

import "testing"

func TestMatchPattern(t *testing.T) {
	cases := []struct {
		pattern, name string
		want          bool
	}{
		{"*", "", true},
		{"*", "anything", true},
		{"", "", true},
		{"", "a", false},
		{"user:*", "user:1", true},
		{"user:*", "users:1", false},
		{"*:1", "user:1", true},
		{"*:1", "user:12", false},
		{"h?llo", "hello", true},
		{"h?llo", "hllo", false},
		{"h*llo", "hllo", true},
		{"h*llo", "heeeello", true},
		{"h[ae]llo", "hallo", true},
		{"h[ae]llo", "hillo", false},
		{"h[^e]llo", "hallo", true},
		{"h[^e]llo", "hello", false},
		{"h[a-b]llo", "hbllo", true},
		{"h[a-b]llo", "hcllo", false},
		{"h[b-a]llo", "hallo", true},
		{`h\*llo`, "h*llo", true},
		{`h\*llo`, "hello", false},
		{`a\`, `a\`, true},
		{"[]]", "]", true},
		{"[abc", "[abc", true},
		{"*a*b*c*", "xxaxxbxxcxx", true},
		{"*a*b*c*", "xxaxxcxxbxx", false},
		{"a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"\x00*", "\x00\xff", true},
	}
	for _, c := range cases {
		if got := MatchPattern([]byte(c.pattern), []byte(c.name)); got != c.want {
			t.Errorf("MatchPattern(%q, %q) = %v, want %v", c.pattern, c.name, got, c.want)
		}
	}
}

func FuzzMatchPattern(f *testing.F) {
	f.Add([]byte("a*b?[c-d]"), []byte("axxbyc"))
	f.Fuzz(func(t *testing.T, pattern, name []byte) {
		MatchPattern(pattern, name) // must not panic or hang
		if !MatchPattern([]byte("*"), name) {
			t.Fatal("* did not match")
		}
	})
}
