package sysmem

import (
	"errors"
	"testing"
)

func TestParseLimit(t *testing.T) {
	const total = 8 << 30
	for _, c := range []struct {
		in   string
		want uint64
	}{
		{"0", 0}, {"1073741824", 1 << 30}, {"512MiB", 512 << 20}, {"512mb", 512 << 20}, {"4g", 4 << 30},
		{"4 GiB", 4 << 30}, {"100kb", 100 << 10}, {"2TiB", 2 << 40}, {"64b", 64},
		{"50%", 4 << 30}, {"100%", 8 << 30}, {"0%", 0}, {"12.5%", 1 << 30},
	} {
		got, err := ParseLimit(c.in, total)
		if err != nil || got != c.want {
			t.Errorf("ParseLimit(%q) = %d, %v; want %d", c.in, got, err, c.want)
		}
	}
	for _, in := range []string{"", "x", "-1", "1.5g", "101%", "-5%", "NaN%", "12 parsecs", "99999999999999999999", "20000000tib"} {
		if got, err := ParseLimit(in, total); !errors.Is(err, ErrLimit) {
			t.Errorf("ParseLimit(%q) = %d, %v; want ErrLimit", in, got, err)
		}
	}
	if _, err := ParseLimit("60%", 0); err == nil {
		t.Error("a share of an unknown total was read")
	}
}

func TestTotal(t *testing.T) {
	if m := machine(); m > 0 && (Total() == 0 || Total() > m) {
		t.Fatalf("Total %d against the machine's %d", Total(), m)
	}
}

func TestWarning(t *testing.T) {
	for _, c := range []struct {
		limit, total uint64
		warns        bool
	}{{0, 8 << 30, true}, {0, 0, true}, {4 << 30, 8 << 30, false}, {9 << 30, 8 << 30, true}, {9 << 30, 0, false}} {
		if got := Warning(c.limit, c.total) != ""; got != c.warns {
			t.Errorf("Warning(%d, %d) warns %v, want %v", c.limit, c.total, got, c.warns)
		}
	}
}
