package proto

// Class describes what a command touches, for routing and locking.
type Class uint8

const (
	ClassSession  Class = iota // session, user, pub/sub or server command: never reaches storage
	ClassRead                  // reads keys
	ClassWrite                 // writes keys (and may read them)
	ClassDatabase              // RESET: every key of the current database
)

// Class returns how c touches data.
func (c Command) Class() Class {
	switch c {
	case CmdGet, CmdExists, CmdType, CmdStrLen, CmdManyGet, CmdListLen, CmdListGet, CmdListRange,
		CmdSetAll, CmdSetLen, CmdSetContains, CmdSetUnion, CmdSetUnionLen, CmdSetIntersect,
		CmdSetIntersectLen, CmdSetDiff, CmdSetDiffLen, CmdHashAll, CmdHashGet, CmdHashContains,
		CmdHashLen, CmdHashKeyLen, CmdHashKeys, CmdHashValues, CmdHashManyGet, CmdGetExpiry, CmdLockInfo,
		CmdStrRange, CmdSetScan, CmdHashScan, CmdSetRandom, CmdHashRandom, CmdListPos, CmdGetExpiryAt,
		CmdKeyVersion, CmdKeyVersionIs, CmdKeyMemory, CmdSetDiffMany, CmdStrGetBit, CmdStrBitCount, CmdStrBitPos,
		CmdStrBitPosFrom, CmdListPosWithin, CmdSetIntersectLenUpTo, CmdHllCount:
		return ClassRead
	case CmdSet, CmdDel, CmdIncrInt, CmdIncrFloat, CmdListSet, CmdListPushLeft, CmdListPushRight,
		CmdListPopLeft, CmdListPopRight, CmdListTrim, CmdListRemove, CmdSetAdd, CmdSetRemove,
		CmdSetDiscard, CmdSetMove, CmdSetUnionInto, CmdSetIntersectInto, CmdSetDiffInto,
		CmdHashSet, CmdHashRemove, CmdHashUpdate, CmdSetExpiry, CmdClearExpiry, CmdSetTTL,
		CmdSetIf, CmdSetIfAbsent, CmdDelIf, CmdSetTTLIfAbsent, CmdGetSet, CmdGetDel,
		CmdLockAcquire, CmdLockRefresh, CmdLockRelease, CmdStrAppend, CmdHashIncr, CmdStrSetRange,
		CmdSetIfPresent, CmdHashSetIfAbsent, CmdFenced, CmdOnce, CmdRetry, CmdSetTTLIfPresent,
		CmdRename, CmdRenameIfAbsent, CmdListMove, CmdIncrNumber, CmdSetExpiryAt, CmdHashIncrFloat, CmdCopy, CmdCopyIfAbsent,
		CmdSetKeepTTL, CmdSetDiffManyInto, CmdSetExpiryIf, CmdSetExpiryAtIf, CmdSetWith, CmdGetSetWith,
		CmdListPushLeftIfPresent, CmdListPushRightIfPresent, CmdIncrIntText, CmdListInsert, CmdStrSetBit, CmdStrBitOpInto,
		CmdHllAdd, CmdHllMergeInto:
		return ClassWrite
	case CmdReset:
		return ClassDatabase
	}
	return ClassSession
}

var classNames = [...]string{ClassSession: "session", ClassRead: "read", ClassWrite: "write", ClassDatabase: "database"}

func (c Class) String() string {
	if int(c) < len(classNames) {
		return classNames[c]
	}
	return "invalid"
}

// ChangesSession reports whether c changes the state of the connection it
// runs on (§5.1: login, database, levels, an open transaction, watched keys,
// subscriptions) or ends it, so that a pool of connections must not run it
// on a shared one. A PIPE may hold such commands.
func (c Command) ChangesSession() bool {
	switch c {
	case CmdAuth, CmdSwitchDB, CmdConsistency, CmdTransactBegin, CmdTransactCommit, CmdTransactDiscard,
		CmdSubscribe, CmdUnsubscribe, CmdUnsubscribeAll, CmdExit, CmdTerminate, CmdPipe,
		CmdSubscribePattern, CmdUnsubscribePattern, CmdTransactWatch, CmdTransactUnwatch:
		return true
	}
	return false
}

