package storage

import (
	"math"
	"slices"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// Ctx carries what one command needs besides its request: the stamp it
// writes with (whose wall time is also its notion of now), the database,
// where keys live, and a source of randomness. The deltas of its writes are
// appended to Deltas, already applied to their shards.
type Ctx struct {
	T  hlc.Stamp
	DB int
	// Locate returns the shard holding key. The caller holds whatever locks
	// the shards need for the duration of the command.
	Locate func(key []byte) *Shard
	// Rand returns a uniform integer in [0, n).
	Rand   func(n int) int
	Deltas []Delta
}

// now is the command's wall time in unix milliseconds.
func (c *Ctx) now() int64 { return c.T.Wall() }

// read returns the visible value of key (nil when missing or expired) and
// its entry.
func (c *Ctx) read(key []byte) (value, *entry) {
	sh := c.Locate(key)
	e := sh.lookup(c.DB, key)
	if e == nil || sh.expired(c.DB, key, c.now()) {
		return nil, e
	}
	return e.visible(), e
}

// deadline returns key's live deadline, or 0.
func (c *Ctx) deadline(key []byte) int64 { return c.Locate(key).deadline(c.DB, key) }

// newDelta starts a delta for key in c.Deltas, whose storage is reused
// from command to command. The pointer is valid until the next newDelta.
func (c *Ctx) newDelta(key []byte) *Delta {
	c.Deltas = append(c.Deltas, Delta{DB: uint8(c.DB), Key: string(key)})
	return &c.Deltas[len(c.Deltas)-1]
}

// begin starts the delta of a write to key. If the key has expired the
// delta first removes it, so the write acts on a missing key.
func (c *Ctx) begin(key []byte, e *entry) *Delta {
	d := c.newDelta(key)
	if e != nil {
		if at := c.deadline(key); at != 0 && c.now() > at {
			d.Reset = hlc.EndOfMilli(at)
		}
	}
	return d
}

// commit applies d, which newDelta made, to the shard of key.
func (c *Ctx) commit(key []byte, d *Delta) {
	c.Locate(key).Apply(d)
}

// clearExpiry makes d clear the key's deadline, as deleting a key does.
func (c *Ctx) clearExpiry(d *Delta, key []byte, e *entry) {
	if e != nil && c.deadline(key) != 0 {
		d.Exp = Expiry{S: c.T}
	}
}

// Exec runs one data command and appends its reply to dst. RESET, which
// spans every shard, is built with ResetDelta instead; session, user and
// server commands never reach storage.
func Exec(c *Ctx, req *proto.Request, dst []byte) []byte {
	switch req.Cmd {
	case proto.CmdGet:
		v, _ := c.read(req.Key())
		if v == nil {
			return append(dst, proto.ReplyNull...)
		}
		return appendValue(append(dst, proto.ReplyOK...), v)
	case proto.CmdSet:
		return c.set(req, dst)
	case proto.CmdDel:
		return c.del(req.Key(), dst)
	case proto.CmdExists:
		if v, _ := c.read(req.Key()); v == nil {
			return append(dst, proto.ReplyNull...)
		}
		return append(dst, proto.ReplyOK...)
	case proto.CmdType:
		v, _ := c.read(req.Key())
		if v == nil {
			return append(dst, proto.ReplyNull...)
		}
		return proto.AppendTypeOnly(append(dst, proto.ReplyOK...), v.kind())
	case proto.CmdIncrInt:
		return c.incrInt(req.Key(), req.Int[0], dst)
	case proto.CmdIncrFloat:
		return c.incrFloat(req.Key(), req.Float, dst)
	case proto.CmdStrLen:
		v, _ := c.read(req.Key())
		s, ok := v.(strVal)
		if !ok {
			return append(dst, proto.ReplyBadType...)
		}
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(s.str())))
	case proto.CmdManyGet:
		dst = proto.AppendContainerHeader(append(dst, proto.ReplyOK...), proto.TypeArr, len(req.Elems))
		for _, k := range req.Elems {
			if v, _ := c.read(k); v != nil {
				dst = appendValue(dst, v)
			} else {
				dst = proto.AppendNull(dst)
			}
		}
		return proto.AppendContainerEnd(dst, proto.TypeArr)
	case proto.CmdSetExpiry:
		return c.setExpiry(req.Key(), req.Float, dst)
	case proto.CmdGetExpiry:
		v, _ := c.read(req.Key())
		at := c.deadline(req.Key())
		if v == nil || at == 0 {
			return append(dst, proto.ReplyNull...)
		}
		return proto.AppendFloat(append(dst, proto.ReplyOK...), float64(at-c.now())/1000)
	case proto.CmdClearExpiry:
		if v, e := c.read(req.Key()); v != nil && c.deadline(req.Key()) != 0 {
			d := c.begin(req.Key(), e)
			d.Exp = Expiry{S: c.T}
			c.commit(req.Key(), d)
		}
		return append(dst, proto.ReplyOK...)
	}
	if dst, ok := c.execList(req, dst); ok {
		return dst
	}
	if dst, ok := c.execSet(req, dst); ok {
		return dst
	}
	if dst, ok := c.execHash(req, dst); ok {
		return dst
	}
	return proto.AppendInternalError(dst, "storage: not a data command: "+req.Cmd.String())
}

