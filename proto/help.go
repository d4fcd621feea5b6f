package proto

// commandHelp documents one command for people: the CLI's help, its tab
// completion and the Python CLI's generated table all read it. Params names
// the arguments in schema order, one word per argument; a trailing "..."
// marks a container argument typed as the rest of the words.
type commandHelp struct {
	params  string
	summary string
	group   Group
	alias   string // the Redis command with the same arguments, if any
}

// Group is the section a command is listed under in help.
type Group uint8

const (
	GroupServer Group = iota
	GroupKeys
	GroupStrings
	GroupLists
	GroupSets
	GroupHashes
	GroupExpiry
	GroupTransactions
	GroupPubSub
	GroupUsers
	GroupCluster

	numGroups
)

var groupNames = [numGroups]string{
	GroupServer: "server", GroupKeys: "keys", GroupStrings: "strings and numbers",
	GroupLists: "lists", GroupSets: "sets", GroupHashes: "hashes", GroupExpiry: "expiry",
	GroupTransactions: "transactions", GroupPubSub: "publish/subscribe", GroupUsers: "users",
	GroupCluster: "cluster",
}

func (g Group) String() string {
	if g < numGroups {
		return groupNames[g]
	}
	return ""
}

// Groups lists every help group in display order.
func Groups() []Group {
	gs := make([]Group, numGroups)
	for g := range gs {
		gs[g] = Group(g)
	}
	return gs
}

