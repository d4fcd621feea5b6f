package storage

import (
	"strconv"

	"github.com/vanitydb/vanity/proto"
)

// The HASH commands.

func (c *Ctx) execHash(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdHashSet:
		key := req.Key()
		d := c.newDelta(key)
		d.Reset = c.T
		if len(req.Elems) > 0 {
			d.Val = c.hashMembers(req.Elems)
		}
		c.commit(key, d)
		return append(dst, proto.ReplyOK...), true
	case proto.CmdHashAll, proto.CmdHashGet, proto.CmdHashContains, proto.CmdHashLen, proto.CmdHashKeyLen,
		proto.CmdHashKeys, proto.CmdHashValues, proto.CmdHashManyGet, proto.CmdHashRemove, proto.CmdHashUpdate,
		proto.CmdHashIncr, proto.CmdHashSetIfAbsent, proto.CmdHashIncrFloat, proto.CmdHashScan, proto.CmdHashRandom:
	default:
		return dst, false
	}
	key := req.Key()
	v, stored := c.read(key)
	if v == nil && (req.Cmd == proto.CmdHashGet || req.Cmd == proto.CmdHashKeyLen) {
		return proto.AppendErrorMsg(dst, proto.MsgBadKey), true
	}
	x, ok := v.(*memberMap)
	if v != nil && (!ok || x.k != proto.TypeHash) {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotHash), true
	}
	n := 0
	if x != nil {
		n = x.nlive()
	}
	okr := append(dst, proto.ReplyOK...)
	switch req.Cmd {
	case proto.CmdHashScan:
		return scanMembers(req, proto.TypeHash, x, dst), true
	case proto.CmdHashRandom:
		if req.Int[0] < -proto.MaxRandomDraws {
			return proto.AppendErrorMsg(dst, tooManyDraws(req.Cmd)), true
		}
		return randomMembers(okr, x, req.Int[0], c.Rand), true
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
			for name, st := range x.m.all() {
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
		c.removeMembers(key, stored, proto.TypeHash, gone, n)
		return proto.AppendInt(okr, int64(len(gone))), true
	case proto.CmdHashSetIfAbsent:
		if x != nil {
			if _, has := x.get(req.Str[1]); has {
				return proto.AppendBool(okr, false), true
			}
		}
		d := c.begin(key, stored)
		d.Val = ValDelta{Kind: proto.TypeHash, TS: c.T, Members: []Member{{Name: string(req.Str[1]), S: c.T, Value: string(req.Str[2])}}}
		c.commit(key, d)
		return proto.AppendBool(okr, true), true
	case proto.CmdHashIncr:
		cur := int64(0)
		if x != nil {
			if text, has := x.get(req.Str[1]); has {
				var ok bool
				if cur, ok = proto.IntText(text); !ok {
					return proto.AppendErrorMsg(dst, proto.MsgFieldNotInteger), true
				}
			}
		}
		by := req.Int[0]
		sum := cur + by
		if (by > 0 && sum < cur) || (by < 0 && sum > cur) {
			return proto.AppendErrorMsg(dst, proto.MsgIntegerOverflow), true
		}
		d := c.begin(key, stored)
		d.Val = ValDelta{Kind: proto.TypeHash, TS: c.T,
			Members: []Member{{Name: string(req.Str[1]), S: c.T, Value: strconv.FormatInt(sum, 10)}}}
		c.commit(key, d)
		return proto.AppendInt(okr, sum), true
	case proto.CmdHashIncrFloat:
		cur := 0.0
		if x != nil {
			if text, has := x.get(req.Str[1]); has {
				var ok bool
				if cur, ok = parseFinite(text); !ok {
					return proto.AppendErrorMsg(dst, proto.MsgFieldNotFloat), true
				}
			}
		}
		sum := cur + req.Float
		if !finite(sum) {
			return proto.AppendErrorMsg(dst, proto.MsgNotFinite), true
		}
		text := strconv.FormatFloat(sum, 'f', -1, 64)
		d := c.begin(key, stored)
		d.Val = ValDelta{Kind: proto.TypeHash, TS: c.T, Members: []Member{{Name: string(req.Str[1]), S: c.T, Value: text}}}
		c.commit(key, d)
		return proto.AppendStr(okr, text), true
	case proto.CmdHashUpdate:
		if len(req.Elems) == 0 {
			return proto.AppendInt(okr, 0), true
		}
		d := c.begin(key, stored)
		d.Val = c.hashMembers(req.Elems)
		return proto.AppendInt(okr, int64(c.commitAdds(key, d, x))), true
	}
	return dst, false
}

// hashMembers returns the delta of field/value pairs written as field
// registers at c.T; when a field repeats, its first occurrence wins
// (PROTOCOL.md D56). Their bytes are lent (ValDelta.lent).
func (c *Ctx) hashMembers(pairs [][]byte) ValDelta {
	out := borrow(&c.Borrowed.members, len(pairs)/2)
	var seen firstSeen
	for i := 0; i+1 < len(pairs); i += 2 {
		if !seen.first(pairs[i]) {
			continue
		}
		out = append(out, Member{Name: c.Borrowed.str(pairs[i]), S: c.T, Value: c.Borrowed.str(pairs[i+1])})
	}
	return ValDelta{Kind: proto.TypeHash, TS: c.T, Members: out, lent: true}
}