// StoreSet replaces key with a set of exactly members (none: deletes it)
// and appends OK:INT with its size. Routers use it to finish a
// SET_*_INTO whose sources live on other nodes.
func StoreSet(c *Ctx, key []byte, members [][]byte, dst []byte) []byte {
	d := c.newDelta(key)
	d.Reset = c.T
	var seen firstSeen
	n := 0
	if len(members) > 0 {
		d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: make([]Member, 0, len(members))}
		for _, m := range members {
			if seen.first(m) {
				d.Val.Members = append(d.Val.Members, Member{Name: string(m), S: c.T})
				n++
			}
		}
	}
	c.commit(key, d)
	return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n))
}

// ResetDelta returns the delta that empties database db of one shard.
func ResetDelta(db int, t hlc.Stamp) Delta {
	return Delta{DB: uint8(db), DBWide: true, Reset: t}
}

// appendValue appends the annotated value of v, as GET shows it.
func appendValue(dst []byte, v value) []byte {
	switch x := v.(type) {
	case strVal:
		return proto.AppendStr(dst, x.str())
	case *counter[int64]:
		return proto.AppendInt(dst, x.value())
	case *counter[float64]:
		return proto.AppendFloat(dst, x.value())
	case *listVal:
		return appendList(dst, x, 0, x.elems.n-1)
	case *memberMap:
		return appendMembers(dst, x)
	}
	return proto.AppendNull(dst)
}

func appendList(dst []byte, x *listVal, from, to int) []byte {
	n := max(0, to-from+1)
	dst = proto.AppendContainerHeader(dst, proto.TypeList, n)
	for i := from; i <= to; i++ {
		dst = proto.AppendBody(dst, x.elems.ptr(i).v)
	}
	return proto.AppendContainerEnd(dst, proto.TypeList)
}

func appendMembers(dst []byte, x *memberMap) []byte {
	dst = proto.AppendContainerHeader(dst, x.k, x.nlive)
	for name, st := range x.m {
		if st.dead {
			continue
		}
		dst = proto.AppendBody(dst, name)
		if x.k == proto.TypeHash {
			dst = proto.AppendBody(dst, st.v)
		}
	}
	return proto.AppendContainerEnd(dst, x.k)
}