// ReadOnly reports whether every request of reqs only reads.
func ReadOnly(reqs []*Request) bool {
	for _, r := range reqs {
		if r.Cmd.Class() != ClassRead {
			return false
		}
	}
	return true
}

// Conditional reports whether c is a compare-and-set, a read-and-replace
// (§12.6), a lock command (§12.7), a read-modify-write of a string or a
// hash field (§12.8, §12.10), a deadline set on a condition (§12.25),
// GET_SET_WITH (§12.26), a push onto a list that exists (§12.28), an
// insertion beside a list's element (§12.30), a string's bit set
// (§12.31) or a HyperLogLog's registers raised (§12.33):
// whether it writes, what it writes or what it
// answers depends on the state it replaces, which in a cluster only the
// linearizable path can make exact.
func (c Command) Conditional() bool {
	switch c {
	case CmdSetIf, CmdSetIfAbsent, CmdDelIf, CmdSetTTLIfAbsent, CmdGetSet, CmdGetDel,
		CmdLockAcquire, CmdLockRefresh, CmdLockRelease, CmdLockInfo, CmdStrAppend, CmdHashIncr, CmdStrSetRange,
		CmdSetIfPresent, CmdHashSetIfAbsent, CmdSetTTLIfPresent, CmdHashIncrFloat, CmdSetKeepTTL,
		CmdSetExpiryIf, CmdSetExpiryAtIf, CmdGetSetWith, CmdListPushLeftIfPresent, CmdListPushRightIfPresent,
		CmdListInsert, CmdStrSetBit, CmdHllAdd:
		return true
	}
	return false
}

// AddsData reports whether c is a write that may leave the server holding
// more than before: what a node over its memory limit refuses (§12.2).
// The writes that only remove or shorten (DEL, pops, trims, removals,
// RESET), change deadlines, move what is there (RENAME, SET_MOVE,
// LIST_MOVE) or keep a lock (LOCK_REFRESH, LOCK_RELEASE) run, so that a
// full server can be emptied; so does a RETRY, which only answers.
func (r *Request) AddsData() bool {
	if r.Once == OnceRetry {
		return false
	}
	switch r.Cmd {
	case CmdDel, CmdDelIf, CmdGetDel, CmdListPopLeft, CmdListPopRight, CmdListTrim, CmdListRemove,
		CmdSetRemove, CmdSetDiscard, CmdHashRemove, CmdSetExpiry, CmdSetExpiryAt, CmdSetExpiryIf,
		CmdSetExpiryAtIf, CmdClearExpiry, CmdRename, CmdRenameIfAbsent, CmdSetMove, CmdListMove,
		CmdLockRefresh, CmdLockRelease:
		return false
	}
	return r.Cmd.Class() == ClassWrite
}

// Lock reports whether c is a lock command (§12.7).
func (c Command) Lock() bool {
	return c == CmdLockAcquire || c == CmdLockRefresh || c == CmdLockRelease || c == CmdLockInfo
}

// MayRewrite reports whether c is a read-modify-write on some states only,
// so that whether a cluster must run it on its serial path is for the
// key's coordinator to tell from what the key holds: INCR_NUMBER turns an
// INT or a STR into a FLOAT (§12.8), and on a FLOAT is INCR_FLOAT's
// increment, whose copies merge exactly; INCR_INT_TEXT turns a STR into
// an INT (§12.29), and on an INT is INCR_INT's.
func (c Command) MayRewrite() bool { return c == CmdIncrNumber || c == CmdIncrIntText }

