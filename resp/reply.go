package resp

import (
	"bytes"
	"math"
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp/rdb"
)

// Shape is how a Vanity reply becomes the reply Redis gives to the command
// that asked: the same Vanity reply (OK, or a typed value) reads
// differently after GET, EXISTS or DEL. The listener picks the shape from
// its command table; AppendReply does the conversion.
type Shape uint8

const (
	ShapeStatus    Shape = iota // OK → +OK; PONG → +PONG (PING with a message is ShapeBulk: the message, even empty)
	ShapeBulk                   // any scalar → its text as a bulk string (GET: a number reads "5"); NULL → null
	ShapeInt                    // an INT → an integer (INCR, LLEN, SADD)
	ShapeFloat                  // a FLOAT → its text as a bulk string, in RESP3 too; BAD_TYPE → "value is not a valid float" (INCRBYFLOAT)
	ShapeFound                  // OK → 1, NULL → 0 (EXISTS)
	ShapeRemoved                // OK → 1, a bare ERROR → 0 (DEL of a missing key)
	ShapeBool                   // a BOOL → 1 or 0 (SISMEMBER, HEXISTS, SMOVE)
	ShapeArray                  // a LIST or ARR → an array of bulk strings, NULL elements as nulls
	ShapeSet                    // a SET → a set (RESP3) or an array (RESP2)
	ShapeMap                    // a HASH → a map (RESP3) or field, value, ... (RESP2)
	ShapeType                   // a type-only value → +string, +list, +set, +hash; NULL → +none
	ShapeOK                     // any OK → +OK (LTRIM, HMSET answer a count in Vanity)
	ShapeBulkOrNil              // as ShapeBulk, and an ERROR ("index out of range", "bad key") → null (LINDEX, HGET)
	ShapeIntOrZero              // as ShapeInt, and an ERROR → 0 (HSTRLEN of a missing field)
	ShapePopOne                 // LPOP, RPOP, SPOP without a count: the one element as a bulk string, or null
	ShapePopMany                // with a count: an array, or a null array when there is none
	ShapePopTail                // RPOP with a count: as ShapePopMany, last element first
	ShapePopNone                // LPOP, RPOP with a count of 0: LIST_LEN's INT → an empty array if the list has elements, else a null array
	ShapeAuth                   // AUTH: OK, WRONGPASS for a refused name or password, or the error
	ShapeInfo                   // INFO: Vanity's section.name → value hash as Redis's text
	ShapeOKOrNil                // a BOOL → +OK if true, null if false (SET NX)
	ShapeKeyedPop               // a popped element → [key, element], none → a null array (BLPOP; AppendKeyedPop)
	ShapeKeyedPops              // popped elements → [key, [element ...]], none → a null array (LMPOP; AppendKeyedPops)
	ShapeLen                    // GET's value → the length of the text GET reads (STRLEN); NULL → 0
	ShapeScanPage               // SET_SCAN's, HASH_SCAN's [next, members] → [cursor, [member ...]], a hash's flat (SSCAN, HSCAN)
	ShapeFirstInt               // LIST_POS's INTs → the first as an integer, or null (LPOS)
	ShapeInts                   // LIST_POS's INTs → an array of integers (LPOS with COUNT)
	ShapeFields                 // HASH_RANDOM's field, value, ... → an array of the fields (HRANDFIELD with a count)
	ShapePairs                  // HASH_RANDOM's field, value, ... → RESP2 flat, RESP3 an array of [field, value] (HRANDFIELD WITHVALUES)
	ShapeDump                   // GET's value → its DUMP payload (package rdb), NULL → null
	ShapeHLLInt                 // as ShapeInt; a BAD_TYPE with a message (a string that is no sketch) → Redis's HyperLogLog WRONGTYPE (PFADD, PFCOUNT)
	ShapeHLLOK                  // as ShapeStatus, and BAD_TYPE as ShapeHLLInt (PFMERGE)
	// Shapes of several replies (AppendReplies).
	ShapeCount       // DEL, EXISTS of n keys: how many answered OK
	ShapeAllOK       // MSET: +OK when every SET did, else the first error
	ShapeExpire      // EXISTS, SET_EXPIRY → 1 or 0 (EXPIRE)
	ShapeTTL         // EXISTS, GET_EXPIRY → seconds, -1 or -2 (TTL)
	ShapePTTL        // EXISTS, GET_EXPIRY → milliseconds, -1 or -2 (PTTL)
	ShapePersist     // GET_EXPIRY, CLEAR_EXPIRY → 1 if a deadline went, else 0
	ShapeExpireTime  // EXISTS, GET_EXPIRY_AT → the deadline in seconds since 1970, -1 or -2 (EXPIRETIME)
	ShapePExpireTime // EXISTS, GET_EXPIRY_AT → in milliseconds (PEXPIRETIME)
	ShapeBools       // BOOLs → an array of 1 or 0 (SMISMEMBER)
	ShapeListSet     // EXISTS, LIST_SET → "no such key" for a missing key, else LIST_SET's answer (LSET)
	ShapeRestore     // DEL or KEY_VERSION_IS, then writes → +OK when every write did, else the first error (RESTORE)
	ShapeMSetNX      // KEY_VERSION_IS checks, then SETs → 1 when every one answered OK, else the first error (MSETNX)
)

