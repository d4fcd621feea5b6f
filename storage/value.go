package storage

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// value is the mergeable state of one typed value of a key.
//
// Every component carries the stamp of the write that made it. The entry's
// reset stamp r removes every component ordered before it; join and prune
// take r so that nothing dead is ever stored. keep says whether tombstones
// are stored (replicated shards) or dropped at once (a lone shard, where no
// late delta can arrive).
type value interface {
	kind() proto.Type
	// stamp is the type stamp: the latest stamp among the components the
	// value holds. It is a function of the components alone (join raises it
	// only with components it stores, prune recomputes it), so replicas
	// holding the same components agree on it. A value whose type stamp
	// orders before the reset holds nothing alive.
	stamp() hlc.Stamp
	// live reports whether the value has visible content.
	live() bool
	// hollow reports whether nothing at all, not even a tombstone, remains.
	hollow() bool
	// footprint estimates the bytes the value holds (memory.go).
	footprint() int
	// join merges a fragment of the same kind and returns the result: the
	// receiver, changed in place, or (strings) a new value.
	join(d *ValDelta, r hlc.Stamp, keep bool) value
	// prune drops the components ordered before r and reports whether
	// anything, tombstones included, remains.
	prune(r hlc.Stamp) bool
	// state writes the whole value as a fragment.
	state(d *ValDelta)
}

func newValue(k proto.Type) value {
	switch k {
	case proto.TypeStr:
		return strVal{}
	case proto.TypeInt:
		return &counter[int64]{k: proto.TypeInt}
	case proto.TypeFloat:
		return &counter[float64]{k: proto.TypeFloat}
	case proto.TypeList:
		return &listVal{}
	case proto.TypeSet, proto.TypeHash:
		return &memberMap{k: k}
	}
	panic("storage: no value of kind " + k.String())
}

// strVal is a last-writer-wins register. Only whole-value writes make
// strings, so the register stamp is also the type stamp.
//
// The register and its bytes share one allocation (a strCell), and strVal
// is that pointer alone, so an interface holds it without another object: a
// string key costs its entry and one cell. A cell never changes once made;
// a write makes a new one (join returns it), so readers, deltas and
// replies may keep the string a cell holds. The zero strVal holds nothing.
type strVal struct{ c *strCell }

// strCell is a register's stamp and length, followed in the same
// allocation by the length's bytes.
type strCell struct {
	s hlc.Stamp
	n int
}

const cellHead = int(unsafe.Sizeof(strCell{}))

// newStrCell copies b into a new cell written at s.
func newStrCell[B string | []byte](s hlc.Stamp, b B) *strCell {
	buf := make([]byte, cellHead+len(b))
	copy(buf[cellHead:], b)
	c := (*strCell)(unsafe.Pointer(unsafe.SliceData(buf)))
	c.s, c.n = s, len(b)
	return c
}

// str returns the cell's bytes as a string that shares its memory. An
// empty one has no pointer: one past the cell's end is another object.
func (c *strCell) str() string {
	if c.n == 0 {
		return ""
	}
	return unsafe.String((*byte)(unsafe.Add(unsafe.Pointer(c), cellHead)), c.n)
}

func (x strVal) stamp() hlc.Stamp {
	if x.c == nil {
		return hlc.Stamp{}
	}
	return x.c.s
}

// str returns the register's value.
func (x strVal) str() string {
	if x.c == nil {
		return ""
	}
	return x.c.str()
}

func (x strVal) kind() proto.Type       { return proto.TypeStr }
func (x strVal) live() bool             { return x.c != nil }
func (x strVal) hollow() bool           { return x.c == nil }
func (x strVal) prune(r hlc.Stamp) bool { return !x.stamp().Less(r) }
func (x strVal) state(d *ValDelta) {
	*d = ValDelta{Kind: proto.TypeStr, TS: x.c.s, Reg: x.c.s, Str: x.c.str()}
}
func (x strVal) join(d *ValDelta, r hlc.Stamp, _ bool) value {
	if d.Reg.Less(r) || !x.stamp().Less(d.Reg) {
		return x
	}
	if c := d.cell; c != nil && c.s == d.Reg && c.n == len(d.Str) && unsafe.StringData(c.str()) == unsafe.StringData(d.Str) {
		return strVal{c}
	}
	return strVal{newStrCell(d.Reg, d.Str)}
}

// number is the value type of a counter.
type number interface{ int64 | float64 }

