package main

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/internal/freeport"
	"github.com/vanitydb/vanity/proto"
)

// TestClientDB runs the Go client's pool against the binary: typed results
// and errors, pipelines, transactions, and many goroutines on few
// connections.
func TestClientDB(t *testing.T) {
	s := memoryServer(t)
	ctx := context.Background()
	db, err := client.Open(ctx, s.addr, client.Options{PoolSize: 4, DB: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	if _, err := client.Open(ctx, s.addr, client.Options{Username: "vanity", Password: "wrong"}); err == nil {
		t.Error("Open with a wrong password succeeded")
	}
	if err := db.Set(ctx, "name", "vanity"); err != nil {
		t.Fatal(err)
	}
	if v, err := db.GetString(ctx, "name"); err != nil || v != "vanity" {
		t.Errorf("GetString: %q, %v", v, err)
	}
	if _, err := db.GetString(ctx, "missing"); !errors.Is(err, client.ErrNil) {
		t.Errorf("a missing key: %v, want ErrNil", err)
	}
	var se *client.ServerError
	if _, err := db.IncrInt(ctx, "name", 1); !errors.As(err, &se) || se.Status != proto.StatusBadType {
		t.Errorf("INCR_INT of a string: %v, want a BAD_TYPE ServerError", err)
	}
	if existed, err := db.Del(ctx, "missing"); existed || err != nil {
		t.Errorf("Del of a missing key: %v, %v", existed, err)
	}
	if _, err := db.HashUpdate(ctx, "h", map[string]string{"a": "1", "b": "2"}); err != nil {
		t.Fatal(err)
	}
	if v, err := db.HashGet(ctx, "h", "z"); !errors.Is(err, client.ErrNil) {
		t.Errorf("HashGet of a missing field: %q, %v", v, err)
	}
	if all, err := db.HashAll(ctx, "h"); err != nil || len(all) != 2 || all["b"] != "2" {
		t.Errorf("HashAll: %v, %v", all, err)
	}
	if drawn, err := db.HashRandom(ctx, "h", -3); err != nil || len(drawn) != 3 || drawn[0].Value != map[string]string{"a": "1", "b": "2"}[drawn[0].Name] {
		t.Errorf("HashRandom of 3 draws: %v, %v", drawn, err)
	}
	if fields, next, err := db.HashScan(ctx, "h", 0, "b", 10); err != nil || next != 0 || len(fields) != 1 || fields["b"] != "2" {
		t.Errorf("HashScan of b: %v, next %d, %v", fields, next, err)
	}
	var tags []string
	for i := range 40 {
		tags = append(tags, fmt.Sprint("t", i))
	}
	if _, err := db.SetAdd(ctx, "tags", tags...); err != nil {
		t.Fatal(err)
	}
	seen, cursor, pages := map[string]int{}, int64(0), 0
	for {
		page, next, err := db.SetScan(ctx, "tags", cursor, "", 3)
		if err != nil {
			t.Fatalf("SetScan from %d: %v", cursor, err)
		}
		for _, m := range page {
			seen[m]++
		}
		if pages++; next == 0 {
			break
		}
		cursor = next
	}
	if _, err := db.ListPush(ctx, "todo", "a", "b", "a"); err != nil {
		t.Fatal(err)
	}
	if at, err := db.ListPos(ctx, "todo", "a", -1, 0); err != nil || fmt.Sprint(at) != "[2 0]" {
		t.Errorf("ListPos of a from the tail: %v, %v; want [2 0]", at, err)
	}
	if at, err := db.ListPosWithin(ctx, "todo", "a", -1, 0, 2); err != nil || fmt.Sprint(at) != "[2]" {
		t.Errorf("ListPosWithin of a from the tail, the last 2: %v, %v; want [2]", at, err)
	}
	if copied, err := db.Copy(ctx, "todo", "todo-copy"); !copied || err != nil {
		t.Errorf("Copy of a list: %v, %v", copied, err)
	}
	if at, err := db.ListPos(ctx, "todo-copy", "b", 1, 1); err != nil || fmt.Sprint(at) != "[1]" {
		t.Errorf("ListPos in the copy: %v, %v; want [1]", at, err)
	}
	if picked, err := db.SetRandom(ctx, "tags", -60); err != nil || len(picked) != 60 || seen[picked[0]] != 1 {
		t.Errorf("SetRandom of 60 draws: %v, %v", picked, err)
	}
	if len(seen) != 40 || pages < 2 {
		t.Errorf("SetScan of 40 members by 3: %d distinct in %d pages", len(seen), pages)
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("SetScan returned %s %d times", m, n)
		}
	}

	replies, err := db.Pipeline().Do("SET :INT", "n", 5).Do("INCR_INT", "n", 2).Do("GET", "n").Do("GET", "nope").Exec(ctx)
	if err != nil || len(replies) != 4 || replies[2].Value.Int != 7 || replies[3].Status != proto.StatusNull {
		t.Fatalf("pipeline: %v, %v", replies, err)
	}
	replies, err = db.TxPipeline().Do("INCR_INT", "n", 1).Do("INCR_INT", "n", 1).Exec(ctx)
	if err != nil || len(replies) != 2 || replies[1].Value.Int != 9 {
		t.Fatalf("transaction: %v, %v", replies, err)
	}

	var wg sync.WaitGroup
	for g := 0; g < 32; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				if _, err := db.IncrInt(ctx, "counter", 1); err != nil {
					t.Error(err)
					return
				}
				if err := db.Set(ctx, fmt.Sprintf("g%d", g), i); err != nil {
					t.Error(err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	if n, err := db.GetInt(ctx, "counter"); err != nil || n != 32*50 {
		t.Errorf("counter %d, %v; want %d", n, err, 32*50)
	}
	info, err := db.Do(ctx, "INFO")
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(info.Value.Strs); i += 2 {
		if string(info.Value.Strs[i]) == "clients.connected" && string(info.Value.Strs[i+1]) > "4" {
			t.Errorf("%s connections for a pool of 4", info.Value.Strs[i+1])
		}
		if string(info.Value.Strs[i]) == "keyspace.db3" && !strings.HasPrefix(string(info.Value.Strs[i+1]), "keys=39,") {
			t.Errorf("database 3 holds %s, want keys=39 (Options.DB)", info.Value.Strs[i+1])
		}
	}
}

// TestClientDBReconnects: after the server is killed and started again,
// the pool's next calls (reads and writes) go through on new connections:
// the dead idle ones are noticed when borrowed.
func TestClientDBReconnects(t *testing.T) {
	port, err := freeport.Port() // outside the ephemeral range: still free at the restart
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, t.TempDir(), fmt.Sprintf("--port=%d", port))
	ctx := context.Background()
	db, err := client.Open(ctx, s.addr, client.Options{PoolSize: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.Set(ctx, "k", "before"); err != nil {
		t.Fatal(err)
	}
	s.restart() // kill -9, then the same flags: the same port
	if err := db.Set(ctx, "k", "after"); err != nil {
		t.Fatalf("a write after the restart: %v", err)
	}
	if v, err := db.GetString(ctx, "k"); err != nil || v != "after" {
		t.Fatalf("a read after the restart: %q, %v", v, err)
	}
}
