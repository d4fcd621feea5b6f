package lincheck

import (
	"strings"
	"testing"
	"time"
)

// TestLockFaults: the lock checks find each rule broken, and nothing in
// takings and fenced writes that keep them.
func TestLockFaults(t *testing.T) {
	ms := func(n int) time.Duration { return time.Duration(n) * time.Millisecond }
	// Client 0 holds token 10 from 0–5 ms (asked at 0, released at 20,
	// lease to 60); client 1's token 20 and client 2's token 30 follow.
	ok := []holding{
		{client: 0, token: 10, call: ms(0), ret: ms(5), end: ms(20)},
		{client: 1, token: 20, call: ms(10), ret: ms(25), end: ms(70)},
		{client: 2, token: 30, call: ms(30), ret: ms(75), end: ms(90)},
	}
	if f := takingFaults("l", ok); len(f) > 0 {
		t.Errorf("exclusive takings: %v", f)
	}
	for _, tc := range []struct {
		name string
		hs   []holding
		want string
	}{
		{"a token twice", []holding{ok[0], {client: 1, token: 10, call: ms(30), ret: ms(35), end: ms(90)}}, "handed to clients"},
		{"taken during a lease", []holding{ok[0], {client: 1, token: 20, call: ms(10), ret: ms(12), end: ms(70)}}, "lease"},
		{"a smaller token later", []holding{{client: 1, token: 20, call: ms(0), ret: ms(5), end: ms(5)}, {client: 0, token: 10, call: ms(30), ret: ms(35), end: ms(90)}}, "lease"},
	} {
		f := takingFaults("l", tc.hs)
		if len(f) != 1 || !strings.Contains(f[0], tc.want) {
			t.Errorf("%s: %v; want one fault naming %q", tc.name, f, tc.want)
		}
	}
	ops := []fenceOp{
		{token: 10, call: ms(0), ret: ms(5)},
		{token: 10, call: ms(6), ret: ms(8)},
		{token: 20, call: ms(7), ret: ms(12)}, // overlaps the second write of token 10
		{token: 9, call: ms(9), ret: ms(11)},  // asked for after token 10 was answered: to be refused
		{token: 30, call: ms(20), ret: ms(25)},
	}
	f := fenceFaults("l", ops)
	if len(f) != 1 || !strings.Contains(f[0], "token 9 taken") {
		t.Errorf("fence faults: %v; want the write of token 9, taken after token 10 was answered", f)
	}
	if f := fenceFaults("l", []fenceOp{ops[0], ops[2], {token: 15, call: ms(10), ret: ms(14)}, ops[4]}); len(f) > 0 {
		t.Errorf("writes the fence allows: %v", f)
	}
	// Against the takings: token 10's holder writing again at 30–35 ms,
	// after token 20's taking was answered (25 ms), is a fault although no
	// write of token 20 came first; so is one at 80 ms, after token 20's
	// holder let go; the same write asked for before token 20's taking
	// was answered is not.
	issued := []fenceOp{
		{token: 10, call: ms(6), ret: ms(8)},
		{token: 10, call: ms(30), ret: ms(35)},
		{token: 10, call: ms(20), ret: ms(28)},
		{token: 20, call: ms(60), ret: ms(72)},
		{token: 20, call: ms(80), ret: ms(82)}, // token 30 was answered at 75
	}
	f = issuedFaults("l", ok, issued)
	if len(f) != 2 || !strings.Contains(f[0], "asked for at 30ms") || !strings.Contains(f[1], "asked for at 80ms") {
		t.Errorf("issued faults: %v; want the write of token 10 asked for at 30ms and that of token 20 at 80ms", f)
	}
}
