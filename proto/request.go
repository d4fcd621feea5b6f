package proto

import (
	"crypto/sha256"
	"math"
	"strconv"
	"unsafe"
)

// Request is one decoded request. Arguments are stored by kind in the order
// the command's schema lists them: the first STR argument in Str[0], the
// second in Str[1], and so on; likewise Int. Byte slices point into the
// frame buffer (see the package doc).
type Request struct {
	Cmd   Command
	Type  Type           // SET: the annotated type (TypeStr, TypeInt or TypeFloat)
	Level Level          // EDIT_USER
	Cons  [2]Consistency // CONSISTENCY: read, write
	Ends  [2]End         // LIST_MOVE: the source's end, the destination's
	When  DeadlineIf     // SET_EXPIRY_IF, SET_EXPIRY_AT_IF: when the deadline is set
	If    KeyIf          // SET_WITH, GET_SET_WITH: when the value is written
	TTL   TTLMode        // SET_WITH, GET_SET_WITH: the deadline it gets (its milliseconds in Int[1])
	Unit  BitUnit        // STR_BIT_COUNT, STR_BIT_POS: what the range counts in
	Op    BitOp          // STR_BIT_OP_INTO: what it makes of the sources
	Str   [3][]byte
	Int   [3]int64
	Float float64
	// Float2 is SET_IF's new value when it is a FLOAT (Float holds the
	// expected one).
	Float2 float64
	Elems  [][]byte // ARR, LIST and SET elements; HASH as field, value, field, value...
	Raw    []byte   // top-level PING: everything after the command word
	// Fenced says the request came as FENCED's write (§12.11): Cmd is
	// the write, Fence the lock and token it carries.
	Fenced bool
	Fence  Fence
	// Once says the request came as ONCE's or RETRY's write (§12.12),
	// OnceID the id its client gave it.
	Once   OnceKind
	OnceID []byte
}

// OnceKind is how a write with a request id was sent (§12.12).
type OnceKind uint8

const (
	OnceNone  OnceKind = iota // no id
	OnceFirst                 // ONCE: run it, unless the key's recent commands list its id
	OnceRetry                 // RETRY: never run it; answer the reply its id has on the key
	// OnceTry is one try of a blocking pop sent as ONCE (§12.9, §12.12):
	// run as ONCE, but recorded only when it takes an element, so that
	// the blocking pop's next try, or its ONCE sent again, may still take
	// one. Routers make it; clients cannot send it.
	OnceTry
)

// Fence is what a FENCED write carries: the name of the lock its writer
// holds and that holding's token.
type Fence struct {
	Lock  []byte
	Token int64
}

// Conditional reports whether what r does depends on the state it
// replaces: a conditional command (Command.Conditional), a SET_WITH whose
// form reads the key (SetForm.Reads), any FENCED write (refused behind a
// newer token), or any write with a request id (answered from the key's
// record when its id is there).
func (r *Request) Conditional() bool {
	return r.Fenced || r.Once != OnceNone || r.Cmd.Conditional() ||
		r.Cmd == CmdSetWith && SetForm{If: r.If, TTL: r.TTL}.Reads()
}

// typed returns where a typed value of r lives (r.Type says which field
// counts): SET's value (Str[1], Int[0], Float), or with second, SET_IF's
// new one (Str[2], Int[1], Float2).
func (r *Request) typed(second bool) (*[]byte, *int64, *float64) {
	if second {
		return &r.Str[2], &r.Int[1], &r.Float2
	}
	return &r.Str[1], &r.Int[0], &r.Float
}

// Key returns the first STR argument, which is the key of every single-key
// command.
func (r *Request) Key() []byte { return r.Str[0] }

// Reset clears r for reuse, keeping the Elems backing array.
func (r *Request) Reset() {
	elems := r.Elems[:0]
	*r = Request{Elems: elems}
}

// bytes is the length of the byte strings r holds.
func (r *Request) bytes() int {
	n := len(r.Raw)
	for _, s := range r.Str {
		n += len(s)
	}
	n += len(r.Fence.Lock) + len(r.OnceID)
	for _, e := range r.Elems {
		n += len(e)
	}
	return n
}

// Size is about what a copy of r (Clone) takes in memory.
func (r *Request) Size() int {
	return int(unsafe.Sizeof(*r)+unsafe.Sizeof([]byte(nil))*uintptr(len(r.Elems))) + r.bytes()
}

