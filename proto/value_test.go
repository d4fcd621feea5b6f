package proto

import "testing"

// TestIntText: an integer's text as Redis reads one from a string.
func TestIntText(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "105": 105, "-12": -12, "9223372036854775807": 1<<63 - 1,
		"-9223372036854775808": -1 << 63} {
		if n, ok := IntText(in); !ok || n != want {
			t.Errorf("IntText(%q) = %d, %v; want %d", in, n, ok, want)
		}
	}
	for _, in := range []string{"", "-", "+5", " 5", "5 ", "007", "-0", "-05", "4.5", "1e3", "9223372036854775808", "abc"} {
		if n, ok := IntText(in); ok {
			t.Errorf("IntText(%q) = %d, true; want no integer", in, n)
		}
	}
}
