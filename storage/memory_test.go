package storage

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
)

// memory reads key's estimate through KEY_MEMORY (-1: NULL).
func (h *harness) memory(key string) int64 {
	h.t.Helper()
	if n, ok := h.keyInt("KEY_MEMORY", key); ok {
		return n
	}
	return -1
}

// TestKeyMemory: the estimate follows what a key holds: a value's bytes
// one for one, a member or an element more than its bytes, a deadline
// more; a missing key has none.
func TestKeyMemory(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	if got := h.memory("none"); got != -1 {
		t.Errorf("KEY_MEMORY of a missing key: %d, want NULL", got)
	}
	h.do("SET:STR (1)a (10)0123456789")
	small := h.memory("a")
	big := strings.Repeat("x", 1000)
	h.do(fmt.Sprintf("SET:STR (1)a (%d)%s", len(big), big))
	if got := h.memory("a"); got-small != 990 {
		t.Errorf("a string 990 bytes longer: estimate %d then %d, want 990 more", small, got)
	}
	h.do(fmt.Sprintf("SET_TTL:STR (1)a (%d)%s 60000", len(big), big))
	if got := h.memory("a"); got <= small+990 {
		t.Errorf("a deadline added nothing: %d", got)
	}
	h.do("SET:INT (1)n 5")
	if got := h.memory("n"); got < 32 || got > 512 {
		t.Errorf("an INT: %d bytes, want a few dozen", got)
	}
	for _, c := range []struct{ key, add string }{
		{"s", "SET_ADD (1)s (1){(%d)%s}"},
		{"l", "LIST_PUSH_RIGHT (1)l (1)[(%d)%s]"},
	} {
		h.do(fmt.Sprintf(c.add, 1, "m"))
		one := h.memory(c.key)
		for i := range 100 {
			m := fmt.Sprintf("member-%04d", i)
			h.do(fmt.Sprintf(c.add, len(m), m))
		}
		per := (h.memory(c.key) - one) / 100
		if per < 11 || per > 200 {
			t.Errorf("%s: %d bytes a member of 11 bytes, want more than 11 and not ten times more", c.key, per)
		}
	}
	h.do("HASH_SET (1)h (2){(1)f(5)value(1)g(5)value}")
	two := h.memory("h")
	h.do("HASH_REMOVE (1)h (1)[(1)g]")
	if got := h.memory("h"); got >= two {
		t.Errorf("a hash with one field fewer: %d, then %d", two, got)
	}
}

// TestKeyMemoryEstimatesTheHeap: the estimates of many keys of each type,
// summed, against what the Go heap grew by holding them. The estimate
// leaves out the allocator's rounding, so it is less; it must stay within
// a factor of two.
func TestKeyMemoryEstimatesTheHeap(t *testing.T) {
	if testing.Short() {
		t.Skip("builds a few MiB of keys")
	}
	for _, kind := range []string{"string", "int", "set", "hash", "list"} {
		t.Run(kind, func(t *testing.T) {
			h := newHarness(t, 1, false, 1)
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			const keys = 2000
			for i := range keys {
				k := fmt.Sprintf("key-%06d", i)
				switch kind {
				case "string":
					h.do(fmt.Sprintf("SET:STR (%d)%s (100)%s", len(k), k, strings.Repeat("v", 100)))
				case "int":
					h.do(fmt.Sprintf("SET:INT (%d)%s %d", len(k), k, i))
				case "set", "hash", "list":
					var b strings.Builder
					for j := range 20 {
						m := fmt.Sprintf("member-%04d", j)
						switch kind {
						case "hash":
							fmt.Fprintf(&b, "(%d)%s(5)value", len(m), m)
						default:
							fmt.Fprintf(&b, "(%d)%s", len(m), m)
						}
					}
					cmd := map[string]string{"set": "SET_ADD (%d)%s (20){%s}", "hash": "HASH_SET (%d)%s (20){%s}",
						"list": "LIST_PUSH_RIGHT (%d)%s (20)[%s]"}[kind]
					h.do(fmt.Sprintf(cmd, len(k), k, b.String()))
				}
				h.deltas = h.deltas[:0]
			}
			h.deltas = nil
			runtime.GC()
			runtime.ReadMemStats(&after)
			var sum int64
			for i := range keys {
				sum += h.memory(fmt.Sprintf("key-%06d", i))
			}
			grew := int64(after.HeapAlloc) - int64(before.HeapAlloc)
			ratio := float64(sum) / float64(grew)
			t.Logf("%s: estimates %d bytes, the heap grew %d (%.2f)", kind, sum, grew, ratio)
			if ratio < 0.5 || ratio > 1.2 {
				t.Errorf("%s: the estimates sum to %.2f of the heap's growth, want 0.5 to 1.2", kind, ratio)
			}
			runtime.KeepAlive(h)
		})
	}
}
