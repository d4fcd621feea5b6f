package hll

import (
	"strconv"
	"testing"
)

// BenchmarkAddToDense: one element added to a dense sketch's string, as
// HLL_ADD does it (the string in, the string out when it changed).
func BenchmarkAddToDense(b *testing.B) {
	s := string(sketchOf(numbered("x", 50000)...).Encode())
	el := make([][]byte, 1024)
	for i := range el {
		el[i] = []byte("new" + strconv.Itoa(i))
	}
	b.ResetTimer()
	for i := range b.N {
		if _, _, ok := AddTo(s, true, el[i%len(el):i%len(el)+1]); !ok {
			b.Fatal("not a sketch")
		}
	}
}
