package router

import (
	"context"
	"fmt"
	"strings"
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
	moves  []proto.Request // the LIST_MOVE tries' requests
	pushAt int             // the try that finds the element (0: never)
	pushed bool            // a LIST_PUSH came: the next try finds the element
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
			if j.Items[i].Reqs[0].Cmd == proto.CmdListPushRight {
				s.b.mu.Lock()
				s.b.pushed = true
				s.b.mu.Unlock()
				j.Answer(i, []byte("OK:INT 1"))
				continue
			}
			s.b.mu.Lock()
			s.b.tries = append(s.b.tries, time.Now())
			n, pushed := len(s.b.tries), s.b.pushed
			s.b.mu.Unlock()
			if r := j.Items[i].Reqs[0]; r.Cmd == proto.CmdListMove {
				s.b.mu.Lock()
				s.b.moves = append(s.b.moves, *r.Clone())
				s.b.mu.Unlock()
				if n == s.b.pushAt || pushed {
					j.Answer(i, []byte("OK:STR (3)job"))
				} else {
					j.Answer(i, []byte("NULL"))
				}
				continue
			}
			if j.Items[i].Reqs[0].Cmd != proto.CmdListPopLeft {
				j.Fail(i, &CommandError{Msg: "not a pop"})
				continue
			}
			if n == s.b.pushAt || pushed {
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
	req := &proto.Request{Cmd: proto.CmdListPopLeftWait, Str: [3][]byte{[]byte("jobs")}, Int: [3]int64{1, 60000}}
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

// TestWaitMoveTriesMoves: LIST_MOVE_WAIT tries LIST_MOVE of its two keys
// and ends until one takes an element, which it answers; with nothing
// coming it answers NULL, a move's empty reply, once its time is up.
func TestWaitMoveTriesMoves(t *testing.T) {
	c := testConn(t)
	b := &popBackend{pushAt: 3}
	c.srv.cfg.Backend = b
	req := &proto.Request{Cmd: proto.CmdListMoveWait, Str: [3][]byte{[]byte("jobs"), []byte("doing")},
		Ends: [2]proto.End{proto.EndRight, proto.EndLeft}, Int: [3]int64{0, 60000}}
	if got := string(c.waitPop(req, nil)); got != "OK:STR (3)job" {
		t.Fatalf("the move answered %q, want the element", got)
	}
	if len(b.moves) != 3 {
		t.Fatalf("%d tries, want 3: the third finds the element", len(b.moves))
	}
	for _, m := range b.moves {
		if string(m.Str[0]) != "jobs" || string(m.Str[1]) != "doing" || m.Ends != req.Ends {
			t.Fatalf("a try moved %q to %q, ends %v; want jobs to doing, %v", m.Str[0], m.Str[1], m.Ends, req.Ends)
		}
	}
	c.srv.cfg.Backend = &popBackend{}
	req.Int[1] = 60
	if got := string(c.waitPop(req, nil)); got != "NULL" {
		t.Fatalf("with nothing coming the move answered %q, want NULL", got)
	}
}

// TestWaitPopWakesOnPush: a pop waiting out a long wait between tries is
// woken by a push to its key through the same router, and takes the
// element at once.
func TestWaitPopWakesOnPush(t *testing.T) {
	c := testConn(t)
	b := &popBackend{}
	c.srv.cfg.Backend = b
	c.srv.pops.first, c.srv.pops.limit = time.Hour, time.Hour // only a push can end the wait
	answered := make(chan string, 1)
	go func() {
		req := &proto.Request{Cmd: proto.CmdListPopLeftWait, Str: [3][]byte{[]byte("jobs")}, Int: [3]int64{1, 3600000}}
		answered <- string(c.waitPop(req, nil))
	}()
	waitFor := func(what string, ok func() bool) {
		t.Helper()
		for deadline := time.Now().Add(10 * time.Second); !ok(); {
			if time.Now().After(deadline) {
				t.Fatalf("%s within 10 s", what)
			}
			time.Sleep(time.Millisecond)
		}
	}
	waitFor("the pop's first try", func() bool { return b.count() == 1 && c.srv.pops.n.Load() == 1 })

	pushWakes(t, c, answered, "LIST_PUSH_RIGHT (4)jobs (1)[(3)job]", "OK:LIST (1)[(3)job]")
}

// pushWakes sends push through another connection of c's server, in c's
// database, and checks that the pop waiting on c then answers want, within
// 10 s, and that no wait stays registered.
func pushWakes(t *testing.T, c *conn, answered <-chan string, push, want string) {
	t.Helper()
	pusher := newConn(c.srv, c.nc, wireVanity)
	pusher.sess = c.sess
	pusher.answer([]byte(push))
	select {
	case got := <-answered:
		if got != want {
			t.Fatalf("the woken pop answered %q, want %q", got, want)
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("%s did not wake the pop within 10 s", push)
	}
	if n := c.srv.pops.n.Load(); n != 0 {
		t.Errorf("%d waits still registered after the answer", n)
	}
}

// TestPushWakesOnlyItsKey: a done job's list pushes signal the pops
// waiting on their keys in their database, and no other.
func TestPushWakesOnlyItsKey(t *testing.T) {
	var w popWaiters
	jobs, other := make(chan struct{}, 1), make(chan struct{}, 1)
	w.add(0, []byte("jobs"), jobs)
	w.add(1, []byte("jobs"), other)
	push := func(db int, key string, err error) *Job {
		r := &proto.Request{Cmd: proto.CmdListPushRight, Str: [3][]byte{[]byte(key)}}
		return &Job{Items: []Item{{DB: db, Reqs: []*proto.Request{r}, Err: err}}}
	}
	signalled := func(ch chan struct{}) bool {
		select {
		case <-ch:
			return true
		default:
			return false
		}
	}
	w.pushed(push(0, "other", nil))
	w.pushed(push(0, "jobs", &CommandError{Msg: "failed"}))
	if signalled(jobs) || signalled(other) {
		t.Fatal("a push to another key, or a failed push, woke a pop")
	}
	w.pushed(push(0, "jobs", nil))
	if !signalled(jobs) || signalled(other) {
		t.Fatal("a push to jobs in database 0 did not wake its pop alone")
	}
	move := func(src, dst string) *Job {
		r := &proto.Request{Cmd: proto.CmdListMove, Str: [3][]byte{[]byte(src), []byte(dst)}}
		return &Job{Items: []Item{{DB: 0, Reqs: []*proto.Request{r}}}}
	}
	w.pushed(move("jobs", "done"))
	if signalled(jobs) {
		t.Fatal("a move out of jobs woke its pop")
	}
	w.pushed(move("todo", "jobs"))
	if !signalled(jobs) {
		t.Fatal("a move into jobs did not wake its pop")
	}
	w.remove(0, []byte("jobs"), jobs)
	w.remove(1, []byte("jobs"), other)
	if w.n.Load() != 0 || len(w.by) != 0 {
		t.Errorf("%d pops, %d keys left after removing them all", w.n.Load(), len(w.by))
	}
}

// listsBackend holds lists by key for pops of several keys: a pop takes
// the head of its key's list, a push appends to it; every try is recorded.
type listsBackend struct {
	mu    sync.Mutex
	lists map[string][]string
	tried []string // the keys popped, in order
}

func (b *listsBackend) NewSender() Sender             { return &listsSender{b: b} }
func (b *listsBackend) Persist(context.Context) error { return ErrPersistenceDisabled }

type listsSender struct {
	b    *listsBackend
	jobs []*Job
}

func (s *listsSender) Submit(j *Job) { s.jobs = append(s.jobs, j) }

func (s *listsSender) Flush() {
	s.b.mu.Lock()
	defer s.b.mu.Unlock()
	for _, j := range s.jobs {
		for i := range j.Items {
			r := j.Items[i].Reqs[0]
			k := string(r.Str[0])
			switch r.Cmd {
			case proto.CmdListPushRight:
				s.b.lists[k] = append(s.b.lists[k], string(r.Elems[0]))
				j.Answer(i, []byte("OK:INT 1"))
			case proto.CmdListPopLeft:
				s.b.tried = append(s.b.tried, k)
				if l := s.b.lists[k]; len(l) > 0 {
					s.b.lists[k] = l[1:]
					j.Answer(i, proto.AppendStrings([]byte("OK"), proto.TypeList, []string{l[0]}))
				} else {
					j.Answer(i, []byte("OK:LIST (0)[]"))
				}
			default:
				j.Fail(i, &CommandError{Msg: "not a pop or a push"})
			}
		}
	}
	s.jobs = s.jobs[:0]
}

// TestWaitPopOfSeveralKeys: LIST_POP_LEFT_WAIT_ANY tries its keys in
// order and answers the first that takes, its key before the element; a
// push to any of them wakes it; with nothing coming it answers the empty
// list once its time is up.
func TestWaitPopOfSeveralKeys(t *testing.T) {
	c := testConn(t)
	b := &listsBackend{lists: map[string][]string{"low": {"l1"}}}
	c.srv.cfg.Backend = b
	keys := [][]byte{[]byte("high"), []byte("low")}
	req := &proto.Request{Cmd: proto.CmdListPopLeftWaitAny, Elems: keys, Int: [3]int64{1, 60000}}
	if got := string(c.waitPop(req, nil)); got != "OK:LIST (2)[(3)low(2)l1]" {
		t.Fatalf("the pop answered %q, want low's element after its key", got)
	}
	if got := fmt.Sprint(b.tried); got != "[high low]" {
		t.Fatalf("tried %s, want high then low", got)
	}

	c.srv.pops.first, c.srv.pops.limit = time.Hour, time.Hour // only a push can end the wait
	answered := make(chan string, 1)
	go func() { answered <- string(c.waitPop(req, nil)) }()
	for deadline := time.Now().Add(10 * time.Second); c.srv.pops.n.Load() != 2; {
		if time.Now().After(deadline) {
			t.Fatal("the pop did not wait on both keys within 10 s")
		}
		time.Sleep(time.Millisecond)
	}
	pushWakes(t, c, answered, "LIST_PUSH_RIGHT (3)low (1)[(2)l2]", "OK:LIST (2)[(3)low(2)l2]")

	c.srv.pops.first, c.srv.pops.limit = 0, 0
	req.Int[1] = 50
	if got := string(c.waitPop(req, nil)); got != "OK:LIST (0)[]" {
		t.Fatalf("with nothing coming the pop answered %q", got)
	}
	req.Elems = nil
	if got := string(c.waitPop(req, nil)); !strings.Contains(got, "no key") {
		t.Fatalf("a pop of no key answered %q", got)
	}
}
