package storage

import (
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hll"
)

// HyperLogLog sketches (PROTOCOL.md §12.33) live in strings, in Redis's
// format (package hll): HLL_ADD and HLL_MERGE_INTO rewrite a key's string,
// keeping its deadline, and HLL_COUNT reads them. A key holding a
// container is BAD_TYPE; one holding a number or a string that is no
// sketch, BAD_TYPE with MsgNotHLL (Redis words the two apart too).

func (c *Ctx) execHLL(req *proto.Request, dst []byte) ([]byte, bool) {
	switch req.Cmd {
	case proto.CmdHllAdd:
		return c.hllAdd(req, dst), true
	case proto.CmdHllCount:
		return c.hllCount(req, dst), true
	case proto.CmdHllMergeInto:
		return c.hllMergeInto(req, dst), true
	}
	return dst, false
}

// sketchText returns key's text, or the refusal of a key holding a
// container or a number (a string is checked by decoding it).
func (c *Ctx) sketchText(key []byte) (cur keyText, refusal []byte) {
	cur, ok := c.readText(key)
	switch {
	case !ok:
		return cur, proto.ReplyBadType
	case cur.number:
		return cur, notHLL
	}
	return cur, nil
}

// readSketch returns key's sketch (an empty one for an absent key) and
// its text, or the refusal of a key that holds anything else.
func (c *Ctx) readSketch(key []byte) (sk hll.Sketch, cur keyText, refusal []byte) {
	if cur, refusal = c.sketchText(key); refusal != nil || !cur.present {
		return sk, cur, refusal
	}
	sk, ok := hll.Decode([]byte(cur.s))
	if !ok {
		return sk, cur, notHLL
	}
	return sk, cur, nil
}

// notHLL is the refusal of a string or a number that is no sketch.
var notHLL = proto.AppendBadTypeMsg(nil, proto.MsgNotHLL)

// hllAdd runs HLL_ADD: 1 when a register grew or the key was created,
// else 0 (nothing is written then). A dense sketch is changed register by
// register (hll.AddTo), so an element that raises nothing costs its hash.
func (c *Ctx) hllAdd(req *proto.Request, dst []byte) []byte {
	key := req.Key()
	cur, refusal := c.sketchText(key)
	if refusal != nil {
		return append(dst, refusal...)
	}
	out, changed, ok := hll.AddTo(cur.s, cur.present, req.Elems)
	switch {
	case !ok:
		return append(dst, notHLL...)
	case !changed && cur.present:
		return proto.AppendInt(append(dst, proto.ReplyOK...), 0)
	case !changed:
		out = hll.New() // created empty
	}
	c.rewriteStr(key, cur, out)
	return proto.AppendInt(append(dst, proto.ReplyOK...), 1)
}

// hllCount runs HLL_COUNT: the estimate of the union of the keys'
// sketches.
func (c *Ctx) hllCount(req *proto.Request, dst []byte) []byte {
	var union hll.Sketch
	for _, k := range req.Elems {
		sk, _, refusal := c.readSketch(k)
		if refusal != nil {
			return append(dst, refusal...)
		}
		union.Merge(&sk)
	}
	return proto.AppendInt(append(dst, proto.ReplyOK...), int64(union.Count()))
}

// hllMergeInto runs HLL_MERGE_INTO: the destination's sketch raised to
// every source's, written (dense if any of them was), its deadline kept.
func (c *Ctx) hllMergeInto(req *proto.Request, dst []byte) []byte {
	dest := req.Key()
	sk, cur, refusal := c.readSketch(dest)
	if refusal != nil {
		return append(dst, refusal...)
	}
	for _, k := range req.Elems {
		src, _, refusal := c.readSketch(k)
		if refusal != nil {
			return append(dst, refusal...)
		}
		sk.Merge(&src)
	}
	c.rewriteStr(dest, cur, sk.Encode())
	return append(dst, proto.ReplyOK...)
}