// AppendBadState appends Redis's refusal of cmd in the wrong
// transaction state (a nested MULTI, EXEC or DISCARD without one, WATCH
// inside one).
func AppendBadState(dst []byte, cmd proto.Command) []byte {
	switch cmd {
	case proto.CmdTransactBegin:
		return AppendError(dst, "ERR", "MULTI calls can not be nested")
	case proto.CmdTransactCommit:
		return AppendError(dst, "ERR", "EXEC without MULTI")
	case proto.CmdTransactDiscard:
		return AppendError(dst, "ERR", "DISCARD without MULTI")
	case proto.CmdTransactWatch:
		return AppendError(dst, "ERR", "WATCH inside MULTI is not allowed")
	}
	return AppendReply(dst, RESP2, ShapeStatus, &proto.Reply{Status: proto.StatusBadState})
}

// integer reports whether shape answers an INT as an integer (INCR,
// LLEN, HSTRLEN) rather than as its text (GET of a number).
func (s Shape) integer() bool {
	switch s {
	case ShapeInt, ShapeIntOrZero, ShapeFound, ShapeRemoved, ShapeHLLInt:
		return true
	}
	return false
}

// typeNames are TYPE's answers: Redis has one string type for STR, INT
// and FLOAT.
var typeNames = map[proto.Type]string{
	proto.TypeStr: "string", proto.TypeInt: "string", proto.TypeFloat: "string",
	proto.TypeList: "list", proto.TypeSet: "set", proto.TypeHash: "hash",
}