// counter is an INT or FLOAT. It combines a last-writer-wins base register
// with one slot per actor that holds the actor's increments since the
// slot's birth (join: the greater (birth, last) wins).
//
// Every increment writes both: its slot grows, and the register takes the
// sequentially computed result together with the slot versions that result
// already includes (absorbed). The value is the register plus whatever the
// slots grew beyond what the register absorbed. While one primary sequences
// a key the value is exactly the sequential result, floats included; when
// two actors increment concurrently, the register one of them loses still
// leaves its slot growth counted, so no increment is lost.
type counter[N number] struct {
	k        proto.Type
	ts       hlc.Stamp
	reg      hlc.Stamp // zero: no register written
	base     N
	absorbed []cslot[N] // slot versions included in base, sorted by actor
	slots    []cslot[N] // sorted by actor
	// inl backs slots and absorbed while each holds one version (a key
	// that one actor increments, the usual case): the counter is then
	// one allocation, and an increment reads its versions from the
	// cache lines beside the register's instead of from two more.
	inl [2]cslot[N]
}

type cslot[N number] struct {
	actor       uint64
	birth, last hlc.Stamp
	n           N
}

func (x *counter[N]) kind() proto.Type { return x.k }
func (x *counter[N]) stamp() hlc.Stamp { return x.ts }
func (x *counter[N]) live() bool       { return !x.reg.IsZero() || len(x.slots) > 0 }
func (x *counter[N]) hollow() bool     { return !x.live() }

func (x *counter[N]) value() N {
	sum := x.base
	for _, s := range x.slots {
		i, found := findSlot(x.absorbed, s.actor)
		if !found || x.absorbed[i].birth != s.birth {
			sum += s.n
		} else if m := x.absorbed[i]; m.last.Less(s.last) {
			sum += s.n - m.n
		}
	}
	return sum
}

// findSlot returns the index of actor in slots, or where it would go.
func findSlot[N number](slots []cslot[N], actor uint64) (int, bool) {
	i := sort.Search(len(slots), func(i int) bool { return slots[i].actor >= actor })
	return i, i < len(slots) && slots[i].actor == actor
}

func fromPair[N number](i int64, f float64) N {
	var z N
	if _, isInt := any(z).(int64); isInt {
		return N(i)
	}
	return N(f)
}

func toPair[N number](n N) (int64, float64) {
	switch v := any(n).(type) {
	case int64:
		return v, 0
	case float64:
		return 0, v
	}
	return 0, 0
}

func toSlots[N number](in []cslot[N]) []Slot {
	if len(in) == 0 {
		return nil
	}
	return addSlots(make([]Slot, 0, len(in)), in)
}

func addSlots[N number](dst []Slot, in []cslot[N]) []Slot {
	for _, s := range in {
		i, f := toPair(s.n)
		dst = append(dst, Slot{Actor: s.actor, Birth: s.birth, Last: s.last, Int: i, Float: f})
	}
	return dst
}

func (x *counter[N]) join(d *ValDelta, r hlc.Stamp, _ bool) value {
	if !d.Reg.IsZero() && !d.Reg.Less(r) && x.reg.Less(d.Reg) {
		x.reg, x.base = d.Reg, fromPair[N](d.Int, d.Float)
		x.ts = x.ts.Max(d.Reg)
		if x.absorbed == nil {
			x.absorbed = x.inl[1:1:2]
		}
		x.absorbed = x.absorbed[:0]
		for _, s := range d.Absorbed {
			x.absorbed = append(x.absorbed, cslot[N]{actor: s.Actor, birth: s.Birth, last: s.Last, n: fromPair[N](s.Int, s.Float)})
		}
	}
	for _, s := range d.Slots {
		if s.Birth.Less(r) {
			continue
		}
		n := fromPair[N](s.Int, s.Float)
		i, found := findSlot(x.slots, s.Actor)
		if !found {
			if x.slots == nil {
				x.slots = x.inl[0:0:1]
			}
			x.slots = append(x.slots, cslot[N]{})
			copy(x.slots[i+1:], x.slots[i:])
			x.slots[i] = cslot[N]{actor: s.Actor, birth: s.Birth, last: s.Last, n: n}
			x.ts = x.ts.Max(s.Last)
			continue
		}
		cur := &x.slots[i]
		if c := cur.birth.Compare(s.Birth); c < 0 || c == 0 && cur.last.Less(s.Last) {
			cur.birth, cur.last, cur.n = s.Birth, s.Last, n
			x.ts = x.ts.Max(s.Last)
		}
	}
	return x
}

