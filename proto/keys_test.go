package proto

import (
	"reflect"
	"testing"
)

func TestKeys(t *testing.T) {
	tests := map[string][]string{
		"GET (3)foo":                        {"foo"},
		"SET:INT (1)i 5":                    {"i"},
		"MANY_GET (2)[(1)a(1)b]":            {"a", "b"},
		"SET_UNION_INTO (1)d (2)[(1)a(1)b]": {"d", "a", "b"},
		"SET_DIFF_INTO (1)d (1)a (1)b":      {"d", "a", "b"},
		"SET_MOVE (1)s (1)d (1)m":           {"s", "d"},
		"HASH_MANY_GET (1)h (2)[(1)a(1)b]":  {"h"},
		"SET_EXPIRY (1)k 1":                 {"k"},
		"RESET":                             nil,
		"PING":                              nil,
		"AUTH (6)vanity (6)vanity":          nil,
		"SET_INTERSECT_LEN (2)[(1)x(1)x]":   {"x", "x"},
		"LIST_REMOVE (1)l (1)v 0":           {"l"},
	}
	for in, want := range tests {
		var req Request
		if err := ParseRequest([]byte(in), &req); err != ErrNone {
			t.Fatalf("%q: %v", in, err)
		}
		var got []string
		for _, k := range req.Keys(nil) {
			got = append(got, string(k))
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Keys(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestEveryDataCommandHasAClass(t *testing.T) {
	session := map[Command]bool{
		CmdPing: true, CmdExit: true, CmdTerminate: true, CmdPipe: true, CmdAuth: true, CmdAddUser: true,
		CmdEditUser: true, CmdDelUser: true, CmdChangePassword: true, CmdSwitchDB: true, CmdPersist: true,
		CmdTransactBegin: true, CmdTransactCommit: true, CmdTransactDiscard: true, CmdPublish: true,
		CmdSubscribe: true, CmdSubscribed: true, CmdUnsubscribe: true, CmdUnsubscribeAll: true,
		CmdConsistency: true, CmdGetConsistency: true, CmdClusterInfo: true,
		// Listing and counting keys span every partition: the router runs
		// them (router/scan.go), not storage's pipeline.
		CmdScan: true, CmdKeys: true, CmdDBSize: true, CmdInfo: true,
		// A blocking pop is the router's loop of pops (router/waitpop.go).
		CmdListPopLeftWait: true, CmdListPopRightWait: true, CmdListMoveWait: true,
		CmdListPopLeftWaitAny: true, CmdListPopRightWaitAny: true,
		CmdSubscribePattern: true, CmdUnsubscribePattern: true, CmdSubscribedPatterns: true,
		// Watching keys is the session's: it reads their versions (a data
		// command, KEY_VERSION) and keeps them for the commit.
		CmdTransactWatch: true, CmdTransactUnwatch: true,
		// A key at random is a look across partitions, as SCAN's.
		CmdRandomKey: true,
	}
	for c := CmdPing; c < numCommands; c++ {
		if got := c.Class() == ClassSession; got != session[c] {
			t.Errorf("%v: session class %v, want %v", c, got, session[c])
		}
	}
}

// TestAddsData: only writes add data; those that make room or keep what
// is there run on a full server, the rest do not.
func TestAddsData(t *testing.T) {
	for c := CmdPing; c < numCommands; c++ {
		if r := (Request{Cmd: c}); r.AddsData() && c.Class() != ClassWrite {
			t.Errorf("%v adds data but is a %v command", c, c.Class())
		}
	}
	adds := []Command{CmdSet, CmdSetTTL, CmdListPushRight, CmdSetAdd, CmdHashUpdate, CmdIncrInt, CmdCopy,
		CmdStrAppend, CmdLockAcquire, CmdSetUnionInto, CmdHllAdd, CmdStrSetBit}
	room := []Command{CmdDel, CmdGetDel, CmdListPopLeft, CmdListTrim, CmdSetRemove, CmdHashRemove,
		CmdSetExpiry, CmdClearExpiry, CmdRename, CmdLockRelease, CmdReset}
	for _, c := range adds {
		if r := (Request{Cmd: c}); !r.AddsData() {
			t.Errorf("%v does not add data", c)
		}
		if r := (Request{Cmd: c, Once: OnceRetry}); r.AddsData() {
			t.Errorf("RETRY of %v adds data: it only answers", c)
		}
		if r := (Request{Cmd: c, Once: OnceFirst}); !r.AddsData() {
			t.Errorf("ONCE of %v does not add data", c)
		}
	}
	for _, c := range room {
		if r := (Request{Cmd: c}); r.AddsData() {
			t.Errorf("%v adds data", c)
		}
	}
}
