package main

import (
	"strings"
	"testing"
)

// TestUnknownFlagsAreRefused: a typo in a flag stops the start with the
// flag it was probably meant to be (the server started anyway, ignoring
// it); the seed's flags, in either spelling, still parse.
func TestUnknownFlagsAreRefused(t *testing.T) {
	none := func(string) string { return "" }
	for arg, want := range map[string]string{
		"--fsyncc=always": "unknown flag --fsyncc (did you mean --fsync?)",
		"--no-such-thing": "unknown flag --no-such-thing; vanity --help",
		"-use_cwdd":       "did you mean --use-cwd?",
	} {
		if _, err := parseFlags([]string{arg}, none); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", arg, err, want)
		}
	}
	if _, err := parseFlags([]string{"--use_cwd", "--no-db-persist", "-no_logging", "--port=0", "--fsync=always"}, none); err != nil {
		t.Fatalf("known flags: %v", err)
	}
}