func (x *counter[N]) prune(r hlc.Stamp) bool {
	if x.ts.Less(r) {
		return false
	}
	if x.reg.Less(r) {
		x.reg, x.base, x.absorbed = hlc.Stamp{}, 0, nil
	}
	x.ts = x.reg
	kept := x.slots[:0]
	for _, s := range x.slots {
		if !s.birth.Less(r) {
			kept = append(kept, s)
			x.ts = x.ts.Max(s.last)
		}
	}
	x.slots = kept
	return x.live()
}

func (x *counter[N]) state(d *ValDelta) {
	i, f := toPair(x.base)
	*d = ValDelta{Kind: x.k, TS: x.ts, Reg: x.reg, Int: i, Float: f, Absorbed: toSlots(x.absorbed), Slots: toSlots(x.slots)}
}

// increment returns the fragment of adding n at stamp t by t's actor: the
// actor's slot grown (or born at t), and the register holding sum, the
// sequential result. The register absorbs every slot version sum counts:
// for each actor, its slot or the previous register's absorbed version,
// whichever is newer (by birth, then last), and the own slot's new
// version. (Absorbing only the local slots lost the versions the previous
// register counted without this replica having their slots: when those
// slots arrived later, they were counted a second time.)
//
// The fragment's slot versions are in storage borrowed from *buf
// (Ctx.Slots) until its command's deltas are encoded.
func (x *counter[N]) increment(t hlc.Stamp, n, sum N, buf *[]Slot) ValDelta {
	own := cslot[N]{actor: t.Actor, birth: t, last: t, n: n}
	if i, found := findSlot(x.slots, t.Actor); found {
		own.birth, own.n = x.slots[i].birth, x.slots[i].n+n
	}
	// One stretch of *buf holds the absorbed versions and, last, the own
	// slot again.
	all := borrow(buf, len(x.slots)+len(x.absorbed)+2)
	si, ai := 0, 0
	ownDone := false
	for si < len(x.slots) || ai < len(x.absorbed) || !ownDone {
		// The next actor in order among the slots, the absorbed versions
		// and own.
		next := ^uint64(0)
		if si < len(x.slots) {
			next = min(next, x.slots[si].actor)
		}
		if ai < len(x.absorbed) {
			next = min(next, x.absorbed[ai].actor)
		}
		if !ownDone {
			next = min(next, own.actor)
		}
		var pick cslot[N]
		have := false
		if si < len(x.slots) && x.slots[si].actor == next {
			pick, have = x.slots[si], true
			si++
		}
		if ai < len(x.absorbed) && x.absorbed[ai].actor == next {
			if a := x.absorbed[ai]; !have || newerSlot(a, pick) {
				pick = a
			}
			ai++
		}
		if !ownDone && own.actor == next {
			pick, ownDone = own, true
		}
		all = addSlots(all, []cslot[N]{pick})
	}
	all = addSlots(all, []cslot[N]{own})
	si2, sf := toPair(sum)
	return ValDelta{
		Kind: x.k, TS: t, Reg: t, Int: si2, Float: sf,
		Absorbed: all[: len(all)-1 : len(all)-1],
		Slots:    all[len(all)-1 : len(all) : len(all)],
	}
}

// newerSlot reports whether version a of a slot is newer than b: a later
// birth, or the same birth and a later last increment.
func newerSlot[N number](a, b cslot[N]) bool {
	c := a.birth.Compare(b.birth)
	return c > 0 || c == 0 && b.last.Less(a.last)
}

// memberMap is a SET or a HASH: a last-writer-wins register per member or
// field, with removals kept as tombstones when the shard keeps them.
type memberMap struct {
	k  proto.Type
	ts hlc.Stamp
	m  table[mstate] // the live members
	// dead holds the removed members kept as tombstones, each with its
	// removal's stamp: apart from the live ones, a tombstone takes 55 bytes
	// or so with a 12-byte name where it took 110, and the live members'
	// table does not grow with a set's removals.
	dead map[string]hlc.Stamp
	// names holds each live member (or field) once, in no order; a live
	// member's mstate.at is its place here. A random pick (SET_REMOVE)
	// takes constant time from it, where walking the map would take time
	// in the members and tombstones it holds.
	names nameList
	sum   uint64 // of every member's memberSum, tombstones too (partsum.go)
}

// mstate is a live member's register.
type mstate struct {
	s  hlc.Stamp
	at int32  // the place in memberMap.names
	v  string // hash field value
	h  uint64 // memberSum of the member and this state, kept so that replacing it reads no old value
}