// Clone returns a deep copy of r that shares no memory with the frame.
func (r *Request) Clone() *Request {
	c := *r
	buf := make([]byte, 0, r.bytes())
	cp := func(b []byte) []byte {
		if b == nil {
			return nil
		}
		start := len(buf)
		buf = append(buf, b...)
		return buf[start:len(buf):len(buf)]
	}
	for i, s := range r.Str {
		c.Str[i] = cp(s)
	}
	c.Raw = cp(r.Raw)
	c.Fence.Lock = cp(r.Fence.Lock)
	c.OnceID = cp(r.OnceID)
	c.Elems = nil
	if r.Elems != nil {
		c.Elems = make([][]byte, len(r.Elems))
		for i, e := range r.Elems {
			c.Elems[i] = cp(e)
		}
	}
	return &c
}

// Parser decodes requests. Its zero value is ready to use.
type Parser struct{}

// IsSpace reports whether c is one of the six ASCII whitespace bytes.
func IsSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

// SkipSpace returns the first position at or after i that is not whitespace.
func SkipSpace(b []byte, i int) int {
	for i < len(b) && IsSpace(b[i]) {
		i++
	}
	return i
}

// ParseCommand skips leading whitespace and matches the command word at
// b[i:]. It returns the command and the position after the word, or CmdNone.
func ParseCommand(b []byte, i int) (Command, int) {
	i = SkipSpace(b, i)
	c, n := MatchCommand(b[i:])
	return c, i + n
}

// ParseRequest decodes a whole top-level request frame into req.
func ParseRequest(b []byte, req *Request) ParseError {
	req.Reset()
	cmd, i := ParseCommand(b, 0)
	if cmd == CmdNone {
		return ErrInvalidOperation
	}
	req.Cmd = cmd
	i, err := ParseArgs(b, i, cmd, true, req)
	if err != ErrNone {
		return err
	}
	return CheckEnd(b, i)
}

// CheckEnd reports ErrTrailing unless only whitespace remains from i.
func CheckEnd(b []byte, i int) ParseError {
	if SkipSpace(b, i) != len(b) {
		return ErrTrailing
	}
	return ErrNone
}

// ParseArgs decodes the arguments of cmd from b[i:] into req and returns the
// position after the last one. top reports whether the request is a whole
// frame rather than an entry of a PIPE: a top-level PING takes the raw rest
// of the frame, and a PING inside a pipe takes nothing. PIPE's own count and
// entries are not read here (see ParsePipeCount).
func ParseArgs(b []byte, i int, cmd Command, top bool, req *Request) (int, ParseError) {
	req.Cmd = cmd
	var nStr, nInt, nCons, nEnds int
	var err ParseError
	for _, a := range commands[cmd].args {
		switch a {
		case argRaw:
			if top {
				req.Raw = b[i:]
				i = len(b)
			}
		case argStr:
			req.Str[nStr], i, err = parseStr(b, i)
			nStr++
		case argInt:
			req.Int[nInt], i, err = parseInt(b, i)
			nInt++
		case argFloat:
			req.Float, i, err = parseFloat(b, i)
		case argArr:
			req.Elems, i, err = parseSeq(b, i, req.Elems[:0], '[', ']', 1, ErrArrOpen, ErrArrClose)
		case argList:
			req.Elems, i, err = parseSeq(b, i, req.Elems[:0], '[', ']', 1, ErrListOpen, ErrListClose)
		case argSet:
			req.Elems, i, err = parseSeq(b, i, req.Elems[:0], '{', '}', 1, ErrSetOpen, ErrSetClose)
		case argHash:
			req.Elems, i, err = parseSeq(b, i, req.Elems[:0], '{', '}', 2, ErrHashOpen, ErrHashClose)
		case argLevel:
			req.Level, i, err = parseLevel(b, i)
		case argCons:
			req.Cons[nCons], i, err = parseConsistency(b, i)
			nCons++
		case argEnd:
			req.Ends[nEnds], i, err = parseEnd(b, i)
			nEnds++
		case argWhen:
			req.When, i, err = parseDeadlineIf(b, i)
		case argKeyIf:
			req.If, i, err = parseKeyIf(b, i)
		case argUnit:
			req.Unit, i, err = parseBitUnit(b, i)
		case argBitOp:
			req.Op, i, err = parseBitOp(b, i)
		case argTTLMode:
			req.TTL, i, err = parseTTLMode(b, i)
		case argType:
			i, err = parseTypedValue(b, i, req)
		case argMillis:
			req.Int[1], i, err = parseInt(b, i)
		case argAlso:
			i, err = parseValueOf(b, i, req, true)
		case argFence:
			return parseFenced(b, i, top, req)
		case argOnce:
			return parseOnce(b, i, cmd, top, req)
		}
		if err != ErrNone {
			return i, err
		}
	}
	return i, ErrNone
}

