package router

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// popBackend answers pops with an empty list until its element is
// pushed (after a number of tries), and records when each try came.
type popBackend struct {
	mu     sync.Mutex
	tries  []time.Time
	pushAt int // the try that finds the element (0: never)
}

func (b *popBackend) NewSender() Sender             { return &popSender{b: b} }
func (b *popBackend) Persist(context.Context) error { return ErrPersistenceDisabled }
func (b *popBackend) count() int                    { b.mu.Lock(); defer b.mu.Unlock(); return len(b.tries) }
func (b *popBackend) gaps() (out []time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := 1; i < len(b.tries); i++ {
		out = append(out, b.tries[i].Sub(b.tries[i-1]))
	}
	return out
}

type popSender struct {
	b    *popBackend
	jobs []*Job
}

func (s *popSender) Submit(j *Job) { s.jobs = append(s.jobs, j) }

func (s *popSender) Flush() {
	for _, j := range s.jobs {
		for i := range j.Items {
			s.b.mu.Lock()
			s.b.tries = append(s.b.tries, time.Now())
			n := len(s.b.tries)
			s.b.mu.Unlock()
			if j.Items[i].Reqs[0].Cmd != proto.CmdListPopLeft {
				j.Fail(i, &CommandError{Msg: "not a pop"})
				continue
			}
			if n == s.b.pushAt {
				j.Answer(i, []byte("OK:LIST (1)[(3)job]"))
			} else {
				j.Answer(i, []byte("OK:LIST (0)[]"))
			}
		}
	}
	s.jobs = s.jobs[:0]
}

// TestWaitPopPolls: a blocking pop tries again, waiting longer each time
// (from 1 ms, doubling, at most maxPopWait), until a try takes an element,
// whose reply it answers; with nothing coming it answers the empty list
// once its time is up.
func TestWaitPopPolls(t *testing.T) {
	c := testConn(t)
	b := &popBackend{pushAt: 8}
	c.srv.cfg.Backend = b
	req := &proto.Request{Cmd: proto.CmdListPopLeftWait, Str: [3][]byte{[]byte("jobs")}, Int: [2]int64{1, 60000}}
	if got := string(c.waitPop(req, nil)); got != "OK:LIST (1)[(3)job]" {
		t.Fatalf("the pop answered %q, want the element", got)
	}
	if n := b.count(); n != 8 {
		t.Fatalf("%d tries, want 8: the eighth finds the element", n)
	}
	gaps := b.gaps()
	for i, g := range gaps {
		if want := min(time.Millisecond<<i, maxPopWait); g < want {
			t.Errorf("try %d came %v after the one before, want at least %v", i+2, g, want)
		}
	}

	c.srv.cfg.Backend = &popBackend{}
	req.Int[1] = 120
	start := time.Now()
	if got := string(c.waitPop(req, nil)); got != "OK:LIST (0)[]" {
		t.Fatalf("with nothing coming the pop answered %q", got)
	}
	if took := time.Since(start); took < 120*time.Millisecond || took > 5*time.Second {
		t.Errorf("with nothing coming the pop answered after %v, want its 120 ms", took)
	}
}
