package node

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"
)

// Partition transfers (a partition's whole state, then the deltas written
// while it moves) travel zstd-compressed: one format byte, then the body.
const (
	packRaw  = 0
	packZstd = 1
	// packMin is the size below which compressing is not worth a frame.
	packMin = 512
	// maxUnpacked bounds a decompressed transfer message.
	maxUnpacked = 1 << 30
)

var (
	packEnc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	packDec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(2), zstd.WithDecoderMaxMemory(maxUnpacked))
)

// pack appends the transfer encoding of b to dst.
func pack(dst, b []byte) []byte {
	if len(b) < packMin {
		return append(append(dst, packRaw), b...)
	}
	return packEnc.EncodeAll(b, append(dst, packZstd))
}

// unpack decodes pack's output.
func unpack(b []byte) ([]byte, error) {
	if len(b) == 0 {
		return nil, errors.New("node: empty transfer message")
	}
	switch b[0] {
	case packRaw:
		return b[1:], nil
	case packZstd:
		return packDec.DecodeAll(b[1:], nil)
	}
	return nil, errors.New("node: unknown transfer encoding")
}

// throttle paces partition transfers to a byte rate shared by all of a
// node's transfers, so rebalancing leaves clients their latency.
type throttle struct {
	mu   sync.Mutex
	rate float64 // bytes per second; 0: unlimited
	next time.Time
}

// wait blocks until n more bytes fit in the rate, or ctx ends.
func (t *throttle) wait(ctx context.Context, n int) error {
	if t.rate <= 0 || n <= 0 {
		return nil
	}
	t.mu.Lock()
	now := time.Now()
	at := t.next
	if at.Before(now) {
		at = now
	}
	t.next = at.Add(time.Duration(float64(n) / t.rate * float64(time.Second)))
	t.mu.Unlock()
	d := time.Until(at)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d) // pacing, not synchronization
	defer timer.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-timer.C:
		return nil
	}
}
