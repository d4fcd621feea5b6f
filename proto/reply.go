package proto

import (
	"math"
	"strconv"
)

// Fixed reply payloads.
var (
	ReplyOK       = []byte("OK")
	ReplyNull     = []byte("NULL")
	ReplyError    = []byte("ERROR")
	ReplyDenied   = []byte("DENIED")
	ReplyQueued   = []byte("QUEUED")
	ReplyBadState = []byte("BAD_STATE")
	ReplyBadType  = []byte("BAD_TYPE")
)

// Exact ERROR and BAD_TYPE bodies of PROTOCOL.md §4.
const (
	MsgIndexOutOfRange     = "index out of range"
	MsgBadKey              = "bad key"
	MsgPersistenceDisabled = "Persistence disabled"
	MsgDBNegative          = " db index must be non-negative"
	MsgDBTooLarge          = " db index must be less than 16"
	MsgUsernameTooShort    = "username too short"
	MsgPasswordTooShort    = "password too short"
	MsgUserExists          = "user already exists"
	MsgUserMissing         = "user does not exist"
	MsgIncorrectPassword   = "incorrect password"
	MsgInvalidAuthLevel    = "invalid auth level"
	MsgCannotDeleteSelf    = "cannot delete self"
	MsgIntegerOverflow     = "integer overflow"
	// MsgNotFinite refuses an INCR_NUMBER whose sum is not a finite number
	// (§12.8), in Redis's words.
	MsgNotFinite = "increment would produce NaN or Infinity"
	// MsgNotInteger and MsgWouldOverflow refuse an INCR_INT_TEXT (§12.29)
	// of a value that is not an integer's text, or whose sum leaves 64
	// bits, in Redis's words; MsgNotANumber refuses one of a container.
	MsgNotInteger       = "value is not an integer or out of range"
	MsgWouldOverflow    = "increment or decrement would overflow"
	MsgNotANumber       = "not a number"
	MsgNotHLL           = "not a HyperLogLog sketch: a string HLL_ADD or HLL_MERGE_INTO made, or Redis's PFADD"
	MsgFieldNotInteger  = "hash value is not an integer"
	MsgFieldNotFloat    = "hash value is not a float"
	MsgInvalidExpiry    = "invalid expiry"
	MsgResponseTooLarge = "response too large"
	MsgNotAList         = "not a list"
	MsgNotASet          = "not a set"
	MsgNotHash          = "not hash"
	MsgNoSuchKey        = "no such key"
	// MsgFenced begins the refusal of a FENCED write behind a newer token
	// (§12.11): "fenced: lock … is at token …".
	MsgFenced = "fenced"
	// MsgOutOfMemory begins the refusal of a write that adds data by a
	// node over its memory limit (§12.2): "out of memory: …".
	MsgOutOfMemory = "out of memory"
	// MsgNotRun answers each command of a transaction that ran nothing
	// because one of its KEY_VERSION_IS checks failed (§12.21).
	MsgNotRun = "not run: a KEY_VERSION_IS check of its transaction failed"
)

// NotAllowedInPipe returns the ERROR body for a command refused in a PIPE.
func NotAllowedInPipe(c Command) string {
	return c.String() + " command not allowed in PIPE request"
}

// Bytes is a byte string held as either a string or a byte slice.
type Bytes interface{ ~string | ~[]byte }

// AppendBody appends a bare "(n)bytes" string.
func AppendBody[B Bytes](dst []byte, b B) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, uint64(len(b)), 10)
	dst = append(dst, ')')
	return append(dst, b...)
}

// AppendErrorMsg appends "ERROR(n)msg", or a bare "ERROR" for an empty msg.
func AppendErrorMsg(dst []byte, msg string) []byte {
	dst = append(dst, "ERROR"...)
	if msg == "" {
		return dst
	}
	return AppendBody(dst, msg)
}

// AppendStatusMsg appends a status word followed by a bare body.
func AppendStatusMsg(dst []byte, s Status, msg string) []byte {
	dst = append(dst, s.String()...)
	return AppendBody(dst, msg)
}

// AppendInternalError appends "INTERNAL_ERROR(n)msg".
func AppendInternalError(dst []byte, msg string) []byte {
	return AppendStatusMsg(dst, StatusInternalError, msg)
}

// AppendBadTypeMsg appends "BAD_TYPE(n)msg", or a bare BAD_TYPE for "".
func AppendBadTypeMsg(dst []byte, msg string) []byte {
	dst = append(dst, "BAD_TYPE"...)
	if msg == "" {
		return dst
	}
	return AppendBody(dst, msg)
}

