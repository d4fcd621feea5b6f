package node

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/wal"
)

// TestOnceAnswersItsFirstReply: in the single process, a write sent with
// ONCE runs once; sent again (ONCE or RETRY) with the same id it answers
// its first reply without running, also after the key was emptied, a
// no-op and a restart from the log; a RETRY whose id the key's record
// does not list, or no longer lists (more than maxApplied later writes
// with ids), answers "not confirmed" and runs nothing.
func TestOnceAnswersItsFirstReply(t *testing.T) {
	cfg := Config{Partitions: 4, WALDir: t.TempDir(), Fsync: wal.SyncAlways}
	n := newNode(t, cfg)
	expect := func(req, want string) {
		t.Helper()
		if got := do(t, n, 0, req); got != want {
			t.Fatalf("%s: %q, want %q", req, got, want)
		}
	}
	notConfirmed := func(req string) {
		t.Helper()
		if got := do(t, n, 0, req); !strings.Contains(got, "not confirmed") {
			t.Fatalf("%s: %q, want not confirmed", req, got)
		}
	}
	expect("ONCE (2)p1 LIST_PUSH_RIGHT (1)q (1)[(1)a]", "OK:INT 1")
	expect("ONCE (2)p1 LIST_PUSH_RIGHT (1)q (1)[(1)a]", "OK:INT 1")
	expect("RETRY (2)p1 LIST_PUSH_RIGHT (1)q (1)[(1)a]", "OK:INT 1")
	expect("ONCE (2)p2 LIST_POP_LEFT (1)q 1", "OK:LIST (1)[(1)a]")
	expect("ONCE (2)p3 LIST_POP_LEFT (1)q 1", "OK:LIST (0)[]") // a no-op is recorded too
	notConfirmed("RETRY (2)p4 LIST_POP_LEFT (1)q 1")
	expect("GET (1)q", "NULL")

	if err := n.Close(); err != nil {
		t.Fatal(err)
	}
	n = newNode(t, cfg)
	defer n.Close()
	expect("RETRY (2)p2 LIST_POP_LEFT (1)q 1", "OK:LIST (1)[(1)a]")
	expect("RETRY (2)p3 LIST_POP_LEFT (1)q 1", "OK:LIST (0)[]")
	for i := range maxApplied {
		expect(fmt.Sprintf("ONCE (2)w%d INCR_INT (1)c 1", i), fmt.Sprintf("OK:INT %d", i+1))
	}
	expect("RETRY (2)w7 INCR_INT (1)c 1", "OK:INT 8")
	expect("ONCE (2)w8 INCR_INT (1)c 1", "OK:INT 9")
	notConfirmed("RETRY (2)w0 INCR_INT (1)c 1") // pushed out of the record
	expect("GET (1)c", "OK:INT 9")
}

// TestBlockingPopTriesRecordOnlyWhatTheyTake: a blocking pop sent with
// ONCE runs as tries (proto.OnceTry) of the pop under the client's id; a
// try that takes nothing is not recorded, so the next try, or the ONCE
// sent again, may still take an element; the try that takes one is, and
// answers every later try, ONCE and RETRY of that id.
func TestBlockingPopTriesRecordOnlyWhatTheyTake(t *testing.T) {
	n := newNode(t, Config{Partitions: 4})
	defer n.Close()
	try := func(id string) string {
		t.Helper()
		reqs := parse(t, "LIST_POP_LEFT (1)q 1")
		req := reqs[0]
		req.Once, req.OnceID = proto.OnceTry, []byte(id)
		return runEach(n, 0, reqs)[0]
	}
	if got := try("b1"); got != "OK:LIST (0)[]" {
		t.Fatalf("try on an empty list: %q", got)
	}
	if got := do(t, n, 0, "RETRY (2)b1 LIST_POP_LEFT (1)q 1"); !strings.Contains(got, "not confirmed") {
		t.Fatalf("RETRY after a try that took nothing: %q, want not confirmed", got)
	}
	do(t, n, 0, "LIST_PUSH_RIGHT (1)q (2)[(1)a(1)b]")
	if got := try("b1"); got != "OK:LIST (1)[(1)a]" {
		t.Fatalf("try after a push: %q", got)
	}
	for _, again := range []func() string{
		func() string { return try("b1") },
		func() string { return do(t, n, 0, "RETRY (2)b1 LIST_POP_LEFT (1)q 1") },
	} {
		if got := again(); got != "OK:LIST (1)[(1)a]" {
			t.Fatalf("the same id again: %q, want the element its try took", got)
		}
	}
	if got := do(t, n, 0, "LIST_RANGE (1)q 0 -1"); got != "OK:LIST (1)[(1)b]" {
		t.Fatalf("list after: %q, want only b left", got)
	}
}
