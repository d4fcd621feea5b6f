package storage

import (
	"math"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// The LIST commands.

func (c *Ctx) execList(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdListLen, proto.CmdListGet, proto.CmdListSet, proto.CmdListPushLeft, proto.CmdListPushRight,
		proto.CmdListPopLeft, proto.CmdListPopRight, proto.CmdListRange, proto.CmdListTrim, proto.CmdListRemove,
		proto.CmdListPos, proto.CmdListPushLeftIfPresent, proto.CmdListPushRightIfPresent, proto.CmdListInsert,
		proto.CmdListPosWithin:
	default:
		return dst, false
	}
	key := req.Key()
	v, stored := c.read(key)
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
		d := c.begin(key, stored)
		d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Elems: []Elem{{ID: el.id, VS: c.T, Value: string(req.Str[1])}}}
		c.commit(key, d)
		return append(dst, proto.ReplyOK...), true
	case proto.CmdListPushLeft, proto.CmdListPushRight, proto.CmdListPushLeftIfPresent, proto.CmdListPushRightIfPresent:
		// The _IF_PRESENT forms push onto a list there only (§12.28).
		ifPresent := req.Cmd == proto.CmdListPushLeftIfPresent || req.Cmd == proto.CmdListPushRightIfPresent
		if len(req.Elems) == 0 || ifPresent && n == 0 {
			return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n)), true
		}
		d := c.begin(key, stored)
		d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Elems: borrow(&c.Borrowed.elems, len(req.Elems))[:len(req.Elems)]}
		end, step := proto.EndRight, int64(1)
		if req.Cmd == proto.CmdListPushLeft || req.Cmd == proto.CmdListPushLeftIfPresent {
			end, step = proto.EndLeft, -1
		}
		pos := endPos(x, -1, end)
		for i, s := range req.Elems {
			d.Val.Elems[i] = Elem{ID: ElemID{Pos: pos, S: c.T}, VS: c.T, Value: c.Borrowed.str(s)}
			pos += step
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
			c.removeElems(key, stored, x, from, from+k-1)
		}
		return dst, true
	case proto.CmdListInsert:
		return c.listInsert(req, key, stored, x, dst), true
	case proto.CmdListPos:
		return listPos(dst, x, string(req.Str[1]), req.Int[0], req.Int[1], 0), true
	case proto.CmdListPosWithin:
		return listPos(dst, x, string(req.Str[1]), req.Int[0], req.Int[1], req.Int[2]), true
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
			d := c.begin(key, stored)
			d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: borrow(&c.Borrowed.tombs, removed)}
			x.elems.each(0, n-1, func(i int, e elemView) bool {
				if i < s || i > t {
					d.Val.Tombs = append(d.Val.Tombs, Tomb{ID: e.id, S: c.T})
				}
				return true
			})
			if removed == n {
				c.clearExpiry(d, key, stored)
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
		match := func(_ int, e elemView) bool {
			if string(e.v) == target {
				tombs = append(tombs, Tomb{ID: e.id, S: c.T})
			}
			return len(tombs) < limit
		}
		switch {
		case limit == 0: // an empty list
		case count >= 0:
			x.elems.each(0, n-1, match)
		default:
			x.elems.eachBack(n-1, 0, match)
		}
		if len(tombs) > 0 {
			d := c.begin(key, stored)
			d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: tombs}
			if len(tombs) == n {
				c.clearExpiry(d, key, stored)
			}
			c.commit(key, d)
		}
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(tombs))), true
	}
	return dst, false
}

// listInsert runs LIST_INSERT (PROTOCOL.md §12.30): the value goes
// beside the first element equal to the pivot, before it (LEFT) or after
// it (RIGHT), as an element whose id orders between its new neighbours'.
// Pushes take neighbouring positions, so there may be no such id (an
// element inserted between two that share a position, or again before
// one inserted a moment ago): then the elements around that place are
// pushed again further apart (relabel).
func (c *Ctx) listInsert(req *proto.Request, key []byte, stored bool, x *listVal, dst []byte) []byte {
	if x == nil || x.elems.n == 0 {
		return proto.AppendInt(append(dst, proto.ReplyOK...), 0)
	}
	n := x.elems.n
	at := x.elems.indexOf(req.Str[1], 0, n-1)
	if at < 0 {
		return proto.AppendInt(append(dst, proto.ReplyOK...), -1)
	}
	after := at // the value goes after the element at this index (-1: first)
	if req.Ends[0] == proto.EndLeft {
		after--
	}
	value := c.Borrowed.str(req.Str[2])
	d := c.begin(key, stored)
	if id, ok := idAfter(x, after, c.T); ok {
		d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Elems: append(borrow(&c.Borrowed.elems, 1), Elem{ID: id, VS: c.T, Value: value})}
	} else {
		d.Val = c.relabel(x, after, value)
	}
	c.commit(key, d)
	return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n+1))
}

