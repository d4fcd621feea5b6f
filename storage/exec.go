package storage

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// Ctx carries what one command needs besides its request: the stamp it
// writes with (whose wall time is also its notion of now), the database,
// where keys live, and a source of randomness. The deltas of its writes are
// appended to Deltas, already applied to their shards.
type Ctx struct {
	T hlc.Stamp
	// Wall, if not 0, is the command's wall time (unix milliseconds) when
	// it is not T's: a serial proposal is stamped at a ballot that may
	// have been promised before the command came (docs/serial.md), while
	// its deadlines and leases count from the command's time.
	Wall int64
	DB   int
	// Locate returns the shard holding key. The caller holds whatever locks
	// the shards need for the duration of the command.
	Locate func(key []byte) *Shard
	// Rand returns a uniform integer in [0, n).
	Rand   func(n int) int
	Deltas []Delta
	// located and at are the last key Locate was asked for and its
	// shard: a write looks its key's shard up three or four times
	// (reading, its deadline, applying), and each Locate hashes the key.
	located []byte
	at      *Shard
	// Borrowed is storage the deltas' slices borrow. A caller that
	// reuses Deltas' storage for its next command may reuse this too
	// (Borrowed.Reset) once the deltas are encoded: shards copy what
	// they keep of a delta.
	Borrowed Borrowed
}

// Reuse readies c for another command in db whose keys locate finds,
// as a Ctx made anew would be, keeping the storage of its Deltas and
// Borrowed, both emptied: the last command's deltas must be encoded by
// now. It writes the fields one by one: assigning a whole new Ctx copied
// every word of it, a sixtieth of a node's time under small commands.
func (c *Ctx) Reuse(db int, locate func(key []byte) *Shard) {
	c.Borrowed.Reset()
	c.T, c.Wall, c.DB, c.Locate, c.Rand = hlc.Stamp{}, 0, db, locate, nil
	c.Deltas, c.located, c.at = c.Deltas[:0], nil, nil
}

// shard returns the shard holding key: Locate's answer, kept for the same
// key bytes (the same slice: a request's bytes do not change while it
// runs).
func (c *Ctx) shard(key []byte) *Shard {
	if c.at == nil || len(key) != len(c.located) || unsafe.SliceData(key) != unsafe.SliceData(c.located) {
		c.located, c.at = key, c.Locate(key)
	}
	return c.at
}

// now is the command's wall time in unix milliseconds.
func (c *Ctx) now() int64 {
	if c.Wall != 0 {
		return c.Wall
	}
	return c.T.Wall()
}

// read returns the visible value of key (nil when missing or expired) and
// whether the shard stores an entry for it (a tombstone or an expired value
// counts).
func (c *Ctx) read(key []byte) (v value, stored bool) {
	sh := c.shard(key)
	e, stored := sh.lookup(c.DB, key)
	if !stored || sh.expired(c.DB, key, c.now()) {
		return nil, stored
	}
	return e.visible(), true
}

// deadline returns key's live deadline, or 0.
func (c *Ctx) deadline(key []byte) int64 { return c.shard(key).deadline(c.DB, key) }

// newDelta starts a delta for key in c.Deltas, whose storage is reused
// from command to command; its key is lent (Delta.lentKey). The pointer
// is valid until the next newDelta.
func (c *Ctx) newDelta(key []byte) *Delta {
	c.Deltas = append(c.Deltas, Delta{DB: uint8(c.DB), Key: c.Borrowed.str(key), lentKey: true})
	return &c.Deltas[len(c.Deltas)-1]
}

// begin starts the delta of a write to key. If the key has expired the
// delta first removes it, so the write acts on a missing key.
func (c *Ctx) begin(key []byte, stored bool) *Delta {
	d := c.newDelta(key)
	if stored {
		if at := c.deadline(key); at != 0 && c.now() > at {
			d.Reset = hlc.EndOfMilli(at)
		}
	}
	return d
}

