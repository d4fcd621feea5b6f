package main

import (
	"errors"
	"testing"

	"github.com/vanitydb/vanity/internal/secret"
)

// TestInternalPortsClosedByDefault: a router without a cluster secret
// does not start unless --insecure, and then only on loopback.
func TestInternalPortsClosedByDefault(t *testing.T) {
	t.Setenv("VANITY_CLUSTER_SECRET", "")
	for _, tc := range []struct {
		args []string
		want error
	}{
		{nil, secret.ErrNoSecret},
		{[]string{"-insecure", "-gossip", "10.0.0.1:7947"}, secret.ErrNotLoopback},
		{[]string{"-secret", "s", "-debug-addr", "0.0.0.0:6060"}, secret.ErrNotLoopback},
	} {
		if err := run(tc.args); !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.args, err, tc.want)
		}
	}
}
