package storage

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
	"pgregory.net/rapid"
)

// model is a plain in-memory implementation of the data commands, written
// straight from PROTOCOL.md §6 and §8.2, against which storage is checked.
type model struct {
	dbs  [NumDBs]map[string]*mval
	db   int
	wall int64
}

type mval struct {
	kind     proto.Type
	s        string
	i        int64
	f        float64
	list     []string
	set      map[string]bool
	hash     map[string]string
	deadline int64
}

func newModel(wall int64) *model {
	m := &model{wall: wall}
	for i := range m.dbs {
		m.dbs[i] = map[string]*mval{}
	}
	return m
}

func (m *model) get(key string) *mval {
	v := m.dbs[m.db][key]
	if v != nil && v.deadline != 0 && m.wall > v.deadline {
		delete(m.dbs[m.db], key)
		return nil
	}
	return v
}

func (m *model) put(key string, v *mval) { m.dbs[m.db][key] = v }
func (m *model) del(key string)          { delete(m.dbs[m.db], key) }

// gc deletes key if its container became empty.
func (m *model) gc(key string) {
	v := m.dbs[m.db][key]
	if v != nil && (v.kind == proto.TypeList && len(v.list) == 0 ||
		v.kind == proto.TypeSet && len(v.set) == 0 || v.kind == proto.TypeHash && len(v.hash) == 0) {
		m.del(key)
	}
}

