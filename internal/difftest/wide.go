package difftest

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"

	"github.com/vanitydb/vanity/proto"
)

// Wide returns n requests over nearly every data command of the protocol
// whose reply is a function of the requests before it (no clocks, no
// stamps, no random choices): strings, numbers, lists, sets and hashes,
// their read-modify-writes and compare-and-sets, set algebra, renames and
// copies, lists moved, key listings, expiry set far ahead and cleared,
// database switches, RESET and transactions. Keys come from a small pool,
// some tagged to share a partition and most not, so that commands meet
// each other's types and multi-key commands span partitions. The same
// script sent to the single process and to a cluster must get the same
// replies (compared through Canonical).
func Wide(seed uint64, n int) [][]byte {
	return wide(seed, n, false)
}

// WideOneKey is Wide without the requests the serial path does not run:
// commands of several keys and transactions. Sent after `CONSISTENCY
// SERIAL SERIAL`, every command of it is a round of consensus in a
// cluster, and its replies must still be the single process's.
func WideOneKey(seed uint64, n int) [][]byte {
	return wide(seed, n, true)
}

func wide(seed uint64, n int, oneKey bool) [][]byte {
	g := wideGen{r: rand.New(rand.NewPCG(seed, 0x3a1de)), oneKey: oneKey}
	var out [][]byte
	for len(out) < n {
		switch x := g.r.IntN(100); {
		case x < 88 || oneKey && x >= 92 && x < 97:
			out = append(out, []byte(g.data(g.key())))
		case x < 92:
			out = append(out, []byte("SWITCH_DB "+strconv.Itoa(g.r.IntN(2))))
		case x < 97:
			out = append(out, []byte("TRANSACT_BEGIN"))
			g.tx = true // a cluster runs a transaction within a partition
			for range 1 + g.r.IntN(3) {
				out = append(out, []byte(g.data(g.key())))
			}
			g.tx = false
			end := "TRANSACT_COMMIT"
			if g.r.IntN(5) == 0 {
				end = "TRANSACT_DISCARD"
			}
			out = append(out, []byte(end))
		case x < 98:
			out = append(out, []byte("RESET"))
		default:
			out = append(out, []byte("DB_SIZE"))
		}
	}
	return out
}

type wideGen struct {
	r      *rand.Rand
	tx     bool // in a transaction: every key tagged
	oneKey bool // commands of one key only
}

var (
	wideKeys   = []string{"a", "b", "c", "d", "e", "f", "{t}a", "{t}b", "{t}c"}
	wideTagged = []string{"{t}a", "{t}b", "{t}c"}
	// wideWords are values and members: words, integers, floats and text
	// that reads as a number, so that conversions meet.
	wideWords = []string{"x", "y", "z", "xy", "1", "2", "10", "-3", "0.5", "1.25", "abc"}
	wideEnds  = []string{"LEFT", "RIGHT"}
)

func enc(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }

func (g *wideGen) pick(from []string) string { return from[g.r.IntN(len(from))] }
func (g *wideGen) tagged() string            { return enc(g.pick(wideTagged)) }

func (g *wideGen) key() string {
	if g.tx {
		return g.tagged()
	}
	return enc(g.pick(wideKeys))
}
func (g *wideGen) word() string { return enc(g.pick(wideWords)) }
func (g *wideGen) small() int   { return g.r.IntN(9) - 4 }

// words encodes 1–3 words as a LIST or ARR ('[') or a SET ('{').
func (g *wideGen) words(open, close string) string {
	n := 1 + g.r.IntN(3)
	var b strings.Builder
	fmt.Fprintf(&b, "(%d)%s", n, open)
	for range n {
		b.WriteString(g.word())
	}
	return b.String() + close
}

func (g *wideGen) pairs() string {
	n := 1 + g.r.IntN(2)
	var b strings.Builder
	fmt.Fprintf(&b, "(%d){", n)
	for range n {
		b.WriteString(enc("f"+strconv.Itoa(g.r.IntN(3))) + g.word())
	}
	return b.String() + "}"
}

func (g *wideGen) keys() string {
	n := 1 + g.r.IntN(3)
	var b strings.Builder
	fmt.Fprintf(&b, "(%d)[", n)
	for range n {
		b.WriteString(g.key())
	}
	return b.String() + "]"
}

// typed returns a SET-style annotation and a value of that type.
func (g *wideGen) typed() (string, string) {
	switch g.r.IntN(4) {
	case 0:
		return "INT", strconv.Itoa(g.small())
	case 1:
		return "FLOAT", g.pick([]string{"0.5", "1.25", "-2", "3"})
	}
	return "STR", g.word()
}

func (g *wideGen) field() string { return enc("f" + strconv.Itoa(g.r.IntN(3))) }