const (
	// renumberGap is the distance between the positions of elements
	// pushed again (relabel) where nothing bounds them: room for about
	// twenty insertions between two before the next.
	renumberGap = 1 << 20
	// minSpread is the least distance between the positions of elements
	// pushed again between two that stay.
	minSpread = 64
)

// idAfter returns an id at stamp t that orders after the element of list
// x at index after (none when -1) and before the next one (none when it is
// the last), and whether there is one. At either end it is a push's.
func idAfter(x *listVal, after int, t hlc.Stamp) (ElemID, bool) {
	n := x.elems.n
	if after < 0 || after == n-1 {
		end := proto.EndRight
		if after < 0 {
			end = proto.EndLeft
		}
		return ElemID{Pos: endPos(x, -1, end), S: t}, true
	}
	l, r := x.elems.at(after).id, x.elems.at(after+1).id
	if gap := uint64(r.Pos) - uint64(l.Pos); r.Pos > l.Pos && gap >= 2 {
		return ElemID{Pos: l.Pos + int64(gap/2), S: t}, true
	}
	for _, id := range [2]ElemID{{Pos: l.Pos, S: t}, {Pos: r.Pos, S: t}} {
		if l.Less(id) && id.Less(r) {
			return id, true
		}
	}
	return ElemID{}, false
}

// relabel is the delta that puts value after the element of list x at
// index after (neither end) where no id orders between it and the next:
// the elements of a window around that place are removed and pushed
// again, value among them, at positions spread out between the window's
// neighbours. The window doubles until those neighbours leave at least
// minSpread between each pair, or it reaches an end of the list, beyond
// which positions are free (renumberGap apart there). So a rewrite costs
// about the elements of a window whose room had run out, and leaves room
// for the next insertions there (ordering elements by labels this way is
// the list-labelling problem; doubling windows bound what insertions at
// one place rewrite).
func (c *Ctx) relabel(x *listVal, after int, value string) ValDelta {
	n := x.elems.n
	var a, b int         // the window: the elements from a to b are pushed again
	var from, step int64 // at positions from+step, from+2*step, …
	for k := 1; ; k *= 2 {
		a, b = max(0, after-k+1), min(n-1, after+k)
		m := int64(b - a + 2) // the window's elements and value
		if a > 0 && b < n-1 {
			l, r := x.elems.at(a-1).id.Pos, x.elems.at(b+1).id.Pos
			if r <= l {
				continue
			}
			spread := (uint64(r) - uint64(l)) / uint64(m+1)
			if spread < minSpread {
				continue
			}
			from, step = l, int64(min(spread, renumberGap))
			break
		}
		step = renumberGap
		if b < n-1 { // open to the left
			from = x.elems.at(b+1).id.Pos - step*(m+1)
		} else if a > 0 { // open to the right
			from = x.elems.at(a - 1).id.Pos
		} else { // the whole list
			from = x.elems.firstID().Pos - step
		}
		break
	}
	v := ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: borrow(&c.Borrowed.tombs, b-a+1), Elems: borrow(&c.Borrowed.elems, b-a+2)}
	pos := from
	add := func(s string) {
		pos += step
		v.Elems = append(v.Elems, Elem{ID: ElemID{Pos: pos, S: c.T}, VS: c.T, Value: s})
	}
	x.elems.each(a, b, func(i int, e elemView) bool {
		v.Tombs = append(v.Tombs, Tomb{ID: e.id, S: c.T})
		add(c.Borrowed.str(e.v))
		if i == after {
			add(value)
		}
		return true
	})
	return v
}

// listMove runs LIST_MOVE (PROTOCOL.md §12.14): the element at source's
// end Ends[0] is removed and pushed at dest's end Ends[1], one write of
// both keys at the command's stamp, and answered; NULL when source is
// empty. The types are checked first, source's then (if it has an
// element) dest's, as Redis's LMOVE does.
func (c *Ctx) listMove(req *proto.Request, dst []byte) []byte {
	src, dest := req.Str[0], req.Str[1]
	v, stored := c.read(src)
	x, ok := v.(*listVal)
	if v != nil && !ok {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotAList)
	}
	if x == nil || x.elems.n == 0 {
		return append(dst, proto.ReplyNull...)
	}
	w, wstored := c.read(dest)
	y, ok := w.(*listVal)
	if w != nil && !ok {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotAList)
	}
	i := 0
	if req.Ends[0] == proto.EndRight {
		i = x.elems.n - 1
	}
	at := x.elems.at(i)
	el := elem{id: at.id, vs: at.vs, v: string(at.v)}
	dst = proto.AppendStr(append(dst, proto.ReplyOK...), el.v)
	if string(src) == string(dest) {
		// A rotation, in one delta: the list never empties, so it keeps
		// its deadline.
		d := c.begin(src, stored)
		d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: append(borrow(&c.Borrowed.tombs, 1), Tomb{ID: el.id, S: c.T}),
			Elems: append(borrow(&c.Borrowed.elems, 1), c.pushed(el.v, x, i, req.Ends[1]))}
		c.commit(src, d)
		return dst
	}
	c.removeElems(src, stored, x, i, i)
	d := c.begin(dest, wstored)
	d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Elems: append(borrow(&c.Borrowed.elems, 1), c.pushed(el.v, y, -1, req.Ends[1]))}
	c.commit(dest, d)
	return dst
}