func mvalue(dst []byte, v *mval) []byte {
	switch v.kind {
	case proto.TypeStr:
		return proto.AppendStr(dst, v.s)
	case proto.TypeInt:
		return proto.AppendInt(dst, v.i)
	case proto.TypeFloat:
		return proto.AppendFloat(dst, v.f)
	case proto.TypeList:
		return proto.AppendStrings(dst, proto.TypeList, v.list)
	case proto.TypeSet:
		return proto.AppendStrings(dst, proto.TypeSet, keys(v.set))
	case proto.TypeHash:
		dst = proto.AppendContainerHeader(dst, proto.TypeHash, len(v.hash))
		for k, x := range v.hash {
			dst = proto.AppendBody(proto.AppendBody(dst, k), x)
		}
		return proto.AppendContainerEnd(dst, proto.TypeHash)
	}
	return dst
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

// exec runs one command on the model and returns its reply.
func (m *model) exec(req *proto.Request) string {
	key := string(req.Key())
	intR := func(n int) string { return string(proto.AppendInt([]byte("OK"), int64(n))) }
	switch req.Cmd {
	case proto.CmdGet:
		if v := m.get(key); v != nil {
			return string(mvalue([]byte("OK"), v))
		}
		return "NULL"
	case proto.CmdSet, proto.CmdSetKeepTTL:
		v := &mval{kind: req.Type, s: string(req.Str[1]), i: req.Int[0], f: req.Float}
		if old := m.get(key); old != nil && req.Cmd == proto.CmdSetKeepTTL {
			v.deadline = old.deadline
		}
		m.put(key, v)
		return "OK"
	case proto.CmdSetWith, proto.CmdGetSetWith:
		// Redis's SET with NX or XX, EX/PX, EXAT/PXAT or KEEPTTL, and GET.
		get, ms := req.Cmd == proto.CmdGetSetWith, req.Int[1]
		if req.TTL == proto.TTLAfter && ms <= 0 {
			return "ERROR(14)invalid expiry"
		}
		old, reply := m.get(key), "NULL"
		if get && old != nil {
			switch old.kind {
			case proto.TypeList, proto.TypeSet, proto.TypeHash:
				return "BAD_TYPE"
			}
			reply = string(mvalue([]byte("OK"), old))
		}
		ok := req.If == proto.KeyAlways || req.If == proto.KeyAbsent && old == nil || req.If == proto.KeyPresent && old != nil
		if ok {
			v := &mval{kind: req.Type, s: string(req.Str[1]), i: req.Int[0], f: req.Float}
			switch req.TTL {
			case proto.TTLAfter:
				v.deadline = m.wall + ms
			case proto.TTLAt:
				v.deadline = min(ms, int64(hlc.MaxWall))
			case proto.TTLKeep:
				if old != nil {
					v.deadline = old.deadline
				}
			}
			if req.TTL == proto.TTLAt && v.deadline <= m.wall {
				m.del(key)
			} else {
				m.put(key, v)
			}
		}
		if get {
			return reply
		}
		return "OK:BOOL " + strconv.FormatBool(ok)
	case proto.CmdDel:
		if m.get(key) == nil {
			return "ERROR"
		}
		m.del(key)
		return "OK"
	case proto.CmdExists:
		if m.get(key) == nil {
			return "NULL"
		}
		return "OK"
	case proto.CmdType:
		if v := m.get(key); v != nil {
			return "OK:" + v.kind.String() + " "
		}
		return "NULL"
	case proto.CmdIncrInt:
		v := m.get(key)
		if v == nil {
			v = &mval{kind: proto.TypeInt}
		} else if v.kind != proto.TypeInt {
			return "BAD_TYPE"
		}
		d := req.Int[0]
		if d > 0 && v.i > math.MaxInt64-d || d < 0 && v.i < math.MinInt64-d {
			return "ERROR(16)integer overflow"
		}
		v.i += d
		m.put(key, v)
		return "OK:INT " + strconv.FormatInt(v.i, 10)
	case proto.CmdIncrIntText:
		// Redis's INCRBY: an integer, or text that is exactly one's.
		v := m.get(key)
		var cur int64
		switch {
		case v == nil:
		case v.kind == proto.TypeInt:
			cur = v.i
		case v.kind == proto.TypeStr || v.kind == proto.TypeFloat:
			text := v.s
			if v.kind == proto.TypeFloat {
				text = string(proto.AppendFloatShort(nil, v.f))
			}
			n, err := strconv.ParseInt(text, 10, 64)
			if err != nil || strconv.FormatInt(n, 10) != text {
				return "ERROR(39)value is not an integer or out of range"
			}
			cur = n
		default:
			return "BAD_TYPE(12)not a number"
		}
		d := req.Int[0]
		if d > 0 && cur > math.MaxInt64-d || d < 0 && cur < math.MinInt64-d {
			return "ERROR(37)increment or decrement would overflow"
		}
		nv := &mval{kind: proto.TypeInt, i: cur + d}
		if v != nil {
			nv.deadline = v.deadline
		}
		m.put(key, nv)
		return "OK:INT " + strconv.FormatInt(nv.i, 10)
	case proto.CmdIncrFloat:
		v := m.get(key)
		if v == nil {
			v = &mval{kind: proto.TypeFloat}
		} else if v.kind != proto.TypeFloat {
			return "BAD_TYPE"
		}
		v.f += req.Float
		m.put(key, v)
		return string(proto.AppendFloat([]byte("OK"), v.f))
	case proto.CmdIncrNumber:
		v := m.get(key)
		var cur float64
		if v != nil {
			switch v.kind {
			case proto.TypeFloat:
				cur = v.f
			case proto.TypeInt:
				cur = float64(v.i)
			case proto.TypeStr:
				f, err := strconv.ParseFloat(v.s, 64)
				if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
					return "BAD_TYPE"
				}
				cur = f
			default:
				return "BAD_TYPE"
			}
		}
		sum := cur + req.Float
		if math.IsInf(sum, 0) || math.IsNaN(sum) {
			return "ERROR(39)increment would produce NaN or Infinity"
		}
		if v == nil {
			v = &mval{}
			m.put(key, v)
		}
		v.kind, v.f, v.s, v.i = proto.TypeFloat, sum, "", 0
		return string(proto.AppendFloat([]byte("OK"), sum))
	case proto.CmdStrLen:
		v := m.get(key)
		if v == nil || v.kind != proto.TypeStr {
			return "BAD_TYPE"
		}
		return intR(len(v.s))
	case proto.CmdManyGet:
		out := proto.AppendContainerHeader([]byte("OK"), proto.TypeArr, len(req.Elems))
		for _, k := range req.Elems {
			if v := m.get(string(k)); v != nil {
				out = mvalue(out, v)
			} else {
				out = proto.AppendNull(out)
			}
		}
		return string(proto.AppendContainerEnd(out, proto.TypeArr))
	case proto.CmdSetExpiry, proto.CmdSetExpiryIf, proto.CmdSetExpiryAt, proto.CmdSetExpiryAtIf:
		var at int64
		if req.Cmd == proto.CmdSetExpiry || req.Cmd == proto.CmdSetExpiryIf {
			if math.IsNaN(req.Float) || math.IsInf(req.Float, 0) {
				return "ERROR(14)invalid expiry"
			}
			if req.Float > 0 {
				at = m.wall + int64(math.Ceil(req.Float*1000))
			}
		} else {
			at = min(req.Int[0], int64(hlc.MaxWall))
		}
		v := m.get(key)
		ok := v != nil
		if ok {
			// Redis's EXPIRE options: NX none, XX some, GT later than
			// some, LT earlier than none (never expiring) or some.
			has, cur := v.deadline != 0, v.deadline
			switch req.When {
			case proto.DeadlineNone:
				ok = !has
			case proto.DeadlineSome:
				ok = has
			case proto.DeadlineLater:
				ok = has && at > cur
			case proto.DeadlineEarlier:
				ok = !has || at < cur
			case proto.DeadlineSomeEarlier:
				ok = has && at < cur
			}
		}
		if ok && at <= m.wall {
			m.del(key)
		} else if ok {
			v.deadline = at
		}
		if req.Cmd == proto.CmdSetExpiryIf || req.Cmd == proto.CmdSetExpiryAtIf {
			return "OK:BOOL " + strconv.FormatBool(ok)
		}
		return "OK"
	case proto.CmdGetExpiry:
		v := m.get(key)
		if v == nil || v.deadline == 0 {
			return "NULL"
		}
		return string(proto.AppendFloat([]byte("OK"), float64(v.deadline-m.wall)/1000))
	case proto.CmdGetExpiryAt:
		v := m.get(key)
		if v == nil || v.deadline == 0 {
			return "NULL"
		}
		return "OK:INT " + strconv.FormatInt(v.deadline, 10)
	case proto.CmdClearExpiry:
		if v := m.get(key); v != nil {
			v.deadline = 0
		}
		return "OK"
	}
	if strings.HasPrefix(req.Cmd.String(), "LIST_") {
		return m.execList(req, key)
	}
	if strings.HasPrefix(req.Cmd.String(), "SET_") {
		return m.execSet(req, key)
	}
	return m.execHash(req, key)
}

