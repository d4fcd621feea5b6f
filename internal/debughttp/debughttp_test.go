package debughttp

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHealthAndReady: /health answers while the process serves; /ready
// follows the check, with the reason when not ready.
func TestHealthAndReady(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var notReady atomic.Pointer[error]
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- Serve(ctx, addr, nil, slog.New(slog.DiscardHandler), Ready(func() error {
			if p := notReady.Load(); p != nil {
				return *p
			}
			return nil
		}))
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	get := func(path string) (int, string) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			r, err := http.Get("http://" + addr + path)
			if err == nil {
				b, _ := io.ReadAll(r.Body)
				r.Body.Close()
				return r.StatusCode, string(b)
			}
			if time.Now().After(deadline) {
				t.Fatalf("GET %s: %v", path, err)
			}
			time.Sleep(10 * time.Millisecond) // polling until the server listens
		}
	}
	if code, body := get("/health"); code != 200 || body != "ok\n" {
		t.Fatalf("/health: %d %q", code, body)
	}
	if code, body := get("/metrics"); code != 200 || !strings.Contains(body, "go_goroutines") || !strings.Contains(body, "process_resident_memory_bytes") {
		t.Fatalf("/metrics: %d %.200q", code, body)
	}
	if code, _ := get("/ready"); code != 200 {
		t.Fatalf("/ready: %d", code)
	}
	why := errors.New("3 partitions catching up")
	notReady.Store(&why)
	if code, body := get("/ready"); code != 503 || !strings.Contains(body, "3 partitions catching up") {
		t.Fatalf("/ready while not ready: %d %q", code, body)
	}
}
