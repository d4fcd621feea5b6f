// Package version says which build of Vanity a binary is: the Go module's
// version and the commit it was built from, read from the build
// information Go embeds.
package version

import (
	"runtime/debug"
	"strings"
)

// commit is set by the build (make build: -ldflags -X) when Go's own VCS
// stamping is off.
var commit string

// String returns "NAME VERSION (commit REV[, modified], TIME, GOVERSION)"
// for the running binary.
func String(name string) string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return name + " (no build information)"
	}
	v := info.Main.Version
	if v == "" || v == "(devel)" {
		v = "devel"
	}
	var rev, at, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.time":
			at = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				modified = ", modified"
			}
		}
	}
	parts := []string{}
	switch {
	case rev != "":
		parts = append(parts, "commit "+rev[:min(len(rev), 12)]+modified)
	case commit != "":
		parts = append(parts, "commit "+commit)
	}
	if at != "" {
		parts = append(parts, at)
	}
	parts = append(parts, info.GoVersion)
	return name + " " + v + " (" + strings.Join(parts, ", ") + ")"
}
