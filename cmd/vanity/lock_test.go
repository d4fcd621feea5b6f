package main

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
)

// TestLocksExcludeAndTokensGrow runs the lock commands against the real
// binary: 8 clients contend for one lock, each taking it, checking that
// nobody else holds it, and releasing it; every token handed out is larger
// than the one before it. A holder then survives a kill -9 and a restart
// (its lease and token are as they were), and the next taking after it
// gets a larger token still.
func TestLocksExcludeAndTokensGrow(t *testing.T) {
	s := start(t, t.TempDir())
	ctx := context.Background()
	open := func() *client.DB {
		t.Helper()
		db, err := client.Open(ctx, s.addr, client.Options{Username: "vanity", Password: "vanity"})
		if err != nil {
			t.Fatal(err)
		}
		return db
	}
	db := open()
	var inside atomic.Int32
	var mu sync.Mutex
	var last int64
	var taken atomic.Int64
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for taken.Load() < 400 {
				token, ok, err := db.LockAcquire(ctx, "jobs", fmt.Sprintf("worker-%d", w), 10*time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					continue
				}
				if n := inside.Add(1); n != 1 {
					t.Errorf("%d holders at once", n)
				}
				mu.Lock()
				if token <= last {
					t.Errorf("token %d after %d", token, last)
				}
				last = token
				mu.Unlock()
				taken.Add(1)
				inside.Add(-1)
				if ok, err := db.LockRelease(ctx, "jobs", token); !ok || err != nil {
					t.Errorf("the holder's release: %v %v", ok, err)
					return
				}
			}
		}()
	}
	wg.Wait()
	held, ok, err := db.LockAcquire(ctx, "jobs", "survivor", time.Minute)
	if !ok || err != nil || held <= last {
		t.Fatalf("taking the lock after the contention: %d %v %v (last token %d)", held, ok, err, last)
	}
	db.Close()

	s.restart() // kill -9
	db = open()
	defer db.Close()
	if _, ok, err := db.LockAcquire(ctx, "jobs", "usurper", time.Minute); ok || err != nil {
		t.Fatalf("the lock was taken again after a restart: %v %v", ok, err)
	}
	if ok, err := db.LockRefresh(ctx, "jobs", held, time.Minute); !ok || err != nil {
		t.Fatalf("the holder's token after a restart: %v %v", ok, err)
	}
	if ok, err := db.LockRelease(ctx, "jobs", held); !ok || err != nil {
		t.Fatalf("the holder's release after a restart: %v %v", ok, err)
	}
	if next, ok, err := db.LockAcquire(ctx, "jobs", "next", time.Minute); !ok || err != nil || next <= held {
		t.Fatalf("the next taking after a restart: %d %v %v, want a token above %d", next, ok, err, held)
	}
}
