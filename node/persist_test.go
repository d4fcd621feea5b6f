package node

import (
	"fmt"

	"math/rand/v2"
	"testing"
)

// blockingWriter takes the bytes it is given and, at the first Write,
// reports it on writing and waits for release.
type blockingWriter struct {
	writing, release chan struct{}
	first            bool
}

func (w *blockingWriter) Write(b []byte) (int, error) {
	if !w.first {
		w.first = true
		close(w.writing)
		<-w.release
	}
	return len(b), nil
}

// TestSnapshotWritesOutsideLocks: a snapshot compresses and writes what
// it captured of a partition after releasing the partition's lock, so a
// slow disk (here a Write that waits) holds up no command.
func TestSnapshotWritesOutsideLocks(t *testing.T) {
	n := newNode(t, Config{Partitions: 8})
	r := rand.New(rand.NewPCG(1, 2))
	value := make([]byte, 200)
	for i := range 4000 { // random values: about 800 KiB compressed, past the writer's buffer
		for j := range value {
			value[j] = 'a' + byte(r.IntN(26))
		}
		do(t, n, 0, fmt.Sprintf("SET:STR (%d)k%06d (%d)%s", len(fmt.Sprintf("k%06d", i)), i, len(value), value))
	}
	w := &blockingWriter{writing: make(chan struct{}), release: make(chan struct{})}
	done := make(chan error, 1)
	go func() {
		_, err := n.writeSnapshot(w)
		done <- err
	}()
	<-w.writing
	for i := range n.parts {
		if !n.parts[i].mu.TryLock() {
			t.Errorf("partition %d is locked while the snapshot writes", i)
			continue
		}
		n.parts[i].mu.Unlock()
	}
	close(w.release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}
