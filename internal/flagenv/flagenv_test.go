package flagenv

import (
	"flag"
	"io"
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