func (c *Ctx) set(req *proto.Request, dst []byte) []byte {
	key := req.Key()
	d := c.newDelta(key)
	d.Reset = c.T
	d.Val = ValDelta{Kind: req.Type, TS: c.T, Reg: c.T}
	switch req.Type {
	case proto.TypeStr:
		d.Val.cell = newStrCell(c.T, req.Str[1])
		d.Val.Str = d.Val.cell.str()
	case proto.TypeInt:
		d.Val.Int = req.Int[0]
	case proto.TypeFloat:
		d.Val.Float = req.Float
	}
	c.commit(key, d)
	return append(dst, proto.ReplyOK...)
}

func (c *Ctx) del(key []byte, dst []byte) []byte {
	if v, _ := c.read(key); v == nil {
		return append(dst, proto.ReplyError...)
	}
	d := c.newDelta(key)
	d.Reset = c.T
	c.commit(key, d)
	return append(dst, proto.ReplyOK...)
}

func (c *Ctx) incrInt(key []byte, delta int64, dst []byte) []byte {
	v, e := c.read(key)
	var cur int64
	var x *counter[int64]
	if v != nil {
		var ok bool
		if x, ok = v.(*counter[int64]); !ok {
			return append(dst, proto.ReplyBadType...)
		}
		cur = x.value()
	}
	sum := cur + delta
	if (delta > 0 && sum < cur) || (delta < 0 && sum > cur) {
		return proto.AppendErrorMsg(dst, proto.MsgIntegerOverflow)
	}
	d := c.begin(key, e)
	if x == nil {
		x = &counter[int64]{k: proto.TypeInt}
	}
	d.Val = x.increment(c.T, delta, sum)
	c.commit(key, d)
	return proto.AppendInt(append(dst, proto.ReplyOK...), sum)
}

func (c *Ctx) incrFloat(key []byte, delta float64, dst []byte) []byte {
	v, e := c.read(key)
	var x *counter[float64]
	if v != nil {
		var ok bool
		if x, ok = v.(*counter[float64]); !ok {
			return append(dst, proto.ReplyBadType...)
		}
	}
	d := c.begin(key, e)
	var cur float64
	if x == nil {
		x = &counter[float64]{k: proto.TypeFloat}
	} else {
		cur = x.value()
	}
	sum := cur + delta
	d.Val = x.increment(c.T, delta, sum)
	c.commit(key, d)
	return proto.AppendFloat(append(dst, proto.ReplyOK...), sum)
}

func (c *Ctx) setExpiry(key []byte, secs float64, dst []byte) []byte {
	if math.IsNaN(secs) || math.IsInf(secs, 0) {
		return proto.AppendErrorMsg(dst, proto.MsgInvalidExpiry)
	}
	v, e := c.read(key)
	if v == nil {
		return append(dst, proto.ReplyOK...)
	}
	d := c.begin(key, e)
	if secs <= 0 {
		d.Reset = c.T
	} else {
		ms := math.Ceil(secs * 1000)
		at := int64(hlc.MaxWall)
		if ms < float64(hlc.MaxWall-c.now()) {
			at = c.now() + int64(ms)
		}
		d.Exp = Expiry{S: c.T, At: at}
	}
	c.commit(key, d)
	return append(dst, proto.ReplyOK...)
}

// ---- lists ----

