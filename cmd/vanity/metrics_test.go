package main

import (
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/vanitydb/vanity/internal/freeport"
)

// TestPersistenceMetrics: /metrics tells how long the log's fsyncs and
// the snapshots take and how large the last snapshot is, and the latency
// of commands.
func TestPersistenceMetrics(t *testing.T) {
	debug, err := freeport.Addr()
	if err != nil {
		t.Fatal(err)
	}
	s := start(t, t.TempDir(), "--fsync=always", "--debug-addr="+debug)
	c := s.dial()
	expect(t, c, "SET:STR (1)k (1)v", "OK", "SET:STR (1)j (1)w", "OK", "PERSIST", "OK")
	value := scrape(t, debug)
	if n := value("vanity_wal_fsync_seconds_count"); n < 2 {
		t.Errorf("%v fsyncs counted for two writes under --fsync=always", n)
	}
	if n := value("vanity_snapshot_seconds_count"); n != 1 {
		t.Errorf("%v snapshots counted, want 1", n)
	}
	if b := value("vanity_snapshot_bytes"); b <= 0 {
		t.Errorf("snapshot size %v", b)
	}
	if n := value(`vanity_keys{db="0"}`); n != 2 {
		t.Errorf("%v keys in database 0, want 2", n)
	}
	if n := value(`vanity_request_duration_seconds_count{command="SET"}`); n != 2 {
		t.Errorf("%v SET latencies, want 2", n)
	}
}

// scrape reads the /metrics the debug address serves now, and returns
// the value of a sample by its name and labels.
func scrape(t *testing.T, debug string) func(name string) float64 {
	t.Helper()
	resp, err := http.Get("http://" + debug + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	return func(name string) float64 {
		t.Helper()
		m := regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name) + ` (\S+)$`).FindSubmatch(body)
		if m == nil {
			t.Fatalf("/metrics has no %s", name)
		}
		v, _ := strconv.ParseFloat(string(m[1]), 64)
		return v
	}
}

// TestDebugAddrTaken: a debug address already in use does not stop the
// server; it serves its clients and says why there are no endpoints.
func TestDebugAddrTaken(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	dir := t.TempDir()
	s := start(t, dir, "--debug-addr="+l.Addr().String(), "--no-db-persist")
	expect(t, s.dial(), "PING", "PONG:STR (0)")
	deadline := time.Now().Add(10 * time.Second)
	for {
		b, _ := os.ReadFile(filepath.Join(dir, ".vanity", "vanity.log"))
		if strings.Contains(string(b), "debug endpoints not served") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no warning in the log:\n%s", b)
		}
		time.Sleep(20 * time.Millisecond) // polling the log
	}
}
