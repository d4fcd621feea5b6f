package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/difftest"
	"github.com/vanitydb/vanity/internal/golden"
	"github.com/vanitydb/vanity/proto"
)

// TestGolden runs every section of proto/testdata/golden.txt against the
// real server and compares every reply byte for byte.
func TestGolden(t *testing.T) {
	secs, err := golden.Read(golden.Path())
	if err != nil {
		t.Fatal(err)
	}
	s := memoryServer(t)
	admin := s.dial()
	for _, sec := range secs {
		t.Run(sec.Name, func(t *testing.T) {
			for db := 15; db >= 0; db-- {
				expect(t, admin, "SWITCH_DB "+strconv.Itoa(db), "OK", "RESET", "OK")
			}
			c := s.dialAs(client.Options{NoLogin: sec.NoAuth})
			for _, st := range sec.Steps {
				got, err := c.Raw(st.Request)
				if err != nil {
					t.Fatalf("line %d: %q: %v", st.Line, st.Request, err)
				}
				if st.Unordered {
					if canonical(t, string(got)) != canonical(t, string(st.Reply)) {
						t.Errorf("line %d: %q\n got %q\nwant %q (any order)", st.Line, st.Request, got, st.Reply)
					}
				} else if !bytes.Equal(got, st.Reply) {
					t.Errorf("line %d: %q\n got %q\nwant %q", st.Line, st.Request, got, st.Reply)
				}
			}
		})
	}
}

