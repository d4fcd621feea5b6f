package node

import (
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// TestFencedWriteReadsItsLock: in the single process a FENCED write is
// refused while its lock holds a newer token, before any write with that
// token reached its key, and runs with the holder's token. The lock's
// partition is locked for the check: under -race, takings and releases of
// the lock running beside the writes would show a read of it without.
func TestFencedWriteReadsItsLock(t *testing.T) {
	n := newNode(t, Config{Partitions: 8})
	defer n.Close()
	if n.partitionOf([]byte("jobs")) == n.partitionOf([]byte("out")) {
		t.Fatal("jobs and out share a partition: the test would not lock a second one")
	}
	take := func(lock string) int64 {
		t.Helper()
		reply := do(t, n, 0, fmt.Sprintf("LOCK_ACQUIRE (%d)%s (1)a 60000", len(lock), lock))
		v, err := strconv.ParseInt(strings.TrimPrefix(reply, "OK:INT "), 10, 64)
		if err != nil {
			t.Fatalf("LOCK_ACQUIRE answered %q", reply)
		}
		return v
	}
	token := take("jobs")
	if got := do(t, n, 0, fmt.Sprintf("FENCED (4)jobs %d SET:STR (3)out (1)a", token-1)); !strings.Contains(got, fmt.Sprintf("lock \"jobs\" is at token %d", token)) {
		t.Errorf("an older token while the lock holds a newer one: %q", got)
	}
	if got := do(t, n, 0, "GET (3)out"); got != "NULL" {
		t.Errorf("the refused write ran: out is %q", got)
	}
	if got := do(t, n, 0, fmt.Sprintf("FENCED (4)jobs %d SET:STR (3)out (1)b", token)); got != "OK" {
		t.Errorf("the holder's token: %q", got)
	}

	var wg sync.WaitGroup
	stop := make(chan struct{})
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			tk := take("spare")
			do(t, n, 0, fmt.Sprintf("LOCK_RELEASE (5)spare %d", tk))
		}
	})
	for i := range 200 {
		if got := do(t, n, 0, fmt.Sprintf("FENCED (5)spare 1 SET:STR (3)out (1)%d", i%10)); got != "OK" && !strings.Contains(got, "fenced") {
			t.Errorf("a fenced write beside takings of its lock: %q", got)
		}
	}
	close(stop)
	wg.Wait()
}
