package proto_test

import (
	"flag"
	"os"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/internal/golden"
	"github.com/vanitydb/vanity/proto"
)

var update = flag.Bool("update", false, "rewrite the = lines of testdata/golden.txt")

// TestGolden checks that every request in the golden file parses (or fails
// exactly as its reply says), and that every reply decodes to its "=" line.
func TestGolden(t *testing.T) {
	secs, err := golden.Read(golden.Path())
	if err != nil {
		t.Fatal(err)
	}
	decoded := map[int]string{}
	for _, s := range secs {
		for _, st := range s.Steps {
			r, err := proto.ParseReply(st.Reply)
			if err != nil {
				t.Errorf("line %d: reply %q does not parse: %v", st.Line, st.Reply, err)
				continue
			}
			if out := proto.AppendReply(nil, r); string(out) != string(st.Reply) {
				t.Errorf("line %d: reply re-encodes as %q", st.Line, out)
			}
			c := golden.Canonical(r)
			decoded[st.Line] = c
			if !*update && st.Decoded != c {
				t.Errorf("line %d: decoded\n got %s\nwant %s", st.Line, c, st.Decoded)
			}
			// Every BAD_REQUEST of the "bad requests" section comes from the
			// parser alone.
			if s.Name == "bad requests" && r.Status == proto.StatusBadRequest {
				var req proto.Request
				perr := proto.ParseRequest(st.Request, &req)
				if got := proto.AppendBadRequest(nil, perr); string(got) != string(st.Reply) {
					t.Errorf("line %d: %q parses to %q, the golden reply is %q", st.Line, st.Request, got, st.Reply)
				}
			}
		}
	}
	if *update {
		rewrite(t, decoded)
	}
}

// rewrite replaces or inserts the "=" line after every reply line.
func rewrite(t *testing.T, decoded map[int]string) {
	data, err := os.ReadFile(golden.Path())
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	var out []string
	for i := 0; i < len(lines); i++ {
		out = append(out, lines[i])
		if c, ok := decoded[i+1]; ok {
			out = append(out, "= "+c)
			if i+1 < len(lines) && strings.HasPrefix(lines[i+1], "= ") {
				i++
			}
		}
	}
	if err := os.WriteFile(golden.Path(), []byte(strings.Join(out, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}
