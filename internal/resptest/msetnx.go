package resptest

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
)

// MSetNX runs MSETNX against a SET of one of its keys from another
// connection, many times: whichever comes first, the SET's value must be
// what stays, and MSETNX sets both its keys or neither (one that found the
// keys missing and then wrote over a SET that landed meanwhile would leave
// its own). Then from two connections at once on key pairs that share one
// key: exactly one sets its keys. Inside MULTI it is refused with the
// reason, and the transaction discarded.
func MSetNX(t *testing.T, addr string) {
	ctx := context.Background()
	a, b := Client(t, addr, 2, 8), Client(t, addr, 2, 8)
	set := 0
	for i := range 300 {
		k := func(s string) string { return "{nxs" + strconv.Itoa(i) + "}" + s }
		done := make(chan error, 1)
		go func() { done <- b.Set(ctx, k("b"), "S", 0).Err() }()
		r := a.MSetNX(ctx, k("a"), "A", k("b"), "A")
		if err := <-done; err != nil || r.Err() != nil {
			t.Fatalf("round %d: SET %v, MSETNX %v", i, err, r.Err())
		}
		want := []any{nil, "S"}
		if r.Val() {
			want[0] = "A"
			set++
		}
		if got := a.MGet(ctx, k("a"), k("b")).Val(); len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
			t.Fatalf("round %d: MSETNX answered %v and a SET ran meanwhile: keys %q, want %q", i, r.Val(), got, want)
		}
	}
	t.Logf("%d of 300 MSETNXs came before the SET", set)
	wins := [2]int{}
	for i := range 200 {
		k := func(s string) string { return "{nx" + strconv.Itoa(i) + "}" + s }
		done := make(chan *redis.BoolCmd, 1)
		go func() { done <- b.MSetNX(ctx, k("b"), "B", k("c"), "B") }()
		ra := a.MSetNX(ctx, k("a"), "A", k("b"), "A")
		rb := <-done
		if ra.Err() != nil || rb.Err() != nil {
			t.Fatalf("round %d: %v, %v", i, ra.Err(), rb.Err())
		}
		got := a.MGet(ctx, k("a"), k("b"), k("c")).Val()
		want := []any{nil, "B", "B"}
		switch {
		case ra.Val() && !rb.Val():
			want = []any{"A", "A", nil}
			wins[0]++
		case rb.Val() && !ra.Val():
			wins[1]++
		default:
			t.Fatalf("round %d: MSETNX answered %v and %v: exactly one must set its keys (%q)", i, ra.Val(), rb.Val(), got)
		}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Fatalf("round %d: keys %q, want %q", i, got, want)
		}
	}
	t.Logf("MSETNX races won %d and %d times", wins[0], wins[1])

	if err := a.Do(ctx, "MSETNX", "{nx}odd").Err(); err == nil || err.Error() != "ERR wrong number of arguments for 'msetnx' command" {
		t.Errorf("MSETNX with a key and no value: %v", err)
	}
	pipe := a.TxPipeline()
	pipe.MSetNX(ctx, "{nx}t1", "x")
	_, err := pipe.Exec(ctx)
	if err == nil || !strings.HasPrefix(err.Error(), "EXECABORT") {
		t.Errorf("MSETNX inside MULTI: EXEC answered %v, want EXECABORT", err)
	}
	if n := a.Exists(ctx, "{nx}t1").Val(); n != 0 {
		t.Errorf("MSETNX inside a discarded transaction set its key")
	}
}
