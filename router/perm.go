package router

import "github.com/vanitydb/vanity/proto"

// levelMask is a set of auth levels.
type levelMask uint8

const (
	unknown levelMask = 1 << proto.LevelUnknown
	user    levelMask = 1 << proto.LevelUser
	admin   levelMask = 1 << proto.LevelAdmin
	peer    levelMask = 1 << proto.LevelPeer
	anyone            = unknown | user | admin | peer
)

// permissions is the matrix of PROTOCOL.md §5.3 (the code's table, D23).
var permissions = func() [256]levelMask {
	var p [256]levelMask
	set := func(m levelMask, cmds ...proto.Command) {
		for _, c := range cmds {
			p[c] = m
		}
	}
	set(anyone, proto.CmdPing, proto.CmdExit)
	set(unknown, proto.CmdAuth)
	set(admin|peer, proto.CmdTerminate, proto.CmdReset)
	set(user|admin|peer, proto.CmdPipe, proto.CmdSwitchDB, proto.CmdPersist,
		proto.CmdScan, proto.CmdKeys, proto.CmdDBSize, proto.CmdInfo, proto.CmdRandomKey,
		proto.CmdListPopLeftWait, proto.CmdListPopRightWait, proto.CmdListMoveWait,
		proto.CmdListPopLeftWaitAny, proto.CmdListPopRightWaitAny)
	set(admin, proto.CmdAddUser, proto.CmdEditUser, proto.CmdDelUser, proto.CmdClusterInfo)
	set(user|admin, proto.CmdChangePassword,
		proto.CmdTransactBegin, proto.CmdTransactCommit, proto.CmdTransactDiscard,
		proto.CmdTransactWatch, proto.CmdTransactUnwatch,
		proto.CmdPublish, proto.CmdSubscribe, proto.CmdSubscribed, proto.CmdUnsubscribe, proto.CmdUnsubscribeAll,
		proto.CmdSubscribePattern, proto.CmdUnsubscribePattern, proto.CmdSubscribedPatterns,
		proto.CmdConsistency, proto.CmdGetConsistency)
	for c := proto.CmdPing; c.Valid(); c++ {
		if c.IsData() && c != proto.CmdReset {
			p[c] = user | admin | peer
		}
	}
	return p
}()

// allowed reports whether a session at level l may run c.
func allowed(l proto.Level, c proto.Command) bool {
	return permissions[c]&(1<<l) != 0
}

// txRule says what a command does while a transaction is open (§8.3.2).
type txRule uint8

const (
	txRun    txRule = iota // runs immediately
	txRefuse               // BAD_STATE
	txQueue                // queued until commit
)

func txRuleOf(c proto.Command) txRule {
	switch c {
	case proto.CmdPipe, proto.CmdAuth, proto.CmdAddUser, proto.CmdEditUser, proto.CmdDelUser,
		proto.CmdChangePassword, proto.CmdSwitchDB, proto.CmdPersist, proto.CmdTransactBegin,
		proto.CmdTransactWatch, proto.CmdTransactUnwatch,
		proto.CmdConsistency, proto.CmdListPopLeftWait, proto.CmdListPopRightWait, proto.CmdListMoveWait,
		proto.CmdListPopLeftWaitAny, proto.CmdListPopRightWaitAny:
		return txRefuse
	}
	if c.IsData() {
		return txQueue
	}
	return txRun
}

// refusedInPipe reports the commands that answer "not allowed in PIPE".
func refusedInPipe(c proto.Command) bool {
	switch c {
	case proto.CmdAddUser, proto.CmdEditUser, proto.CmdDelUser, proto.CmdAuth, proto.CmdChangePassword,
		proto.CmdExit, proto.CmdTerminate:
		return true
	}
	return false
}

// order says how a request frame relates to the data commands the
// connection holds (hold.go) when it arrives.
type order uint8

const (
	orderFree  order = iota // may be answered while they run: data commands, and what only changes the session
	orderAfter              // waits until they are answered: its effect or reply must follow theirs
	orderAway               // waits for them too, then runs on a goroutine: it waits itself (a password hash, a file, the cluster, a blocking pop)
)

// orderOf returns the order of a request frame whose command word is cmd.
// A pipe takes the strictest order of its entries, found by parsing them
// (without running anything).
func orderOf(cmd proto.Command, frame []byte) order {
	switch {
	case (cmd == proto.CmdOnce || cmd == proto.CmdRetry) && proto.WrappedCommand(frame).BlockingPop():
		return orderAway // a blocking pop with a request id
	case cmd == proto.CmdNone, cmd.IsData():
		return orderFree
	case cmd == proto.CmdPipe:
		return pipeOrder(frame)
	}
	switch cmd {
	case proto.CmdPing, proto.CmdSwitchDB, proto.CmdConsistency, proto.CmdGetConsistency, proto.CmdSubscribed,
		proto.CmdSubscribedPatterns,
		proto.CmdTransactBegin, proto.CmdTransactDiscard, proto.CmdTransactCommit, proto.CmdTransactUnwatch:
		return orderFree
	case proto.CmdAuth, proto.CmdAddUser, proto.CmdEditUser, proto.CmdDelUser, proto.CmdChangePassword,
		proto.CmdPersist, proto.CmdClusterInfo, proto.CmdScan, proto.CmdKeys, proto.CmdDBSize, proto.CmdInfo, proto.CmdRandomKey,
		proto.CmdListPopLeftWait, proto.CmdListPopRightWait, proto.CmdListMoveWait, proto.CmdTransactWatch,
		proto.CmdListPopLeftWaitAny, proto.CmdListPopRightWaitAny:
		return orderAway
	}
	return orderAfter
}

// pipeOrder parses a PIPE frame's entries (nested pipes included) and
// returns the strictest order among them; parsing stops at the first
// malformed entry, which poisons the rest (§7.3).
func pipeOrder(frame []byte) order {
	var req proto.Request
	_, i := proto.ParseCommand(frame, 0)
	n, i, err := proto.ParsePipeCount(frame, i)
	if err != proto.ErrNone {
		return orderFree
	}
	o, _ := entriesOrder(frame, i, n, 1, &req)
	return o
}

// entriesOrder returns the strictest order of n entries at b[i:], inside
// depth PIPEs, and where they end.
func entriesOrder(b []byte, i int, n uint64, depth int, req *proto.Request) (order, int) {
	strictest := orderFree
	for k := uint64(0); k < n; k++ {
		cmd, j := proto.ParseCommand(b, i)
		var o order
		switch {
		case cmd == proto.CmdNone:
			return strictest, i
		case cmd == proto.CmdPipe:
			m, j2, err := proto.ParsePipeCount(b, j)
			if err != proto.ErrNone || depth >= proto.MaxPipeDepth {
				return strictest, j2
			}
			o, j = entriesOrder(b, j2, m, depth+1, req)
		default:
			if cmd != proto.CmdPing { // inside a pipe PING takes no raw rest
				o = orderOf(cmd, nil)
			}
			var err proto.ParseError
			if j, err = proto.ParseArgs(b, j, cmd, false, req); err != proto.ErrNone {
				return max(strictest, o), j
			}
			if req.Cmd.BlockingPop() {
				o = orderAway // one with a request id too
			}
		}
		strictest = max(strictest, o)
		i = j
	}
	return strictest, i
}
