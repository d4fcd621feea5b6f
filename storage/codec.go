package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// Delta encoding, shared by the WAL, snapshots and replication. Integers are
// varints; stamps are two uvarints (time, actor); strings are a uvarint
// length and the bytes.
//
//	delta = flags:u8 db:u8 [key] [reset] [expiry] nvals:uvarint value*
//	flags = 1 DBWide | 2 has key | 4 has reset | 8 has expiry
//	expiry = stamp at:varint
//	value = kind:u8 fields:u16 ts:stamp, then each field present in fields,
//	        in bit order: reg:stamp, str, int:varint, float:8 bytes LE,
//	        absorbed:slots, slots:slots, members, elems, tombs
//	slots   = n (actor:uvarint birth:stamp last:stamp int:varint float:8)*
//	members = n (name dead:u8 value s:stamp)*
//	elems   = n (pos:varint s:stamp vs:stamp value)*
//	tombs   = n (pos:varint s:stamp removed:stamp)*
//
// The bit assignments are part of the on-disk format: ONLY APPEND.
const (
	flagDBWide = 1 << iota
	flagKey
	flagReset
	flagExpiry
)

const (
	fieldReg = 1 << iota
	fieldStr
	fieldInt
	fieldFloat
	fieldAbsorbed
	fieldSlots
	fieldMembers
	fieldElems
	fieldTombs
)

// ErrCorrupt is wrapped by every decoding error.
var ErrCorrupt = errors.New("storage: corrupt delta encoding")

// AppendDelta appends the encoding of d.
func AppendDelta(dst []byte, d *Delta) []byte {
	var flags byte
	if d.DBWide {
		flags |= flagDBWide
	}
	if d.Key != "" {
		flags |= flagKey
	}
	if !d.Reset.IsZero() {
		flags |= flagReset
	}
	if d.Exp != (Expiry{}) {
		flags |= flagExpiry
	}
	dst = append(dst, flags, d.DB)
	if flags&flagKey != 0 {
		dst = appendString(dst, d.Key)
	}
	if flags&flagReset != 0 {
		dst = appendStamp(dst, d.Reset)
	}
	if flags&flagExpiry != 0 {
		dst = appendStamp(dst, d.Exp.S)
		dst = binary.AppendVarint(dst, d.Exp.At)
	}
	n := len(d.More)
	if d.Val.Kind != proto.TypeNone {
		n++
	}
	dst = binary.AppendUvarint(dst, uint64(n))
	if d.Val.Kind != proto.TypeNone {
		dst = appendVal(dst, &d.Val)
	}
	for i := range d.More {
		dst = appendVal(dst, &d.More[i])
	}
	return dst
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendStamp(dst []byte, s hlc.Stamp) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(dst, s.Time), s.Actor)
}

func appendSlots(dst []byte, slots []Slot) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(slots)))
	for _, s := range slots {
		dst = binary.AppendUvarint(dst, s.Actor)
		dst = appendStamp(dst, s.Birth)
		dst = appendStamp(dst, s.Last)
		dst = binary.AppendVarint(dst, s.Int)
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(s.Float))
	}
	return dst
}

