package cli

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/vanitydb/vanity/proto"
)

// Format renders a reply for people, the way redis-cli prints one: strings
// quoted, numbers tagged with their type, containers numbered.
func Format(r proto.Reply) string {
	var b strings.Builder
	writeReply(&b, r, 0)
	return b.String()
}

func writeReply(b *strings.Builder, r proto.Reply, indent int) {
	switch r.Status {
	case proto.StatusOK:
		if r.Value.Type == proto.TypeNone {
			b.WriteString("OK")
			return
		}
		writeValue(b, r.Value, indent)
	case proto.StatusNull:
		b.WriteString("(nil)")
	case proto.StatusPong:
		if len(r.Value.Str) == 0 {
			b.WriteString("PONG")
		} else {
			writeString(b, r.Value.Str)
		}
	case proto.StatusQueued:
		b.WriteString("QUEUED")
	case proto.StatusAsync:
		writeValue(b, r.Value, indent)
	default: // ERROR, DENIED, BAD_REQUEST, BAD_TYPE, INTERNAL_ERROR, BAD_STATE
		b.WriteString("(error) ")
		b.WriteString(r.Status.String())
		if r.HasBody {
			b.WriteString(" ")
			b.WriteString(strings.TrimSpace(string(r.Body)))
		}
	}
}

func writeValue(b *strings.Builder, v proto.Value, indent int) {
	if v.TypeOnly {
		b.WriteString(strings.ToLower(v.Type.String()))
		return
	}
	switch v.Type {
	case proto.TypeStr:
		writeString(b, v.Str)
	case proto.TypeInt:
		b.WriteString("(integer) ")
		b.WriteString(strconv.FormatInt(v.Int, 10))
	case proto.TypeFloat:
		b.WriteString("(float) ")
		b.Write(proto.AppendFloatText(nil, v.Float))
	case proto.TypeBool:
		if v.Bool {
			b.WriteString("(true)")
		} else {
			b.WriteString("(false)")
		}
	case proto.TypeNull:
		b.WriteString("(nil)")
	case proto.TypeList, proto.TypeSet:
		if len(v.Strs) == 0 {
			b.WriteString("(empty " + strings.ToLower(v.Type.String()) + ")")
			return
		}
		writeNumbered(b, len(v.Strs), indent, func(i int, _ int) { writeString(b, v.Strs[i]) })
	case proto.TypeHash:
		if len(v.Strs) == 0 {
			b.WriteString("(empty hash)")
			return
		}
		writeNumbered(b, len(v.Strs)/2, indent, func(i int, _ int) {
			writeString(b, v.Strs[2*i])
			b.WriteString(" => ")
			writeString(b, v.Strs[2*i+1])
		})
	case proto.TypeArr:
		if len(v.Elems) == 0 {
			b.WriteString("(empty array)")
			return
		}
		writeNumbered(b, len(v.Elems), indent, func(i, inner int) { writeValue(b, v.Elems[i], inner) })
	case proto.TypePipe, proto.TypeAgg:
		if len(v.Replies) == 0 {
			b.WriteString("(empty array)")
			return
		}
		writeNumbered(b, len(v.Replies), indent, func(i, inner int) { writeReply(b, v.Replies[i], inner) })
	case proto.TypePublish:
		b.WriteString("message from ")
		writeString(b, v.Strs[0])
		b.WriteString(": ")
		writeString(b, v.Strs[1])
	}
}

// writeNumbered writes n numbered lines "1) ...", the numbers right-aligned;
// lines after the first are indented by indent, and an element that spans
// lines is indented by the width of its number.
func writeNumbered(b *strings.Builder, n, indent int, elem func(i, inner int)) {
	width := len(strconv.Itoa(n))
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte('\n')
			b.WriteString(strings.Repeat(" ", indent))
		}
		num := strconv.Itoa(i + 1)
		b.WriteString(strings.Repeat(" ", width-len(num)))
		b.WriteString(num)
		b.WriteString(") ")
		elem(i, indent+width+2)
	}
}

// writeString quotes s as redis-cli does: printable text (UTF-8 included)
// as it is, other bytes escaped the way SplitWords reads them back.
func writeString(b *strings.Builder, s []byte) {
	b.WriteByte('"')
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, n := utf8.DecodeRune(s[i:])
			if r != utf8.RuneError && unicode.IsPrint(r) {
				b.Write(s[i : i+n])
				i += n
				continue
			}
		}
		i++
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c == '\n':
			b.WriteString(`\n`)
		case c == '\r':
			b.WriteString(`\r`)
		case c == '\t':
			b.WriteString(`\t`)
		case c < ' ' || c >= 0x7f:
			b.WriteString(`\x`)
			b.WriteByte(hexDigits[c>>4])
			b.WriteByte(hexDigits[c&15])
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
}

const hexDigits = "0123456789abcdef"