// beginRetype is begin for a write that gives a live value another type
// (INCR_NUMBER's INT or STR to FLOAT, STR_APPEND's number to STR): a
// reset at the write's stamp, so that no older delta of the old type
// joins the new value later, and the key's deadline written again.
func (c *Ctx) beginRetype(key []byte, stored bool) *Delta {
	at := c.deadline(key)
	d := c.begin(key, stored)
	d.Reset = c.T
	if at != 0 {
		d.Exp = Expiry{S: c.T, At: at}
	}
	return d
}

// commit applies d, which newDelta made, to the shard of key.
func (c *Ctx) commit(key []byte, d *Delta) {
	c.shard(key).Apply(d)
}

// commitAdds applies d, whose members are adds to x (key's set or hash as
// the command read it; nil: none), and returns how many were not live
// before: how much the join grew x, which it changes in place, or all of
// them when x is new. Counting by x's size spares looking each member up
// before the join looks it up again.
func (c *Ctx) commitAdds(key []byte, d *Delta, x *memberMap) int {
	if x == nil || d.Reset != (hlc.Stamp{}) {
		c.commit(key, d)
		return len(d.Val.Members)
	}
	before := x.nlive()
	c.commit(key, d)
	return x.nlive() - before
}

// clearExpiry makes d clear the key's deadline, as deleting a key does.
func (c *Ctx) clearExpiry(d *Delta, key []byte, stored bool) {
	if stored && c.deadline(key) != 0 {
		d.Exp = Expiry{S: c.T}
	}
}

