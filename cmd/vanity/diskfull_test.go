package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/smalldisk"
)

// TestDiskFull fills the disk under a server, with each fsync policy but
// "no". Writes then get an ERROR that says the disk is full, and reads,
// PING and new connections go on (the server was deaf until restarted).
// Once space is freed the server takes writes again without a restart,
// and after a kill -9 every acknowledged write is there.
func TestDiskFull(t *testing.T) {
	for _, policy := range []string{"everysec", "always"} {
		t.Run(policy, func(t *testing.T) { diskFull(t, policy) })
	}
}

func diskFull(t *testing.T, policy string) {
	disk := smalldisk.Mount(t, 8<<20)
	ballast := filepath.Join(disk, "ballast")
	if err := os.WriteFile(ballast, make([]byte, 3<<20), 0o600); err != nil {
		t.Fatal(err)
	}
	s := start(t, t.TempDir(), "--data-dir="+disk, "--no-logging", "--snapshot-interval=0", "--fsync="+policy)
	c := s.dial()
	value := strings.Repeat("v", 16<<10)
	var acked []string
	refused := ""
	for i := 0; i < 2000 && refused == ""; i++ {
		key := fmt.Sprintf("k%04d", i)
		got := raw(t, c, fmt.Sprintf("SET:STR (%d)%s (%d)%s", len(key), key, len(value), value))
		switch {
		case got == "OK":
			acked = append(acked, key)
		case strings.HasPrefix(got, "ERROR(") && strings.Contains(got, "disk full or failing"):
			refused = got
		case strings.HasPrefix(got, "INTERNAL_ERROR(") && strings.Contains(got, "write not durable"):
			// the write the disk filled up on: its fate is unknown
		default:
			t.Fatalf("write %d: %.200q", i, got)
		}
	}
	if refused == "" || len(acked) < 10 {
		t.Fatalf("the disk never filled (%d writes acknowledged)", len(acked))
	}
	t.Logf("%d writes acknowledged, then %.120q", len(acked), refused)
	want := fmt.Sprintf("OK:STR (%d)%s", len(value), value)
	if got := raw(t, c, "GET (5)"+acked[0]); got != want {
		t.Fatalf("a read on a full disk: %.80q", got)
	}
	expect(t, s.dial(), "PING", "PONG:STR (0)", "GET (5)"+acked[len(acked)-1], want)

	if err := os.Remove(ballast); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := raw(t, c, "SET:STR (5)after (1)x")
		if got == "OK" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("writes still refused 30 s after space was freed: %.200q", got)
		}
		time.Sleep(50 * time.Millisecond) // polling for the server's retry (once a second)
	}
	acked = append(acked, "after")
	s.restart() // kill -9, then start on the same disk
	c = s.dial()
	for _, k := range acked {
		if got := raw(t, c, fmt.Sprintf("EXISTS (%d)%s", len(k), k)); got != "OK" {
			t.Fatalf("acknowledged %s after the restart: %q", k, got)
		}
	}
}