// WritesOneKey reports whether c writes one key and nothing else: the
// writes FENCED, ONCE and RETRY may carry.
func (c Command) WritesOneKey() bool {
	switch c {
	case CmdFenced, CmdOnce, CmdRetry, CmdSetMove, CmdSetUnionInto, CmdSetIntersectInto, CmdSetDiffInto,
		CmdSetDiffManyInto, CmdRename, CmdRenameIfAbsent, CmdListMove, CmdCopy, CmdCopyIfAbsent, CmdStrBitOpInto,
		CmdHllMergeInto:
		return false
	}
	return c.Class() == ClassWrite
}

// OnePartition reports whether a cluster runs c only when all its keys
// live in one partition (RENAME, COPY, LIST_MOVE, STR_BIT_OP_INTO,
// HLL_MERGE_INTO: one atomic write on their coordinator; HLL_COUNT: one
// union of their sketches), refusing it otherwise rather than running it
// key by key.
func (c Command) OnePartition() bool {
	switch c {
	case CmdRename, CmdRenameIfAbsent, CmdListMove, CmdCopy, CmdCopyIfAbsent, CmdStrBitOpInto, CmdHllCount, CmdHllMergeInto:
		return true
	}
	return false
}

// BlockingPop reports whether c is a blocking pop of one key (§12.9): a
// router runs it as tries of the plain pop, never storage, and ONCE may
// carry it.
func (c Command) BlockingPop() bool { return c == CmdListPopLeftWait || c == CmdListPopRightWait }

// Blocking reports whether c waits for an element (§12.9): a blocking pop
// (of one key or of several, §12.27) or LIST_MOVE_WAIT, which a router
// runs as tries of LIST_MOVE.
func (c Command) Blocking() bool {
	return c.BlockingPop() || c == CmdListMoveWait || c == CmdListPopLeftWaitAny || c == CmdListPopRightWaitAny
}

// Serial reports whether requests that run as one command (one request,
// or a transaction's), under the session's read and write levels, take a
// cluster's serial path (docs/serial.md): a lock command, a fenced write
// and a request with an id (ONCE, RETRY) always do (the serial path then
// refuses a transaction holding one), a conditional command alone always
// does, a read when reads are SERIAL, a write when writes are. A
// transaction at QUORUM or ONE holding other conditional commands stays
// off it: the serial path runs one command on one key, so the transaction
// runs whole on its coordinator's copy and its conditional commands are
// atomic with it, with its guarantee (docs/guarantees.md).
func Serial(read, write Consistency, reqs []*Request) bool {
	for _, r := range reqs {
		if r.Fenced || r.Once != OnceNone || r.Cmd.Lock() || len(reqs) == 1 && r.Conditional() {
			return true
		}
	}
	if ReadOnly(reqs) {
		return read == ConsSerial
	}
	return write == ConsSerial
}

// IsData reports whether c is executed by storage.
func (c Command) IsData() bool { return c.Class() != ClassSession }

// Keys appends to dst every key req names, in argument order (duplicates
// included). RESET names no key: it covers the whole database.
func (r *Request) Keys(dst [][]byte) [][]byte {
	switch r.Cmd {
	case CmdManyGet, CmdSetUnion, CmdSetUnionLen, CmdSetIntersect, CmdSetIntersectLen, CmdSetIntersectLenUpTo, CmdSetDiffMany,
		CmdListPopLeftWaitAny, CmdListPopRightWaitAny, CmdHllCount:
		return append(dst, r.Elems...)
	case CmdSetUnionInto, CmdSetIntersectInto, CmdSetDiffManyInto, CmdStrBitOpInto, CmdHllMergeInto:
		return append(append(dst, r.Str[0]), r.Elems...)
	case CmdSetDiff, CmdSetDiffLen, CmdSetMove, CmdRename, CmdRenameIfAbsent, CmdListMove, CmdCopy, CmdCopyIfAbsent:
		return append(dst, r.Str[0], r.Str[1])
	case CmdSetDiffInto:
		return append(dst, r.Str[0], r.Str[1], r.Str[2])
	case CmdReset:
		return dst
	}
	if r.Cmd.IsData() {
		return append(dst, r.Str[0])
	}
	return dst
}