// permissionCases gives, per command, a well-formed request that does no
// harm when allowed. EXIT and TERMINATE are covered by their own tests.
var permissionCases = map[proto.Command]string{
	proto.CmdPing: "PING", proto.CmdAuth: "AUTH (6)nobody (6)nobody", proto.CmdPipe: "PIPE(1)PING",
	proto.CmdAddUser: "ADD_USER (2)ab (2)cd", proto.CmdEditUser: "EDIT_USER (6)nobody USER",
	proto.CmdDelUser: "DEL_USER (6)nobody", proto.CmdChangePassword: "CHANGE_PASSWORD (2)ab",
	proto.CmdSwitchDB: "SWITCH_DB 0", proto.CmdPersist: "PERSIST", proto.CmdReset: "RESET",
	proto.CmdDel: "DEL (1)k", proto.CmdType: "TYPE (1)k", proto.CmdExists: "EXISTS (1)k", proto.CmdGet: "GET (1)k",
	proto.CmdSet: "SET:STR (1)k (1)v", proto.CmdIncrInt: "INCR_INT (1)i 1", proto.CmdIncrFloat: "INCR_FLOAT (1)f 1",
	proto.CmdStrLen: "STR_LEN (1)k", proto.CmdManyGet: "MANY_GET (1)[(1)k]", proto.CmdListLen: "LIST_LEN (1)l",
	proto.CmdListGet: "LIST_GET (1)l 0", proto.CmdListSet: "LIST_SET (1)l 0 (1)v",
	proto.CmdListPushLeft: "LIST_PUSH_LEFT (1)l (1)[(1)a]", proto.CmdListPushRight: "LIST_PUSH_RIGHT (1)l (1)[(1)a]",
	proto.CmdListPopLeft: "LIST_POP_LEFT (1)l 1", proto.CmdListPopRight: "LIST_POP_RIGHT (1)l 1",
	proto.CmdListRange: "LIST_RANGE (1)l 0 -1", proto.CmdListTrim: "LIST_TRIM (1)l 0 -1",
	proto.CmdListRemove: "LIST_REMOVE (1)l (1)a 0", proto.CmdSetAdd: "SET_ADD (1)s (1){(1)a}",
	proto.CmdSetAll: "SET_ALL (1)s", proto.CmdSetScan: "SET_SCAN (1)s 0 (0) 10", proto.CmdSetRandom: "SET_RANDOM (1)s 1", proto.CmdHashRandom: "HASH_RANDOM (1)h 1", proto.CmdListPos: "LIST_POS (1)l (1)a 1 1", proto.CmdGetExpiryAt: "GET_EXPIRY_AT (1)k", proto.CmdCopy: "COPY (1)k (1)j", proto.CmdCopyIfAbsent: "COPY_IF_ABSENT (1)k (1)j", proto.CmdHashScan: "HASH_SCAN (1)h 0 (0) 10", proto.CmdSetRemove: "SET_REMOVE (1)s 0", proto.CmdSetDiscard: "SET_DISCARD (1)s (1){(1)z}",
	proto.CmdSetLen: "SET_LEN (1)s", proto.CmdSetContains: "SET_CONTAINS (1)s (1)a", proto.CmdSetMove: "SET_MOVE (1)s (1)t (1)z",
	proto.CmdSetUnion: "SET_UNION (1)[(1)s]", proto.CmdSetUnionInto: "SET_UNION_INTO (1)u (1)[(1)s]",
	proto.CmdSetUnionLen: "SET_UNION_LEN (1)[(1)s]", proto.CmdSetIntersect: "SET_INTERSECT (1)[(1)s]",
	proto.CmdSetIntersectInto: "SET_INTERSECT_INTO (1)u (1)[(1)s]", proto.CmdSetIntersectLen: "SET_INTERSECT_LEN (1)[(1)s]",
	proto.CmdSetDiff: "SET_DIFF (1)s (1)t", proto.CmdSetDiffInto: "SET_DIFF_INTO (1)u (1)s (1)t", proto.CmdSetDiffLen: "SET_DIFF_LEN (1)s (1)t",
	proto.CmdHashSet: "HASH_SET (1)h (1){(1)f(1)v}", proto.CmdHashAll: "HASH_ALL (1)h", proto.CmdHashGet: "HASH_GET (1)h (1)f",
	proto.CmdHashContains: "HASH_CONTAINS (1)h (1)f", proto.CmdHashLen: "HASH_LEN (1)h", proto.CmdHashKeyLen: "HASH_KEY_LEN (1)h (1)f",
	proto.CmdHashKeys: "HASH_KEYS (1)h", proto.CmdHashValues: "HASH_VALUES (1)h", proto.CmdHashManyGet: "HASH_MANY_GET (1)h (1)[(1)f]",
	proto.CmdHashRemove: "HASH_REMOVE (1)h (1)[(1)z]", proto.CmdHashUpdate: "HASH_UPDATE (1)h (1){(1)g(1)v}",
	proto.CmdSetTTL: "SET_TTL:STR (1)k (1)v 100000", proto.CmdSetIf: "SET_IF:STR (1)k (1)v (1)w", proto.CmdSetIfAbsent: "SET_IF_ABSENT:STR (1)k (1)v", proto.CmdDelIf: "DEL_IF:STR (1)k (1)v", proto.CmdSetTTLIfAbsent: "SET_TTL_IF_ABSENT:STR (1)k (1)v 1000", proto.CmdGetSet: "GET_SET:STR (1)k (1)v", proto.CmdGetDel: "GET_DEL (1)k", proto.CmdLockAcquire: "LOCK_ACQUIRE (1)m (1)o 1000", proto.CmdLockRefresh: "LOCK_REFRESH (1)m 1 1000", proto.CmdLockRelease: "LOCK_RELEASE (1)m 1", proto.CmdLockInfo: "LOCK_INFO (1)m", proto.CmdStrAppend: "STR_APPEND (1)k (1)v", proto.CmdStrRange: "STR_RANGE (1)k 0 -1", proto.CmdSetIfPresent: "SET_IF_PRESENT:STR (1)k (1)v", proto.CmdSetKeepTTL: "SET_KEEP_TTL:STR (1)k (1)v", proto.CmdHashSetIfAbsent: "HASH_SET_IF_ABSENT (1)h (1)f (1)v", proto.CmdStrSetRange: "STR_SET_RANGE (1)k 0 (1)v", proto.CmdListPopLeftWait: "LIST_POP_LEFT_WAIT (1)l 1 1", proto.CmdListPopRightWait: "LIST_POP_RIGHT_WAIT (1)l 1 1", proto.CmdHashIncr: "HASH_INCR (1)h (1)f 1", proto.CmdSetExpiry: "SET_EXPIRY (1)k 100", proto.CmdGetExpiry: "GET_EXPIRY (1)k", proto.CmdClearExpiry: "CLEAR_EXPIRY (1)k", proto.CmdFenced: "FENCED (1)m 1 SET:STR (1)k (1)v", proto.CmdOnce: "ONCE (1)r SET:STR (1)k (1)v", proto.CmdRetry: "RETRY (1)r SET:STR (1)k (1)v", proto.CmdSetTTLIfPresent: "SET_TTL_IF_PRESENT:STR (1)k (1)v 1000", proto.CmdRename: "RENAME (1)k (1)j", proto.CmdRenameIfAbsent: "RENAME_IF_ABSENT (1)k (1)j", proto.CmdListMove: "LIST_MOVE (1)l (1)m LEFT RIGHT", proto.CmdListMoveWait: "LIST_MOVE_WAIT (1)l (1)m LEFT RIGHT 1", proto.CmdIncrNumber: "INCR_NUMBER (1)n 1.5",
	proto.CmdTransactBegin: "TRANSACT_BEGIN", proto.CmdTransactCommit: "TRANSACT_COMMIT", proto.CmdTransactDiscard: "TRANSACT_DISCARD",
	proto.CmdTransactWatch: "TRANSACT_WATCH (1)[(1)k]", proto.CmdTransactUnwatch: "TRANSACT_UNWATCH",
	proto.CmdKeyVersion: "KEY_VERSION (1)k", proto.CmdKeyVersionIs: "KEY_VERSION_IS (1)k 1", proto.CmdKeyMemory: "KEY_MEMORY (1)k", proto.CmdRandomKey: "RANDOM_KEY",
	proto.CmdSetDiffMany: "SET_DIFF_MANY (2)[(1)s(1)t]", proto.CmdSetDiffManyInto: "SET_DIFF_MANY_INTO (1)u (2)[(1)s(1)t]",
	proto.CmdPublish: "PUBLISH (1)c (1)m", proto.CmdSubscribe: "SUBSCRIBE (1)c", proto.CmdSubscribed: "SUBSCRIBED",
	proto.CmdUnsubscribe: "UNSUBSCRIBE (1)c", proto.CmdUnsubscribeAll: "UNSUBSCRIBE_ALL",
	proto.CmdSubscribePattern: "SUBSCRIBE_PATTERN (1)c", proto.CmdUnsubscribePattern: "UNSUBSCRIBE_PATTERN (1)c",
	proto.CmdSubscribedPatterns: "SUBSCRIBED_PATTERNS", proto.CmdSetExpiryAt: "SET_EXPIRY_AT (1)k 1",
	proto.CmdSetExpiryIf: "SET_EXPIRY_IF (1)k 100 NONE", proto.CmdSetExpiryAtIf: "SET_EXPIRY_AT_IF (1)k 1 LATER",
	proto.CmdListPopLeftWaitAny: "LIST_POP_LEFT_WAIT_ANY (2)[(1)l(1)m] 1 1", proto.CmdListPopRightWaitAny: "LIST_POP_RIGHT_WAIT_ANY (1)[(1)l] 1 1",
	proto.CmdListPushLeftIfPresent: "LIST_PUSH_LEFT_IF_PRESENT (1)l (1)[(1)a]", proto.CmdListPushRightIfPresent: "LIST_PUSH_RIGHT_IF_PRESENT (1)l (1)[(1)a]",
	proto.CmdIncrIntText: "INCR_INT_TEXT (1)n 1", proto.CmdListInsert: "LIST_INSERT (1)l LEFT (1)a (1)b",
	proto.CmdStrGetBit: "STR_GET_BIT (1)s 1", proto.CmdStrSetBit: "STR_SET_BIT (1)s 1 1", proto.CmdStrBitCount: "STR_BIT_COUNT (1)s 0 -1 BYTE",
	proto.CmdStrBitPos: "STR_BIT_POS (1)s 1 0 -1 BIT", proto.CmdStrBitPosFrom: "STR_BIT_POS_FROM (1)s 0 0",
	proto.CmdListPosWithin: "LIST_POS_WITHIN (1)l (1)a 1 1 10", proto.CmdStrBitOpInto: "STR_BIT_OP_INTO (1)d OR (2)[(1)s(1)t]", proto.CmdSetIntersectLenUpTo: "SET_INTERSECT_LEN_UPTO (2)[(1)s(1)t] 1",
	proto.CmdSetWith: "SET_WITH:STR (1)k (1)v ABSENT AFTER 1000", proto.CmdGetSetWith: "GET_SET_WITH:STR (1)k (1)v PRESENT KEEP 0",
	proto.CmdHashIncrFloat: "HASH_INCR_FLOAT (1)h (1)f 1",
	proto.CmdHllAdd:        "HLL_ADD (1)p (1)[(1)a]", proto.CmdHllCount: "HLL_COUNT (1)[(1)p]", proto.CmdHllMergeInto: "HLL_MERGE_INTO (1)q (1)[(1)p]",
	proto.CmdConsistency: "CONSISTENCY QUORUM QUORUM", proto.CmdGetConsistency: "GET_CONSISTENCY",
	proto.CmdClusterInfo: "CLUSTER_INFO",
	proto.CmdScan:        "SCAN (1)0 (1)* 10", proto.CmdKeys: "KEYS (1)*", proto.CmdDBSize: "DB_SIZE", proto.CmdInfo: "INFO",
}

