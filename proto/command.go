package proto

// Command identifies a command word. The numeric values are part of the
// internal RPC and WAL formats: ONLY APPEND TO THIS LIST.
type Command uint8

const (
	CmdNone Command = iota // no command word matched
	CmdPing
	CmdExit
	CmdTerminate
	CmdPipe
	CmdAuth
	CmdAddUser
	CmdEditUser
	CmdDelUser
	CmdChangePassword
	CmdSwitchDB
	CmdPersist
	CmdReset
	CmdDel
	CmdType
	CmdExists
	CmdGet
	CmdSet
	CmdIncrInt
	CmdIncrFloat
	CmdStrLen
	CmdManyGet
	CmdListLen
	CmdListGet
	CmdListSet
	CmdListPushLeft
	CmdListPushRight
	CmdListPopLeft
	CmdListPopRight
	CmdListRange
	CmdListTrim
	CmdListRemove
	CmdSetAdd
	CmdSetAll
	CmdSetRemove
	CmdSetDiscard
	CmdSetLen
	CmdSetContains
	CmdSetMove
	CmdSetUnion
	CmdSetUnionInto
	CmdSetUnionLen
	CmdSetIntersect
	CmdSetIntersectInto
	CmdSetIntersectLen
	CmdSetDiff
	CmdSetDiffInto
	CmdSetDiffLen
	CmdHashSet
	CmdHashAll
	CmdHashGet
	CmdHashContains
	CmdHashLen
	CmdHashKeyLen
	CmdHashKeys
	CmdHashValues
	CmdHashManyGet
	CmdHashRemove
	CmdHashUpdate
	CmdSetExpiry
	CmdGetExpiry
	CmdClearExpiry
	CmdTransactBegin
	CmdTransactCommit
	CmdTransactDiscard
	CmdPublish
	CmdSubscribe
	CmdSubscribed
	CmdUnsubscribe
	CmdUnsubscribeAll
	CmdConsistency
	CmdGetConsistency
	CmdClusterInfo
	CmdSetTTL // SET with a time to live, in one write (§12.3)
	CmdScan   // a page of the database's keys (§12.4)
	CmdKeys   // every key matching a pattern (§12.4)
	CmdDBSize // the number of keys in the database (§12.4)
	CmdInfo   // the server's state by section (§12.5)

	// Compare-and-set and read-and-replace (§12.6): their outcome depends
	// on the state they read, so a cluster runs them only on its serial
	// (linearizable) path.
	CmdSetIf          // SET if the value equals the expected one
	CmdSetIfAbsent    // SET if the key is absent
	CmdDelIf          // DEL if the value equals the expected one
	CmdSetTTLIfAbsent // SET_TTL if the key is absent (a lease)
	CmdGetSet         // SET, answering the value it replaced
	CmdGetDel         // DEL, answering the value it removed

	// Locks with fencing tokens (§12.7), conditional like the above.
	CmdLockAcquire // take a free lock for a lease: its token
	CmdLockRefresh // extend the holder's lease
	CmdLockRelease // free the holder's lock
	CmdLockInfo    // the holder, token and lease left

	// Read-modify-writes whose result is a function of the value they
	// replace (§12.8), conditional like the above.
	CmdStrAppend // a STR's bytes followed by more
	CmdHashIncr  // a hash field's integer text plus an amount

	// Blocking pops (§12.9): the router pops until there is something or
	// the time is up.
	CmdListPopLeftWait
	CmdListPopRightWait

	// Ranges of a string (§12.10): a read, and a read-modify-write,
	// conditional like those of §12.8.
	CmdStrRange    // a STR's bytes from start to end
	CmdStrSetRange // a STR with bytes overwritten at an offset

	// SET if the key exists (§12.6), conditional like the other
	// compare-and-sets.
	CmdSetIfPresent
	// A hash field set if the field is absent (§12.8), conditional.
	CmdHashSetIfAbsent
	// A write carrying a lock's fencing token (§12.11): its request is
	// the write's, marked Fenced.
	CmdFenced
	// A write with a request id (§12.12), sent for the first time, and
	// sent again: its request is the write's, with Once and OnceID.
	CmdOnce
	CmdRetry
	// SET_TTL if the key exists (§12.6): Redis's SET … XX EX, conditional.
	CmdSetTTLIfPresent
	// A key's value and deadline moved to another name (§12.13).
	CmdRename
	CmdRenameIfAbsent
	// An element taken from one end of a list and put at an end of
	// another, or of the same one (§12.14).
	CmdListMove
	// LIST_MOVE waiting for an element (§12.9, §12.14): a router runs it
	// as tries of LIST_MOVE.
	CmdListMoveWait
	// A float added to a number of any kind, an INT or a numeric STR
	// becoming a FLOAT (§12.8): Redis's INCRBYFLOAT, a read-modify-write.
	CmdIncrNumber
	// Subscriptions to every channel whose name matches a pattern
	// (§12.15): Redis's PSUBSCRIBE and PUNSUBSCRIBE.
	CmdSubscribePattern
	CmdUnsubscribePattern
	CmdSubscribedPatterns
	// A deadline given as a wall-clock time (§12.16): Redis's EXPIREAT
	// and PEXPIREAT.
	CmdSetExpiryAt
	// A float added to a hash field's number text (§12.8): Redis's
	// HINCRBYFLOAT, a read-modify-write.
	CmdHashIncrFloat
	// SET keeping the key's deadline (§12.2): Redis's SET KEEPTTL, a
	// read-modify-write of the deadline.
	CmdSetKeepTTL
	// A set's members and a hash's fields a page at a time (§12.18):
	// Redis's SSCAN and HSCAN.
	CmdSetScan
	CmdHashScan
	// Members (fields with their values) drawn at random, kept (§12.19):
	// Redis's SRANDMEMBER and HRANDFIELD.
	CmdSetRandom
	CmdHashRandom
	// Where an element stands in a list (§12.20): Redis's LPOS.
	CmdListPos
	// A key's deadline as a time (§12.16): Redis's PEXPIRETIME.
	CmdGetExpiryAt
	// A key's value and deadline given to another key too (§12.13):
	// Redis's COPY, with and without REPLACE.
	CmdCopy
	CmdCopyIfAbsent
	// A key's version, and the check of one a transaction makes before it
	// runs anything (§12.21): what Redis's WATCH stands on.
	CmdKeyVersion
	CmdKeyVersionIs
	// Optimistic transactions (§12.21): the session watches keys, and its
	// commit runs nothing if one changed. Redis's WATCH and UNWATCH.
	CmdTransactWatch
	CmdTransactUnwatch
	// About how many bytes a key takes in memory (§12.22): Redis's
	// MEMORY USAGE.
	CmdKeyMemory
	// A key at random (§12.23): Redis's RANDOMKEY.
	CmdRandomKey
	// The difference of any number of sets (§12.24): the first less every
	// other, Redis's SDIFF and SDIFFSTORE (SET_DIFF takes two).
	CmdSetDiffMany
	CmdSetDiffManyInto
	// A deadline set only when the key's present one allows (§12.25):
	// Redis's EXPIRE and EXPIREAT with NX, XX, GT or LT.
	CmdSetExpiryIf
	CmdSetExpiryAtIf
	// SET with every option Redis's SET has (§12.26): a condition on the
	// key, a deadline of any kind, and (GET_SET_WITH) the value replaced.
	CmdSetWith
	CmdGetSetWith
	// A blocking pop from the first of several lists that has an element
	// (§12.27): Redis's BLPOP and BRPOP of several keys.
	CmdListPopLeftWaitAny
	CmdListPopRightWaitAny
	// A push onto a list only if it exists (§12.28): Redis's LPUSHX and
	// RPUSHX.
	CmdListPushLeftIfPresent
	CmdListPushRightIfPresent
	// An integer added to an INT or to a STR holding an integer's text,
	// which becomes an INT (§12.29): Redis's INCRBY.
	CmdIncrIntText
	// An element put beside the first element equal to a pivot (§12.30):
	// Redis's LINSERT.
	CmdListInsert
	// A string's bits (§12.31): Redis's GETBIT, SETBIT, BITCOUNT and
	// BITPOS (with an end, and without: _FROM).
	CmdStrGetBit
	CmdStrSetBit
	CmdStrBitCount
	CmdStrBitPos
	CmdStrBitPosFrom
	// LIST_POS looking at the first (or last) maxlen elements only
	// (§12.20): Redis's LPOS MAXLEN.
	CmdListPosWithin
	// SET_INTERSECT_LEN counting up to a limit (§12.32): Redis's
	// SINTERCARD LIMIT.
	CmdSetIntersectLenUpTo
	// A string made of the bits of others (§12.31): Redis's BITOP.
	CmdStrBitOpInto
	// HyperLogLog sketches in strings (§12.33): Redis's PFADD, PFCOUNT
	// and PFMERGE.
	CmdHllAdd
	CmdHllCount
	CmdHllMergeInto

	numCommands // keep last
)