// Exec runs one data command and appends its reply to dst; a FENCED one
// only past its key's fence (exec_fence.go). RESET, which
// spans every shard, is built with ResetDelta instead; session, user and
// server commands never reach storage.
func Exec(c *Ctx, req *proto.Request, dst []byte) []byte {
	if req.Fenced {
		var ok bool
		if dst, ok = c.fence(req, dst); !ok {
			return dst
		}
	}
	switch req.Cmd {
	case proto.CmdGet:
		v, _ := c.read(req.Key())
		if v == nil {
			return append(dst, proto.ReplyNull...)
		}
		return appendValue(append(dst, proto.ReplyOK...), v)
	case proto.CmdSet, proto.CmdSetTTL, proto.CmdSetKeepTTL, proto.CmdSetIfAbsent, proto.CmdSetIfPresent,
		proto.CmdSetTTLIfAbsent, proto.CmdSetTTLIfPresent, proto.CmdGetSet, proto.CmdSetWith, proto.CmdGetSetWith:
		return c.setWith(req, dst)
	case proto.CmdSetIf, proto.CmdDelIf:
		return c.compareAndSet(req, dst)
	case proto.CmdGetDel:
		return c.getDel(req.Key(), dst)
	case proto.CmdLockAcquire, proto.CmdLockRefresh, proto.CmdLockRelease, proto.CmdLockInfo:
		return c.lock(req, dst)
	case proto.CmdIncrNumber:
		return c.incrNumber(req.Key(), req.Float, dst)
	case proto.CmdStrAppend:
		return c.strAppend(req.Key(), req.Str[1], dst)
	case proto.CmdStrRange:
		return c.strRange(req.Key(), req.Int[0], req.Int[1], dst)
	case proto.CmdStrSetRange:
		return c.strSetRange(req.Key(), req.Int[0], req.Str[1], dst)
	case proto.CmdDel:
		return c.del(req.Key(), dst)
	case proto.CmdCopy, proto.CmdCopyIfAbsent:
		return c.copyKey(req, dst)
	case proto.CmdKeyVersion, proto.CmdKeyVersionIs:
		return c.execVersion(req, dst)
	case proto.CmdKeyMemory:
		if v, _ := c.read(req.Key()); v == nil {
			return append(dst, proto.ReplyNull...)
		}
		n, _ := c.shard(req.Key()).keyMemory(c.DB, req.Key())
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(n))
	case proto.CmdRename, proto.CmdRenameIfAbsent:
		return c.rename(req, dst)
	case proto.CmdListMove:
		return c.listMove(req, dst)
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
	case proto.CmdIncrIntText:
		return c.incrIntText(req.Key(), req.Int[0], dst)
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
	case proto.CmdSetExpiry, proto.CmdSetExpiryIf:
		secs := req.Float
		if math.IsNaN(secs) || math.IsInf(secs, 0) {
			return proto.AppendErrorMsg(dst, proto.MsgInvalidExpiry)
		}
		var at int64 // now or before: the key goes
		if secs > 0 {
			at = c.deadlineAfter(math.Ceil(secs * 1000))
		}
		return c.expireAt(req, at, dst)
	case proto.CmdSetExpiryAt, proto.CmdSetExpiryAtIf:
		return c.expireAt(req, min(req.Int[0], int64(hlc.MaxWall)), dst)
	case proto.CmdGetExpiry, proto.CmdGetExpiryAt:
		v, _ := c.read(req.Key())
		at := c.deadline(req.Key())
		switch {
		case v == nil || at == 0:
			return append(dst, proto.ReplyNull...)
		case req.Cmd == proto.CmdGetExpiryAt:
			return proto.AppendInt(append(dst, proto.ReplyOK...), at)
		}
		return proto.AppendFloat(append(dst, proto.ReplyOK...), float64(at-c.now())/1000)
	case proto.CmdClearExpiry:
		if v, stored := c.read(req.Key()); v != nil && c.deadline(req.Key()) != 0 {
			d := c.begin(req.Key(), stored)
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
	if dst, ok := c.execBits(req, dst); ok {
		return dst
	}
	if dst, ok := c.execHLL(req, dst); ok {
		return dst
	}
	return proto.AppendInternalError(dst, "storage: not a data command: "+req.Cmd.String())
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
	if n > 0 {
		x.elems.eachValue(from, to, func(_ int, v []byte) bool { dst = proto.AppendBody(dst, v); return true })
	}
	return proto.AppendContainerEnd(dst, proto.TypeList)
}

func appendMembers(dst []byte, x *memberMap) []byte {
	dst = proto.AppendContainerHeader(dst, x.k, x.nlive())
	for name, st := range x.m.all() {
		dst = proto.AppendBody(dst, name)
		if x.k == proto.TypeHash {
			dst = proto.AppendBody(dst, st.v)
		}
	}
	return proto.AppendContainerEnd(dst, x.k)
}

// setWith runs SET's family, each command a proto.SetForm: SET, SET_TTL,
// SET_KEEP_TTL, SET_IF_ABSENT, SET_IF_PRESENT, SET_TTL_IF_ABSENT,
// SET_TTL_IF_PRESENT, GET_SET, SET_WITH and GET_SET_WITH. When the form's
// condition holds, the typed value replaces whatever the key holds, with
// the deadline the form says: none, req.Int[1] milliseconds from now, at
// req.Int[1] milliseconds since 1970 (a time not in the future removes
// the key instead), or the deadline of the key's live value (restamped
// with the write, since the write's reset drops older deadlines). The
// reply is OK, whether it wrote, or GET's reply for the value replaced;
// those that answer the value replace strings and numbers only: a list,
// set or hash is BAD_TYPE, and stays.
func (c *Ctx) setWith(req *proto.Request, dst []byte) []byte {
	f, _ := req.SetForm()
	key, ms := req.Key(), req.Int[1]
	if f.TTL == proto.TTLAfter && ms <= 0 {
		return proto.AppendErrorMsg(dst, proto.MsgInvalidExpiry)
	}
	var v value // read only when the form asks about the key
	if f.If != proto.KeyAlways || f.Get || f.TTL == proto.TTLKeep {
		v, _ = c.read(key)
	}
	answer := f.Answers(req.Cmd)
	if answer == proto.AnswerReplaced {
		switch v.(type) {
		case *listVal, *memberMap:
			return append(dst, proto.ReplyBadType...)
		case nil:
			dst = append(dst, proto.ReplyNull...)
		default:
			dst = appendValue(append(dst, proto.ReplyOK...), v)
		}
	}
	wrote := f.If == proto.KeyAlways || (f.If == proto.KeyAbsent) == (v == nil)
	if wrote {
		var at int64 // the new value's deadline; 0: none
		switch f.TTL {
		case proto.TTLAfter:
			at = c.deadlineAfter(float64(ms))
		case proto.TTLAt:
			at = min(ms, int64(hlc.MaxWall))
		case proto.TTLKeep:
			if v != nil {
				at = c.deadline(key)
			}
		}
		if f.TTL == proto.TTLAt && at <= c.now() {
			d := c.newDelta(key) // written and expired at once: gone
			d.Reset = c.T
			c.commit(key, d)
		} else {
			d := c.setDelta(req)
			if at != 0 {
				d.Exp = Expiry{S: c.T, At: at}
			}
			c.commit(key, d)
		}
	}
	switch answer {
	case proto.AnswerWrote:
		return proto.AppendBool(append(dst, proto.ReplyOK...), wrote)
	case proto.AnswerOK:
		return append(dst, proto.ReplyOK...)
	}
	return dst
}

// setDelta is the delta of SET (and SET_TTL): the key replaced by the
// typed value, its deadline cleared.
func (c *Ctx) setDelta(req *proto.Request) *Delta {
	d := c.newDelta(req.Key())
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
	return d
}

// compareAndSet runs SET_IF and DEL_IF: the write happens only if the
// key holds the expected value (a value of another type than the expected
// one does not hold it), and the reply says whether it did.
func (c *Ctx) compareAndSet(req *proto.Request, dst []byte) []byte {
	v, _ := c.read(req.Key())
	holds := v != nil && equalsExpected(v, req)
	if holds {
		if req.Cmd == proto.CmdDelIf {
			d := c.newDelta(req.Key())
			d.Reset = c.T
			c.commit(req.Key(), d)
		} else {
			set := *req // the new value where SET's goes
			set.Str[1], set.Int[0], set.Float = req.Str[2], req.Int[1], req.Float2
			c.commit(req.Key(), c.setDelta(&set))
		}
	}
	return proto.AppendBool(append(dst, proto.ReplyOK...), holds)
}

// getDel runs GET_DEL: GET's reply for the value removed, and DEL's
// write (nothing when the key is absent). It removes strings and numbers
// only: a list, set or hash is BAD_TYPE, and stays.
func (c *Ctx) getDel(key []byte, dst []byte) []byte {
	v, _ := c.read(key)
	switch v.(type) {
	case *listVal, *memberMap:
		return append(dst, proto.ReplyBadType...)
	case nil:
		return append(dst, proto.ReplyNull...)
	}
	dst = appendValue(append(dst, proto.ReplyOK...), v)
	d := c.newDelta(key)
	d.Reset = c.T
	c.commit(key, d)
	return dst
}

// strAppend runs STR_APPEND: the string, or a number's text, gets more
// bytes at its end (an absent key starts empty), its deadline kept; a
// container is BAD_TYPE, a string that would outgrow maxString an error.
func (c *Ctx) strAppend(key, more []byte, dst []byte) []byte {
	cur, ok := c.readText(key)
	if !ok {
		return append(dst, proto.ReplyBadType...)
	}
	if int64(len(cur.s))+int64(len(more)) > maxString {
		return proto.AppendErrorMsg(dst, msgStringTooLong())
	}
	joined := make([]byte, 0, len(cur.s)+len(more))
	joined = append(append(joined, cur.s...), more...)
	c.rewriteStr(key, cur, joined)
	return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(joined)))
}