// TestPermissionMatrix checks every cell of PROTOCOL.md §5.3 for the
// levels a session can reach (UNKNOWN, USER, ADMIN) over TCP.
func TestPermissionMatrix(t *testing.T) {
	s := memoryServer(t)
	admin := s.dial()
	expect(t, admin, "ADD_USER (5)user1 (5)pass1", "OK")
	sessions := map[string]*client.Client{
		"UNKNOWN": s.dialAs(client.Options{NoLogin: true}),
		"USER":    s.dialAs(client.Options{Username: "user1", Password: "pass1"}),
		"ADMIN":   admin,
	}
	// The table of §5.3, row by row (PEER is unreachable over the wire).
	allowedFor := func(c proto.Command) []string {
		switch c {
		case proto.CmdPing, proto.CmdExit:
			return []string{"UNKNOWN", "USER", "ADMIN"}
		case proto.CmdAuth:
			return []string{"UNKNOWN"}
		case proto.CmdTerminate, proto.CmdReset, proto.CmdAddUser, proto.CmdEditUser, proto.CmdDelUser, proto.CmdClusterInfo:
			return []string{"ADMIN"}
		}
		return []string{"USER", "ADMIN"}
	}
	for cmd := proto.CmdPing; cmd.Valid(); cmd++ {
		if cmd == proto.CmdExit || cmd == proto.CmdTerminate {
			continue
		}
		req, ok := permissionCases[cmd]
		if !ok {
			t.Errorf("no permission case for %v", cmd)
			continue
		}
		for level, c := range sessions {
			want := false
			for _, l := range allowedFor(cmd) {
				want = want || l == level
			}
			if (cmd == proto.CmdTransactCommit || cmd == proto.CmdTransactDiscard) && level != "UNKNOWN" {
				raw(t, c, "TRANSACT_BEGIN")
			}
			got := raw(t, c, req)
			if (cmd == proto.CmdTransactCommit || cmd == proto.CmdTransactDiscard) && level == "UNKNOWN" {
				// The state check comes first (D59): outside a transaction,
				// which UNKNOWN cannot open, the answer is BAD_STATE.
				if got != "BAD_STATE" {
					t.Errorf("%s as UNKNOWN: got %q, want BAD_STATE", req, got)
				}
				continue
			}
			if denied := got == "DENIED"; denied == want {
				t.Errorf("%s as %s: got %q (allowed should be %v)", req, level, got, want)
			}
			if cmd == proto.CmdTransactBegin && got == "OK" {
				raw(t, c, "TRANSACT_DISCARD")
			}
		}
	}
	// EXIT: everyone may; the connection closes without a reply.
	for level, c := range sessions {
		if err := c.Exit(); err != nil {
			t.Fatal(err)
		}
		if _, err := c.Receive(); err != client.ErrClosed {
			t.Errorf("EXIT as %s: connection not closed (%v)", level, err)
		}
	}
	// TERMINATE is refused to UNKNOWN and USER, and the server keeps running.
	for _, opts := range []client.Options{{NoLogin: true}, {Username: "user1", Password: "pass1"}} {
		c := s.dialAs(opts)
		expect(t, c, "TERMINATE", "DENIED", "PING", "PONG:STR (0)")
	}
}

func TestDeniedBeforeParsing(t *testing.T) {
	s := memoryServer(t)
	c := s.dialAs(client.Options{NoLogin: true})
	// At top level, permission is checked before the arguments (D58).
	expect(t, c, "GET (3", "DENIED", "SET garbage", "DENIED")
}

