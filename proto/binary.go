package proto

import (
	"encoding/binary"
	"errors"
	"math"
)

// The binary form of a request is how a parsed request crosses the
// internal RPC from a router to a storage node: parsed once, at the edge,
// never turned back into text. It follows the command's schema, argument
// by argument:
//
//	request = [once] [fence] cmd:u8 arg*
//	once    = (CmdOnce | CmdRetry | binTry):u8 id:str   (a write with a request id)
//	fence   = CmdFenced:u8 lock:str token:int  (a FENCED write; cmd is the write's)
//	str     = len:uvarint bytes
//	int     = zigzag:varint
//	float   = bits:u64                      (big-endian IEEE-754)
//	arr, list, set, hash
//	        = count:uvarint (len:uvarint bytes)*   (hash: fields and values, count even)
//	type    = t:u8 key:str value            (value: str, int or float by t)
//	level   = u8;  cons = u8;  raw = len:uvarint bytes
//
// Command and type numbers are those of this package (append-only lists).
// DecodeBinary checks everything AppendBinary guarantees, so a request it
// returns is one ParseRequest could have produced.

// binTry marks a blocking pop's try (OnceTry). It is the blocking pop's
// command number, which never starts a binary request: a router runs a
// blocking pop as tries of the plain pop.
const binTry = byte(CmdListPopLeftWait)

// ErrBinary is returned by DecodeBinary for bytes that are not a request.
var ErrBinary = errors.New("proto: malformed binary request")

// AppendBinary appends the binary form of req. PIPE has none (its entries
// travel one by one).
func AppendBinary(dst []byte, req *Request) []byte {
	switch req.Once {
	case OnceFirst:
		dst = appendBytes(append(dst, byte(CmdOnce)), req.OnceID)
	case OnceRetry:
		dst = appendBytes(append(dst, byte(CmdRetry)), req.OnceID)
	case OnceTry:
		dst = appendBytes(append(dst, binTry), req.OnceID)
	}
	if req.Fenced {
		dst = binary.AppendVarint(appendBytes(append(dst, byte(CmdFenced)), req.Fence.Lock), req.Fence.Token)
	}
	dst = append(dst, byte(req.Cmd))
	var nStr, nInt, nCons, nEnds int
	for _, a := range commands[req.Cmd].args {
		switch a {
		case argRaw:
			dst = appendBytes(dst, req.Raw)
		case argStr:
			dst = appendBytes(dst, req.Str[nStr])
			nStr++
		case argInt:
			dst = binary.AppendVarint(dst, req.Int[nInt])
			nInt++
		case argFloat:
			dst = binary.BigEndian.AppendUint64(dst, math.Float64bits(req.Float))
		case argArr, argList, argSet, argHash:
			dst = binary.AppendUvarint(dst, uint64(len(req.Elems)))
			for _, e := range req.Elems {
				dst = appendBytes(dst, e)
			}
		case argLevel:
			dst = append(dst, byte(req.Level))
		case argCons:
			dst = append(dst, byte(req.Cons[nCons]))
			nCons++
		case argEnd:
			dst = append(dst, byte(req.Ends[nEnds]))
			nEnds++
		case argWhen:
			dst = append(dst, byte(req.When))
		case argKeyIf:
			dst = append(dst, byte(req.If))
		case argUnit:
			dst = append(dst, byte(req.Unit))
		case argBitOp:
			dst = append(dst, byte(req.Op))
		case argTTLMode:
			dst = append(dst, byte(req.TTL))
		case argType:
			dst = appendValueOf(appendBytes(append(dst, byte(req.Type)), req.Str[0]), req, false)
		case argMillis:
			dst = binary.AppendVarint(dst, req.Int[1])
		case argAlso:
			dst = appendValueOf(dst, req, true)
		}
	}
	return dst
}

// appendValueOf appends the value of req.Type at req.typed(second).
func appendValueOf(dst []byte, req *Request, second bool) []byte {
	s, n, f := req.typed(second)
	switch req.Type {
	case TypeStr:
		return appendBytes(dst, *s)
	case TypeInt:
		return binary.AppendVarint(dst, *n)
	case TypeFloat:
		return binary.BigEndian.AppendUint64(dst, math.Float64bits(*f))
	}
	return dst
}

// takeValueOf decodes a value of req.Type into req.typed(second).
func takeValueOf(b []byte, req *Request, second bool) ([]byte, bool) {
	s, n, f := req.typed(second)
	ok := false
	switch req.Type {
	case TypeStr:
		*s, b, ok = takeBytes(b)
	case TypeInt:
		*n, b, ok = takeVarint(b)
	case TypeFloat:
		*f, b, ok = takeFloat(b)
	}
	return b, ok
}

func appendBytes(dst, b []byte) []byte {
	return append(binary.AppendUvarint(dst, uint64(len(b))), b...)
}