func (m *model) execList(req *proto.Request, key string) string {
	v := m.get(key)
	if v != nil && v.kind != proto.TypeList {
		return "BAD_TYPE(10)not a list"
	}
	var l []string
	if v != nil {
		l = v.list
	}
	n := len(l)
	store := func(nl []string) {
		if v == nil {
			v = &mval{kind: proto.TypeList}
			m.put(key, v)
		}
		v.list = nl
		m.gc(key)
	}
	switch req.Cmd {
	case proto.CmdListMove:
		if n == 0 {
			return "NULL"
		}
		dk := string(req.Str[1])
		if w := m.get(dk); w != nil && w.kind != proto.TypeList {
			return "BAD_TYPE(10)not a list"
		}
		rest, el := slices.Clone(l[1:]), l[0]
		if req.Ends[0] == proto.EndRight {
			rest, el = slices.Clone(l[:n-1]), l[n-1]
		}
		push := func(l []string) []string {
			if req.Ends[1] == proto.EndLeft {
				return append([]string{el}, l...)
			}
			return append(l, el)
		}
		if dk == key { // a rotation: the list never empties, its deadline stays
			v.list = push(rest)
		} else {
			store(rest)
			w := m.get(dk)
			if w == nil {
				w = &mval{kind: proto.TypeList}
				m.put(dk, w)
			}
			w.list = push(slices.Clone(w.list))
		}
		return string(proto.AppendStr([]byte("OK"), el))
	case proto.CmdListLen:
		return "OK:INT " + strconv.Itoa(n)
	case proto.CmdListInsert:
		if n == 0 {
			return "OK:INT 0"
		}
		at := slices.Index(l, string(req.Str[1]))
		if at < 0 {
			return "OK:INT -1"
		}
		if req.Ends[0] == proto.EndRight {
			at++
		}
		store(slices.Insert(slices.Clone(l), at, string(req.Str[2])))
		return "OK:INT " + strconv.Itoa(n+1)
	case proto.CmdListPos, proto.CmdListPosWithin:
		rank, count, maxlen := req.Int[0], req.Int[1], req.Int[2]
		switch {
		case rank == 0:
			return string(proto.AppendErrorMsg(nil, msgListPosRank))
		case count < 0:
			return "ERROR(46)LIST_POS count must be 0 (every match) or more"
		case maxlen < 0:
			return "ERROR(56)LIST_POS_WITHIN maxlen must be 0 (every element) or more"
		}
		var at []int64
		for i := range l {
			// The first maxlen elements from the end the search starts at.
			inside := maxlen == 0 || rank > 0 && int64(i) < maxlen || rank < 0 && int64(len(l)-i) <= maxlen
			if l[i] == string(req.Str[1]) && inside {
				at = append(at, int64(i))
			}
		}
		if rank < 0 {
			slices.Reverse(at)
			rank = -rank
		}
		at = at[min(int(rank-1), len(at)):]
		if count > 0 && int64(len(at)) > count {
			at = at[:count]
		}
		out := proto.AppendContainerHeader([]byte("OK"), proto.TypeArr, len(at))
		for _, i := range at {
			out = proto.AppendInt(out, i)
		}
		return string(proto.AppendContainerEnd(out, proto.TypeArr))
	case proto.CmdListGet, proto.CmdListSet:
		i := req.Int[0]
		if i < 0 {
			i += int64(n)
		}
		if i < 0 || i >= int64(n) {
			return "ERROR(18)index out of range"
		}
		if req.Cmd == proto.CmdListGet {
			return string(proto.AppendStr([]byte("OK"), l[i]))
		}
		l[i] = string(req.Str[1])
		return "OK"
	case proto.CmdListPushLeft, proto.CmdListPushRight, proto.CmdListPushLeftIfPresent, proto.CmdListPushRightIfPresent:
		ifPresent := req.Cmd == proto.CmdListPushLeftIfPresent || req.Cmd == proto.CmdListPushRightIfPresent
		if len(req.Elems) == 0 || ifPresent && n == 0 {
			return "OK:INT " + strconv.Itoa(n)
		}
		nl := slices.Clone(l)
		for _, e := range req.Elems {
			if req.Cmd == proto.CmdListPushLeft || req.Cmd == proto.CmdListPushLeftIfPresent {
				nl = append([]string{string(e)}, nl...)
			} else {
				nl = append(nl, string(e))
			}
		}
		store(nl)
		return "OK:INT " + strconv.Itoa(len(nl))
	case proto.CmdListPopLeft, proto.CmdListPopRight:
		c := req.Int[0]
		k := 0
		switch {
		case c >= int64(n):
			k = n
		case c >= 0:
			k = int(c)
		case c >= -int64(n):
			k = n + int(c)
		}
		var popped []string
		if req.Cmd == proto.CmdListPopLeft {
			popped = slices.Clone(l[:k])
			if k > 0 {
				store(slices.Clone(l[k:]))
			}
		} else {
			popped = slices.Clone(l[n-k:])
			if k > 0 {
				store(slices.Clone(l[:n-k]))
			}
		}
		return string(proto.AppendStrings([]byte("OK"), proto.TypeList, popped))
	case proto.CmdListRange, proto.CmdListTrim:
		start, end := req.Int[0], req.Int[1]
		invalid := start > 0 && end > 0 && start > end || start < 0 && end < 0 && start > end
		ln := int64(n)
		s := start
		if s < 0 {
			s = max(s+ln, 0)
		}
		e := end
		if e < 0 {
			e += ln
		} else {
			e = min(e, ln-1)
		}
		empty := s > e || s >= ln || e < 0
		if req.Cmd == proto.CmdListRange {
			if invalid || empty {
				return "OK:LIST (0)[]"
			}
			return string(proto.AppendStrings([]byte("OK"), proto.TypeList, l[s:e+1]))
		}
		if n == 0 || invalid {
			return "OK:INT 0"
		}
		if empty {
			store(nil)
			return "OK:INT " + strconv.Itoa(n)
		}
		store(slices.Clone(l[s : e+1]))
		return "OK:INT " + strconv.Itoa(n-int(e-s+1))
	case proto.CmdListRemove:
		target, c := string(req.Str[1]), req.Int[0]
		limit := n
		if c != 0 {
			limit = int(min(absCount(c), int64(n)))
		}
		removed := 0
		nl := slices.Clone(l)
		if c >= 0 {
			for i := 0; i < len(nl) && removed < limit; {
				if nl[i] == target {
					nl = slices.Delete(nl, i, i+1)
					removed++
				} else {
					i++
				}
			}
		} else {
			for i := len(nl) - 1; i >= 0 && removed < limit; i-- {
				if nl[i] == target {
					nl = slices.Delete(nl, i, i+1)
					removed++
				}
			}
		}
		if removed > 0 {
			store(nl)
		}
		return "OK:INT " + strconv.Itoa(removed)
	}
	panic("unreachable")
}

