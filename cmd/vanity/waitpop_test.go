package main

import (
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/lincheck"
)

// TestBlockingPop runs LIST_POP_LEFT_WAIT against the binary: a pop that
// finds an element answers at once; one on an empty list answers the
// element a later push brings (before its time is up); one that nothing
// reaches answers the empty list once its time is up; a transaction
// refuses it; a bad timeout is an error.
func TestBlockingPop(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	expect(t, c, "LIST_PUSH_RIGHT (4)jobs (1)[(1)a]", "OK:INT 1")
	expect(t, c, "LIST_POP_LEFT_WAIT (4)jobs 1 5000", "OK:LIST (1)[(1)a]")

	type answer struct {
		reply string
		took  time.Duration
	}
	waiting := make(chan answer, 1)
	go func() {
		w := s.dial()
		start := time.Now()
		r, err := w.Raw([]byte("LIST_POP_LEFT_WAIT (4)jobs 1 20000"))
		if err != nil {
			waiting <- answer{reply: "error: " + err.Error()}
			return
		}
		waiting <- answer{string(r), time.Since(start)}
	}()
	// The push may come before or after the waiter's first try: either
	// way the waiter gets it, long before its 20 s are up.
	expect(t, c, "LIST_PUSH_RIGHT (4)jobs (1)[(1)b]", "OK:INT 1")
	select {
	case a := <-waiting:
		if a.reply != "OK:LIST (1)[(1)b]" || a.took > 10*time.Second {
			t.Fatalf("the waiting pop answered %q after %v", a.reply, a.took)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the waiting pop did not answer within 30 s")
	}

	start := time.Now()
	expect(t, c, "LIST_POP_RIGHT_WAIT (7)nothing 1 200", "OK:LIST (0)[]")
	if took := time.Since(start); took < 200*time.Millisecond {
		t.Errorf("an empty pop answered after %v, before its 200 ms", took)
	}
	expect(t, c, "LIST_POP_LEFT_WAIT (4)jobs 1 -1", "ERROR(52)invalid timeout: 0 (one try) to 3600000 milliseconds")
	expect(t, c, "LIST_POP_LEFT_WAIT (4)jobs 1 3600001", "ERROR(52)invalid timeout: 0 (one try) to 3600000 milliseconds")
	// A time of 0 is one try: what is there, or nothing at once.
	expect(t, c, "LIST_POP_LEFT_WAIT_ANY (2)[(4)none(4)jobs] 1 0", "OK:LIST (0)[]")
	expect(t, c, "LIST_PUSH_RIGHT (4)jobs (2)[(1)x(1)y]", "OK:INT 2")
	expect(t, c, "LIST_POP_RIGHT_WAIT_ANY (2)[(4)none(4)jobs] 5 0", "OK:LIST (3)[(4)jobs(1)x(1)y]")
	expect(t, c, "LIST_POP_LEFT_WAIT (4)jobs 1 0", "OK:LIST (0)[]")
	expect(t, c, "TRANSACT_BEGIN", "OK")
	expect(t, c, "LIST_POP_LEFT_WAIT (4)jobs 1 100", "BAD_STATE")
	expect(t, c, "TRANSACT_DISCARD", "OK")
	expect(t, c, "SET:STR (1)s (1)x", "OK")
	expect(t, c, "LIST_POP_LEFT_WAIT (1)s 1 5000", "BAD_TYPE(10)not a list")
}

// TestBlockingPopOfAGoneClient: a client that leaves while its pop waits
// frees the connection, and the waiting pop takes nothing after it left:
// an element pushed afterwards stays for the next reader.
func TestBlockingPopOfAGoneClient(t *testing.T) {
	s := memoryServer(t)
	b := s.dial()
	connected := func() string {
		t.Helper()
		r, err := b.Do("INFO")
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i+1 < len(r.Value.Strs); i += 2 {
			if string(r.Value.Strs[i]) == "clients.connected" {
				return string(r.Value.Strs[i+1])
			}
		}
		t.Fatalf("INFO has no clients.connected: %q", r.Value.Strs)
		return ""
	}
	a := s.dial()
	if got := connected(); got != "2" {
		t.Fatalf("%s clients connected, want 2", got)
	}
	if err := a.SendOnly([]byte("LIST_POP_LEFT_WAIT (4)jobs 1 3600000")); err != nil {
		t.Fatal(err)
	}
	a.Close()
	for deadline := time.Now().Add(10 * time.Second); connected() != "1"; {
		if time.Now().After(deadline) {
			t.Fatal("the connection of a client that left while its pop waited is still open after 10 s")
		}
		time.Sleep(5 * time.Millisecond)
	}
	expect(t, b, "LIST_PUSH_RIGHT (4)jobs (1)[(3)job]", "OK:INT 1")
	expect(t, b, "LIST_LEN (4)jobs", "OK:INT 1")
}

// TestBlockingPopOnce runs lincheck.BlockingOnce against the binary: a
// blocking pop with a request id takes an element once.
func TestBlockingPopOnce(t *testing.T) {
	s := memoryServer(t)
	lincheck.BlockingOnce(t, "", func(int) (*client.Client, error) { return s.dial(), nil })
}