func TestUserChangesReachLiveSessions(t *testing.T) {
	s := memoryServer(t)
	admin := s.dial()
	expect(t, admin, "ADD_USER (5)user1 (5)pass1", "OK", "SET:STR (1)k (1)v", "OK")
	u1 := s.dialAs(client.Options{Username: "user1", Password: "pass1"})
	u2 := s.dialAs(client.Options{Username: "user1", Password: "pass1"})
	expect(t, u1, "RESET", "DENIED")
	// Promotion applies to every open session of the user at once.
	expect(t, admin, "EDIT_USER (5)user1 ADMIN", "OK")
	expect(t, u1, "RESET", "OK")
	expect(t, u2, "ADD_USER (5)user2 (5)pass2", "OK")
	expect(t, admin, "EDIT_USER (5)user1 USER", "OK")
	expect(t, u2, "RESET", "DENIED")
	// A password change does not affect open sessions.
	expect(t, u1, "CHANGE_PASSWORD (5)pass9", "OK")
	expect(t, u2, "GET (1)k", "NULL")
	if _, err := client.Dial(s.addr, client.Options{Username: "user1", Password: "pass1"}); err == nil {
		t.Error("the old password still logs in")
	}
	s.dialAs(client.Options{Username: "user1", Password: "pass9"})
	// Deletion: the next request of each session gets no reply and the
	// connection closes.
	expect(t, admin, "DEL_USER (5)user1", "OK")
	for _, c := range []*client.Client{u1, u2} {
		if _, err := c.Raw([]byte("PING")); err != client.ErrClosed {
			t.Errorf("deleted user's session: %v, want the connection closed", err)
		}
	}
	expect(t, admin, "PING", "PONG:STR (0)")
}

func TestPersistSurvivesKill(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, "--use-cwd", "--no-logging")
	c := s.dial()
	expect(t, c,
		"SET:STR (3)foo (3)bar", "OK",
		"SWITCH_DB 15", "OK",
		"LIST_PUSH_RIGHT (1)l (2)[(1)a(1)b]", "OK:INT 2",
		"HASH_SET (1)h (1){(1)f(1)v}", "OK",
		"SET_ADD (1)s (1){(1)m}", "OK:INT 1",
		"SET:FLOAT (1)f 2.5", "OK",
		"INCR_INT (1)i 7", "OK:INT 7",
		"SET_EXPIRY (1)f 1000", "OK",
		"ADD_USER (5)user1 (5)pass1", "OK",
		"PERSIST", "OK",
		"SET:STR (4)lost (1)x", "OK", // after the snapshot, and no WAL yet: may be lost
	)
	if _, err := os.Stat(filepath.Join(dir, "vanity.db")); err != nil {
		t.Fatalf("no snapshot file: %v", err)
	}
	s.restart()
	c = s.dial()
	expect(t, c,
		"GET (3)foo", "OK:STR (3)bar",
		"SWITCH_DB 15", "OK",
		"GET (1)l", "OK:LIST (2)[(1)a(1)b]",
		"GET (1)h", "OK:HASH (1){(1)f(1)v}",
		"GET (1)s", "OK:SET (1){(1)m}",
		"GET (1)f", "OK:FLOAT 2.500000",
		"GET (1)i", "OK:INT 7",
	)
	if got := raw(t, c, "GET_EXPIRY (1)f"); !strings.HasPrefix(got, "OK:FLOAT 99") {
		t.Errorf("deadline after restart: %q", got)
	}
	// The users file was rewritten at ADD_USER, before the kill.
	s.dialAs(client.Options{Username: "user1", Password: "pass1"})
}

func TestPersistDisabled(t *testing.T) {
	s := memoryServer(t)
	expect(t, s.dial(), "PERSIST", "ERROR(20)Persistence disabled")
}

func TestTerminatePersistsAndExits(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, "--use-cwd", "--no-logging")
	c := s.dial()
	other := s.dial()
	expect(t, c, "SET:STR (1)k (5)saved", "OK")
	if err := c.Terminate(); err != nil {
		t.Fatal(err)
	}
	code, err := s.wait(10 * time.Second)
	if err != nil || code != 0 {
		t.Fatalf("exit status %d, %v; want 0", code, err)
	}
	if _, err := other.Raw([]byte("PING")); err == nil {
		t.Error("another connection still answers after TERMINATE")
	}
	s.run()
	expect(t, s.dial(), "GET (1)k", "OK:STR (5)saved")
}

func TestSigtermPersistsAndExits(t *testing.T) {
	dir := t.TempDir()
	s := start(t, dir, "--use-cwd", "--no-logging")
	expect(t, s.dial(), "SET:STR (1)k (5)saved", "OK")
	s.signal(syscall.SIGTERM)
	if code, err := s.wait(10 * time.Second); err != nil || code != 0 {
		t.Fatalf("exit status %d, %v; want 0", code, err)
	}
	s.run()
	expect(t, s.dial(), "GET (1)k", "OK:STR (5)saved")
}

