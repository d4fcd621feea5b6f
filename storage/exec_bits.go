package storage

import (
	"math/bits"

	"github.com/vanitydb/vanity/proto"
)

// The bits of a string (PROTOCOL.md §12.31): Redis's GETBIT, SETBIT,
// BITCOUNT and BITPOS. Bit 0 is the highest bit of the first byte. A
// number is its text, as GET reads it.

// maxBitOffset bounds a bit's offset: the bits of the longest string
// (maxString bytes), as Redis bounds SETBIT's to its 512 MiB strings.
func maxBitOffset() int64 { return 8*maxString - 1 }

// Bit command errors, in Redis's words.
const (
	msgBitOffset = "bit offset is not an integer or out of range"
	msgBitValue  = "bit is not an integer or out of range"
	msgBitArg    = "The bit argument must be 1 or 0."
	msgBitNot    = "BITOP NOT must be called with a single source key."
)

func (c *Ctx) execBits(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdStrGetBit, proto.CmdStrSetBit, proto.CmdStrBitCount, proto.CmdStrBitPos, proto.CmdStrBitPosFrom:
	case proto.CmdStrBitOpInto:
		return c.bitOpInto(req, dst), true
	default:
		return dst, false
	}
	if msg := bitArgsRefused(req); msg != "" {
		return proto.AppendErrorMsg(dst, msg), true
	}
	key := req.Key()
	cur, ok := c.readText(key)
	if !ok {
		return append(dst, proto.ReplyBadType...), true
	}
	s := cur.s
	switch req.Cmd {
	case proto.CmdStrGetBit:
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(bitAt(s, req.Int[0]))), true
	case proto.CmdStrSetBit:
		off, bit := req.Int[0], req.Int[1]
		old := bitAt(s, off)
		if old == int(bit) && int64(len(s)) > off/8 {
			// Nothing changes: the string already holds the bit.
			return proto.AppendInt(append(dst, proto.ReplyOK...), int64(old)), true
		}
		out := make([]byte, max(int64(len(s)), off/8+1))
		copy(out, s)
		mask := byte(0x80) >> (off % 8)
		if bit == 1 {
			out[off/8] |= mask
		} else {
			out[off/8] &^= mask
		}
		c.rewriteStr(key, cur, out)
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(old)), true
	case proto.CmdStrBitCount:
		return proto.AppendInt(append(dst, proto.ReplyOK...), bitCount(s, req.Int[0], req.Int[1], req.Unit)), true
	}
	bit := req.Int[0]
	if !cur.present {
		// No key is an endless run of zero bits.
		return proto.AppendInt(append(dst, proto.ReplyOK...), -bit), true
	}
	if req.Cmd == proto.CmdStrBitPosFrom {
		return proto.AppendInt(append(dst, proto.ReplyOK...), bitPos(s, int(bit), req.Int[1], int64(len(s))-1, proto.UnitByte, false)), true
	}
	return proto.AppendInt(append(dst, proto.ReplyOK...), bitPos(s, int(bit), req.Int[1], req.Int[2], req.Unit, true)), true
}

// bitArgsRefused returns why a bit command's offset or bit is refused,
// or "". Arguments are checked before the key is read, as Redis checks
// them: SETBIT k 0 2 on a list is an error of its bit, not WRONGTYPE.
func bitArgsRefused(req *proto.Request) string {
	switch req.Cmd {
	case proto.CmdStrGetBit, proto.CmdStrSetBit:
		if off := req.Int[0]; off < 0 || off > maxBitOffset() {
			return msgBitOffset
		}
		if bit := req.Int[1]; req.Cmd == proto.CmdStrSetBit && bit != 0 && bit != 1 {
			return msgBitValue
		}
	case proto.CmdStrBitPos, proto.CmdStrBitPosFrom:
		if bit := req.Int[0]; bit != 0 && bit != 1 {
			return msgBitArg
		}
	}
	return ""
}

// bitAt returns bit off of s, 0 beyond its end.
func bitAt(s string, off int64) int {
	if off/8 >= int64(len(s)) {
		return 0
	}
	return int(s[off/8]>>(7-off%8)) & 1
}

