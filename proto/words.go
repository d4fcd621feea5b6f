package proto

import (
	"errors"
	"fmt"
	"strings"
)

// A command line typed by a person ("set foo bar", "lpush todo milk eggs")
// is read here into the same Request a frame decodes to, by the same
// command table; AppendRequest then writes the frame. Words are
// case-insensitive command names or the Redis alias of help.go, then one
// word per argument, a container argument taking the rest of the line. SET
// and SET_TTL type their value from the word: an unquoted integer is an
// INT, an unquoted decimal a FLOAT, anything else (or anything quoted) a
// STR; "SET:STR" and the like force the type.

// Word is one word of a command line: its bytes after unquoting, and
// whether it was quoted (a quoted word is always a string).
type Word struct {
	Text   []byte
	Quoted bool
}

var (
	// ErrUnknownCommand is wrapped by ParseWords for a first word that
	// names no command.
	ErrUnknownCommand = errors.New("unknown command")
	// ErrArguments is wrapped by ParseWords when the words do not fit the
	// command's arguments.
	ErrArguments = errors.New("wrong arguments")
	// ErrQuotes is wrapped by SplitWords for unbalanced quotes.
	ErrQuotes = errors.New("unbalanced quotes")
)

// LookupWord finds the command a person means by name: a command word in
// any letter case, or a Redis alias.
func LookupWord(name string) (Command, bool) {
	up := strings.ToUpper(name)
	if c, ok := commandByName[up]; ok {
		return c, true
	}
	c, ok := aliasByName[up]
	return c, ok
}

var aliasByName = func() map[string]Command {
	m := make(map[string]Command)
	for c := CmdNone + 1; c < numCommands; c++ {
		if a := help[c].alias; a != "" {
			if _, own := commandByName[a]; !own {
				m[a] = c
			}
		}
	}
	return m
}()

// ParseWords reads a command line into req. The byte slices of req point
// into the words.
func ParseWords(words []Word, req *Request) error {
	req.Reset()
	if len(words) == 0 {
		return fmt.Errorf("%w: empty line", ErrUnknownCommand)
	}
	name := string(words[0].Text)
	forced := TypeNone
	if i := strings.IndexByte(name, ':'); i > 0 {
		t, ok := typeByWord(name[i+1:])
		if !ok {
			return fmt.Errorf("%w: %q is not STR, INT or FLOAT", ErrArguments, name[i+1:])
		}
		name, forced = name[:i], t
	}
	cmd, ok := LookupWord(name)
	if !ok || cmd == CmdPipe {
		return fmt.Errorf("%w %q (type help for the list)", ErrUnknownCommand, name)
	}
	if forced != TypeNone && !hasArg(cmd, argType) {
		return fmt.Errorf("%w: only SET, SET_TTL and the compare-and-set commands take a type after ':'", ErrArguments)
	}
	req.Cmd = cmd
	rest := words[1:]
	usage := func() error {
		return fmt.Errorf("%w: usage: %s %s", ErrArguments, cmd, cmd.Params())
	}
	var nStr, nInt, nCons, nEnds int
	args := commands[cmd].args
	for ai, a := range args {
		if a == argRaw {
			req.Raw = joinWords(rest)
			rest = nil
			continue
		}
		if len(rest) == 0 && a != argArr && a != argList && a != argSet && a != argHash {
			return usage()
		}
		var perr ParseError
		switch a {
		case argStr:
			req.Str[nStr] = rest[0].Text
			nStr++
			rest = rest[1:]
		case argInt, argMillis:
			k := nInt
			if a == argMillis {
				k = 1
			}
			req.Int[k], perr = wholeWord(rest[0].Text, parseInt)
			nInt++
			rest = rest[1:]
		case argFloat:
			req.Float, perr = wholeWord(rest[0].Text, parseFloat)
			rest = rest[1:]
		case argArr, argList, argSet:
			// Every word but those of the arguments after it (one each:
			// LIST_POP_LEFT_WAIT_ANY's count and milliseconds).
			n := max(0, len(rest)-(len(args)-ai-1))
			for _, w := range rest[:n] {
				req.Elems = append(req.Elems, w.Text)
			}
			rest = rest[n:]
		case argHash:
			if len(rest)%2 != 0 {
				return fmt.Errorf("%w: a field without a value; usage: %s %s", ErrArguments, cmd, cmd.Params())
			}
			for _, w := range rest {
				req.Elems = append(req.Elems, w.Text)
			}
			rest = nil
		case argLevel:
			req.Level, perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseLevel)
			rest = rest[1:]
		case argCons:
			req.Cons[nCons], perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseConsistency)
			nCons++
			rest = rest[1:]
		case argEnd:
			req.Ends[nEnds], perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseEnd)
			nEnds++
			rest = rest[1:]
		case argWhen:
			req.When, perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseDeadlineIf)
			rest = rest[1:]
		case argKeyIf:
			req.If, perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseKeyIf)
			rest = rest[1:]
		case argUnit:
			req.Unit, perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseBitUnit)
			rest = rest[1:]
		case argBitOp:
			req.Op, perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseBitOp)
			rest = rest[1:]
		case argTTLMode:
			req.TTL, perr = wholeWord([]byte(strings.ToUpper(string(rest[0].Text))), parseTTLMode)
			rest = rest[1:]
		case argType:
			if len(rest) < 2 {
				return usage()
			}
			req.Str[0] = rest[0].Text
			perr = typedWord(rest[1], forced, req)
			rest = rest[2:]
		case argAlso: // of the type the value before it took
			perr = valueWord(rest[0], req, true)
			rest = rest[1:]
		case argFence:
			return fencedWords(rest, req)
		case argOnce:
			return onceWords(cmd, rest, req)
		}
		if perr != ErrNone {
			return fmt.Errorf("%w: %s %s: %w", ErrArguments, cmd, cmd.Params(), perr)
		}
	}
	if len(rest) > 0 {
		return usage()
	}
	return nil
}

