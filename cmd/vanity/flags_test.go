package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/node"
	"github.com/vanitydb/vanity/storage/wal"
)

// TestUnknownFlagsAreRefused: a typo in a flag stops the start with the
// flag it was probably meant to be (the server started anyway, ignoring
// it); the seed's flags, in either spelling, still parse.
func TestUnknownFlagsAreRefused(t *testing.T) {
	none := func(string) string { return "" }
	for arg, want := range map[string]string{
		"--fsyncc=always":   "unknown flag --fsyncc (did you mean --fsync?)",
		"--no-such-thing":   "unknown flag --no-such-thing; vanity --help",
		"-use_cwdd":         "did you mean --use-cwd?",
		"--log-format=xml":  `--log-format: unknown log format "xml": use text or json`,
		"--gc-headroom=-1":  "--gc-headroom -1: give MiB from 0",
		"--gc-headroom=1G":  `invalid --gc-headroom "1G": give MiB`,
		"--snapshot-log=-1": `invalid --snapshot-log "-1": give MiB`,
	} {
		if _, err := parseFlags([]string{arg}, none); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arg, err, want)
		}
	}
	if _, err := parseFlags([]string{"--use_cwd", "--no-db-persist", "-no_logging", "--port=0", "--fsync=always"}, none); err != nil {
		t.Fatalf("known flags: %v", err)
	}
	if c, err := parseFlags([]string{"--gc-headroom=0"}, none); err != nil || c.gcHeadroom != 0 {
		t.Fatalf("--gc-headroom=0: %d, %v", c.gcHeadroom, err)
	}
	for arg, want := range map[string]int64{"--port=0": 64 << 20, "--snapshot-log=256": 256 << 20, "--snapshot-log=0": -1} {
		c, err := parseFlags([]string{arg}, none)
		if got, _ := node.SnapshotLogBytes(c.snapshotLogMiB); err != nil || got != want {
			t.Errorf("%s: %d MiB, %v; want %d bytes", arg, c.snapshotLogMiB, err, want)
		}
	}
}

// TestConfigFile: --config=FILE sets flags from "name = value" lines; the
// command line wins; switches are "name = true"; mistakes name the line.
func TestConfigFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vanity.conf")
	os.WriteFile(path, []byte("# the server\nport = 7000\nno_db_persist = true\nno-logging = false\nfsync = always\nmax-clients = 12\n"), 0o600)
	c, err := parseFlags([]string{"--config=" + path, "--port=8000"}, func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	if c.port != 8000 || c.dbPersist || !c.logging || c.fsync != wal.SyncAlways || c.maxClients != 12 {
		t.Errorf("port %d dbPersist %v logging %v fsync %v maxClients %d", c.port, c.dbPersist, c.logging, c.fsync, c.maxClients)
	}
	for content, want := range map[string]string{"portt = 1\n": "did you mean --port", "config = other\n": ":1: a configuration file cannot name another",
		"\nport\n": ":2: want name = value"} {
		os.WriteFile(path, []byte(content), 0o600)
		if _, err := parseFlags([]string{"--config=" + path}, func(string) string { return "" }); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
	if _, err := parseFlags([]string{"--config=" + filepath.Join(dir, "missing")}, func(string) string { return "" }); err == nil {
		t.Error("a missing configuration file was accepted")
	}
}

// TestDebugAddrDefault: the debug endpoints are on by default, on
// loopback; "off" turns them off.
func TestDebugAddrDefault(t *testing.T) {
	none := func(string) string { return "" }
	c, err := parseFlags(nil, none)
	if err != nil || c.debugAddr != "127.0.0.1:9965" {
		t.Errorf("default debug address %q, %v", c.debugAddr, err)
	}
	c, err = parseFlags([]string{"--debug-addr=off"}, none)
	if err != nil || c.debugAddr != "" {
		t.Errorf("--debug-addr=off: %q, %v", c.debugAddr, err)
	}
}

// TestJSONLogs: with --log-format=json every line of the log is a JSON
// record with a time, a level and a message.
func TestJSONLogs(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vanity.json")
	start(t, dir, "--no-db-persist", "--no-users-persist", "--log-format=json", "--log-file="+path)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	for _, line := range lines {
		var rec struct{ Time, Level, Msg string }
		if err := json.Unmarshal([]byte(line), &rec); err != nil || rec.Time == "" || rec.Level == "" || rec.Msg == "" {
			t.Errorf("not a JSON record: %q (%v)", line, err)
		}
	}
	if len(lines) < 2 {
		t.Errorf("%d lines logged before the server listened, want its start and ready", len(lines))
	}
}
