package node

import (
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
)

// TestOneKey: the serial path runs a command whose requests all name one
// key, one request or several (EXPIRE's EXISTS and SET_EXPIRY, a
// transaction of one key), but not several keys, a request naming no key,
// a transaction's check, or a request serial of its own among others.
func TestOneKey(t *testing.T) {
	req := func(line string) *proto.Request {
		r := &proto.Request{}
		if err := proto.ParseRequest([]byte(line), r); err != proto.ErrNone {
			t.Fatalf("%s: %v", line, err)
		}
		return r
	}
	cases := []struct {
		reqs []string
		key  string // "": not one key
	}{
		{[]string{"GET (1)k"}, "k"},
		{[]string{"EXISTS (1)k", "SET_EXPIRY (1)k 10"}, "k"},
		{[]string{"INCR_INT (1)k 1", "GET (1)k", "DEL (1)k"}, "k"},
		{[]string{"COPY (1)k (1)k"}, "k"},
		{[]string{"EXISTS (1)k", "SET_EXPIRY (1)j 10"}, ""},
		{[]string{"COPY (1)k (1)j"}, ""},
		{[]string{"RESET"}, ""},
		{[]string{"GET (1)k", "RESET"}, ""},
		{[]string{"KEY_VERSION_IS (1)k 3", "SET:STR (1)k (1)v"}, ""},
		{[]string{"LOCK_ACQUIRE (1)k (1)o 100"}, "k"},
		{[]string{"LOCK_ACQUIRE (1)k (1)o 100", "GET (1)k"}, ""},
		{[]string{"FENCED (1)L 3 SET:STR (1)k (1)v"}, "k"},
		{[]string{"GET (1)k", "FENCED (1)L 3 SET:STR (1)k (1)v"}, ""},
		{[]string{"ONCE (2)id INCR_INT (1)k 1", "GET (1)k"}, ""},
	}
	for _, c := range cases {
		cmd := &rpc.Cmd{}
		for _, l := range c.reqs {
			cmd.Reqs = append(cmd.Reqs, req(l))
		}
		key, ok := oneKey(cmd)
		if got := map[bool]string{true: string(key)}[ok]; got != c.key || ok != (c.key != "") {
			t.Errorf("oneKey(%q) = %q, %v; want %q", c.reqs, key, ok, c.key)
		}
	}
}

// TestPackReplies: the replies of a command of several requests survive
// packing, empty ones included, and what does not hold exactly n replies
// does not unpack.
func TestPackReplies(t *testing.T) {
	replies := [][]byte{[]byte("OK:BOOL true"), {}, []byte("OK:FLOAT 9.5"), make([]byte, 300)}
	packed := packReplies(nil, replies)
	got, ok := unpackReplies(packed, len(replies))
	if !ok || fmt.Sprint(got) != fmt.Sprint(replies) {
		t.Fatalf("unpacked %q, %v; want %q", got, ok, replies)
	}
	for _, bad := range [][]byte{packed[:len(packed)-1], append(packed, 0), packed[1:]} {
		if got, ok := unpackReplies(bad, len(replies)); ok {
			t.Errorf("%x unpacked to %q", bad, got)
		}
	}
	if _, ok := unpackReplies(packed, len(replies)-1); ok {
		t.Error("four replies unpacked as three")
	}
}