func (x *memberMap) kind() proto.Type { return x.k }
func (x *memberMap) stamp() hlc.Stamp { return x.ts }
func (x *memberMap) live() bool       { return x.names.len() > 0 }
func (x *memberMap) hollow() bool     { return x.m.len() == 0 && len(x.dead) == 0 }

// nlive returns the number of live members (or fields).
func (x *memberMap) nlive() int { return x.names.len() }

// link adds a member that just became live to names and returns its place.
func (x *memberMap) link(name string) int32 {
	return int32(x.names.push(name))
}

// unlink takes the member at place at out of names, moving the last one
// into its place. A names array left mostly empty is given back.
func (x *memberMap) unlink(at int32) {
	last := x.names.len() - 1
	if int(at) != last {
		moved := x.names.at(last)
		x.names.set(int(at), moved)
		x.m.at(x.m.find(moved)).at = at
	}
	x.names.pop()
}

// pick returns k distinct live members chosen uniformly at random
// (Floyd's algorithm: one draw per member picked), or all of them when
// k is at least their number.
func (x *memberMap) pick(k int, rand func(int) int) []string {
	n := x.names.len()
	if k >= n {
		return x.names.all()
	}
	out := make([]string, 0, k)
	if k == 1 {
		return append(out, x.names.at(rand(n)))
	}
	chosen := make(map[int]struct{}, k)
	for j := n - k; j < n; j++ {
		t := rand(j + 1)
		if _, taken := chosen[t]; taken {
			t = j
		}
		chosen[t] = struct{}{}
		out = append(out, x.names.at(t))
	}
	return out
}

func (x *memberMap) get(name []byte) (string, bool) {
	st, ok := x.m.get(name)
	return st.v, ok
}

// valueOf returns live member name's value (a hash field's; "" for a set's
// member, or a member x does not hold).
func (x *memberMap) valueOf(name string) string {
	st, _ := x.m.getString(name)
	return st.v
}

func (x *memberMap) join(d *ValDelta, r hlc.Stamp, keep bool) value {
	for i := range d.Members {
		mb := &d.Members[i]
		if mb.S.Less(r) {
			continue
		}
		at := x.m.find(mb.Name)
		live := at >= 0
		var cur mstate
		if live {
			cur = *x.m.at(at)
		}
		removed, dead := x.dead[mb.Name]
		switch {
		case live && !cur.s.Less(mb.S), dead && !removed.Less(mb.S):
			continue
		case live:
			x.sum -= cur.h
		case dead:
			x.sum -= deadSum(mb.Name, removed)
		}
		// name is the member's name as x may keep it. The names list,
		// the table and the tombstones keep what they are given, so a
		// lent name is replaced where x stores it: by a live member's own
		// for its tombstone, by a copy for a new member or a tombstone of
		// one not live. A live member's new register is stored in its
		// slot, with no name: the lent one serves.
		name := mb.Name
		switch {
		case !d.lent, live && !mb.Dead:
		case live:
			name = x.names.at(int(cur.at))
		default:
			name = strings.Clone(name)
		}
		if mb.Dead {
			if live {
				x.unlink(cur.at)
				x.m.del(name)
			}
			if !keep {
				delete(x.dead, name)
				continue
			}
			if x.dead == nil {
				x.dead = make(map[string]hlc.Stamp)
			}
			x.dead[name] = mb.S
			x.sum += deadSum(name, mb.S)
			x.ts = x.ts.Max(mb.S)
			continue
		}
		if dead {
			delete(x.dead, name)
		}
		st := mstate{s: mb.S, v: mb.Value}
		if d.lent {
			st.v = strings.Clone(st.v)
		}
		if live {
			st.at = cur.at
		} else {
			st.at = x.link(name)
		}
		st.h = memberSum(name, st)
		if live {
			*x.m.at(at) = st // nothing moved the member since find
		} else {
			x.m.put(name, st)
		}
		x.sum += st.h
		x.ts = x.ts.Max(mb.S)
	}
	return x
}

func (x *memberMap) prune(r hlc.Stamp) bool {
	if x.ts.Less(r) {
		return false
	}
	x.ts = hlc.Stamp{}
	for name, st := range x.m.all() {
		if st.s.Less(r) {
			// Read again: an unlink before may have moved it.
			x.unlink(x.m.at(x.m.find(name)).at)
			x.sum -= st.h
			x.m.del(name)
		} else {
			x.ts = x.ts.Max(st.s)
		}
	}
	for name, s := range x.dead {
		if s.Less(r) {
			x.sum -= deadSum(name, s)
			delete(x.dead, name)
		} else {
			x.ts = x.ts.Max(s)
		}
	}
	return !x.hollow()
}