// arg is one positional argument kind of a command's schema.
type arg uint8

const (
	argStr     arg = iota + 1 // (n)bytes
	argInt                    // signed 64-bit integer
	argFloat                  // IEEE-754 double
	argArr                    // (n)[...] of keys or fields
	argList                   // (n)[...] of list data
	argSet                    // (n){...}
	argHash                   // (n){field value ...}
	argType                   // :STR / :INT / :FLOAT annotation, and the value it announces
	argLevel                  // ADMIN / USER / PEER / UNKNOWN
	argCons                   // ONE / QUORUM / ALL
	argRaw                    // PING: the raw remainder of a top-level frame
	argMillis                 // a duration in milliseconds, an integer (in Int[1]: SET_TTL)
	argAlso                   // a second value of the type argType announced (SET_IF's new value: Str[2], Int[1] or Float2)
	argFence                  // FENCED's lock and token, then the write they fence (Request.Fence; the write's arguments as its own)
	argOnce                   // ONCE's or RETRY's request id, then the write it names (Request.Once, OnceID)
	argEnd                    // LEFT / RIGHT: an end of a list (Request.Ends)
	argWhen                   // ALWAYS / NONE / SOME / LATER / EARLIER / SOME_EARLIER: when a deadline is set (Request.When)
	argKeyIf                  // ALWAYS / ABSENT / PRESENT: when SET_WITH writes (Request.If)
	argTTLMode                // CLEAR / AFTER / AT / KEEP: the deadline SET_WITH gives (Request.TTL)
	argUnit                   // BYTE / BIT: what a range of bits counts in (Request.Unit)
	argBitOp                  // AND / OR / XOR / NOT: what STR_BIT_OP_INTO makes (Request.Op)
)