func TestUsersFileAndDefaultPassword(t *testing.T) {
	dir := t.TempDir()
	// An empty users file is treated like a missing one (D43).
	if err := os.WriteFile(filepath.Join(dir, "users.db"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, dir, "--use-cwd", "--no-logging", "--no-db-persist", "--default-password=s3cret")
	if _, err := client.Dial(s.addr, client.Options{}); err == nil {
		t.Error("the well-known password works although another was set")
	}
	c := s.dialAs(client.Options{Username: "vanity", Password: "s3cret"})
	expect(t, c, "ADD_USER (5)user1 (5)pass1", "OK")
	s.kill()
	// The stored admin replaces the default: the flag no longer matters.
	s2 := start(t, dir, "--use-cwd", "--no-logging", "--no-db-persist")
	s2.dialAs(client.Options{Username: "vanity", Password: "s3cret"})
	s2.dialAs(client.Options{Username: "user1", Password: "pass1"})
}

func TestEnvironmentDefaultPassword(t *testing.T) {
	t.Setenv("VANITY_DEFAULT_PASSWORD", "fromenv")
	s := memoryServer(t)
	s.dialAs(client.Options{Username: "vanity", Password: "fromenv"})
}

func TestBadFlagsExitNonZero(t *testing.T) {
	for _, args := range [][]string{{"stray"}, {"-"}, {"--"}, {"--persist-file="}, {"--port=99999"}, {"--port=abc"},
		{"--frobnicate"}, {"--fsyncc=always"}} {
		out, err := execOutput(vanityBin, args...)
		if err == nil {
			t.Errorf("%v: exited 0", args)
		}
		if !strings.Contains(out, "vanity:") {
			t.Errorf("%v: no message on stderr: %q", args, out)
		}
	}
	// "-" and "_" are interchangeable, and one dash is enough.
	s := start(t, t.TempDir(), "--no_db_persist", "-no-users-persist", "--no-logging")
	expect(t, s.dial(), "PERSIST", "ERROR(20)Persistence disabled")
}

func TestPipelinedRequestsAnsweredInOrder(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	const n = 2000
	for i := 0; i < n; i++ {
		if err := c.Send([]byte("INCR_INT (1)c 1")); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		got, err := c.Receive()
		if err != nil {
			t.Fatal(err)
		}
		if want := "OK:INT " + strconv.Itoa(i); string(got) != want {
			t.Fatalf("reply %d: %q, want %q", i, got, want)
		}
	}
}

// TestPipelineMatchesOneAtATime sends a script of mixed requests (data
// commands, multi-key commands, database switches, transactions, bad
// requests) one at a time to one server and all at once to another, whose
// router then runs data commands as pipelines: every reply must match.
func TestPipelineMatchesOneAtATime(t *testing.T) {
	reqs := difftest.Script(1, 3000)
	serial, err := difftest.RunScript(memoryServer(t).dial(), reqs, false)
	if err != nil {
		t.Fatal(err)
	}
	// The pipelined side persists with fsync=always, so a pipeline's
	// replies wait for its log records.
	piped, err := difftest.RunScript(start(t, t.TempDir(), "--fsync=always", "--no-logging").dial(), reqs, true)
	if err != nil {
		t.Fatal(err)
	}
	for i := range reqs {
		if serial[i] != piped[i] {
			t.Fatalf("request %d %q: one at a time %q, pipelined %q", i, reqs[i], serial[i], piped[i])
		}
	}
}

// TestHostileClients checks that broken clients cost only their own
// connection: an oversized frame, a frame never finished, garbage, and a
// disconnect in the middle of a frame.
func TestHostileClients(t *testing.T) {
	s := memoryServer(t)
	good := s.dial()

	huge, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer huge.Close()
	huge.Write(binary.BigEndian.AppendUint32(nil, proto.MaxRequest+1))
	if reply, closed := lastWords(t, huge); !closed || !strings.HasPrefix(reply, "ERROR(") || !strings.Contains(reply, "request too large") {
		t.Errorf("oversized frame: reply %q, closed %v", reply, closed)
	}

	stalled, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stalled.Close()
	stalled.Write(binary.BigEndian.AppendUint32(nil, 100<<20)) // declares 100 MiB, sends 3 bytes
	stalled.Write([]byte("GET"))

	cut, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	cut.Write(binary.BigEndian.AppendUint32(nil, 50))
	cut.Write([]byte("SET:STR (1)k"))
	cut.Close()

	garbage, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	garbage.Write(proto.AppendFrame(nil, []byte("\x00\xff\xfe(((((]]]")))
	r := make([]byte, 4)
	garbage.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(garbage, r); err != nil {
		t.Fatalf("garbage: %v", err)
	}
	body := make([]byte, binary.BigEndian.Uint32(r))
	io.ReadFull(garbage, body)
	// No command word matches, which is checked before permission.
	if string(body) != "BAD_REQUEST(34) InvalidRequest: invalid operation" {
		t.Errorf("garbage from an unauthenticated client: %q", body)
	}

	for i := 0; i < 100; i++ {
		expect(t, good, "INCR_INT (1)n 1", "OK:INT "+strconv.Itoa(i+1))
	}
	expect(t, good, "GET (3)foo junk", "BAD_REQUEST(55) InvalidRequest: unexpected character at end of message",
		"PING", "PONG:STR (0)")
}

// lastWords reads one reply frame from conn and reports whether the
// server closed the connection after it.
func lastWords(t *testing.T, conn net.Conn) (string, bool) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	hdr := make([]byte, 4)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		return "", true
	}
	body := make([]byte, binary.BigEndian.Uint32(hdr))
	if _, err := io.ReadFull(conn, body); err != nil {
		t.Fatalf("reply cut short: %v", err)
	}
	n, err := conn.Read(make([]byte, 1))
	return string(body), n == 0 && err != nil
}