func (c *Ctx) execList(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdListLen, proto.CmdListGet, proto.CmdListSet, proto.CmdListPushLeft, proto.CmdListPushRight,
		proto.CmdListPopLeft, proto.CmdListPopRight, proto.CmdListRange, proto.CmdListTrim, proto.CmdListRemove:
	default:
		return dst, false
	}
	key := req.Key()
	v, e := c.read(key)
	x, ok := v.(*listVal)
	if v != nil && !ok {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotAList), true
	}
	n := 0
	if x != nil {
		n = x.elems.n
	}
	switch req.Cmd {
	case proto.CmdListLen:
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n)), true
	case proto.CmdListGet, proto.CmdListSet:
		i := req.Int[0]
		if i < 0 {
			i += int64(n)
		}
		if i < 0 || i >= int64(n) {
			return proto.AppendErrorMsg(dst, proto.MsgIndexOutOfRange), true
		}
		el := x.elems.at(int(i))
		if req.Cmd == proto.CmdListGet {
			return proto.AppendStr(append(dst, proto.ReplyOK...), el.v), true
		}
		d := c.begin(key, e)
		d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Elems: []Elem{{ID: el.id, VS: c.T, Value: string(req.Str[1])}}}
		c.commit(key, d)
		return append(dst, proto.ReplyOK...), true
	case proto.CmdListPushLeft, proto.CmdListPushRight:
		if len(req.Elems) == 0 {
			return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n)), true
		}
		d := c.begin(key, e)
		d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Elems: make([]Elem, len(req.Elems))}
		var pos int64
		step := int64(1)
		if req.Cmd == proto.CmdListPushLeft {
			step = -1
			if n > 0 {
				pos = x.elems.at(0).id.Pos
			} else {
				pos = 1
			}
		} else if n > 0 {
			pos = x.elems.at(n - 1).id.Pos
		} else {
			pos = -1
		}
		for i, s := range req.Elems {
			pos += step
			d.Val.Elems[i] = Elem{ID: ElemID{Pos: pos, S: c.T}, VS: c.T, Value: string(s)}
		}
		c.commit(key, d)
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n+len(req.Elems))), true
	case proto.CmdListPopLeft, proto.CmdListPopRight:
		k := popCount(req.Int[0], n)
		from := 0
		if req.Cmd == proto.CmdListPopRight {
			from = n - k
		}
		dst = appendList(append(dst, proto.ReplyOK...), x, from, from+k-1)
		if k > 0 {
			c.removeElems(key, e, x, from, from+k-1)
		}
		return dst, true
	case proto.CmdListRange:
		s, t, ok := listRange(req.Int[0], req.Int[1], n)
		if !ok || s > t {
			return appendList(append(dst, proto.ReplyOK...), x, 0, -1), true
		}
		return appendList(append(dst, proto.ReplyOK...), x, s, t), true
	case proto.CmdListTrim:
		s, t, ok := listRange(req.Int[0], req.Int[1], n)
		if n == 0 || !ok {
			return proto.AppendInt(append(dst, proto.ReplyOK...), 0), true
		}
		if s > t {
			s, t = n, n-1 // empty kept range: remove everything
		}
		removed := n - (t - s + 1)
		if removed > 0 {
			d := c.begin(key, e)
			d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: make([]Tomb, 0, removed)}
			for i := 0; i < n; i++ {
				if i < s || i > t {
					d.Val.Tombs = append(d.Val.Tombs, Tomb{ID: x.elems.at(i).id, S: c.T})
				}
			}
			if removed == n {
				c.clearExpiry(d, key, e)
			}
			c.commit(key, d)
		}
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(removed)), true
	case proto.CmdListRemove:
		var tombs []Tomb
		target := string(req.Str[1])
		count := req.Int[0]
		limit := n
		if count != 0 {
			limit = int(min(absCount(count), int64(n)))
		}
		if count >= 0 {
			for i := 0; i < n && len(tombs) < limit; i++ {
				if el := x.elems.ptr(i); el.v == target {
					tombs = append(tombs, Tomb{ID: el.id, S: c.T})
				}
			}
		} else {
			for i := n - 1; i >= 0 && len(tombs) < limit; i-- {
				if el := x.elems.ptr(i); el.v == target {
					tombs = append(tombs, Tomb{ID: el.id, S: c.T})
				}
			}
		}
		if len(tombs) > 0 {
			d := c.begin(key, e)
			d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: tombs}
			if len(tombs) == n {
				c.clearExpiry(d, key, e)
			}
			c.commit(key, d)
		}
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(tombs))), true
	}
	return dst, false
}

func absCount(c int64) int64 {
	if c == math.MinInt64 {
		return math.MaxInt64
	}
	if c < 0 {
		return -c
	}
	return c
}

