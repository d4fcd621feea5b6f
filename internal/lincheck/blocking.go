package lincheck

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
)

// BlockingOnce checks a blocking pop sent with a request id (ONCE and
// RETRY around LIST_POP_LEFT_WAIT, PROTOCOL.md §12.9 and §12.12) against
// a real server or routers, each step on a new connection from dial
// (through another router where dial alternates): only the try that takes
// an element is recorded, so a ONCE that timed out empty takes an element
// when sent again; once one took, the ONCE sent again and its RETRY
// answer that element and take nothing more; a RETRY of a pop that took
// nothing answers at once that it is not confirmed; a pop that waits is
// woken by a push and recorded too; a transaction refuses it, a PIPE runs
// it. Keys are prefixed with prefix.
func BlockingOnce(t testing.TB, prefix string, dial func(step int) (*client.Client, error)) {
	t.Helper()
	q, woken := prefix+"jobs", prefix+"later"
	step := 0
	do := func(words ...string) string {
		t.Helper()
		cl, err := dial(step)
		step++
		if err != nil {
			t.Fatal(err)
		}
		defer cl.Close()
		r, err := cl.Raw([]byte(strings.Join(words, " ")))
		if err != nil {
			t.Fatalf("%s: %v", words, err)
		}
		return string(r)
	}
	expect := func(want string, words ...string) {
		t.Helper()
		if got := do(words...); got != want {
			t.Fatalf("%s: %q, want %q", words, got, want)
		}
	}
	str := func(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }
	pop := func(word, id, key string, ms int) []string {
		return []string{word, str(id), "LIST_POP_LEFT_WAIT", str(key), "1", strconv.Itoa(ms)}
	}

	start := time.Now()
	expect("OK:LIST (0)[]", pop("ONCE", "b1", q, 150)...)
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Fatalf("a blocking pop of an empty list answered after %v, before its 150 ms", took)
	}
	expect("OK:INT 2", "LIST_PUSH_RIGHT", str(q), "(2)[(1)a(1)b]")
	expect("OK:LIST (1)[(1)a]", pop("ONCE", "b1", q, 5000)...) // the empty answer was not recorded
	expect("OK:LIST (1)[(1)a]", pop("ONCE", "b1", q, 5000)...) // now it is: nothing popped again
	expect("OK:LIST (1)[(1)a]", pop("RETRY", "b1", q, 5000)...)
	expect("OK:LIST (1)[(1)b]", "LIST_RANGE", str(q), "0 -1")

	start = time.Now()
	if got := do(pop("RETRY", "b2", q, 5000)...); !strings.Contains(got, "not confirmed") {
		t.Fatalf("RETRY of a blocking pop that never ran: %q, want not confirmed", got)
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Fatalf("RETRY of a blocking pop waited %v: it runs once, it does not wait", took)
	}
	expect("OK:LIST (1)[(1)b]", "LIST_RANGE", str(q), "0 -1")

	waiting := make(chan string, 1)
	go func() {
		cl, err := dial(step + 1)
		if err != nil {
			waiting <- err.Error()
			return
		}
		defer cl.Close()
		r, err := cl.Raw([]byte(strings.Join(pop("ONCE", "b3", woken, 20000), " ")))
		if err != nil {
			waiting <- err.Error()
			return
		}
		waiting <- string(r)
	}()
	// The push may come before or after the waiter's first try: either
	// way the waiter takes it.
	expect("OK:INT 1", "LIST_PUSH_RIGHT", str(woken), "(1)[(1)w]")
	select {
	case got := <-waiting:
		if got != "OK:LIST (1)[(1)w]" {
			t.Fatalf("a waiting ONCE pop answered %q, want the element pushed", got)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("a waiting ONCE pop did not answer within 30 s")
	}
	expect("OK:LIST (1)[(1)w]", pop("RETRY", "b3", woken, 5000)...)

	cl, err := dial(step)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	for _, s := range []struct{ req, want string }{
		{"TRANSACT_BEGIN", "OK"},
		{strings.Join(pop("ONCE", "b4", q, 100), " "), "BAD_STATE"},
		{"TRANSACT_DISCARD", "OK"},
		{"PIPE (2)" + strings.Join(pop("ONCE", "b5", q, 5000), " ") + " " + strings.Join(pop("ONCE", "b5", q, 5000), " "),
			"OK:PIPE(2)OK:LIST (1)[(1)b]OK:LIST (1)[(1)b]"},
		{"LIST_LEN " + str(q), "OK:INT 0"},
	} {
		r, err := cl.Raw([]byte(s.req))
		if err != nil || string(r) != s.want {
			t.Fatalf("%s: %q, %v; want %q", s.req, r, err, s.want)
		}
	}
}
