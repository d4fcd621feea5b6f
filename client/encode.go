package client

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// SetOf is encoded as a SET argument: (n){...}.
type SetOf []string

// Field is one field and value of a Hash argument.
type Field struct{ Name, Value string }

// Hash is encoded as a HASH argument, in order: (n){field value ...}.
type Hash []Field

// Verbatim is sent as is, unframed (PING's message).
type Verbatim string

// Encode builds a request the way the seed client does: the command word
// followed by the arguments joined with single spaces (§10.2).
func Encode(command string, args ...any) ([]byte, error) {
	b := []byte(command)
	for i, a := range args {
		if i > 0 {
			b = append(b, ' ')
		}
		var err error
		if b, err = appendArg(b, a); err != nil {
			return nil, fmt.Errorf("client: %s argument %d: %w", command, i+1, err)
		}
	}
	return b, nil
}

func appendArg(b []byte, a any) ([]byte, error) {
	switch v := a.(type) {
	case string:
		return proto.AppendBody(b, v), nil
	case []byte:
		return proto.AppendBody(b, v), nil
	case Verbatim:
		return append(b, v...), nil
	case int:
		return strconv.AppendInt(b, int64(v), 10), nil
	case int64:
		return strconv.AppendInt(b, v, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(v), 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(v), 10), nil
	case float64:
		return append(b, FormatFloat(v)...), nil
	case float32:
		return append(b, FormatFloat(float64(v))...), nil
	case proto.Level, proto.Consistency, proto.End, proto.DeadlineIf, proto.KeyIf, proto.TTLMode, proto.BitUnit, proto.BitOp:
		return append(b, v.(fmt.Stringer).String()...), nil // an enum's word
	case []string:
		return appendSeq(b, '[', ']', v), nil
	case [][]byte:
		b = append(b, '(')
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, ")["...)
		for _, e := range v {
			b = proto.AppendBody(b, e)
		}
		return append(b, ']'), nil
	case SetOf:
		return appendSeq(b, '{', '}', v), nil
	case Hash:
		b = append(b, '(')
		b = strconv.AppendInt(b, int64(len(v)), 10)
		b = append(b, "){"...)
		for _, f := range v {
			b = proto.AppendBody(proto.AppendBody(b, f.Name), f.Value)
		}
		return append(b, '}'), nil
	case map[string]string:
		h := make(Hash, 0, len(v))
		for k, x := range v {
			h = append(h, Field{k, x})
		}
		sort.Slice(h, func(i, j int) bool { return h[i].Name < h[j].Name })
		return appendArg(b, h)
	case bool:
		return nil, fmt.Errorf("booleans have no encoding")
	}
	return nil, fmt.Errorf("unsupported type %T", a)
}

func appendSeq(b []byte, open, close byte, elems []string) []byte {
	b = append(b, '(')
	b = strconv.AppendInt(b, int64(len(elems)), 10)
	b = append(b, ')', open)
	for _, e := range elems {
		b = proto.AppendBody(b, e)
	}
	return append(b, close)
}

// FormatFloat formats f as Python's repr does, which is how the seed client
// sends floats: the shortest digits that round-trip, in positional notation
// when the decimal exponent is within [-4, 16), else in exponent notation
// ("1e-05", "1e+16"); "inf", "-inf" and "nan" for the special values.
func FormatFloat(f float64) string {
	switch {
	case math.IsNaN(f):
		return "nan"
	case math.IsInf(f, 1):
		return "inf"
	case math.IsInf(f, -1):
		return "-inf"
	}
	sci := strconv.FormatFloat(f, 'e', -1, 64) // d.ddde±XX
	exp, _ := strconv.Atoi(sci[strings.IndexByte(sci, 'e')+1:])
	if exp < -4 || exp >= 16 {
		return sci
	}
	s := strconv.FormatFloat(f, 'f', -1, 64)
	if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return s
}