// removeElems removes the elements from..to (inclusive) of list x.
func (c *Ctx) removeElems(key []byte, e *entry, x *listVal, from, to int) {
	d := c.begin(key, e)
	d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: make([]Tomb, 0, to-from+1)}
	for i := from; i <= to; i++ {
		d.Val.Tombs = append(d.Val.Tombs, Tomb{ID: x.elems.at(i).id, S: c.T})
	}
	if to-from+1 == x.elems.n {
		c.clearExpiry(d, key, e)
	}
	c.commit(key, d)
}

// popCount is the number of elements LIST_POP_* removes (PROTOCOL.md §6.3).
func popCount(count int64, n int) int {
	switch {
	case count >= int64(n):
		return n
	case count >= 0:
		return int(count)
	case count >= -int64(n):
		return n + int(count)
	}
	return 0
}

// listRange normalises LIST_RANGE/LIST_TRIM indexes (PROTOCOL.md §6.3). It
// returns ok=false for an invalid pair, and s > t for an empty range.
func listRange(start, end int64, n int) (int, int, bool) {
	if start > 0 && end > 0 && start > end || start < 0 && end < 0 && start > end {
		return 0, -1, false
	}
	ln := int64(n)
	s := start
	if s < 0 {
		s = max(s+ln, 0)
	}
	t := end
	if t < 0 {
		t += ln
	} else {
		t = min(t, ln-1)
	}
	if s > t || s >= ln || t < 0 {
		return 0, -1, true
	}
	return int(s), int(t), true
}

// ---- sets ----

func (c *Ctx) execSet(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdSetAdd, proto.CmdSetAll, proto.CmdSetRemove, proto.CmdSetDiscard, proto.CmdSetLen, proto.CmdSetContains:
		key := req.Key()
		v, e := c.read(key)
		x, ok := v.(*memberMap)
		if v != nil && (!ok || x.k != proto.TypeSet) {
			return proto.AppendBadTypeMsg(dst, proto.MsgNotASet), true
		}
		return c.setOne(req, key, x, e, dst), true
	case proto.CmdSetMove:
		return c.setMove(req, dst), true
	case proto.CmdSetUnion, proto.CmdSetUnionInto, proto.CmdSetUnionLen,
		proto.CmdSetIntersect, proto.CmdSetIntersectInto, proto.CmdSetIntersectLen,
		proto.CmdSetDiff, proto.CmdSetDiffInto, proto.CmdSetDiffLen:
		return c.setAlgebra(req, dst), true
	}
	return dst, false
}