func appendVal(dst []byte, v *ValDelta) []byte {
	var fields uint16
	if !v.Reg.IsZero() {
		fields |= fieldReg
	}
	if v.Str != "" {
		fields |= fieldStr
	}
	if v.Int != 0 {
		fields |= fieldInt
	}
	if math.Float64bits(v.Float) != 0 {
		fields |= fieldFloat
	}
	if len(v.Absorbed) > 0 {
		fields |= fieldAbsorbed
	}
	if len(v.Slots) > 0 {
		fields |= fieldSlots
	}
	if len(v.Members) > 0 {
		fields |= fieldMembers
	}
	if len(v.Elems) > 0 {
		fields |= fieldElems
	}
	if len(v.Tombs) > 0 {
		fields |= fieldTombs
	}
	dst = append(dst, byte(v.Kind))
	dst = binary.LittleEndian.AppendUint16(dst, fields)
	dst = appendStamp(dst, v.TS)
	if fields&fieldReg != 0 {
		dst = appendStamp(dst, v.Reg)
	}
	if fields&fieldStr != 0 {
		dst = appendString(dst, v.Str)
	}
	if fields&fieldInt != 0 {
		dst = binary.AppendVarint(dst, v.Int)
	}
	if fields&fieldFloat != 0 {
		dst = binary.LittleEndian.AppendUint64(dst, math.Float64bits(v.Float))
	}
	if fields&fieldAbsorbed != 0 {
		dst = appendSlots(dst, v.Absorbed)
	}
	if fields&fieldSlots != 0 {
		dst = appendSlots(dst, v.Slots)
	}
	if fields&fieldMembers != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(v.Members)))
		for _, m := range v.Members {
			dst = appendString(dst, m.Name)
			dead := byte(0)
			if m.Dead {
				dead = 1
			}
			dst = append(dst, dead)
			dst = appendString(dst, m.Value)
			dst = appendStamp(dst, m.S)
		}
	}
	if fields&fieldElems != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(v.Elems)))
		for _, e := range v.Elems {
			dst = binary.AppendVarint(dst, e.ID.Pos)
			dst = appendStamp(dst, e.ID.S)
			dst = appendStamp(dst, e.VS)
			dst = appendString(dst, e.Value)
		}
	}
	if fields&fieldTombs != 0 {
		dst = binary.AppendUvarint(dst, uint64(len(v.Tombs)))
		for _, t := range v.Tombs {
			dst = binary.AppendVarint(dst, t.ID.Pos)
			dst = appendStamp(dst, t.ID.S)
			dst = appendStamp(dst, t.S)
		}
	}
	return dst
}

// decoder reads the encoding; the first error sticks.
type decoder struct {
	b   []byte
	off int
	err error
	bw  *Borrowed // where the slices go (nil: storage of their own)
}

func (r *decoder) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: %s at byte %d", ErrCorrupt, what, r.off)
	}
}

func (r *decoder) byte1() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.fail("short byte")
		return 0
	}
	c := r.b[r.off]
	r.off++
	return c
}

func (r *decoder) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad uvarint")
		return 0
	}
	r.off += n
	return v
}

func (r *decoder) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		r.fail("bad varint")
		return 0
	}
	r.off += n
	return v
}

func (r *decoder) fixed(n int) []byte {
	if r.err != nil || len(r.b)-r.off < n {
		r.fail("short fixed field")
		return nil
	}
	out := r.b[r.off : r.off+n]
	r.off += n
	return out
}

func (r *decoder) str() string { return string(r.strBytes()) }

// cell reads a string into a new register cell written at ts.
func (r *decoder) cell(ts hlc.Stamp) *strCell { return newStrCell(ts, r.strBytes()) }

// strBytes reads a length-prefixed string, aliasing the input (nil if it
// runs past the end).
func (r *decoder) strBytes() []byte {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)-r.off) {
		r.fail("string past end")
		return nil
	}
	return r.fixed(int(n))
}

func (r *decoder) stamp() hlc.Stamp {
	return hlc.Stamp{Time: r.uvarint(), Actor: r.uvarint()}
}

// count reads a collection length, refusing one that could not fit in the
// remaining bytes at min bytes per item.
func (r *decoder) count(min int) int {
	n := r.uvarint()
	if r.err == nil && n > uint64((len(r.b)-r.off)/min) {
		r.fail("count past end")
		return 0
	}
	return int(n)
}

func (r *decoder) float() float64 {
	b := r.fixed(8)
	if b == nil {
		return 0
	}
	return math.Float64frombits(binary.LittleEndian.Uint64(b))
}

func (r *decoder) slots() []Slot {
	n := r.count(13)
	out := borrow(r.bw.slotsArena(), n)
	for i := 0; i < n && r.err == nil; i++ {
		out = append(out, Slot{Actor: r.uvarint(), Birth: r.stamp(), Last: r.stamp(), Int: r.varint(), Float: r.float()})
	}
	return out
}

// DecodeDelta decodes one delta that fills b exactly. Strings in the result
// are copies; b may be reused.
func DecodeDelta(b []byte) (Delta, error) {
	var d Delta
	if err := DecodeDeltaInto(b, &d, nil); err != nil {
		return Delta{}, err
	}
	return d, nil
}

