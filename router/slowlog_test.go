package router

import (
	"bytes"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestSlowLogKeepsTheNewest: the log keeps its last MaxLen entries,
// newest first, with ids that keep growing across a reset.
func TestSlowLogKeepsTheNewest(t *testing.T) {
	l := newSlowLog(SlowLogConfig{SlowerThan: time.Millisecond, MaxLen: 3})
	at := time.Unix(1_800_000_000, 0)
	for i := range 5 {
		l.add(at.Add(time.Duration(i)*time.Second), time.Duration(i+1)*time.Millisecond,
			[][]byte{[]byte("GET"), []byte("k" + strconv.Itoa(i))}, "127.0.0.1:1", "n")
	}
	if n := l.len(); n != 3 {
		t.Fatalf("len %d, want 3", n)
	}
	ids := func(es []SlowEntry) (out []int64) {
		for _, e := range es {
			out = append(out, e.ID)
		}
		return out
	}
	if got := ids(l.latest(-1)); !slices.Equal(got, []int64{4, 3, 2}) {
		t.Errorf("every entry: ids %v, want [4 3 2]", got)
	}
	if got := ids(l.latest(2)); !slices.Equal(got, []int64{4, 3}) {
		t.Errorf("latest 2: ids %v, want [4 3]", got)
	}
	if got := ids(l.latest(10)); !slices.Equal(got, []int64{4, 3, 2}) {
		t.Errorf("latest 10 of 3: ids %v", got)
	}
	e := l.latest(1)[0]
	if string(e.Args[1]) != "k4" || e.Took != 5*time.Millisecond || !e.At.Equal(at.Add(4*time.Second)) {
		t.Errorf("newest entry %+v", e)
	}
	l.reset()
	if n := l.len(); n != 0 || len(l.latest(-1)) != 0 {
		t.Fatalf("after reset: len %d", n)
	}
	l.add(at, time.Millisecond, nil, "", "")
	if got := ids(l.latest(-1)); !slices.Equal(got, []int64{5}) {
		t.Errorf("after reset: ids %v, want [5]", got)
	}
}

// TestSlowLogThreshold: a command goes in at the threshold and over it;
// a negative threshold, or no room, keeps none; the zero config keeps none.
func TestSlowLogThreshold(t *testing.T) {
	for _, c := range []struct {
		cfg  SlowLogConfig
		took time.Duration
		want bool
	}{
		{SlowLogConfig{SlowerThan: 10 * time.Millisecond, MaxLen: 1}, 10 * time.Millisecond, true},
		{SlowLogConfig{SlowerThan: 10 * time.Millisecond, MaxLen: 1}, 9 * time.Millisecond, false},
		{SlowLogConfig{SlowerThan: 0, MaxLen: 1}, time.Nanosecond, true},
		{SlowLogConfig{SlowerThan: -time.Microsecond, MaxLen: 1}, time.Hour, false},
		{SlowLogConfig{SlowerThan: time.Millisecond, MaxLen: 0}, time.Hour, false},
		{SlowLogConfig{}, time.Hour, false},
	} {
		if got := newSlowLog(c.cfg).slow(c.took); got != c.want {
			t.Errorf("%+v, a command of %v: slow %v, want %v", c.cfg, c.took, got, c.want)
		}
	}
}

// TestSlowArgs: an entry keeps at most 32 arguments, the last saying how
// many more there were, each cut to 128 bytes with how many more it had;
// and copies them, so the connection may reuse its buffers.
func TestSlowArgs(t *testing.T) {
	long := bytes.Repeat([]byte("x"), 200)
	args := [][]byte{[]byte("SET"), []byte("k"), long}
	got := slowArgs(args)
	if len(got) != 3 || string(got[2]) != strings.Repeat("x", 128)+"... (72 more bytes)" {
		t.Errorf("a long argument: %q", got)
	}
	args[1][0] = 'z'
	if string(got[1]) != "k" {
		t.Errorf("an argument changed after it was kept: %q", got[1])
	}
	many := make([][]byte, 40)
	for i := range many {
		many[i] = []byte(strconv.Itoa(i))
	}
	got = slowArgs(many)
	if len(got) != 32 || string(got[30]) != "30" || string(got[31]) != "... (9 more arguments)" {
		t.Errorf("40 arguments: %d kept, the last two %q %q", len(got), got[30], got[31])
	}
	if got = slowArgs(many[:32]); len(got) != 32 || string(got[31]) != "31" {
		t.Errorf("32 arguments: %d kept, the last %q", len(got), got[len(got)-1])
	}
}