// AppendReply appends Redis's reply for r, a Vanity reply to a command of
// the given shape, in protocol version v. Error statuses become Redis's
// errors whatever the shape.
func AppendReply(dst []byte, v Version, shape Shape, r *proto.Reply) []byte {
	switch r.Status {
	case proto.StatusBadType:
		switch {
		case shape == ShapeFloat:
			return AppendErr(dst, errNotFloat)
		case (shape == ShapeHLLInt || shape == ShapeHLLOK) && r.HasBody:
			return AppendError(dst, "WRONGTYPE", "Key is not a valid HyperLogLog string value.")
		}
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
		switch {
		case shape == ShapeRemoved && !r.HasBody:
			return AppendInt(dst, 0)
		case shape == ShapeBulkOrNil:
			return AppendNull(dst, v)
		case shape == ShapeIntOrZero:
			return AppendInt(dst, 0)
		case shape == ShapeAuth && credentialsRefused(r.Body):
			return AppendError(dst, "WRONGPASS", "invalid username-password pair or user is disabled.")
		case bytes.HasPrefix(r.Body, []byte(proto.MsgOutOfMemory+":")):
			// Redis's words: clients tell this error by its prefix.
			return AppendError(dst, "OOM", "command not allowed when used memory > 'maxmemory'.")
		case !r.HasBody:
			return AppendError(dst, "ERR", "no such key")
		}
		return AppendError(dst, "ERR", string(r.Body))
	case proto.StatusQueued:
		return AppendSimple(dst, "QUEUED")
	case proto.StatusNull:
		switch shape {
		case ShapeFound, ShapeLen:
			return AppendInt(dst, 0)
		case ShapeType:
			return AppendSimple(dst, "none")
		case ShapeArray, ShapeSet, ShapeMap:
			return emptyOf(dst, v, shape)
		case ShapePopMany, ShapePopTail:
			return AppendNullArray(dst, v)
		}
		return AppendNull(dst, v)
	case proto.StatusPong:
		if len(r.Value.Str) == 0 && shape != ShapeBulk {
			return AppendSimple(dst, "PONG")
		}
		return AppendBulk(dst, r.Value.Str)
	}
	// StatusOK
	val := &r.Value
	if val.Type == proto.TypeNone || shape == ShapeOK {
		switch shape {
		case ShapeFound, ShapeRemoved:
			return AppendInt(dst, 1)
		}
		return AppendSimple(dst, "OK")
	}
	switch {
	case shape == ShapeType || val.TypeOnly:
		name, ok := typeNames[val.Type]
		if !ok {
			name = "none"
		}
		return AppendSimple(dst, name)
	case shape == ShapePopOne:
		if len(val.Strs) == 0 {
			return AppendNull(dst, v)
		}
		return AppendBulk(dst, val.Strs[0])
	case shape == ShapePopNone:
		if val.Int > 0 {
			return AppendArray(dst, 0)
		}
		return AppendNullArray(dst, v)
	case shape == ShapePopMany || shape == ShapePopTail:
		if len(val.Strs) == 0 {
			return AppendNullArray(dst, v)
		}
		dst = AppendArray(dst, len(val.Strs))
		if shape == ShapePopMany {
			return appendStrs(dst, val.Strs)
		}
		return appendStrsReversed(dst, val.Strs)
	case shape == ShapeInfo && val.Type == proto.TypeHash:
		return AppendBulk(dst, infoText(val.Strs))
	case shape == ShapeOKOrNil && val.Type == proto.TypeBool:
		if val.Bool {
			return AppendSimple(dst, "OK")
		}
		return AppendNull(dst, v)
	case (shape == ShapeBulk || shape == ShapeBulkOrNil || shape == ShapeLen) && isContainer(val.Type):
		return AppendError(dst, "WRONGTYPE", "Operation against a key holding the wrong kind of value")
	case shape == ShapeLen:
		return AppendInt(dst, int64(scalarLen(val)))
	case shape == ShapeDump:
		dv := dumpValue(val)
		return AppendBulk(dst, rdb.Encode(nil, &dv))
	case (shape == ShapeFields || shape == ShapePairs && v == RESP3) && val.Type == proto.TypeList:
		dst = AppendArray(dst, len(val.Strs)/2)
		for i := 0; i+1 < len(val.Strs); i += 2 {
			if shape == ShapeFields {
				dst = AppendBulk(dst, val.Strs[i])
			} else {
				dst = AppendBulk(AppendBulk(AppendArray(dst, 2), val.Strs[i]), val.Strs[i+1])
			}
		}
		return dst
	case (shape == ShapeFirstInt || shape == ShapeInts) && val.Type == proto.TypeArr:
		if shape == ShapeFirstInt {
			if len(val.Elems) == 0 {
				return AppendNull(dst, v)
			}
			return AppendInt(dst, val.Elems[0].Int)
		}
		dst = AppendArray(dst, len(val.Elems))
		for i := range val.Elems {
			dst = AppendInt(dst, val.Elems[i].Int)
		}
		return dst
	case shape == ShapeScanPage && val.Type == proto.TypeArr && len(val.Elems) == 2 && val.Elems[0].Type == proto.TypeInt:
		var cursor [20]byte
		dst = AppendBulk(AppendArray(dst, 2), strconv.AppendInt(cursor[:0], val.Elems[0].Int, 10))
		return appendStrs(AppendArray(dst, len(val.Elems[1].Strs)), val.Elems[1].Strs)
	}
	return appendValue(dst, v, shape, val)
}

