package cli

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// localWords are handled by the CLI itself and never sent.
var localWords = []string{"help", "exit", "quit", "clear"}

// helpText answers "help" (the command list by group) and "help <name>"
// (one command: usage, what it does, its Redis alias).
func helpText(args []string) string {
	var b strings.Builder
	if len(args) == 0 {
		b.WriteString("Commands are words: set foo bar, get foo, lpush todo milk eggs.\n")
		b.WriteString("A quoted value is a string (set n \"5\"); unquoted, 5 is an INT and 1.5 a FLOAT;\n")
		b.WriteString("set:str n 5 forces the type. Redis names work where the arguments are the same.\n")
		b.WriteString("help <command> shows one command; exit leaves. Tab completes command names.\n")
		for _, g := range proto.Groups() {
			fmt.Fprintf(&b, "\n%s:\n", g)
			for _, c := range proto.Commands() {
				if c.Group() != g || c == proto.CmdPipe {
					continue
				}
				fmt.Fprintf(&b, "  %-20s %s\n", strings.ToLower(c.String()), c.Summary())
			}
		}
		return b.String()
	}
	c, ok := proto.LookupWord(args[0])
	if !ok {
		return fmt.Sprintf("no command %q; help lists them all\n", args[0])
	}
	fmt.Fprintf(&b, "  %s %s\n", strings.ToLower(c.String()), c.Params())
	fmt.Fprintf(&b, "  %s\n", c.Summary())
	fmt.Fprintf(&b, "  group: %s\n", c.Group())
	if a := c.Alias(); a != "" && a != c.String() {
		fmt.Fprintf(&b, "  Redis name: %s\n", strings.ToLower(a))
	}
	return b.String()
}

// completions lists the command names (lower case, aliases included) and
// local words that start with prefix, sorted.
func completions(prefix string) []string {
	prefix = strings.ToLower(prefix)
	seen := map[string]bool{}
	var out []string
	add := func(w string) {
		w = strings.ToLower(w)
		if strings.HasPrefix(w, prefix) && !seen[w] {
			seen[w] = true
			out = append(out, w)
		}
	}
	for _, c := range proto.Commands() {
		if c == proto.CmdPipe {
			continue
		}
		add(c.String())
		if a := c.Alias(); a != "" {
			add(a)
		}
	}
	for _, w := range localWords {
		add(w)
	}
	sort.Strings(out)
	return out
}

// completer completes the first word of a line (readline.AutoCompleter).
type completer struct{}

func (completer) Do(line []rune, pos int) ([][]rune, int) {
	head := string(line[:pos])
	if strings.ContainsAny(head, " \t") {
		fields := strings.Fields(head)
		if len(fields) == 1 && strings.ToLower(fields[0]) == "help" && strings.HasSuffix(head, " ") {
			return suffixes(completions(""), 0), 0
		}
		if len(fields) == 2 && strings.ToLower(fields[0]) == "help" && !strings.HasSuffix(head, " ") {
			return suffixes(completions(fields[1]), len(fields[1])), len(fields[1])
		}
		return nil, 0
	}
	return suffixes(completions(head), len(head)), len(head)
}

// suffixes returns what completes each word after its first n bytes,
// followed by a space.
func suffixes(words []string, n int) [][]rune {
	out := make([][]rune, len(words))
	for i, w := range words {
		out[i] = []rune(w[n:] + " ")
	}
	return out
}
