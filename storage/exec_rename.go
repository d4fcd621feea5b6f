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
		at := c.deadline(key)
		d := c.newDelta(newkey)
		d.Reset, d.Val = c.T, wholeValue(v, c.T)
		if at != 0 {
			d.Exp = Expiry{S: c.T, At: at}
		}
		c.commit(newkey, d)
		gone := c.newDelta(key)
		gone.Reset = c.T
		c.commit(key, gone)
	}
	if ifAbsent {
		return proto.AppendBool(append(dst, proto.ReplyOK...), true)
	}
	return append(dst, proto.ReplyOK...)
}
