// Package logfile opens the text log of the cluster binaries (vanity-node,
// vanity-router) from their --log-file and --log-level flags.
package logfile

import (
	"fmt"
	"log/slog"
	"os"
	"strings"
)

// Open returns a logger writing to path (stderr if empty) at level
// (debug, info, warning or error), and the function that closes the file.
func Open(path, level string) (*slog.Logger, func(), error) {
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
	if path == "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: l})), func() {}, nil
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		return nil, nil, err
	}
	return slog.New(slog.NewTextHandler(f, &slog.HandlerOptions{Level: l})), func() { f.Close() }, nil
}
