package proto

import "bytes"

// Type is a value annotation on the wire (":STR", ":INT", ...). ONLY APPEND
// TO THIS LIST.
type Type uint8

const (
	TypeNone    Type = iota // no annotation
	TypeStr                 // :STR (n)bytes
	TypeInt                 // :INT 42
	TypeFloat               // :FLOAT 1.500000
	TypeBool                // :BOOL true
	TypeNull                // :NULL (with its trailing space)
	TypeArr                 // :ARR (n)[annotated values]
	TypeList                // :LIST (n)[bare strings]
	TypeSet                 // :SET (n){bare strings}
	TypeHash                // :HASH (n){field value ...}
	TypePipe                // :PIPE(n) replies (no space)
	TypeAgg                 // :AGG(n) replies (no space)
	TypePublish             // :PUBLISH (n)channel(n)message, in ASYNC frames

	numTypes
)

var typeNames = [numTypes]string{
	TypeStr: "STR", TypeInt: "INT", TypeFloat: "FLOAT", TypeBool: "BOOL", TypeNull: "NULL",
	TypeArr: "ARR", TypeList: "LIST", TypeSet: "SET", TypeHash: "HASH", TypePipe: "PIPE",
	TypeAgg: "AGG", TypePublish: "PUBLISH",
}

func (t Type) String() string {
	if t == TypeNone || t >= numTypes {
		return ""
	}
	return typeNames[t]
}

// Level is a session's authorization level (PROTOCOL.md §5.3).
type Level uint8

const (
	LevelUnknown Level = iota
	LevelUser
	LevelAdmin
	LevelPeer
)

var levelNames = [...]string{LevelUnknown: "UNKNOWN", LevelUser: "USER", LevelAdmin: "ADMIN", LevelPeer: "PEER"}

func (l Level) String() string {
	if int(l) < len(levelNames) {
		return levelNames[l]
	}
	return "INVALID"
}

// Consistency is a replica count requirement for reads or writes (§12.1).
type Consistency uint8

const (
	ConsQuorum Consistency = iota // the zero value is the default
	ConsOne
	ConsAll
	// ConsSerial runs each command linearizably on its key: in a cluster,
	// through the serial path (docs/serial.md), a majority of the
	// replicas agreeing on each state; the single process, whose one copy
	// is linearizable already, runs it as QUORUM.
	ConsSerial
)

var consistencyNames = [...]string{ConsQuorum: "QUORUM", ConsOne: "ONE", ConsAll: "ALL", ConsSerial: "SERIAL"}

// Need is how many of n replicas, the coordinator's copy included, the
// level asks for: ONE 1, QUORUM and SERIAL a majority, ALL n.
func (c Consistency) Need(n int) int {
	switch c {
	case ConsOne:
		return min(1, n)
	case ConsAll:
		return n
	}
	return n/2 + 1
}

func (c Consistency) String() string {
	if int(c) < len(consistencyNames) {
		return consistencyNames[c]
	}
	return "INVALID"
}

// End is one end of a list: LIST_MOVE's (§12.14) where it takes an
// element from and where it puts it.
type End uint8

const (
	EndLeft  End = iota // the head, where LIST_PUSH_LEFT pushes
	EndRight            // the tail, where LIST_PUSH_RIGHT pushes
)

var endNames = [...]string{EndLeft: "LEFT", EndRight: "RIGHT"}

func (e End) String() string {
	if int(e) < len(endNames) {
		return endNames[e]
	}
	return "INVALID"
}

// DeadlineIf is when SET_EXPIRY_IF and SET_EXPIRY_AT_IF (§12.25) give a
// key a new deadline, from the deadline it has: Redis's EXPIRE options.
// A key without a deadline never expires, so no deadline is later than
// its none and every deadline is earlier.
type DeadlineIf uint8

const (
	// DeadlineAlways: whatever deadline the key has (SET_EXPIRY's).
	DeadlineAlways      DeadlineIf = iota
	DeadlineNone                   // the key has no deadline (Redis's NX)
	DeadlineSome                   // the key has a deadline (XX)
	DeadlineLater                  // the new deadline is later than the key's (GT; XX GT)
	DeadlineEarlier                // the new deadline is earlier than the key's, or it has none (LT)
	DeadlineSomeEarlier            // the key has a deadline and the new one is earlier (XX LT)
)

var deadlineIfNames = [...]string{DeadlineAlways: "ALWAYS", DeadlineNone: "NONE", DeadlineSome: "SOME",
	DeadlineLater: "LATER", DeadlineEarlier: "EARLIER", DeadlineSomeEarlier: "SOME_EARLIER"}

func (w DeadlineIf) String() string {
	if int(w) < len(deadlineIfNames) {
		return deadlineIfNames[w]
	}
	return "INVALID"
}

// InvalidListRange reports whether start and end are PROTOCOL.md §6.3's
// invalid pair for LIST_RANGE and LIST_TRIM: both positive, or both
// negative, and start after end.
func InvalidListRange(start, end int64) bool {
	return (start > 0 && end > 0 || start < 0 && end < 0) && start > end
}

