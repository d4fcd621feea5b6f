package version

import (
	"strings"
	"testing"
)

func TestString(t *testing.T) {
	s := String("vanity")
	if !strings.HasPrefix(s, "vanity ") || !strings.Contains(s, "go1.") {
		t.Fatalf("%q", s)
	}
}