func (c *Ctx) setOne(req *proto.Request, key []byte, x *memberMap, e *entry, dst []byte) []byte {
	n := 0
	if x != nil {
		n = x.nlive
	}
	ok := append(dst, proto.ReplyOK...)
	switch req.Cmd {
	case proto.CmdSetLen:
		return proto.AppendInt(ok, int64(n))
	case proto.CmdSetAll:
		if x == nil {
			return proto.AppendStrings[string](ok, proto.TypeSet, nil)
		}
		return appendMembers(ok, x)
	case proto.CmdSetContains:
		has := false
		if x != nil {
			_, has = x.get(req.Str[1])
		}
		return proto.AppendBool(ok, has)
	case proto.CmdSetAdd:
		if len(req.Elems) == 0 {
			return proto.AppendInt(ok, 0)
		}
		d := c.begin(key, e)
		d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: make([]Member, 0, len(req.Elems))}
		added := 0
		var seen firstSeen
		for _, m := range req.Elems {
			if !seen.first(m) {
				continue
			}
			name := string(m)
			if x == nil || d.Reset != (hlc.Stamp{}) {
				added++
			} else if _, has := x.get(m); !has {
				added++
			}
			d.Val.Members = append(d.Val.Members, Member{Name: name, S: c.T})
		}
		c.commit(key, d)
		return proto.AppendInt(ok, int64(added))
	case proto.CmdSetDiscard:
		var gone []Member
		var seen firstSeen
		if x != nil {
			for _, m := range req.Elems {
				if _, has := x.get(m); has && seen.first(m) {
					gone = append(gone, Member{Name: string(m), S: c.T, Dead: true})
				}
			}
		}
		c.removeMembers(key, e, proto.TypeSet, gone, n)
		return proto.AppendInt(ok, int64(len(gone)))
	case proto.CmdSetRemove:
		if x == nil || req.Int[0] == 0 {
			return proto.AppendStrings[string](ok, proto.TypeSet, nil)
		}
		names := x.liveNames()
		k := len(names)
		if req.Int[0] > 0 && req.Int[0] < int64(k) {
			k = int(req.Int[0])
			// A partial Fisher-Yates shuffle picks k distinct members.
			for i := 0; i < k; i++ {
				j := i + c.Rand(len(names)-i)
				names[i], names[j] = names[j], names[i]
			}
			names = names[:k]
		}
		gone := make([]Member, len(names))
		for i, name := range names {
			gone[i] = Member{Name: name, S: c.T, Dead: true}
		}
		c.removeMembers(key, e, proto.TypeSet, gone, n)
		return proto.AppendStrings(ok, proto.TypeSet, names)
	}
	return dst
}

// removeMembers writes the removal of gone members (or fields) from a
// value that holds n live ones, clearing the deadline if it empties.
func (c *Ctx) removeMembers(key []byte, e *entry, k proto.Type, gone []Member, n int) {
	if len(gone) == 0 {
		return
	}
	d := c.begin(key, e)
	d.Val = ValDelta{Kind: k, TS: c.T, Members: gone}
	if len(gone) == n {
		c.clearExpiry(d, key, e)
	}
	c.commit(key, d)
}

func (c *Ctx) setMove(req *proto.Request, dst []byte) []byte {
	src, dstKey, member := req.Str[0], req.Str[1], req.Str[2]
	sv, se := c.read(src)
	sx, ok := sv.(*memberMap)
	if sv != nil && (!ok || sx.k != proto.TypeSet) {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotASet)
	}
	dv, de := c.read(dstKey)
	dx, ok := dv.(*memberMap)
	if dv != nil && (!ok || dx.k != proto.TypeSet) {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotASet)
	}
	if sx == nil {
		return proto.AppendBool(append(dst, proto.ReplyOK...), false)
	}
	if _, has := sx.get(member); !has {
		return proto.AppendBool(append(dst, proto.ReplyOK...), false)
	}
	if string(src) != string(dstKey) {
		c.removeMembers(src, se, proto.TypeSet, []Member{{Name: string(member), S: c.T, Dead: true}}, sx.nlive)
		d := c.begin(dstKey, de)
		d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: []Member{{Name: string(member), S: c.T}}}
		c.commit(dstKey, d)
	}
	return proto.AppendBool(append(dst, proto.ReplyOK...), true)
}

