package rpc

import (
	"slices"
	"testing"
)

// TestExpiringRoundTrip: KindExpiring's answer decodes to what was
// encoded, a partition not served included (-1), and refuses trailing or
// missing bytes.
func TestExpiringRoundTrip(t *testing.T) {
	counts, left := []int{3, -1, 0}, []int64{120_000, 0, 0}
	b := AppendExpiring(nil, counts, left)
	c, l, err := DecodeExpiring(b)
	if err != nil || !slices.Equal(c, counts) || !slices.Equal(l, left) {
		t.Fatalf("decoded %v %v %v", c, l, err)
	}
	for _, bad := range [][]byte{append(b, 0), b[:len(b)-1], nil} {
		if _, _, err := DecodeExpiring(bad); err == nil {
			t.Errorf("%x decoded", bad)
		}
	}
}
