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
	for _, w := range []string{
		"LIST_PUSH_RIGHT (1)l (2)[(3)one(3)two]",
		"LIST_PUSH_LEFT (1)l (1)[(4)zero]",
		"LIST_SET (1)l 2 (5)three",
		"HASH_UPDATE (1)h (1){(5)field(5)value}",
		"SET_ADD (1)s (1){(6)member}",
		"SET:STR (1)k (6)string",
	} {
		run(w)
	}
	// Values of every length up, so that the borrowed storage is written
	// over where the first writes' values were before it grows.
	for i := range 200 {
		n := i%20 + 1
		run(fmt.Sprintf("LIST_PUSH_RIGHT (1)x (1)[(%d)%s]", n, strings.Repeat("#", n)))
	}
	for _, tc := range []struct{ read, want string }{
		{"LIST_RANGE (1)l 0 -1", "OK:LIST (3)[(4)zero(3)one(5)three]"},
		{"HASH_GET (1)h (5)field", "OK:STR (5)value"},
		{"GET (1)s", "OK:SET (1){(6)member}"},
		{"GET (1)k", "OK:STR (6)string"},
		{"LIST_RANGE (1)x 0 1", "OK:LIST (2)[(1)#(2)##]"},
		{"LIST_LEN (1)x", "OK:INT 200"},
	} {
		if got := run(tc.read); got != tc.want {
			t.Errorf("%s: %q, want %q", tc.read, got, tc.want)
		}
	}
}
