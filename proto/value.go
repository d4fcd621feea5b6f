package proto

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
)

// Reply is a decoded reply (or ASYNC) payload.
type Reply struct {
	Status  Status
	Body    []byte // the bare "(n)..." body after the status, if HasBody
	HasBody bool
	Value   Value // Value.Type is TypeNone when the status stands alone
}

// Value is a decoded typed value.
type Value struct {
	Type     Type
	TypeOnly bool     // an annotation with no payload (TYPE replies)
	Str      []byte   // TypeStr
	Int      int64    // TypeInt
	Float    float64  // TypeFloat
	Bool     bool     // TypeBool
	Elems    []Value  // TypeArr
	Strs     [][]byte // TypeList, TypeSet, TypeHash (field, value, ...), TypePublish (channel, message)
	Replies  []Reply  // TypePipe, TypeAgg
}

// ErrMalformedReply is wrapped by every ParseReply error.
var ErrMalformedReply = errors.New("proto: malformed reply")

// ParseReply decodes one complete reply payload.
func ParseReply(b []byte) (Reply, error) {
	var r Reply
	if err := ParseReplyInto(&r, b); err != nil {
		return Reply{}, err
	}
	return r, nil
}

// reuseRoom is the most elements a cleared Reply keeps room for.
const reuseRoom = 1024

// Clear empties r for ParseReplyInto, keeping the room its value's
// strings and elements took (up to reuseRoom of each).
func (r *Reply) Clear() {
	strs, elems := r.Value.Strs, r.Value.Elems
	*r = Reply{}
	if cap(strs) <= reuseRoom {
		r.Value.Strs = strs[:0]
	}
	if cap(elems) <= reuseRoom {
		r.Value.Elems = elems[:0]
	}
}

// ParseReplyInto is ParseReply decoding into *r, which must be zero or
// cleared (Clear: a caller decoding reply after reply into the same
// Replies allocates their lists once). On an error r holds what was
// decoded before it.
func ParseReplyInto(r *Reply, b []byte) error {
	i, err := parseReply(b, 0, r)
	if err != nil {
		return err
	}
	if i != len(b) {
		return malformed(i, "trailing bytes")
	}
	return nil
}

func malformed(pos int, what string) error {
	return fmt.Errorf("%w at byte %d: %s", ErrMalformedReply, pos, what)
}

func parseReply(b []byte, i int, r *Reply) (int, error) {
	for s := StatusOK; s < numStatuses; s++ {
		if hasPrefix(b[i:], statusNames[s]) {
			r.Status = s
			i += len(statusNames[s])
			break
		}
	}
	if r.Status == StatusNone {
		return i, malformed(i, "unknown status")
	}
	if i == len(b) {
		return i, nil
	}
	switch b[i] {
	case '(':
		body, j, err := readBody(b, i)
		if err != nil {
			return j, err
		}
		r.Body, r.HasBody = body, true
		return j, nil
	case ':':
		return parseValue(b, i, &r.Value)
	}
	return i, nil
}

func readBody(b []byte, i int) ([]byte, int, error) {
	n, j, perr := parseLength(b, i)
	if perr != ErrNone || b[i] != '(' {
		return nil, i, malformed(i, "bad length")
	}
	if n > uint64(len(b)-j) {
		return nil, j, malformed(j, "body shorter than its length")
	}
	end := j + int(n)
	return b[j:end], end, nil
}

func readCount(b []byte, i int) (int, int, error) {
	if i >= len(b) || b[i] != '(' {
		return 0, i, malformed(i, "expected count")
	}
	n, j, perr := parseLength(b, i)
	if perr != ErrNone || n > uint64(len(b)) {
		return 0, i, malformed(i, "bad count")
	}
	return int(n), j, nil
}

// room returns s emptied, with room for n more (up to reuseRoom: a
// count is the sender's word until the elements are read): s's own when
// it has it (a cleared Reply's).
func room[T any](s []T, n int) []T {
	if n = min(n, reuseRoom); cap(s) >= n {
		return s[:0]
	}
	return make([]T, 0, n)
}

