package node

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"strconv"
	"sync"
	"testing"
)

// TestStoreBatcherGroupsConcurrentStores: stores made while a call is in
// flight go together in the next call, each item intact, and each store
// returns its call's outcome.
func TestStoreBatcherGroupsConcurrentStores(t *testing.T) {
	started, release := make(chan struct{}), make(chan struct{})
	var mu sync.Mutex
	var calls [][]byte
	fail := errors.New("replica down")
	b := &storeBatcher{call: func(_ context.Context, payload []byte) error {
		mu.Lock()
		calls = append(calls, payload)
		first := len(calls) == 1
		mu.Unlock()
		if first {
			close(started)
			<-release
			return nil
		}
		return fail
	}}
	ctx := context.Background()
	firstDone := make(chan error, 1)
	go func() { firstDone <- b.store(ctx, 7, []byte("first")) }()
	<-started
	const n = 19
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		go func() { errs <- b.store(ctx, i, []byte("d"+strconv.Itoa(i))) }()
	}
	for { // until every store is queued behind the call in flight
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
		t.Fatalf("first store: %v", err)
	}
	for i := 0; i < n; i++ {
		if err := <-errs; !errors.Is(err, fail) {
			t.Fatalf("a batched store returned %v, want the call's error", err)
		}
	}
	if len(calls) != 2 {
		t.Fatalf("%d calls for %d stores, want 2", len(calls), n+1)
	}
	parts, deltas, err := decodeStoreBatch(calls[1])
	if err != nil || len(parts) != n {
		t.Fatalf("second call: %d items, %v", len(parts), err)
	}
	seen := map[int]bool{}
	for k, p := range parts {
		if !bytes.Equal(deltas[k], []byte("d"+strconv.Itoa(p))) || seen[p] {
			t.Fatalf("item %d: partition %d with %q", k, p, deltas[k])
		}
		seen[p] = true
	}
}

func TestStoreBatchRejectsMalformed(t *testing.T) {
	good := appendStoreBatch(nil, []storeItem{{p: 3, deltas: []byte("abc")}, {p: 4}})
	if parts, deltas, err := decodeStoreBatch(good); err != nil || len(parts) != 2 || string(deltas[0]) != "abc" {
		t.Fatalf("round trip: %v %q %v", parts, deltas, err)
	}
	for name, b := range map[string][]byte{
		"empty":     nil,
		"truncated": good[:len(good)-2],
		"trailing":  append(append([]byte{}, good...), 0),
		"huge part": appendStoreBatch(nil, []storeItem{{p: MaxClusterPartitions + 1}}),
	} {
		if _, _, err := decodeStoreBatch(b); err == nil {
			t.Errorf("%s: decoded", name)
		}
	}
}
