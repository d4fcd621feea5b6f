package resp

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the generated table of docs/resp.md")

const (
	tableBegin = "<!-- generated: go test ./resp -run TestCompatibilityTable -update -->\n"
	tableEnd   = "<!-- end of generated table -->\n"
)

// compatibilityTable is the command table as docs/resp.md shows it.
func compatibilityTable() string {
	var b strings.Builder
	group := ""
	for _, s := range Specs() {
		if s.Group != group {
			group = s.Group
			fmt.Fprintf(&b, "\n**%s**\n\n| command | arguments | in Vanity |\n|---|---|---|\n", group)
		}
		what := s.Note
		if what == "" {
			what = "as Redis"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s |\n", strings.ToUpper(s.Name), strings.ReplaceAll(s.Args, "|", "\\|"), what)
	}
	return b.String()
}

// TestCompatibilityTable keeps docs/resp.md's table the command table's:
// it fails when they differ (-update rewrites it).
func TestCompatibilityTable(t *testing.T) {
	const path = "../docs/resp.md"
	doc, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	before, rest, ok := strings.Cut(string(doc), tableBegin)
	_, after, ok2 := strings.Cut(rest, tableEnd)
	if !ok || !ok2 {
		t.Fatalf("%s lacks the generated table's markers", path)
	}
	want := before + tableBegin + compatibilityTable() + "\n" + tableEnd + after
	if want == string(doc) {
		return
	}
	if *update {
		if err := os.WriteFile(path, []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	t.Errorf("%s's table differs from the command table: run go test ./resp -run TestCompatibilityTable -update", path)
}