// parseFenced decodes the rest of a FENCED request from b[i:]: the lock,
// the token and the write they fence, which becomes req's command.
func parseFenced(b []byte, i int, top bool, req *Request) (int, ParseError) {
	var err ParseError
	if req.Fence.Lock, i, err = parseStr(b, i); err != ErrNone {
		return i, err
	}
	if req.Fence.Token, i, err = parseInt(b, i); err != ErrNone {
		return i, err
	}
	cmd, j := ParseCommand(b, i)
	switch {
	case cmd == CmdNone:
		return j, ErrInvalidOperation
	case !cmd.WritesOneKey():
		return j, ErrFencedCommand
	}
	req.Fenced = true
	return ParseArgs(b, j, cmd, top, req)
}

// parseOnce decodes the rest of a ONCE or RETRY request (cmd) from b[i:]:
// the id, and the write it names, which becomes req's command (a FENCED
// write included).
func parseOnce(b []byte, i int, cmd Command, top bool, req *Request) (int, ParseError) {
	var err ParseError
	if req.OnceID, i, err = parseStr(b, i); err != ErrNone {
		return i, err
	}
	inner, j := ParseCommand(b, i)
	switch {
	case inner == CmdNone:
		return j, ErrInvalidOperation
	case inner != CmdFenced && !inner.WritesOneKey() && !inner.BlockingPop():
		return j, ErrOnceCommand
	}
	req.Once = OnceFirst
	if cmd == CmdRetry {
		req.Once = OnceRetry
	}
	return ParseArgs(b, j, inner, top, req)
}

// WrappedCommand returns the command of the write that the ONCE or RETRY
// request frame carries, or CmdNone when frame is neither (or malformed
// before the write's command word).
func WrappedCommand(frame []byte) Command {
	cmd, i := ParseCommand(frame, 0)
	if cmd != CmdOnce && cmd != CmdRetry {
		return CmdNone
	}
	_, i, err := parseStr(frame, i)
	if err != ErrNone {
		return CmdNone
	}
	inner, _ := ParseCommand(frame, i)
	return inner
}

// OnceID is the internal id of a write whose client named it id (ONCE,
// RETRY): 16 bytes of its SHA-256, so that any id a client picks fits the
// records (docs/serial.md, "Applied records").
func OnceID(id []byte) [16]byte {
	sum := sha256.Sum256(id)
	return [16]byte(sum[:16])
}

// MaxPipeDepth is how deeply PIPEs nest: a PIPE inside MaxPipeDepth
// enclosing ones is refused (ErrPipeDepth), which poisons the rest of its
// frame like any parse error (§7.3, §12.2). Every parser of pipes recurses
// once per level; the bound keeps that to a few kilobytes of stack.
const MaxPipeDepth = 32

// minEntry is the fewest bytes a pipe entry takes: the shortest command
// word.
var minEntry = func() int {
	n := len(commands[CmdPing].name)
	for c := CmdNone + 1; c < numCommands; c++ {
		n = min(n, len(commands[c].name))
	}
	return n
}()

// ParsePipeCount reads the "(n)" request count of a PIPE. A count that
// the rest of the frame cannot hold (each entry takes at least a command
// word) is out of range: it would make the server answer every missing
// entry, a reply far larger than the request.
func ParsePipeCount(b []byte, i int) (uint64, int, ParseError) {
	n, i, err := parseLength(b, i)
	if err == ErrNone && n > uint64(len(b)-i)/uint64(minEntry) {
		return 0, i, ErrLengthRange
	}
	return n, i, err
}

// SkipRequest parses one pipe entry starting at b[i:] for syntax only,
// including the entries of a nested PIPE, and returns where it ends.
// depth is the number of PIPEs enclosing the entry (1 in a top-level
// PIPE).
func SkipRequest(b []byte, i, depth int, req *Request) (int, ParseError) {
	cmd, i := ParseCommand(b, i)
	if cmd == CmdNone {
		return i, ErrInvalidOperation
	}
	if cmd != CmdPipe {
		return ParseArgs(b, i, cmd, false, req)
	}
	if depth >= MaxPipeDepth {
		return i, ErrPipeDepth
	}
	n, i, err := ParsePipeCount(b, i)
	if err != ErrNone {
		return i, err
	}
	for k := uint64(0); k < n; k++ {
		if i, err = SkipRequest(b, i, depth+1, req); err != ErrNone {
			return i, err
		}
	}
	return i, ErrNone
}

