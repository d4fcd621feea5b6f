package resptest

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// Latency checks LATENCY HISTOGRAM through the listener at addr: after
// SETs and GETs each has its calls and a histogram whose buckets hold
// cumulative counts that grow and stay within the calls, in both protocol
// versions; DOCTOR says where the latencies are. (The event monitor's
// empty answers are compared with redis-server's in AsRedis.)
func Latency(t *testing.T, addr string) {
	ctx := context.Background()
	for _, v := range []int{2, 3} {
		c := Client(t, addr, v, 8)
		for i := range 20 {
			if err := c.Set(ctx, fmt.Sprint("lat", i), i, 0).Err(); err != nil {
				t.Fatal(err)
			}
			c.Get(ctx, fmt.Sprint("lat", i))
		}
		got, err := c.Do(ctx, "LATENCY", "HISTOGRAM", "SET", "get").Result()
		if err != nil {
			t.Fatal(err)
		}
		hist := asMap(t, got)
		if len(hist) != 2 {
			t.Fatalf("RESP%d LATENCY HISTOGRAM SET get: %v", v, got)
		}
		for _, name := range []string{"set", "get"} {
			fields := asMap(t, hist[name])
			calls, _ := fields["calls"].(int64)
			buckets := asMap(t, fields["histogram_usec"])
			if calls < 20 || len(buckets) == 0 {
				t.Errorf("RESP%d %s: calls %d, buckets %v", v, name, calls, buckets)
			}
			prevBound, prevCount := int64(0), int64(0)
			for _, b := range bounds(t, buckets) {
				bound, n := b[0], b[1]
				if bound <= prevBound || n <= prevCount || n > calls {
					t.Errorf("RESP%d %s: bucket %d µs holds %d after %d µs with %d (calls %d)", v, name, bound, n, prevBound, prevCount, calls)
				}
				prevBound, prevCount = bound, n
			}
		}
		if doc, err := c.Do(ctx, "LATENCY", "DOCTOR").Text(); err != nil || !strings.Contains(doc, "SLOWLOG") {
			t.Errorf("LATENCY DOCTOR: %q, %v", doc, err)
		}
	}
}

// asMap reads a RESP2 flat array or a RESP3 map as go-redis gives them,
// keyed by each key's text.
func asMap(t *testing.T, v any) map[string]any {
	t.Helper()
	out := map[string]any{}
	switch m := v.(type) {
	case map[any]any:
		for k, x := range m {
			out[fmt.Sprint(k)] = x
		}
	case []any:
		if len(m)%2 != 0 {
			t.Fatalf("an odd flat map %v", m)
		}
		for i := 0; i < len(m); i += 2 {
			out[fmt.Sprint(m[i])] = m[i+1]
		}
	default:
		t.Fatalf("not a map: %T %v", v, v)
	}
	return out
}

// bounds is a histogram's bucket bounds, ascending, with their counts.
func bounds(t *testing.T, m map[string]any) [][2]int64 {
	t.Helper()
	out := make([][2]int64, 0, len(m))
	for k, v := range m {
		b, err := strconv.ParseInt(k, 10, 64)
		n, ok := v.(int64)
		if err != nil || !ok {
			t.Fatalf("a bucket %q: %v", k, v)
		}
		out = append(out, [2]int64{b, n})
	}
	slices.SortFunc(out, func(a, b [2]int64) int { return cmp.Compare(a[0], b[0]) })
	return out
}