// AppendReplies appends Redis's reply for the Vanity replies of a plan's
// requests: shapes of several replies combine them, any other shape
// takes the one reply.
func AppendReplies(dst []byte, v Version, shape Shape, rs []proto.Reply) []byte {
	if len(rs) == 0 {
		return AppendError(dst, "ERR", "internal error: no reply")
	}
	switch shape {
	case ShapeCount:
		n := int64(0)
		for i := range rs {
			switch r := &rs[i]; {
			case r.Status == proto.StatusOK:
				n++
			case r.Status == proto.StatusNull, r.Status == proto.StatusError && !r.HasBody:
			default:
				return AppendReply(dst, v, ShapeStatus, r)
			}
		}
		return AppendInt(dst, n)
	case ShapeAllOK, ShapeRestore:
		if shape == ShapeRestore {
			rs = rs[1:] // DEL's (of a key that may be missing), or the check's
		}
		for i := range rs {
			if r := &rs[i]; r.Status != proto.StatusOK {
				return AppendReply(dst, v, ShapeStatus, r)
			}
		}
		return AppendSimple(dst, "OK")
	case ShapeMSetNX:
		for i := range rs {
			if r := &rs[i]; r.Status != proto.StatusOK {
				return AppendReply(dst, v, ShapeStatus, r)
			}
		}
		return AppendInt(dst, 1)
	case ShapeBools:
		for i := range rs {
			if r := &rs[i]; r.Status != proto.StatusOK || r.Value.Type != proto.TypeBool {
				return AppendReply(dst, v, ShapeStatus, r)
			}
		}
		dst = AppendArray(dst, len(rs))
		for i := range rs {
			dst = AppendInt(dst, b2i(rs[i].Value.Bool))
		}
		return dst
	case ShapeListSet:
		if len(rs) != 2 {
			return AppendError(dst, "ERR", "internal error: expected two replies")
		}
		if rs[0].Status == proto.StatusNull {
			return AppendError(dst, "ERR", "no such key")
		}
		if rs[0].Status != proto.StatusOK {
			return AppendReply(dst, v, ShapeStatus, &rs[0])
		}
		return AppendReply(dst, v, ShapeStatus, &rs[1])
	case ShapeExpire, ShapeTTL, ShapePTTL, ShapePersist, ShapeExpireTime, ShapePExpireTime:
		if len(rs) != 2 {
			return AppendError(dst, "ERR", "internal error: expected two replies")
		}
		for i := range rs {
			if r := &rs[i]; r.Status != proto.StatusOK && r.Status != proto.StatusNull {
				return AppendReply(dst, v, ShapeStatus, r)
			}
		}
		exists, deadline := rs[0].Status == proto.StatusOK, rs[1].Status == proto.StatusOK
		switch shape {
		case ShapeExpire:
			return AppendInt(dst, b2i(exists))
		case ShapePersist:
			return AppendInt(dst, b2i(exists)) // rs[0] is the deadline GET_EXPIRY read
		}
		switch {
		case !exists:
			return AppendInt(dst, -2)
		case !deadline:
			return AppendInt(dst, -1)
		case shape == ShapePExpireTime:
			return AppendInt(dst, rs[1].Value.Int)
		case shape == ShapeExpireTime:
			return AppendInt(dst, (rs[1].Value.Int+500)/1000)
		}
		ms := int64(math.Round(rs[1].Value.Float * 1000))
		if shape == ShapeTTL {
			return AppendInt(dst, (ms+500)/1000)
		}
		return AppendInt(dst, ms)
	}
	return AppendReply(dst, v, shape, &rs[0])
}

