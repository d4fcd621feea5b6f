package main

import (
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// ackLog records the writes the server acknowledged.
type ackLog struct {
	mu     sync.Mutex
	keys   map[string]time.Time // key -> when its SET was acknowledged
	incrs  int                  // acknowledged INCR_INTs of "counter"
	tried  int                  // INCR_INTs sent
	pushes map[string]int       // list -> acknowledged pushes
}

// writer writes unique keys, increments and list pushes until the
// connection dies, recording what was acknowledged. Odd-numbered writers
// send each round's three writes pipelined (the server runs them as one
// pipeline with one durability wait), even-numbered ones one at a time.
func writer(w int, addr string, acks *ackLog, cycle int) {
	c, err := client.Dial(addr, client.Options{})
	if err != nil {
		return
	}
	defer c.Close()
	list := fmt.Sprintf("list-%d-%d", cycle, w)
	for i := 0; ; i++ {
		key := fmt.Sprintf("c%d-w%d-%d", cycle, w, i)
		reqs := make([][]byte, 3)
		for k, cmd := range [][]any{{"SET", key, strings.Repeat("v", 50)}, {"INCR_INT", "counter", 1},
			{"LIST_PUSH_RIGHT", list, []string{strconv.Itoa(i)}}} {
			if reqs[k], err = client.Encode(cmd[0].(string), cmd[1:]...); err != nil {
				panic(err)
			}
		}
		acks.mu.Lock()
		acks.tried++ // counted before it is sent: it may apply without a reply
		acks.mu.Unlock()
		var replies [][]byte
		if w%2 == 1 {
			for _, q := range reqs {
				if c.Send(q) != nil {
					return
				}
			}
			if c.Flush() != nil {
				return
			}
			for range reqs {
				p, err := c.Receive()
				if err != nil {
					return
				}
				replies = append(replies, p)
			}
		} else {
			for _, q := range reqs {
				p, err := c.Raw(q)
				if err != nil {
					return
				}
				replies = append(replies, p)
			}
		}
		ok := func(k int) bool { return strings.HasPrefix(string(replies[k]), "OK") }
		acks.mu.Lock()
		if ok(0) {
			acks.keys[key] = time.Now()
		}
		if ok(1) {
			acks.incrs++
		}
		if ok(2) {
			acks.pushes[list]++
		}
		acks.mu.Unlock()
	}
}

// verify reads back every acknowledged write and returns the ones lost.
func verify(t *testing.T, c *client.Client, acks *ackLog) (lost []string, counter int64) {
	t.Helper()
	keys := make([]string, 0, len(acks.keys))
	for k := range acks.keys {
		keys = append(keys, k)
	}
	for start := 0; start < len(keys); start += 500 {
		batch := keys[start:min(len(keys), start+500)]
		r, err := c.ManyGet(batch...)
		if err != nil {
			t.Fatal(err)
		}
		for i, v := range r.Value.Elems {
			if v.Type == proto.TypeNull {
				lost = append(lost, batch[i])
			}
		}
	}
	r, err := c.Get("counter")
	if err != nil {
		t.Fatal(err)
	}
	for list, n := range acks.pushes {
		lr, err := c.ListLen(list)
		if err != nil {
			t.Fatal(err)
		}
		if int(lr.Value.Int) < n {
			lost = append(lost, fmt.Sprintf("%s: %d of %d pushes", list, lr.Value.Int, n))
		}
	}
	return lost, r.Value.Int
}

// crashLoop kills the server with SIGKILL at random moments while writers
// run (and snapshots and segment rotations happen), restarts it, and checks
// the acknowledged writes after each restart.
func crashLoop(t *testing.T, policy string, cycles int) (lostTotal int, worstWindow time.Duration) {
	dir := t.TempDir()
	s := start(t, dir, "--use-cwd", "--no-logging", "--fsync="+policy, "--wal-segment-size=65536")
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	acks := &ackLog{keys: map[string]time.Time{}, pushes: map[string]int{}}
	for cycle := 0; cycle < cycles; cycle++ {
		var wg sync.WaitGroup
		for w := 0; w < 4; w++ {
			wg.Add(1)
			go func(w int) {
				defer wg.Done()
				writer(w, s.addr, acks, cycle)
			}(w)
		}
		if cycle%3 == 1 { // a snapshot in progress at the kill, sometimes
			go func(addr string) {
				if c, err := client.Dial(addr, client.Options{}); err == nil {
					c.Persist()
					c.Close()
				}
			}(s.addr)
		}
		time.Sleep(time.Duration(20+rng.IntN(200)) * time.Millisecond) // a random moment to crash at
		killedAt := time.Now()
		s.kill()
		wg.Wait()
		s.run()
		c := s.dial()
		lost, counter := verify(t, c, acks)
		if len(lost) > 0 {
			t.Fatalf("cycle %d: %d acknowledged writes lost, e.g. %v", cycle, len(lost), lost[:min(5, len(lost))])
		}
		acks.mu.Lock()
		if counter < int64(acks.incrs) || counter > int64(acks.tried) {
			t.Fatalf("cycle %d: counter %d, acknowledged %d, sent %d", cycle, counter, acks.incrs, acks.tried)
		}
		for _, k := range lost {
			if at, ok := acks.keys[k]; ok {
				worstWindow = max(worstWindow, killedAt.Sub(at))
				delete(acks.keys, k) // counted once
			}
		}
		lostTotal += len(lost)
		acks.incrs = int(counter) // later cycles are checked from what survived
		acks.tried = int(counter)
		for list := range acks.pushes {
			if lr, err := c.ListLen(list); err == nil {
				acks.pushes[list] = int(lr.Value.Int)
			}
		}
		acks.mu.Unlock()
		c.Close()
	}
	return lostTotal, worstWindow
}

func TestKillLoopFsyncAlways(t *testing.T) {
	lost, _ := crashLoop(t, "always", 30)
	if lost != 0 {
		t.Fatalf("%d acknowledged writes lost", lost)
	}
}

// TestKillLoopFsyncEverySecond kills the server under the everysec
// policy: a process crash loses nothing acknowledged (records reach the OS
// before the reply; only a machine crash can lose the last second).
func TestKillLoopFsyncEverySecond(t *testing.T) {
	lost, window := crashLoop(t, "everysec", 10)
	if lost != 0 {
		t.Fatalf("everysec: %d acknowledged writes lost over 10 kills; the oldest was acknowledged %v before its kill", lost, window)
	}
}