// Value encoders. Each appends an annotated value (":STR (3)bar"); a reply
// is a status word followed by at most one value: append "OK" first.

// AppendStr appends ":STR (n)bytes".
func AppendStr[B Bytes](dst []byte, b B) []byte {
	return AppendBody(append(dst, ":STR "...), b)
}

// AppendInt appends ":INT v".
func AppendInt(dst []byte, v int64) []byte {
	return strconv.AppendInt(append(dst, ":INT "...), v, 10)
}

// AppendFloat appends ":FLOAT v" with v formatted as C's "%f".
func AppendFloat(dst []byte, v float64) []byte {
	return AppendFloatText(append(dst, ":FLOAT "...), v)
}

// AppendFloatText appends v with exactly six decimals (C "%f"), and inf,
// -inf or nan for the special values.
func AppendFloatText(dst []byte, v float64) []byte {
	switch {
	case math.IsNaN(v):
		return append(dst, "nan"...)
	case math.IsInf(v, 1):
		return append(dst, "inf"...)
	case math.IsInf(v, -1):
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, v, 'f', 6, 64)
}

// AppendFloatShort appends the shortest decimal, with no exponent, that
// reads back as v shown with six decimals (AppendFloatText), or inf, -inf
// or nan: a FLOAT's text where numbers are strings (a Redis client's GET
// and INCRBYFLOAT, STR_APPEND to a FLOAT), as Redis prints a float
// (1000000.5, not 1.0000005e+06).
func AppendFloatShort(dst []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return AppendFloatText(dst, v)
	}
	var six [64]byte
	r, _ := strconv.ParseFloat(string(AppendFloatText(six[:0], v)), 64)
	return strconv.AppendFloat(dst, r, 'f', -1, 64)
}

// AppendBool appends ":BOOL true" or ":BOOL false".
func AppendBool(dst []byte, v bool) []byte {
	if v {
		return append(dst, ":BOOL true"...)
	}
	return append(dst, ":BOOL false"...)
}

// AppendNull appends ":NULL " (the trailing space is part of the protocol).
func AppendNull(dst []byte) []byte { return append(dst, ":NULL "...) }

// AppendTypeOnly appends a type-only annotation such as ":LIST ", as TYPE
// replies carry.
func AppendTypeOnly(dst []byte, t Type) []byte {
	dst = append(dst, ':')
	dst = append(dst, t.String()...)
	return append(dst, ' ')
}

// AppendContainerHeader appends ":T (n)" followed by the opening bracket of
// T, which must be TypeArr, TypeList, TypeSet or TypeHash. For TypeHash n is
// the number of pairs. Elements follow, then AppendContainerEnd.
func AppendContainerHeader(dst []byte, t Type, n int) []byte {
	dst = AppendTypeOnly(dst, t)
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, uint64(n), 10)
	dst = append(dst, ')')
	if t == TypeSet || t == TypeHash {
		return append(dst, '{')
	}
	return append(dst, '[')
}

// AppendContainerEnd appends the closing bracket of t.
func AppendContainerEnd(dst []byte, t Type) []byte {
	if t == TypeSet || t == TypeHash {
		return append(dst, '}')
	}
	return append(dst, ']')
}

// AppendAggHeader appends ":PIPE(n)" or ":AGG(n)".
func AppendAggHeader(dst []byte, t Type, n int) []byte {
	dst = append(dst, ':')
	dst = append(dst, t.String()...)
	dst = append(dst, '(')
	dst = strconv.AppendUint(dst, uint64(n), 10)
	return append(dst, ')')
}

// AppendStrings appends a container of bare strings: ":LIST (n)[...]" or
// ":SET (n){...}".
func AppendStrings[B Bytes](dst []byte, t Type, elems []B) []byte {
	dst = AppendContainerHeader(dst, t, len(elems))
	for _, e := range elems {
		dst = AppendBody(dst, e)
	}
	return AppendContainerEnd(dst, t)
}

// AppendStrArr appends ":ARR (n)[:STR (k)...]" of annotated strings.
func AppendStrArr[B Bytes](dst []byte, elems []B) []byte {
	dst = AppendContainerHeader(dst, TypeArr, len(elems))
	for _, e := range elems {
		dst = AppendStr(dst, e)
	}
	return AppendContainerEnd(dst, TypeArr)
}

// AppendPublish appends an ASYNC publish message payload.
func AppendPublish(dst []byte, channel, message []byte) []byte {
	dst = append(dst, "ASYNC:PUBLISH "...)
	dst = AppendBody(dst, channel)
	return AppendBody(dst, message)
}
