package main

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/vanitydb/vanity/internal/secret"
)

// TestInternalPortsClosedByDefault: a node without a cluster secret does
// not start (anyone reaching its RPC port could read and write every key);
// --insecure starts only on loopback; a secret file others can read is
// refused; the debug endpoints bind loopback only. Each case fails before
// anything listens.
func TestInternalPortsClosedByDefault(t *testing.T) {
	t.Setenv("VANITY_CLUSTER_SECRET", "")
	dir := t.TempDir()
	open := filepath.Join(dir, "secret")
	if err := os.WriteFile(open, []byte("s3cret"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want error
	}{
		{[]string{"--data-dir", dir}, secret.ErrNoSecret},
		{[]string{"--data-dir", dir, "--insecure", "--rpc", "0.0.0.0:0"}, secret.ErrNotLoopback},
		{[]string{"--data-dir", dir, "--secret-file", open}, secret.ErrReadableFile},
		{[]string{"--data-dir", dir, "--secret", "s", "--debug-addr", ":6060"}, secret.ErrNotLoopback},
		{[]string{"remove", "--join", "127.0.0.1:1", "node-9"}, secret.ErrNoSecret},
		{[]string{"leave", "--rpc", "127.0.0.1:1"}, secret.ErrNoSecret},
	} {
		if err := run(tc.args); !errors.Is(err, tc.want) {
			t.Errorf("%q: %v, want %v", tc.args, err, tc.want)
		}
	}
}
