package sched

import (
	"errors"
	"flag"
	"io"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, p := range []Policy{Normal, Batch} {
		got, err := Parse(p.String())
		if err != nil || got != p {
			t.Errorf("Parse(%q) = %v, %v; want %v", p.String(), got, err, p)
		}
	}
	if _, err := Parse("fifo"); !errors.Is(err, ErrPolicy) {
		t.Errorf("Parse(fifo): %v, want ErrPolicy", err)
	}
}

func TestFlag(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	p := Flag(fs, Batch)
	if *p != Batch {
		t.Fatalf("default %v, want batch", *p)
	}
	if err := fs.Parse([]string{"--sched", "normal"}); err != nil || *p != Normal {
		t.Fatalf("--sched normal: %v, %v", *p, err)
	}
	// The flag package does not wrap the value's error.
	if err := fs.Parse([]string{"--sched", "idle"}); err == nil || !strings.Contains(err.Error(), ErrPolicy.Error()) {
		t.Fatalf("--sched idle: %v, want ErrPolicy's text", err)
	}
}
