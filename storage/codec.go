package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// Delta encoding, shared by the WAL, snapshots and replication. Integers are
// varints; strings are a uvarint length and the bytes. A stamp is two
// uvarints (time, actor), or, in a delta flagged compact, a tag byte
// relative to the delta's stamp written before it (the first one's
// predecessor is the zero stamp): 0 the same stamp, 1 the same actor and a
// uvarint of how much later, 2 two uvarints as above. A delta's stamps are
// nearly all one actor's of one moment (a SET's three are one), so a
// compact SET of a 16-byte key takes 49 bytes instead of 84. A compact
// delta's counter slot starts with a flags byte instead of its actor:
// 1 its actor follows (else it is the last stamp's), 2 its float follows
// the int (else it is +0); an INCR's delta takes 74 bytes instead of 177.
//
//	delta = flags:u8 db:u8 [key] [reset] [expiry] nvals:uvarint value*
//	flags = 1 DBWide | 2 has key | 4 has reset | 8 has expiry | 16 compact
//	expiry = stamp at:varint
//	value = kind:u8 fields:u16 ts:stamp, then each field present in fields,
//	        in bit order: reg:stamp, str, int:varint, float:8 bytes LE,
//	        absorbed:slots, slots:slots, members, elems, tombs
//	slots   = n (actor:uvarint birth:stamp last:stamp int:varint float:8)*
//	          compact: n (flags:u8 [actor:uvarint] birth:stamp last:stamp
//	          int:varint [float:8])*
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
	flagCompact
)

// compactStamps is whether this process writes compact stamps.
var compactStamps atomic.Bool

// SetCompactStamps sets whether AppendDelta, and so everything this
// process logs, snapshots and sends, writes compact stamps (off at start).
// Every version since decodes both forms; older ones refuse compact
// deltas as unknown flags, so a cluster node turns them on only once every
// node of its cluster reads them (gossip.ReadCompactStamps), and a single
// process always.
func SetCompactStamps(on bool) { compactStamps.Store(on) }

// CompactStamps reports whether AppendDelta writes compact stamps.
func CompactStamps() bool { return compactStamps.Load() }

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
	return appendDelta(dst, d, compactStamps.Load())
}

// AppendCanonical appends d's encoding with full stamps: the bytes a digest
// hashes, the same whatever encoding a node writes.
func AppendCanonical(dst []byte, d *Delta) []byte { return appendDelta(dst, d, false) }

// appendDelta appends d's encoding, with compact stamps or not.
func appendDelta(dst []byte, d *Delta, compact bool) []byte {
	e := encoder{b: dst, compact: compact}
	e.delta(d)
	return e.b
}

// encoder writes one delta's encoding; prev is the stamp it wrote last
// (compact stamps are written relative to it).
type encoder struct {
	b       []byte
	compact bool
	prev    hlc.Stamp
}

func (e *encoder) delta(d *Delta) {
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
	if e.compact {
		flags |= flagCompact
	}
	e.b = append(e.b, flags, d.DB)
	if flags&flagKey != 0 {
		e.b = appendString(e.b, d.Key)
	}
	if flags&flagReset != 0 {
		e.stamp(d.Reset)
	}
	if flags&flagExpiry != 0 {
		e.stamp(d.Exp.S)
		e.b = binary.AppendVarint(e.b, d.Exp.At)
	}
	n := len(d.More)
	if d.Val.Kind != proto.TypeNone {
		n++
	}
	e.b = binary.AppendUvarint(e.b, uint64(n))
	if d.Val.Kind != proto.TypeNone {
		e.val(&d.Val)
	}
	for i := range d.More {
		e.val(&d.More[i])
	}
}

// Compact stamp tags: the stamp written before, one of the same actor
// some time later, or any stamp.
const (
	stampSame  = 0
	stampLater = 1
	stampFull  = 2
)

func (e *encoder) stamp(s hlc.Stamp) {
	if !e.compact {
		e.b = appendStamp(e.b, s)
		return
	}
	switch {
	case s == e.prev:
		e.b = append(e.b, stampSame)
	case s.Actor == e.prev.Actor && s.Time > e.prev.Time:
		e.b = binary.AppendUvarint(append(e.b, stampLater), s.Time-e.prev.Time)
	default:
		e.b = appendStamp(append(e.b, stampFull), s)
	}
	e.prev = s
}

func appendString(dst []byte, s string) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(s)))
	return append(dst, s...)
}

func appendStamp(dst []byte, s hlc.Stamp) []byte {
	return binary.AppendUvarint(binary.AppendUvarint(dst, s.Time), s.Actor)
}

// Compact slot flags: the slot's actor is not the last stamp's (a uvarint
// follows), its float is not +0 (8 bytes follow, after the int).
const (
	slotOtherActor = 1 << iota
	slotFloat
)

func (e *encoder) slots(slots []Slot) {
	e.b = binary.AppendUvarint(e.b, uint64(len(slots)))
	for _, s := range slots {
		float := math.Float64bits(s.Float)
		if !e.compact {
			e.b = binary.AppendUvarint(e.b, s.Actor)
			e.stamp(s.Birth)
			e.stamp(s.Last)
			e.b = binary.AppendVarint(e.b, s.Int)
			e.b = binary.LittleEndian.AppendUint64(e.b, float)
			continue
		}
		var flags byte
		if s.Actor != e.prev.Actor {
			flags |= slotOtherActor
		}
		if float != 0 {
			flags |= slotFloat
		}
		e.b = append(e.b, flags)
		if flags&slotOtherActor != 0 {
			e.b = binary.AppendUvarint(e.b, s.Actor)
		}
		e.stamp(s.Birth)
		e.stamp(s.Last)
		e.b = binary.AppendVarint(e.b, s.Int)
		if flags&slotFloat != 0 {
			e.b = binary.LittleEndian.AppendUint64(e.b, float)
		}
	}
}

