package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// TestStoredValuesOutliveBorrowedStorage runs writes of every kind on one
// Ctx, resetting its borrowed storage before each command as a node does,
// then many more commands that fill that storage with other bytes: what
// the first writes left reads back unchanged. A value the store kept
// without copying it out of the borrowed storage (a pushed list element
// arrives there: Borrowed.str) would read as a later command's bytes.
func TestStoredValuesOutliveBorrowedStorage(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	c := &Ctx{Locate: h.locate}
	run := func(request string) string {
		t.Helper()
		var req proto.Request
		if err := proto.ParseRequest([]byte(request), &req); err != proto.ErrNone {
			t.Fatalf("parse %q: %v", request, err)
		}
		c.Borrowed.Reset()
		c.Deltas = c.Deltas[:0]
		h.wall++
		c.T = h.clock.Now()
		return string(Exec(c, &req, nil))
	}
	for _, w := range []struct{ write, reply string }{
		{"LIST_PUSH_RIGHT (1)l (2)[(3)one(3)two]", "OK:INT 2"},
		{"LIST_PUSH_LEFT (1)l (1)[(4)zero]", "OK:INT 3"},
		{"LIST_SET (1)l 2 (5)three", "OK"},
		{"HASH_UPDATE (1)h (1){(5)field(5)value}", "OK:INT 1"},
		{"SET_ADD (1)s (1){(6)member}", "OK:INT 1"},
		{"SET:STR (1)k (6)string", "OK"},
		// A field and a member written again beside new ones: the
		// value kept replaces the field's, the names are kept once.
		{"HASH_UPDATE (1)h (2){(5)field(6)value2(6)field2(5)other}", "OK:INT 1"},
		{"SET_ADD (1)s (2){(6)member(7)member2}", "OK:INT 1"},
		{"HASH_SET (1)g (1){(4)only(3)one}", "OK"},
		// Keys: a new counter's, the same counter changed in place, a
		// deadline's (the shard's deadline maps keep the key too).
		{"INCR_INT (1)n 5", "OK:INT 5"},
		{"INCR_INT (1)n 2", "OK:INT 7"},
		{"SET_EXPIRY_AT (1)k 9000000000000", "OK"},
	} {
		if got := run(w.write); got != w.reply {
			t.Errorf("%s: %q, want %q", w.write, got, w.reply)
		}
	}
	// Values of every length up, so that the borrowed storage is written
	// over where the first writes' values were before it grows.
	for i := range 200 {
		n := i%20 + 1
		run(fmt.Sprintf("LIST_PUSH_RIGHT (1)x (1)[(%d)%s]", n, strings.Repeat("#", n)))
	}
	for _, tc := range []struct{ read, want string }{
		{"LIST_RANGE (1)l 0 -1", "OK:LIST (3)[(4)zero(3)one(5)three]"},
		{"HASH_GET (1)h (5)field", "OK:STR (6)value2"},
		{"HASH_GET (1)h (6)field2", "OK:STR (5)other"},
		{"HASH_LEN (1)h", "OK:INT 2"},
		{"GET (1)g", "OK:HASH (1){(4)only(3)one}"},
		{"SET_LEN (1)s", "OK:INT 2"},
		{"SET_CONTAINS (1)s (6)member", "OK:BOOL true"},
		{"SET_CONTAINS (1)s (7)member2", "OK:BOOL true"},
		{"GET (1)k", "OK:STR (6)string"},
		{"GET (1)n", "OK:INT 7"},
		{"GET_EXPIRY_AT (1)k", "OK:INT 9000000000000"},
		{"LIST_RANGE (1)x 0 1", "OK:LIST (2)[(1)#(2)##]"},
		{"LIST_LEN (1)x", "OK:INT 200"},
	} {
		if got := run(tc.read); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.read, got, tc.want)
		}
	}
	if at, ok := h.shards[0].volatile[0]["k"]; !ok || at != 9000000000000 {
		t.Errorf("the sweep's deadlines hold %v, want k's", h.shards[0].volatile[0])
	}
}

// TestSetOfAKeyThereCopiesNoKey: SET of a key the shard holds allocates
// its value's cell alone; it copied the key too, each time, for a
// deadline's bookkeeping that kept nothing (redis-benchmark's SET and
// MSET overwrite keys: 1.04-1.10x the requests a second without it).
func TestSetOfAKeyThereCopiesNoKey(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	c := &Ctx{Locate: h.locate}
	var req proto.Request
	if err := proto.ParseRequest([]byte("SET:STR (8)key:0001 (5)value"), &req); err != proto.ErrNone {
		t.Fatal(err)
	}
	out := make([]byte, 0, 64)
	set := func() {
		c.Borrowed.Reset()
		c.Deltas = c.Deltas[:0]
		h.wall++
		c.T = h.clock.Now()
		out = Exec(c, &req, out[:0])
	}
	set()
	if a := testing.AllocsPerRun(100, set); a != 1 {
		t.Errorf("SET of a key there allocates %v times, want 1 (its value's cell)", a)
	}
}
