package rdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
)

// Kind is the kind of value a payload holds.
type Kind uint8

const (
	String Kind = iota + 1
	List
	Set
	Hash
)

// Value is the value of a payload.
type Value struct {
	Kind  Kind
	Str   []byte   // a String's bytes
	Elems [][]byte // a List's elements in order, a Set's members, a Hash's fields and values in turn
}

// The refusals, in Redis's words where Redis has them.
var (
	// ErrChecksum: the payload is too short, its RDB version is newer
	// than the ones read here, or its checksum does not match.
	ErrChecksum = errors.New("DUMP payload version or checksum are wrong")
	// ErrFormat: the value's encoding is damaged (wrapped with what).
	ErrFormat = errors.New("bad data format")
	// ErrUnsupported: a kind of value Vanity does not have (wrapped with
	// which).
	ErrUnsupported = errors.New("a value Vanity cannot hold")
)

func errFormat(what string) error { return fmt.Errorf("%w: %s", ErrFormat, what) }

// The RDB versions: the newest read, and the one written (Redis 5.0's;
// every later Redis restores it).
const (
	maxVersion    = 12
	encodeVersion = 9
)

// The RDB object types (Redis's rdb.h).
const (
	typeString          = 0
	typeList            = 1
	typeSet             = 2
	typeZSet            = 3
	typeHash            = 4
	typeZSet2           = 5
	typeModule          = 6
	typeModule2         = 7
	typeHashZipmap      = 9
	typeListZiplist     = 10
	typeSetIntset       = 11
	typeZSetZiplist     = 12
	typeHashZiplist     = 13
	typeListQuicklist   = 14
	typeStreamListpacks = 15
	typeHashListpack    = 16
	typeZSetListpack    = 17
	typeListQuicklist2  = 18
	typeStream2         = 19
	typeSetListpack     = 20
	typeStream3         = 21
)

// The quicklist node containers of typeListQuicklist2.
const (
	containerPlain  = 1
	containerPacked = 2
)

// Decode reads a DUMP payload: its footer (version and checksum), then
// its value.
func Decode(p []byte) (Value, error) {
	if len(p) < 10 {
		return Value{}, ErrChecksum
	}
	foot := p[len(p)-10:]
	if binary.LittleEndian.Uint16(foot) > maxVersion || binary.LittleEndian.Uint64(foot[2:]) != checksum(p[:len(p)-8]) {
		return Value{}, ErrChecksum
	}
	r := reader{b: p[:len(p)-10]}
	t, err := r.byte()
	if err != nil {
		return Value{}, err
	}
	v, err := r.object(t)
	if err != nil {
		return Value{}, err
	}
	if r.i != len(r.b) {
		return Value{}, errFormat("bytes after the value")
	}
	if v.Kind != String && len(v.Elems) == 0 {
		return Value{}, errFormat("an empty " + kindName(v.Kind))
	}
	if v.Kind == Hash && len(v.Elems)%2 != 0 {
		return Value{}, errFormat("a hash field without a value")
	}
	return v, nil
}

func kindName(k Kind) string {
	switch k {
	case List:
		return "list"
	case Set:
		return "set"
	case Hash:
		return "hash"
	}
	return "string"
}

// reader reads an RDB value from b.
type reader struct {
	b []byte
	i int
}

func (r *reader) byte() (byte, error) {
	if r.i >= len(r.b) {
		return 0, errFormat("cut short")
	}
	r.i++
	return r.b[r.i-1], nil
}

func (r *reader) take(n uint64) ([]byte, error) {
	if n > uint64(len(r.b)-r.i) {
		return nil, errFormat("a length past the end")
	}
	out := r.b[r.i : r.i+int(n)]
	r.i += int(n)
	return out, nil
}

// The forms of a length's first byte: its top two bits.
const (
	len6   = 0
	len14  = 1
	lenXX  = 2 // 0x80: 32 bits follow, big-endian; 0x81: 64 bits
	lenEnc = 3 // not a length: the low six bits name a string's encoding
)