// keyText is what the string commands (STR_APPEND, STR_RANGE,
// STR_SET_RANGE) read of a key: its string, or a number's text, as where
// numbers are strings (Redis's).
type keyText struct {
	s       string
	stored  bool // an entry is stored for the key (see read)
	present bool // the key holds a value (not absent, not expired)
	number  bool // the key holds an INT or a FLOAT
}

// readText returns key's text: its string (empty when absent), an INT's
// decimal digits, or a FLOAT's shortest text at six decimals
// (proto.AppendFloatShort); ok is false when the key holds a container.
func (c *Ctx) readText(key []byte) (cur keyText, ok bool) {
	v, stored := c.read(key)
	cur.stored, cur.present = stored, v != nil
	cur.s, cur.number, ok = textOf(v)
	return cur, ok
}

// textOf returns the text GET reads of v (readText's), whether v is a
// number, and false for a container.
func textOf(v value) (s string, number, ok bool) {
	switch x := v.(type) {
	case nil:
		return "", false, true
	case strVal:
		return x.str(), false, true
	case *counter[int64]:
		return strconv.FormatInt(x.value(), 10), true, true
	case *counter[float64]:
		return string(proto.AppendFloatShort(nil, x.value())), true, true
	}
	return "", false, false
}

// rewriteStr writes b as key's string, whose text was cur, keeping its
// deadline (the read-modify-writes of a string); a number becomes a
// string (beginRetype).
func (c *Ctx) rewriteStr(key []byte, cur keyText, b []byte) {
	var d *Delta
	if cur.number {
		d = c.beginRetype(key, cur.stored)
	} else {
		d = c.begin(key, cur.stored)
	}
	d.Val = ValDelta{Kind: proto.TypeStr, TS: c.T, Reg: c.T}
	d.Val.cell = newStrCell(c.T, b)
	d.Val.Str = d.Val.cell.str()
	c.commit(key, d)
}

