package node

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
)

// TestBatcherGroupsConcurrentRequests: requests made while a call is in
// flight go together in the next call, in order and intact, and each gets
// its own result (or the call's error).
func TestBatcherGroupsConcurrentRequests(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var calls [][][]byte
	fail := errors.New("item refused")
	b := &batcher{send: func(_ context.Context, payloads [][]byte) ([]batchResult, error) {
		mu.Lock()
		calls = append(calls, payloads)
		first := len(calls) == 1
		mu.Unlock()
		if first {
			close(started)
			<-release
		}
		out := make([]batchResult, len(payloads))
		for i, p := range payloads {
			if string(p) == "d3" {
				out[i].err = fail
			} else {
				out[i].reply = append([]byte("re:"), p...)
			}
		}
		return out, nil
	}}
	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() {
		_, err := b.do(ctx, []byte("first"))
		firstDone <- err
	}()
	<-started
	const n = 19
	type answer struct {
		i     int
		reply string
		err   error
	}
	answers := make(chan answer, n)
	for i := 0; i < n; i++ {
		go func() {
			r, err := b.do(ctx, []byte("d"+strconv.Itoa(i)))
			answers <- answer{i, string(r), err}
		}()
	}
	for { // until every request is queued behind the call in flight
		b.mu.Lock()
		queued := len(b.pending)
		b.mu.Unlock()
		if queued == n {
			break
		}
		runtime.Gosched()
	}
	close(release)
	if err := <-firstDone; err != nil {
		t.Fatalf("first request: %v", err)
	}
	for k := 0; k < n; k++ {
		a := <-answers
		want := "re:d" + strconv.Itoa(a.i)
		if a.i == 3 {
			if !errors.Is(a.err, fail) {
				t.Fatalf("request 3: %q %v, want its own error", a.reply, a.err)
			}
		} else if a.err != nil || a.reply != want {
			t.Fatalf("request %d: %q %v, want %q", a.i, a.reply, a.err, want)
		}
	}
	if len(calls) != 2 || len(calls[1]) != n {
		t.Fatalf("%d calls (the second with %d requests) for %d requests, want 2 and %d", len(calls), len(calls[len(calls)-1]), n+1, n)
	}
}

// TestBatcherCallErrorReachesEveryRequest: a failed call fails every
// request it carried.
func TestBatcherCallErrorReachesEveryRequest(t *testing.T) {
	down := errors.New("replica down")
	b := &batcher{send: func(context.Context, [][]byte) ([]batchResult, error) { return nil, down }}
	if _, err := b.do(context.Background(), []byte("x")); !errors.Is(err, down) {
		t.Fatalf("got %v", err)
	}
}

func TestStoreBatchRejectsMalformed(t *testing.T) {
	good := rpc.AppendStrings(nil, [][]byte{appendStoreItem(3, []byte("abc")), appendStoreItem(4, nil)})
	if parts, deltas, err := decodeStoreBatch(good); err != nil || len(parts) != 2 || parts[0] != 3 || string(deltas[0]) != "abc" {
		t.Fatalf("round trip: %v %q %v", parts, deltas, err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-2],
		"trailing":  append(append([]byte{}, good...), 0),
		"huge part": rpc.AppendStrings(nil, [][]byte{appendStoreItem(MaxClusterPartitions+1, nil)}),
		"no part":   rpc.AppendStrings(nil, [][]byte{nil}),
	} {
		if _, _, err := decodeStoreBatch(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