// bitRange turns start and end, in unit, negative ones counting from the
// end, into the bits first..last of s, clamped as Redis clamps them;
// ok is false when the range is empty.
func bitRange(s string, start, end int64, unit proto.BitUnit) (first, last int64, ok bool) {
	total := int64(len(s))
	if unit == proto.UnitBit {
		total *= 8
	}
	if start < 0 {
		start = max(total+start, 0)
	}
	if end < 0 {
		end = max(total+end, 0)
	}
	end = min(end, total-1)
	if start > end {
		return 0, 0, false
	}
	if unit == proto.UnitBit {
		return start, end, true
	}
	return start * 8, end*8 + 7, true
}

// bitCount counts the bits set in s from start to end (STR_BIT_COUNT).
// Two negative positions in the wrong order count nothing, as Redis's
// BITCOUNT answers before it clamps them.
func bitCount(s string, start, end int64, unit proto.BitUnit) int64 {
	if start < 0 && end < 0 && start > end {
		return 0
	}
	first, last, ok := bitRange(s, start, end, unit)
	if !ok {
		return 0
	}
	n := 0
	for i := first / 8; i <= last/8; i++ {
		b := s[i]
		if i == first/8 {
			b &= 0xff >> (first % 8)
		}
		if i == last/8 {
			b &= 0xff << (7 - last%8)
		}
		n += bits.OnesCount8(b)
	}
	return int64(n)
}

// bitPos returns the first bit of s equal to bit from start to end
// (STR_BIT_POS), or -1. Without an end given (STR_BIT_POS_FROM) the
// string is taken to go on with zero bits, so a 0 not found in it is the
// first bit past its end; a 1 not found is -1 either way.
func bitPos(s string, bit int, start, end int64, unit proto.BitUnit, endGiven bool) int64 {
	first, last, ok := bitRange(s, start, end, unit)
	if !ok {
		return -1
	}
	for i := first; i <= last; {
		b := s[i/8]
		if bit == 0 {
			b = ^b
		}
		if b == 0 && i%8 == 0 && i+7 <= last {
			i += 8 // a whole byte without the bit
			continue
		}
		if int(b>>(7-i%8))&1 == 1 {
			return i
		}
		i++
	}
	if bit == 0 && !endGiven {
		return last + 1
	}
	return -1
}

// bitOpInto runs STR_BIT_OP_INTO: the sources' strings (a number's text;
// no key an empty one) combined byte by byte, the shorter ones taken to
// go on with zero bytes, or NOT of one source, replace the destination
// whatever it held, its deadline gone; an empty result deletes it. It
// answers the length stored. Every source is type-checked first.
func (c *Ctx) bitOpInto(req *proto.Request, dst []byte) []byte {
	if req.Op == proto.BitNot && len(req.Elems) != 1 {
		return proto.AppendErrorMsg(dst, msgBitNot)
	}
	srcs := make([]string, len(req.Elems))
	n := 0
	for i, k := range req.Elems {
		cur, ok := c.readText(k)
		if !ok {
			return append(dst, proto.ReplyBadType...)
		}
		srcs[i], n = cur.s, max(n, len(cur.s))
	}
	out := make([]byte, n)
	if len(srcs) > 0 {
		copy(out, srcs[0])
	}
	switch req.Op {
	case proto.BitNot:
		for i := range out {
			out[i] = ^out[i]
		}
	case proto.BitAnd:
		for _, s := range srcs[1:] {
			for i := range out {
				if i < len(s) {
					out[i] &= s[i]
				} else {
					out[i] = 0
				}
			}
		}
	default:
		for _, s := range srcs[1:] {
			for i := 0; i < len(s); i++ {
				if req.Op == proto.BitOr {
					out[i] |= s[i]
				} else {
					out[i] ^= s[i]
				}
			}
		}
	}
	dest := req.Str[0]
	d := c.newDelta(dest)
	d.Reset = c.T
	if n > 0 {
		d.Val = ValDelta{Kind: proto.TypeStr, TS: c.T, Reg: c.T}
		d.Val.cell = newStrCell(c.T, out)
		d.Val.Str = d.Val.cell.str()
	}
	c.commit(dest, d)
	return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n))
}
