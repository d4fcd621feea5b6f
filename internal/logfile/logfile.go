// Package logfile makes the loggers of the three binaries from their
// --log-file, --log-level and --log-format flags: text (key=value) or JSON
// lines, one record per line.
package logfile

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
)

// Formats are the values --log-format takes.
const Formats = "text or json"

// Handler returns a handler writing records at level or above to w in
// format ("text" or "json").
func Handler(w io.Writer, format string, level slog.Level) (slog.Handler, error) {
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(format) {
	case "text", "":
		return slog.NewTextHandler(w, opts), nil
	case "json":
		return slog.NewJSONHandler(w, opts), nil
	}
	return nil, fmt.Errorf("unknown log format %q: use %s", format, Formats)
}

// Open returns a logger writing to path (stderr if empty) at level
// (debug, info, warning or error) in format, and the function that closes
// the file.
func Open(path, level, format string) (*slog.Logger, func(), error) {
	var l slog.Level
	switch strings.ToLower(level) {
	case "debug":
		l = slog.LevelDebug
	case "info":
		l = slog.LevelInfo
	case "warning", "warn":
		l = slog.LevelWarn
	case "error":
		l = slog.LevelError
	default:
		return nil, nil, fmt.Errorf("unknown log level %q", level)
	}
	if _, err := Handler(io.Discard, format, l); err != nil {
		return nil, nil, err
	}
	var w io.Writer = os.Stderr
	closer := func() {}
	if path != "" {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, nil, err
		}
		w, closer = f, func() { f.Close() }
	}
	h, _ := Handler(w, format, l)
	return slog.New(h), closer, nil
}
