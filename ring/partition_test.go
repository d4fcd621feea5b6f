package ring

import "testing"

func TestTag(t *testing.T) {
	tests := map[string]string{
		"user:1":           "user:1",
		"{user:1}.name":    "user:1",
		"a{b}c{d}":         "b",
		"{}x":              "{}x",
		"x{":               "x{",
		"x{}{y}":           "x{}{y}",
		"{a}":              "a",
		"":                 "",
		"{{nested}}":       "{nested",
		"no}open{close":    "no}open{close",
		"x}{tag}":          "tag",
		"\x00{\xff}binary": "\xff",
	}
	for in, want := range tests {
		if got := string(Tag([]byte(in))); got != want {
			t.Errorf("Tag(%q) = %q; want %q", in, got, want)
		}
	}
}

func TestTaggedKeysSharePartition(t *testing.T) {
	for _, n := range []int{1, 7, DefaultPartitions} {
		a := PartitionOf([]byte("{cart:42}:items"), n)
		b := PartitionOf([]byte("{cart:42}:total"), n)
		if a != b || a < 0 || a >= n {
			t.Errorf("n=%d: partitions %d and %d", n, a, b)
		}
	}
}

func TestPartitionSpread(t *testing.T) {
	const n, keys = 64, 64000
	var counts [n]int
	for i := 0; i < keys; i++ {
		counts[PartitionOf([]byte("key:"+itoa(i)), n)]++
	}
	for p, c := range counts {
		if c < keys/n/2 || c > keys/n*2 {
			t.Errorf("partition %d holds %d of %d keys", p, c, keys)
		}
	}
}

func itoa(i int) string {
	if i == 0 {
		return "0"
	}
	var b []byte
	for ; i > 0; i /= 10 {
		b = append([]byte{byte('0' + i%10)}, b...)
	}
	return string(b)
}

func BenchmarkPartitionOf(b *testing.B) {
	key := []byte("key:000012345")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		_ = PartitionOf(key, DefaultPartitions)
	}
}

func TestPartitionOfString(t *testing.T) {
	for _, k := range []string{"", "a", "user:1", "{x}y", "a{b}c", "{}", "x{"} {
		if PartitionOfString(k, 1024) != PartitionOf([]byte(k), 1024) {
			t.Errorf("%q placed differently as a string", k)
		}
	}
}