// DecodeBinary decodes one binary request from the front of b into req
// (reset first) and returns the bytes after it. req's byte slices alias b.
func DecodeBinary(b []byte, req *Request) ([]byte, error) {
	req.Reset()
	if len(b) > 0 && (Command(b[0]) == CmdOnce || Command(b[0]) == CmdRetry || b[0] == binTry) {
		switch b[0] {
		case byte(CmdOnce):
			req.Once = OnceFirst
		case byte(CmdRetry):
			req.Once = OnceRetry
		default:
			req.Once = OnceTry
		}
		var ok bool
		if req.OnceID, b, ok = takeBytes(b[1:]); !ok || len(b) == 0 || Command(b[0]) != CmdFenced && !Command(b[0]).WritesOneKey() {
			return b, ErrBinary
		}
	}
	if len(b) > 0 && Command(b[0]) == CmdFenced {
		var ok bool
		if req.Fence.Lock, b, ok = takeBytes(b[1:]); ok {
			req.Fence.Token, b, ok = takeVarint(b)
		}
		if !ok || len(b) == 0 || !Command(b[0]).WritesOneKey() {
			return b, ErrBinary
		}
		req.Fenced = true
	}
	if len(b) == 0 {
		return b, ErrBinary
	}
	cmd := Command(b[0])
	if !cmd.Valid() || cmd == CmdPipe || cmd == CmdFenced || cmd == CmdOnce || cmd == CmdRetry || cmd.Blocking() ||
		req.Once == OnceTry && cmd != CmdListPopLeft && cmd != CmdListPopRight {
		return b, ErrBinary
	}
	req.Cmd = cmd
	b = b[1:]
	var nStr, nInt, nCons, nEnds int
	var ok bool
	for _, a := range commands[cmd].args {
		switch a {
		case argRaw:
			req.Raw, b, ok = takeBytes(b)
		case argStr:
			req.Str[nStr], b, ok = takeBytes(b)
			nStr++
		case argInt:
			req.Int[nInt], b, ok = takeVarint(b)
			nInt++
		case argFloat:
			req.Float, b, ok = takeFloat(b)
		case argArr, argList, argSet, argHash:
			req.Elems, b, ok = takeSeq(b, req.Elems[:0], a == argHash)
		case argLevel:
			ok = len(b) > 0 && b[0] <= byte(LevelPeer)
			if ok {
				req.Level, b = Level(b[0]), b[1:]
			}
		case argCons:
			ok = len(b) > 0 && Consistency(b[0]) <= ConsSerial
			if ok {
				req.Cons[nCons], b = Consistency(b[0]), b[1:]
			}
			nCons++
		case argEnd:
			ok = len(b) > 0 && End(b[0]) <= EndRight
			if ok {
				req.Ends[nEnds], b = End(b[0]), b[1:]
			}
			nEnds++
		case argWhen:
			ok = len(b) > 0 && DeadlineIf(b[0]) <= DeadlineSomeEarlier
			if ok {
				req.When, b = DeadlineIf(b[0]), b[1:]
			}
		case argKeyIf:
			ok = len(b) > 0 && KeyIf(b[0]) <= KeyPresent
			if ok {
				req.If, b = KeyIf(b[0]), b[1:]
			}
		case argUnit:
			ok = len(b) > 0 && BitUnit(b[0]) <= UnitBit
			if ok {
				req.Unit, b = BitUnit(b[0]), b[1:]
			}
		case argBitOp:
			ok = len(b) > 0 && BitOp(b[0]) <= BitNot
			if ok {
				req.Op, b = BitOp(b[0]), b[1:]
			}
		case argTTLMode:
			ok = len(b) > 0 && TTLMode(b[0]) <= TTLKeep
			if ok {
				req.TTL, b = TTLMode(b[0]), b[1:]
			}
		case argType:
			ok = len(b) > 0
			if !ok {
				break
			}
			req.Type, b = Type(b[0]), b[1:]
			if req.Str[0], b, ok = takeBytes(b); !ok {
				break
			}
			b, ok = takeValueOf(b, req, false)
		case argMillis:
			req.Int[1], b, ok = takeVarint(b)
		case argAlso:
			b, ok = takeValueOf(b, req, true)
		}
		if !ok {
			return b, ErrBinary
		}
	}
	return b, nil
}

func takeBytes(b []byte) ([]byte, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, b, false
	}
	end := k + int(n)
	return b[k:end:end], b[end:], true
}

func takeVarint(b []byte) (int64, []byte, bool) {
	v, k := binary.Varint(b)
	if k <= 0 {
		return 0, b, false
	}
	return v, b[k:], true
}

func takeFloat(b []byte) (float64, []byte, bool) {
	if len(b) < 8 {
		return 0, b, false
	}
	return math.Float64frombits(binary.BigEndian.Uint64(b)), b[8:], true
}

// takeSeq reads a counted sequence of byte strings into dst. The count is
// checked against the bytes left (each string takes at least one) before
// anything is allocated for it.
func takeSeq(b []byte, dst [][]byte, pairs bool) ([][]byte, []byte, bool) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) || pairs && n%2 != 0 {
		return dst, b, false
	}
	b = b[k:]
	for i := uint64(0); i < n; i++ {
		var s []byte
		var ok bool
		if s, b, ok = takeBytes(b); !ok {
			return dst, b, false
		}
		dst = append(dst, s)
	}
	return dst, b, true
}