// TestRequestLimitBeforeAuth: a session that has not authenticated may
// not send a request over 64 KiB (an unauthenticated client made the
// server buffer 500 MB requests before refusing them): the frame's header
// is enough to refuse it with an error that names the limit, and close.
// After AUTH, the same request is served, on a connection that sent AUTH
// and the large request together too.
func TestRequestLimitBeforeAuth(t *testing.T) {
	s := memoryServer(t)
	value := strings.Repeat("v", 1<<20)
	big := proto.AppendFrame(nil, []byte("SET:STR (1)k ("+strconv.Itoa(len(value))+")"+value))

	stranger, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer stranger.Close()
	stranger.Write(big[:4]) // the header alone is refused
	reply, closed := lastWords(t, stranger)
	if !closed || !strings.HasPrefix(reply, "ERROR(") || !strings.Contains(reply, "before AUTH: the limit is 65536 bytes") {
		t.Errorf("unauthenticated large request: reply %q, closed %v", reply, closed)
	}

	eager, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer eager.Close()
	auth := proto.AppendFrame(nil, []byte("AUTH (6)vanity (6)vanity"))
	get := proto.AppendFrame(nil, []byte("GET (1)k"))
	if _, err := eager.Write(append(append(auth, big...), get...)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(eager)
	eager.SetReadDeadline(time.Now().Add(10 * time.Second))
	for i, want := range []string{"OK", "OK", "OK:STR (" + strconv.Itoa(len(value)) + ")" + value} {
		hdr := make([]byte, 4)
		if _, err := io.ReadFull(r, hdr); err != nil {
			t.Fatalf("reply %d: %v", i, err)
		}
		body := make([]byte, binary.BigEndian.Uint32(hdr))
		if _, err := io.ReadFull(r, body); err != nil || string(body) != want {
			t.Fatalf("reply %d: %.80q, %v", i, body, err)
		}
	}
	expect(t, s.dial(), "PING", "PONG:STR (0)")
}

func TestPublishReachesOtherConnections(t *testing.T) {
	s := memoryServer(t)
	pub := s.dial()
	subs := make([]*client.Client, 50)
	for i := range subs {
		subs[i] = s.dial()
		expect(t, subs[i], "SUBSCRIBE (4)chan", "OK:INT 1")
	}
	expect(t, pub, "SUBSCRIBE (4)chan", "OK:INT 1")
	// The publisher sees its OK before its own message (D54).
	out, err := pub.Raw([]byte("PUBLISH (4)chan (5)hello"))
	if err != nil || string(out) != "OK" {
		t.Fatalf("PUBLISH: %q %v", out, err)
	}
	for i, c := range append(subs, pub) {
		m, err := c.ReadAsync(true)
		if err != nil || string(m) != "ASYNC:PUBLISH (4)chan(5)hello" {
			t.Errorf("subscriber %d: %q %v", i, m, err)
		}
	}
	// Messages from one publisher arrive in order, and replies still work.
	for i := 0; i < 50; i++ {
		expect(t, pub, "PUBLISH (4)chan "+encStr(strconv.Itoa(i)), "OK")
	}
	expect(t, subs[0], "GET (3)nop", "NULL")
	for i := 0; i < 50; i++ {
		m, err := subs[0].ReadAsync(true)
		if want := "ASYNC:PUBLISH (4)chan" + encStr(strconv.Itoa(i)); err != nil || string(m) != want {
			t.Fatalf("message %d: %q %v, want %q", i, m, err, want)
		}
	}
}

func encStr(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }

// TestPatternSubscriptions: a connection following a pattern gets the
// messages of every channel whose name matches it, once however many of
// its subscriptions match; UNSUBSCRIBE_PATTERN and UNSUBSCRIBE_ALL stop
// them (§12.15).
func TestPatternSubscriptions(t *testing.T) {
	s := memoryServer(t)
	a, b, pub := s.dial(), s.dial(), s.dial()
	expect(t, a, "SUBSCRIBE_PATTERN (6)news.*", "OK:INT 1", "SUBSCRIBE_PATTERN (6)news.*", "OK:INT 1",
		"SUBSCRIBE_PATTERN (5)h?llo", "OK:INT 2")
	expect(t, b, "SUBSCRIBE (10)news.sport", "OK:INT 1", "SUBSCRIBE_PATTERN (6)news.*", "OK:INT 1",
		"SUBSCRIBE_PATTERN (5)news*", "OK:INT 2")
	next := func(who string, c *client.Client, want string) {
		t.Helper()
		if m, err := c.ReadAsync(true); err != nil || string(m) != want {
			t.Fatalf("%s got %q %v, want %q", who, m, err, want)
		}
	}
	expect(t, pub, "PUBLISH (10)news.sport (2)hi", "OK", "PUBLISH (5)hallo (1)x", "OK",
		"PUBLISH (5)other (1)y", "OK", "PUBLISH (6)news.x (6)marker", "OK")
	next("a", a, "ASYNC:PUBLISH (10)news.sport(2)hi")
	next("a", a, "ASYNC:PUBLISH (5)hallo(1)x")
	next("a", a, "ASYNC:PUBLISH (6)news.x(6)marker")  // nothing of "other" came before it
	next("b", b, "ASYNC:PUBLISH (10)news.sport(2)hi") // once, for three matches
	next("b", b, "ASYNC:PUBLISH (6)news.x(6)marker")
	expect(t, a, "UNSUBSCRIBE_PATTERN (5)h?llo", "OK:INT 1", "UNSUBSCRIBE_PATTERN (5)h?llo", "OK:INT 1",
		"SUBSCRIBED_PATTERNS", "OK:ARR (1)[:STR (6)news.*]", "SUBSCRIBED", "OK:ARR (0)[]")
	expect(t, pub, "PUBLISH (5)hello (1)z", "OK", "PUBLISH (6)news.y (1)w", "OK")
	next("a", a, "ASYNC:PUBLISH (6)news.y(1)w")
	next("b", b, "ASYNC:PUBLISH (6)news.y(1)w")
	expect(t, b, "UNSUBSCRIBE_ALL", "OK", "SUBSCRIBED_PATTERNS", "OK:ARR (0)[]", "SUBSCRIBED", "OK:ARR (0)[]",
		"SUBSCRIBE (3)end", "OK:INT 1")
	expect(t, pub, "PUBLISH (6)news.z (1)v", "OK", "PUBLISH (3)end (1)e", "OK")
	next("a", a, "ASYNC:PUBLISH (6)news.z(1)v")
	next("b", b, "ASYNC:PUBLISH (3)end(1)e") // news.z, published before it, never came
}

// TestSlowSubscriberIsDisconnected checks that a subscriber that never
// reads cannot make the server buffer without bound.
func TestSlowSubscriberIsDisconnected(t *testing.T) {
	s := memoryServer(t)
	slow, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer slow.Close()
	slow.Write(proto.AppendFrame(nil, []byte("AUTH (6)vanity (6)vanity")))
	slow.Write(proto.AppendFrame(nil, []byte("SUBSCRIBE (1)c")))
	pub := s.dial()
	big := strings.Repeat("x", 64<<10)
	const published = 1000 // 64 MiB, twice the 32 MiB queue bound
	for i := 0; i < published; i++ {
		expect(t, pub, "PUBLISH (1)c "+encStr(big), "OK")
	}
	expect(t, pub, "PING", "PONG:STR (0)")
	// Now read: a dropped subscriber's stream ends early, having carried at
	// most the queue bound plus what the sockets buffered.
	n := 0
	buf := make([]byte, 1<<20)
	for {
		slow.SetReadDeadline(time.Now().Add(10 * time.Second))
		k, err := slow.Read(buf)
		n += k
		if err != nil {
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatalf("the connection stayed open after %d bytes", n)
			}
			break
		}
	}
	if n >= published*len(big) {
		t.Fatalf("the subscriber received all %d bytes: it was never dropped", n)
	}
	t.Logf("slow subscriber dropped after %d bytes of %d published", n, published*len(big))
}