func b2i(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

func isContainer(t proto.Type) bool {
	return t == proto.TypeList || t == proto.TypeSet || t == proto.TypeHash || t == proto.TypeArr
}

// AppendKeyedPop appends a blocking pop's reply (ShapeKeyedPop): the key
// and the element popped from it, or a null array when the time ran out.
// A nil key is a pop of several keys' (§12.27), whose list names the key
// before the elements.
func AppendKeyedPop(dst []byte, v Version, key []byte, r *proto.Reply) []byte {
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeList {
		return AppendReply(dst, v, ShapeStatus, r)
	}
	elems := r.Value.Strs
	if key == nil && len(elems) > 0 {
		key, elems = elems[0], elems[1:]
	}
	if len(elems) == 0 {
		return AppendNullArray(dst, v)
	}
	return AppendBulk(AppendBulk(AppendArray(dst, 2), key), elems[0])
}

// AppendKeyedPops appends a pop of several keys' reply (§12.27) as
// LMPOP's (ShapeKeyedPops): the key, then the elements it took in the
// order they left the list (tail: from its tail, the last first), or a
// null array when none were taken.
func AppendKeyedPops(dst []byte, v Version, r *proto.Reply, tail bool) []byte {
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeList {
		return AppendReply(dst, v, ShapeStatus, r)
	}
	if len(r.Value.Strs) < 2 {
		return AppendNullArray(dst, v)
	}
	key, elems := r.Value.Strs[0], r.Value.Strs[1:]
	dst = AppendArray(AppendBulk(AppendArray(dst, 2), key), len(elems))
	if !tail {
		return appendStrs(dst, elems)
	}
	return appendStrsReversed(dst, elems)
}

// AppendNullArray appends the null array: "*-1" in RESP2, "_" in RESP3.
func AppendNullArray(dst []byte, v Version) []byte {
	if v == RESP3 {
		return AppendNull(dst, v)
	}
	return append(dst, "*-1\r\n"...)
}

func appendStrs(dst []byte, strs [][]byte) []byte {
	for _, s := range strs {
		dst = AppendBulk(dst, s)
	}
	return dst
}

// appendStrsReversed appends strs as bulk strings, the last first (a pop
// from a list's tail answers in the order the elements left it).
func appendStrsReversed(dst []byte, strs [][]byte) []byte {
	for i := len(strs) - 1; i >= 0; i-- {
		dst = AppendBulk(dst, strs[i])
	}
	return dst
}

// infoText is INFO's text, "# Section" and "name:value" lines, from
// Vanity's "section.name" → value pairs (in the order given), each of
// the fields Redis names otherwise followed by its Redis name
// (infoAsRedis). redisServer opens INFO's server section as HELLO's
// reply does: the Redis whose commands and replies the listener follows,
// and that it is one server to its clients (a router too).
const redisServer = "redis_version:" + RedisVersion + "\r\nredis_mode:standalone\r\n"

// infoAsRedis names the INFO fields that mean what a Redis field of
// another name means, for the tools that read Redis's names (monitoring
// exporters, dashboards): connected and blocked clients, the client
// limit, uptime, and the memory in use (the Go heap's, where Redis's is
// its allocator's).
var infoAsRedis = map[string]string{
	"server.uptime_seconds":    "uptime_in_seconds",
	"clients.connected":        "connected_clients",
	"clients.blocked":          "blocked_clients",
	"clients.max":              "maxclients",
	"memory.heap_in_use_bytes": "used_memory",
	"memory.max_memory_bytes":  "maxmemory",
}

func infoText(pairs [][]byte) []byte {
	var b []byte
	section := ""
	for i := 0; i+1 < len(pairs); i += 2 {
		sec, name, ok := strings.Cut(string(pairs[i]), ".")
		if !ok {
			sec, name = "", sec
		}
		if sec != section || i == 0 {
			if i > 0 {
				b = append(b, "\r\n"...)
			}
			section = sec
			if sec != "" {
				b = append(append(append(b, "# "...), strings.ToUpper(sec[:1])+sec[1:]...), "\r\n"...)
			}
			if sec == "server" {
				b = append(b, redisServer...)
			}
		}
		b = infoLine(b, name, pairs[i+1])
		if alias, ok := infoAsRedis[string(pairs[i])]; ok {
			b = infoLine(b, alias, pairs[i+1])
		}
	}
	if len(b) > 0 {
		b = append(b, "\r\n"...)
	}
	return append(b, redisReplication...)
}

// infoLine appends INFO's line of one field: "name:value".
func infoLine(b []byte, name string, value []byte) []byte {
	return append(append(append(append(b, name...), ':'), value...), "\r\n"...)
}

// redisReplication is INFO's replication section, as ROLE says: a
// master with no replicas (health checks look for role:master).
const redisReplication = "# Replication\r\nrole:master\r\nconnected_slaves:0\r\n"

func emptyOf(dst []byte, v Version, shape Shape) []byte {
	switch shape {
	case ShapeSet:
		return AppendSet(dst, v, 0)
	case ShapeMap:
		return AppendMap(dst, v, 0)
	}
	return AppendArray(dst, 0)
}

// scalarLen is the length of the text GET reads for a scalar: a string's
// bytes, an INT's decimal digits, a FLOAT's shortest decimal.
func scalarLen(val *proto.Value) int { return len(scalarText(val)) }

func appendValue(dst []byte, v Version, shape Shape, val *proto.Value) []byte {
	switch val.Type {
	case proto.TypeStr:
		return AppendBulk(dst, val.Str)
	case proto.TypeNull:
		return AppendNull(dst, v)
	case proto.TypeInt:
		if shape.integer() {
			return AppendInt(dst, val.Int)
		}
		return AppendBulk(dst, strconv.AppendInt(nil, val.Int, 10))
	case proto.TypeFloat:
		// A bulk string of its text in both versions: Redis answers
		// INCRBYFLOAT so in RESP3 too.
		return AppendFloat(dst, val.Float)
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
		for i := range val.Elems {
			switch e := &val.Elems[i]; e.Type {
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

// credentialsRefused reports whether an AUTH's ERROR body refuses the name
// and password (Redis's WRONGPASS). Other refusals say their own cause
// after ERR: a cluster that cannot check the login now, too many failed
// attempts from the address; a client told WRONGPASS would take the
// password for wrong and not try again.
func credentialsRefused(body []byte) bool {
	switch string(body) {
	case proto.MsgUserMissing, proto.MsgIncorrectPassword, proto.MsgPasswordTooShort:
		return true
	}
	return false
}
