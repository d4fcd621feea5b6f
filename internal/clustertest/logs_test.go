package clustertest

import (
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"
)

// countingHandler counts log records at Info and above, by message.
type countingHandler struct {
	mu     sync.Mutex
	counts map[string]int
}

func (h *countingHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }
func (h *countingHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.counts[r.Message]++
	return nil
}
func (h *countingHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h *countingHandler) WithGroup(string) slog.Handler      { return h }

// TestJoinLogsASummary: a replica that joins brings in every partition;
// its log says so in a line per wave, not a line per partition (an empty
// 3-node cluster logged about a thousand).
func TestJoinLogsASummary(t *testing.T) {
	h := &countingHandler{counts: map[string]int{}}
	c := New(t, 2, 1, Options{Replicas: 3, Logger: slog.New(h)})
	c.AddNode()
	c.WaitServed(3)
	c.WaitReplicated(3)
	// A wave's summary is logged just after its last partition is in,
	// which WaitReplicated may see first.
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		h.mu.Lock()
		n := h.counts["partitions brought in"]
		h.mu.Unlock()
		if n > 0 || time.Now().After(deadline) {
			break
		}
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if n := h.counts["partition copied in"] + h.counts["partition moved in"]; n > 0 {
		t.Errorf("%d info lines for single partitions", n)
	}
	if h.counts["partitions brought in"] == 0 {
		t.Errorf("no summary line; info lines: %v", h.counts)
	}
	total := 0
	for _, n := range h.counts {
		total += n
	}
	t.Logf("%d info lines for 3 nodes bringing in %d partitions: %v", total, 3*64, h.counts)
}
