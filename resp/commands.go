package resp

import (
	"bytes"
	"fmt"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// Kind says how the listener runs a Redis command.
type Kind uint8

const (
	KindRequests     Kind = iota // Vanity requests (Spec.Build); the reply by Spec.Shape
	KindHello                    // HELLO: protocol version, AUTH, SETNAME
	KindCommand                  // COMMAND and its subcommands: this table
	KindClient                   // CLIENT ID / SETNAME / GETNAME / SETINFO
	KindConfig                   // CONFIG GET: what clients probe
	KindEcho                     // ECHO
	KindQuit                     // QUIT: +OK, then close
	KindSubscribe                // SUBSCRIBE ch...: a SUBSCRIBE request and a push per channel
	KindUnsubscribe              // UNSUBSCRIBE [ch...]
	KindPSubscribe               // PSUBSCRIBE pattern...: a SUBSCRIBE_PATTERN request and a push per pattern
	KindPUnsubscribe             // PUNSUBSCRIBE [pattern...]
	KindPublish                  // PUBLISH: the receivers on this router
	KindScan                     // SCAN: Redis's numeric cursors over Vanity's
	KindTime                     // TIME: the serving process's clock
	KindRole                     // ROLE: a master with no replicas (AppendRole)
	KindWait                     // WAIT: the copies beyond the first the session's writes reached
	KindReset                    // RESET: the connection back to how it began
	KindPubSub                   // PUBSUB CHANNELS / NUMSUB / NUMPAT: this router's subscribers
	KindSlowLog                  // SLOWLOG GET / LEN / RESET / HELP: the serving process's slow log
	KindRestore                  // RESTORE: with REPLACE a plan (Spec.Build); without, the listener checks the key first (AbsentChecks)
	KindMSetNX                   // MSETNX: the listener finds the keys missing first, then writes them behind checks (AbsentChecks, MSetNXWrites)
	KindMonitor                  // MONITOR: the commands the serving process receives from then on, as status lines
	KindLatency                  // LATENCY: HISTOGRAM from the router's latency histograms; no event monitor
)

// Spec is one Redis command as the listener serves it, and as COMMAND
// describes it.
type Spec struct {
	Name    string // lower case, as COMMAND reports it
	Arity   int    // Redis's: n exactly, -n at least n (the name counts)
	Flags   []string
	Keys    [3]int // first key, last key (-1: the last argument), step
	Group   string
	Summary string
	Args    string // the arguments as redis-cli hints them
	Kind    Kind
	Shape   Shape
	// Build turns the arguments (args[0] is the name) into the plan's
	// requests (KindRequests, KindScan, KindPublish).
	Build func(args [][]byte, p *Plan) error
	// Note says how the command differs from Redis's, if it does.
	Note string
	// Secret says the arguments may carry a password (AUTH, HELLO's
	// AUTH option), which a monitor is not shown (RedactedArgs).
	Secret bool
}

// Error is a refusal with Redis's error prefix ("ERR", "WRONGTYPE", ...).
type Error struct{ Prefix, Msg string }

func (e *Error) Error() string { return e.Prefix + " " + e.Msg }

// AppendErr appends err as an error reply: an *Error with its prefix, any
// other as ERR.
func AppendErr(dst []byte, err error) []byte {
	if e, ok := err.(*Error); ok {
		return AppendError(dst, e.Prefix, e.Msg)
	}
	return AppendError(dst, "ERR", err.Error())
}

// The refusals Redis words the same way for every command.
var (
	errSyntax   = &Error{"ERR", "syntax error"}
	errNotInt   = &Error{"ERR", "value is not an integer or out of range"}
	errNotFloat = &Error{"ERR", "value is not a valid float"}
)

// ArityError is Redis's refusal of a wrong argument count.
func ArityError(name string) *Error {
	return &Error{"ERR", "wrong number of arguments for '" + name + "' command"}
}

// UnknownError is Redis's refusal of an unknown command.
func UnknownError(args [][]byte) *Error {
	var b strings.Builder
	for i, a := range args[1:] {
		if i == 8 {
			break
		}
		fmt.Fprintf(&b, "'%s' ", truncate(a, 128))
	}
	return &Error{"ERR", fmt.Sprintf("unknown command '%s', with args beginning with: %s", truncate(args[0], 128), b.String())}
}

func truncate(b []byte, n int) []byte {
	if len(b) > n {
		return b[:n]
	}
	return b
}

// Lookup finds the command named by args[0] (any case) and checks its
// argument count.
func Lookup(args [][]byte) (*Spec, error) {
	if len(args) == 0 {
		return nil, errSyntax
	}
	s := find(args[0])
	if s == nil {
		return nil, UnknownError(args)
	}
	if s.Arity >= 0 && len(args) != s.Arity || s.Arity < 0 && len(args) < -s.Arity {
		return nil, ArityError(s.Name)
	}
	return s, nil
}

// Specs returns every command of the table, in its order.
func Specs() []*Spec { return table }

// byName holds the table's commands by the hash of their names (nameHash),
// each in the first free place from there on: a command's name is read
// once, lowercased and hashed together, and a hit is one comparison.
// Looking a name up in a map took 23 ns in BenchmarkLookup, and a thirtieth
// of the single process's time under INCR at 16 in flight.
var byName = func() []*Spec {
	slots := make([]*Spec, 1<<bits.Len(uint(4*len(table))))
	for _, s := range table {
		h, _ := nameHash([]byte(s.Name), nil)
		for i := h; ; i++ {
			if at := &slots[i&uint32(len(slots)-1)]; *at == nil {
				*at = s
				break
			}
		}
	}
	return slots
}()

// maxName bounds a command name's length (the longest is 17 bytes).
const maxName = 32

// nameHash returns the FNV-1a hash of name in lower case, which it
// writes into lower when lower is not nil.
func nameHash(name, lower []byte) (uint32, []byte) {
	h := uint32(2166136261)
	for _, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if lower != nil {
			lower = append(lower, c)
		}
		h = (h ^ uint32(c)) * 16777619
	}
	return h, lower
}

// find returns the command named name, in any case, or nil.
func find(name []byte) *Spec {
	if len(name) > maxName {
		return nil
	}
	var buf [maxName]byte
	h, lower := nameHash(name, buf[:0])
	mask := uint32(len(byName) - 1)
	for i := h; ; i++ {
		s := byName[i&mask]
		if s == nil || s.Name == string(lower) {
			return s
		}
	}
}

// ---- argument helpers ----

// parseInt reads an integer argument as Redis does: an optional minus
// sign and digits, no leading zero, no plus sign (proto.IntText).
func parseInt(b []byte) (int64, error) {
	n, ok := proto.IntText(string(b))
	if !ok {
		return 0, errNotInt
	}
	return n, nil
}

func parseFloat(b []byte) (float64, error) {
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) {
		return 0, errNotFloat
	}
	return f, nil
}

// SetValue fills req's typed value from a Redis string, for SET and
// SETEX: Redis keeps numbers in strings and INCR parses them, Vanity has
// typed INT and FLOAT values. A string that is exactly an integer's or a
// float's own text (what the number prints back as) is stored as that
// number, so INCR and INCRBYFLOAT work on it and GET reads the same
// bytes; anything else ("007", "1e3", "abc") is a STR.
func SetValue(req *proto.Request, v []byte) {
	req.Type = proto.TypeStr
	req.Str[1] = v
	if len(v) == 0 || len(v) > 24 {
		return
	}
	// Only text made of a number's characters is parsed: a failed parse
	// allocates its error, on the path of every SET of a plain string.
	if !numberText(v) {
		return
	}
	if n, err := strconv.ParseInt(string(v), 10, 64); err == nil && string(strconv.AppendInt(nil, n, 10)) == string(v) {
		req.Type, req.Int[0], req.Str[1] = proto.TypeInt, n, nil
		return
	}
	if bytes.IndexByte(v, '.') < 0 {
		return
	}
	// The float must also survive Vanity's six decimals on the wire:
	// AppendFloatShort writes f at six decimals, so v reads back as f
	// only if nothing was lost there.
	if f, err := strconv.ParseFloat(string(v), 64); err == nil && !math.IsInf(f, 0) &&
		string(proto.AppendFloatShort(nil, f)) == string(v) {
		req.Type, req.Float, req.Str[1] = proto.TypeFloat, f, nil
	}
}

// numberText reports whether v is made only of the characters a number's
// own text can have: digits, signs, a point, an exponent.
func numberText(v []byte) bool {
	for _, c := range v {
		if !('0' <= c && c <= '9' || c == '.' || c == '-' || c == '+' || c == 'e') {
			return false
		}
	}
	return true
}

// keyed returns a builder of a one-key command with no other argument.
func keyed(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		p.Item(cmd).Str[0] = args[1]
		return nil
	}
}

// keyMembers returns a builder of a command of a key and elements.
func keyMembers(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		r := p.Item(cmd)
		r.Str[0] = args[1]
		r.Elems = append(r.Elems[:0], args[2:]...)
		return nil
	}
}

// keyString returns a builder of a command of a key and one string.
func keyString(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		r := p.Item(cmd)
		r.Str[0], r.Str[1] = args[1], args[2]
		return nil
	}
}

// eachKey returns a builder that makes one item per key argument.
func eachKey(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		for _, k := range args[1:] {
			p.Item(cmd).Str[0] = k
		}
		return nil
	}
}

// keyList returns a builder of a command over every key argument.
func keyList(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		r := p.Item(cmd)
		r.Elems = append(r.Elems[:0], args[1:]...)
		return nil
	}
}

// into returns a builder of a STORE command: destination, then keys.
func into(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		r := p.Item(cmd)
		r.Str[0] = args[1]
		r.Elems = append(r.Elems[:0], args[2:]...)
		return nil
	}
}

func incrBy(sign int64, fixed bool) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		n := int64(1)
		if !fixed {
			var err error
			if n, err = parseInt(args[2]); err != nil {
				return err
			}
			if sign < 0 && n == math.MinInt64 {
				return &Error{"ERR", "decrement would overflow"}
			}
		}
		r := p.Item(proto.CmdIncrIntText)
		r.Str[0], r.Int[0] = args[1], sign*n
		return nil
	}
}

// pop returns a builder of LPOP, RPOP and SPOP: a count of 1 unless given.
func pop(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		n := int64(1)
		if len(args) == 3 {
			var err error
			if n, err = parseInt(args[2]); err != nil || n < 0 {
				return &Error{"ERR", "value is out of range, must be positive"}
			}
		} else if len(args) > 3 {
			return errSyntax
		}
		switch {
		case n == 0 && cmd != proto.CmdSetRemove:
			// Redis answers a count of 0 with an empty array when the list
			// has elements and a null array when there is none: its length
			// tells.
			p.Shape = ShapePopNone
			p.Item(proto.CmdListLen).Str[0] = args[1]
			return nil
		case len(args) == 3 && cmd == proto.CmdListPopRight:
			p.Shape = ShapePopTail
		case len(args) == 3 && cmd == proto.CmdSetRemove:
			p.Shape = ShapeSet // as Redis's SPOP: an empty set when none, where LPOP has a null array
		case len(args) == 3:
			p.Shape = ShapePopMany
		}
		r := p.Item(cmd)
		r.Str[0], r.Int[0] = args[1], n
		return nil
	}
}

// expire returns a builder of EXPIRE (unit 1000 ms) and PEXPIRE (1 ms):
// whether the key exists and the new deadline, as one unit; with an
// option, SET_EXPIRY_IF.
func expire(unit float64) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		n, err := parseInt(args[2])
		if err != nil {
			return err
		}
		when, err := expireWhen(args[3:])
		if err != nil {
			return err
		}
		if when != proto.DeadlineAlways {
			r := p.Item(proto.CmdSetExpiryIf)
			r.Str[0], r.Float, r.When = args[1], float64(n)*unit/1000, when
			p.Shape = ShapeBool
			return nil
		}
		p.Item(proto.CmdExists).Str[0] = args[1]
		r := p.Then(proto.CmdSetExpiry)
		r.Str[0], r.Float = args[1], float64(n)*unit/1000
		return nil
	}
}

