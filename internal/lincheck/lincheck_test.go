package lincheck

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRegisterHistories: a history with overlapping writes, reads and a
// compare-and-set that some order explains passes; a read of a value
// overwritten before the read began fails, and leaves a visualization.
func TestRegisterHistories(t *testing.T) {
	var ok History
	ok.Add(0, RegisterOp{Kind: Write, New: "a"}, true, 0, 10)
	ok.Add(1, RegisterOp{Kind: Read}, "a", 5, 15) // overlaps the write: may see it
	ok.Add(2, RegisterOp{Kind: CompareAndSet, Old: "a", New: "b"}, true, 20, 30)
	ok.Add(0, RegisterOp{Kind: CompareAndSet, Old: "a", New: "c"}, false, 25, 35)
	ok.Add(1, RegisterOp{Kind: Read}, "b", 40, 50)
	ok.Add(2, RegisterOp{Kind: Swap, New: "d"}, "b", 60, 70)
	ok.Add(0, RegisterOp{Kind: Swap}, "d", 80, 90) // deletes
	ok.Add(1, RegisterOp{Kind: Read}, "", 100, 110)
	if err := ok.Check(Register, time.Second); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	t.Setenv("VANITY_LINCHECK_DIR", dir)
	var bad History
	bad.Add(0, RegisterOp{Kind: Write, New: "a"}, true, 0, 10)
	bad.Add(0, RegisterOp{Kind: Write, New: "b"}, true, 20, 30)
	bad.Add(1, RegisterOp{Kind: Read}, "a", 40, 50) // stale: b was written before it began
	if err := bad.Check(Register, time.Second); !errors.Is(err, ErrNotLinearizable) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("a stale read: %v", err)
	}
	var swap History
	swap.Add(0, RegisterOp{Kind: Write, New: "a"}, true, 0, 10)
	swap.Add(1, RegisterOp{Kind: Swap, New: "b"}, "", 20, 30) // it replaced a, not nothing
	if err := swap.Check(Register, time.Second); !errors.Is(err, ErrNotLinearizable) {
		t.Fatalf("a swap that saw a value no order gives: %v", err)
	}
	if files, _ := filepath.Glob(filepath.Join(dir, "lincheck-*.html")); len(files) != 2 {
		t.Errorf("visualizations kept: %v", files)
	} else if b, _ := os.ReadFile(files[0]); len(b) == 0 {
		t.Error("an empty visualization")
	}
}

// TestRegisterUnknownOutcomes: an operation whose reply was lost may have
// taken effect or not, and a history is judged by what came after it.
func TestRegisterUnknownOutcomes(t *testing.T) {
	const end = 1000
	for _, c := range []struct {
		name  string
		after string // what a read after the lost operation saw
		ok    bool
	}{
		{"took effect", "b", true},
		{"did not", "a", true},
		{"something else", "c", false},
	} {
		for _, lost := range []RegisterOp{{Kind: Write, New: "b"}, {Kind: CompareAndSet, Old: "a", New: "b"}} {
			var h History
			h.Add(0, RegisterOp{Kind: Write, New: "a"}, true, 0, 10)
			h.Add(1, lost, Unknown, 20, end)
			h.Add(0, RegisterOp{Kind: Read}, c.after, 30, 40)
			h.Add(0, RegisterOp{Kind: Read}, c.after, 50, 60)
			t.Setenv("VANITY_LINCHECK_DIR", t.TempDir())
			if err := h.Check(Register, time.Second); (err == nil) != c.ok {
				t.Errorf("%s, lost %v: %v", c.name, lost, err)
			}
		}
	}
	var h History // a lost compare-and-set whose condition failed changes nothing
	h.Add(0, RegisterOp{Kind: Write, New: "a"}, true, 0, 10)
	h.Add(1, RegisterOp{Kind: CompareAndSet, Old: "x", New: "b"}, Unknown, 20, end)
	h.Add(0, RegisterOp{Kind: Read}, "b", 30, 40)
	t.Setenv("VANITY_LINCHECK_DIR", t.TempDir())
	if err := h.Check(Register, time.Second); err == nil {
		t.Error("a compare-and-set that could not hold took effect")
	}
}

// TestFencedWrites: a fenced write runs only at or above the highest
// token of a fenced write that ran (writes without a token neither check
// nor move it); a lost one may have run, if its token let it.
func TestFencedWrites(t *testing.T) {
	fenced := func(token int64, val string) RegisterOp { return RegisterOp{Kind: FencedWrite, New: val, Token: token} }
	for _, c := range []struct {
		name string
		ops  func(h *History)
		ok   bool
	}{
		{"tokens in order", func(h *History) {
			h.Add(0, fenced(5, "a"), true, 0, 10)
			h.Add(1, fenced(5, "b"), true, 20, 30)
			h.Add(0, fenced(4, "c"), false, 40, 50)
			h.Add(1, RegisterOp{Kind: Write, New: "d"}, true, 60, 70)
			h.Add(0, fenced(4, "e"), false, 80, 90) // an unfenced write left the fence
			h.Add(1, RegisterOp{Kind: Read}, "d", 100, 110)
		}, true},
		{"an older token ran after a newer one", func(h *History) {
			h.Add(0, fenced(7, "a"), true, 0, 10)
			h.Add(1, fenced(6, "b"), true, 20, 30)
		}, false},
		{"a refusal with nothing newer", func(h *History) {
			h.Add(0, fenced(7, "a"), true, 0, 10)
			h.Add(1, fenced(8, "b"), false, 20, 30)
		}, false},
		{"concurrent: either order", func(h *History) {
			h.Add(0, fenced(7, "a"), true, 0, 30)
			h.Add(1, fenced(6, "b"), true, 10, 40) // ran first
			h.Add(0, RegisterOp{Kind: Read}, "a", 50, 60)
		}, true},
		{"a lost newer token ran", func(h *History) {
			h.Add(0, fenced(9, "a"), Unknown, 0, 1000)
			h.Add(1, fenced(8, "b"), false, 20, 30)
			h.Add(1, RegisterOp{Kind: Read}, "a", 40, 50)
		}, true},
		{"a lost older token ran over a newer one", func(h *History) {
			h.Add(0, fenced(9, "a"), true, 0, 10)
			h.Add(1, fenced(8, "b"), Unknown, 20, 1000)
			h.Add(0, RegisterOp{Kind: Read}, "b", 40, 50)
		}, false},
	} {
		var h History
		c.ops(&h)
		t.Setenv("VANITY_LINCHECK_DIR", t.TempDir())
		if err := h.Check(Register, time.Second); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

// TestLogHistories: appends explain their positions in one order that
// respects real time, or fail.
func TestLogHistories(t *testing.T) {
	var ok History
	ok.Add(0, Append{"x"}, "x", 0, 10)
	ok.Add(1, Append{"y"}, "xy", 5, 20)
	ok.Add(2, Append{"z"}, "xyz", 15, 25)
	if err := ok.Check(Log, time.Second); err != nil {
		t.Fatal(err)
	}

	t.Setenv("VANITY_LINCHECK_DIR", t.TempDir())
	var bad History
	bad.Add(0, Append{"x"}, "x", 0, 10)
	bad.Add(1, Append{"y"}, "y", 20, 30) // lost the x appended before it began
	if err := bad.Check(Log, time.Second); !errors.Is(err, ErrNotLinearizable) {
		t.Fatalf("an append that lost an earlier one: %v", err)
	}
}