// strRange runs STR_RANGE: the bytes from start to end, both included,
// negative positions counting from the end (-1 the last byte) and both
// clamped to the string (a number's text); empty when none remain (an
// absent key too); a container is BAD_TYPE.
func (c *Ctx) strRange(key []byte, start, end int64, dst []byte) []byte {
	cur, ok := c.readText(key)
	if !ok {
		return append(dst, proto.ReplyBadType...)
	}
	s := cur.s
	n := int64(len(s))
	if start < 0 {
		start = max(n+start, 0)
	}
	if end < 0 {
		end = n + end
	}
	end = min(end, n-1)
	if start > end {
		return proto.AppendStr(append(dst, proto.ReplyOK...), "")
	}
	return proto.AppendStr(append(dst, proto.ReplyOK...), s[start:end+1])
}

// maxString bounds the strings STR_APPEND, STR_SET_RANGE and STR_SET_BIT
// make from what a key holds: proto.MaxRequest, the most a write of a
// whole value could bring, as Redis bounds them by its largest bulk
// string. Unbounded, APPENDs grew a string past what one log record may
// hold (wal.MaxRecord), which the log could not replay. A variable only
// so that tests can lower it.
var maxString int64 = proto.MaxRequest

// msgStringTooLong is the error for a string that would outgrow maxString.
func msgStringTooLong() string {
	return fmt.Sprintf("the string would be longer than %d bytes (%d MiB, the largest request)", maxString, maxString>>20)
}

// strSetRange runs STR_SET_RANGE: value overwrites the string's bytes
// from offset on, zero bytes filling any gap after its end (an absent key
// starts empty), its deadline kept; it answers the new length. An empty
// value changes nothing (an absent key stays absent). A negative offset,
// or a string that would outgrow proto.MaxRequest, is an error; a number
// is its text, and a string once written; a container is BAD_TYPE.
func (c *Ctx) strSetRange(key []byte, offset int64, value []byte, dst []byte) []byte {
	cur, ok := c.readText(key)
	if !ok {
		return append(dst, proto.ReplyBadType...)
	}
	if offset < 0 {
		return proto.AppendErrorMsg(dst, "offset is out of range: it must be 0 or more")
	}
	s := cur.s
	if len(value) == 0 {
		return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(s)))
	}
	if offset > maxString-int64(len(value)) {
		return proto.AppendErrorMsg(dst, msgStringTooLong())
	}
	out := make([]byte, max(int64(len(s)), offset+int64(len(value))))
	copy(out, s)
	copy(out[offset:], value)
	c.rewriteStr(key, cur, out)
	return proto.AppendInt(append(dst, proto.ReplyOK...), int64(len(out)))
}