// Admits reports whether a key whose deadline is cur (milliseconds since
// 1970; 0: none) takes the deadline next under w.
func (w DeadlineIf) Admits(cur, next int64) bool {
	switch w {
	case DeadlineNone:
		return cur == 0
	case DeadlineSome:
		return cur != 0
	case DeadlineLater:
		return cur != 0 && next > cur
	case DeadlineEarlier:
		return cur == 0 || next < cur
	case DeadlineSomeEarlier:
		return cur != 0 && next < cur
	}
	return true
}

// KeyIf is when SET_WITH and GET_SET_WITH (§12.26) write, from whether
// the key is there: Redis's SET NX and XX.
type KeyIf uint8

const (
	KeyAlways  KeyIf = iota // whatever the key holds
	KeyAbsent               // the key is missing (NX)
	KeyPresent              // the key holds a value (XX)
)

var keyIfNames = [...]string{KeyAlways: "ALWAYS", KeyAbsent: "ABSENT", KeyPresent: "PRESENT"}

func (k KeyIf) String() string {
	if int(k) < len(keyIfNames) {
		return keyIfNames[k]
	}
	return "INVALID"
}

// BitUnit is what the range of STR_BIT_COUNT and STR_BIT_POS (§12.31)
// counts in: bytes, as Redis's BITCOUNT and BITPOS by default, or bits.
type BitUnit uint8

const (
	UnitByte BitUnit = iota // BYTE
	UnitBit                 // BIT
)

var bitUnitNames = [...]string{UnitByte: "BYTE", UnitBit: "BIT"}

func (u BitUnit) String() string {
	if int(u) < len(bitUnitNames) {
		return bitUnitNames[u]
	}
	return "INVALID"
}

// BitOp is what STR_BIT_OP_INTO (§12.31) makes of its sources' bits:
// Redis's BITOP operations.
type BitOp uint8

const (
	BitAnd BitOp = iota // AND
	BitOr               // OR
	BitXor              // XOR
	BitNot              // NOT (of one source)
)

var bitOpNames = [...]string{BitAnd: "AND", BitOr: "OR", BitXor: "XOR", BitNot: "NOT"}

// EndWord, BitUnitWord and BitOpWord read one whole word, in any case, as
// the enum value the protocol's parser reads for it: for an edge that
// takes the same words in another syntax (the RESP listener's LMOVE,
// LINSERT, BITCOUNT, BITPOS and BITOP, whose words are Redis's too).
func EndWord(b []byte) (End, bool)         { return enumWord[End](b, endNames[:]) }
func BitUnitWord(b []byte) (BitUnit, bool) { return enumWord[BitUnit](b, bitUnitNames[:]) }
func BitOpWord(b []byte) (BitOp, bool)     { return enumWord[BitOp](b, bitOpNames[:]) }

func enumWord[T ~uint8](b []byte, names []string) (T, bool) {
	for n, name := range names {
		if name != "" && bytes.EqualFold(b, []byte(name)) {
			return T(n), true
		}
	}
	return 0, false
}

func (o BitOp) String() string {
	if int(o) < len(bitOpNames) {
		return bitOpNames[o]
	}
	return "INVALID"
}

// TTLMode is the deadline SET_WITH and GET_SET_WITH (§12.26) give the
// value they write: Redis's SET EX/PX, EXAT/PXAT and KEEPTTL.
type TTLMode uint8

const (
	TTLClear TTLMode = iota // none, as SET
	TTLAfter                // milliseconds from now (EX, PX)
	TTLAt                   // milliseconds since 1970 (EXAT, PXAT)
	TTLKeep                 // the key's own, if it has one (KEEPTTL)
)

var ttlModeNames = [...]string{TTLClear: "CLEAR", TTLAfter: "AFTER", TTLAt: "AT", TTLKeep: "KEEP"}

func (m TTLMode) String() string {
	if int(m) < len(ttlModeNames) {
		return ttlModeNames[m]
	}
	return "INVALID"
}

// Status is the first word of every reply. ONLY APPEND TO THIS LIST.
type Status uint8

const (
	StatusNone Status = iota
	StatusOK
	StatusNull
	StatusError
	StatusPong
	StatusDenied
	StatusBadRequest
	StatusBadType
	StatusInternalError
	StatusQueued
	StatusBadState
	StatusAsync

	numStatuses
)

var statusNames = [numStatuses]string{
	StatusOK: "OK", StatusNull: "NULL", StatusError: "ERROR", StatusPong: "PONG",
	StatusDenied: "DENIED", StatusBadRequest: "BAD_REQUEST", StatusBadType: "BAD_TYPE",
	StatusInternalError: "INTERNAL_ERROR", StatusQueued: "QUEUED", StatusBadState: "BAD_STATE",
	StatusAsync: "ASYNC",
}

func (s Status) String() string {
	if s == StatusNone || s >= numStatuses {
		return ""
	}
	return statusNames[s]
}
