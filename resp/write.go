package resp

import (
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// Version is the protocol a connection speaks: RESP2 until HELLO 3.
type Version uint8

const (
	RESP2 Version = 2
	RESP3 Version = 3
)

// AppendSimple appends a simple string: "+OK\r\n". s must hold no CR or LF.
func AppendSimple(dst []byte, s string) []byte {
	return append(append(append(dst, '+'), s...), '\r', '\n')
}

// AppendError appends an error, "-ERR message\r\n" or with Redis's other
// prefixes ("WRONGTYPE ...", "NOPERM ..."): prefix and message, line breaks
// in the message turned into spaces.
func AppendError(dst []byte, prefix, msg string) []byte {
	dst = append(append(dst, '-'), prefix...)
	if msg != "" {
		dst = append(append(dst, ' '), strings.Map(func(r rune) rune {
			if r == '\r' || r == '\n' {
				return ' '
			}
			return r
		}, msg)...)
	}
	return append(dst, '\r', '\n')
}

// AppendInt appends an integer: ":42\r\n".
func AppendInt(dst []byte, v int64) []byte {
	return append(strconv.AppendInt(append(dst, ':'), v, 10), '\r', '\n')
}

// AppendBulk appends a bulk string: "$3\r\nbar\r\n".
func AppendBulk[B ~[]byte | ~string](dst []byte, b B) []byte {
	dst = strconv.AppendInt(append(dst, '$'), int64(len(b)), 10)
	dst = append(append(dst, '\r', '\n'), b...)
	return append(dst, '\r', '\n')
}

// AppendNull appends the null reply: "$-1\r\n" in RESP2, "_\r\n" in RESP3.
func AppendNull(dst []byte, v Version) []byte {
	if v == RESP3 {
		return append(dst, '_', '\r', '\n')
	}
	return append(dst, "$-1\r\n"...)
}

// AppendFloat appends f's text as a bulk string (proto.AppendFloatShort:
// 1000000.5, never an exponent), as Redis answers INCRBYFLOAT in both
// protocol versions.
func AppendFloat(dst []byte, f float64) []byte {
	var text [64]byte
	return AppendBulk(dst, proto.AppendFloatShort(text[:0], f))
}

// AppendBool appends a boolean: "#t\r\n" in RESP3, ":1\r\n" or ":0\r\n" in
// RESP2.
func AppendBool(dst []byte, v Version, b bool) []byte {
	if v == RESP3 {
		if b {
			return append(dst, "#t\r\n"...)
		}
		return append(dst, "#f\r\n"...)
	}
	if b {
		return AppendInt(dst, 1)
	}
	return AppendInt(dst, 0)
}

// AppendArray appends an array header for n elements: "*n\r\n".
func AppendArray(dst []byte, n int) []byte { return header(dst, '*', n) }

// AppendSet appends a set header: "~n\r\n" in RESP3, an array in RESP2.
func AppendSet(dst []byte, v Version, n int) []byte {
	if v == RESP3 {
		return header(dst, '~', n)
	}
	return AppendArray(dst, n)
}

// AppendMap appends a map header for n pairs: "%n\r\n" in RESP3, an array
// of 2n elements (field, value, ...) in RESP2.
func AppendMap(dst []byte, v Version, n int) []byte {
	if v == RESP3 {
		return header(dst, '%', n)
	}
	return AppendArray(dst, 2*n)
}

func header(dst []byte, kind byte, n int) []byte {
	return append(strconv.AppendInt(append(dst, kind), int64(n), 10), '\r', '\n')
}
