package main

import (
	"fmt"
	"sort"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/client"
)

// TestScanKeysDBSize runs SCAN, KEYS and DB_SIZE against the binary:
// every key once, patterns, databases kept apart, expired keys left out,
// bad cursors and counts refused, and the permission rows.
func TestScanKeysDBSize(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	for i := 0; i < 250; i++ {
		expect(t, c, fmt.Sprintf("SET:INT (7)key:%03d %d", i, i), "OK")
	}
	expect(t, c, "SET_TTL:STR (4)gone (1)x 1", "OK")
	expect(t, c, "SWITCH_DB 5", "OK", "SET:STR (5)other (1)x", "OK", "DB_SIZE", "OK:INT 1",
		"KEYS (1)*", "OK:LIST (1)[(5)other]", "SWITCH_DB 0", "OK")
	deadline := 0
	for raw(t, c, "EXISTS (4)gone") != "NULL" { // expires within a millisecond or two
		if deadline++; deadline > 1000 {
			t.Fatal("gone never expired")
		}
	}
	expect(t, c, "DB_SIZE", "OK:INT 250")

	seen := map[string]int{}
	cursor := "0"
	for pages := 0; ; pages++ {
		keys, next, err := c.Scan(cursor, "key:*", 17)
		if err != nil {
			t.Fatalf("SCAN %s: %v", cursor, err)
		}
		if len(keys) > 17 {
			t.Fatalf("a page of %d keys for a count of 17", len(keys))
		}
		for _, k := range keys {
			seen[k]++
		}
		cursor = next
		if cursor == "0" {
			break
		}
		if pages > 1000 {
			t.Fatal("the scan does not end")
		}
	}
	if len(seen) != 250 {
		t.Errorf("SCAN returned %d distinct keys, want 250", len(seen))
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("SCAN returned %s %d times", k, n)
		}
	}

	r, err := c.Do("KEYS", "key:1[0-1]?")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range r.Value.Strs {
		got = append(got, string(k))
	}
	sort.Strings(got)
	want := []string{}
	for i := 100; i < 120; i++ {
		want = append(want, fmt.Sprintf("key:%d", i))
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("KEYS key:1[0-1]?: %v", got)
	}

	expect(t, c,
		"SCAN (3)zzz (1)* 5", `ERROR(81)invalid SCAN cursor "zzz": use 0 to start, then the cursor the last SCAN returned`,
		"SCAN (1)0 (1)* 0", "ERROR(39)SCAN count must be between 1 and 100000",
		"PIPE(2)DB_SIZE DB_SIZE", "OK:PIPE(2)OK:INT 250OK:INT 250",
		"TRANSACT_BEGIN", "OK", "DB_SIZE", "OK:INT 250", "TRANSACT_DISCARD", "OK",
	)
	anon := s.dialAs(client.Options{NoLogin: true})
	expect(t, anon, "DB_SIZE", "DENIED", "KEYS (1)*", "DENIED", "INFO", "DENIED")
	expect(t, c, "ADD_USER (5)alice (5)alice", "OK")
	alice := s.dialAs(client.Options{Username: "alice", Password: "alice"})
	expect(t, alice, "DB_SIZE", "OK:INT 250")
}

// TestInfo: INFO's sections and the figures in them follow what the
// server did.
func TestInfo(t *testing.T) {
	s := memoryServer(t)
	c := s.dial()
	expect(t, c, "SET:STR (1)a (1)b", "OK", "GET (1)a", "OK:STR (1)b", "GET (1)a", "OK:STR (1)b",
		"SWITCH_DB 2", "OK", "SET:STR (1)a (1)b", "OK", "SET_EXPIRY (1)a 100", "OK")
	fields, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	r, _ := c.Do("INFO") // the sections, in the order sent
	var sections []string
	for i := 0; i+1 < len(r.Value.Strs); i += 2 {
		sec, _, _ := strings.Cut(string(r.Value.Strs[i]), ".")
		if len(sections) == 0 || sections[len(sections)-1] != sec {
			sections = append(sections, sec)
		}
	}
	if got := strings.Join(sections, " "); got != "server clients memory cluster persistence keyspace commandstats" {
		t.Errorf("sections %q", got)
	}
	for name, want := range map[string]string{
		"cluster.mode": "standalone", "clients.connected": "1", "keyspace.db0": "keys=1,expires=0,avg_ttl=0",
		"persistence.enabled": "no",
	} {
		if fields[name] != want {
			t.Errorf("%s = %q, want %q", name, fields[name], want)
		}
	}
	// Redis's keyspace line, which exporters parse: the keys with a
	// deadline, and the milliseconds left to them on average.
	var keys, expires, avgTTL int
	if n, err := fmt.Sscanf(fields["keyspace.db2"], "keys=%d,expires=%d,avg_ttl=%d", &keys, &expires, &avgTTL); n != 3 || err != nil ||
		keys != 1 || expires != 1 || avgTTL <= 90_000 || avgTTL > 100_000 {
		t.Errorf("keyspace.db2 = %q, want keys=1,expires=1,avg_ttl= about 100000", fields["keyspace.db2"])
	}
	if !strings.HasPrefix(fields["commandstats.GET"], "calls=2,usec_per_call=") {
		t.Errorf("commandstats.GET = %q", fields["commandstats.GET"])
	}
	if !strings.HasPrefix(fields["server.version"], "vanity ") {
		t.Errorf("server.version = %q", fields["server.version"])
	}
}