// parseLength reads "(n)" after optional whitespace.
func parseLength(b []byte, i int) (uint64, int, ParseError) {
	i = SkipSpace(b, i)
	if i == len(b) {
		return 0, i, ErrUnexpectedEnd
	}
	if b[i] != '(' {
		return 0, i, ErrExpectedLength
	}
	i++
	if i == len(b) || b[i] < '0' || b[i] > '9' {
		return 0, i, ErrInvalidLength
	}
	var n uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		d := uint64(b[i] - '0')
		if n > (math.MaxUint64-d)/10 {
			overflow = true
		}
		n = n*10 + d
	}
	if overflow {
		return 0, i, ErrLengthRange
	}
	if i == len(b) || b[i] != ')' {
		return 0, i, ErrExpectedLength
	}
	return n, i + 1, ErrNone
}

func parseStr(b []byte, i int) ([]byte, int, ParseError) {
	n, i, err := parseLength(b, i)
	if err != ErrNone {
		return nil, i, err
	}
	if n > uint64(len(b)-i) {
		return nil, i, ErrStrLength
	}
	end := i + int(n)
	return b[i:end:end], end, ErrNone
}

func parseInt(b []byte, i int) (int64, int, ParseError) {
	i = SkipSpace(b, i)
	if i == len(b) {
		return 0, i, ErrUnexpectedEnd
	}
	neg := false
	if b[i] == '+' || b[i] == '-' {
		neg = b[i] == '-'
		i++
	}
	start := i
	var u uint64
	overflow := false
	for ; i < len(b) && b[i] >= '0' && b[i] <= '9'; i++ {
		if u > (1<<63)/10 {
			overflow = true
		}
		u = u*10 + uint64(b[i]-'0')
		if u > 1<<63 {
			overflow = true
		}
	}
	if i == start {
		return 0, i, ErrInvalidInt
	}
	if overflow || (!neg && u > math.MaxInt64) {
		return 0, i, ErrIntRange
	}
	if neg {
		return int64(-u), i, ErrNone // -(1<<63) wraps to MinInt64 exactly
	}
	return int64(u), i, ErrNone
}

// floatToken returns the length of the longest FLOAT literal at b[0:].
func floatToken(b []byte) int {
	i := 0
	if i < len(b) && (b[i] == '+' || b[i] == '-') {
		i++
	}
	if n := matchFold(b[i:], "infinity"); n > 0 {
		return i + n
	}
	if n := matchFold(b[i:], "inf"); n > 0 {
		return i + n
	}
	if n := matchFold(b[i:], "nan"); n > 0 {
		return i + n
	}
	digits := 0
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
		digits++
	}
	if i < len(b) && b[i] == '.' {
		j := i + 1
		frac := 0
		for j < len(b) && b[j] >= '0' && b[j] <= '9' {
			j++
			frac++
		}
		if digits > 0 || frac > 0 {
			i = j
			digits += frac
		}
	}
	if digits == 0 {
		return 0
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		j := i + 1
		if j < len(b) && (b[j] == '+' || b[j] == '-') {
			j++
		}
		k := j
		for k < len(b) && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i
}

// matchFold returns len(word) if b starts with word, ignoring ASCII case.
func matchFold(b []byte, word string) int {
	if len(b) < len(word) {
		return 0
	}
	for k := 0; k < len(word); k++ {
		if b[k]|0x20 != word[k] {
			return 0
		}
	}
	return len(word)
}

func parseFloat(b []byte, i int) (float64, int, ParseError) {
	i = SkipSpace(b, i)
	if i == len(b) {
		return 0, i, ErrUnexpectedEnd
	}
	n := floatToken(b[i:])
	if n == 0 {
		return 0, i, ErrInvalidFloat
	}
	tok := b[i : i+n]
	i += n
	body := tok
	if body[0] == '+' || body[0] == '-' {
		body = body[1:]
	}
	if body[0]|0x20 == 'n' { // nan, whatever its sign
		return math.NaN(), i, ErrNone
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		if math.IsInf(f, 0) && body[0]|0x20 != 'i' {
			return 0, i, ErrFloatRange
		}
		if !math.IsInf(f, 0) {
			return 0, i, ErrInvalidFloat
		}
	}
	return f, i, ErrNone
}

