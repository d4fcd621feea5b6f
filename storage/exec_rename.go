package storage

import "github.com/vanitydb/vanity/proto"

// rename runs RENAME and RENAME_IF_ABSENT (PROTOCOL.md §12.13): key's
// value and deadline, whole, become newkey's at the command's stamp
// (newkey's former state reset), and key is deleted. An absent key is
// an error; renaming a key to itself changes nothing.
func (c *Ctx) rename(req *proto.Request, dst []byte) []byte {
	key, newkey := req.Str[0], req.Str[1]
	v, _ := c.read(key)
	if v == nil {
		return proto.AppendErrorMsg(dst, proto.MsgNoSuchKey)
	}
	ifAbsent := req.Cmd == proto.CmdRenameIfAbsent
	if ifAbsent {
		if w, _ := c.read(newkey); w != nil {
			return proto.AppendBool(append(dst, proto.ReplyOK...), false)
		}
	}
	if string(key) != string(newkey) {
		c.giveTo(newkey, v, c.deadline(key))
		gone := c.newDelta(key)
		gone.Reset = c.T
		c.commit(key, gone)
	}
	if ifAbsent {
		return proto.AppendBool(append(dst, proto.ReplyOK...), true)
	}
	return append(dst, proto.ReplyOK...)
}

// giveTo makes v, with the deadline at (0: none), newkey's whole value at
// the command's stamp, newkey's former state reset.
func (c *Ctx) giveTo(newkey []byte, v value, at int64) {
	d := c.newDelta(newkey)
	d.Reset, d.Val = c.T, wholeValue(v, c.T)
	if at != 0 {
		d.Exp = Expiry{S: c.T, At: at}
	}
	c.commit(newkey, d)
}

// msgCopySame refuses a COPY of a key onto itself.
const msgCopySame = "COPY's source and destination are the same key"

// copyKey runs COPY and COPY_IF_ABSENT (PROTOCOL.md §12.13): key's value
// and deadline, whole, become newkey's too, as RENAME gives them, and key
// stays. The reply says whether a copy was made: not of an absent key,
// nor, for COPY_IF_ABSENT, onto a key that exists.
func (c *Ctx) copyKey(req *proto.Request, dst []byte) []byte {
	key, newkey := req.Str[0], req.Str[1]
	if string(key) == string(newkey) {
		return proto.AppendErrorMsg(dst, msgCopySame)
	}
	v, _ := c.read(key)
	if v == nil {
		return proto.AppendBool(append(dst, proto.ReplyOK...), false)
	}
	if req.Cmd == proto.CmdCopyIfAbsent {
		if w, _ := c.read(newkey); w != nil {
			return proto.AppendBool(append(dst, proto.ReplyOK...), false)
		}
	}
	c.giveTo(newkey, v, c.deadline(key))
	return proto.AppendBool(append(dst, proto.ReplyOK...), true)
}
