package resp

import (
	"slices"
	"strings"
)

// argSpec is one argument of a command as COMMAND DOCS describes it (and
// redis-cli draws its hints from): a name, a kind, the token that
// introduces it, whether it is optional or may repeat, and a oneof's or
// block's own arguments.
type argSpec struct {
	name, token        string
	kind               argKind
	optional, multiple bool
	args               []argSpec
}

// argKind is an argument's type in COMMAND DOCS.
type argKind uint8

const (
	argString    argKind = iota
	argKey               // a key's name
	argPureToken         // the token alone
	argOneOf             // one of args
	argBlock             // args in turn
	argEllipsis          // "...": parsing only, where the arguments before repeat
)

// String is the kind as COMMAND DOCS names it.
func (k argKind) String() string {
	return [...]string{"string", "key", "pure-token", "oneof", "block", "..."}[k]
}

// parseArgs reads a command's arguments from the table's Args, written
// as Redis's documentation writes them: words, an optional part in
// brackets, choices split by |, a word in capitals a token (followed by
// its value's name, or alone), "x [x ...]" for x repeated. Inside
// brackets | splits the bracket's whole content; outside, only the words
// it joins (LEFT|RIGHT).
func parseArgs(s string) []argSpec {
	p := argParser{toks: argTokens(s)}
	return p.seq(false)
}

// argTokens splits s into words, "[", "]", "|" and "...".
func argTokens(s string) []string {
	var toks []string
	word := func(w string) {
		if w != "" {
			toks = append(toks, w)
		}
	}
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '[', ']', '|':
			word(s[start:i])
			if s[i] != ' ' {
				toks = append(toks, s[i:i+1])
			}
			start = i + 1
		}
	}
	word(s[start:])
	return toks
}

type argParser struct {
	toks []string
	at   int
}

func (p *argParser) peek() string {
	if p.at < len(p.toks) {
		return p.toks[p.at]
	}
	return ""
}

// seq reads arguments up to a closing bracket (inBracket: and a | that
// splits the bracket's content) or the end.
func (p *argParser) seq(inBracket bool) []argSpec {
	var out []argSpec
	for {
		switch t := p.peek(); {
		case t == "" || t == "]" || inBracket && t == "|":
			return out
		case t == "[":
			p.at++
			inner, repeats := p.bracket()
			out = p.optional(out, inner, repeats)
		case t == "|": // outside brackets: a choice of the word before and the next
			p.at++
			alt := p.word()
			last := &out[len(out)-1]
			if last.kind == argOneOf {
				last.args = append(last.args, alt)
			} else {
				*last = argSpec{name: strings.ToLower(last.name + "-" + alt.name), kind: argOneOf, args: []argSpec{*last, alt}}
			}
		default:
			out = append(out, p.word())
		}
	}
}

// bracket reads a bracket's content, after "[" and through "]": its
// choices (one, or several split by |), and whether it ends with "...".
func (p *argParser) bracket() (choices [][]argSpec, repeats bool) {
	for {
		choice := p.seq(true)
		if n := len(choice); n > 0 && choice[n-1].kind == argEllipsis {
			choice, repeats = choice[:n-1], true
		}
		choices = append(choices, choice)
		if p.peek() != "|" {
			break
		}
		p.at++
	}
	if p.peek() == "]" {
		p.at++
	}
	return choices, repeats
}

// optional appends to out a bracket's choices: "[x ...]" after x marks x
// (or the arguments it repeats) multiple; a bracket of one argument makes
// it optional; of several, an optional block; of choices, an optional
// oneof.
func (p *argParser) optional(out []argSpec, choices [][]argSpec, repeats bool) []argSpec {
	if repeats && len(choices) == 1 {
		rep := choices[0]
		if last := len(out) - 1; len(rep) == 1 && last >= 0 && out[last].name == rep[0].name && out[last].token != "" && rep[0].token == "" {
			// "GET parameter [parameter ...]": the token, then its value repeated.
			name := out[last]
			out[last] = argSpec{name: strings.ToLower(name.token), kind: argPureToken, token: name.token}
			name.token, name.multiple = "", true
			return append(out, name)
		}
		if k := len(rep); k > 0 && k <= len(out) && sameNames(out[len(out)-k:], rep) {
			if k == 1 {
				out[len(out)-1].multiple = true
				return out
			}
			block := argSpec{name: "data", kind: argBlock, multiple: true, args: slices.Clone(out[len(out)-k:])}
			return append(out[:len(out)-k], block)
		}
		if len(rep) == 1 { // [x ...] alone: x, optional and repeated
			rep[0].optional, rep[0].multiple = true, true
			return append(out, rep[0])
		}
	}
	var arg argSpec
	switch {
	case len(choices) > 1:
		arg = argSpec{name: "choice", kind: argOneOf}
		for _, c := range choices {
			arg.args = append(arg.args, asOne(c))
		}
	default:
		arg = asOne(choices[0])
	}
	arg.optional = true
	return append(out, arg)
}

