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
	set(user|admin|peer, proto.CmdPipe, proto.CmdSwitchDB, proto.CmdPersist)
	set(admin, proto.CmdAddUser, proto.CmdEditUser, proto.CmdDelUser, proto.CmdClusterInfo)
	set(user|admin, proto.CmdChangePassword,
		proto.CmdTransactBegin, proto.CmdTransactCommit, proto.CmdTransactDiscard,
		proto.CmdPublish, proto.CmdSubscribe, proto.CmdSubscribed, proto.CmdUnsubscribe, proto.CmdUnsubscribeAll,
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
		proto.CmdConsistency:
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
