package resp

import (
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// Shape is how a Vanity reply becomes the reply Redis gives to the command
// that asked: the same Vanity reply (OK, or a typed value) reads
// differently after GET, EXISTS or DEL. The listener picks the shape from
// its command table; AppendReply does the conversion.
type Shape uint8

const (
	ShapeStatus  Shape = iota // OK → +OK; PONG → +PONG or the message as a bulk string
	ShapeBulk                 // any scalar → its text as a bulk string (GET: a number reads "5"); NULL → null
	ShapeInt                  // an INT → an integer (INCR, LLEN, SADD)
	ShapeFloat                // a FLOAT → a double in RESP3, a bulk string in RESP2 (INCRBYFLOAT)
	ShapeFound                // OK → 1, NULL → 0 (EXISTS)
	ShapeRemoved              // OK → 1, a bare ERROR → 0 (DEL of a missing key)
	ShapeBool                 // a BOOL → 1 or 0 (SISMEMBER, HEXISTS, SMOVE)
	ShapeArray                // a LIST or ARR → an array of bulk strings, NULL elements as nulls
	ShapeSet                  // a SET → a set (RESP3) or an array (RESP2)
	ShapeMap                  // a HASH → a map (RESP3) or field, value, ... (RESP2)
	ShapeType                 // a type-only value → +string, +list, +set, +hash; NULL → +none
)

// typeNames are TYPE's answers: Redis has one string type for STR, INT
// and FLOAT.
var typeNames = map[proto.Type]string{
	proto.TypeStr: "string", proto.TypeInt: "string", proto.TypeFloat: "string",
	proto.TypeList: "list", proto.TypeSet: "set", proto.TypeHash: "hash",
}

// AppendReply appends Redis's reply for r, a Vanity reply to a command of
// the given shape, in protocol version v. Error statuses become Redis's
// errors whatever the shape.
func AppendReply(dst []byte, v Version, shape Shape, r proto.Reply) []byte {
	switch r.Status {
	case proto.StatusBadType:
		return AppendError(dst, "WRONGTYPE", "Operation against a key holding the wrong kind of value")
	case proto.StatusDenied:
		return AppendError(dst, "NOPERM", "this user has no permissions to run this command")
	case proto.StatusBadRequest:
		return AppendError(dst, "ERR", "syntax error:"+strings.TrimPrefix(string(r.Body), " InvalidRequest:"))
	case proto.StatusBadState:
		return AppendError(dst, "ERR", "the command is not allowed in this state (inside MULTI, or without one)")
	case proto.StatusInternalError:
		return AppendError(dst, "ERR", "internal error: "+string(r.Body))
	case proto.StatusError:
		if shape == ShapeRemoved && !r.HasBody {
			return AppendInt(dst, 0)
		}
		if !r.HasBody {
			return AppendError(dst, "ERR", "no such key")
		}
		return AppendError(dst, "ERR", string(r.Body))
	case proto.StatusQueued:
		return AppendSimple(dst, "QUEUED")
	case proto.StatusNull:
		switch shape {
		case ShapeFound:
			return AppendInt(dst, 0)
		case ShapeType:
			return AppendSimple(dst, "none")
		case ShapeArray, ShapeSet, ShapeMap:
			return emptyOf(dst, v, shape)
		}
		return AppendNull(dst, v)
	case proto.StatusPong:
		if len(r.Value.Str) == 0 {
			return AppendSimple(dst, "PONG")
		}
		return AppendBulk(dst, r.Value.Str)
	}
	// StatusOK
	val := r.Value
	if val.Type == proto.TypeNone {
		switch shape {
		case ShapeFound, ShapeRemoved:
			return AppendInt(dst, 1)
		}
		return AppendSimple(dst, "OK")
	}
	if shape == ShapeType || val.TypeOnly {
		name, ok := typeNames[val.Type]
		if !ok {
			name = "none"
		}
		return AppendSimple(dst, name)
	}
	return appendValue(dst, v, shape, val)
}

func emptyOf(dst []byte, v Version, shape Shape) []byte {
	switch shape {
	case ShapeSet:
		return AppendSet(dst, v, 0)
	case ShapeMap:
		return AppendMap(dst, v, 0)
	}
	return AppendArray(dst, 0)
}

func appendValue(dst []byte, v Version, shape Shape, val proto.Value) []byte {
	switch val.Type {
	case proto.TypeStr:
		return AppendBulk(dst, val.Str)
	case proto.TypeNull:
		return AppendNull(dst, v)
	case proto.TypeInt:
		if shape == ShapeInt || shape == ShapeFound || shape == ShapeRemoved {
			return AppendInt(dst, val.Int)
		}
		return AppendBulk(dst, strconv.AppendInt(nil, val.Int, 10))
	case proto.TypeFloat:
		if shape == ShapeFloat {
			return AppendFloat(dst, v, val.Float)
		}
		return AppendFloat(dst, RESP2, val.Float) // a bulk string of its text
	case proto.TypeBool:
		return AppendBool(dst, RESP2, val.Bool) // Redis's SISMEMBER answers 1 or 0 in RESP3 too
	case proto.TypeList:
		dst = AppendArray(dst, len(val.Strs))
		for _, s := range val.Strs {
			dst = AppendBulk(dst, s)
		}
		return dst
	case proto.TypeSet:
		dst = AppendSet(dst, v, len(val.Strs))
		for _, s := range val.Strs {
			dst = AppendBulk(dst, s)
		}
		return dst
	case proto.TypeHash:
		dst = AppendMap(dst, v, len(val.Strs)/2)
		for _, s := range val.Strs {
			dst = AppendBulk(dst, s)
		}
		return dst
	case proto.TypeArr:
		dst = AppendArray(dst, len(val.Elems))
		for _, e := range val.Elems {
			switch e.Type {
			case proto.TypeList, proto.TypeSet, proto.TypeHash, proto.TypeArr:
				dst = AppendNull(dst, v) // MGET: a key of another type reads as nil
			default:
				dst = appendValue(dst, v, ShapeBulk, e)
			}
		}
		return dst
	}
	return AppendError(dst, "ERR", "a reply Redis has no form for: "+val.Type.String())
}