// fencedWords reads the rest of a FENCED line: the lock, the token and
// the write they fence.
func fencedWords(rest []Word, req *Request) error {
	if len(rest) < 3 {
		return fmt.Errorf("%w: usage: %s %s", ErrArguments, CmdFenced, CmdFenced.Params())
	}
	token, perr := wholeWord(rest[1].Text, parseInt)
	if perr != ErrNone {
		return fmt.Errorf("%w: %s %s: %w", ErrArguments, CmdFenced, CmdFenced.Params(), perr)
	}
	if err := ParseWords(rest[2:], req); err != nil {
		return err
	}
	if !req.Cmd.WritesOneKey() {
		return fmt.Errorf("%w: %s carries a write of one key, not %s", ErrArguments, CmdFenced, req.Cmd)
	}
	req.Fenced, req.Fence = true, Fence{Lock: rest[0].Text, Token: token}
	return nil
}

// onceWords reads the rest of a ONCE or RETRY (cmd) line: the id and the
// write (or blocking pop) it names.
func onceWords(cmd Command, rest []Word, req *Request) error {
	if len(rest) < 2 {
		return fmt.Errorf("%w: usage: %s %s", ErrArguments, cmd, cmd.Params())
	}
	if err := ParseWords(rest[1:], req); err != nil {
		return err
	}
	if !req.Cmd.WritesOneKey() && !req.Cmd.BlockingPop() || req.Once != OnceNone {
		return fmt.Errorf("%w: %s carries a write of one key or a blocking pop, not %s", ErrArguments, cmd, req.Cmd)
	}
	req.Once, req.OnceID = OnceFirst, rest[0].Text
	if cmd == CmdRetry {
		req.Once = OnceRetry
	}
	return nil
}

func hasArg(c Command, a arg) bool {
	for _, x := range commands[c].args {
		if x == a {
			return true
		}
	}
	return false
}

func typeByWord(s string) (Type, bool) {
	switch strings.ToUpper(s) {
	case "STR":
		return TypeStr, true
	case "INT":
		return TypeInt, true
	case "FLOAT":
		return TypeFloat, true
	}
	return TypeNone, false
}

