package resp

import "testing"

// TestArgsRoundTrip: every command's Args, read as COMMAND DOCS's
// argument specs and drawn again as redis-cli draws a hint from them,
// comes back as written.
func TestArgsRoundTrip(t *testing.T) {
	for _, s := range table {
		if got := render(parseArgs(s.Args), " "); got != s.Args {
			t.Errorf("%s: Args %q drawn back as %q", s.Name, s.Args, got)
		}
	}
}