// pushed is the element holding value v pushed at end of list x at the
// command's stamp, x's element at index skip left out (see endPos).
func (c *Ctx) pushed(v string, x *listVal, skip int, end proto.End) Elem {
	return Elem{ID: ElemID{Pos: endPos(x, skip, end), S: c.T}, VS: c.T, Value: v}
}

// endPos is the position of an element pushed at end of list x (nil: an
// empty list), x's element at index skip left out (-1: none): one beyond
// that end's element, 0 in a list with none.
func endPos(x *listVal, skip int, end proto.End) int64 {
	n := 0
	if x != nil {
		n = x.elems.n
	}
	first, last := 0, n-1
	if skip == first {
		first++
	}
	if skip == last {
		last--
	}
	switch {
	case first > last:
		return 0
	case end == proto.EndLeft && first == 0:
		return x.elems.firstID().Pos - 1
	case end == proto.EndLeft:
		return x.elems.at(first).id.Pos - 1
	case last == n-1:
		return x.elems.lastID().Pos + 1
	}
	return x.elems.at(last).id.Pos + 1
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
func (c *Ctx) removeElems(key []byte, stored bool, x *listVal, from, to int) {
	d := c.begin(key, stored)
	d.Val = ValDelta{Kind: proto.TypeList, TS: c.T, Tombs: borrow(&c.Borrowed.tombs, to-from+1)}
	x.elems.each(from, to, func(_ int, e elemView) bool {
		d.Val.Tombs = append(d.Val.Tombs, Tomb{ID: e.id, S: c.T})
		return true
	})
	if to-from+1 == x.elems.n {
		c.clearExpiry(d, key, stored)
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
	if proto.InvalidListRange(start, end) {
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

// listPos answers LIST_POS and LIST_POS_WITHIN of x (nil: a missing
// key): the indexes, from the head, of up to count elements equal to
// target (0: every one), from its rank-th match on (1 the first from the
// head, -1 the first from the tail, the search then going towards the
// head), among the first maxlen elements the search meets (0: all).
func listPos(dst []byte, x *listVal, target string, rank, count, maxlen int64) []byte {
	switch {
	case rank == 0 || rank == math.MinInt64:
		return proto.AppendErrorMsg(dst, msgListPosRank)
	case count < 0:
		return proto.AppendErrorMsg(dst, "LIST_POS count must be 0 (every match) or more")
	case maxlen < 0:
		return proto.AppendErrorMsg(dst, "LIST_POS_WITHIN maxlen must be 0 (every element) or more")
	}
	var found []int64
	n := 0
	if x != nil {
		n = x.elems.n
	}
	skip := absCount(rank) - 1
	match := func(i int) bool {
		if skip > 0 {
			skip--
		} else {
			found = append(found, int64(i))
		}
		return count == 0 || int64(len(found)) < count
	}
	within := n
	if maxlen > 0 && maxlen < int64(n) {
		within = int(maxlen)
	}
	switch {
	case n == 0:
	case rank > 0:
		v := bytesOf(target)
		for i := x.elems.indexOf(v, 0, within-1); i >= 0 && match(i); i = x.elems.indexOf(v, i+1, within-1) {
		}
	default:
		x.elems.eachBack(n-1, n-within, func(i int, e elemView) bool { return string(e.v) != target || match(i) })
	}
	dst = proto.AppendContainerHeader(append(dst, proto.ReplyOK...), proto.TypeArr, len(found))
	for _, f := range found {
		dst = proto.AppendInt(dst, f)
	}
	return proto.AppendContainerEnd(dst, proto.TypeArr)
}

// msgListPosRank refuses LIST_POS's rank 0.
const msgListPosRank = "LIST_POS rank cannot be 0: 1 starts from the first match from the head, 2 from the second, " +
	"-1 from the first from the tail"
