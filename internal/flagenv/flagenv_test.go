package flagenv

import (
	"flag"
	"io"
	"os"
	"strings"
	"testing"
)

func TestApply(t *testing.T) {
	t.Setenv("APP_DATA_DIR", "/from/env")
	t.Setenv("APP_PARTITIONS", "64")
	t.Setenv("APP_RPC", "env:1")
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	dir := fs.String("data-dir", "", "")
	parts := fs.Int("partitions", 1024, "")
	rpc := fs.String("rpc", "default:1", "")
	other := fs.String("other", "kept", "")
	if err := fs.Parse([]string{"--rpc", "flag:1"}); err != nil {
		t.Fatal(err)
	}
	if err := Apply(fs, "APP_"); err != nil {
		t.Fatal(err)
	}
	if *dir != "/from/env" || *parts != 64 || *rpc != "flag:1" || *other != "kept" {
		t.Fatalf("got dir=%q partitions=%d rpc=%q other=%q", *dir, *parts, *rpc, *other)
	}
}

func TestApplyRejectsBadValue(t *testing.T) {
	t.Setenv("APP_PARTITIONS", "many")
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Int("partitions", 1024, "")
	fs.Parse(nil)
	if err := Apply(fs, "APP_"); err == nil {
		t.Fatal("a non-numeric APP_PARTITIONS was accepted")
	}
}

// TestApplyFile: the file sets what neither the command line nor the
// environment set; an unknown name or a bad value names its line.
func TestApplyFile(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/app.conf"
	os.WriteFile(path, []byte("# comment\n\ndata_dir = /from/file\npartitions=32\nrpc = file:1\nother = two words\n"), 0o600)
	t.Setenv("APP_PARTITIONS", "64")
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	dir2 := fs.String("data-dir", "", "")
	parts := fs.Int("partitions", 1024, "")
	rpc := fs.String("rpc", "default:1", "")
	other := fs.String("other", "", "")
	if err := fs.Parse([]string{"--rpc", "flag:1"}); err != nil {
		t.Fatal(err)
	}
	if err := Apply(fs, "APP_"); err != nil {
		t.Fatal(err)
	}
	if err := ApplyFile(fs, path); err != nil {
		t.Fatal(err)
	}
	if *dir2 != "/from/file" || *parts != 64 || *rpc != "flag:1" || *other != "two words" {
		t.Errorf("data-dir %q partitions %d rpc %q other %q", *dir2, *parts, *rpc, *other)
	}
	for content, want := range map[string]string{"nope = 1\n": ":1: unknown flag", "\npartitions = many\n": ":2: partitions", "just words\n": ":1: want name = value"} {
		os.WriteFile(path, []byte(content), 0o600)
		fs := flag.NewFlagSet("app", flag.ContinueOnError)
		fs.Int("partitions", 1, "")
		if err := ApplyFile(fs, path); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %q", content, err, want)
		}
	}
}