// expireAt returns the builder of EXPIREAT (unit 1000) and PEXPIREAT
// (unit 1): existence, and the deadline in milliseconds since 1970; with
// an option, SET_EXPIRY_AT_IF.
func expireAt(unit int64) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		n, err := parseInt(args[2])
		if err != nil {
			return err
		}
		when, err := expireWhen(args[3:])
		if err != nil {
			return err
		}
		if n > math.MaxInt64/unit || n < math.MinInt64/unit {
			return &Error{"ERR", "invalid expire time in '" + strings.ToLower(string(args[0])) + "' command"}
		}
		if when != proto.DeadlineAlways {
			r := p.Item(proto.CmdSetExpiryAtIf)
			r.Str[0], r.Int[0], r.When = args[1], n*unit, when
			p.Shape = ShapeBool
			return nil
		}
		p.Item(proto.CmdExists).Str[0] = args[1]
		r := p.Then(proto.CmdSetExpiryAt)
		r.Str[0], r.Int[0] = args[1], n*unit
		return nil
	}
}

// expireWhen reads the EXPIRE family's options, NX, XX, GT and LT, as the
// condition of SET_EXPIRY_IF (§12.25); none is DeadlineAlways. XX GT is
// GT: a key without a deadline never expires, which no deadline is later
// than.
func expireWhen(opts [][]byte) (proto.DeadlineIf, error) {
	var nx, xx, gt, lt bool
	for _, o := range opts {
		switch strings.ToUpper(string(o)) {
		case "NX":
			nx = true
		case "XX":
			xx = true
		case "GT":
			gt = true
		case "LT":
			lt = true
		default:
			return 0, &Error{"ERR", "Unsupported option " + string(o)}
		}
	}
	switch {
	case nx && (xx || gt || lt):
		return 0, &Error{"ERR", "NX and XX, GT or LT options at the same time are not compatible"}
	case gt && lt:
		return 0, &Error{"ERR", "GT and LT options at the same time are not compatible"}
	case nx:
		return proto.DeadlineNone, nil
	case gt:
		return proto.DeadlineLater, nil
	case lt && xx:
		return proto.DeadlineSomeEarlier, nil
	case lt:
		return proto.DeadlineEarlier, nil
	case xx:
		return proto.DeadlineSome, nil
	}
	return proto.DeadlineAlways, nil
}

// getex builds GETEX: GET, then in the same unit on the key the deadline
// its option asks for (EX, PX: SET_EXPIRY; EXAT, PXAT: SET_EXPIRY_AT;
// PERSIST: CLEAR_EXPIRY); the reply is the GET's.
func getex(args [][]byte, p *Plan) error {
	p.Item(proto.CmdGet).Str[0] = args[1]
	if len(args) == 2 {
		return nil
	}
	opt := strings.ToUpper(string(args[2]))
	if opt == "PERSIST" {
		if len(args) != 3 {
			return errSyntax
		}
		p.Then(proto.CmdClearExpiry).Str[0] = args[1]
		return nil
	}
	if len(args) != 4 {
		return errSyntax
	}
	switch opt {
	case "EX", "PX", "EXAT", "PXAT":
	default:
		return errSyntax
	}
	ms, err := expireMillis(args[3], opt, "getex")
	if err != nil {
		return err
	}
	if opt == "EX" || opt == "PX" {
		r := p.Then(proto.CmdSetExpiry)
		r.Str[0], r.Float = args[1], float64(ms)/1000
		return nil
	}
	r := p.Then(proto.CmdSetExpiryAt)
	r.Str[0], r.Int[0] = args[1], ms
	return nil
}

// expireMillis reads the time of an EX, PX, EXAT or PXAT option (opt;
// seconds for EX and EXAT) as milliseconds, refusing one that is not
// positive or not countable in milliseconds in Redis's words for the
// command name.
func expireMillis(b []byte, opt, name string) (int64, error) {
	n, err := parseInt(b)
	if err != nil {
		return 0, err
	}
	if n <= 0 || n > math.MaxInt64/1000 {
		return 0, &Error{"ERR", "invalid expire time in '" + name + "' command"}
	}
	if opt == "EX" || opt == "EXAT" {
		n *= 1000
	}
	return n, nil
}

// ttl builds TTL and PTTL: existence and deadline, read as one unit.
func ttl(args [][]byte, p *Plan) error {
	p.Item(proto.CmdExists).Str[0] = args[1]
	p.Then(proto.CmdGetExpiry).Str[0] = args[1]
	return nil
}

// expireTime builds EXPIRETIME and PEXPIRETIME: existence and the
// deadline as a time, read as one unit.
func expireTime(args [][]byte, p *Plan) error {
	p.Item(proto.CmdExists).Str[0] = args[1]
	p.Then(proto.CmdGetExpiryAt).Str[0] = args[1]
	return nil
}

// set builds SET: its options name a proto.SetForm (NX, XX: the
// condition; EX, PX, EXAT, PXAT, KEEPTTL: the deadline; GET: the reply),
// run by the command named for it or by SET_WITH or GET_SET_WITH.
func set(args [][]byte, p *Plan) error {
	var f proto.SetForm
	var ms int64
	ttlOpt := "" // the deadline's option: another one is a syntax error
	for i := 3; i < len(args); i++ {
		opt := strings.ToUpper(string(args[i]))
		switch opt {
		case "EX", "PX", "EXAT", "PXAT":
			if i+1 == len(args) || ttlOpt != "" && ttlOpt != opt {
				return errSyntax
			}
			ttlOpt = opt
			n, err := expireMillis(args[i+1], opt, "set")
			if err != nil {
				return err
			}
			ms, f.TTL = n, proto.TTLAfter
			if opt == "EXAT" || opt == "PXAT" {
				f.TTL = proto.TTLAt
			}
			i++
		case "NX", "XX":
			want := proto.KeyAbsent
			if opt == "XX" {
				want = proto.KeyPresent
			}
			if f.If != proto.KeyAlways && f.If != want {
				return errSyntax
			}
			f.If = want
		case "GET":
			f.Get = true
		case "KEEPTTL":
			if ttlOpt != "" && ttlOpt != opt {
				return errSyntax
			}
			ttlOpt, f.TTL = opt, proto.TTLKeep
		default:
			return errSyntax
		}
	}
	cmd := f.Command()
	r := p.Item(cmd)
	r.Str[0], r.If, r.TTL, r.Int[1] = args[1], f.If, f.TTL, ms
	SetValue(r, args[2])
	switch f.Answers(cmd) {
	case proto.AnswerReplaced:
		p.Shape = ShapeBulk
	case proto.AnswerWrote:
		p.Shape = ShapeOKOrNil
	}
	return nil
}

// blockingPop builds BLPOP and BRPOP: a pop of one element that waits up
// to the timeout (seconds, fractions allowed; 0: the longest), of one key
// or of the first of several that has one.
func blockingPop(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		ms, err := waitMillis(args[len(args)-1])
		if err != nil {
			return err
		}
		if len(args) > 3 { // several keys: the first that has an element
			r := p.Item(proto.CmdListPopLeftWaitAny)
			if cmd == proto.CmdListPopRightWait {
				r.Cmd = proto.CmdListPopRightWaitAny
			}
			r.Elems, r.Int[0], r.Int[1] = append(r.Elems, args[1:len(args)-1]...), 1, ms
			return nil
		}
		r := p.Item(cmd)
		r.Str[0], r.Int[0], r.Int[1] = args[1], 1, ms
		return nil
	}
}

// multiPop returns the builder of LMPOP (blocking false) and BLMPOP
// (blocking: the timeout first): LIST_POP_LEFT_WAIT_ANY or _RIGHT_ of
// numkeys keys, up to COUNT elements (1 without it), waiting for one up
// to the timeout, or not at all (LMPOP: a time of 0, one try). Its
// arguments are read in Redis's order, so a command wrong in two ways
// is refused for the same one.
func multiPop(blocking bool) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		at := 1 // numkeys
		if blocking {
			at = 2
		}
		n, err := parseInt(args[at])
		if err != nil || n < 1 {
			return &Error{"ERR", "numkeys should be greater than 0"}
		}
		where := int64(at) + n + 1
		if where >= int64(len(args)) {
			return errSyntax
		}
		end, ok := proto.EndWord(args[where])
		if !ok {
			return errSyntax
		}
		count := int64(-1)
		for j := int(where) + 1; j < len(args); j++ {
			if count != -1 || !bytes.EqualFold(args[j], []byte("count")) || j+1 == len(args) {
				return errSyntax
			}
			j++
			if count, err = parseInt(args[j]); err != nil || count < 1 {
				return &Error{"ERR", "count should be greater than 0"}
			}
		}
		count = max(count, 1)
		var ms int64 // LMPOP: one try
		if blocking {
			if ms, err = waitMillis(args[1]); err != nil {
				return err
			}
		}
		r := p.Item(proto.CmdListPopLeftWaitAny)
		if end == proto.EndRight {
			r.Cmd = proto.CmdListPopRightWaitAny
		}
		r.Elems, r.Int[0], r.Int[1] = append(r.Elems, args[at+1:where]...), count, ms
		return nil
	}
}

// waitMillis reads a blocking command's timeout in seconds as the
// milliseconds its Vanity command waits: 0, Redis's "for ever", is the
// longest wait, an hour.
func waitMillis(b []byte) (int64, error) {
	secs, err := parseFloat(b)
	if err != nil || secs < 0 || secs > 3600 {
		return 0, &Error{"ERR", "timeout is not a float or out of range (0 to 3600 seconds)"}
	}
	if ms := int64(math.Ceil(secs * 1000)); ms > 0 {
		return ms, nil
	}
	return 3600 * 1000, nil
}

// move returns the builder of LMOVE, RPOPLPUSH and their blocking forms:
// cmd (LIST_MOVE or LIST_MOVE_WAIT) of the source and destination in
// args[1:3], then LEFT or RIGHT twice unless ends are given, then (with
// LIST_MOVE_WAIT) the timeout.
func move(cmd proto.Command, ends *[2]proto.End) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		r := p.Item(cmd)
		r.Str[0], r.Str[1] = args[1], args[2]
		rest := args[3:]
		if ends != nil {
			r.Ends = *ends
		} else {
			from, ok1 := proto.EndWord(rest[0])
			to, ok2 := proto.EndWord(rest[1])
			if !ok1 || !ok2 {
				return errSyntax
			}
			r.Ends, rest = [2]proto.End{from, to}, rest[2:]
		}
		if cmd == proto.CmdListMoveWait {
			ms, err := waitMillis(rest[0])
			if err != nil {
				return err
			}
			r.Int[1] = ms
		}
		return nil
	}
}

// strRange builds GETRANGE and SUBSTR: STR_RANGE.
func strRange(args [][]byte, p *Plan) error {
	start, err := parseInt(args[2])
	if err != nil {
		return err
	}
	end, err := parseInt(args[3])
	if err != nil {
		return err
	}
	r := p.Item(proto.CmdStrRange)
	r.Str[0], r.Int[0], r.Int[1] = args[1], start, end
	return nil
}

// Bit errors in Redis's words (storage answers the same for values out
// of range).
var (
	errBitOffset = &Error{"ERR", "bit offset is not an integer or out of range"}
	errBitValue  = &Error{"ERR", "bit is not an integer or out of range"}
)

// getbit builds GETBIT: STR_GET_BIT.
func getbit(args [][]byte, p *Plan) error {
	off, err := parseInt(args[2])
	if err != nil {
		return errBitOffset
	}
	r := p.Item(proto.CmdStrGetBit)
	r.Str[0], r.Int[0] = args[1], off
	return nil
}

