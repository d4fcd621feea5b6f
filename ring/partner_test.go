package ring

import (
	"slices"
	"testing"
)

func TestByPartner(t *testing.T) {
	for _, c := range []struct {
		from string
		in   []string
		want []string
	}{
		{"n2", []string{"n1", "n3"}, []string{"n3", "n1"}},
		{"n3", []string{"n2", "n1"}, []string{"n1", "n2"}},
		{"n1", []string{"n3", "n2"}, []string{"n2", "n3"}},
		{"b", []string{"a", "d", "c", "e"}, []string{"c", "d", "e", "a"}},
		{"z", []string{"b", "a"}, []string{"a", "b"}},
	} {
		got := slices.Clone(c.in)
		slices.SortFunc(got, ByPartner(c.from))
		if !slices.Equal(got, c.want) {
			t.Errorf("from %s: %v sorted to %v, want %v", c.from, c.in, got, c.want)
		}
	}
	// Three members each lead with a different partner: the load of being
	// asked first is spread.
	names := []string{"n1", "n2", "n3"}
	seen := map[string]bool{}
	for _, from := range names {
		others := slices.DeleteFunc(slices.Clone(names), func(s string) bool { return s == from })
		slices.SortFunc(others, ByPartner(from))
		seen[others[0]] = true
	}
	if len(seen) != 3 {
		t.Errorf("partners %v: not one each", seen)
	}
}
