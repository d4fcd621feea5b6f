package storage

import (
	"fmt"

	"github.com/vanitydb/vanity/proto"
)

// The SET commands, set algebra among them.

func (c *Ctx) execSet(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdSetAdd, proto.CmdSetAll, proto.CmdSetRemove, proto.CmdSetDiscard, proto.CmdSetLen, proto.CmdSetContains,
		proto.CmdSetRandom, proto.CmdSetScan:
		key := req.Key()
		v, stored := c.read(key)
		x, ok := v.(*memberMap)
		if v != nil && (!ok || x.k != proto.TypeSet) {
			return proto.AppendBadTypeMsg(dst, proto.MsgNotASet), true
		}
		return c.setOne(req, key, x, stored, dst), true
	case proto.CmdSetMove:
		return c.setMove(req, dst), true
	case proto.CmdSetUnion, proto.CmdSetUnionInto, proto.CmdSetUnionLen,
		proto.CmdSetIntersect, proto.CmdSetIntersectInto, proto.CmdSetIntersectLen, proto.CmdSetIntersectLenUpTo,
		proto.CmdSetDiff, proto.CmdSetDiffInto, proto.CmdSetDiffLen, proto.CmdSetDiffMany, proto.CmdSetDiffManyInto:
		return c.setAlgebra(req, dst), true
	}
	return dst, false
}

func (c *Ctx) setOne(req *proto.Request, key []byte, x *memberMap, stored bool, dst []byte) []byte {
	n := 0
	if x != nil {
		n = x.nlive()
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
		d := c.begin(key, stored)
		d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: borrow(&c.Borrowed.members, len(req.Elems)), lent: true}
		var seen firstSeen
		for _, m := range req.Elems {
			if seen.first(m) {
				d.Val.Members = append(d.Val.Members, Member{Name: c.Borrowed.str(m), S: c.T})
			}
		}
		return proto.AppendInt(ok, int64(c.commitAdds(key, d, x)))
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
		c.removeMembers(key, stored, proto.TypeSet, gone, n)
		return proto.AppendInt(ok, int64(len(gone)))
	case proto.CmdSetScan:
		return scanMembers(req, proto.TypeSet, x, dst)
	case proto.CmdSetRandom:
		if req.Int[0] < -proto.MaxRandomDraws {
			return proto.AppendErrorMsg(dst, tooManyDraws(req.Cmd))
		}
		return randomMembers(ok, x, req.Int[0], c.Rand)
	case proto.CmdSetRemove:
		if x == nil || req.Int[0] == 0 {
			return proto.AppendStrings[string](ok, proto.TypeSet, nil)
		}
		k := x.nlive()
		if req.Int[0] > 0 && req.Int[0] < int64(k) {
			k = int(req.Int[0])
		}
		names := x.pick(k, c.Rand)
		gone := make([]Member, len(names))
		for i, name := range names {
			gone[i] = Member{Name: name, S: c.T, Dead: true}
		}
		c.removeMembers(key, stored, proto.TypeSet, gone, n)
		return proto.AppendStrings(ok, proto.TypeSet, names)
	}
	return dst
}

// tooManyDraws refuses a SET_RANDOM or HASH_RANDOM of more draws with
// repeats than proto.MaxRandomDraws.
func tooManyDraws(cmd proto.Command) string {
	return fmt.Sprintf("%s draws at most %d members with repeats: ask for a count of -%d or more",
		cmd, proto.MaxRandomDraws, proto.MaxRandomDraws)
}

// randomMembers answers SET_RANDOM and HASH_RANDOM of x (nil: a missing
// key): count distinct members chosen uniformly (all of them if fewer),
// or for a negative count, -count independent draws, which may repeat; a
// LIST of the members, or of a hash's fields each followed by its value.
func randomMembers(dst []byte, x *memberMap, count int64, rand func(int) int) []byte {
	n := 0
	if x != nil {
		n = x.nlive()
	}
	var names []string
	switch {
	case n == 0 || count == 0:
	case count > 0:
		names = x.pick(int(min(count, int64(n))), rand)
	default:
		names = make([]string, -count)
		for i := range names {
			names[i] = x.names.at(rand(n))
		}
	}
	if x == nil || x.k != proto.TypeHash {
		return proto.AppendStrings(dst, proto.TypeList, names)
	}
	dst = proto.AppendContainerHeader(dst, proto.TypeList, 2*len(names))
	for _, name := range names {
		dst = proto.AppendBody(proto.AppendBody(dst, name), x.valueOf(name))
	}
	return proto.AppendContainerEnd(dst, proto.TypeList)
}

// removeMembers writes the removal of gone members (or fields) from a
// value that holds n live ones, clearing the deadline if it empties.
func (c *Ctx) removeMembers(key []byte, stored bool, k proto.Type, gone []Member, n int) {
	if len(gone) == 0 {
		return
	}
	d := c.begin(key, stored)
	d.Val = ValDelta{Kind: k, TS: c.T, Members: gone}
	if len(gone) == n {
		c.clearExpiry(d, key, stored)
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
		c.removeMembers(src, se, proto.TypeSet, []Member{{Name: string(member), S: c.T, Dead: true}}, sx.nlive())
		d := c.begin(dstKey, de)
		d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: []Member{{Name: string(member), S: c.T}}}
		c.commit(dstKey, d)
	}
	return proto.AppendBool(append(dst, proto.ReplyOK...), true)
}

// setAlgebra runs the union, intersection and difference commands on
// this node's sets (algebra.go).
func (c *Ctx) setAlgebra(req *proto.Request, dst []byte) []byte {
	dest, keys, _ := proto.Operands(req)
	// Type-check every existing key before computing anything.
	sets := make([]proto.Members, len(keys))
	for i, k := range keys {
		v, _ := c.read(k)
		x, ok := v.(*memberMap)
		if v != nil && (!ok || x.k != proto.TypeSet) {
			return proto.AppendBadTypeMsg(dst, proto.MsgNotASet)
		}
		if x != nil {
			sets[i] = x
		}
	}
	members := proto.Combine(req.Cmd, sets)
	if proto.IsInto(req.Cmd) {
		d := c.newDelta(dest)
		d.Reset = c.T
		if len(members) > 0 {
			d.Val = ValDelta{Kind: proto.TypeSet, TS: c.T, Members: make([]Member, len(members))}
			for i, name := range members {
				d.Val.Members[i] = Member{Name: name, S: c.T}
			}
		}
		c.commit(dest, d)
	}
	return proto.AppendCombined(dst, req, members)
}

// ---- hashes ----

// firstSeen reports, for each element, whether it is the first occurrence of
// its bytes. Small inputs are checked pairwise; large ones use a map. The
// first element is kept apart, so that a command of one (the usual SADD or
// HASH_UPDATE) allocates nothing here.
type firstSeen struct {
	one   []byte
	n     int
	small [][]byte // the elements after one, while few
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
	if f.n == 0 {
		f.one, f.n = b, 1
		return true
	}
	if string(f.one) == string(b) {
		return false
	}
	for _, s := range f.small {
		if string(s) == string(b) {
			return false
		}
	}
	f.small = append(f.small, b)
	if len(f.small) > 16 {
		f.big = make(map[string]struct{}, 64)
		f.big[string(f.one)] = struct{}{}
		for _, s := range f.small {
			f.big[string(s)] = struct{}{}
		}
	}
	return true
}