// setbit builds SETBIT: STR_SET_BIT.
func setbit(args [][]byte, p *Plan) error {
	off, err := parseInt(args[2])
	if err != nil {
		return errBitOffset
	}
	bit, err := parseInt(args[3])
	if err != nil {
		return errBitValue
	}
	r := p.Item(proto.CmdStrSetBit)
	r.Str[0], r.Int[0], r.Int[1] = args[1], off, bit
	return nil
}

// bitUnit reads BITCOUNT's and BITPOS's BYTE or BIT.
func bitUnit(b []byte) (proto.BitUnit, error) {
	if u, ok := proto.BitUnitWord(b); ok {
		return u, nil
	}
	return 0, errSyntax
}

// bitRange reads the start, the end and the unit of BITCOUNT's and
// BITPOS's range (BYTE when not given).
func bitRange(args [][]byte) (start, end int64, unit proto.BitUnit, err error) {
	if start, err = parseInt(args[0]); err != nil {
		return
	}
	if end, err = parseInt(args[1]); err != nil {
		return
	}
	if len(args) == 3 {
		unit, err = bitUnit(args[2])
	}
	return
}

// bitop builds BITOP: STR_BIT_OP_INTO.
func bitop(args [][]byte, p *Plan) error {
	op, ok := proto.BitOpWord(args[1])
	if !ok {
		return errSyntax
	}
	r := p.Item(proto.CmdStrBitOpInto)
	r.Str[0], r.Op = args[2], op
	r.Elems = append(r.Elems[:0], args[3:]...)
	return nil
}

// bitcount builds BITCOUNT: STR_BIT_COUNT, over the whole string when no
// range is given.
func bitcount(args [][]byte, p *Plan) error {
	r := p.Item(proto.CmdStrBitCount)
	r.Str[0], r.Int[0], r.Int[1], r.Unit = args[1], 0, -1, proto.UnitByte
	switch len(args) {
	case 2:
		return nil
	case 4, 5:
		var err error
		r.Int[0], r.Int[1], r.Unit, err = bitRange(args[2:])
		return err
	}
	return errSyntax
}

// bitpos builds BITPOS: STR_BIT_POS_FROM without an end (bytes; past the
// string's end it counts as zero bits), STR_BIT_POS with one.
func bitpos(args [][]byte, p *Plan) error {
	bit, err := parseInt(args[2])
	if err != nil {
		return err
	}
	if len(args) <= 4 {
		r := p.Item(proto.CmdStrBitPosFrom)
		r.Str[0], r.Int[0] = args[1], bit
		if len(args) == 4 {
			r.Int[1], err = parseInt(args[3])
		}
		return err
	}
	if len(args) > 6 {
		return errSyntax
	}
	r := p.Item(proto.CmdStrBitPos)
	r.Str[0], r.Int[0] = args[1], bit
	r.Int[1], r.Int[2], r.Unit, err = bitRange(args[3:])
	return err
}

// linsert builds LINSERT: BEFORE the pivot is LIST_INSERT's LEFT of it
// (towards the head), AFTER its RIGHT.
func linsert(args [][]byte, p *Plan) error {
	var side proto.End
	switch {
	case bytes.EqualFold(args[2], []byte("before")):
		side = proto.EndLeft
	case bytes.EqualFold(args[2], []byte("after")):
		side = proto.EndRight
	default:
		return errSyntax
	}
	r := p.Item(proto.CmdListInsert)
	r.Str[0], r.Ends[0], r.Str[1], r.Str[2] = args[1], side, args[3], args[4]
	return nil
}

// rightLeft are RPOPLPUSH's ends.
var rightLeft = [2]proto.End{proto.EndRight, proto.EndLeft}

// setex returns the builder of SETEX (opt "EX": seconds) and PSETEX
// ("PX": milliseconds).
func setex(opt string) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		ms, err := expireMillis(args[2], opt, strings.ToLower(string(args[0])))
		if err != nil {
			return err
		}
		r := p.Item(proto.CmdSetTTL)
		r.Str[0], r.Int[1] = args[1], ms
		SetValue(r, args[3])
		return nil
	}
}

// memoryUsage builds MEMORY USAGE key [SAMPLES count]: KEY_MEMORY, which
// counts every member, so SAMPLES is checked and otherwise ignored.
func memoryUsage(args [][]byte, p *Plan) error {
	if !strings.EqualFold(string(args[1]), "usage") {
		return &Error{"ERR", "MEMORY " + strings.ToUpper(string(args[1])) + " is not supported by Vanity: MEMORY USAGE is"}
	}
	switch {
	case len(args) == 3:
	case len(args) == 5 && strings.EqualFold(string(args[3]), "samples"):
		if n, err := parseInt(args[4]); err != nil || n < 0 {
			return &Error{"ERR", "value is out of range, must be positive"}
		}
	default:
		return errSyntax
	}
	p.Item(proto.CmdKeyMemory).Str[0] = args[2]
	return nil
}

func mset(args [][]byte, p *Plan) error {
	if len(args)%2 != 1 {
		return ArityError("mset")
	}
	for i := 1; i < len(args); i += 2 {
		r := p.Item(proto.CmdSet)
		r.Str[0] = args[i]
		SetValue(r, args[i+1])
	}
	p.Together = true
	return nil
}

// msetnx checks MSETNX's arguments; the listener runs it (KindMSetNX),
// reading the keys before it builds the writes (MSetNXWrites).
func msetnx(args [][]byte, _ *Plan) error {
	if len(args)%2 != 1 {
		return ArityError("msetnx")
	}
	return nil
}

// MSetNXKeys returns MSETNX's keys.
func MSetNXKeys(args [][]byte) [][]byte {
	keys := make([][]byte, 0, len(args)/2)
	for i := 1; i < len(args); i += 2 {
		keys = append(keys, args[i])
	}
	return keys
}

// MSetNXWrites adds MSETNX's SETs to the plan's current item, after its
// checks (AbsentChecks).
func MSetNXWrites(args [][]byte, p *Plan) {
	for i := 1; i < len(args); i += 2 {
		r := p.Then(proto.CmdSet)
		r.Str[0] = args[i]
		SetValue(r, args[i+1])
	}
}

func hset(args [][]byte, p *Plan) error {
	if len(args)%2 != 0 {
		return ArityError(strings.ToLower(string(args[0])))
	}
	r := p.Item(proto.CmdHashUpdate)
	r.Str[0] = args[1]
	r.Elems = lastOfEach(append(r.Elems[:0], args[2:]...))
	return nil
}

// lastOfEach drops from field/value pairs each pair whose field comes
// again later, in place: Redis's HSET writes its pairs in order, so a
// field named twice ends with its last value, where HASH_UPDATE keeps the
// first (PROTOCOL.md D56).
func lastOfEach(pairs [][]byte) [][]byte {
	n := len(pairs) / 2
	later := func(i int) bool { // whether pair i's field comes again after it
		for j := i + 1; j < n; j++ {
			if bytes.Equal(pairs[2*i], pairs[2*j]) {
				return true
			}
		}
		return false
	}
	if n > 16 {
		last := make(map[string]int, n)
		for i := range n {
			last[string(pairs[2*i])] = i
		}
		later = func(i int) bool { return last[string(pairs[2*i])] != i }
	}
	w := 0
	for i := range n {
		if later(i) {
			continue
		}
		pairs[2*w], pairs[2*w+1] = pairs[2*i], pairs[2*i+1]
		w++
	}
	return pairs[:2*w]
}

func lrange(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		a, err := parseInt(args[2])
		if err != nil {
			return err
		}
		b, err := parseInt(args[3])
		if err != nil {
			return err
		}
		if cmd == proto.CmdListTrim && proto.InvalidListRange(a, b) {
			// LIST_TRIM leaves a list whole for such a pair (PROTOCOL.md
			// §6.3, the seed's quirk); Redis's LTRIM empties it, as
			// LIST_TRIM does for 1 0 on any list.
			a, b = 1, 0
		}
		r := p.Item(cmd)
		r.Str[0], r.Int[0], r.Int[1] = args[1], a, b
		return nil
	}
}

func select_(args [][]byte, p *Plan) error {
	n, err := parseDB(args[1])
	if err != nil {
		return err
	}
	p.Item(proto.CmdSwitchDB).Int[0] = int64(n)
	return nil
}

// parseDB reads a database's number, as SELECT and COPY's DB give one.
func parseDB(b []byte) (int, error) {
	n, err := parseInt(b)
	if err != nil {
		return 0, err
	}
	if n < 0 || n >= numDBs {
		return 0, &Error{"ERR", "DB index is out of range"}
	}
	return int(n), nil
}

func auth(args [][]byte, p *Plan) error {
	r := p.Item(proto.CmdAuth)
	switch len(args) {
	case 2:
		r.Str[0], r.Str[1] = nil, args[1] // the listener names the default user
	case 3:
		r.Str[0], r.Str[1] = args[1], args[2]
	default:
		return errSyntax
	}
	return nil
}

func consistency(args [][]byte, p *Plan) error {
	r := p.Item(proto.CmdConsistency)
	for i := range 2 {
		word, found := strings.ToUpper(string(args[1+i])), false
		for _, c := range []proto.Consistency{proto.ConsOne, proto.ConsQuorum, proto.ConsAll, proto.ConsSerial} {
			if c.String() == word {
				r.Cons[i], found = c, true
			}
		}
		if !found {
			return &Error{"ERR", "consistency must be ONE, QUORUM, ALL or SERIAL"}
		}
	}
	return nil
}

// scan builds SCAN: Vanity's SCAN, its TYPE (if given) in the request's
// Type for the listener, which filters the page (ScanTypeMatches).
func scan(args [][]byte, p *Plan) error {
	match, count, typ, err := scanOptions(args[2:], true)
	if err != nil {
		return err
	}
	if match == nil {
		match = []byte("*")
	}
	r := p.Item(proto.CmdScan)
	r.Str[0], r.Str[1], r.Int[0], r.Type = args[1], match, count, typ
	return nil
}

// scanTypes are SCAN's TYPE names of the types Vanity has. Any other name
// (zset, stream, or none Redis knows, which Redis 7 takes too) matches no
// key: TypeNull stands for it.
var scanTypes = map[string]proto.Type{"string": proto.TypeStr, "list": proto.TypeList, "set": proto.TypeSet, "hash": proto.TypeHash}

// ScanTypeMatches reports whether a key of type t passes SCAN's TYPE
// filter (a scanTypes value, TypeNull for a name of no type Vanity has,
// TypeNone for no filter). Redis's string is Vanity's STR, INT and FLOAT.
func ScanTypeMatches(filter, t proto.Type) bool {
	switch filter {
	case proto.TypeNone:
		return true
	case proto.TypeStr:
		return t == proto.TypeStr || t == proto.TypeInt || t == proto.TypeFloat
	case proto.TypeNull:
		return false
	}
	return t == filter
}

// scanOptions reads the MATCH and COUNT options of SCAN, SSCAN and HSCAN,
// and SCAN's TYPE (keys): no pattern (nil), 10 and no type (TypeNone)
// unless given; a COUNT past proto.MaxScanCount counts as that bound,
// since Redis takes any.
func scanOptions(opts [][]byte, keys bool) (match []byte, count int64, typ proto.Type, err error) {
	count = 10
	for i := 0; i < len(opts); i += 2 {
		if i+1 == len(opts) {
			return nil, 0, 0, errSyntax
		}
		switch strings.ToUpper(string(opts[i])) {
		case "MATCH":
			match = opts[i+1]
		case "COUNT":
			n, err := parseInt(opts[i+1])
			if err != nil {
				return nil, 0, 0, err
			}
			if n < 1 {
				return nil, 0, 0, errSyntax
			}
			count = min(n, proto.MaxScanCount)
		case "TYPE":
			if !keys {
				return nil, 0, 0, errSyntax
			}
			var ok bool
			if typ, ok = scanTypes[strings.ToLower(string(opts[i+1]))]; !ok {
				typ = proto.TypeNull
			}
		default:
			return nil, 0, 0, errSyntax
		}
	}
	return match, count, typ, nil
}

