package storage

import (
	"fmt"
	"runtime"
	"strings"
	"testing"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
)

// TestStringRegisterTakesTheWritersCell: a SET's bytes are copied once, into
// the cell its delta carries, and the shard keeps that cell.
func TestStringRegisterTakesTheWritersCell(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	if got := h.do(setStr("k", "hello")); got != "OK" {
		t.Fatalf("SET: %q", got)
	}
	d := h.deltas[len(h.deltas)-1]
	e := h.shards[0].entryOf(0, "k")
	got, ok := e.val.(strVal)
	if !ok {
		t.Fatalf("k holds %T, want strVal", e.val)
	}
	if got.c != d.Val.cell || unsafe.StringData(got.str()) != unsafe.StringData(d.Val.Str) {
		t.Fatalf("the shard copied the SET's value instead of taking its cell")
	}
}

// TestStringRegisterCopiesAChangedDelta: a delta whose string or stamp no
// longer matches its cell (a caller edited it) is copied, not trusted.
func TestStringRegisterCopiesAChangedDelta(t *testing.T) {
	h := newHarness(t, 1, false, 1)
	h.do(setStr("k", "hello"))
	d := h.deltas[len(h.deltas)-1]
	for _, edit := range []func(d *Delta){
		func(d *Delta) { d.Val.Str = "other" },
		func(d *Delta) { d.Val.Str = d.Val.Str[:3] },
		func(d *Delta) { d.Val.Reg.Time++; d.Val.TS, d.Reset = d.Val.Reg, d.Val.Reg },
	} {
		e := d
		edit(&e)
		s := NewShard(false)
		s.Apply(&e)
		v := s.entryOf(0, "k").val.(strVal)
		if v.str() != e.Val.Str || v.stamp() != e.Val.Reg {
			t.Fatalf("stored %q at %v, want %q at %v", v.str(), v.stamp(), e.Val.Str, e.Val.Reg)
		}
		if v.c == d.Val.cell {
			t.Fatalf("the shard took a cell that does not hold %q at %v", e.Val.Str, e.Val.Reg)
		}
	}
}

// TestStringCellsSurviveCollection stores strings of every small length,
// the empty one included (its bytes would start where the next object
// does), collects, and reads them back.
func TestStringCellsSurviveCollection(t *testing.T) {
	h := newHarness(t, 4, false, 1)
	for i := 0; i < 2000; i++ {
		h.do(setStr(fmt.Sprint("k", i), strings.Repeat("v", i%40)))
		if i%3 == 0 {
			h.do(setStr(fmt.Sprint("k", i), strings.Repeat("w", i%7)))
		}
	}
	h.deltas = nil
	runtime.GC()
	runtime.GC()
	for i := 0; i < 2000; i++ {
		want := strings.Repeat("v", i%40)
		if i%3 == 0 {
			want = strings.Repeat("w", i%7)
		}
		key := fmt.Sprint("k", i)
		got := h.do(fmt.Sprintf("GET (%d)%s", len(key), key))
		if want := string(proto.AppendStr([]byte("OK"), want)); got != want {
			t.Fatalf("GET k%d = %q, want %q", i, got, want)
		}
	}
}

func setStr(key, val string) string {
	return fmt.Sprintf("SET:STR (%d)%s (%d)%s", len(key), key, len(val), val)
}
