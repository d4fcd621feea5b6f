package proto

import "testing"

// TestEnumWords: a whole word in any case reads as the enum value the
// parser reads for it; a prefix, a longer word or another word does not.
func TestEnumWords(t *testing.T) {
	if e, ok := EndWord([]byte("right")); !ok || e != EndRight {
		t.Errorf("right: %v %v", e, ok)
	}
	if u, ok := BitUnitWord([]byte("Bit")); !ok || u != UnitBit {
		t.Errorf("Bit: %v %v", u, ok)
	}
	if o, ok := BitOpWord([]byte("xor")); !ok || o != BitXor {
		t.Errorf("xor: %v %v", o, ok)
	}
	for _, w := range []string{"", "LEF", "LEFTS", "BY", "BITS", "AN", "NAND"} {
		_, e := EndWord([]byte(w))
		_, u := BitUnitWord([]byte(w))
		_, o := BitOpWord([]byte(w))
		if e || u || o {
			t.Errorf("%q read as a word: %v %v %v", w, e, u, o)
		}
	}
}