func (m *model) setOf(key string) (map[string]bool, bool) {
	v := m.get(key)
	if v == nil {
		return nil, true
	}
	if v.kind != proto.TypeSet {
		return nil, false
	}
	return v.set, true
}

func setReply(s map[string]bool) string {
	return string(proto.AppendStrings([]byte("OK"), proto.TypeSet, keys(s)))
}

func (m *model) storeSet(key string, s map[string]bool) {
	v := m.get(key)
	if v == nil || v.kind != proto.TypeSet {
		v = &mval{kind: proto.TypeSet}
		m.put(key, v)
	}
	v.set = s
	m.gc(key)
}

func (m *model) execSet(req *proto.Request, key string) string {
	const badType = "BAD_TYPE(9)not a set"
	switch req.Cmd {
	case proto.CmdSetMove:
		src, ok1 := m.setOf(key)
		_, ok2 := m.setOf(string(req.Str[1]))
		if !ok1 || !ok2 {
			return badType
		}
		member := string(req.Str[2])
		if !src[member] {
			return "OK:BOOL false"
		}
		if key != string(req.Str[1]) {
			delete(src, member)
			m.gc(key)
			dst, _ := m.setOf(string(req.Str[1]))
			dst = cloneSet(dst)
			dst[member] = true
			m.storeSet(string(req.Str[1]), dst)
		}
		return "OK:BOOL true"
	case proto.CmdSetUnion, proto.CmdSetUnionInto, proto.CmdSetUnionLen,
		proto.CmdSetIntersect, proto.CmdSetIntersectInto, proto.CmdSetIntersectLen,
		proto.CmdSetDiff, proto.CmdSetDiffInto, proto.CmdSetDiffLen:
		var ks [][]byte
		dest := ""
		switch req.Cmd {
		case proto.CmdSetUnion, proto.CmdSetUnionLen, proto.CmdSetIntersect, proto.CmdSetIntersectLen:
			ks = req.Elems
		case proto.CmdSetUnionInto, proto.CmdSetIntersectInto:
			dest, ks = key, req.Elems
		case proto.CmdSetDiff, proto.CmdSetDiffLen:
			ks = [][]byte{req.Str[0], req.Str[1]}
		default:
			dest, ks = key, [][]byte{req.Str[1], req.Str[2]}
		}
		sets := make([]map[string]bool, len(ks))
		missing := false
		for i, k := range ks {
			s, ok := m.setOf(string(k))
			if !ok {
				return badType
			}
			sets[i] = s
			missing = missing || s == nil
		}
		res := map[string]bool{}
		switch {
		case strings.Contains(req.Cmd.String(), "UNION"):
			for _, s := range sets {
				for x := range s {
					res[x] = true
				}
			}
		case strings.Contains(req.Cmd.String(), "INTERSECT"):
			if len(sets) > 0 && !missing {
				for x := range sets[0] {
					in := true
					for _, s := range sets[1:] {
						in = in && s[x]
					}
					if in {
						res[x] = true
					}
				}
			}
		default:
			for x := range sets[0] {
				if !sets[1][x] {
					res[x] = true
				}
			}
		}
		switch {
		case strings.HasSuffix(req.Cmd.String(), "_LEN"):
			return "OK:INT " + strconv.Itoa(len(res))
		case strings.HasSuffix(req.Cmd.String(), "_INTO"):
			m.del(dest)
			if len(res) > 0 {
				m.put(dest, &mval{kind: proto.TypeSet, set: res})
			}
			return "OK:INT " + strconv.Itoa(len(res))
		}
		return setReply(res)
	}
	s, ok := m.setOf(key)
	if !ok {
		return badType
	}
	switch req.Cmd {
	case proto.CmdSetAdd:
		ns := cloneSet(s)
		added := 0
		for _, e := range req.Elems {
			if !ns[string(e)] {
				added++
				ns[string(e)] = true
			}
		}
		if added > 0 {
			m.storeSet(key, ns)
		}
		return "OK:INT " + strconv.Itoa(added)
	case proto.CmdSetAll:
		return setReply(s)
	case proto.CmdSetLen:
		return "OK:INT " + strconv.Itoa(len(s))
	case proto.CmdSetContains:
		return "OK:BOOL " + strconv.FormatBool(s[string(req.Str[1])])
	case proto.CmdSetDiscard:
		ns := cloneSet(s)
		removed := 0
		for _, e := range req.Elems {
			if ns[string(e)] {
				removed++
				delete(ns, string(e))
			}
		}
		if removed > 0 {
			m.storeSet(key, ns)
		}
		return "OK:INT " + strconv.Itoa(removed)
	}
	panic("SET_REMOVE is checked by the caller")
}