type commandInfo struct {
	name string
	args []arg
}

var commands = [numCommands]commandInfo{
	CmdPing:                   {"PING", []arg{argRaw}},
	CmdExit:                   {"EXIT", nil},
	CmdTerminate:              {"TERMINATE", nil},
	CmdPipe:                   {"PIPE", nil}, // the count and nested requests are read by the caller
	CmdAuth:                   {"AUTH", []arg{argStr, argStr}},
	CmdAddUser:                {"ADD_USER", []arg{argStr, argStr}},
	CmdEditUser:               {"EDIT_USER", []arg{argStr, argLevel}},
	CmdDelUser:                {"DEL_USER", []arg{argStr}},
	CmdChangePassword:         {"CHANGE_PASSWORD", []arg{argStr}},
	CmdSwitchDB:               {"SWITCH_DB", []arg{argInt}},
	CmdPersist:                {"PERSIST", nil},
	CmdReset:                  {"RESET", nil},
	CmdDel:                    {"DEL", []arg{argStr}},
	CmdType:                   {"TYPE", []arg{argStr}},
	CmdExists:                 {"EXISTS", []arg{argStr}},
	CmdGet:                    {"GET", []arg{argStr}},
	CmdSet:                    {"SET", []arg{argType}},
	CmdIncrInt:                {"INCR_INT", []arg{argStr, argInt}},
	CmdIncrFloat:              {"INCR_FLOAT", []arg{argStr, argFloat}},
	CmdStrLen:                 {"STR_LEN", []arg{argStr}},
	CmdManyGet:                {"MANY_GET", []arg{argArr}},
	CmdListLen:                {"LIST_LEN", []arg{argStr}},
	CmdListGet:                {"LIST_GET", []arg{argStr, argInt}},
	CmdListSet:                {"LIST_SET", []arg{argStr, argInt, argStr}},
	CmdListPushLeft:           {"LIST_PUSH_LEFT", []arg{argStr, argList}},
	CmdListPushRight:          {"LIST_PUSH_RIGHT", []arg{argStr, argList}},
	CmdListPopLeft:            {"LIST_POP_LEFT", []arg{argStr, argInt}},
	CmdListPopRight:           {"LIST_POP_RIGHT", []arg{argStr, argInt}},
	CmdListRange:              {"LIST_RANGE", []arg{argStr, argInt, argInt}},
	CmdListTrim:               {"LIST_TRIM", []arg{argStr, argInt, argInt}},
	CmdListRemove:             {"LIST_REMOVE", []arg{argStr, argStr, argInt}},
	CmdSetAdd:                 {"SET_ADD", []arg{argStr, argSet}},
	CmdSetAll:                 {"SET_ALL", []arg{argStr}},
	CmdSetRemove:              {"SET_REMOVE", []arg{argStr, argInt}},
	CmdSetDiscard:             {"SET_DISCARD", []arg{argStr, argSet}},
	CmdSetLen:                 {"SET_LEN", []arg{argStr}},
	CmdSetContains:            {"SET_CONTAINS", []arg{argStr, argStr}},
	CmdSetMove:                {"SET_MOVE", []arg{argStr, argStr, argStr}},
	CmdSetUnion:               {"SET_UNION", []arg{argArr}},
	CmdSetUnionInto:           {"SET_UNION_INTO", []arg{argStr, argArr}},
	CmdSetUnionLen:            {"SET_UNION_LEN", []arg{argArr}},
	CmdSetIntersect:           {"SET_INTERSECT", []arg{argArr}},
	CmdSetIntersectInto:       {"SET_INTERSECT_INTO", []arg{argStr, argArr}},
	CmdSetIntersectLen:        {"SET_INTERSECT_LEN", []arg{argArr}},
	CmdSetDiff:                {"SET_DIFF", []arg{argStr, argStr}},
	CmdSetDiffInto:            {"SET_DIFF_INTO", []arg{argStr, argStr, argStr}},
	CmdSetDiffLen:             {"SET_DIFF_LEN", []arg{argStr, argStr}},
	CmdHashSet:                {"HASH_SET", []arg{argStr, argHash}},
	CmdHashAll:                {"HASH_ALL", []arg{argStr}},
	CmdHashGet:                {"HASH_GET", []arg{argStr, argStr}},
	CmdHashContains:           {"HASH_CONTAINS", []arg{argStr, argStr}},
	CmdHashLen:                {"HASH_LEN", []arg{argStr}},
	CmdHashKeyLen:             {"HASH_KEY_LEN", []arg{argStr, argStr}},
	CmdHashKeys:               {"HASH_KEYS", []arg{argStr}},
	CmdHashValues:             {"HASH_VALUES", []arg{argStr}},
	CmdHashManyGet:            {"HASH_MANY_GET", []arg{argStr, argArr}},
	CmdHashRemove:             {"HASH_REMOVE", []arg{argStr, argArr}},
	CmdHashUpdate:             {"HASH_UPDATE", []arg{argStr, argHash}},
	CmdSetExpiry:              {"SET_EXPIRY", []arg{argStr, argFloat}},
	CmdGetExpiry:              {"GET_EXPIRY", []arg{argStr}},
	CmdClearExpiry:            {"CLEAR_EXPIRY", []arg{argStr}},
	CmdTransactBegin:          {"TRANSACT_BEGIN", nil},
	CmdTransactCommit:         {"TRANSACT_COMMIT", nil},
	CmdTransactDiscard:        {"TRANSACT_DISCARD", nil},
	CmdPublish:                {"PUBLISH", []arg{argStr, argStr}},
	CmdSubscribe:              {"SUBSCRIBE", []arg{argStr}},
	CmdSubscribed:             {"SUBSCRIBED", nil},
	CmdUnsubscribe:            {"UNSUBSCRIBE", []arg{argStr}},
	CmdUnsubscribeAll:         {"UNSUBSCRIBE_ALL", nil},
	CmdConsistency:            {"CONSISTENCY", []arg{argCons, argCons}},
	CmdGetConsistency:         {"GET_CONSISTENCY", nil},
	CmdClusterInfo:            {"CLUSTER_INFO", nil},
	CmdSetTTL:                 {"SET_TTL", []arg{argType, argMillis}},
	CmdScan:                   {"SCAN", []arg{argStr, argStr, argInt}},
	CmdKeys:                   {"KEYS", []arg{argStr}},
	CmdDBSize:                 {"DB_SIZE", nil},
	CmdInfo:                   {"INFO", nil},
	CmdSetIf:                  {"SET_IF", []arg{argType, argAlso}},
	CmdSetIfAbsent:            {"SET_IF_ABSENT", []arg{argType}},
	CmdDelIf:                  {"DEL_IF", []arg{argType}},
	CmdSetTTLIfAbsent:         {"SET_TTL_IF_ABSENT", []arg{argType, argMillis}},
	CmdGetSet:                 {"GET_SET", []arg{argType}},
	CmdGetDel:                 {"GET_DEL", []arg{argStr}},
	CmdLockAcquire:            {"LOCK_ACQUIRE", []arg{argStr, argStr, argMillis}},
	CmdLockRefresh:            {"LOCK_REFRESH", []arg{argStr, argInt, argMillis}},
	CmdLockRelease:            {"LOCK_RELEASE", []arg{argStr, argInt}},
	CmdLockInfo:               {"LOCK_INFO", []arg{argStr}},
	CmdStrAppend:              {"STR_APPEND", []arg{argStr, argStr}},
	CmdHashIncr:               {"HASH_INCR", []arg{argStr, argStr, argInt}},
	CmdListPopLeftWait:        {"LIST_POP_LEFT_WAIT", []arg{argStr, argInt, argMillis}},
	CmdListPopRightWait:       {"LIST_POP_RIGHT_WAIT", []arg{argStr, argInt, argMillis}},
	CmdStrRange:               {"STR_RANGE", []arg{argStr, argInt, argInt}},
	CmdStrSetRange:            {"STR_SET_RANGE", []arg{argStr, argInt, argStr}},
	CmdSetIfPresent:           {"SET_IF_PRESENT", []arg{argType}},
	CmdHashSetIfAbsent:        {"HASH_SET_IF_ABSENT", []arg{argStr, argStr, argStr}},
	CmdFenced:                 {"FENCED", []arg{argFence}},
	CmdOnce:                   {"ONCE", []arg{argOnce}},
	CmdRetry:                  {"RETRY", []arg{argOnce}},
	CmdSetTTLIfPresent:        {"SET_TTL_IF_PRESENT", []arg{argType, argMillis}},
	CmdRename:                 {"RENAME", []arg{argStr, argStr}},
	CmdRenameIfAbsent:         {"RENAME_IF_ABSENT", []arg{argStr, argStr}},
	CmdListMove:               {"LIST_MOVE", []arg{argStr, argStr, argEnd, argEnd}},
	CmdListMoveWait:           {"LIST_MOVE_WAIT", []arg{argStr, argStr, argEnd, argEnd, argMillis}},
	CmdIncrNumber:             {"INCR_NUMBER", []arg{argStr, argFloat}},
	CmdSubscribePattern:       {"SUBSCRIBE_PATTERN", []arg{argStr}},
	CmdUnsubscribePattern:     {"UNSUBSCRIBE_PATTERN", []arg{argStr}},
	CmdSubscribedPatterns:     {"SUBSCRIBED_PATTERNS", nil},
	CmdSetExpiryAt:            {"SET_EXPIRY_AT", []arg{argStr, argInt}},
	CmdHashIncrFloat:          {"HASH_INCR_FLOAT", []arg{argStr, argStr, argFloat}},
	CmdSetKeepTTL:             {"SET_KEEP_TTL", []arg{argType}},
	CmdSetScan:                {"SET_SCAN", []arg{argStr, argInt, argStr, argInt}},
	CmdHashScan:               {"HASH_SCAN", []arg{argStr, argInt, argStr, argInt}},
	CmdSetRandom:              {"SET_RANDOM", []arg{argStr, argInt}},
	CmdHashRandom:             {"HASH_RANDOM", []arg{argStr, argInt}},
	CmdListPos:                {"LIST_POS", []arg{argStr, argStr, argInt, argInt}},
	CmdGetExpiryAt:            {"GET_EXPIRY_AT", []arg{argStr}},
	CmdCopy:                   {"COPY", []arg{argStr, argStr}},
	CmdCopyIfAbsent:           {"COPY_IF_ABSENT", []arg{argStr, argStr}},
	CmdKeyVersion:             {"KEY_VERSION", []arg{argStr}},
	CmdKeyVersionIs:           {"KEY_VERSION_IS", []arg{argStr, argInt}},
	CmdTransactWatch:          {"TRANSACT_WATCH", []arg{argArr}},
	CmdTransactUnwatch:        {"TRANSACT_UNWATCH", nil},
	CmdKeyMemory:              {"KEY_MEMORY", []arg{argStr}},
	CmdRandomKey:              {"RANDOM_KEY", nil},
	CmdSetDiffMany:            {"SET_DIFF_MANY", []arg{argArr}},
	CmdSetDiffManyInto:        {"SET_DIFF_MANY_INTO", []arg{argStr, argArr}},
	CmdSetExpiryIf:            {"SET_EXPIRY_IF", []arg{argStr, argFloat, argWhen}},
	CmdSetExpiryAtIf:          {"SET_EXPIRY_AT_IF", []arg{argStr, argInt, argWhen}},
	CmdSetWith:                {"SET_WITH", []arg{argType, argKeyIf, argTTLMode, argMillis}},
	CmdGetSetWith:             {"GET_SET_WITH", []arg{argType, argKeyIf, argTTLMode, argMillis}},
	CmdListPopLeftWaitAny:     {"LIST_POP_LEFT_WAIT_ANY", []arg{argArr, argInt, argMillis}},
	CmdListPopRightWaitAny:    {"LIST_POP_RIGHT_WAIT_ANY", []arg{argArr, argInt, argMillis}},
	CmdListPushLeftIfPresent:  {"LIST_PUSH_LEFT_IF_PRESENT", []arg{argStr, argList}},
	CmdListPushRightIfPresent: {"LIST_PUSH_RIGHT_IF_PRESENT", []arg{argStr, argList}},
	CmdIncrIntText:            {"INCR_INT_TEXT", []arg{argStr, argInt}},
	CmdListInsert:             {"LIST_INSERT", []arg{argStr, argEnd, argStr, argStr}},
	CmdStrGetBit:              {"STR_GET_BIT", []arg{argStr, argInt}},
	CmdStrSetBit:              {"STR_SET_BIT", []arg{argStr, argInt, argInt}},
	CmdStrBitCount:            {"STR_BIT_COUNT", []arg{argStr, argInt, argInt, argUnit}},
	CmdStrBitPos:              {"STR_BIT_POS", []arg{argStr, argInt, argInt, argInt, argUnit}},
	CmdStrBitPosFrom:          {"STR_BIT_POS_FROM", []arg{argStr, argInt, argInt}},
	CmdListPosWithin:          {"LIST_POS_WITHIN", []arg{argStr, argStr, argInt, argInt, argInt}},
	CmdSetIntersectLenUpTo:    {"SET_INTERSECT_LEN_UPTO", []arg{argArr, argInt}},
	CmdStrBitOpInto:           {"STR_BIT_OP_INTO", []arg{argStr, argBitOp, argArr}},
	CmdHllAdd:                 {"HLL_ADD", []arg{argStr, argArr}},
	CmdHllCount:               {"HLL_COUNT", []arg{argArr}},
	CmdHllMergeInto:           {"HLL_MERGE_INTO", []arg{argStr, argArr}},
}