// parseSeq reads "(n)" followed by open, n groups of per strings, and close.
func parseSeq(b []byte, i int, dst [][]byte, open, close byte, per int, errOpen, errClose ParseError) ([][]byte, int, ParseError) {
	n, i, err := parseLength(b, i)
	if err != ErrNone {
		return dst, i, err
	}
	if i == len(b) || b[i] != open {
		return dst, i, errOpen
	}
	i++
	for k := uint64(0); k < n; k++ {
		for p := 0; p < per; p++ {
			var s []byte
			if s, i, err = parseStr(b, i); err != ErrNone {
				return dst, i, err
			}
			dst = append(dst, s)
		}
	}
	i = SkipSpace(b, i)
	if i == len(b) || b[i] != close {
		return dst, i, errClose
	}
	return dst, i + 1, ErrNone
}

func parseLevel(b []byte, i int) (Level, int, ParseError) {
	i = SkipSpace(b, i)
	for l, name := range levelNames {
		if hasPrefix(b[i:], name) {
			return Level(l), i + len(name), ErrNone
		}
	}
	return 0, i, ErrInvalidLevel
}

func parseConsistency(b []byte, i int) (Consistency, int, ParseError) {
	return parseName[Consistency](b, i, consistencyNames[:], ErrInvalidConsistency)
}

func parseEnd(b []byte, i int) (End, int, ParseError) {
	return parseName[End](b, i, endNames[:], ErrInvalidEnd)
}

func parseDeadlineIf(b []byte, i int) (DeadlineIf, int, ParseError) {
	return parseName[DeadlineIf](b, i, deadlineIfNames[:], ErrInvalidDeadlineIf)
}

func parseKeyIf(b []byte, i int) (KeyIf, int, ParseError) {
	return parseName[KeyIf](b, i, keyIfNames[:], ErrInvalidSetOption)
}

func parseBitUnit(b []byte, i int) (BitUnit, int, ParseError) {
	return parseName[BitUnit](b, i, bitUnitNames[:], ErrInvalidBitUnit)
}

func parseBitOp(b []byte, i int) (BitOp, int, ParseError) {
	return parseName[BitOp](b, i, bitOpNames[:], ErrInvalidBitOp)
}

func parseTTLMode(b []byte, i int) (TTLMode, int, ParseError) {
	return parseName[TTLMode](b, i, ttlModeNames[:], ErrInvalidSetOption)
}

// parseName reads one of names, the words of an enum in its order, and
// returns its index; invalid when none is there. The longest name that
// is there wins (SOME_EARLIER, not SOME).
func parseName[T ~uint8](b []byte, i int, names []string, invalid ParseError) (T, int, ParseError) {
	i = SkipSpace(b, i)
	if i == len(b) {
		return 0, i, ErrUnexpectedEnd
	}
	found := -1
	for n, name := range names {
		if hasPrefix(b[i:], name) && (found < 0 || len(name) > len(names[found])) {
			found = n
		}
	}
	if found < 0 {
		return 0, i, invalid
	}
	return T(found), i + len(names[found]), ErrNone
}

// parseTypedValue reads SET's ":T" annotation, the key, and a value of T.
func parseTypedValue(b []byte, i int, req *Request) (int, ParseError) {
	i = SkipSpace(b, i)
	if i == len(b) || b[i] != ':' {
		return i, ErrExpectedType
	}
	i = SkipSpace(b, i+1)
	switch {
	case hasPrefix(b[i:], "STR"):
		req.Type, i = TypeStr, i+3
	case hasPrefix(b[i:], "INT"):
		req.Type, i = TypeInt, i+3
	case hasPrefix(b[i:], "FLOAT"):
		req.Type, i = TypeFloat, i+5
	case hasPrefix(b[i:], "ARR"), hasPrefix(b[i:], "LIST"), hasPrefix(b[i:], "SET"), hasPrefix(b[i:], "HASH"):
		return i, ErrInvalidTypeColon
	default:
		return i, ErrInvalidType
	}
	var err ParseError
	if req.Str[0], i, err = parseStr(b, i); err != ErrNone {
		return i, err
	}
	return parseValueOf(b, i, req, false)
}

// parseValueOf reads a value of req.Type into req.typed(second).
func parseValueOf(b []byte, i int, req *Request, second bool) (int, ParseError) {
	s, n, f := req.typed(second)
	var err ParseError
	switch req.Type {
	case TypeStr:
		*s, i, err = parseStr(b, i)
	case TypeInt:
		*n, i, err = parseInt(b, i)
	case TypeFloat:
		*f, i, err = parseFloat(b, i)
	}
	return i, err
}

func hasPrefix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[:len(s)]) == s
}