// parseValue decodes ":TYPE ..." at b[i].
func parseValue(b []byte, i int, v *Value) (int, error) {
	i++ // ':'
	for t := TypeStr; t < numTypes; t++ {
		if hasPrefix(b[i:], typeNames[t]) {
			v.Type = t
			i += len(typeNames[t])
			break
		}
	}
	if v.Type == TypeNone {
		return i, malformed(i, "unknown type")
	}
	if v.Type == TypePipe || v.Type == TypeAgg {
		n, j, err := readCount(b, i)
		if err != nil {
			return j, err
		}
		v.Replies = make([]Reply, 0, min(n, 1024))
		for k := 0; k < n; k++ {
			v.Replies = append(v.Replies, Reply{})
			if j, err = parseReply(b, j, &v.Replies[len(v.Replies)-1]); err != nil {
				return j, err
			}
		}
		return j, nil
	}
	if i == len(b) || b[i] != ' ' {
		return i, malformed(i, "expected space after type")
	}
	i++
	if v.Type == TypeNull {
		return i, nil
	}
	if i == len(b) || !startsPayload(v.Type, b[i]) {
		v.TypeOnly = true
		return i, nil
	}
	var err error
	switch v.Type {
	case TypeStr:
		v.Str, i, err = readBody(b, i)
	case TypeInt:
		var perr ParseError
		v.Int, i, perr = parseInt(b, i)
		if perr != ErrNone {
			err = malformed(i, "bad integer")
		}
	case TypeFloat:
		v.Float, i, err = parseFloatText(b, i)
	case TypeBool:
		switch {
		case hasPrefix(b[i:], "true"):
			v.Bool, i = true, i+4
		case hasPrefix(b[i:], "false"):
			i += 5
		default:
			err = malformed(i, "bad bool")
		}
	case TypeArr:
		var n int
		if n, i, err = readCount(b, i); err != nil {
			return i, err
		}
		if i == len(b) || b[i] != '[' {
			return i, malformed(i, "expected [")
		}
		i++
		v.Elems = room(v.Elems, n)
		for k := 0; k < n; k++ {
			if i == len(b) || b[i] != ':' {
				return i, malformed(i, "expected annotated element")
			}
			v.Elems = append(v.Elems, Value{})
			if i, err = parseValue(b, i, &v.Elems[len(v.Elems)-1]); err != nil {
				return i, err
			}
		}
		if i == len(b) || b[i] != ']' {
			return i, malformed(i, "expected ]")
		}
		i++
	case TypeList, TypeSet, TypeHash:
		open, close, per := byte('['), byte(']'), 1
		if v.Type != TypeList {
			open, close = '{', '}'
		}
		if v.Type == TypeHash {
			per = 2
		}
		var n int
		if n, i, err = readCount(b, i); err != nil {
			return i, err
		}
		if i == len(b) || b[i] != open {
			return i, malformed(i, "expected opening bracket")
		}
		i++
		v.Strs = room(v.Strs, n*per)
		for k := 0; k < n*per; k++ {
			var s []byte
			if s, i, err = readBody(b, i); err != nil {
				return i, err
			}
			v.Strs = append(v.Strs, s)
		}
		if i == len(b) || b[i] != close {
			return i, malformed(i, "expected closing bracket")
		}
		i++
	case TypePublish:
		for k := 0; k < 2; k++ {
			var s []byte
			if s, i, err = readBody(b, i); err != nil {
				return i, err
			}
			v.Strs = append(v.Strs, s)
		}
	}
	return i, err
}

// startsPayload reports whether c can begin a value of type t, telling a
// type-only annotation (TYPE replies) from a value.
func startsPayload(t Type, c byte) bool {
	switch t {
	case TypeInt:
		return c == '-' || c >= '0' && c <= '9'
	case TypeFloat:
		return c == '-' || c == 'i' || c == 'n' || c >= '0' && c <= '9'
	case TypeBool:
		return c == 't' || c == 'f'
	}
	return c == '('
}

func parseFloatText(b []byte, i int) (float64, int, error) {
	switch {
	case hasPrefix(b[i:], "nan"):
		return math.NaN(), i + 3, nil
	case hasPrefix(b[i:], "inf"):
		return math.Inf(1), i + 3, nil
	case hasPrefix(b[i:], "-inf"):
		return math.Inf(-1), i + 4, nil
	}
	j := i
	if j < len(b) && b[j] == '-' {
		j++
	}
	for j < len(b) && (b[j] >= '0' && b[j] <= '9' || b[j] == '.') {
		j++
	}
	f, err := strconv.ParseFloat(string(b[i:j]), 64)
	if err != nil {
		return 0, j, malformed(i, "bad float")
	}
	return f, j, nil
}