// commandByName maps every command word to its Command. Built once from the
// table above; read-only afterwards.
var commandByName = func() map[string]Command {
	m := make(map[string]Command, numCommands)
	for c := CmdPing; c < numCommands; c++ {
		m[commands[c].name] = c
	}
	return m
}()

// maxCommandLen is the length of the longest command word.
var maxCommandLen = func() int {
	n := 0
	for _, c := range commands {
		n = max(n, len(c.name))
	}
	return n
}()

// String returns the command word.
func (c Command) String() string {
	if c == CmdNone || c >= numCommands {
		return "INVALID"
	}
	return commands[c].name
}

// Valid reports whether c names a command.
func (c Command) Valid() bool { return c > CmdNone && c < numCommands }

// CommandByName returns the command with exactly this word.
func CommandByName(name string) (Command, bool) {
	c, ok := commandByName[name]
	return c, ok
}

// MatchCommand finds the longest command word that is a prefix of b. It
// returns the command and its length, or CmdNone and 0. Command words are
// upper-case ASCII letters and '_', so only that run of bytes is examined.
func MatchCommand(b []byte) (Command, int) {
	n := 0
	for n < len(b) && n < maxCommandLen && (b[n] >= 'A' && b[n] <= 'Z' || b[n] == '_') {
		n++
	}
	for ; n > 0; n-- {
		if c, ok := commandByName[string(b[:n])]; ok {
			return c, n
		}
	}
	return CmdNone, 0
}