// data returns a data command on key k (and others).
func (g *wideGen) data(k string) string {
	for {
		q := g.anyData(k)
		if !g.oneKey || !severalKeys(q) {
			return q
		}
	}
}

// severalKeys reports whether request q names a key other than its first
// (proto's Request.Keys): the serial path runs commands of one key.
func severalKeys(q string) bool {
	var req proto.Request
	if proto.ParseRequest([]byte(q), &req) != proto.ErrNone {
		return false
	}
	keys := req.Keys(nil)
	return slices.ContainsFunc(keys, func(k []byte) bool { return !bytes.Equal(k, keys[0]) })
}

func (g *wideGen) anyData(k string) string {
	r := g.r
	switch r.IntN(69) {
	case 0, 1, 2:
		t, v := g.typed()
		return "SET:" + t + " " + k + " " + v
	case 3, 4:
		return "GET " + k
	case 5:
		return "DEL " + k
	case 6:
		return "TYPE " + k
	case 7:
		return "EXISTS " + k
	case 8:
		return fmt.Sprintf("INCR_INT %s %d", k, g.small())
	case 9:
		return "INCR_FLOAT " + k + " " + g.pick([]string{"0.5", "-1.25", "2"})
	case 10:
		return "INCR_NUMBER " + k + " " + g.pick([]string{"1", "0.5", "-2"})
	case 11:
		return "STR_LEN " + k
	case 12:
		return "MANY_GET " + g.keys()
	case 13:
		return "LIST_PUSH_LEFT " + k + " " + g.words("[", "]")
	case 14:
		return "LIST_PUSH_RIGHT " + k + " " + g.words("[", "]")
	case 15:
		return fmt.Sprintf("LIST_POP_LEFT %s %d", k, r.IntN(3))
	case 16:
		return fmt.Sprintf("LIST_POP_RIGHT %s %d", k, r.IntN(3))
	case 17:
		return fmt.Sprintf("LIST_RANGE %s %d %d", k, g.small(), g.small())
	case 18:
		return fmt.Sprintf("LIST_TRIM %s %d %d", k, g.small(), g.small())
	case 19:
		return fmt.Sprintf("LIST_GET %s %d", k, g.small())
	case 20:
		return fmt.Sprintf("LIST_SET %s %d %s", k, g.small(), g.word())
	case 21:
		return fmt.Sprintf("LIST_REMOVE %s %s %d", k, g.word(), g.small())
	case 22:
		return "LIST_LEN " + k
	case 23:
		return fmt.Sprintf("LIST_POS %s %s %s %d", k, g.word(), g.pick([]string{"1", "2", "-1"}), r.IntN(3))
	case 24:
		// A cluster moves, renames and copies within a partition only.
		return "LIST_MOVE " + g.tagged() + " " + g.tagged() + " " + g.pick(wideEnds) + " " + g.pick(wideEnds)
	case 25:
		return "SET_ADD " + k + " " + g.words("{", "}")
	case 26:
		return "SET_DISCARD " + k + " " + g.words("{", "}")
	case 27:
		return "SET_ALL " + k
	case 28:
		return "SET_LEN " + k
	case 29:
		return "SET_CONTAINS " + k + " " + g.word()
	case 30:
		return "SET_MOVE " + k + " " + g.key() + " " + g.word()
	case 31:
		return "SET_REMOVE " + k + " 100" // every member: no random choice
	case 32:
		return g.pick([]string{"SET_UNION ", "SET_INTERSECT ", "SET_UNION_LEN ", "SET_INTERSECT_LEN "}) + g.keys()
	case 33:
		return g.pick([]string{"SET_UNION_INTO ", "SET_INTERSECT_INTO "}) + k + " " + g.keys()
	case 34:
		return g.pick([]string{"SET_DIFF ", "SET_DIFF_LEN "}) + k + " " + g.key()
	case 35:
		return "SET_DIFF_INTO " + k + " " + g.key() + " " + g.key()
	case 36:
		return "HASH_SET " + k + " " + g.pairs()
	case 37:
		return "HASH_UPDATE " + k + " " + g.pairs()
	case 38:
		return "HASH_GET " + k + " " + g.field()
	case 39:
		return g.pick([]string{"HASH_ALL ", "HASH_LEN ", "HASH_KEYS ", "HASH_VALUES "}) + k
	case 40:
		return g.pick([]string{"HASH_CONTAINS ", "HASH_KEY_LEN "}) + k + " " + g.field()
	case 41:
		return g.pick([]string{"HASH_MANY_GET ", "HASH_REMOVE "}) + k + " (2)[" + g.field() + g.field() + "]"
	case 42:
		return fmt.Sprintf("HASH_INCR %s %s %d", k, g.field(), g.small())
	case 43:
		return "HASH_INCR_FLOAT " + k + " " + g.field() + " 0.5"
	case 44:
		return "HASH_SET_IF_ABSENT " + k + " " + g.field() + " " + g.word()
	case 45:
		t, v := g.typed()
		_, old := g.typed()
		return "SET_IF:" + t + " " + k + " " + old + " " + v
	case 46:
		t, v := g.typed()
		return g.pick([]string{"SET_IF_ABSENT:", "SET_IF_PRESENT:", "GET_SET:", "SET_KEEP_TTL:"}) + t + " " + k + " " + v
	case 47:
		t, v := g.typed()
		return "DEL_IF:" + t + " " + k + " " + v
	case 48:
		return "GET_DEL " + k
	case 49:
		return "STR_APPEND " + k + " " + g.word()
	case 50:
		return fmt.Sprintf("STR_RANGE %s %d %d", k, g.small(), g.small())
	case 51:
		return fmt.Sprintf("STR_SET_RANGE %s %d %s", k, r.IntN(4), g.word())
	case 52:
		return g.pick([]string{"RENAME ", "RENAME_IF_ABSENT ", "COPY ", "COPY_IF_ABSENT "}) + g.tagged() + " " + g.tagged()
	case 53:
		// Far enough ahead never to pass during a run: only whether a
		// deadline is set shows (SET_KEEP_TTL keeps it, SET clears it).
		return "SET_EXPIRY " + k + " 100000"
	case 54:
		return "CLEAR_EXPIRY " + k
	case 55:
		t, v := g.typed()
		return "SET_TTL:" + t + " " + k + " " + v + " 100000000"
	case 56:
		return "KEYS " + enc(g.pick([]string{"*", "{t}*", "?", "[a-c]"}))
	case 57:
		return "SCAN (1)0 " + enc(g.pick([]string{"*", "{t}*"})) + " 1000"
	case 58:
		return "SET_SCAN " + k + " 0 (0) 1000"
	case 59:
		return "HASH_SCAN " + k + " 0 (0) 1000"
	case 60:
		return "DB_SIZE"
	case 61:
		// Deadlines on a condition. A relative one only asks whether a
		// deadline is set (two taken in different milliseconds would
		// compare by the clock); the times of 2100 compare with each
		// other and lie beyond every relative deadline of the script.
		return "SET_EXPIRY_IF " + k + " 100000 " + g.pick([]string{"ALWAYS", "NONE", "SOME"})
	case 62:
		return "SET_EXPIRY_AT_IF " + k + " " + g.pick([]string{"4102444800000", "4102444900000"}) + " " +
			g.pick([]string{"ALWAYS", "NONE", "SOME", "LATER", "EARLIER", "SOME_EARLIER"})
	case 63:
		// SET with its options; a deadline of AT is in 2100 or past.
		t, v := g.typed()
		ttl := g.pick([]string{"CLEAR 0", "KEEP 0", "AFTER 100000000", "AT 4102444800000", "AT 1000"})
		return g.pick([]string{"SET_WITH:", "GET_SET_WITH:"}) + t + " " + k + " " + v + " " +
			g.pick([]string{"ALWAYS", "ABSENT", "PRESENT"}) + " " + ttl
	case 64:
		return g.pick([]string{"LIST_PUSH_LEFT_IF_PRESENT ", "LIST_PUSH_RIGHT_IF_PRESENT "}) + k + " " + g.words("[", "]")
	case 65:
		return "INCR_INT_TEXT " + k + " " + strconv.Itoa(g.r.IntN(7)-3)
	case 66:
		return "LIST_INSERT " + k + " " + g.pick([]string{"LEFT ", "RIGHT "}) + g.word() + " " + g.word()
	case 67:
		off := strconv.Itoa(g.r.IntN(40))
		return g.pick([]string{"STR_SET_BIT " + k + " " + off + " " + strconv.Itoa(g.r.IntN(2)), "STR_GET_BIT " + k + " " + off,
			"STR_BIT_COUNT " + k + " " + strconv.Itoa(g.small()) + " " + strconv.Itoa(g.small()) + g.pick([]string{" BYTE", " BIT"}),
			"STR_BIT_POS " + k + " " + strconv.Itoa(g.r.IntN(2)) + " " + strconv.Itoa(g.small()) + " " + strconv.Itoa(g.small()) + g.pick([]string{" BYTE", " BIT"}),
			"STR_BIT_POS_FROM " + k + " " + strconv.Itoa(g.r.IntN(2)) + " " + strconv.Itoa(g.small())})
	case 68:
		tagged := "(2)[" + g.tagged() + g.tagged() + "]" // several keys share a partition
		return g.pick([]string{"HLL_ADD " + k + " " + g.words("[", "]"), "HLL_COUNT (1)[" + k + "]", "HLL_COUNT " + tagged,
			"HLL_MERGE_INTO " + g.tagged() + " " + tagged})
	}
	return "GET"
}