// The encodings of a string that a lenEnc byte names.
const (
	encInt8  = 0
	encInt16 = 1
	encInt32 = 2
	encLZF   = 3
)

// length reads a length, or (enc true) a string's special encoding.
func (r *reader) length() (n uint64, enc bool, err error) {
	b, err := r.byte()
	if err != nil {
		return 0, false, err
	}
	switch b >> 6 {
	case len6:
		return uint64(b & 0x3f), false, nil
	case len14:
		lo, err := r.byte()
		return uint64(b&0x3f)<<8 | uint64(lo), false, err
	case lenEnc:
		return uint64(b & 0x3f), true, nil
	}
	switch b {
	case 0x80:
		x, err := r.take(4)
		if err != nil {
			return 0, false, err
		}
		return uint64(binary.BigEndian.Uint32(x)), false, nil
	case 0x81:
		x, err := r.take(8)
		if err != nil {
			return 0, false, err
		}
		return binary.BigEndian.Uint64(x), false, nil
	}
	return 0, false, errFormat("an unknown length form")
}

// count reads the number of items that follow, each at least per bytes
// long: more than the bytes left could hold is refused before anything is
// allocated for them.
func (r *reader) count(per int) (int, error) {
	n, enc, err := r.length()
	switch {
	case err != nil:
		return 0, err
	case enc:
		return 0, errFormat("an encoded string where a count belongs")
	case n > uint64(len(r.b)-r.i)/uint64(per):
		return 0, errFormat("a count past the end")
	}
	return int(n), nil
}

// maxLZF bounds how much larger than its compressed form a string may
// say it is: LZF makes at most 264 bytes of 3 (a back reference), so
// anything over 100 times is damaged (or hostile: a tiny payload asking
// for gigabytes).
const maxLZF = 100

// str reads a string: raw, an integer written as one, or LZF-compressed.
func (r *reader) str() ([]byte, error) {
	n, enc, err := r.length()
	if err != nil {
		return nil, err
	}
	if !enc {
		return r.take(n)
	}
	var x []byte
	switch n {
	case encInt8:
		x, err = r.take(1)
		if err == nil {
			return strconv.AppendInt(nil, int64(int8(x[0])), 10), nil
		}
	case encInt16:
		x, err = r.take(2)
		if err == nil {
			return strconv.AppendInt(nil, int64(int16(binary.LittleEndian.Uint16(x))), 10), nil
		}
	case encInt32:
		x, err = r.take(4)
		if err == nil {
			return strconv.AppendInt(nil, int64(int32(binary.LittleEndian.Uint32(x))), 10), nil
		}
	case encLZF:
		clen, e1, err := r.length()
		if err != nil {
			return nil, err
		}
		ulen, e2, err := r.length()
		if err != nil {
			return nil, err
		}
		if e1 || e2 || ulen > clen*maxLZF {
			return nil, errFormat("an LZF string's lengths")
		}
		if x, err = r.take(clen); err != nil {
			return nil, err
		}
		return unlzf(x, int(ulen))
	default:
		return nil, errFormat("an unknown string encoding")
	}
	return nil, err
}

