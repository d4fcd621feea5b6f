package rpc

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"testing"
	"time"
)

// brokenConn returns a connected socket whose peer is closed: writes to
// it fail at once.
func brokenConn(t *testing.T) net.Conn {
	t.Helper()
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Skipf("socketpair: %v", err)
	}
	syscall.Close(fds[1])
	f := os.NewFile(uintptr(fds[0]), "broken")
	defer f.Close()
	nc, err := net.FileConn(f)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { nc.Close() })
	return nc
}

// TestWriteFailureReportedAside: a send whose write fails returns, and
// the failure reaches onError from the writer goroutine, so a caller that
// holds a lock onError takes (as a client's connection does) cannot
// deadlock.
func TestWriteFailureReportedAside(t *testing.T) {
	var mu sync.Mutex
	reported := make(chan error, 1)
	w := newFrameWriter(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported <- err
	})
	w.start(brokenConn(t))
	deadline := time.Now().Add(5 * time.Second)
	sent := make(chan struct{})
	go func() {
		defer close(sent)
		mu.Lock()
		defer mu.Unlock()
		for i := 0; i < 100; i++ { // the first writes may land before the failure shows
			if _, err := w.send(uint64(i+1), uint8(KindPing), []byte("payload")); err != nil {
				return
			}
		}
	}()
	select {
	case <-sent:
	case <-time.After(time.Until(deadline)):
		t.Fatal("send blocked on a failed connection (onError called with the caller's lock held)")
	}
	select {
	case err := <-reported:
		if !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
			t.Fatalf("reported %v, want the write's error", err)
		}
	case <-time.After(time.Until(deadline)):
		t.Fatal("the write failure was never reported")
	}
	w.close()
}

// FuzzReadFrame reads any bytes as RPC frames: each is refused or read
// whole, never a crash, and a frame that declares more than arrives
// allocates as the bytes come, not what it declares.
func FuzzReadFrame(f *testing.F) {
	good := binary.BigEndian.AppendUint32(nil, 9+3)
	good = binary.BigEndian.AppendUint64(good, 7)
	good = append(good, byte(KindRun), 'a', 'b', 'c')
	f.Add(good)
	f.Add(binary.BigEndian.AppendUint32(nil, MaxFrame)) // a gigabyte declared, nothing sent
	f.Fuzz(func(t *testing.T, b []byte) {
		r := bufio.NewReader(bytes.NewReader(b))
		for {
			_, _, payload, err := readFrame(r)
			if err != nil {
				return
			}
			if len(payload) > len(b) {
				t.Fatalf("a %d-byte payload from %d bytes", len(payload), len(b))
			}
		}
	})
}