func (e *encoder) val(v *ValDelta) {
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
	e.b = append(e.b, byte(v.Kind))
	e.b = binary.LittleEndian.AppendUint16(e.b, fields)
	e.stamp(v.TS)
	if fields&fieldReg != 0 {
		e.stamp(v.Reg)
	}
	if fields&fieldStr != 0 {
		e.b = appendString(e.b, v.Str)
	}
	if fields&fieldInt != 0 {
		e.b = binary.AppendVarint(e.b, v.Int)
	}
	if fields&fieldFloat != 0 {
		e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v.Float))
	}
	if fields&fieldAbsorbed != 0 {
		e.slots(v.Absorbed)
	}
	if fields&fieldSlots != 0 {
		e.slots(v.Slots)
	}
	if fields&fieldMembers != 0 {
		e.b = binary.AppendUvarint(e.b, uint64(len(v.Members)))
		for _, m := range v.Members {
			e.b = appendString(e.b, m.Name)
			dead := byte(0)
			if m.Dead {
				dead = 1
			}
			e.b = append(e.b, dead)
			e.b = appendString(e.b, m.Value)
			e.stamp(m.S)
		}
	}
	if fields&fieldElems != 0 {
		e.b = binary.AppendUvarint(e.b, uint64(len(v.Elems)))
		for _, el := range v.Elems {
			e.b = binary.AppendVarint(e.b, el.ID.Pos)
			e.stamp(el.ID.S)
			e.stamp(el.VS)
			e.b = appendString(e.b, el.Value)
		}
	}
	if fields&fieldTombs != 0 {
		e.b = binary.AppendUvarint(e.b, uint64(len(v.Tombs)))
		for _, t := range v.Tombs {
			e.b = binary.AppendVarint(e.b, t.ID.Pos)
			e.stamp(t.ID.S)
			e.stamp(t.S)
		}
	}
}

// decoder reads the encoding; the first error sticks.
type decoder struct {
	b       []byte
	off     int
	err     error
	bw      *Borrowed // where the slices go (nil: storage of their own)
	compact bool      // the delta's stamps are compact (flagCompact)
	prev    hlc.Stamp // the stamp read last
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
	if !r.compact {
		return hlc.Stamp{Time: r.uvarint(), Actor: r.uvarint()}
	}
	switch r.byte1() {
	case stampSame:
	case stampLater:
		later := r.uvarint()
		if r.err == nil && (later == 0 || r.prev.Time+later < r.prev.Time) {
			r.fail("bad stamp offset")
		}
		r.prev.Time += later
	case stampFull:
		r.prev = hlc.Stamp{Time: r.uvarint(), Actor: r.uvarint()}
	default:
		r.fail("unknown stamp tag")
	}
	return r.prev
}

// stampSaving is how many fewer bytes than a full stamp's two a stamp
// takes at least.
func (r *decoder) stampSaving() int {
	if r.compact {
		return 1
	}
	return 0
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
	if !r.compact {
		n := r.count(13)
		out := borrow(r.bw.slotsArena(), n)
		for i := 0; i < n && r.err == nil; i++ {
			out = append(out, Slot{Actor: r.uvarint(), Birth: r.stamp(), Last: r.stamp(), Int: r.varint(), Float: r.float()})
		}
		return out
	}
	n := r.count(4) // flags, two stamps, an int
	out := borrow(r.bw.slotsArena(), n)
	for i := 0; i < n && r.err == nil; i++ {
		flags := r.byte1()
		if flags&^(slotOtherActor|slotFloat) != 0 {
			r.fail("unknown slot flags")
		}
		s := Slot{Actor: r.prev.Actor}
		if flags&slotOtherActor != 0 {
			s.Actor = r.uvarint()
		}
		s.Birth, s.Last, s.Int = r.stamp(), r.stamp(), r.varint()
		if flags&slotFloat != 0 {
			s.Float = r.float()
		}
		out = append(out, s)
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
	if flags&^(flagDBWide|flagKey|flagReset|flagExpiry|flagCompact) != 0 {
		r.fail("unknown flags")
	}
	r.compact, r.prev = flags&flagCompact != 0, hlc.Stamp{}
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
	n := r.count(5 - r.stampSaving())
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
		n := r.count(6 - 2*r.stampSaving())
		v.Elems = borrow(r.bw.elemsArena(), n)
		for i := 0; i < n && r.err == nil; i++ {
			e := Elem{ID: ElemID{Pos: r.varint(), S: r.stamp()}}
			e.VS = r.stamp()
			e.Value = r.str()
			v.Elems = append(v.Elems, e)
		}
	}
	if fields&fieldTombs != 0 {
		n := r.count(5 - 2*r.stampSaving())
		v.Tombs = borrow(r.bw.tombsArena(), n)
		for i := 0; i < n && r.err == nil; i++ {
			t := Tomb{ID: ElemID{Pos: r.varint(), S: r.stamp()}}
			t.S = r.stamp()
			v.Tombs = append(v.Tombs, t)
		}
	}
}