var help = [numCommands]commandHelp{
	CmdPing:                   {"[message]", "answers PONG with the message", GroupServer, "PING"},
	CmdExit:                   {"", "closes the connection", GroupServer, ""},
	CmdTerminate:              {"", "persists the databases and stops the server (admin)", GroupServer, "SHUTDOWN"},
	CmdPipe:                   {"", "runs several requests in one frame (raw mode only)", GroupServer, ""},
	CmdAuth:                   {"user password", "logs in", GroupUsers, "AUTH"},
	CmdAddUser:                {"user password", "creates a user (admin)", GroupUsers, ""},
	CmdEditUser:               {"user ADMIN|USER", "changes a user's level (admin)", GroupUsers, ""},
	CmdDelUser:                {"user", "deletes a user (admin)", GroupUsers, ""},
	CmdChangePassword:         {"password", "changes your own password", GroupUsers, ""},
	CmdSwitchDB:               {"index", "makes database 0-15 current for this connection", GroupServer, "SELECT"},
	CmdPersist:                {"", "writes a snapshot of every database to disk now", GroupServer, "SAVE"},
	CmdReset:                  {"", "removes every key of the current database (admin)", GroupServer, "FLUSHDB"},
	CmdDel:                    {"key", "deletes a key of any type", GroupKeys, "DEL"},
	CmdType:                   {"key", "the type of the key's value", GroupKeys, "TYPE"},
	CmdExists:                 {"key", "OK if the key exists, NULL if not", GroupKeys, "EXISTS"},
	CmdGet:                    {"key", "the key's value, whatever its type", GroupKeys, "GET"},
	CmdSet:                    {"key value", "stores a string, int or float (typed from the word: quote it for a string)", GroupStrings, "SET"},
	CmdIncrInt:                {"key delta", "adds delta to an int key and returns the sum", GroupStrings, "INCRBY"},
	CmdIncrFloat:              {"key delta", "adds delta to a float key and returns the sum", GroupStrings, "INCRBYFLOAT"},
	CmdStrLen:                 {"key", "the byte length of a string key", GroupStrings, "STRLEN"},
	CmdManyGet:                {"key...", "the values of several keys", GroupKeys, "MGET"},
	CmdListLen:                {"key", "the length of a list", GroupLists, "LLEN"},
	CmdListGet:                {"key index", "the element at index (negative counts from the end)", GroupLists, "LINDEX"},
	CmdListSet:                {"key index value", "replaces the element at index", GroupLists, "LSET"},
	CmdListPushLeft:           {"key value...", "pushes values onto the head; returns the new length", GroupLists, "LPUSH"},
	CmdListPushRight:          {"key value...", "appends values; returns the new length", GroupLists, "RPUSH"},
	CmdListPopLeft:            {"key count", "removes and returns up to count elements from the head", GroupLists, "LPOP"},
	CmdListPopRight:           {"key count", "removes and returns up to count elements from the tail", GroupLists, "RPOP"},
	CmdListRange:              {"key start end", "the elements from start to end, both included", GroupLists, "LRANGE"},
	CmdListTrim:               {"key start end", "keeps only the elements from start to end", GroupLists, "LTRIM"},
	CmdListRemove:             {"key value count", "removes count occurrences of value (negative: from the tail, 0: all)", GroupLists, ""},
	CmdSetAdd:                 {"key member...", "adds members; returns how many were new", GroupSets, "SADD"},
	CmdSetAll:                 {"key", "every member of a set", GroupSets, "SMEMBERS"},
	CmdSetRemove:              {"key count", "removes and returns up to count random members", GroupSets, "SPOP"},
	CmdSetDiscard:             {"key member...", "removes members; returns how many were there", GroupSets, "SREM"},
	CmdSetLen:                 {"key", "the number of members", GroupSets, "SCARD"},
	CmdSetContains:            {"key member", "whether the member is in the set", GroupSets, "SISMEMBER"},
	CmdSetMove:                {"source destination member", "moves a member from one set to another", GroupSets, "SMOVE"},
	CmdSetUnion:               {"key...", "the union of sets", GroupSets, "SUNION"},
	CmdSetUnionInto:           {"destination key...", "stores the union of sets", GroupSets, "SUNIONSTORE"},
	CmdSetUnionLen:            {"key...", "the size of the union of sets", GroupSets, ""},
	CmdSetIntersect:           {"key...", "the intersection of sets", GroupSets, "SINTER"},
	CmdSetIntersectInto:       {"destination key...", "stores the intersection of sets", GroupSets, "SINTERSTORE"},
	CmdSetIntersectLen:        {"key...", "the size of the intersection of sets", GroupSets, ""},
	CmdSetDiff:                {"key other", "the members of key that are not in other", GroupSets, ""},
	CmdSetDiffInto:            {"destination key other", "stores the difference of two sets", GroupSets, ""},
	CmdSetDiffLen:             {"key other", "the size of the difference of two sets", GroupSets, ""},
	CmdHashSet:                {"key field value...", "replaces the key with exactly these fields", GroupHashes, ""},
	CmdHashAll:                {"key", "every field and value of a hash", GroupHashes, "HGETALL"},
	CmdHashGet:                {"key field", "the value of a field", GroupHashes, "HGET"},
	CmdHashContains:           {"key field", "whether the field exists", GroupHashes, "HEXISTS"},
	CmdHashLen:                {"key", "the number of fields", GroupHashes, "HLEN"},
	CmdHashKeyLen:             {"key field", "the byte length of a field's value", GroupHashes, "HSTRLEN"},
	CmdHashKeys:               {"key", "the fields of a hash", GroupHashes, "HKEYS"},
	CmdHashValues:             {"key", "the values of a hash", GroupHashes, "HVALS"},
	CmdHashManyGet:            {"key field...", "the values of several fields", GroupHashes, "HMGET"},
	CmdHashRemove:             {"key field...", "removes fields; returns how many were there", GroupHashes, "HDEL"},
	CmdHashUpdate:             {"key field value...", "sets fields, keeping the others; returns how many were new", GroupHashes, "HSET"},
	CmdSetExpiry:              {"key seconds", "the key expires after seconds (fractions allowed)", GroupExpiry, ""},
	CmdGetExpiry:              {"key", "the seconds left before the key expires", GroupExpiry, ""},
	CmdClearExpiry:            {"key", "removes the key's expiry", GroupExpiry, ""},
	CmdTransactBegin:          {"", "starts queueing commands", GroupTransactions, "MULTI"},
	CmdTransactCommit:         {"", "runs the queued commands", GroupTransactions, "EXEC"},
	CmdTransactDiscard:        {"", "drops the queued commands", GroupTransactions, "DISCARD"},
	CmdPublish:                {"channel message", "sends a message to a channel's subscribers", GroupPubSub, "PUBLISH"},
	CmdSubscribe:              {"channel", "receives the channel's messages on this connection", GroupPubSub, "SUBSCRIBE"},
	CmdSubscribed:             {"", "the channels this connection follows", GroupPubSub, ""},
	CmdUnsubscribe:            {"channel", "stops receiving a channel's messages", GroupPubSub, "UNSUBSCRIBE"},
	CmdUnsubscribeAll:         {"", "stops receiving every channel", GroupPubSub, ""},
	CmdSubscribePattern:       {"pattern", "receives the messages of every channel whose name matches the pattern", GroupPubSub, "PSUBSCRIBE"},
	CmdUnsubscribePattern:     {"pattern", "stops receiving the channels of a pattern", GroupPubSub, "PUNSUBSCRIBE"},
	CmdSubscribedPatterns:     {"", "the patterns this connection follows", GroupPubSub, ""},
	CmdHashIncrFloat:          {"key field amount", "adds amount to a field holding a number's text and stores the sum's", GroupHashes, "HINCRBYFLOAT"},
	CmdGetExpiryAt:            {"key", "the key's deadline in milliseconds since 1970 (UTC), or nothing if it has none", GroupExpiry, ""},
	CmdSetExpiryAt:            {"key milliseconds", "the key expires at a time, in milliseconds since 1970 (UTC); a time past deletes it", GroupExpiry, "PEXPIREAT"},
	CmdConsistency:            {"read write", "this connection's levels: ONE, QUORUM, ALL or SERIAL", GroupCluster, ""},
	CmdGetConsistency:         {"", "this connection's read and write levels", GroupCluster, ""},
	CmdClusterInfo:            {"", "the ring, the nodes and their state", GroupCluster, ""},
	CmdSetTTL:                 {"key value milliseconds", "stores a value that expires after milliseconds, in one write", GroupStrings, ""},
	CmdScan:                   {"cursor pattern count", "about count keys matching pattern from cursor (0 to start), and the next cursor (0 at the end)", GroupKeys, ""},
	CmdKeys:                   {"pattern", "every key matching pattern (* ? [abc]); SCAN for large databases", GroupKeys, "KEYS"},
	CmdDBSize:                 {"", "the number of keys in the current database", GroupKeys, "DBSIZE"},
	CmdInfo:                   {"", "the server's state: server, clients, memory, persistence, cluster, keyspace, commands", GroupServer, "INFO"},
	CmdSetIf:                  {"key expected value", "sets the key to value if it holds expected (same type); true if it did", GroupStrings, ""},
	CmdSetIfAbsent:            {"key value", "sets the key if it does not exist; true if it did", GroupStrings, "SETNX"},
	CmdSetIfPresent:           {"key value", "sets the key if it exists (as SET: its deadline goes); true if it did", GroupStrings, ""},
	CmdSetScan:                {"key cursor pattern count", "about count members matching pattern from cursor (0 to start), and the next cursor (0 at the end)", GroupSets, ""},
	CmdHashScan:               {"key cursor pattern count", "about count fields matching pattern, with their values, from cursor (0 to start), and the next cursor (0 at the end)", GroupHashes, ""},
	CmdListPos:                {"key element rank count", "the indexes of up to count elements equal to element (0: all), from the rank-th match (1: the first from the head, -1: the first from the tail)", GroupLists, ""},
	CmdHashRandom:             {"key count", "count distinct fields at random (all if fewer), or -count draws that may repeat, each field followed by its value", GroupHashes, ""},
	CmdSetRandom:              {"key count", "count distinct members at random (all if fewer), or -count draws that may repeat; the set unchanged", GroupSets, ""},
	CmdSetKeepTTL:             {"key value", "as SET, keeping the key's deadline (a missing key gets none)", GroupStrings, ""},
	CmdSetTTLIfPresent:        {"key value milliseconds", "sets the key with a time to live if it exists; true if it did", GroupStrings, ""},
	CmdRename:                 {"key newkey", "gives a key's value and time to live to newkey (replacing what it held) and deletes key", GroupKeys, "RENAME"},
	CmdCopy:                   {"key newkey", "gives newkey a copy of a key's value and time to live (replacing what it held); true if key existed", GroupKeys, ""},
	CmdCopyIfAbsent:           {"key newkey", "copies a key to newkey if newkey does not exist; true if it did", GroupKeys, ""},
	CmdKeyVersion:             {"key", "the key's version: it changes whenever the key is written or its deadline passes", GroupTransactions, ""},
	CmdKeyVersionIs:           {"key version", "whether the key's version is this one; in a transaction, a check made before anything runs", GroupTransactions, ""},
	CmdTransactWatch:          {"key...", "watches keys: the next commit runs nothing if one of them changes first", GroupTransactions, "WATCH"},
	CmdTransactUnwatch:        {"", "forgets the watched keys", GroupTransactions, "UNWATCH"},
	CmdKeyMemory:              {"key", "about how many bytes the key takes in memory (an estimate), or nothing if it does not exist", GroupKeys, ""},
	CmdRandomKey:              {"", "a key of the database taken at random, or nothing if it is empty", GroupKeys, "RANDOMKEY"},
	CmdSetDiffMany:            {"key...", "the members of the first set that are in none of the others", GroupSets, "SDIFF"},
	CmdSetDiffManyInto:        {"destination key...", "stores the members of the first set that are in none of the others", GroupSets, "SDIFFSTORE"},
	CmdSetExpiryIf:            {"key seconds when", "as SET_EXPIRY, only when the key's deadline allows (when: NONE, SOME, LATER, EARLIER or SOME_EARLIER); true if it did", GroupExpiry, ""},
	CmdSetWith:                {"key value condition deadline milliseconds", "sets the key if the condition holds (ALWAYS, ABSENT or PRESENT), with the deadline given (CLEAR: none; AFTER milliseconds; AT milliseconds since 1970; KEEP the key's); true if it did", GroupStrings, ""},
	CmdGetSetWith:             {"key value condition deadline milliseconds", "as SET_WITH, answering the value the key held (GET's answer)", GroupStrings, ""},
	CmdListPopLeftWaitAny:     {"key... count milliseconds", "pops from the first of the lists that has an element, waiting up to milliseconds for one (0: one try); answers the key, then the elements", GroupLists, ""},
	CmdListPopRightWaitAny:    {"key... count milliseconds", "as list_pop_left_wait_any, from the tails", GroupLists, ""},
	CmdListPushLeftIfPresent:  {"key value...", "pushes values onto the head of a list that exists; returns the new length (0: no list)", GroupLists, "LPUSHX"},
	CmdListPushRightIfPresent: {"key value...", "pushes values onto the tail of a list that exists; returns the new length (0: no list)", GroupLists, "RPUSHX"},
	CmdIncrIntText:            {"key amount", "adds amount to an INT, or to a string or FLOAT of an integer's text, which becomes an INT; returns the sum", GroupStrings, ""},
	CmdStrGetBit:              {"key offset", "the bit at offset of a string (0 beyond its end, or of no key)", GroupStrings, "GETBIT"},
	CmdStrSetBit:              {"key offset bit", "sets or clears the bit at offset of a string (zero bytes fill a gap; an absent key starts empty); the bit it held", GroupStrings, "SETBIT"},
	CmdStrBitCount:            {"key start end BYTE|BIT", "the bits set in a string from start to end, both included, in bytes or bits (negative: from the end)", GroupStrings, ""},
	CmdStrBitPos:              {"key bit start end BYTE|BIT", "the first bit equal to bit (0 or 1) from start to end, in bytes or bits (negative: from the end); -1 if none", GroupStrings, ""},
	CmdStrBitPosFrom:          {"key bit start", "the first bit equal to bit (0 or 1) from byte start on (negative: from the end); past its end the string counts as zero bits, and no key as all zeros (-1 when looking for a 1 that is not there)", GroupStrings, ""},
	CmdListPosWithin:          {"key element rank count maxlen", "as list_pos, comparing only the first maxlen elements (the last, for a negative rank; 0: all)", GroupLists, ""},
	CmdSetIntersectLenUpTo:    {"key... limit", "the size of the intersection of sets, counted up to limit (0: no limit)", GroupSets, ""},
	CmdStrBitOpInto:           {"destination AND|OR|XOR|NOT key...", "stores the bytes of the keys' strings combined by the operation (NOT: of one key; shorter strings count as zero bytes); the length stored (0: destination deleted)", GroupStrings, ""},
	CmdHllAdd:                 {"key element...", "counts the elements in the key's HyperLogLog sketch (a string in Redis's format; an absent key starts an empty one); 1 if the estimate may have changed, else 0", GroupStrings, "PFADD"},
	CmdHllCount:               {"key...", "the estimated number of distinct elements counted in the keys' sketches together (absent keys count none)", GroupStrings, "PFCOUNT"},
	CmdHllMergeInto:           {"destination key...", "stores in destination the sketch of everything counted in it and in the keys", GroupStrings, "PFMERGE"},
	CmdListInsert:             {"key LEFT|RIGHT pivot value", "puts value beside the first element equal to pivot (LEFT: before it); returns the new length (-1: no such element, 0: no list)", GroupLists, ""},
	CmdSetExpiryAtIf:          {"key milliseconds when", "as SET_EXPIRY_AT, only when the key's deadline allows (as SET_EXPIRY_IF); true if it did", GroupExpiry, ""},
	CmdRenameIfAbsent:         {"key newkey", "renames a key if newkey does not exist; true if it did", GroupKeys, "RENAMENX"},
	CmdListMove:               {"source destination LEFT|RIGHT LEFT|RIGHT", "takes the element at one end of source and puts it at an end of destination; answers it", GroupLists, "LMOVE"},
	CmdDelIf:                  {"key expected", "deletes the key if it holds expected (same type); true if it did", GroupStrings, ""},
	CmdGetSet:                 {"key value", "sets the key and answers the value it replaced (GET's answer)", GroupStrings, "GETSET"},
	CmdGetDel:                 {"key", "deletes the key and answers the value it removed (GET's answer)", GroupStrings, "GETDEL"},
	CmdLockAcquire:            {"name owner milliseconds", "takes the lock if it is free, for a lease: its fencing token, or nothing if it is held", GroupStrings, ""},
	CmdLockRefresh:            {"name token milliseconds", "extends the lease of the lock's holder (by its token); true if it did", GroupStrings, ""},
	CmdLockRelease:            {"name token", "frees the lock if token holds it; true if it did", GroupStrings, ""},
	CmdLockInfo:               {"name", "the lock's owner, token and lease left in milliseconds, or nothing if it is free", GroupStrings, ""},
	CmdListPopLeftWait:        {"key count milliseconds", "as list_pop_left, waiting up to milliseconds for an element (0: one try)", GroupLists, ""},
	CmdListPopRightWait:       {"key count milliseconds", "as list_pop_right, waiting up to milliseconds for an element", GroupLists, ""},
	CmdIncrNumber:             {"key amount", "adds amount to a FLOAT, or to an INT or a string holding a number, which becomes a FLOAT", GroupStrings, ""},
	CmdListMoveWait:           {"source destination LEFT|RIGHT LEFT|RIGHT milliseconds", "as list_move, waiting up to milliseconds for an element", GroupLists, ""},
	CmdStrAppend:              {"key value", "appends to a string, or to a number's text (an absent key starts empty); the new length", GroupStrings, "APPEND"},
	CmdHashSetIfAbsent:        {"key field value", "sets a hash field if the field is absent (an absent key starts empty); true if it did", GroupHashes, "HSETNX"},
	CmdFenced:                 {"lock token command...", "runs a write of one key only if the token is at least the newest one the lock issued and the highest one a FENCED write to that key carried for the lock (store-enforced fencing)", GroupStrings, ""},
	CmdOnce:                   {"id command...", "runs a write of one key (or a blocking pop) once: sent again with the same id (ONCE or RETRY), it answers its first reply instead of running", GroupStrings, ""},
	CmdRetry:                  {"id command...", "answers the first reply of the write ONCE sent with this id, without running it; not confirmed if the key's recent commands do not list it", GroupStrings, ""},
	CmdHashIncr:               {"key field amount", "adds amount to a field holding an integer's text (an absent field starts at 0); the sum", GroupHashes, "HINCRBY"},
	CmdStrRange:               {"key start end", "the bytes of a string from start to end, both included (negative: from the end); empty when there are none", GroupStrings, "GETRANGE"},
	CmdStrSetRange:            {"key offset value", "overwrites a string's bytes from offset with value (zero bytes fill a gap; an absent key starts empty); the new length", GroupStrings, "SETRANGE"},
	CmdSetTTLIfAbsent:         {"key value milliseconds", "sets the key, expiring after milliseconds, if it does not exist (a lease); true if it did", GroupStrings, ""},
}