func TestTransactionIsolation(t *testing.T) {
	s := memoryServer(t)
	const writers, rounds = 4, 200
	var wg sync.WaitGroup
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := client.Dial(s.addr, client.Options{})
			if err != nil {
				t.Error(err)
				return
			}
			defer c.Close()
			for i := 0; i < rounds; i++ {
				raw(t, c, "TRANSACT_BEGIN")
				raw(t, c, "INCR_INT (1)a 1")
				raw(t, c, "INCR_INT (1)b 1")
				if got := raw(t, c, "TRANSACT_COMMIT"); !strings.HasPrefix(got, "OK:AGG(2)OK:INT ") {
					t.Errorf("commit: %q", got)
					return
				}
			}
		}()
	}
	reader := s.dial()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		r, _ := proto.ParseReply([]byte(raw(t, reader, "MANY_GET (2)[(1)a(1)b]")))
		if a, b := r.Value.Elems[0], r.Value.Elems[1]; a.Int != b.Int {
			t.Fatalf("a reader saw a half-committed transaction: a=%d b=%d", a.Int, b.Int)
		}
	}
	expect(t, reader, "GET (1)a", fmt.Sprintf("OK:INT %d", writers*rounds))
}

func TestClosedTransactionIsDiscarded(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	expect(t, c, "TRANSACT_BEGIN", "OK", "SET:STR (1)k (1)v", "QUEUED")
	c.Close()
	expect(t, s.dial(), "GET (1)k", "NULL")
}

func execOutput(name string, args ...string) (string, error) {
	var buf bytes.Buffer
	cmd := execCommand(name, args...)
	cmd.Stdout = &buf
	cmd.Stderr = &buf
	err := cmd.Run()
	return buf.String(), err
}

func TestGoClientHelpers(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	r, err := c.Tx().Add("INCR_INT", "a", 1).Add("INCR_INT", "b", 2).Add("GET", "a").Commit()
	if err != nil || r.Value.Type != proto.TypeAgg || len(r.Value.Replies) != 3 || r.Value.Replies[2].Value.Int != 1 {
		t.Fatalf("transaction: %s %v", client.Format(r), err)
	}
	if _, err := c.Tx().Add("INCR_INT", "a", 1).Add("GET").Commit(); err == nil {
		t.Fatal("a malformed transaction committed")
	}
	expect(t, c, "GET (1)a", "OK:INT 1", "TRANSACT_COMMIT", "BAD_STATE")
	p, err := c.Pipe().Add("SET :STR", "k", "v").Add("GET", "k").Execute()
	if err != nil || len(p.Value.Replies) != 2 || string(p.Value.Replies[1].Value.Str) != "v" {
		t.Fatalf("pipe: %s %v", client.Format(p), err)
	}
	for _, call := range []func() (client.Reply, error){
		func() (client.Reply, error) { return c.Set("i", 5) },
		func() (client.Reply, error) { return c.Set("f", 2.5) },
		func() (client.Reply, error) { return c.HashSet("h", client.Hash{{Name: "f", Value: "v"}}) },
		func() (client.Reply, error) { return c.SetAdd("s", "x", "y") },
		func() (client.Reply, error) { return c.ListPushRight("l", "a", "b") },
	} {
		if r, err := call(); err != nil || r.Status != proto.StatusOK {
			t.Fatalf("%s %v", client.Format(r), err)
		}
	}
	expect(t, c, "GET (1)i", "OK:INT 5", "GET (1)f", "OK:FLOAT 2.500000", "GET (1)l", "OK:LIST (2)[(1)a(1)b]")
}