// setAlgebra runs the union, intersection and difference commands.
func (c *Ctx) setAlgebra(req *proto.Request, dst []byte) []byte {
	var keys [][]byte
	var dest []byte
	switch req.Cmd {
	case proto.CmdSetUnion, proto.CmdSetUnionLen, proto.CmdSetIntersect, proto.CmdSetIntersectLen:
		keys = req.Elems
	case proto.CmdSetUnionInto, proto.CmdSetIntersectInto:
		dest, keys = req.Str[0], req.Elems
	case proto.CmdSetDiff, proto.CmdSetDiffLen:
		keys = [][]byte{req.Str[0], req.Str[1]}
	case proto.CmdSetDiffInto:
		dest, keys = req.Str[0], [][]byte{req.Str[1], req.Str[2]}
	}
	// Type-check every existing key before computing anything.
	sets := make([]*memberMap, len(keys))
	for i, k := range keys {
		v, _ := c.read(k)
		x, ok := v.(*memberMap)
		if v != nil && (!ok || x.k != proto.TypeSet) {
			return proto.AppendBadTypeMsg(dst, proto.MsgNotASet)
		}
		sets[i] = x
	}
	result := map[string]struct{}{}
	switch req.Cmd {
	case proto.CmdSetUnion, proto.CmdSetUnionInto, proto.CmdSetUnionLen:
		for _, x := range sets {
			if x != nil {
				for name, st := range x.m {
					if !st.dead {
						result[name] = struct{}{}
					}
				}
			}
		}
	case proto.CmdSetIntersect, proto.CmdSetIntersectInto, proto.CmdSetIntersectLen:
		if len(sets) > 0 && !slices.Contains(sets, nil) {
			for name, st := range sets[0].m {
				if st.dead {
					continue
				}
				in := true
				for _, x := range sets[1:] {
					if _, has := x.get([]byte(name)); !has {
						in = false
						break
					}
				}
				if in {
					result[name] = struct{}{}
				}
			}
		}
	default: // difference
		if sets[0] != nil {
			for name, st := range sets[0].m {
				if st.dead {
					continue
				}
				if sets[1] != nil {
					if _, has := sets[1].get([]byte(name)); has {
						continue
					}
				}
				result[name] = struct{}{}
			}
		}
	}
	ok := append(dst, proto.ReplyOK...)
	switch req.Cmd {
	case proto.CmdSetUnionLen, proto.CmdSetIntersectLen, proto.CmdSetDiffLen:
		return proto.AppendInt(ok, int64(len(result)))
	case proto.CmdSetUnionInto, proto.CmdSetIntersectInto, proto.CmdSetDiffInto:
		d := c.newDelta(dest)
		d.Reset = c.T
		if len(result) > 0 {
			d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: make([]Member, 0, len(result))}
			for name := range result {
				d.Val.Members = append(d.Val.Members, Member{Name: name, S: c.T})
			}
		}
		c.commit(dest, d)
		return proto.AppendInt(ok, int64(len(result)))
	}
	ok = proto.AppendContainerHeader(ok, proto.TypeSet, len(result))
	for name := range result {
		ok = proto.AppendBody(ok, name)
	}
	return proto.AppendContainerEnd(ok, proto.TypeSet)
}

// ---- hashes ----