func (x *memberMap) state(d *ValDelta) {
	x.unsortedState(d)
	sort.Slice(d.Members, func(i, j int) bool { return d.Members[i].Name < d.Members[j].Name })
}

// unsortedState is state with the members in the maps' order.
func (x *memberMap) unsortedState(d *ValDelta) {
	*d = ValDelta{Kind: x.k, TS: x.ts}
	if n := x.m.len() + len(x.dead); n > 0 {
		d.Members = make([]Member, 0, n)
		for name, st := range x.m.all() {
			d.Members = append(d.Members, Member{Name: name, S: st.s, Value: st.v})
		}
		for name, s := range x.dead {
			d.Members = append(d.Members, Member{Name: name, S: s, Dead: true})
		}
	}
}

// states gives part the set's or hash's state in parts of at most
// statePart members, live ones first, in the maps' order. It reports
// whether part asked for more.
func (x *memberMap) states(part func(ValDelta) bool) bool {
	members := make([]Member, 0, statePart)
	add := func(m Member) bool {
		if members = append(members, m); len(members) < statePart {
			return true
		}
		ok := part(ValDelta{Members: members})
		members = members[:0]
		return ok
	}
	for name, st := range x.m.all() {
		if !add(Member{Name: name, S: st.s, Value: st.v}) {
			return false
		}
	}
	for name, s := range x.dead {
		if !add(Member{Name: name, S: s, Dead: true}) {
			return false
		}
	}
	return len(members) == 0 || part(ValDelta{Members: members})
}

// Each implements proto.Members.
func (x *memberMap) Each(fn func(string)) {
	for name := range x.m.all() {
		fn(name)
	}
}

// Has implements proto.Members.
func (x *memberMap) Has(member string) bool {
	return x.m.has(member)
}

// multi holds the values of several types on one key. It only arises when
// replicas created the key concurrently with different types; the type with
// the latest type stamp is the visible one (entry.visible).
type multi struct{ vals []value }

func (x *multi) kind() proto.Type { return proto.TypeNone }
func (x *multi) stamp() hlc.Stamp {
	var m hlc.Stamp
	for _, v := range x.vals {
		m = m.Max(v.stamp())
	}
	return m
}
func (x *multi) live() bool {
	for _, v := range x.vals {
		if v.live() {
			return true
		}
	}
	return false
}
func (x *multi) hollow() bool {
	for _, v := range x.vals {
		if !v.hollow() {
			return false
		}
	}
	return true
}
func (x *multi) join(*ValDelta, hlc.Stamp, bool) value { panic("storage: join on multi") }
func (x *multi) state(*ValDelta)                       { panic("storage: state of multi") }
func (x *multi) prune(r hlc.Stamp) bool {
	kept := x.vals[:0]
	for _, v := range x.vals {
		if v.prune(r) {
			kept = append(kept, v)
		}
	}
	clear(x.vals[len(kept):])
	x.vals = kept
	return len(kept) > 0
}

// wholeValue returns v whole as a value delta stamped at t: a register at
// t, or every element and member at t (a list's numbered 0, 1, … in their
// order), so that with a reset at t it replaces whatever a key held.
func wholeValue(v value, t hlc.Stamp) ValDelta {
	switch v := v.(type) {
	case strVal:
		return ValDelta{Kind: proto.TypeStr, TS: t, Reg: t, Str: v.str()}
	case *counter[int64]:
		return ValDelta{Kind: proto.TypeInt, TS: t, Reg: t, Int: v.value()}
	case *counter[float64]:
		return ValDelta{Kind: proto.TypeFloat, TS: t, Reg: t, Float: v.value()}
	case *memberMap:
		d := ValDelta{Kind: v.k, TS: t, Members: make([]Member, 0, v.nlive())}
		for name, st := range v.m.all() {
			d.Members = append(d.Members, Member{Name: name, S: t, Value: st.v})
		}
		slices.SortFunc(d.Members, func(a, b Member) int { return strings.Compare(a.Name, b.Name) })
		return d
	case *listVal:
		d := ValDelta{Kind: proto.TypeList, TS: t, Elems: make([]Elem, v.elems.n)}
		v.elems.each(0, v.elems.n-1, func(i int, e elemView) bool {
			d.Elems[i] = Elem{ID: ElemID{Pos: int64(i), S: t}, VS: t, Value: string(e.v)}
			return true
		})
		return d
	}
	panic(fmt.Sprintf("storage: a whole value of a %T", v))
}