// flush returns the builder of FLUSHDB (a RESET of the session's
// database) and FLUSHALL (a RESET of each database); ASYNC and SYNC mean
// the same.
func flush(all bool) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		switch {
		case len(args) > 2:
			return errSyntax
		case len(args) == 2 && !bytes.EqualFold(args[1], []byte("async")) && !bytes.EqualFold(args[1], []byte("sync")):
			return errSyntax
		case !all:
			p.Item(proto.CmdReset)
			return nil
		}
		for db := range numDBs {
			p.ItemIn(db, proto.CmdReset)
		}
		return nil
	}
}

// numDBs is how many databases SELECT reaches, and FLUSHALL empties.
const numDBs = 16

// copyKey builds COPY: COPY with REPLACE, COPY_IF_ABSENT without; a DB
// must be the selected one (Plan.DB).
func copyKey(args [][]byte, p *Plan) error {
	cmd := proto.CmdCopyIfAbsent
	for i := 3; i < len(args); i++ {
		switch strings.ToUpper(string(args[i])) {
		case "REPLACE":
			cmd = proto.CmdCopy
		case "DB":
			if i++; i == len(args) {
				return errSyntax
			}
			db, err := parseDB(args[i])
			if err != nil {
				return err
			}
			p.DB = db
		default:
			return errSyntax
		}
	}
	if bytes.Equal(args[1], args[2]) {
		return &Error{"ERR", "source and destination objects are the same"}
	}
	r := p.Item(cmd)
	r.Str[0], r.Str[1] = args[1], args[2]
	return nil
}

// sintercard builds SINTERCARD: SET_INTERSECT_LEN of its numkeys keys;
// LIMIT 0 (none) is the one limit taken.
func sintercard(args [][]byte, p *Plan) error {
	n, err := parseInt(args[1])
	if err != nil || n < 1 {
		return &Error{"ERR", "numkeys should be greater than 0"}
	}
	if n > int64(len(args)-2) {
		return &Error{"ERR", "Number of keys can't be greater than number of args"}
	}
	keys, rest := args[2:2+n], args[2+n:]
	limit := int64(0)
	switch {
	case len(rest) == 0:
	case len(rest) == 2 && bytes.EqualFold(rest[0], []byte("limit")):
		var err error
		if limit, err = parseInt(rest[1]); err != nil || limit < 0 {
			return &Error{"ERR", "LIMIT can't be negative"} // Redis's answer to a limit that is not a number too
		}
	default:
		return errSyntax
	}
	r := p.Item(proto.CmdSetIntersectLenUpTo)
	r.Elems = append(r.Elems[:0], keys...)
	r.Int[0] = limit
	return nil
}

// lpos builds LPOS: LIST_POS from the first match (RANK 1) unless RANK
// says, of one match (the index, or null) unless COUNT asks for several
// (an array; 0: every match). Its errors are Redis's words.
func lpos(args [][]byte, p *Plan) error {
	rank, count, maxlen := int64(1), int64(1), int64(0)
	for i := 3; i < len(args); i += 2 {
		if i+1 == len(args) {
			return errSyntax
		}
		n, err := parseInt(args[i+1])
		if err != nil {
			return err
		}
		switch strings.ToUpper(string(args[i])) {
		case "RANK":
			if n == 0 || n == math.MinInt64 {
				return &Error{"ERR", "RANK can't be zero: use 1 to start from the first match, 2 from the second ... or use negative to start from the end of the list"}
			}
			rank = n
		case "COUNT":
			if n < 0 {
				return &Error{"ERR", "COUNT can't be negative"}
			}
			count, p.Shape = n, ShapeInts
		case "MAXLEN":
			if n < 0 {
				return &Error{"ERR", "MAXLEN can't be negative"}
			}
			maxlen = n
		default:
			return errSyntax
		}
	}
	r := p.Item(proto.CmdListPosWithin)
	r.Str[0], r.Str[1], r.Int[0], r.Int[1], r.Int[2] = args[1], args[2], rank, count, maxlen
	return nil
}

// randomMembers returns the builder of SRANDMEMBER (SET_RANDOM) and
// HRANDFIELD (HASH_RANDOM): one member or field (a bulk string or null),
// or the count given (an array: SRANDMEMBER's members, HRANDFIELD's
// fields, or with WITHVALUES its fields and values).
func randomMembers(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		n := int64(1)
		withValues := len(args) == 4 && cmd == proto.CmdHashRandom && bytes.EqualFold(args[3], []byte("withvalues"))
		switch {
		case len(args) == 2:
		case len(args) == 3 || withValues:
			var err error
			if n, err = parseInt(args[2]); err != nil {
				return err
			}
			switch {
			case cmd == proto.CmdSetRandom:
				p.Shape = ShapeArray
			case withValues:
				p.Shape = ShapePairs
			default:
				p.Shape = ShapeFields
			}
		default:
			return errSyntax
		}
		r := p.Item(cmd)
		r.Str[0], r.Int[0] = args[1], n
		return nil
	}
}

// memberScan returns the builder of SSCAN and HSCAN: cmd (SET_SCAN or
// HASH_SCAN) of the key from the cursor, every member unless MATCH
// narrows it, about 10 of them unless COUNT says. Vanity's cursors are
// Redis's numbers already (a member's place in the scan), so they pass
// through.
func memberScan(cmd proto.Command) func([][]byte, *Plan) error {
	return func(args [][]byte, p *Plan) error {
		cursor, err := strconv.ParseInt(string(args[2]), 10, 64)
		if err != nil || cursor < 0 {
			return &Error{"ERR", "invalid cursor"}
		}
		match, count, _, err := scanOptions(args[3:], false)
		if err != nil {
			return err
		}
		r := p.Item(cmd)
		r.Str[0], r.Int[0], r.Str[1], r.Int[1] = args[1], cursor, match, count
		return nil
	}
}

// incrNote is how the INCR family runs.
const incrNote = "INCR_INT_TEXT: INCR_INT's exact counter on an integer, and a string of an integer's text (which APPEND or SETRANGE can make) becomes an integer, linearizable (in a cluster, on its serial path)."

// expireNote is how EXPIRE and PEXPIRE run.
const expireNote = "EXISTS and SET_EXPIRY, one unit on the key; with NX, XX, GT or LT, SET_EXPIRY_IF (linearizable: in a cluster, on its serial path)."

// memberScanNote is how SSCAN and HSCAN differ from Redis's.
const memberScanNote = "SET_SCAN, HASH_SCAN: members come in the order of a hash of their bytes, and a page holds at least a sixteenth of the collection whatever COUNT says (finding a page costs time in the collection's size), so a whole scan takes at most 17 calls. A member present for the whole scan is returned exactly once, through any router."

// msetnxNote is how MSETNX runs.
const msetnxNote = "Reads whether the keys exist and their versions, answers 0 if one does, and otherwise sets them in one unit behind checks that none changed since (KEY_VERSION_IS; a key another client writes meanwhile makes it read again, up to 3 times, then answer 0): atomic, and never replacing a key. In a cluster its keys must share a partition ({tag}), as Redis Cluster's must share a slot. A transaction (MULTI) or SERIAL cannot run it (it reads before it writes)."