// asOne is a sequence of arguments as one: itself, or a block of them.
func asOne(seq []argSpec) argSpec {
	if len(seq) == 1 {
		return seq[0]
	}
	return argSpec{name: "block", kind: argBlock, args: seq}
}

// sameNames reports whether a and b name the same arguments.
func sameNames(a, b []argSpec) bool {
	for i := range a {
		if a[i].name != b[i].name || a[i].token != b[i].token {
			return false
		}
	}
	return true
}

// word reads one word: "...", a token (with the name of its value when a
// lower-case word follows), or a name.
func (p *argParser) word() argSpec {
	w := p.toks[p.at]
	p.at++
	switch {
	case w == "...":
		return argSpec{name: w, kind: argEllipsis}
	case isToken(w):
		if v := p.peek(); v != "" && v != "..." && !isToken(v) && v != "[" && v != "]" && v != "|" {
			p.at++
			return argSpec{name: v, kind: kindOf(v), token: w}
		}
		return argSpec{name: strings.ToLower(w), kind: argPureToken, token: w}
	}
	return argSpec{name: w, kind: kindOf(w)}
}

// isToken reports whether w is written in capitals.
func isToken(w string) bool {
	return w != "" && strings.ToUpper(w) == w && strings.ToLower(w) != w
}

// kindOf is the kind of the argument called name: a key's name, or a
// string.
func kindOf(name string) argKind {
	switch name {
	case "key", "newkey", "source", "destination":
		return argKey
	}
	return argString
}

// render writes args back in Redis's documentation's notation, as
// redis-cli draws a hint from COMMAND DOCS.
func render(args []argSpec, sep string) string {
	parts := make([]string, len(args))
	for i, a := range args {
		parts[i] = a.render()
	}
	return strings.Join(parts, sep)
}

func (a argSpec) render() string {
	var s string
	switch a.kind {
	case argPureToken:
		s = a.token
	case argOneOf:
		s = render(a.args, "|")
	case argBlock:
		s = render(a.args, " ")
	default:
		s = a.name
	}
	if a.token != "" && a.kind != argPureToken {
		s = a.token + " " + s
	}
	if a.multiple {
		s += " [" + s + " ...]"
	}
	if a.optional {
		s = "[" + s + "]"
	}
	return s
}

// appendArgs appends args as COMMAND DOCS's arguments: an array of maps
// (name, type, then token, flags and arguments where they have them).
func appendArgs(dst []byte, v Version, args []argSpec) []byte {
	dst = AppendArray(dst, len(args))
	for _, a := range args {
		n := 2
		if a.token != "" {
			n++
		}
		var flags []string
		if a.optional {
			flags = append(flags, "optional")
		}
		if a.multiple {
			flags = append(flags, "multiple")
		}
		if len(flags) > 0 {
			n++
		}
		if len(a.args) > 0 {
			n++
		}
		dst = AppendMap(dst, v, n)
		dst = AppendBulk(AppendBulk(dst, "name"), a.name)
		dst = AppendBulk(AppendBulk(dst, "type"), a.kind.String())
		if a.token != "" {
			dst = AppendBulk(AppendBulk(dst, "token"), a.token)
		}
		if len(flags) > 0 {
			dst = AppendArray(AppendBulk(dst, "flags"), len(flags))
			for _, f := range flags {
				dst = AppendSimple(dst, f)
			}
		}
		if len(a.args) > 0 {
			dst = appendArgs(AppendBulk(dst, "arguments"), v, a.args)
		}
	}
	return dst
}