// typedWord stores w as SET's value: of type t, or typed from the word.
func typedWord(w Word, t Type, req *Request) ParseError {
	if t == TypeNone {
		t = inferType(w)
	}
	req.Type = t
	return valueWord(w, req, false)
}

// valueWord stores w as a value of req.Type at req.typed(second).
func valueWord(w Word, req *Request, second bool) ParseError {
	s, n, f := req.typed(second)
	var err ParseError
	switch req.Type {
	case TypeStr:
		*s = w.Text
	case TypeInt:
		*n, err = wholeWord(w.Text, parseInt)
	case TypeFloat:
		*f, err = wholeWord(w.Text, parseFloat)
	}
	return err
}

// inferType types an unquoted word: an integer in range is an INT, a
// decimal number (with a digit: "nan" stays a string) a FLOAT.
func inferType(w Word) Type {
	if w.Quoted {
		return TypeStr
	}
	if _, err := wholeWord(w.Text, parseInt); err == ErrNone {
		return TypeInt
	}
	if strings.ContainsAny(string(w.Text), "0123456789") {
		if _, err := wholeWord(w.Text, parseFloat); err == ErrNone {
			return TypeFloat
		}
	}
	return TypeStr
}

// wholeWord runs a frame parser on one word and requires it to take all of
// it, so a word has the frame's syntax and error texts.
func wholeWord[T any](b []byte, parse func([]byte, int) (T, int, ParseError)) (T, ParseError) {
	v, i, err := parse(b, 0)
	if err == ErrNone && i != len(b) {
		var zero T
		if len(b) == 0 {
			return zero, ErrUnexpectedEnd
		}
		return zero, ErrTrailing
	}
	return v, err
}

func joinWords(ws []Word) []byte {
	var b []byte
	for i, w := range ws {
		if i > 0 {
			b = append(b, ' ')
		}
		b = append(b, w.Text...)
	}
	return b
}

// SplitWords splits a command line at whitespace. A word may be quoted:
// "double quotes" take the escapes \" \\ \n \r \t \a \b and \xHH; 'single
// quotes' are literal but for \'. A closing quote must end the word.
func SplitWords(line string) ([]Word, error) {
	var words []Word
	i := 0
	for {
		for i < len(line) && IsSpace(line[i]) {
			i++
		}
		if i == len(line) {
			return words, nil
		}
		var w Word
		switch line[i] {
		case '"', '\'':
			q := line[i]
			w.Quoted = true
			w.Text = []byte{}
			i++
			closed := false
			for i < len(line) && !closed {
				c := line[i]
				switch {
				case c == q:
					closed = true
				case c == '\\' && i+1 < len(line):
					i++
					if q == '\'' {
						if line[i] != '\'' {
							w.Text = append(w.Text, '\\')
						}
						w.Text = append(w.Text, line[i])
						break
					}
					b, n := unescape(line[i:])
					w.Text = append(w.Text, b)
					i += n - 1
				default:
					w.Text = append(w.Text, c)
				}
				i++
			}
			if !closed {
				return nil, fmt.Errorf("%w: %c not closed", ErrQuotes, q)
			}
			if i < len(line) && !IsSpace(line[i]) {
				return nil, fmt.Errorf("%w: a closing quote must end the word", ErrQuotes)
			}
		default:
			start := i
			for i < len(line) && !IsSpace(line[i]) {
				i++
			}
			w.Text = []byte(line[start:i])
		}
		words = append(words, w)
	}
}

// unescape reads the escape after a backslash in double quotes; it returns
// the byte and how many bytes of s it took.
func unescape(s string) (byte, int) {
	switch s[0] {
	case 'n':
		return '\n', 1
	case 'r':
		return '\r', 1
	case 't':
		return '\t', 1
	case 'a':
		return '\a', 1
	case 'b':
		return '\b', 1
	case 'x':
		if len(s) >= 3 && isHex(s[1]) && isHex(s[2]) {
			return unhex(s[1])<<4 | unhex(s[2]), 3
		}
	}
	return s[0], 1
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c|0x20 >= 'a' && c|0x20 <= 'f'
}

func unhex(c byte) byte {
	if c <= '9' {
		return c - '0'
	}
	return (c | 0x20) - 'a' + 10
}