// Params names c's arguments for people, in order ("key value...").
func (c Command) Params() string { return help[c].params }

// Summary is one line saying what c does.
func (c Command) Summary() string { return help[c].summary }

// Group is the help section c belongs to.
func (c Command) Group() Group { return help[c].group }

// Alias is the Redis command taking the same arguments, or "".
func (c Command) Alias() string { return help[c].alias }

// Commands lists every command in table order.
func Commands() []Command {
	cs := make([]Command, 0, numCommands-1)
	for c := CmdNone + 1; c < numCommands; c++ {
		cs = append(cs, c)
	}
	return cs
}

var argNames = [...]string{
	argStr: "str", argInt: "int", argFloat: "float", argArr: "arr", argList: "list", argSet: "set",
	argHash: "hash", argType: "typed", argLevel: "level", argCons: "consistency", argRaw: "raw",
	argMillis: "millis", argAlso: "also", argFence: "fence", argOnce: "once", argEnd: "end", argWhen: "when", argKeyIf: "keyif", argTTLMode: "ttlmode", argUnit: "unit", argBitOp: "bitop",
}

// ArgKinds names c's argument kinds in schema order ("str", "int",
// "typed", ...), for the tool that writes the Python client's copy of this
// table.
func (c Command) ArgKinds() []string {
	names := make([]string, len(commands[c].args))
	for i, a := range commands[c].args {
		names[i] = argNames[a]
	}
	return names
}