// table is every command the listener knows, as COMMAND lists them.
var table = []*Spec{
	// strings
	{Name: "get", Arity: 2, Flags: ro, Keys: one, Group: "string", Summary: "Returns the string value of a key.", Args: "key", Shape: ShapeBulk, Build: keyed(proto.CmdGet)},
	{Name: "set", Note: "A value that is exactly an integer's or a float's own text is stored as Vanity's INT or FLOAT (GET reads the same bytes; INCR works on it). Every option and combination: SET, SET_TTL (EX, PX), SET_IF_ABSENT (NX), SET_IF_PRESENT (XX), their _TTL_ forms, SET_KEEP_TTL (KEEPTTL), GET_SET (GET), and SET_WITH or GET_SET_WITH for the rest (PROTOCOL.md §12.26); those with NX, XX, GET or KEEPTTL are linearizable (in a cluster, on its serial path: they read the key), the others plain writes. A deadline already past (EXAT, PXAT) leaves the key expired, as Redis does.", Arity: -3, Flags: wr, Keys: one, Group: "string", Summary: "Sets the string value of a key; EX and PX set a time to live, EXAT and PXAT a deadline, KEEPTTL keeps the key's.", Args: "key value [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|KEEPTTL] [NX|XX] [GET]", Shape: ShapeStatus, Build: set},
	{Name: "setex", Arity: 4, Flags: wr, Keys: one, Group: "string", Summary: "Sets the value and the time to live (seconds) of a key.", Args: "key seconds value", Shape: ShapeStatus, Build: setex("EX")},
	{Name: "psetex", Arity: 4, Flags: wr, Keys: one, Group: "string", Summary: "Sets the value and the time to live (milliseconds) of a key.", Args: "key milliseconds value", Shape: ShapeStatus, Build: setex("PX")},
	{Name: "mget", Arity: -2, Flags: ro, Keys: all, Group: "string", Summary: "Returns the values of keys.", Args: "key [key ...]", Shape: ShapeArray, Build: keyList(proto.CmdManyGet)},
	{Name: "mset", Note: "Atomic in the single process, as in Redis; a cluster sets each key on its own, not atomic across keys (Redis Cluster refuses keys of different slots instead).", Arity: -3, Flags: wr, Keys: [3]int{1, -1, 2}, Group: "string", Summary: "Sets keys to values (in a cluster each key on its own).", Args: "key value [key value ...]", Shape: ShapeAllOK, Build: mset},
	{Name: "strlen", Note: "The length of the text GET reads, numbers included (a GET; Vanity's STR_LEN refuses numbers).", Arity: 2, Flags: ro, Keys: one, Group: "string", Summary: "Returns the length of a string value.", Args: "key", Shape: ShapeLen, Build: keyed(proto.CmdGet)},
	{Name: "incr", Note: incrNote, Arity: 2, Flags: wr, Keys: one, Group: "string", Summary: "Adds one to an integer.", Args: "key", Shape: ShapeInt, Build: incrBy(1, true)},
	{Name: "decr", Note: incrNote, Arity: 2, Flags: wr, Keys: one, Group: "string", Summary: "Subtracts one from an integer.", Args: "key", Shape: ShapeInt, Build: incrBy(-1, true)},
	{Name: "incrby", Note: incrNote, Arity: 3, Flags: wr, Keys: one, Group: "string", Summary: "Adds a number to an integer.", Args: "key increment", Shape: ShapeInt, Build: incrBy(1, false)},
	{Name: "decrby", Note: incrNote, Arity: 3, Flags: wr, Keys: one, Group: "string", Summary: "Subtracts a number from an integer.", Args: "key decrement", Shape: ShapeInt, Build: incrBy(-1, false)},
	{Name: "incrbyfloat", Note: "INCR_NUMBER: on an integer (`SET k 5`, INCR's counters) or a string holding a number (`3.0`, `1e3`) too, which then holds a float: that conversion is linearizable (in a cluster, on its serial path); adding to a float is INCR_FLOAT's exact counter. The result carries six decimals (Vanity's FLOAT on the wire), printed without an exponent as Redis prints it (1000000.5); on a list, set or hash it answers `value is not a valid float` where Redis answers WRONGTYPE.", Arity: 3, Flags: wr, Keys: one, Group: "string", Summary: "Adds a number to a float.", Args: "key increment", Shape: ShapeFloat, Build: func(args [][]byte, p *Plan) error {
		f, err := parseFloat(args[2])
		if err != nil {
			return err
		}
		r := p.Item(proto.CmdIncrNumber)
		r.Str[0], r.Float = args[1], f
		return nil
	}},
	{Name: "setnx", Note: "SET_IF_ABSENT: linearizable (in a cluster, on its serial path).", Arity: 3, Flags: wr, Keys: one, Group: "string", Summary: "Sets the value of a key only when the key doesn't exist.", Args: "key value", Shape: ShapeBool, Build: func(args [][]byte, p *Plan) error {
		r := p.Item(proto.CmdSetIfAbsent)
		r.Str[0] = args[1]
		SetValue(r, args[2])
		return nil
	}},
	{Name: "getset", Note: "GET_SET: linearizable (in a cluster, on its serial path).", Arity: 3, Flags: wr, Keys: one, Group: "string", Summary: "Returns the previous string value of a key after setting it to a new value.", Args: "key value", Shape: ShapeBulk, Build: func(args [][]byte, p *Plan) error {
		r := p.Item(proto.CmdGetSet)
		r.Str[0] = args[1]
		SetValue(r, args[2])
		return nil
	}},
	{Name: "getdel", Note: "GET_DEL: linearizable (in a cluster, on its serial path).", Arity: 2, Flags: wr, Keys: one, Group: "string", Summary: "Returns the string value of a key after deleting the key.", Args: "key", Shape: ShapeBulk, Build: keyed(proto.CmdGetDel)},
	{Name: "getex", Note: "GET, then SET_EXPIRY, SET_EXPIRY_AT or CLEAR_EXPIRY in the same unit on the key. On a list, set or hash it answers WRONGTYPE as Redis does, but the deadline it asks for is still set (Vanity's GET reads every type; the edge refuses the reply).", Arity: -2, Flags: wr, Keys: one, Group: "string", Summary: "Returns the string value of a key after setting or removing its time to live.", Args: "key [EX seconds|PX milliseconds|EXAT unix-time-seconds|PXAT unix-time-milliseconds|PERSIST]", Shape: ShapeBulk, Build: getex},
	{Name: "append", Note: "STR_APPEND: a number stored by SET (an INT or FLOAT value) is its text, as in Redis, and a string after; linearizable (in a cluster, on its serial path). Each APPEND writes the whole new value (its log record, and in a cluster the key's Paxos state), so it costs the string's length, where Redis's costs the suffix's: growing one string to 2 MB by 100-byte APPENDs from one connection ran 936 a second against redis-server's 16,500. Keep appended strings short, or use a list (RPUSH) for a growing log.", Arity: 3, Flags: wr, Keys: one, Group: "string", Summary: "Appends a string to the value of a key; creates the key if it doesn't exist.", Args: "key value", Shape: ShapeInt, Build: func(args [][]byte, p *Plan) error {
		r := p.Item(proto.CmdStrAppend)
		r.Str[0], r.Str[1] = args[1], args[2]
		return nil
	}},
	{Name: "getrange", Note: "STR_RANGE: a number stored by SET (an INT or FLOAT value) is its text, as in Redis.", Arity: 4, Flags: ro, Keys: one, Group: "string", Summary: "Returns a substring of the string stored at a key.", Args: "key start end", Shape: ShapeBulk, Build: strRange},
	{Name: "substr", Note: "As GETRANGE (Redis keeps SUBSTR as its old name).", Arity: 4, Flags: ro, Keys: one, Group: "string", Summary: "Returns a substring of the string stored at a key (GETRANGE's old name).", Args: "key start end", Shape: ShapeBulk, Build: strRange},
	{Name: "setrange", Note: "STR_SET_RANGE: as APPEND, a number stored by SET is its text, and a string after; linearizable (in a cluster, on its serial path).", Arity: 4, Flags: wr, Keys: one, Group: "string", Summary: "Overwrites a part of a string value with another by an offset; creates the key if it doesn't exist.", Args: "key offset value", Shape: ShapeInt, Build: func(args [][]byte, p *Plan) error {
		offset, err := parseInt(args[2])
		if err != nil {
			return err
		}
		if offset < 0 {
			return &Error{"ERR", "offset is out of range"} // Redis's words; STR_SET_RANGE's add why
		}
		r := p.Item(proto.CmdStrSetRange)
		r.Str[0], r.Int[0], r.Str[1] = args[1], offset, args[3]
		return nil
	}},
	{Name: "getbit", Note: "STR_GET_BIT: a number stored by SET is its text, as in Redis.", Arity: 3, Flags: ro, Keys: one, Group: "bitmap", Summary: "A bit of a string by its offset.", Args: "key offset", Shape: ShapeInt, Build: getbit},
	{Name: "setbit", Note: "STR_SET_BIT: as SETRANGE, a number stored by SET is its text, and a string after; linearizable (in a cluster, on its serial path). Each SETBIT that changes a bit writes the whole string (its log record, and in a cluster the key's Paxos state), so it costs the string's length where Redis's costs a byte: keep bitmaps small (split a large one over keys).", Arity: 4, Flags: wr, Keys: one, Group: "bitmap", Summary: "Sets or clears a bit of a string by its offset; the bit it held.", Args: "key offset value", Shape: ShapeInt, Build: setbit},
	{Name: "bitcount", Note: "STR_BIT_COUNT.", Arity: -2, Flags: ro, Keys: one, Group: "bitmap", Summary: "The bits set in a string, or in a range of it.", Args: "key [start end [BYTE|BIT]]", Shape: ShapeInt, Build: bitcount},
	{Name: "bitpos", Note: "STR_BIT_POS with an end, STR_BIT_POS_FROM without.", Arity: -3, Flags: ro, Keys: one, Group: "bitmap", Summary: "The first bit set (or clear) in a string, or in a range of it.", Args: "key bit [start [end [BYTE|BIT]]]", Shape: ShapeInt, Build: bitpos},
	{Name: "bitop", Note: "STR_BIT_OP_INTO; in a cluster every key must be in one partition (co-locate them with {tags}, as Redis Cluster's slots).", Arity: -4, Flags: wr, Keys: [3]int{2, -1, 1}, Group: "bitmap", Summary: "Stores the result of a bitwise operation on strings; the length stored.", Args: "AND|OR|XOR|NOT destkey key [key ...]", Shape: ShapeInt, Build: bitop},
	{Name: "pfadd", Note: "HLL_ADD: the sketch is a string in Redis's format (GET, SET, DUMP and RESTORE carry it between a Redis and Vanity), written sparse while it fits in 3000 bytes; conditional on the key's string, so a cluster runs it on its serial path.", Arity: -2, Flags: wr, Keys: one, Group: "hyperloglog", Summary: "Adds elements to a HyperLogLog key; 1 if its estimate may have changed.", Args: "key [element [element ...]]", Shape: ShapeHLLInt, Build: keyMembers(proto.CmdHllAdd)},
	{Name: "pfcount", Note: "HLL_COUNT, with Redis's estimator (the same counts as redis-server); never writes the cached count back. In a cluster several keys must share a partition (co-locate them with {tags}).", Arity: -2, Flags: ro, Keys: all, Group: "hyperloglog", Summary: "The estimated number of distinct elements the HyperLogLog keys counted together.", Args: "key [key ...]", Shape: ShapeHLLInt, Build: keyList(proto.CmdHllCount)},
	{Name: "pfmerge", Note: "HLL_MERGE_INTO: the destination's registers raised to the sources' (dense if any sketch was), its deadline kept; in a cluster the keys must share a partition, and the sources and destination are read on the coordinator's copies, as BITOP's.", Arity: -2, Flags: wr, Keys: all, Group: "hyperloglog", Summary: "Merges HyperLogLog keys into a destination.", Args: "destkey [sourcekey [sourcekey ...]]", Shape: ShapeHLLOK, Build: into(proto.CmdHllMergeInto)},
	{Name: "msetnx", Note: msetnxNote, Arity: -3, Flags: wr, Keys: [3]int{1, -1, 2}, Group: "string", Summary: "Sets the values of one or more keys, only if none of them exists.", Args: "key value [key value ...]", Kind: KindMSetNX, Shape: ShapeMSetNX, Build: msetnx},

	// keys
	{Name: "del", Note: "Each key is deleted on its own: not atomic across keys.", Arity: -2, Flags: wr, Keys: all, Group: "generic", Summary: "Deletes keys; the number deleted.", Args: "key [key ...]", Shape: ShapeCount, Build: eachKey(proto.CmdDel)},
	{Name: "unlink", Note: "As DEL: Vanity frees memory at once.", Arity: -2, Flags: wr, Keys: all, Group: "generic", Summary: "Deletes keys (as DEL).", Args: "key [key ...]", Shape: ShapeCount, Build: eachKey(proto.CmdDel)},
	{Name: "exists", Arity: -2, Flags: ro, Keys: all, Group: "generic", Summary: "How many of the keys exist.", Args: "key [key ...]", Shape: ShapeCount, Build: eachKey(proto.CmdExists)},
	{Name: "touch", Note: "As EXISTS: Vanity keeps no access times to update.", Arity: -2, Flags: ro, Keys: all, Group: "generic", Summary: "How many of the keys exist.", Args: "key [key ...]", Shape: ShapeCount, Build: eachKey(proto.CmdExists)},
	{Name: "type", Arity: 2, Flags: ro, Keys: one, Group: "generic", Summary: "The type of a key's value.", Args: "key", Shape: ShapeType, Build: keyed(proto.CmdType)},
	{Name: "expire", Note: expireNote, Arity: -3, Flags: wr, Keys: one, Group: "generic", Summary: "Sets a key's time to live in seconds.", Args: "key seconds [NX|XX|GT|LT]", Shape: ShapeExpire, Build: expire(1000)},
	{Name: "pexpire", Note: expireNote, Arity: -3, Flags: wr, Keys: one, Group: "generic", Summary: "Sets a key's time to live in milliseconds.", Args: "key milliseconds [NX|XX|GT|LT]", Shape: ShapeExpire, Build: expire(1)},
	{Name: "expireat", Note: "SET_EXPIRY_AT (SET_EXPIRY_AT_IF with an option, as EXPIRE): the node's clock decides when a deadline has passed.", Arity: -3, Flags: wr, Keys: one, Group: "generic", Summary: "Sets a key's deadline as a Unix time in seconds.", Args: "key unix-time-seconds [NX|XX|GT|LT]", Shape: ShapeExpire, Build: expireAt(1000)},
	{Name: "pexpireat", Note: "SET_EXPIRY_AT, as EXPIREAT.", Arity: -3, Flags: wr, Keys: one, Group: "generic", Summary: "Sets a key's deadline as a Unix time in milliseconds.", Args: "key unix-time-milliseconds [NX|XX|GT|LT]", Shape: ShapeExpire, Build: expireAt(1)},
	{Name: "ttl", Arity: 2, Flags: ro, Keys: one, Group: "generic", Summary: "A key's time to live in seconds (-1: none, -2: no key).", Args: "key", Shape: ShapeTTL, Build: ttl},
	{Name: "pttl", Arity: 2, Flags: ro, Keys: one, Group: "generic", Summary: "A key's time to live in milliseconds (-1: none, -2: no key).", Args: "key", Shape: ShapePTTL, Build: ttl},
	{Name: "expiretime", Note: "GET_EXPIRY_AT, the node's deadline.", Arity: 2, Flags: ro, Keys: one, Group: "generic", Summary: "A key's deadline as a Unix time in seconds (-1: none, -2: no key).", Args: "key", Shape: ShapeExpireTime, Build: expireTime},
	{Name: "pexpiretime", Note: "GET_EXPIRY_AT, the node's deadline.", Arity: 2, Flags: ro, Keys: one, Group: "generic", Summary: "A key's deadline as a Unix time in milliseconds (-1: none, -2: no key).", Args: "key", Shape: ShapePExpireTime, Build: expireTime},
	{Name: "persist", Arity: 2, Flags: wr, Keys: one, Group: "generic", Summary: "Removes a key's time to live.", Args: "key", Shape: ShapePersist, Build: func(args [][]byte, p *Plan) error {
		p.Item(proto.CmdGetExpiry).Str[0] = args[1]
		p.Then(proto.CmdClearExpiry).Str[0] = args[1]
		return nil
	}},
	{Name: "keys", Note: "Refused when the reply would pass --max-reply; use SCAN.", Arity: 2, Flags: ro, Group: "generic", Summary: "Every key matching a pattern (bounded by the server's reply limit).", Args: "pattern", Shape: ShapeArray, Build: keyed(proto.CmdKeys)},
	{Name: "scan", Note: "A cursor inside a partition is kept by the router that gave it (65,536 at most, the oldest dropped): continue a scan on the same router. TYPE is applied to each page as Redis applies it (a page may hold fewer keys than COUNT, or none, and the scan goes on): the listener asks each key's TYPE at the session's read level, a read a key. string is Vanity's STR, INT and FLOAT; zset, stream and names of no type match no key.", Arity: -2, Flags: ro, Group: "generic", Summary: "A page of keys and the cursor of the next.", Args: "cursor [MATCH pattern] [COUNT count] [TYPE type]", Kind: KindScan, Build: scan},
	{Name: "dbsize", Note: "In a cluster each partition counts as its fullest copy: a key deleted a moment ago counts until every copy has the delete.", Arity: 1, Flags: ro, Group: "server", Summary: "The number of keys in the database.", Shape: ShapeInt, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdDBSize); return nil }},
	{Name: "randomkey", Note: "RANDOM_KEY: random, not uniform (a key of a sparse partition is likelier than one of a full one).", Arity: 1, Flags: ro, Group: "generic", Summary: "A key of the database at random.", Shape: ShapeBulk, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdRandomKey); return nil }},
	{Name: "flushdb", Note: "ASYNC and SYNC are accepted and mean the same.", Arity: -1, Flags: wr, Group: "server", Summary: "Removes every key of the database.", Args: "[ASYNC|SYNC]", Shape: ShapeStatus, Build: flush(false)},
	{Name: "rename", Note: "RENAME; in a cluster both keys must be in one partition (co-locate them with {tags}, as Redis Cluster's slots).", Arity: 3, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "generic", Summary: "Renames a key and overwrites the destination.", Args: "key newkey", Shape: ShapeStatus, Build: keyString(proto.CmdRename)},
	{Name: "renamenx", Note: "RENAME_IF_ABSENT; in a cluster both keys must be in one partition.", Arity: 3, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "generic", Summary: "Renames a key only when the target key name doesn't exist.", Args: "key newkey", Shape: ShapeBool, Build: keyString(proto.CmdRenameIfAbsent)},
	{Name: "dump", Note: "GET, its value written in Redis's serialization (RDB version 9, the plainest encodings), which a Redis 5.0 or later restores: an integer or a float as the text GET reads.", Arity: 2, Flags: ro, Keys: one, Group: "generic", Summary: "Returns a serialized representation of the value stored at a key.", Args: "key", Shape: ShapeDump, Build: keyed(proto.CmdGet)},
	{Name: "restore", Note: "Reads a payload of any Redis up to RDB version 12 (7.4): strings, lists, sets and hashes in all their encodings; a sorted set, stream or module value is refused. The value is written as SET, RPUSH, SADD or HSET write, then its deadline: with REPLACE in one unit with a DEL of the key; without, behind a check that the key did not change since it was found missing (KEY_VERSION_IS: another client's write meanwhile answers BUSYKEY), which a transaction (MULTI) or SERIAL cannot run. IDLETIME and FREQ are checked, then ignored (Vanity keeps no access times).", Arity: -4, Flags: wr, Keys: one, Group: "generic", Summary: "Creates a key from the serialized representation of a value.", Args: "key ttl serialized-value [REPLACE] [ABSTTL] [IDLETIME seconds] [FREQ frequency]", Kind: KindRestore, Shape: ShapeRestore, Build: restore},
	{Name: "copy", Note: "COPY (with REPLACE) or COPY_IF_ABSENT; in a cluster both keys must be in one partition. DB may only name the selected database.", Arity: -3, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "generic", Summary: "Copies the value of a key to a new key.", Args: "source destination [DB destination-db] [REPLACE]", Shape: ShapeBool, Build: copyKey},
	{Name: "memory", Note: "MEMORY USAGE only: KEY_MEMORY, an estimate of the bytes the key holds (PROTOCOL.md §12.22), which counts every member (SAMPLES is accepted and does not change it); the other subcommands are refused.", Arity: -2, Flags: ro, Keys: [3]int{2, 2, 1}, Group: "server", Summary: "About how many bytes a key takes in memory.", Args: "USAGE key [SAMPLES count]", Shape: ShapeInt, Build: memoryUsage},
	{Name: "flushall", Note: "A RESET of each of the 16 databases, one after another: not one atomic step (a write to a database already emptied stays). Not inside MULTI. ASYNC and SYNC mean the same.", Arity: -1, Flags: wr, Group: "server", Summary: "Removes every key of every database.", Args: "[ASYNC|SYNC]", Shape: ShapeAllOK, Build: flush(true)},

	// lists
	{Name: "lpush", Arity: -3, Flags: wr, Keys: one, Group: "list", Summary: "Prepends elements to a list.", Args: "key element [element ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdListPushLeft)},
	{Name: "lpushx", Note: "LIST_PUSH_LEFT_IF_PRESENT: linearizable (in a cluster, on its serial path: it reads whether the list is there).", Arity: -3, Flags: wr, Keys: one, Group: "list", Summary: "Prepends elements to a list only when the list exists.", Args: "key element [element ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdListPushLeftIfPresent)},
	{Name: "rpush", Arity: -3, Flags: wr, Keys: one, Group: "list", Summary: "Appends elements to a list.", Args: "key element [element ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdListPushRight)},
	{Name: "rpushx", Note: "LIST_PUSH_RIGHT_IF_PRESENT, as LPUSHX.", Arity: -3, Flags: wr, Keys: one, Group: "list", Summary: "Appends elements to a list only when the list exists.", Args: "key element [element ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdListPushRightIfPresent)},
	{Name: "blpop", Note: "LIST_POP_LEFT_WAIT, or LIST_POP_LEFT_WAIT_ANY of several keys (each try pops the keys in order, one at a time: in a cluster they may be in different partitions); a timeout of 0 waits an hour, the longest they take. The router pops again at once after a push to a key through it, otherwise at most 50 ms apart.", Arity: -3, Flags: wr, Keys: [3]int{1, -2, 1}, Group: "list", Summary: "Removes and returns the first element of a list, waiting for one up to a timeout.", Args: "key [key ...] timeout", Shape: ShapeKeyedPop, Build: blockingPop(proto.CmdListPopLeftWait)},
	{Name: "brpop", Note: "As BLPOP, from the tail.", Arity: -3, Flags: wr, Keys: [3]int{1, -2, 1}, Group: "list", Summary: "Removes and returns the last element of a list, waiting for one up to a timeout.", Args: "key [key ...] timeout", Shape: ShapeKeyedPop, Build: blockingPop(proto.CmdListPopRightWait)},
	{Name: "lmpop", Note: "LIST_POP_LEFT_WAIT_ANY or LIST_POP_RIGHT_WAIT_ANY with a time of 0: one try of the keys in order, each a pop of one key (in a cluster they may be in different partitions).", Arity: -4, Flags: wr, Group: "list", Summary: "Returns multiple elements from a list after removing them. Deletes the list if the last element was popped.", Args: "numkeys key [key ...] LEFT|RIGHT [COUNT count]", Shape: ShapeKeyedPops, Build: multiPop(false)},
	{Name: "blmpop", Note: "LIST_POP_LEFT_WAIT_ANY or LIST_POP_RIGHT_WAIT_ANY, as BLPOP's of several keys; a timeout of 0 waits an hour.", Arity: -5, Flags: wr, Group: "list", Summary: "Pops the first element from one of multiple lists. Blocks until an element is available otherwise. Deletes the list if the last element was popped.", Args: "timeout numkeys key [key ...] LEFT|RIGHT [COUNT count]", Shape: ShapeKeyedPops, Build: multiPop(true)},
	{Name: "lpop", Arity: -2, Flags: wr, Keys: one, Group: "list", Summary: "Removes and returns the first elements of a list.", Args: "key [count]", Shape: ShapePopOne, Build: pop(proto.CmdListPopLeft)},
	{Name: "rpop", Arity: -2, Flags: wr, Keys: one, Group: "list", Summary: "Removes and returns the last elements of a list.", Args: "key [count]", Shape: ShapePopOne, Build: pop(proto.CmdListPopRight)},
	{Name: "lmove", Note: "LIST_MOVE; in a cluster both keys must be in one partition (co-locate them with {tags}, as Redis Cluster's slots).", Arity: 5, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "list", Summary: "Returns an element after popping it from one list and pushing it to another.", Args: "source destination LEFT|RIGHT LEFT|RIGHT", Shape: ShapeBulk, Build: move(proto.CmdListMove, nil)},
	{Name: "rpoplpush", Note: "LIST_MOVE source destination RIGHT LEFT; in a cluster both keys must be in one partition.", Arity: 3, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "list", Summary: "Returns the last element of a list after removing and pushing it to another list.", Args: "source destination", Shape: ShapeBulk, Build: move(proto.CmdListMove, &rightLeft)},
	{Name: "blmove", Note: "LIST_MOVE_WAIT: tries of LIST_MOVE, as BLPOP's of a pop; a timeout of 0 waits an hour. In a cluster both keys must be in one partition.", Arity: 6, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "list", Summary: "Pops an element from a list, pushes it to another list and returns it; blocks until an element is available otherwise.", Args: "source destination LEFT|RIGHT LEFT|RIGHT timeout", Shape: ShapeBulk, Build: move(proto.CmdListMoveWait, nil)},
	{Name: "brpoplpush", Note: "LIST_MOVE_WAIT source destination RIGHT LEFT, as BLMOVE.", Arity: 4, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "list", Summary: "Pops an element from a list, pushes it to another list and returns it; blocks until an element is available otherwise.", Args: "source destination timeout", Shape: ShapeBulk, Build: move(proto.CmdListMoveWait, &rightLeft)},
	{Name: "llen", Arity: 2, Flags: ro, Keys: one, Group: "list", Summary: "The length of a list.", Args: "key", Shape: ShapeInt, Build: keyed(proto.CmdListLen)},
	{Name: "lrange", Arity: 4, Flags: ro, Keys: one, Group: "list", Summary: "A range of a list's elements.", Args: "key start stop", Shape: ShapeArray, Build: lrange(proto.CmdListRange)},
	{Name: "ltrim", Arity: 4, Flags: wr, Keys: one, Group: "list", Summary: "Keeps only a range of a list's elements.", Args: "key start stop", Shape: ShapeOK, Build: lrange(proto.CmdListTrim)},
	{Name: "lindex", Arity: 3, Flags: ro, Keys: one, Group: "list", Summary: "An element of a list by its index.", Args: "key index", Shape: ShapeBulkOrNil, Build: func(args [][]byte, p *Plan) error {
		n, err := parseInt(args[2])
		if err != nil {
			return err
		}
		r := p.Item(proto.CmdListGet)
		r.Str[0], r.Int[0] = args[1], n
		return nil
	}},
	{Name: "lset", Note: "EXISTS, then LIST_SET, as one unit: a missing key answers Redis's `no such key` (LIST_SET alone answers `index out of range` for both).", Arity: 4, Flags: wr, Keys: one, Group: "list", Summary: "Sets an element of a list by its index.", Args: "key index element", Shape: ShapeListSet, Build: func(args [][]byte, p *Plan) error {
		n, err := parseInt(args[2])
		if err != nil {
			return err
		}
		p.Item(proto.CmdExists).Str[0] = args[1]
		r := p.Then(proto.CmdListSet)
		r.Str[0], r.Int[0], r.Str[1] = args[1], n, args[3]
		return nil
	}},
	{Name: "lrem", Arity: 4, Flags: wr, Keys: one, Group: "list", Summary: "Removes elements equal to one from a list.", Args: "key count element", Shape: ShapeInt, Build: func(args [][]byte, p *Plan) error {
		n, err := parseInt(args[2])
		if err != nil {
			return err
		}
		r := p.Item(proto.CmdListRemove)
		r.Str[0], r.Str[1], r.Int[0] = args[1], args[3], n
		return nil
	}},
	{Name: "linsert", Note: "LIST_INSERT: linearizable (in a cluster, on its serial path: it reads where the pivot is). The first insertion into the middle of a list built by pushes rewrites the elements from there to the nearer end (they are pushed again further apart: one log record), later ones at that place a few elements.", Arity: 5, Flags: wr, Keys: one, Group: "list", Summary: "Inserts an element before or after another element in a list.", Args: "key BEFORE|AFTER pivot element", Shape: ShapeInt, Build: linsert},
	{Name: "lpos", Note: "LIST_POS_WITHIN: LIST_POS with MAXLEN's bound.", Arity: -3, Flags: ro, Keys: one, Group: "list", Summary: "The index of an element in a list, or of several with COUNT.", Args: "key element [RANK rank] [COUNT num-matches] [MAXLEN len]", Shape: ShapeFirstInt, Build: lpos},

	// sets
	{Name: "sadd", Arity: -3, Flags: wr, Keys: one, Group: "set", Summary: "Adds members to a set; the number added.", Args: "key member [member ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdSetAdd)},
	{Name: "srem", Arity: -3, Flags: wr, Keys: one, Group: "set", Summary: "Removes members from a set; the number removed.", Args: "key member [member ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdSetDiscard)},
	{Name: "smembers", Arity: 2, Flags: ro, Keys: one, Group: "set", Summary: "The members of a set.", Args: "key", Shape: ShapeSet, Build: keyed(proto.CmdSetAll)},
	{Name: "sscan", Note: memberScanNote, Arity: -3, Flags: ro, Keys: one, Group: "set", Summary: "A page of a set's members and the cursor of the next.", Args: "key cursor [MATCH pattern] [COUNT count]", Shape: ShapeScanPage, Build: memberScan(proto.CmdSetScan)},
	{Name: "sismember", Arity: 3, Flags: ro, Keys: one, Group: "set", Summary: "Whether a member is in a set.", Args: "key member", Shape: ShapeBool, Build: keyString(proto.CmdSetContains)},
	{Name: "smismember", Note: "One SET_CONTAINS per member.", Arity: -3, Flags: ro, Keys: one, Group: "set", Summary: "Whether each member is in a set.", Args: "key member [member ...]", Shape: ShapeBools, Build: func(args [][]byte, p *Plan) error {
		for _, m := range args[2:] {
			r := p.Item(proto.CmdSetContains)
			r.Str[0], r.Str[1] = args[1], m
		}
		return nil
	}},
	{Name: "scard", Arity: 2, Flags: ro, Keys: one, Group: "set", Summary: "The number of members of a set.", Args: "key", Shape: ShapeInt, Build: keyed(proto.CmdSetLen)},
	{Name: "spop", Arity: -2, Flags: wr, Keys: one, Group: "set", Summary: "Removes and returns random members of a set.", Args: "key [count]", Shape: ShapePopOne, Build: pop(proto.CmdSetRemove)},
	{Name: "srandmember", Note: "SET_RANDOM: a negative count draws at most 1,000,000 members (with repeats).", Arity: -2, Flags: ro, Keys: one, Group: "set", Summary: "Returns random members of a set, leaving it unchanged.", Args: "key [count]", Shape: ShapePopOne, Build: randomMembers(proto.CmdSetRandom)},
	{Name: "sunion", Arity: -2, Flags: ro, Keys: all, Group: "set", Summary: "The union of sets.", Args: "key [key ...]", Shape: ShapeSet, Build: keyList(proto.CmdSetUnion)},
	{Name: "sinter", Arity: -2, Flags: ro, Keys: all, Group: "set", Summary: "The intersection of sets.", Args: "key [key ...]", Shape: ShapeSet, Build: keyList(proto.CmdSetIntersect)},
	{Name: "sintercard", Note: "SET_INTERSECT_LEN_UPTO: SET_INTERSECT_LEN capped at LIMIT. The whole intersection is counted first (in a cluster, where the sets meet), where Redis stops at the limit: a LIMIT saves no time.", Arity: -3, Flags: ro, Group: "set", Summary: "The number of members in the intersection of sets.", Args: "numkeys key [key ...] [LIMIT limit]", Shape: ShapeInt, Build: sintercard},
	{Name: "sdiff", Arity: -2, Flags: ro, Keys: all, Group: "set", Summary: "The members of the first set that are in none of the others.", Args: "key [key ...]", Shape: ShapeSet, Build: keyList(proto.CmdSetDiffMany)},
	{Name: "sunionstore", Arity: -3, Flags: wr, Keys: all, Group: "set", Summary: "Stores the union of sets; its size.", Args: "destination key [key ...]", Shape: ShapeInt, Build: into(proto.CmdSetUnionInto)},
	{Name: "sinterstore", Arity: -3, Flags: wr, Keys: all, Group: "set", Summary: "Stores the intersection of sets; its size.", Args: "destination key [key ...]", Shape: ShapeInt, Build: into(proto.CmdSetIntersectInto)},
	{Name: "sdiffstore", Arity: -3, Flags: wr, Keys: all, Group: "set", Summary: "Stores the members of the first set that are in none of the others; their number.", Args: "destination key [key ...]", Shape: ShapeInt, Build: into(proto.CmdSetDiffManyInto)},
	{Name: "smove", Note: "A destination that is not a set answers WRONGTYPE even when the source is missing, where Redis answers 0 (Vanity's SET_MOVE checks both keys' types first).", Arity: 4, Flags: wr, Keys: [3]int{1, 2, 1}, Group: "set", Summary: "Moves a member between sets.", Args: "source destination member", Shape: ShapeBool, Build: func(args [][]byte, p *Plan) error {
		r := p.Item(proto.CmdSetMove)
		r.Str[0], r.Str[1], r.Str[2] = args[1], args[2], args[3]
		return nil
	}},

	// hashes
	{Name: "hset", Arity: -4, Flags: wr, Keys: one, Group: "hash", Summary: "Sets fields of a hash; the number of new fields.", Args: "key field value [field value ...]", Shape: ShapeInt, Build: hset},
	{Name: "hmset", Arity: -4, Flags: wr, Keys: one, Group: "hash", Summary: "Sets fields of a hash.", Args: "key field value [field value ...]", Shape: ShapeOK, Build: hset},
	{Name: "hget", Arity: 3, Flags: ro, Keys: one, Group: "hash", Summary: "The value of a hash field.", Args: "key field", Shape: ShapeBulkOrNil, Build: keyString(proto.CmdHashGet)},
	{Name: "hmget", Arity: -3, Flags: ro, Keys: one, Group: "hash", Summary: "The values of hash fields.", Args: "key field [field ...]", Shape: ShapeArray, Build: keyMembers(proto.CmdHashManyGet)},
	{Name: "hgetall", Arity: 2, Flags: ro, Keys: one, Group: "hash", Summary: "Every field and value of a hash.", Args: "key", Shape: ShapeMap, Build: keyed(proto.CmdHashAll)},
	{Name: "hscan", Note: memberScanNote + " NOVALUES is refused.", Arity: -3, Flags: ro, Keys: one, Group: "hash", Summary: "A page of a hash's fields and values and the cursor of the next.", Args: "key cursor [MATCH pattern] [COUNT count]", Shape: ShapeScanPage, Build: memberScan(proto.CmdHashScan)},
	{Name: "hrandfield", Note: "HASH_RANDOM: a negative count draws at most 1,000,000 fields (with repeats).", Arity: -2, Flags: ro, Keys: one, Group: "hash", Summary: "Returns random fields of a hash, with their values if asked, leaving it unchanged.", Args: "key [count [WITHVALUES]]", Shape: ShapePopOne, Build: randomMembers(proto.CmdHashRandom)},
	{Name: "hdel", Arity: -3, Flags: wr, Keys: one, Group: "hash", Summary: "Removes fields of a hash; the number removed.", Args: "key field [field ...]", Shape: ShapeInt, Build: keyMembers(proto.CmdHashRemove)},
	{Name: "hexists", Arity: 3, Flags: ro, Keys: one, Group: "hash", Summary: "Whether a hash has a field.", Args: "key field", Shape: ShapeBool, Build: keyString(proto.CmdHashContains)},
	{Name: "hlen", Arity: 2, Flags: ro, Keys: one, Group: "hash", Summary: "The number of fields of a hash.", Args: "key", Shape: ShapeInt, Build: keyed(proto.CmdHashLen)},
	{Name: "hkeys", Arity: 2, Flags: ro, Keys: one, Group: "hash", Summary: "The fields of a hash.", Args: "key", Shape: ShapeArray, Build: keyed(proto.CmdHashKeys)},
	{Name: "hvals", Arity: 2, Flags: ro, Keys: one, Group: "hash", Summary: "The values of a hash.", Args: "key", Shape: ShapeArray, Build: keyed(proto.CmdHashValues)},
	{Name: "hstrlen", Arity: 3, Flags: ro, Keys: one, Group: "hash", Summary: "The length of a hash field's value.", Args: "key field", Shape: ShapeIntOrZero, Build: keyString(proto.CmdHashKeyLen)},
	{Name: "hincrby", Note: "HASH_INCR on the field's text, linearizable (a cluster's serial path rewrites the hash); exact counters without consensus are INT keys (INCRBY).", Arity: 4, Flags: wr, Keys: one, Group: "hash", Summary: "Increments the integer value of a field in a hash by a number.", Args: "key field increment", Shape: ShapeInt, Build: func(args [][]byte, p *Plan) error {
		n, err := parseInt(args[3])
		if err != nil {
			return err
		}
		r := p.Item(proto.CmdHashIncr)
		r.Str[0], r.Str[1], r.Int[0] = args[1], args[2], n
		return nil
	}},
	{Name: "hincrbyfloat", Note: "HASH_INCR_FLOAT on the field's text, linearizable (a cluster's serial path rewrites the hash). The sum is stored as a double's shortest exact text (0.1 + 0.2 is 0.30000000000000004, where Redis's long double gives 0.3).", Arity: 4, Flags: wr, Keys: one, Group: "hash", Summary: "Increments the floating point value of a field by a number.", Args: "key field increment", Shape: ShapeBulk, Build: func(args [][]byte, p *Plan) error {
		f, err := parseFloat(args[3])
		if err != nil {
			return err
		}
		r := p.Item(proto.CmdHashIncrFloat)
		r.Str[0], r.Str[1], r.Float = args[1], args[2], f
		return nil
	}},
	{Name: "hsetnx", Note: "HASH_SET_IF_ABSENT: linearizable (in a cluster, on its serial path).", Arity: 4, Flags: wr, Keys: one, Group: "hash", Summary: "Sets the value of a field in a hash only when the field doesn't exist.", Args: "key field value", Shape: ShapeBool, Build: func(args [][]byte, p *Plan) error {
		r := p.Item(proto.CmdHashSetIfAbsent)
		r.Str[0], r.Str[1], r.Str[2] = args[1], args[2], args[3]
		return nil
	}},

	// connection and server
	{Name: "ping", Note: "Inside MULTI it is queued and answers in EXEC's array, as in Redis.", Arity: -1, Flags: fast, Group: "connection", Summary: "PONG, or the message.", Args: "[message]", Shape: ShapeStatus, Build: func(args [][]byte, p *Plan) error {
		if len(args) > 2 {
			return ArityError("ping")
		}
		r := p.Item(proto.CmdPing)
		if len(args) == 2 {
			r.Raw = args[1]
			p.Shape = ShapeBulk // the message, even an empty one
		}
		return nil
	}},
	{Name: "echo", Arity: 2, Flags: fast, Group: "connection", Summary: "The message.", Args: "message", Kind: KindEcho},
	{Name: "time", Note: "The clock of the process serving the connection (a router in a cluster).", Arity: 1, Flags: fast, Group: "server", Summary: "The server's time: seconds and microseconds since 1970.", Kind: KindTime},
	{Name: "auth", Note: "AUTH password (or user default) logs in as the first administrator, `vanity` unless renamed.", Arity: -2, Flags: fast, Group: "connection", Summary: "Authenticates the connection (AUTH password: the default user).", Args: "[username] password", Shape: ShapeAuth, Build: auth, Secret: true},
	{Name: "hello", Note: "server vanity, version 7.0.0 (the Redis whose commands and replies the listener follows, which clients parse; Vanity's own version is INFO's version field), mode standalone, a router's too (its clients need no cluster client).", Arity: -1, Flags: fast, Group: "connection", Summary: "Switches the protocol version, optionally authenticating.", Args: "[protover [AUTH username password] [SETNAME clientname]]", Kind: KindHello, Secret: true},
	{Name: "select", Arity: 2, Flags: fast, Group: "connection", Summary: "Switches the database (0-15).", Args: "index", Shape: ShapeStatus, Build: select_},
	{Name: "role", Note: "master, offset 0, no replicas: the server (a router too) takes writes, and a cluster's copies are its own, not Redis replicas; INFO's replication section says role:master alike, which health checks (HAProxy's) look for.", Arity: 1, Flags: fast, Group: "server", Summary: "The server's role in replication.", Kind: KindRole},
	{Name: "wait", Note: "Answers at once the copies beyond the first that every write acknowledged to this connection is known to have reached, since its write level waits for them before the reply: in a cluster ONE 0, QUORUM and SERIAL a majority less one, ALL every copy less one; 0 in the single process. The other copies get a write moments later, uncounted; a cluster's copies are not Redis replicas.", Arity: 3, Flags: fast, Group: "generic", Summary: "The number of replicas the connection's writes reached.", Args: "numreplicas timeout", Kind: KindWait},
	{Name: "reset", Note: "As Redis: discards a transaction and the watches, leaves every channel and pattern, selects database 0, goes back to RESP2, clears the name, and logs the connection out (AUTH again, within --auth-idle-timeout); the Vanity consistency levels go back to the server's defaults too. Answers +RESET.", Arity: 1, Flags: fast, Group: "connection", Summary: "Resets the connection.", Kind: KindReset},
	{Name: "quit", Arity: -1, Flags: fast, Group: "connection", Summary: "Closes the connection.", Kind: KindQuit},
	{Name: "client", Note: "ID, SETNAME, GETNAME, SETINFO, INFO, LIST and KILL (LIST [ID id ...] and KILL, an ADMIN's: every user's connections). A line of INFO and LIST has Redis's id, addr, laddr, name, age, db, user and resp fields, and wire (resp or vanity: both protocols' connections are listed); a router lists and kills its own connections. KILL takes Redis 7.0's filters ID, ADDR, LADDR, USER, TYPE (normal, or pubsub: following a channel or pattern; master, replica and slave name none, as a Vanity server has no replication links) and SKIPME, or the old form of one address; a killed connection closes once the replies it is owed are written, and a blocking pop it waits in ends.", Arity: -2, Group: "connection", Summary: "CLIENT ID, SETNAME, GETNAME, SETINFO, INFO, LIST and KILL.", Args: "subcommand [argument [argument ...]]", Kind: KindClient},
	{Name: "command", Note: "DOCS gives summary, since, group and the arguments (no history, complexity or key specs), from which redis-cli draws its help and hints.", Arity: -1, Group: "server", Summary: "The commands this server knows (COUNT, DOCS, INFO).", Args: "[COUNT|DOCS|INFO [command [command ...]]]", Kind: KindCommand},
	{Name: "config", Note: "GET answers databases, save, appendonly, maxmemory-policy (noeviction), timeout, cluster-enabled, latency-tracking (yes) and latency-monitor-threshold (0: no latency monitor of events) and the serving process's maxmemory (--max-memory; 0 on a router), slowlog-log-slower-than and slowlog-max-len (its flags); SET is refused.", Arity: -2, Group: "server", Summary: "CONFIG GET of what clients ask for.", Args: "GET parameter [parameter ...]", Kind: KindConfig},
	{Name: "save", Note: "PERSIST: a snapshot of every database, written before the reply; an error when persistence is off (--no-db-persist).", Arity: 1, Group: "server", Summary: "Writes a snapshot of every database to disk.", Shape: ShapeStatus, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdPersist); return nil }},
	{Name: "monitor", Note: "The commands the process serving the connection receives from then on (each router shows its own clients'), from every logged-in session and every AUTH and HELLO (their arguments redacted, as ADD_USER's and CHANGE_PASSWORD's on the Vanity port), fed as they are read: a Vanity connection's request as its text, in one quoted argument. An ADMIN's; refused inside MULTI. A monitor that falls --max-subscriber-queue bytes behind is disconnected, as a slow subscriber is. RESET or QUIT ends it.", Arity: 1, Group: "server", Summary: "Streams the commands the server receives.", Kind: KindMonitor},
	{Name: "latency", Note: "HISTOGRAM [command ...] gives each command's calls and latency histogram from the serving process's own (those INFO commandstats and /metrics read): Vanity's commands, which Redis commands run as (HSET's HASH_UPDATE), named in lower case; buckets double from 25 µs to 1.6 s, a sample is a run of the command in a connection's batch. There is no latency monitor of events: LATEST and HISTORY answer empty, RESET 0, GRAPH no samples, as a Redis whose monitor is off (CONFIG GET latency-monitor-threshold: 0); DOCTOR says where the latencies are.", Arity: -2, Group: "server", Summary: "Latency histograms by command; no latency events are recorded.", Args: "DOCTOR|GRAPH event|HISTORY event|LATEST|RESET [event [event ...]]|HISTOGRAM [command [command ...]]|HELP", Kind: KindLatency},
	{Name: "slowlog", Note: "The slow log of the process serving the connection (each router keeps its own): data commands that took at least --slowlog-log-slower-than microseconds (10000; 0: every one; negative: none) from the router handing them to storage until their replies were ready, so in a cluster the nodes, their copies and the network count; commands pipelined together share their batch's time. Session and server commands are never logged. A Redis command is logged as its client sent it, a Vanity one as the text of its requests. The latest --slowlog-max-len (128) are kept. An ADMIN's: the arguments are other users' keys and values.", Arity: -2, Group: "server", Summary: "The slow log: the latest commands that took longer than a threshold.", Args: "GET [count]|LEN|RESET|HELP", Kind: KindSlowLog},
	{Name: "info", Note: "Every section, whatever is asked; Vanity's fields, but the server section opens with redis_version:7.0.0 (the Redis whose commands and replies the listener follows, which tools read) and redis_mode:standalone (a router too), the keyspace section's lines are Redis's (db0:keys=,expires=,avg_ttl=, which exporters read), the fields Redis names otherwise come under its names too: uptime_in_seconds, connected_clients, blocked_clients, maxclients, used_memory (the Go heap in use), maxmemory (the process's --max-memory; 0 on a router), and a replication section says role:master, connected_slaves:0, as ROLE does.", Arity: -1, Group: "server", Summary: "The server's state by section.", Args: "[section [section ...]]", Shape: ShapeInfo, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdInfo); return nil }},
	{Name: "multi", Arity: 1, Flags: fast, Group: "transactions", Summary: "Starts a transaction.", Shape: ShapeStatus, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdTransactBegin); return nil }},
	{Name: "exec", Note: "A queued command the user may not run answers NOPERM in the array (Redis aborts the transaction).", Arity: 1, Group: "transactions", Summary: "Runs the transaction's commands as one unit.", Shape: ShapeStatus, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdTransactCommit); return nil }},
	{Name: "discard", Arity: 1, Flags: fast, Group: "transactions", Summary: "Drops the transaction.", Shape: ShapeStatus, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdTransactDiscard); return nil }},
	{Name: "watch", Note: "TRANSACT_WATCH: EXEC runs nothing (a null array) if a watched key changed, expired or was flushed since; a key deleted and absent again in the single process counts as unchanged. In a cluster the watched keys and the transaction's must share a partition (co-locate them with {tags}).", Arity: -2, Flags: fast, Keys: all, Group: "transactions", Summary: "Watches keys: the next EXEC runs nothing if one changes first.", Args: "key [key ...]", Shape: ShapeStatus, Build: keyList(proto.CmdTransactWatch)},
	{Name: "unwatch", Note: "TRANSACT_UNWATCH. Inside MULTI it is queued and changes nothing, as in Redis (EXEC forgets the watched keys).", Arity: 1, Flags: fast, Group: "transactions", Summary: "Forgets the watched keys.", Shape: ShapeStatus, Build: func(_ [][]byte, p *Plan) error { p.Item(proto.CmdTransactUnwatch); return nil }},
	{Name: "subscribe", Note: "A RESP2 subscriber may still send any command.", Arity: -2, Group: "pubsub", Summary: "Listens to channels.", Args: "channel [channel ...]", Kind: KindSubscribe},
	{Name: "unsubscribe", Arity: -1, Group: "pubsub", Summary: "Stops listening to channels (all without arguments).", Args: "[channel [channel ...]]", Kind: KindUnsubscribe},
	{Name: "psubscribe", Note: "SUBSCRIBE_PATTERN: KEYS's glob patterns; every router's publications reach every router's pattern subscribers.", Arity: -2, Group: "pubsub", Summary: "Listens to the channels whose names match patterns.", Args: "pattern [pattern ...]", Kind: KindPSubscribe},
	{Name: "punsubscribe", Arity: -1, Group: "pubsub", Summary: "Stops listening to patterns (all without arguments).", Args: "[pattern [pattern ...]]", Kind: KindPUnsubscribe},
	{Name: "publish", Note: "Counts the receivers on the router that took it; every router's subscribers get the message.", Arity: 3, Group: "pubsub", Summary: "Sends a message to a channel; the receivers on this router.", Args: "channel message", Kind: KindPublish, Build: func(args [][]byte, p *Plan) error {
		r := p.Item(proto.CmdPublish)
		r.Str[0], r.Str[1] = args[1], args[2]
		return nil
	}},
	{Name: "pubsub", Note: "CHANNELS [pattern], NUMSUB [channel ...] and NUMPAT, of the process serving the connection: a router's own subscribers, as PUBLISH counts them (each router has its own, as each Redis Cluster node has). SHARDCHANNELS and SHARDNUMSUB are refused: there is no sharded pub/sub.", Arity: -2, Group: "pubsub", Summary: "The channels followed, and the numbers of subscribers and patterns, on this server.", Args: "subcommand [argument [argument ...]]", Kind: KindPubSub},
	{Name: "vanity.consistency", Arity: 3, Flags: fast, Group: "vanity", Summary: "Sets the session's read and write consistency (ONE, QUORUM, ALL).", Args: "read write", Shape: ShapeStatus, Build: consistency},
}

// Flags and key positions COMMAND reports.
var (
	ro   = []string{"readonly"}
	wr   = []string{"write"}
	fast = []string{"fast"}
	one  = [3]int{1, 1, 1}
	all  = [3]int{1, -1, 1}
)