// DecodeDeltaInto is DecodeDelta into *d, which it overwrites whole: a
// delta is a few hundred bytes, and a replica decodes one for every write
// it is sent, into a slice it reuses. The delta's slices borrow their
// storage from bw, unless it is nil.
func DecodeDeltaInto(b []byte, d *Delta, bw *Borrowed) error {
	r := decoder{b: b, bw: bw}
	*d = Delta{}
	r.delta(d)
	if r.err == nil && r.off != len(b) {
		r.fail("trailing bytes")
	}
	if r.err != nil {
		*d = Delta{}
		return r.err
	}
	return nil
}

// DecodeDeltas decodes the deltas that, one after another, fill b
// exactly, appending them to out.
func DecodeDeltas(b []byte, out []Delta) ([]Delta, error) {
	r := decoder{b: b}
	for r.err == nil && r.off < len(b) {
		out = append(out, Delta{})
		if r.delta(&out[len(out)-1]); r.err != nil {
			out = out[:len(out)-1]
		}
	}
	return out, r.err
}

// delta decodes a delta into d, which is zero.
func (r *decoder) delta(d *Delta) {
	flags := r.byte1()
	d.DB = r.byte1()
	if flags&^(flagDBWide|flagKey|flagReset|flagExpiry) != 0 {
		r.fail("unknown flags")
	}
	if d.DB >= NumDBs {
		r.fail("database out of range")
	}
	d.DBWide = flags&flagDBWide != 0
	if flags&flagKey != 0 {
		d.Key = r.str()
	}
	if flags&flagReset != 0 {
		d.Reset = r.stamp()
	}
	if flags&flagExpiry != 0 {
		d.Exp = Expiry{S: r.stamp(), At: r.varint()}
	}
	n := r.count(5)
	for i := 0; i < n && r.err == nil; i++ {
		if i == 0 {
			r.val(&d.Val)
			continue
		}
		d.More = append(d.More, ValDelta{})
		r.val(&d.More[len(d.More)-1])
	}
}

// val decodes a value into v, which is zero.
func (r *decoder) val(v *ValDelta) {
	v.Kind = proto.Type(r.byte1())
	switch v.Kind {
	case proto.TypeStr, proto.TypeInt, proto.TypeFloat, proto.TypeList, proto.TypeSet, proto.TypeHash:
	default:
		r.fail("unknown value kind")
		return
	}
	fb := r.fixed(2)
	if fb == nil {
		return
	}
	fields := binary.LittleEndian.Uint16(fb)
	if fields >= fieldTombs<<1 {
		r.fail("unknown value fields")
	}
	v.TS = r.stamp()
	if fields&fieldReg != 0 {
		v.Reg = r.stamp()
	}
	if fields&fieldStr != 0 {
		if v.Kind == proto.TypeStr && fields&fieldReg != 0 {
			// Decoded into the cell a register keeps (strVal.join takes
			// it as it is): one allocation for the value, not a string
			// and then the register's copy of it.
			v.cell = r.cell(v.Reg)
			v.Str = v.cell.str()
		} else {
			v.Str = r.str()
		}
	}
	if fields&fieldInt != 0 {
		v.Int = r.varint()
	}
	if fields&fieldFloat != 0 {
		v.Float = r.float()
	}
	if fields&fieldAbsorbed != 0 {
		v.Absorbed = r.slots()
	}
	if fields&fieldSlots != 0 {
		v.Slots = r.slots()
	}
	if fields&fieldMembers != 0 {
		n := r.count(4)
		v.Members = borrow(r.bw.membersArena(), n)
		for i := 0; i < n && r.err == nil; i++ {
			m := Member{Name: r.str()}
			m.Dead = r.byte1() != 0
			m.Value = r.str()
			m.S = r.stamp()
			v.Members = append(v.Members, m)
		}
	}
	if fields&fieldElems != 0 {
		n := r.count(6)
		v.Elems = borrow(r.bw.elemsArena(), n)
		for i := 0; i < n && r.err == nil; i++ {
			e := Elem{ID: ElemID{Pos: r.varint(), S: r.stamp()}}
			e.VS = r.stamp()
			e.Value = r.str()
			v.Elems = append(v.Elems, e)
		}
	}
	if fields&fieldTombs != 0 {
		n := r.count(5)
		v.Tombs = borrow(r.bw.tombsArena(), n)
		for i := 0; i < n && r.err == nil; i++ {
			t := Tomb{ID: ElemID{Pos: r.varint(), S: r.stamp()}}
			t.S = r.stamp()
			v.Tombs = append(v.Tombs, t)
		}
	}
}