// strs reads n strings.
func (r *reader) strs(n int) ([][]byte, error) {
	out := make([][]byte, 0, n)
	for range n {
		s, err := r.str()
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// object reads a value of RDB type t.
func (r *reader) object(t byte) (Value, error) {
	var (
		v   Value
		err error
		n   int
	)
	switch t {
	case typeString:
		v.Kind = String
		v.Str, err = r.str()
	case typeList, typeSet:
		v.Kind = List
		if t == typeSet {
			v.Kind = Set
		}
		if n, err = r.count(1); err == nil {
			v.Elems, err = r.strs(n)
		}
	case typeHash:
		v.Kind = Hash
		if n, err = r.count(2); err == nil {
			v.Elems, err = r.strs(2 * n)
		}
	case typeListZiplist, typeHashZiplist:
		v.Kind = List
		if t == typeHashZiplist {
			v.Kind = Hash
		}
		v.Elems, err = r.packed(ziplist)
	case typeHashListpack, typeSetListpack:
		v.Kind = Hash
		if t == typeSetListpack {
			v.Kind = Set
		}
		v.Elems, err = r.packed(listpack)
	case typeSetIntset:
		v.Kind = Set
		v.Elems, err = r.packed(intset)
	case typeListQuicklist, typeListQuicklist2:
		v.Kind = List
		v.Elems, err = r.quicklist(t == typeListQuicklist2)
	case typeZSet, typeZSet2, typeZSetZiplist, typeZSetListpack:
		err = fmt.Errorf("%w: a sorted set (Vanity has none)", ErrUnsupported)
	case typeStreamListpacks, typeStream2, typeStream3:
		err = fmt.Errorf("%w: a stream (Vanity has none)", ErrUnsupported)
	case typeModule, typeModule2:
		err = fmt.Errorf("%w: a module's value", ErrUnsupported)
	case typeHashZipmap:
		err = fmt.Errorf("%w: a hash in the zipmap encoding of Redis before 2.6", ErrUnsupported)
	default:
		if t > typeStream3 && t < 32 {
			err = fmt.Errorf("%w: RDB type %d (a newer Redis's, such as a hash whose fields expire)", ErrUnsupported, t)
		} else {
			err = errFormat("an unknown value type")
		}
	}
	return v, err
}

// packed reads a string holding a packed encoding and unpacks it.
func (r *reader) packed(unpack func([]byte, [][]byte) ([][]byte, error)) ([][]byte, error) {
	blob, err := r.str()
	if err != nil {
		return nil, err
	}
	return unpack(blob, nil)
}

// quicklist reads a list of nodes, each a ziplist (Redis 3.2 to 6.2) or,
// in the second form (7.0 on), a listpack or one element stored plain.
func (r *reader) quicklist(second bool) ([][]byte, error) {
	n, err := r.count(2)
	if err != nil {
		return nil, err
	}
	var out [][]byte
	for range n {
		container := uint64(containerPacked)
		if second {
			var enc bool
			if container, enc, err = r.length(); err != nil {
				return nil, err
			} else if enc || container != containerPlain && container != containerPacked {
				return nil, errFormat("an unknown quicklist node")
			}
		}
		blob, err := r.str()
		switch {
		case err != nil:
			return nil, err
		case container == containerPlain:
			out = append(out, blob)
		case second:
			out, err = listpack(blob, out)
		default:
			out, err = ziplist(blob, out)
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Encode appends v's payload to dst: its plainest encoding, RDB version
// encodeVersion and the checksum.
func Encode(dst []byte, v *Value) []byte {
	start := len(dst)
	switch v.Kind {
	case String:
		dst = appendStr(append(dst, typeString), v.Str)
	case List, Set:
		t := byte(typeList)
		if v.Kind == Set {
			t = typeSet
		}
		dst = appendLength(append(dst, t), uint64(len(v.Elems)))
		for _, e := range v.Elems {
			dst = appendStr(dst, e)
		}
	case Hash:
		dst = appendLength(append(dst, typeHash), uint64(len(v.Elems)/2))
		for _, e := range v.Elems[:len(v.Elems)/2*2] {
			dst = appendStr(dst, e)
		}
	}
	dst = binary.LittleEndian.AppendUint16(dst, encodeVersion)
	return binary.LittleEndian.AppendUint64(dst, checksum(dst[start:]))
}

func appendLength(dst []byte, n uint64) []byte {
	switch {
	case n < 1<<6:
		return append(dst, byte(n))
	case n < 1<<14:
		return append(dst, byte(len14<<6|n>>8), byte(n))
	case n <= 0xffffffff:
		return binary.BigEndian.AppendUint32(append(dst, 0x80), uint32(n))
	}
	return binary.BigEndian.AppendUint64(append(dst, 0x81), n)
}

func appendStr(dst, s []byte) []byte { return append(appendLength(dst, uint64(len(s))), s...) }