func (c *Ctx) execHash(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdHashSet:
		key := req.Key()
		d := c.newDelta(key)
		d.Reset = c.T
		if len(req.Elems) > 0 {
			d.Val = ValDelta{Kind: proto.TypeHash, TS: c.T, Members: hashMembers(req.Elems, c.T)}
		}
		c.commit(key, d)
		return append(dst, proto.ReplyOK...), true
	case proto.CmdHashAll, proto.CmdHashGet, proto.CmdHashContains, proto.CmdHashLen, proto.CmdHashKeyLen,
		proto.CmdHashKeys, proto.CmdHashValues, proto.CmdHashManyGet, proto.CmdHashRemove, proto.CmdHashUpdate:
	default:
		return dst, false
	}
	key := req.Key()
	v, e := c.read(key)
	if v == nil && (req.Cmd == proto.CmdHashGet || req.Cmd == proto.CmdHashKeyLen) {
		return proto.AppendErrorMsg(dst, proto.MsgBadKey), true
	}
	x, ok := v.(*memberMap)
	if v != nil && (!ok || x.k != proto.TypeHash) {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotHash), true
	}
	n := 0
	if x != nil {
		n = x.nlive
	}
	okr := append(dst, proto.ReplyOK...)
	switch req.Cmd {
	case proto.CmdHashAll:
		if x == nil {
			return proto.AppendStrings[string](okr, proto.TypeHash, nil), true
		}
		return appendMembers(okr, x), true
	case proto.CmdHashGet, proto.CmdHashKeyLen:
		val, has := x.get(req.Str[1])
		if !has {
			return proto.AppendErrorMsg(dst, proto.MsgBadKey), true
		}
		if req.Cmd == proto.CmdHashGet {
			return proto.AppendStr(okr, val), true
		}
		return proto.AppendInt(okr, int64(len(val))), true
	case proto.CmdHashContains:
		has := false
		if x != nil {
			_, has = x.get(req.Str[1])
		}
		return proto.AppendBool(okr, has), true
	case proto.CmdHashLen:
		return proto.AppendInt(okr, int64(n)), true
	case proto.CmdHashKeys, proto.CmdHashValues:
		okr = proto.AppendContainerHeader(okr, proto.TypeArr, n)
		if x != nil {
			for name, st := range x.m {
				if st.dead {
					continue
				}
				if req.Cmd == proto.CmdHashKeys {
					okr = proto.AppendStr(okr, name)
				} else {
					okr = proto.AppendStr(okr, st.v)
				}
			}
		}
		return proto.AppendContainerEnd(okr, proto.TypeArr), true
	case proto.CmdHashManyGet:
		okr = proto.AppendContainerHeader(okr, proto.TypeArr, len(req.Elems))
		for _, f := range req.Elems {
			var val string
			has := false
			if x != nil {
				val, has = x.get(f)
			}
			if has {
				okr = proto.AppendStr(okr, val)
			} else {
				okr = proto.AppendNull(okr)
			}
		}
		return proto.AppendContainerEnd(okr, proto.TypeArr), true
	case proto.CmdHashRemove:
		var gone []Member
		var seen firstSeen
		if x != nil {
			for _, f := range req.Elems {
				if _, has := x.get(f); has && seen.first(f) {
					gone = append(gone, Member{Name: string(f), S: c.T, Dead: true})
				}
			}
		}
		c.removeMembers(key, e, proto.TypeHash, gone, n)
		return proto.AppendInt(okr, int64(len(gone))), true
	case proto.CmdHashUpdate:
		if len(req.Elems) == 0 {
			return proto.AppendInt(okr, 0), true
		}
		d := c.begin(key, e)
		d.Val = ValDelta{Kind: proto.TypeHash, TS: c.T, Members: hashMembers(req.Elems, c.T)}
		added := 0
		for _, m := range d.Val.Members {
			if x == nil || d.Reset != (hlc.Stamp{}) {
				added++
			} else if _, has := x.m[m.Name]; !has || x.m[m.Name].dead {
				added++
			}
		}
		c.commit(key, d)
		return proto.AppendInt(okr, int64(added)), true
	}
	return dst, false
}

// hashMembers turns field/value pairs into field registers at t; when a
// field repeats, its first occurrence wins (PROTOCOL.md D56).
func hashMembers(pairs [][]byte, t hlc.Stamp) []Member {
	out := make([]Member, 0, len(pairs)/2)
	var seen firstSeen
	for i := 0; i+1 < len(pairs); i += 2 {
		if !seen.first(pairs[i]) {
			continue
		}
		out = append(out, Member{Name: string(pairs[i]), S: t, Value: string(pairs[i+1])})
	}
	return out
}

// firstSeen reports, for each element, whether it is the first occurrence of
// its bytes. Small inputs are checked pairwise; large ones use a map.
type firstSeen struct {
	small [][]byte
	big   map[string]struct{}
}

func (f *firstSeen) first(b []byte) bool {
	if f.big != nil {
		if _, dup := f.big[string(b)]; dup {
			return false
		}
		f.big[string(b)] = struct{}{}
		return true
	}
	for _, s := range f.small {
		if string(s) == string(b) {
			return false
		}
	}
	f.small = append(f.small, b)
	if len(f.small) > 16 {
		f.big = make(map[string]struct{}, 64)
		for _, s := range f.small {
			f.big[string(s)] = struct{}{}
		}
	}
	return true
}
