package storage

import (
	"fmt"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// keyInt runs cmd, a command of one key that answers an INT or NULL, on
// key: the INT, or false for NULL.
func (h *harness) keyInt(cmd, key string) (int64, bool) {
	h.t.Helper()
	out := h.do(fmt.Sprintf("%s (%d)%s", cmd, len(key), key))
	if out == "NULL" {
		return 0, false
	}
	r, err := proto.ParseReply([]byte(out))
	if err != nil || r.Status != proto.StatusOK || r.Value.Type != proto.TypeInt {
		h.t.Fatalf("%s %s: %q (%v)", cmd, key, out, err)
	}
	return r.Value.Int, true
}

// version reads key's version through KEY_VERSION.
func (h *harness) version(key string) int64 {
	h.t.Helper()
	v, ok := h.keyInt("KEY_VERSION", key)
	if !ok {
		h.t.Fatalf("KEY_VERSION %s: NULL", key)
	}
	return v
}

// TestKeyVersionChangesWithEveryWrite: every write to a key, its deadline
// passing and a RESET give it a new version; reads, and writes to other
// keys, do not. A shard that keeps no tombstones (the single process)
// keeps nothing of a key that is gone, so a key emptied has the version of
// one never written: an equal version means an equal state.
func TestKeyVersionChangesWithEveryWrite(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("tombstones=%v", keep), func(t *testing.T) { testKeyVersion(t, keep) })
	}
}

func testKeyVersion(t *testing.T, keep bool) {
	h := newHarness(t, 4, keep, 1)
	seen := map[int64]string{}
	last := h.version("k")
	absent := last
	seen[last] = "never written"
	same := func(what string) {
		t.Helper()
		if v := h.version("k"); v != last {
			t.Errorf("after %s: version %d, want it unchanged (%d)", what, v, last)
		}
	}
	changed := func(what string) {
		t.Helper()
		v := h.version("k")
		if !keep && v == absent && h.do("EXISTS (1)k") == "NULL" {
			last = v
			return
		}
		if before, ok := seen[v]; ok {
			t.Errorf("after %s: version %d, the one it had after %s", what, v, before)
		}
		seen[v], last = what, v
	}
	writes := []string{
		"SET:STR (1)k (1)a",
		"SET:STR (1)k (1)a", // the same value, stamped anew
		"STR_APPEND (1)k (1)b",
		"SET_EXPIRY (1)k 10",
		"CLEAR_EXPIRY (1)k",
		"DEL (1)k",
		"SET:INT (1)k 1",
		"INCR_INT (1)k 2",
		"DEL (1)k",
		"LIST_PUSH_LEFT (1)k (2)[(1)x(1)z]",
		"LIST_SET (1)k 0 (1)y",
		"LIST_POP_LEFT (1)k 1",
		"DEL (1)k",
		"SET_ADD (1)k (1){(1)m}",
		"SET_DISCARD (1)k (1){(1)m}",
		"HASH_SET (1)k (1){(1)f(1)v}",
		"HASH_UPDATE (1)k (1){(1)f(1)w}",
		"HASH_REMOVE (1)k (1)[(1)f]",
	}
	for _, w := range writes {
		h.do(w)
		changed(w)
		for _, r := range []string{"GET (1)k", "EXISTS (1)k", "TYPE (1)k", "GET_EXPIRY (1)k", "HASH_ALL (1)k"} {
			h.do(r)
			same(r + " after " + w)
		}
		for _, other := range []string{"SET:STR (1)o (1)v", "SET_ADD (2)o2 (1){(1)m}"} {
			h.do(other)
			same(other + " after " + w)
		}
	}
	h.do("SET_TTL:STR (1)k (1)v 1000")
	changed("SET_TTL")
	h.check("+999")
	same("999 ms of a 1,000 ms deadline")
	h.check("+2")
	changed("the deadline passing")
	h.do("SET:STR (1)k (1)v")
	changed("SET after the expiry")
	never := h.version("never")
	h.do("RESET")
	changed("RESET")
	if h.version("never") == never {
		t.Error("RESET left the version of a key never written as it was")
	}
	h.do("SWITCH_DB 1")
	h.do("SET:STR (1)k (5)other")
	h.do("SWITCH_DB 0")
	same("a write to k in another database")
}

// TestKeyVersionIsReplicaIndependent: a copy that applied the same deltas
// gives the same versions, whatever its wall clock, so a version read
// through one replica can be checked on another.
func TestKeyVersionIsReplicaIndependent(t *testing.T) {
	h := newHarness(t, 4, false, 1)
	for _, w := range []string{
		"SET:STR (1)a (1)v", "SET_TTL:STR (1)b (1)v 5000", "INCR_INT (1)c 3", "SET_ADD (1)d (2){(1)x(1)y}",
		"HASH_SET (1)e (1){(1)f(1)v}", "LIST_PUSH_RIGHT (1)f (2)[(1)x(1)y]", "DEL (1)a", "RESET", "SET:STR (1)g (1)v",
	} {
		h.do(w)
	}
	other := newHarness(t, 4, false, 2)
	other.wall = h.wall + 1 // another clock, before any deadline
	for i := range h.deltas {
		d := h.deltas[i]
		if d.DBWide {
			for _, sh := range other.shards {
				sh.Apply(&d)
			}
			continue
		}
		other.locate([]byte(d.Key)).Apply(&d)
	}
	for _, k := range strings.Fields("a b c d e f g never") {
		if v, w := h.version(k), other.version(k); v != w {
			t.Errorf("%s: version %d here, %d on a copy with the same deltas", k, v, w)
		}
	}
}

// TestKeyVersionIs: the check holds for the current version only, and
// ChecksHold holds when every check among a transaction's requests does.
func TestKeyVersionIs(t *testing.T) {
	h := newHarness(t, 4, false, 1)
	h.do("SET:STR (1)k (1)v")
	v := h.version("k")
	is := func(key string, version int64) *proto.Request {
		var r proto.Request
		if err := proto.ParseRequest([]byte(fmt.Sprintf("KEY_VERSION_IS (%d)%s %d", len(key), key, version)), &r); err != proto.ErrNone {
			t.Fatalf("parse KEY_VERSION_IS: %v", err)
		}
		return &r
	}
	set := &proto.Request{}
	if err := proto.ParseRequest([]byte("SET:STR (1)o (1)v"), set); err != proto.ErrNone {
		t.Fatal(err)
	}
	holds := func(reqs ...*proto.Request) bool {
		c := &Ctx{T: h.clock.Now(), DB: h.db, Locate: h.locate}
		return c.ChecksHold(reqs)
	}
	if got := string(h.exec(is("k", v))); got != "OK:BOOL true" {
		t.Errorf("KEY_VERSION_IS k <current>: %s", got)
	}
	if !holds(set, is("k", v)) || !holds(set) {
		t.Error("ChecksHold: false with every check holding")
	}
	none := h.version("none")
	h.do("SET:STR (1)k (1)w")
	if got := string(h.exec(is("k", v))); got != "OK:BOOL false" {
		t.Errorf("KEY_VERSION_IS k <before a write>: %s", got)
	}
	if holds(is("none", none), set, is("k", v)) {
		t.Error("ChecksHold: true with the check of k failing")
	}
	if !holds(is("none", none), set, is("k", h.version("k"))) {
		t.Error("ChecksHold: false with both checks current")
	}
}