func cloneSet(s map[string]bool) map[string]bool {
	out := make(map[string]bool, len(s))
	for k := range s {
		out[k] = true
	}
	return out
}

func (m *model) execHash(req *proto.Request, key string) string {
	const badType = "BAD_TYPE(8)not hash"
	if req.Cmd == proto.CmdHashSet {
		m.del(key)
		if len(req.Elems) > 0 {
			m.put(key, &mval{kind: proto.TypeHash, hash: pairs(nil, req.Elems)})
		}
		return "OK"
	}
	v := m.get(key)
	if v == nil && (req.Cmd == proto.CmdHashGet || req.Cmd == proto.CmdHashKeyLen) {
		return "ERROR(7)bad key"
	}
	if v != nil && v.kind != proto.TypeHash {
		return badType
	}
	var h map[string]string
	if v != nil {
		h = v.hash
	}
	switch req.Cmd {
	case proto.CmdHashAll:
		return string(mvalue([]byte("OK"), &mval{kind: proto.TypeHash, hash: h}))
	case proto.CmdHashGet, proto.CmdHashKeyLen:
		x, has := h[string(req.Str[1])]
		if !has {
			return "ERROR(7)bad key"
		}
		if req.Cmd == proto.CmdHashGet {
			return string(proto.AppendStr([]byte("OK"), x))
		}
		return "OK:INT " + strconv.Itoa(len(x))
	case proto.CmdHashContains:
		_, has := h[string(req.Str[1])]
		return "OK:BOOL " + strconv.FormatBool(has)
	case proto.CmdHashLen:
		return "OK:INT " + strconv.Itoa(len(h))
	case proto.CmdHashKeys, proto.CmdHashValues:
		var out []string
		for k, x := range h {
			if req.Cmd == proto.CmdHashKeys {
				out = append(out, k)
			} else {
				out = append(out, x)
			}
		}
		return string(proto.AppendStrArr([]byte("OK"), out))
	case proto.CmdHashManyGet:
		out := proto.AppendContainerHeader([]byte("OK"), proto.TypeArr, len(req.Elems))
		for _, f := range req.Elems {
			if x, has := h[string(f)]; has {
				out = proto.AppendStr(out, x)
			} else {
				out = proto.AppendNull(out)
			}
		}
		return string(proto.AppendContainerEnd(out, proto.TypeArr))
	case proto.CmdHashRemove:
		removed := 0
		nh := pairs(h, nil)
		for _, f := range req.Elems {
			if _, has := nh[string(f)]; has {
				removed++
				delete(nh, string(f))
			}
		}
		if removed > 0 {
			v.hash = nh
			m.gc(key)
		}
		return "OK:INT " + strconv.Itoa(removed)
	case proto.CmdHashUpdate:
		if len(req.Elems) == 0 {
			return "OK:INT 0"
		}
		nh := pairs(h, nil)
		added := 0
		for f, x := range pairs(nil, req.Elems) {
			if _, has := nh[f]; !has {
				added++
			}
			nh[f] = x
		}
		if v == nil {
			v = &mval{kind: proto.TypeHash}
			m.put(key, v)
		}
		v.hash = nh
		return "OK:INT " + strconv.Itoa(added)
	}
	panic(fmt.Sprintf("model: unhandled %v", req.Cmd))
}

