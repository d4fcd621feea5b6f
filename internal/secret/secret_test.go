package secret

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestResolve(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "secret")
	if err := os.WriteFile(file, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := Resolve("", file, false); err != nil || string(got) != "s3cret" {
		t.Fatalf("a 0600 file: %q, %v", got, err)
	}
	if got, err := Resolve("v", "", false); err != nil || string(got) != "v" {
		t.Fatalf("a value: %q, %v", got, err)
	}
	if _, err := Resolve("v", file, false); err == nil {
		t.Fatal("a value and a file at once were accepted")
	}
	if err := os.Chmod(file, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Resolve("", file, false); !errors.Is(err, ErrReadableFile) {
		t.Fatalf("a file others can read: %v", err)
	}
	empty := filepath.Join(dir, "empty")
	os.WriteFile(empty, []byte("\n"), 0o600)
	if _, err := Resolve("", empty, false); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("an empty file: %v", err)
	}
	if _, err := Resolve("", "", false, "127.0.0.1:1"); !errors.Is(err, ErrNoSecret) {
		t.Fatalf("no secret: %v", err)
	}
	if got, err := Resolve("", "", true, "127.0.0.1:1", "[::1]:2", "localhost:3"); err != nil || got != nil {
		t.Fatalf("insecure on loopback: %q, %v", got, err)
	}
	for _, a := range []string{"0.0.0.0:1", ":1", "10.1.2.3:1"} {
		if _, err := Resolve("", "", true, "127.0.0.1:1", a); !errors.Is(err, ErrNotLoopback) {
			t.Fatalf("insecure on %s: %v", a, err)
		}
	}
}

func TestDebugAddr(t *testing.T) {
	if err := DebugAddr("127.0.0.1:6060", false); err != nil {
		t.Fatal(err)
	}
	if err := DebugAddr(":6060", false); !errors.Is(err, ErrNotLoopback) {
		t.Fatalf("every interface: %v", err)
	}
	if err := DebugAddr(":6060", true); err != nil {
		t.Fatalf("allowed: %v", err)
	}
	if err := DebugAddr("", false); err != nil {
		t.Fatalf("none: %v", err)
	}
}
