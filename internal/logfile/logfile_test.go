package logfile

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFormats: text is key=value, json a JSON object per line; anything
// else is refused, naming the choices.
func TestFormats(t *testing.T) {
	var text, js bytes.Buffer
	for _, c := range []struct {
		format string
		w      *bytes.Buffer
	}{{"text", &text}, {"JSON", &js}} {
		h, err := Handler(c.w, c.format, slog.LevelInfo)
		if err != nil {
			t.Fatal(err)
		}
		slog.New(h).Info("ring changed", "members", 3)
	}
	if !strings.Contains(text.String(), `msg="ring changed" members=3`) {
		t.Errorf("text: %q", text.String())
	}
	var rec map[string]any
	if err := json.Unmarshal(js.Bytes(), &rec); err != nil || rec["msg"] != "ring changed" || rec["members"] != float64(3) {
		t.Errorf("json: %q (%v)", js.String(), err)
	}
	if _, err := Handler(&text, "xml", slog.LevelInfo); err == nil || !strings.Contains(err.Error(), "text or json") {
		t.Errorf("xml: %v", err)
	}
	if _, _, err := Open(filepath.Join(t.TempDir(), "log"), "info", "xml"); err == nil {
		t.Error("Open took an unknown format")
	}
	path := filepath.Join(t.TempDir(), "log")
	log, closeLog, err := Open(path, "warning", "json")
	if err != nil {
		t.Fatal(err)
	}
	log.Info("below the level")
	log.Warn("kept")
	closeLog()
	b, _ := os.ReadFile(path)
	if strings.Count(string(b), "\n") != 1 || !strings.Contains(string(b), `"msg":"kept"`) {
		t.Errorf("the file holds %q", b)
	}
}