// pairs copies base and adds field/value pairs, the first occurrence of a
// field winning.
func pairs(base map[string]string, fv [][]byte) map[string]string {
	out := make(map[string]string, len(base)+len(fv)/2)
	for k, x := range base {
		out[k] = x
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(fv); i += 2 {
		f := string(fv[i])
		if seen[f] {
			continue
		}
		seen[f] = true
		out[f] = string(fv[i+1])
	}
	return out
}

// ---- request generation ----

func enc(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }

func encSeq(open, close string, ss []string) string {
	var b strings.Builder
	b.WriteString("(" + strconv.Itoa(len(ss)) + ")" + open)
	for _, s := range ss {
		b.WriteString(enc(s))
	}
	return b.String() + close
}

var (
	allKeys    = []string{"a", "b", "c", "d"}
	allMembers = []string{"x", "y", "z", "w", ""}
	genKey     = rapid.SampledFrom(allKeys)
	genMember  = rapid.SampledFrom(allMembers)
	genInt     = rapid.OneOf(rapid.Int64Range(-5, 5), rapid.SampledFrom([]int64{math.MaxInt64, math.MinInt64, 1 << 62}))
	genFloat   = rapid.SampledFrom([]string{"1.5", "-2.25", "0.1", "1e308", "-1e308", "3", "-inf", "1e-7"})
	genIndex   = rapid.Int64Range(-6, 6)
	genExpiry  = rapid.SampledFrom([]string{"-1", "0", "0.005", "0.02", "0.1", "1000", "nan"})
	genEnd     = rapid.SampledFrom([]string{"LEFT", "RIGHT"})
	genWhen    = rapid.SampledFrom([]string{"ALWAYS", "NONE", "SOME", "LATER", "EARLIER", "SOME_EARLIER"})
	genKeyIf   = rapid.SampledFrom([]string{"ALWAYS", "ABSENT", "PRESENT"})
	genSetTTL  = rapid.SampledFrom([]string{"CLEAR", "AFTER", "AT", "KEEP"})
	genMillis  = rapid.SampledFrom([]string{"-5", "0", "5", "20", "100", "1000000"})
	// genDeadline is SET_EXPIRY_AT's times around the harness's clock
	// (which starts at 1,000,000 ms), and the extremes.
	genDeadline = rapid.OneOf(rapid.Int64Range(995_000, 1_020_000), rapid.SampledFrom([]int64{math.MaxInt64, -5, 0}))
	// genNumberText is strings INCR_NUMBER reads as numbers, and some it
	// does not.
	genNumberText = rapid.SampledFrom([]string{"3.0", "1e3", "-0.5", "007", "inf", "nan", "1e400", "x"})
)

// genRequest draws one data command as request text.
func genRequest(t *rapid.T) string { return genRequestFrom(t, genKey, genMember, false) }

type genCmd struct {
	write bool
	gen   func() string
}

// genRequestFrom draws one data command over the given keys and members.
func genRequestFrom(t *rapid.T, genKey, genMember *rapid.Generator[string], writesOnly bool) string {
	k := genKey.Draw(t, "key")
	members := func(name string) []string {
		return rapid.SliceOfN(genMember, 0, 4).Draw(t, name)
	}
	keys := func() []string { return rapid.SliceOfN(genKey, 0, 3).Draw(t, "keys") }
	i := func(name string) string { return strconv.FormatInt(genInt.Draw(t, name), 10) }
	idx := func(name string) string { return strconv.FormatInt(genIndex.Draw(t, name), 10) }
	cmds := []genCmd{
		{false, func() string { return "GET " + enc(k) }},
		{true, func() string { return "SET:STR " + enc(k) + " " + enc(genMember.Draw(t, "v")) }},
		{true, func() string { return "SET:INT " + enc(k) + " " + i("n") }},
		{true, func() string { return "SET:FLOAT " + enc(k) + " " + genFloat.Draw(t, "f") }},
		{true, func() string { return "SET_KEEP_TTL:STR " + enc(k) + " " + enc(genMember.Draw(t, "v")) }},
		{true, func() string { return "SET_KEEP_TTL:INT " + enc(k) + " " + i("n") }},
		{true, func() string {
			typ, v := "STR", enc(genMember.Draw(t, "v"))
			if rapid.Bool().Draw(t, "int") {
				typ, v = "INT", i("n")
			}
			ttl := genSetTTL.Draw(t, "ttl")
			ms := "0"
			switch ttl {
			case "AFTER":
				ms = genMillis.Draw(t, "ms")
			case "AT":
				ms = strconv.FormatInt(genDeadline.Draw(t, "at"), 10)
			}
			return rapid.SampledFrom([]string{"SET_WITH:", "GET_SET_WITH:"}).Draw(t, "cmd") + typ + " " + enc(k) + " " + v + " " +
				genKeyIf.Draw(t, "if") + " " + ttl + " " + ms
		}},
		{true, func() string { return "DEL " + enc(k) }},
		{false, func() string { return "EXISTS " + enc(k) }},
		{false, func() string { return "TYPE " + enc(k) }},
		{true, func() string { return "INCR_INT " + enc(k) + " " + i("n") }},
		{true, func() string { return "INCR_INT_TEXT " + enc(k) + " " + i("n") }},
		{true, func() string { return "INCR_FLOAT " + enc(k) + " " + genFloat.Draw(t, "f") }},
		{true, func() string { return "INCR_NUMBER " + enc(k) + " " + genFloat.Draw(t, "f") }},
		{true, func() string { return "SET:STR " + enc(k) + " " + enc(genNumberText.Draw(t, "text")) }},
		{false, func() string { return "STR_LEN " + enc(k) }},
		{false, func() string { return "MANY_GET " + encSeq("[", "]", keys()) }},
		{false, func() string { return "LIST_LEN " + enc(k) }},
		{false, func() string { return "LIST_GET " + enc(k) + " " + idx("i") }},
		{true, func() string { return "LIST_SET " + enc(k) + " " + idx("i") + " " + enc(genMember.Draw(t, "v")) }},
		{true, func() string { return "LIST_PUSH_LEFT " + enc(k) + " " + encSeq("[", "]", members("l")) }},
		{true, func() string { return "LIST_PUSH_RIGHT " + enc(k) + " " + encSeq("[", "]", members("l")) }},
		{true, func() string { return "LIST_PUSH_LEFT_IF_PRESENT " + enc(k) + " " + encSeq("[", "]", members("l")) }},
		{true, func() string { return "LIST_PUSH_RIGHT_IF_PRESENT " + enc(k) + " " + encSeq("[", "]", members("l")) }},
		{true, func() string { return "LIST_POP_LEFT " + enc(k) + " " + idx("n") }},
		{true, func() string { return "LIST_POP_RIGHT " + enc(k) + " " + idx("n") }},
		{false, func() string { return "LIST_RANGE " + enc(k) + " " + idx("s") + " " + idx("e") }},
		{false, func() string {
			return "LIST_POS " + enc(k) + " " + enc(genMember.Draw(t, "e")) + " " + idx("rank") + " " + strconv.Itoa(rapid.IntRange(-1, 3).Draw(t, "count"))
		}},
		{false, func() string {
			return "LIST_POS_WITHIN " + enc(k) + " " + enc(genMember.Draw(t, "e")) + " " + idx("rank") + " " +
				strconv.Itoa(rapid.IntRange(-1, 3).Draw(t, "count")) + " " + strconv.Itoa(rapid.IntRange(-1, 4).Draw(t, "maxlen"))
		}},
		{true, func() string { return "LIST_TRIM " + enc(k) + " " + idx("s") + " " + idx("e") }},
		{true, func() string {
			return "LIST_INSERT " + enc(k) + " " + genEnd.Draw(t, "side") + " " + enc(genMember.Draw(t, "pivot")) + " " + enc(genMember.Draw(t, "v"))
		}},
		{true, func() string { return "LIST_REMOVE " + enc(k) + " " + enc(genMember.Draw(t, "v")) + " " + idx("n") }},
		{true, func() string {
			return "LIST_MOVE " + enc(k) + " " + enc(genKey.Draw(t, "d")) + " " + genEnd.Draw(t, "from") + " " + genEnd.Draw(t, "to")
		}},
		{true, func() string { return "SET_ADD " + enc(k) + " " + encSeq("{", "}", members("s")) }},
		{false, func() string { return "SET_ALL " + enc(k) }},
		{true, func() string { return "SET_REMOVE " + enc(k) + " " + idx("n") }},
		{true, func() string { return "SET_DISCARD " + enc(k) + " " + encSeq("{", "}", members("s")) }},
		{false, func() string { return "SET_LEN " + enc(k) }},
		{false, func() string { return "SET_CONTAINS " + enc(k) + " " + enc(genMember.Draw(t, "m")) }},
		{true, func() string {
			return "SET_MOVE " + enc(k) + " " + enc(genKey.Draw(t, "d")) + " " + enc(genMember.Draw(t, "m"))
		}},
		{false, func() string { return "SET_UNION " + encSeq("[", "]", keys()) }},
		{true, func() string { return "SET_UNION_INTO " + enc(k) + " " + encSeq("[", "]", keys()) }},
		{false, func() string { return "SET_INTERSECT_LEN " + encSeq("[", "]", keys()) }},
		{true, func() string { return "SET_INTERSECT_INTO " + enc(k) + " " + encSeq("[", "]", keys()) }},
		{false, func() string { return "SET_DIFF " + enc(k) + " " + enc(genKey.Draw(t, "k2")) }},
		{true, func() string {
			return "SET_DIFF_INTO " + enc(k) + " " + enc(genKey.Draw(t, "k1")) + " " + enc(genKey.Draw(t, "k2"))
		}},
		{true, func() string {
			return "HASH_SET " + enc(k) + " " + encSeq("{", "}", members("h")[:0]) // empty: deletes
		}},
		{true, func() string {
			fv := rapid.SliceOfN(genMember, 0, 6).Draw(t, "fv")
			fv = fv[:len(fv)/2*2]
			return "HASH_SET " + enc(k) + " " + encPairs(fv)
		}},
		{true, func() string {
			fv := rapid.SliceOfN(genMember, 0, 6).Draw(t, "fv")
			fv = fv[:len(fv)/2*2]
			return "HASH_UPDATE " + enc(k) + " " + encPairs(fv)
		}},
		{false, func() string { return "HASH_ALL " + enc(k) }},
		{false, func() string { return "HASH_GET " + enc(k) + " " + enc(genMember.Draw(t, "f")) }},
		{false, func() string { return "HASH_KEY_LEN " + enc(k) + " " + enc(genMember.Draw(t, "f")) }},
		{false, func() string { return "HASH_CONTAINS " + enc(k) + " " + enc(genMember.Draw(t, "f")) }},
		{false, func() string { return "HASH_LEN " + enc(k) }},
		{false, func() string { return "HASH_KEYS " + enc(k) }},
		{false, func() string { return "HASH_VALUES " + enc(k) }},
		{false, func() string { return "HASH_MANY_GET " + enc(k) + " " + encSeq("[", "]", members("f")) }},
		{true, func() string { return "HASH_REMOVE " + enc(k) + " " + encSeq("[", "]", members("f")) }},
		{true, func() string { return "SET_EXPIRY " + enc(k) + " " + genExpiry.Draw(t, "secs") }},
		{true, func() string {
			return "SET_EXPIRY_AT " + enc(k) + " " + strconv.FormatInt(genDeadline.Draw(t, "at"), 10)
		}},
		{true, func() string {
			return "SET_EXPIRY_IF " + enc(k) + " " + genExpiry.Draw(t, "secs") + " " + genWhen.Draw(t, "when")
		}},
		{true, func() string {
			return "SET_EXPIRY_AT_IF " + enc(k) + " " + strconv.FormatInt(genDeadline.Draw(t, "at"), 10) + " " + genWhen.Draw(t, "when")
		}},
		{false, func() string { return "GET_EXPIRY " + enc(k) }},
		{false, func() string { return "GET_EXPIRY_AT " + enc(k) }},
		{true, func() string { return "CLEAR_EXPIRY " + enc(k) }},
	}
	if writesOnly {
		w := cmds[:0]
		for _, c := range cmds {
			if c.write {
				w = append(w, c)
			}
		}
		cmds = w
	}
	return rapid.SampledFrom(cmds).Draw(t, "cmd").gen()
}

func encPairs(fv []string) string {
	var b strings.Builder
	b.WriteString("(" + strconv.Itoa(len(fv)/2) + "){")
	for _, s := range fv {
		b.WriteString(enc(s))
	}
	return b.String() + "}"
}

// TestModel checks that a single replica agrees with the plain model on
// random command sequences, across shard layouts and tombstone modes.
func TestModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		nShards := rapid.SampledFrom([]int{1, 3}).Draw(rt, "shards")
		keep := rapid.Bool().Draw(rt, "keep")
		h := newHarness(rt, nShards, keep, 9)
		m := newModel(h.wall)
		steps := rapid.IntRange(20, 300).Draw(rt, "steps")
		for s := 0; s < steps; s++ {
			h.wall += rapid.Int64Range(0, 30).Draw(rt, "tick")
			m.wall = h.wall
			switch rapid.IntRange(0, 40).Draw(rt, "special") {
			case 0:
				h.do("RESET")
				m.dbs[m.db] = map[string]*mval{}
				continue
			case 1:
				db := rapid.IntRange(0, 2).Draw(rt, "db")
				h.do("SWITCH_DB " + strconv.Itoa(db))
				m.db = db
				continue
			case 2:
				for _, sh := range h.shards {
					for _, d := range sh.Expired(h.db, h.wall, 100, nil) {
						sh.Apply(&d)
					}
				}
				continue
			}
			text := genRequest(rt)
			var req proto.Request
			if err := proto.ParseRequest([]byte(text), &req); err != proto.ErrNone {
				rt.Fatalf("generated request %q does not parse: %v", text, err)
			}
			got := h.do(text)
			if req.Cmd == proto.CmdSetRemove {
				checkSetRemove(rt, m, &req, got)
				continue
			}
			want := m.exec(&req)
			if canonical(rt, got) != canonical(rt, want) {
				rt.Fatalf("%s\n got  %q\n want %q", text, got, want)
			}
		}
	})
}

// checkSetRemove checks a SET_REMOVE reply, whose members are random, and
// applies the same removal to the model.
func checkSetRemove(t *rapid.T, m *model, req *proto.Request, got string) {
	key := string(req.Key())
	s, ok := m.setOf(key)
	if !ok {
		if got != "BAD_TYPE(9)not a set" {
			t.Fatalf("SET_REMOVE on a non-set gave %q", got)
		}
		return
	}
	r, err := proto.ParseReply([]byte(got))
	if err != nil || r.Value.Type != proto.TypeSet {
		t.Fatalf("SET_REMOVE reply %q", got)
	}
	want := len(s)
	if c := req.Int[0]; c >= 0 && c < int64(len(s)) {
		want = int(c)
	}
	if len(r.Value.Strs) != want {
		t.Fatalf("SET_REMOVE %d of %d removed %d", req.Int[0], len(s), len(r.Value.Strs))
	}
	ns := cloneSet(s)
	for _, x := range r.Value.Strs {
		if !ns[string(x)] {
			t.Fatalf("SET_REMOVE returned %q, not a member", x)
		}
		delete(ns, string(x))
	}
	if len(r.Value.Strs) > 0 {
		m.storeSet(key, ns)
	}
}
