package rdb

import (
	"encoding/binary"
	"strconv"
)

// The packed encodings Redis stores small lists, sets and hashes in; each
// unpack function appends the entries of b, as text, to out. Integers
// become their decimal text, as Redis's replies give them.

// ziplist unpacks a ziplist (Redis before 7.0): a header of its size
// (32 bits), the offset of its last entry (32) and its entry count (16);
// entries, each the previous one's length (one byte, or 0xfe and 32 bits),
// an encoding and the data; then 0xff.
func ziplist(b []byte, out [][]byte) ([][]byte, error) {
	if len(b) < 11 || binary.LittleEndian.Uint32(b) != uint32(len(b)) {
		return nil, errFormat("a ziplist's size")
	}
	i := 10
	for {
		if i >= len(b) {
			return nil, errFormat("a ziplist without its end")
		}
		if b[i] == 0xff {
			break
		}
		switch {
		case b[i] < 0xfe:
			i++
		case b[i] == 0xfe:
			i += 5
		default:
			return nil, errFormat("a ziplist entry's previous length")
		}
		if i >= len(b) {
			return nil, errFormat("a ziplist entry cut short")
		}
		enc := b[i]
		var head, size int // the encoding's bytes, then the data's
		switch enc >> 6 {
		case 0:
			head, size = 1, int(enc&0x3f)
		case 1:
			if i+1 >= len(b) {
				return nil, errFormat("a ziplist entry cut short")
			}
			head, size = 2, int(enc&0x3f)<<8|int(b[i+1])
		case 2:
			if i+5 > len(b) {
				return nil, errFormat("a ziplist entry cut short")
			}
			head, size = 5, int(binary.BigEndian.Uint32(b[i+1:]))
		}
		if enc>>6 != 3 {
			if size > len(b)-i-head {
				return nil, errFormat("a ziplist string past the end")
			}
			out = append(out, b[i+head:i+head+size])
			i += head + size
			continue
		}
		var v int64
		switch {
		case enc == 0xc0:
			head = 3
		case enc == 0xd0:
			head = 5
		case enc == 0xe0:
			head = 9
		case enc == 0xf0:
			head = 4
		case enc == 0xfe:
			head = 2
		case enc >= 0xf1 && enc <= 0xfd:
			head, v = 1, int64(enc&0x0f)-1
		default:
			return nil, errFormat("an unknown ziplist encoding")
		}
		if i+head > len(b) {
			return nil, errFormat("a ziplist integer past the end")
		}
		if head > 1 {
			v = littleSigned(b[i+1 : i+head])
		}
		out = append(out, strconv.AppendInt(nil, v, 10))
		i += head
	}
	if i != len(b)-1 {
		return nil, errFormat("bytes after a ziplist's end")
	}
	return out, nil
}

// listpack unpacks a listpack (Redis 7.0 on): a header of its size (32
// bits) and entry count (16); entries, each an encoding, the data and the
// entry's length written backwards (1 to 5 bytes); then 0xff.
func listpack(b []byte, out [][]byte) ([][]byte, error) {
	if len(b) < 7 || binary.LittleEndian.Uint32(b) != uint32(len(b)) {
		return nil, errFormat("a listpack's size")
	}
	i := 6
	for {
		if i >= len(b) {
			return nil, errFormat("a listpack without its end")
		}
		enc := b[i]
		if enc == 0xff {
			break
		}
		var head, size int // the encoding's bytes, then a string's
		var v int64
		isStr := false
		need := func(n int) bool { return i+n <= len(b) }
		switch {
		case enc&0x80 == 0: // a 7-bit unsigned integer
			head, v = 1, int64(enc&0x7f)
		case enc&0xc0 == 0x80: // a string of up to 63 bytes
			head, size, isStr = 1, int(enc&0x3f), true
		case enc&0xe0 == 0xc0: // a 13-bit signed integer
			if !need(2) {
				return nil, errFormat("a listpack entry cut short")
			}
			head, v = 2, int64(enc&0x1f)<<8|int64(b[i+1])
			if v >= 1<<12 {
				v -= 1 << 13
			}
		case enc&0xf0 == 0xe0: // a string of up to 4095 bytes
			if !need(2) {
				return nil, errFormat("a listpack entry cut short")
			}
			head, size, isStr = 2, int(enc&0x0f)<<8|int(b[i+1]), true
		case enc == 0xf0: // a string with a 32-bit length
			if !need(5) {
				return nil, errFormat("a listpack entry cut short")
			}
			head, size, isStr = 5, int(binary.LittleEndian.Uint32(b[i+1:])), true
		case enc >= 0xf1 && enc <= 0xf4: // integers of 16, 24, 32 and 64 bits
			head = 1 + []int{2, 3, 4, 8}[enc-0xf1]
			if !need(head) {
				return nil, errFormat("a listpack integer past the end")
			}
			v = littleSigned(b[i+1 : i+head])
		default:
			return nil, errFormat("an unknown listpack encoding")
		}
		if size < 0 || size > len(b)-i-head {
			return nil, errFormat("a listpack string past the end")
		}
		if isStr {
			out = append(out, b[i+head:i+head+size])
		} else {
			out = append(out, strconv.AppendInt(nil, v, 10))
		}
		i += head + size + backlenSize(head+size)
	}
	if i != len(b)-1 {
		return nil, errFormat("bytes after a listpack's end")
	}
	return out, nil
}

// backlenSize is how many bytes a listpack entry of n bytes (encoding and
// data) writes its length backwards in: seven bits a byte.
func backlenSize(n int) int {
	switch {
	case n <= 127:
		return 1
	case n < 16383:
		return 2
	case n < 2097151:
		return 3
	case n < 268435455:
		return 4
	}
	return 5
}

// intset unpacks an intset: the width of its integers in bytes (2, 4 or
// 8; 32 bits), their count (32 bits), then the integers, ascending.
func intset(b []byte, out [][]byte) ([][]byte, error) {
	if len(b) < 8 {
		return nil, errFormat("an intset's header")
	}
	w, n := uint64(binary.LittleEndian.Uint32(b)), uint64(binary.LittleEndian.Uint32(b[4:]))
	if w != 2 && w != 4 && w != 8 || uint64(len(b)-8) != w*n {
		return nil, errFormat("an intset's size")
	}
	for k := uint64(0); k < n; k++ {
		out = append(out, strconv.AppendInt(nil, littleSigned(b[8+k*w:8+(k+1)*w]), 10))
	}
	return out, nil
}

// littleSigned reads a little-endian two's complement integer of 1 to 8
// bytes.
func littleSigned(b []byte) int64 {
	var u uint64
	for k := len(b) - 1; k >= 0; k-- {
		u = u<<8 | uint64(b[k])
	}
	shift := 64 - 8*uint(len(b))
	return int64(u<<shift) >> shift
}