// AppendReply encodes r; ParseReply(AppendReply(nil, r)) gives back r.
func AppendReply(dst []byte, r Reply) []byte {
	dst = append(dst, r.Status.String()...)
	if r.HasBody {
		return AppendBody(dst, r.Body)
	}
	if r.Value.Type != TypeNone {
		dst = AppendValue(dst, r.Value)
	}
	return dst
}

// AppendValue encodes an annotated value.
func AppendValue(dst []byte, v Value) []byte {
	if v.TypeOnly {
		return AppendTypeOnly(dst, v.Type)
	}
	switch v.Type {
	case TypeStr:
		return AppendStr(dst, v.Str)
	case TypeInt:
		return AppendInt(dst, v.Int)
	case TypeFloat:
		return AppendFloat(dst, v.Float)
	case TypeBool:
		return AppendBool(dst, v.Bool)
	case TypeNull:
		return AppendNull(dst)
	case TypeArr:
		dst = AppendContainerHeader(dst, TypeArr, len(v.Elems))
		for _, e := range v.Elems {
			dst = AppendValue(dst, e)
		}
		return AppendContainerEnd(dst, TypeArr)
	case TypeList, TypeSet:
		return AppendStrings(dst, v.Type, v.Strs)
	case TypeHash:
		dst = AppendContainerHeader(dst, TypeHash, len(v.Strs)/2)
		for _, s := range v.Strs {
			dst = AppendBody(dst, s)
		}
		return AppendContainerEnd(dst, TypeHash)
	case TypePipe, TypeAgg:
		dst = AppendAggHeader(dst, v.Type, len(v.Replies))
		for _, r := range v.Replies {
			dst = AppendReply(dst, r)
		}
		return dst
	case TypePublish:
		dst = append(dst, ":PUBLISH "...)
		for _, s := range v.Strs {
			dst = AppendBody(dst, s)
		}
		return dst
	}
	return dst
}

// SortUnordered sorts, recursively, the parts of r whose order the protocol
// leaves unspecified: SET members, HASH pairs and the elements of ARR values
// (whose order is unspecified for HASH_KEYS, HASH_VALUES and SUBSCRIBED).
// Tests and clients use it to compare replies.
func SortUnordered(r *Reply) {
	sortValue(&r.Value, true)
}

// SortMembers is SortUnordered for replies whose ARR order matters (as that
// of MANY_GET): it sorts SET members and HASH pairs only.
func SortMembers(r *Reply) {
	sortValue(&r.Value, false)
}

func sortValue(v *Value, arrays bool) {
	switch v.Type {
	case TypeSet:
		sort.Slice(v.Strs, func(i, j int) bool { return bytes.Compare(v.Strs[i], v.Strs[j]) < 0 })
	case TypeHash:
		pairs := make([][2][]byte, len(v.Strs)/2)
		for i := range pairs {
			pairs[i] = [2][]byte{v.Strs[2*i], v.Strs[2*i+1]}
		}
		sort.Slice(pairs, func(i, j int) bool { return bytes.Compare(pairs[i][0], pairs[j][0]) < 0 })
		for i, p := range pairs {
			v.Strs[2*i], v.Strs[2*i+1] = p[0], p[1]
		}
	case TypeArr:
		for i := range v.Elems {
			sortValue(&v.Elems[i], arrays)
		}
		if arrays {
			sort.SliceStable(v.Elems, func(i, j int) bool {
				return bytes.Compare(AppendValue(nil, v.Elems[i]), AppendValue(nil, v.Elems[j])) < 0
			})
		}
	case TypePipe, TypeAgg:
		for i := range v.Replies {
			sortValue(&v.Replies[i].Value, arrays)
		}
	}
}

// IntText reads s as Redis reads an integer from a string: an optional
// minus sign and decimal digits, no leading zero (but "0"), within 64
// bits; nothing else (no plus sign, no spaces).
func IntText(s string) (int64, bool) {
	if s == "" || len(s) > 20 || s[0] == '+' || s == "-0" {
		return 0, false
	}
	digits := strings.TrimPrefix(s, "-")
	if digits == "" || len(digits) > 1 && digits[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil
}