// equalsExpected reports whether v is the expected value of req (its
// type, and Str[1], Int[0] or Float). FLOAT values travel with six
// decimals (§6), so a client names a float only to six decimals: two
// floats are equal when they show the same.
func equalsExpected(v value, req *proto.Request) bool {
	switch x := v.(type) {
	case strVal:
		return req.Type == proto.TypeStr && x.str() == string(req.Str[1])
	case *counter[int64]:
		return req.Type == proto.TypeInt && x.value() == req.Int[0]
	case *counter[float64]:
		if req.Type != proto.TypeFloat {
			return false
		}
		var a, b [32]byte
		return string(proto.AppendFloatText(a[:0], x.value())) == string(proto.AppendFloatText(b[:0], req.Float))
	}
	return false
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
	v, stored := c.read(key)
	x, ok := v.(*counter[int64])
	if v != nil && !ok {
		return append(dst, proto.ReplyBadType...)
	}
	return c.addInt(key, stored, x, delta, proto.MsgIntegerOverflow, dst)
}

// addInt adds delta to x, key's INT counter (nil: none yet), and answers
// the sum, or the error overflow when it leaves 64 bits.
func (c *Ctx) addInt(key []byte, stored bool, x *counter[int64], delta int64, overflow string, dst []byte) []byte {
	var cur int64
	if x != nil {
		cur = x.value()
	}
	if overflows(cur, delta) {
		return proto.AppendErrorMsg(dst, overflow)
	}
	sum := cur + delta
	d := c.begin(key, stored)
	if x == nil {
		x = &counter[int64]{k: proto.TypeInt}
	}
	d.Val = x.increment(c.T, delta, sum, &c.Borrowed.slots)
	c.commit(key, d)
	return proto.AppendInt(append(dst, proto.ReplyOK...), sum)
}

// incrIntText runs INCR_INT_TEXT (§12.29): INCR_INT's increment of an INT
// or a missing key; a STR or FLOAT whose text (as GET reads it) is an
// integer's (proto.IntText) becomes the INT of its value plus delta, its
// deadline kept. Anything else is refused in Redis's words: other text is
// not an integer, a container not a number.
func (c *Ctx) incrIntText(key []byte, delta int64, dst []byte) []byte {
	v, stored := c.read(key)
	if x, isInt := v.(*counter[int64]); v == nil || isInt {
		return c.addInt(key, stored, x, delta, proto.MsgWouldOverflow, dst)
	}
	text, _, ok := textOf(v)
	if !ok {
		return proto.AppendBadTypeMsg(dst, proto.MsgNotANumber)
	}
	cur, ok := proto.IntText(text)
	if !ok {
		return proto.AppendErrorMsg(dst, proto.MsgNotInteger)
	}
	if overflows(cur, delta) {
		return proto.AppendErrorMsg(dst, proto.MsgWouldOverflow)
	}
	d := c.beginRetype(key, stored)
	d.Val = ValDelta{Kind: proto.TypeInt, TS: c.T, Reg: c.T, Int: cur + delta}
	c.commit(key, d)
	return proto.AppendInt(append(dst, proto.ReplyOK...), cur+delta)
}

// overflows reports whether cur + delta leaves int64.
func overflows(cur, delta int64) bool {
	sum := cur + delta
	return delta > 0 && sum < cur || delta < 0 && sum > cur
}

func (c *Ctx) incrFloat(key []byte, delta float64, dst []byte) []byte {
	v, stored := c.read(key)
	x, ok := v.(*counter[float64])
	if v != nil && !ok {
		return append(dst, proto.ReplyBadType...)
	}
	return c.addFloat(key, stored, x, delta, dst)
}