// TestExpiryNeverVisibleAfterDeadline sets keys with short deadlines and
// polls them: a read sent later than the deadline (as the client can bound
// it: the SET_EXPIRY reply's arrival plus the TTL, plus the millisecond of
// resolution) must find the key gone, and it must stay gone.
func TestExpiryNeverVisibleAfterDeadline(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	const keys = 50
	deadline := make([]time.Time, keys)
	for i := 0; i < keys; i++ {
		k := encStr("k" + strconv.Itoa(i))
		ttl := time.Duration(20+i%5*10) * time.Millisecond
		expect(t, c, "SET:STR "+k+" (1)v", "OK")
		expect(t, c, "SET_EXPIRY "+k+" "+strconv.FormatFloat(ttl.Seconds(), 'f', 3, 64), "OK")
		deadline[i] = time.Now().Add(ttl + 2*time.Millisecond)
	}
	gone := make([]bool, keys)
	for remaining := keys; remaining > 0; {
		for i := 0; i < keys; i++ {
			sent := time.Now()
			got := raw(t, c, "GET "+encStr("k"+strconv.Itoa(i)))
			switch {
			case got == "NULL":
				if !gone[i] {
					gone[i] = true
					remaining--
				}
			case gone[i]:
				t.Fatalf("key %d came back after expiring: %q", i, got)
			case sent.After(deadline[i]):
				t.Fatalf("key %d still visible %v after its deadline", i, sent.Sub(deadline[i]))
			}
		}
	}
}

// TestPlainSystemCalls: with --no-io-uring the event loops serve as with
// io_uring (the router's tests check both in depth).
func TestPlainSystemCalls(t *testing.T) {
	s := start(t, t.TempDir(), "--use-cwd", "--no-logging", "--no-db-persist", "--no-io-uring")
	expect(t, s.dial(),
		"SET:STR (1)k (1)v", "OK",
		"GET (1)k", "OK:STR (1)v",
	)
	expect(t, s.dial(), "GET (1)k", "OK:STR (1)v")
}

// rss returns the resident memory of process pid, in bytes.
func rss(t *testing.T, pid int) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestHostileRequestsKeepMemoryBounded replays the audit's attacks on one
// server: unauthenticated clients declaring 500 MB requests (2.65 GB
// before), tiny PIPEs asking for millions of replies (5 GB before), and a
// PIPE nested 1,500,000 deep (a crash before). Each is answered at once,
// the server's memory grows by little, and another client is served
// throughout.
func TestHostileRequestsKeepMemoryBounded(t *testing.T) {
	s := memoryServer(t)
	good := s.dial()
	expect(t, good, "SET:STR (3)foo (3)bar", "OK")
	before := rss(t, s.cmd.Process.Pid)
	for range 3 {
		nc, err := net.Dial("tcp", s.addr)
		if err != nil {
			t.Fatal(err)
		}
		nc.SetWriteDeadline(time.Now().Add(2 * time.Second))
		nc.Write(append(binary.BigEndian.AppendUint32(nil, 500<<20), make([]byte, 4<<20)...))
		if reply, closed := lastWords(t, nc); !closed || !strings.Contains(reply, "before AUTH") {
			t.Fatalf("a 500 MB request before AUTH: %q, closed %v", reply, closed)
		}
		nc.Close()
	}
	for range 5 {
		expect(t, s.dial(), "PIPE(10900000)GET(3)foo", "BAD_REQUEST(36) InvalidRequest: length out of range")
	}
	bomb := append(bytes.Repeat([]byte("PIPE(1)"), 1_500_000), "GET(3)foo"...)
	out, err := s.dial().Raw(bomb)
	if err != nil || !strings.HasSuffix(string(out), "PIPE nested too deeply") {
		t.Fatalf("a depth bomb: %.100q, %v", out, err)
	}
	expect(t, good, "GET (3)foo", "OK:STR (3)bar")
	if grown := rss(t, s.cmd.Process.Pid) - before; grown > 128<<20 {
		t.Fatalf("the server grew by %d MiB", grown>>20)
	} else {
		t.Logf("the server grew by %d MiB", grown>>20)
	}
}

// TestSetTTL: a value and its time to live in one write, through the Go
// client: the key never exists without its deadline.
func TestSetTTL(t *testing.T) {
	c := memoryServer(t).dial()
	if r, err := c.SetTTL("k", "v", time.Minute); err != nil || r.Status != proto.StatusOK {
		t.Fatalf("SetTTL: %s %v", client.Format(r), err)
	}
	if r, err := c.GetExpiry("k"); err != nil || r.Value.Float <= 59 || r.Value.Float > 60 {
		t.Fatalf("GET_EXPIRY: %s %v", client.Format(r), err)
	}
	if r, err := c.SetTTL("n", 5, time.Millisecond); err != nil || r.Status != proto.StatusOK {
		t.Fatalf("SetTTL of an int: %s %v", client.Format(r), err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		r, err := c.Get("n")
		if err != nil {
			t.Fatal(err)
		}
		if r.Status == proto.StatusNull {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("a 1 ms time to live: still %s", client.Format(r))
		}
		time.Sleep(5 * time.Millisecond) // polling until the deadline has passed
	}
}

// TestClientPasswordWithoutUsername: Options{Password: "x"} logs in as
// the administrator vanity with that password (it logged in with the
// default password instead, ignoring the one given).
func TestClientPasswordWithoutUsername(t *testing.T) {
	s := memoryServer(t)
	expect(t, s.dial(), "CHANGE_PASSWORD (6)s3cret", "OK")
	c, err := client.Dial(s.addr, client.Options{Password: "s3cret"})
	if err != nil {
		t.Fatalf("the administrator with its new password: %v", err)
	}
	c.Close()
	if c, err := client.Dial(s.addr, client.Options{Password: "wrong"}); err == nil {
		c.Close()
		t.Fatal("a wrong password logged in")
	}
}