// addFloat adds delta to x, key's FLOAT counter (nil: none yet), and
// answers the sum.
func (c *Ctx) addFloat(key []byte, stored bool, x *counter[float64], delta float64, dst []byte) []byte {
	d := c.begin(key, stored)
	var cur float64
	if x == nil {
		x = &counter[float64]{k: proto.TypeFloat}
	} else {
		cur = x.value()
	}
	sum := cur + delta
	d.Val = x.increment(c.T, delta, sum, &c.Borrowed.slots)
	c.commit(key, d)
	return proto.AppendFloat(append(dst, proto.ReplyOK...), sum)
}

// incrNumber runs INCR_NUMBER (PROTOCOL.md §12.8), Redis's INCRBYFLOAT,
// where numbers are strings: delta is added to a FLOAT as INCR_FLOAT adds
// it; an INT, or a STR holding a finite number's text, becomes a FLOAT
// holding the sum, at the command's stamp (as SET writes one), keeping
// its deadline. An absent key starts at 0. A sum that is not finite is
// refused and nothing is written; anything else is BAD_TYPE.
func (c *Ctx) incrNumber(key []byte, delta float64, dst []byte) []byte {
	v, stored := c.read(key)
	var cur float64
	switch x := v.(type) {
	case nil:
		if !finite(delta) {
			return proto.AppendErrorMsg(dst, proto.MsgNotFinite)
		}
		return c.addFloat(key, stored, nil, delta, dst)
	case *counter[float64]:
		if !finite(x.value() + delta) {
			return proto.AppendErrorMsg(dst, proto.MsgNotFinite)
		}
		return c.addFloat(key, stored, x, delta, dst)
	case *counter[int64]:
		cur = float64(x.value())
	case strVal:
		f, ok := parseFinite(x.str())
		if !ok {
			return append(dst, proto.ReplyBadType...)
		}
		cur = f
	default:
		return append(dst, proto.ReplyBadType...)
	}
	sum := cur + delta
	if !finite(sum) {
		return proto.AppendErrorMsg(dst, proto.MsgNotFinite)
	}
	d := c.beginRetype(key, stored)
	d.Val = ValDelta{Kind: proto.TypeFloat, TS: c.T, Reg: c.T, Float: sum}
	c.commit(key, d)
	return proto.AppendFloat(append(dst, proto.ReplyOK...), sum)
}

// finite reports whether f is neither infinite nor NaN.
func finite(f float64) bool { return !math.IsInf(f, 0) && !math.IsNaN(f) }

// parseFinite reads s as a finite float (INCR_NUMBER's strings,
// HASH_INCR_FLOAT's fields).
func parseFinite(s string) (float64, bool) {
	f, err := strconv.ParseFloat(s, 64)
	return f, err == nil && finite(f)
}

// deadlineAfter returns the wall-clock deadline ms milliseconds from now,
// capped at the largest a stamp holds.
func (c *Ctx) deadlineAfter(ms float64) int64 {
	if ms < float64(hlc.MaxWall-c.now()) {
		return c.now() + int64(ms)
	}
	return int64(hlc.MaxWall)
}

// expireAt gives req's key the deadline at (wall-clock milliseconds), or
// deletes it when at is not in the future: SET_EXPIRY and SET_EXPIRY_AT,
// which answer OK, and their _IF forms, which do it only when the key's
// present deadline admits at (req.When) and answer whether they did. A
// missing key is left alone.
func (c *Ctx) expireAt(req *proto.Request, at int64, dst []byte) []byte {
	key := req.Key()
	v, stored := c.read(key)
	done := v != nil && (req.When == proto.DeadlineAlways || req.When.Admits(c.deadline(key), at))
	if done {
		d := c.begin(key, stored)
		if at <= c.now() {
			d.Reset = c.T
		} else {
			d.Exp = Expiry{S: c.T, At: at}
		}
		c.commit(key, d)
	}
	if req.Cmd == proto.CmdSetExpiryIf || req.Cmd == proto.CmdSetExpiryAtIf {
		return proto.AppendBool(append(dst, proto.ReplyOK...), done)
	}
	return append(dst, proto.ReplyOK...)
}

// ---- lists ----
