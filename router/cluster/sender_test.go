package cluster

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/ring/gossip"
	"github.com/vanitydb/vanity/router"
)

// fakeNode is a storage node for the router's tests: it holds strings,
// answers runs as a node does (digests included), and can refuse, fail or
// stay silent.
type fakeNode struct {
	addr string
	mu   sync.Mutex
	data map[string]string
	runs []*rpc.Run // every run it was sent
	// What it does with a run: nil answers it.
	fail func(r *rpc.Run) error
	// wrongRing refuses commands on these keys (it does not serve them).
	wrongRing map[string]bool
	// refusesWrites refuses every write, as a node whose log failed.
	refusesWrites bool
	silent        bool // never answers (until the run's timeout)
	pingsLost     bool // leaves pings unanswered (a paused node), whatever it does with runs
	notConfirmed  bool // answers every serial write "not confirmed", unrun
	expired       bool // answers every command that it came past its deadline
	// gate, if set, holds every answer until it is closed.
	gate chan struct{}
	// delay, if set, is how long each answer takes.
	delay func() time.Duration
	// later, if set, takes each answer, for the test to deliver when it
	// chooses, on its own goroutine.
	later func(answer func())
}

func (n *fakeNode) Run(r *rpc.Run, timeout time.Duration, done func([]rpc.Item, error)) {
	if n.delay != nil {
		answer, d := done, n.delay()
		done = func(items []rpc.Item, err error) {
			time.AfterFunc(d, func() { answer(items, err) })
		}
	}
	if n.gate != nil {
		answer := done
		done = func(items []rpc.Item, err error) {
			go func() {
				<-n.gate
				answer(items, err)
			}()
		}
	}
	n.mu.Lock()
	// A copy: the sender recycles its runs once they are answered.
	n.runs = append(n.runs, &rpc.Run{Ring: r.Ring, Deadline: r.Deadline, Cmds: append([]rpc.Cmd(nil), r.Cmds...)})
	fail, silent := n.fail, n.silent
	n.mu.Unlock()
	if silent {
		go func() {
			time.Sleep(timeout) // the transport's timeout, as an unanswered call gets
			done(nil, fmt.Errorf("%w: silent node", rpc.ErrTimeout))
		}()
		return
	}
	if fail != nil {
		if err := fail(r); err != nil {
			go done(nil, err)
			return
		}
	}
	var items []rpc.Item
	n.mu.Lock()
	for _, c := range r.Cmds {
		if n.refusesWrites && c.Reqs[0].Cmd.Class() == proto.ClassWrite {
			for range c.Answers() {
				items = append(items, rpc.Item{Status: rpc.StatusRefused, Reply: []byte("disk full or failing")})
			}
			continue
		}
		if n.expired {
			for range c.Answers() {
				items = append(items, rpc.Item{Status: rpc.StatusExpired, Reply: []byte("arrived past its deadline")})
			}
			continue
		}
		if n.notConfirmed && c.ID != ([16]byte{}) {
			for range c.Answers() {
				items = append(items, rpc.Item{Status: rpc.StatusNotConfirmed, Reply: []byte("lost its majority")})
			}
			continue
		}
		if slices.ContainsFunc(c.Reqs[0].Keys(nil), func(k []byte) bool { return n.wrongRing[string(k)] }) {
			for range c.Answers() {
				items = append(items, rpc.Item{Status: rpc.StatusWrongRing, Reply: []byte("not held here")})
			}
			continue
		}
		if c.Digest != rpc.DigestOnly {
			for _, req := range c.Reqs {
				items = append(items, rpc.Item{Status: rpc.StatusOK, Reply: n.exec(req)})
			}
		}
		if c.Digest != rpc.DigestNone {
			var h uint64
			for _, k := range c.Reqs[0].Keys(nil) {
				for _, b := range []byte(n.data[string(k)]) {
					h = h*31 + uint64(b)
				}
			}
			items = append(items, rpc.Item{Status: rpc.StatusOK, Reply: binary.BigEndian.AppendUint64(nil, h)})
		}
	}
	later := n.later
	n.mu.Unlock()
	if later != nil {
		later(func() { done(items, nil) })
		return
	}
	go done(items, nil)
}

// Ping answers at once, or, from a silent node, fails at the timeout.
func (n *fakeNode) Ping(timeout time.Duration, done func(error)) {
	n.mu.Lock()
	silent := n.silent || n.pingsLost
	n.mu.Unlock()
	if silent {
		go func() {
			time.Sleep(timeout) // the transport's timeout, as an unanswered call gets
			done(fmt.Errorf("%w: silent node", rpc.ErrTimeout))
		}()
		return
	}
	go done(nil)
}

func (n *fakeNode) exec(req *proto.Request) []byte {
	switch req.Cmd {
	case proto.CmdSet:
		n.data[string(req.Key())] = string(req.Str[1])
		return []byte(proto.ReplyOK)
	case proto.CmdGet:
		v, ok := n.data[string(req.Key())]
		if !ok {
			return []byte(proto.ReplyNull)
		}
		return proto.AppendStr([]byte(proto.ReplyOK), v)
	case proto.CmdManyGet:
		out := proto.AppendContainerHeader([]byte(proto.ReplyOK), proto.TypeArr, len(req.Elems))
		for _, k := range req.Elems {
			if v, ok := n.data[string(k)]; ok {
				out = proto.AppendStr(out, v)
			} else {
				out = proto.AppendNull(out)
			}
		}
		return proto.AppendContainerEnd(out, proto.TypeArr)
	}
	return []byte("ERROR")
}

// testBackend is a Backend routing by a fixed table over fake nodes: each
// partition's candidates are its ring replicas, in order.
func testBackend(t *testing.T, replicas int, nodes ...*fakeNode) *Backend {
	t.Helper()
	const partitions = 16
	var members []ring.Member
	byAddr := map[string]*fakeNode{}
	for _, n := range nodes {
		n.data = map[string]string{}
		members = append(members, ring.Member{ID: n.addr, Addr: n.addr})
		byAddr[n.addr] = n
	}
	r, err := ring.New(members, partitions, replicas)
	if err != nil {
		t.Fatal(err)
	}
	rt := &routes{ring: r, owners: make([][]string, partitions), failed: map[string]string{}}
	for p := range rt.owners {
		for _, i := range r.Replicas(p) {
			rt.owners[p] = append(rt.owners[p], r.Member(int(i)).Addr)
		}
	}
	b := &Backend{cfg: Config{RetryFor: time.Second,
		RequestTimeout: 200 * time.Millisecond, MaxClockOffset: 10 * time.Millisecond, Now: time.Now, MaxInFlight: 2, MaxSerialInFlight: 2},
		log: slog.New(slog.DiscardHandler), health: health{nodes: map[string]*nodeHealth{}},
		dial: func(addr string) Transport { return byAddr[addr] }}
	b.life, b.endLife = context.WithCancel(context.Background())
	b.shape.Store(newShape(gossip.Shape{Partitions: partitions, Replicas: replicas}))
	b.routes.Store(rt)
	t.Cleanup(func() {
		b.endLife()
		b.wg.Wait()
	})
	return b
}

// keyOn returns a key whose partition's candidates start with the nodes
// given, in that order.
func keyOn(t *testing.T, b *Backend, addrs ...string) string {
	t.Helper()
	rt := b.routes.Load()
	for i := 0; i < 100000; i++ {
		k := fmt.Sprintf("k%d", i)
		owners := rt.owners[b.partition([]byte(k))]
		if len(owners) >= len(addrs) && strings.Join(owners[:len(addrs)], ",") == strings.Join(addrs, ",") {
			return k
		}
	}
	t.Fatalf("no key on %v", addrs)
	return ""
}

func req(t *testing.T, text string) *proto.Request {
	t.Helper()
	var r proto.Request
	if err := proto.ParseRequest([]byte(text), &r); err != proto.ErrNone {
		t.Fatalf("%q: %v", text, err)
	}
	return r.Clone()
}

func enc(k string) string { return fmt.Sprintf("(%d)%s", len(k), k) }

// runJob submits one job of the given requests (each its own item, at
// QUORUM) through a fresh sender and returns each item's reply or error.
func runJob(t *testing.T, b *Backend, texts ...string) []string {
	t.Helper()
	j := &router.Job{}
	for _, text := range texts {
		j.Items = append(j.Items, router.Item{Reqs: []*proto.Request{req(t, text)}})
	}
	router.NewWaitSender(b.NewSender()).Run(j)
	out := make([]string, len(j.Items))
	for i, it := range j.Items {
		if it.Err != nil {
			out[i] = "error: " + it.Err.Error()
			continue
		}
		for _, r := range it.Replies {
			out[i] += string(r)
		}
	}
	return out
}

// TestOneRunPerNodePerFlush: the items of a flush go to the nodes that
// coordinate their partitions, one run per node, in order.
func TestOneRunPerNodePerFlush(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 1, a, c)
	ka, kc := keyOn(t, b, "a"), keyOn(t, b, "c")
	got := runJob(t, b, "SET:STR "+enc(ka)+" (1)1", "SET:STR "+enc(kc)+" (1)2", "GET "+enc(ka), "GET "+enc(kc))
	want := []string{"OK", "OK", "OK:STR (1)1", "OK:STR (1)2"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	for _, n := range []*fakeNode{a, c} {
		if len(n.runs) != 1 || len(n.runs[0].Cmds) != 2 || n.runs[0].Deadline == 0 {
			t.Fatalf("node %s got %d runs (%v)", n.addr, len(n.runs), n.runs)
		}
	}
}

// TestReadGoesToTheNextReplica: a run that never reached its node (the
// node refuses connections) goes whole to the next replica, at once; a
// read whose node dropped the connection after it was sent is sent again
// too, but a write is not: it answers that it is not confirmed.
func TestReadGoesToTheNextReplica(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	c.data[k] = "v"
	a.fail = func(*rpc.Run) error { return fmt.Errorf("%w: connection refused", rpc.ErrNotSent) }
	// ONE, so that the read is not a digest read.
	j := &router.Job{Items: []router.Item{
		{Levels: [2]proto.Consistency{proto.ConsOne, proto.ConsOne}, Reqs: []*proto.Request{req(t, "GET "+enc(k))}},
		{Levels: [2]proto.Consistency{proto.ConsOne, proto.ConsOne}, Reqs: []*proto.Request{req(t, "SET:STR "+enc(k)+" (1)w")}},
	}}
	router.NewWaitSender(b.NewSender()).Run(j)
	if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK:STR (1)v" || j.Items[1].Err != nil {
		t.Fatalf("refused node: %+v", j.Items)
	}
	if !b.suspected("a") {
		t.Fatal("the refusing node is not suspected")
	}
	b.healthy("a", 0)
	a.fail = func(*rpc.Run) error { return fmt.Errorf("%w: connection reset", rpc.ErrClosed) }
	k2 := ""
	for i := 0; k2 == ""; i++ { // another key whose coordinator is a
		if o := fmt.Sprintf("other%d", i); b.routes.Load().owners[b.partition([]byte(o))][0] == "a" {
			k2 = o
		}
	}
	got := runJob(t, b, "GET "+enc(k), "SET:STR "+enc(k2)+" (1)x")
	if got[0] != "OK:STR (1)w" {
		t.Fatalf("a read on a node that dropped the connection: %q", got[0])
	}
	if !strings.Contains(got[1], "not confirmed") {
		t.Fatalf("a write on a node that dropped the connection: %q", got[1])
	}
	// A read pipelined before a write of its own key is not run
	// elsewhere: the write may have run on the node that dropped the
	// connection, and the read there could answer it.
	b.healthy("a", 0)
	before := len(c.runs)
	got = runJob(t, b, "GET "+enc(k), "SET:STR "+enc(k)+" (1)y")
	if !strings.Contains(got[0], "is not run on another replica") || !strings.Contains(got[1], "not confirmed") {
		t.Fatalf("a read and a write of one key on a node that dropped the connection: %q", got)
	}
	if len(c.runs) != before {
		t.Fatalf("the read tied to a write of its key was sent to %s: %v", c.addr, c.runs[before].Cmds)
	}
}

// TestTiedReadWaitsForItsRun: a read pipelined before a write of its key
// is not hedged to another replica when its node is slow: run there, it
// could answer the write its node applied meanwhile. It waits for its
// own run's answer, as the write does.
func TestTiedReadWaitsForItsRun(t *testing.T) {
	a, c := &fakeNode{addr: "a", gate: make(chan struct{})}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	a.data[k], c.data[k] = "on a", "on c"
	slow := make(chan bool, 1)
	go func() {
		// The gate opens once the run was found slow (a suspected), or
		// after a while (the test then fails below).
		deadline := time.Now().Add(5 * time.Second)
		for !b.suspected("a") && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond) // polling the backend's suspicion
		}
		slow <- b.suspected("a")
		close(a.gate)
	}()
	got := runJob(t, b, "GET "+enc(k), "SET:STR "+enc(k)+" (1)w")
	if got[0] != "OK:STR (4)on a" || got[1] != "OK" {
		t.Fatalf("a read and a write of one key on a slow node: %q", got)
	}
	if !<-slow {
		t.Fatal("the slow node was not suspected")
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.runs) > 0 {
		t.Fatalf("the slow node's read was hedged to %s: %v", c.addr, c.runs[0].Cmds)
	}
}

// TestSilentNodeIsPassedOver: a node that does not answer is suspected
// within its slow bound; its reads are sent to the next replica then, and
// the next commands go there directly.
func TestSilentNodeIsPassedOver(t *testing.T) {
	a, c := &fakeNode{addr: "a", silent: true}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	c.data[k] = "v"
	j := &router.Job{Items: []router.Item{
		{Levels: [2]proto.Consistency{proto.ConsOne, proto.ConsOne}, Reqs: []*proto.Request{req(t, "GET "+enc(k))}}}}
	start := time.Now()
	hedged := testutil.ToFloat64(routerRPCMetrics().hedged)
	router.NewWaitSender(b.NewSender()).Run(j)
	if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK:STR (1)v" {
		t.Fatalf("read: %+v", j.Items[0])
	}
	if n := testutil.ToFloat64(routerRPCMetrics().hedged) - hedged; n != 1 {
		t.Errorf("vanity_router_hedged_reads_total grew by %v, want 1", n)
	}
	if waited := time.Since(start); waited >= b.cfg.RequestTimeout {
		t.Fatalf("the read waited %v, the whole timeout", waited)
	}
	if !b.suspected("a") {
		t.Fatal("the silent node is not suspected")
	}
	before := len(a.runs)
	runJob(t, b, "GET "+enc(k))
	if len(a.runs) != before {
		t.Fatal("a suspected node still got commands")
	}
}

// TestSilentSerialNodeIsPassedOver: a SERIAL read sent to a node that
// does not answer is not hedged on its time alone (rounds of consensus
// are slow), but once the node does not answer a ping either, it is
// suspected and the read goes to the next replica, well before the
// request timeout; a node that answers its pings keeps its slow serial
// runs (TestSerialRunsQueue holds answers back without a hedge).
func TestSilentSerialNodeIsPassedOver(t *testing.T) {
	a, c := &fakeNode{addr: "a", silent: true}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	c.data[k] = "v"
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "GET "+enc(k))}}}}
	start := time.Now()
	router.NewWaitSender(b.NewSender()).Run(j)
	if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK:STR (1)v" {
		t.Fatalf("read: %+v", j.Items[0])
	}
	if waited := time.Since(start); waited >= b.cfg.RequestTimeout {
		t.Fatalf("the read waited %v, the whole timeout", waited)
	}
	if !b.suspected("a") {
		t.Fatal("the silent node is not suspected")
	}
}

// TestSerialBacklogLeavesASilentNode: serial commands queued behind the
// serial runs in flight to a node (MaxSerialInFlight) go to the next
// replica as soon as the node is found not to answer its ping, not when
// the runs ahead of them time out.
func TestSerialBacklogLeavesASilentNode(t *testing.T) {
	a, c := &fakeNode{addr: "a", silent: true}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	c.data[k] = "v"
	s := b.NewSender()
	var answered sync.WaitGroup
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	var jobs []*router.Job
	start := time.Now()
	for range 4 {
		answered.Add(1)
		j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "GET "+enc(k))}}},
			Done: func(*router.Job) { answered.Done() }}
		j.Start()
		s.Submit(j)
		s.Flush()
		jobs = append(jobs, j)
	}
	a.mu.Lock()
	sent := len(a.runs)
	a.mu.Unlock()
	if sent != 2 { // MaxSerialInFlight is 2: the other reads wait
		t.Fatalf("%d serial runs sent to a, want 2 in flight and the rest queued", sent)
	}
	answered.Wait()
	if waited := time.Since(start); waited >= b.cfg.RequestTimeout {
		t.Fatalf("the reads waited %v, the whole timeout", waited)
	}
	for i, j := range jobs {
		if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK:STR (1)v" {
			t.Errorf("read %d: %+v", i, j.Items[0])
		}
	}
}

// queuedWrites submits n writes of key k, each its own job flushed at
// once (the first MaxInFlight go, the rest queue behind them), and
// returns the jobs, and a wait for all their answers that returns how
// long each took.
func queuedWrites(t *testing.T, b *Backend, k string, n int) ([]*router.Job, func() []time.Duration) {
	s := b.NewSender()
	var answered sync.WaitGroup
	took := make([]time.Duration, n)
	var jobs []*router.Job
	start := time.Now()
	for i := range n {
		answered.Add(1)
		j := &router.Job{Items: []router.Item{{Reqs: []*proto.Request{req(t, fmt.Sprintf("SET:STR %s (1)%d", enc(k), i))}}},
			Done: func(*router.Job) {
				took[i] = time.Since(start)
				answered.Done()
			}}
		j.Start()
		s.Submit(j)
		s.Flush()
		jobs = append(jobs, j)
	}
	return jobs, func() []time.Duration {
		answered.Wait()
		return took
	}
}

// checkQueuedWrites checks that a node got only the first inFlight of
// jobs, writes that are not confirmed, and that the others were
// acknowledged by c, which holds the last.
func checkQueuedWrites(t *testing.T, a, c *fakeNode, k string, jobs []*router.Job, inFlight int) {
	t.Helper()
	a.mu.Lock()
	sent := len(a.runs)
	a.mu.Unlock()
	if sent != inFlight {
		t.Fatalf("%d runs sent to a, want the %d in flight only", sent, inFlight)
	}
	for i, j := range jobs {
		it := j.Items[0]
		switch {
		case i < inFlight && (it.Err == nil || !strings.Contains(it.Err.Error(), "not confirmed")):
			t.Errorf("write %d, sent to the silent node: %+v, want not confirmed", i, it)
		case i >= inFlight && (it.Err != nil || string(it.Replies[0]) != "OK"):
			t.Errorf("write %d, queued: %+v, want OK from the next replica", i, it)
		}
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if want := fmt.Sprint(len(jobs) - 1); c.data[k] != want {
		t.Errorf("c holds %q, want %q, the last write", c.data[k], want)
	}
}

// TestBacklogLeavesASlowNode: writes queued behind the runs in flight to
// a node that does not answer (MaxInFlight) never reach it: once the
// node is found slow they go to the next replica and are acknowledged,
// well before the timeout; the writes in flight are not confirmed.
func TestBacklogLeavesASlowNode(t *testing.T) {
	a, c := &fakeNode{addr: "a", silent: true}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	jobs, wait := queuedWrites(t, b, k, 4)
	took := wait()
	checkQueuedWrites(t, a, c, k, jobs, 2)
	for i, d := range took[2:] {
		if d >= b.cfg.RequestTimeout {
			t.Errorf("queued write %d took %v, the whole timeout", i+2, d)
		}
	}
}

// TestBacklogLeavesANodeThatFellSilent: when a run to a node fails for
// want of an answer (here its connection was taken for dead), the writes
// queued behind it go to the next replica at once, not to that node with
// a fresh deadline.
func TestBacklogLeavesANodeThatFellSilent(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	var calls atomic.Int32
	a.delay = func() time.Duration {
		if calls.Add(1) == 1 {
			return 0
		}
		return b.cfg.RequestTimeout + b.cfg.MaxClockOffset
	}
	a.fail = func(*rpc.Run) error {
		if calls.Load() == 1 {
			return fmt.Errorf("%w (a call beside it timed out)", rpc.ErrSilent)
		}
		return fmt.Errorf("%w: silent node", rpc.ErrTimeout)
	}
	a.gate = make(chan struct{}) // no failure before every write is sent or queued
	jobs, wait := queuedWrites(t, b, k, 4)
	close(a.gate)
	wait()
	checkQueuedWrites(t, a, c, k, jobs, 2)
}

// TestBacklogWaitsForTheTurn: a run that comes back while the sender's
// loop reads the backend's sockets leaves the node's backlog for the
// loop's Flush, which sends it in one run with what the turn submitted,
// instead of sending it alone at once and queuing the turn's commands
// behind it.
func TestBacklogWaitsForTheTurn(t *testing.T) {
	a := &fakeNode{addr: "a"}
	var mu sync.Mutex
	var answers []func()
	a.later = func(answer func()) {
		mu.Lock()
		defer mu.Unlock()
		answers = append(answers, answer)
	}
	b := testBackend(t, 1, a)
	k := enc(keyOn(t, b, "a"))
	s := b.NewSender().(*Sender)
	var answered sync.WaitGroup
	submit := func(i int) {
		answered.Add(1)
		j := &router.Job{Items: []router.Item{{Reqs: []*proto.Request{req(t, fmt.Sprintf("SET:STR %s (1)%d", k, i))}}},
			Done: func(*router.Job) { answered.Done() }}
		j.Start()
		s.Submit(j)
	}
	runs := func() []*rpc.Run {
		a.mu.Lock()
		defer a.mu.Unlock()
		return append([]*rpc.Run(nil), a.runs...)
	}
	for i := range 3 { // two runs in flight (MaxInFlight), the third waits
		submit(i)
		s.Flush()
	}
	if got := runs(); len(got) != 2 {
		t.Fatalf("%d runs sent, want the 2 in flight", len(got))
	}
	s.Polling(true)
	mu.Lock()
	first := answers[0]
	mu.Unlock()
	first() // the first run comes back while the loop polls
	if got := runs(); len(got) != 2 {
		t.Fatalf("the backlog left while the loop polled (%d runs)", len(got))
	}
	if !s.Polling(false) {
		t.Fatal("Polling(false) did not report the backlog waiting for Flush")
	}
	submit(3) // the turn's command
	s.Flush()
	got := runs()
	if len(got) != 3 || len(got[2].Cmds) != 2 || string(got[2].Cmds[0].Reqs[0].Str[1]) != "2" {
		t.Fatalf("runs %v; want the waiting write and the turn's in one third run, in that order", got)
	}
	s.Polling(true)
	s.Polling(false)
	// Outside a poll, an answer sends the backlog at once.
	submit(4)
	s.Flush() // queued: two runs in flight
	mu.Lock()
	rest := answers[1:]
	mu.Unlock()
	rest[0]()
	if got := runs(); len(got) != 4 {
		t.Fatalf("%d runs after an answer outside a poll, want the backlog sent at once (4)", len(got))
	}
	mu.Lock()
	rest = answers[2:]
	mu.Unlock()
	for _, answer := range rest {
		answer()
	}
	answered.Wait()
}

// TestWrongRingIsRetriedElsewhere: a node that no longer serves a
// partition refuses its commands; they go to the next candidate, in order.
func TestWrongRingIsRetriedElsewhere(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	a.wrongRing = map[string]bool{k: true}
	got := runJob(t, b, "SET:STR "+enc(k)+" (1)1", "SET:STR "+enc(k)+" (1)2")
	if got[0] != "OK" || got[1] != "OK" || c.data[k] != "2" {
		t.Fatalf("got %q, c holds %q", got, c.data[k])
	}
}

// TestMovedPartitionSplitsACommand: a MANY_GET over two partitions of one
// node is refused there once one of them has moved to another node; it is
// then split across the two (not retried on the first node until RetryFor
// passes).
func TestMovedPartitionSplitsACommand(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 1, a, c)
	k1 := keyOn(t, b, "a")
	k2 := ""
	for i := 0; k2 == ""; i++ {
		if k := fmt.Sprintf("%s-%d", k1, i); b.partition([]byte(k)) != b.partition([]byte(k1)) &&
			b.routes.Load().owners[b.partition([]byte(k))][0] == "a" {
			k2 = k
		}
	}
	a.data[k1], c.data[k2] = "x", "y"
	a.wrongRing = map[string]bool{k2: true}
	var once sync.Once
	a.later = func(answer func()) {
		once.Do(func() { // k2's partition moves to c while the first sending is under way
			rt := *b.routes.Load()
			rt.owners = slices.Clone(rt.owners)
			rt.owners[b.partition([]byte(k2))] = []string{"c"}
			b.routes.Store(&rt)
		})
		answer()
	}
	got := runJob(t, b, "MANY_GET (2)["+enc(k1)+enc(k2)+"]")
	if got[0] != "OK:ARR (2)[:STR (1)x:STR (1)y]" {
		t.Fatalf("MANY_GET after a move: %q", got[0])
	}
}

// TestFailoverSplitsACommand: a MANY_GET over two partitions whose first
// replica (their coordinator) is down, and whose next replicas differ,
// is split across those next replicas once the first of them refuses the
// partition it does not hold.
func TestFailoverSplitsACommand(t *testing.T) {
	a, c, d := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}, &fakeNode{addr: "d"}
	b := testBackend(t, 2, a, c, d)
	k1, k2 := keyOn(t, b, "a", "c"), keyOn(t, b, "a", "d")
	c.data[k1], d.data[k2] = "x", "y"
	c.wrongRing, d.wrongRing = map[string]bool{k2: true}, map[string]bool{k1: true}
	a.fail = func(*rpc.Run) error { return fmt.Errorf("%w: connection refused", rpc.ErrNotSent) }
	for _, keys := range [][2]string{{k1, k2}, {k2, k1}} {
		got := runJob(t, b, "MANY_GET (2)["+enc(keys[0])+enc(keys[1])+"]")
		want := "OK:ARR (2)[:STR (1)" + c.data[keys[0]] + d.data[keys[0]] + ":STR (1)" + c.data[keys[1]] + d.data[keys[1]] + "]"
		if got[0] != want {
			t.Fatalf("MANY_GET %v with their coordinator down: %q, want %q", keys, got[0], want)
		}
	}
}

// TestRefusedWriteGoesToTheNextReplica: a coordinator whose log failed
// refuses writes (not run); another replica coordinates them, and reads
// stay with it. When every candidate refuses, the client gets the reason.
func TestRefusedWriteGoesToTheNextReplica(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	a.refusesWrites = true
	a.data[k] = "old"
	got := runJob(t, b, "SET:STR "+enc(k)+" (1)1", "GET "+enc(k))
	if got[0] != "OK" || c.data[k] != "1" || got[1] != "OK:STR (3)old" {
		t.Fatalf("got %q, c holds %q", got, c.data[k])
	}
	c.refusesWrites = true
	refused := testutil.ToFloat64(routerRPCMetrics().failed.WithLabelValues("refused"))
	if got := runJob(t, b, "SET:STR "+enc(k)+" (1)2"); got[0] != "error: disk full or failing" {
		t.Fatalf("every replica refusing: %q", got)
	}
	if n := testutil.ToFloat64(routerRPCMetrics().failed.WithLabelValues("refused")) - refused; n < 2 {
		t.Errorf(`vanity_router_command_failures_total{status="refused"} grew by %v, want a refusal from each replica`, n)
	}
}

// TestDigestRead: a QUORUM read of 3 copies runs on the coordinator and
// asks one other replica for its digest; equal digests answer the
// coordinator's reply; different ones make the coordinator run it as a
// quorum read (here: a plain read at QUORUM, which the fake answers).
func TestDigestRead(t *testing.T) {
	a, c, d := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}, &fakeNode{addr: "d"}
	b := testBackend(t, 3, a, c, d)
	k := keyOn(t, b, "a", "c")
	a.data[k], c.data[k] = "v", "v"
	if got := runJob(t, b, "GET "+enc(k)); got[0] != "OK:STR (1)v" {
		t.Fatalf("read: %q", got)
	}
	if len(a.runs) != 1 || a.runs[0].Cmds[0].Digest != rpc.WithDigest || a.runs[0].Cmds[0].Read != proto.ConsOne ||
		len(c.runs) != 1 || c.runs[0].Cmds[0].Digest != rpc.DigestOnly || len(d.runs) != 0 {
		t.Fatalf("runs: a %v, c %v, d %v", a.runs, c.runs, d.runs)
	}
	c.data[k] = "older"
	if got := runJob(t, b, "GET "+enc(k)); got[0] != "OK:STR (1)v" {
		t.Fatalf("read with replicas that differ: %q", got)
	}
	last := a.runs[len(a.runs)-1].Cmds[0]
	if last.Digest != rpc.DigestNone || last.Read != proto.ConsQuorum {
		t.Fatalf("the coordinator was not asked for a quorum read: %+v", last)
	}
}

// TestSerialDigestRead: a SERIAL read of one key goes WithDigest to the
// key's first replica, naming the replica asked DigestOnly in the same
// turn, both in serial runs; it is answered when the two agree, and sent
// again as an ordinary serial read (no digest) when they do not.
func TestSerialDigestRead(t *testing.T) {
	a, c, d := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}, &fakeNode{addr: "d"}
	b := testBackend(t, 3, a, c, d)
	k := keyOn(t, b, "a", "c")
	a.data[k], c.data[k] = "v", "v"
	read := func() string {
		j := &router.Job{Items: []router.Item{{Levels: [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial},
			Reqs: []*proto.Request{req(t, "GET "+enc(k))}}}}
		router.NewWaitSender(b.NewSender()).Run(j)
		if it := j.Items[0]; it.Err != nil || len(it.Replies) != 1 {
			return fmt.Sprintf("error %v, %d replies", it.Err, len(it.Replies))
		}
		return string(j.Items[0].Replies[0])
	}
	if got := read(); got != "OK:STR (1)v" {
		t.Fatalf("read: %q", got)
	}
	first, other := a.runs[0].Cmds[0], c.runs[0].Cmds[0]
	if len(a.runs) != 1 || first.Digest != rpc.WithDigest || first.Peer != "c" || first.Read != proto.ConsSerial ||
		len(c.runs) != 1 || other.Digest != rpc.DigestOnly || other.Peer != "" || len(d.runs) != 0 {
		t.Fatalf("runs: a %+v, c %+v, d %v", a.runs, c.runs, d.runs)
	}
	c.data[k] = "older"
	if got := read(); got != "OK:STR (1)v" {
		t.Fatalf("read with registers that differ: %q", got)
	}
	if last := a.runs[len(a.runs)-1].Cmds[0]; last.Digest != rpc.DigestNone || !proto.Serial(last.Read, last.Write, last.Reqs) {
		t.Fatalf("the read was not sent again as an ordinary serial read: %+v", last)
	}
}

// TestDigestAsksThePartner: a digest read asks the replica whose node
// comes after the coordinator's by name (ring.ByPartner), the one a
// proposer there asks first on the serial path, not the next in the
// ring's order; a failed partner is passed over.
func TestDigestAsksThePartner(t *testing.T) {
	a, c, d := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}, &fakeNode{addr: "d"}
	b := testBackend(t, 3, a, c, d)
	k := keyOn(t, b, "c", "a", "d")
	for _, n := range []*fakeNode{a, c, d} {
		n.data[k] = "v"
	}
	for _, levels := range [][2]proto.Consistency{{proto.ConsQuorum, proto.ConsQuorum}, {proto.ConsSerial, proto.ConsSerial}} {
		a.runs, c.runs, d.runs = nil, nil, nil
		j := &router.Job{Items: []router.Item{{Levels: levels, Reqs: []*proto.Request{req(t, "GET "+enc(k))}}}}
		router.NewWaitSender(b.NewSender()).Run(j)
		if it := j.Items[0]; it.Err != nil || len(it.Replies) != 1 || string(it.Replies[0]) != "OK:STR (1)v" {
			t.Fatalf("%v: %v %q", levels, it.Err, it.Replies)
		}
		if len(c.runs) != 1 || len(d.runs) != 1 || d.runs[0].Cmds[0].Digest != rpc.DigestOnly || len(a.runs) != 0 {
			t.Errorf("%v: runs c %d, d %d, a %d; want the digest from d, c's partner", levels, len(c.runs), len(d.runs), len(a.runs))
		}
	}
	rt := *b.routes.Load()
	rt.failed = map[string]string{"d": "d"}
	b.routes.Store(&rt)
	a.runs, c.runs, d.runs = nil, nil, nil
	if got := runJob(t, b, "GET "+enc(k)); got[0] != "OK:STR (1)v" {
		t.Fatalf("read with the partner failed: %q", got)
	}
	if len(a.runs) != 1 || a.runs[0].Cmds[0].Digest != rpc.DigestOnly || len(d.runs) != 0 {
		t.Errorf("with d failed: runs a %d, d %d; want the digest from a", len(a.runs), len(d.runs))
	}
}

// TestScatterGather: a MANY_GET over partitions of different nodes is
// split, and the values come back in the order asked.
func TestScatterGather(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 1, a, c)
	ka, kc := keyOn(t, b, "a"), keyOn(t, b, "c")
	a.data[ka], c.data[kc] = "x", "y"
	got := runJob(t, b, "MANY_GET (3)["+enc(kc)+enc(ka)+enc("nope-"+kc)+"]")
	r, err := proto.ParseReply([]byte(got[0]))
	if err != nil || len(r.Value.Elems) != 3 || string(r.Value.Elems[0].Str) != "y" || string(r.Value.Elems[1].Str) != "x" ||
		r.Value.Elems[2].Type != proto.TypeNull {
		t.Fatalf("MANY_GET: %q %v", got[0], err)
	}
}

// TestTransactionsStayInOnePartition: a transaction over two partitions is
// refused with a hint; over one, it runs as one command.
func TestTransactionsStayInOnePartition(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 1, a, c)
	ka, kc := keyOn(t, b, "a"), keyOn(t, b, "c")
	j := &router.Job{Items: []router.Item{{Reqs: []*proto.Request{req(t, "SET:STR "+enc(ka)+" (1)1"), req(t, "GET "+enc(kc))}}}}
	router.NewWaitSender(b.NewSender()).Run(j)
	var ce *router.CommandError
	if !errors.As(j.Items[0].Err, &ce) || !strings.Contains(ce.Msg, "{tags}") {
		t.Fatalf("a transaction over two partitions: %v", j.Items[0].Err)
	}
	j = &router.Job{Items: []router.Item{{Reqs: []*proto.Request{req(t, "SET:STR "+enc(ka)+" (1)1"), req(t, "GET "+enc(ka))}}}}
	router.NewWaitSender(b.NewSender()).Run(j)
	if j.Items[0].Err != nil || len(j.Items[0].Replies) != 2 || string(j.Items[0].Replies[1]) != "OK:STR (1)1" || len(a.runs[len(a.runs)-1].Cmds) != 1 {
		t.Fatalf("a transaction in one partition: %+v", j.Items[0])
	}
}

// TestResentWriteNeverSaysItDidNotRun: a serial write whose second
// sending (after the first failed once sent) comes to a node past its
// deadline answers "not confirmed", since the first may have run; a
// client's RETRY likewise.
func TestResentWriteNeverSaysItDidNotRun(t *testing.T) {
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	for _, text := range []string{"SET:STR %s (1)w", "RETRY (2)r1 SET:STR %s (1)w"} {
		a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
		b := testBackend(t, 2, a, c)
		k := keyOn(t, b, "a", "c")
		a.fail = func(*rpc.Run) error { return fmt.Errorf("%w: connection reset", rpc.ErrClosed) }
		a.expired = true
		c.expired = true
		j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, fmt.Sprintf(text, enc(k)))}}}}
		router.NewWaitSender(b.NewSender()).Run(j)
		if err := j.Items[0].Err; err == nil || !strings.Contains(err.Error(), "not confirmed") || strings.Contains(err.Error(), "did not run") {
			t.Errorf("%q: %v, want not confirmed", text, err)
		}
	}
}

// TestSerialWriteLeavesASilentNode: a serial write (it has an id) sent
// to a node that answers neither the run nor a ping goes to the next
// replica, marked as sent again with the time from which its first
// sending may have run, and that replica settles it; but only once the
// first sending's deadline and the clocks' offset have passed, when it
// can no longer run there (a write sent again may run where its key's
// record shows no sending did, and the first sending, still under way,
// could otherwise run after it: docs/decisions.md, "A write sent again
// leaves past its first sending's deadline").
func TestSerialWriteLeavesASilentNode(t *testing.T) {
	a, c := &fakeNode{addr: "a", silent: true}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	b.cfg.RequestTimeout = 300 * time.Millisecond // above the ping's bound
	b.cfg.MaxClockOffset = 50 * time.Millisecond
	k := keyOn(t, b, "a", "c")
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "SET:STR "+enc(k)+" (1)w")}}}}
	start := time.Now()
	router.NewWaitSender(b.NewSender()).Run(j)
	if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK" {
		t.Fatalf("write: %+v", j.Items[0])
	}
	// The first deadline is a millisecond's rounding after start.
	if waited, least := time.Since(start), b.cfg.RequestTimeout+b.cfg.MaxClockOffset-time.Millisecond; waited < least {
		t.Fatalf("the write was answered after %v, before the first sending's deadline and the clock offset (%v)", waited, least)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.runs) != 1 || !c.runs[0].Cmds[0].Resent || c.runs[0].Cmds[0].RanFrom <= 0 {
		t.Fatalf("c got %d runs, the first %+v; want the write sent again, with the time it may have run from", len(c.runs), c.runs[0].Cmds[0])
	}
}

// TestSerialWriteTakesItsSlowNodesAnswer: a serial write to a node that
// leaves a ping unanswered (paused) but answers the write before its
// deadline gets that answer; it is not handed to another replica, which
// would skip this answer and could report a write that ran "not
// confirmed".
func TestSerialWriteTakesItsSlowNodesAnswer(t *testing.T) {
	a, c := &fakeNode{addr: "a", pingsLost: true}, &fakeNode{addr: "c"}
	a.delay = func() time.Duration { return 300 * time.Millisecond }
	b := testBackend(t, 2, a, c)
	b.cfg.RequestTimeout = time.Second // well above the ping's bound and the answer's delay
	k := keyOn(t, b, "a", "c")
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "SET:STR "+enc(k)+" (1)w")}}}}
	router.NewWaitSender(b.NewSender()).Run(j)
	if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK" {
		t.Fatalf("write: %+v", j.Items[0])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.runs) != 0 {
		t.Fatalf("the write went to c too (%d runs) while a answered it", len(c.runs))
	}
}

// TestResentWriteIsNotConfirmedPastItsFirstDeadline: a serial write that
// left a silent node for the next replica, which cannot settle it ("not
// confirmed"), is reported so only once the first sending's deadline and
// the clocks' offset have passed: until then that sending could still
// take effect, after the report.
func TestResentWriteIsNotConfirmedPastItsFirstDeadline(t *testing.T) {
	a, c := &fakeNode{addr: "a", silent: true}, &fakeNode{addr: "c", notConfirmed: true}
	b := testBackend(t, 2, a, c)
	b.cfg.RequestTimeout = time.Second
	k := keyOn(t, b, "a", "c")
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "SET:STR "+enc(k)+" (1)w")}}}}
	router.NewWaitSender(b.NewSender()).Run(j)
	answered := time.Now()
	if j.Items[0].Err == nil { // the fake node's own "not confirmed" message
		t.Fatalf("write: %+v, want not confirmed", j.Items[0])
	}
	a.mu.Lock()
	first := a.runs[0].Deadline
	a.mu.Unlock()
	if past := time.UnixMilli(first).Add(b.cfg.MaxClockOffset); answered.Before(past) {
		t.Fatalf("reported not confirmed %v before the first sending's deadline and offset", past.Sub(answered))
	}
}

// TestRenameStaysInOnePartition: RENAME (and LIST_MOVE) between two
// partitions is refused even when one node coordinates both (which node
// does is up to the ring), with the remedy; within a partition it goes
// to its coordinator.
func TestRenameStaysInOnePartition(t *testing.T) {
	a := &fakeNode{addr: "a"}
	b := testBackend(t, 1, a)
	k1 := keyOn(t, b, "a")
	k2 := k1
	for i := 0; b.partition([]byte(k2)) == b.partition([]byte(k1)); i++ {
		k2 = fmt.Sprintf("other%d", i)
	}
	for _, cmd := range []string{"RENAME %s %s", "RENAME_IF_ABSENT %s %s", "LIST_MOVE %s %s RIGHT LEFT"} {
		if got := runJob(t, b, fmt.Sprintf(cmd, enc(k1), enc(k2)))[0]; !strings.Contains(got, "different partitions") || !strings.Contains(got, "{tags}") {
			t.Errorf("%s across partitions: %s", cmd, got)
		}
	}
	if len(a.runs) != 0 {
		t.Fatalf("a refused rename or move reached the node: %d runs", len(a.runs))
	}
	runJob(t, b, "RENAME (4)x{t} (4)y{t}")
	runJob(t, b, "LIST_MOVE (4)x{t} (4)y{t} LEFT LEFT")
	if len(a.runs) != 2 {
		t.Errorf("a rename and a move within a partition: %d runs, want 2", len(a.runs))
	}
}

// TestSerialCommandsGoApart: conditional commands, and commands whose
// session asked for SERIAL, go to the key's coordinator in a run of their
// own (its rounds of consensus take longer than an ordinary run), never
// as digest reads; the other commands of the same flush go in the
// ordinary run.
func TestSerialCommandsGoApart(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := enc(keyOn(t, b, "a"))
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	j := &router.Job{Items: []router.Item{
		{Reqs: []*proto.Request{req(t, "SET_IF_ABSENT:STR "+k+" (1)v")}},
		{Reqs: []*proto.Request{req(t, "SET:STR "+k+" (1)w")}},
		{Levels: serial, Reqs: []*proto.Request{req(t, "GET "+k)}},
		{Levels: [2]proto.Consistency{proto.ConsSerial, proto.ConsQuorum}, Reqs: []*proto.Request{req(t, "SET:STR "+k+" (1)x")}},
	}}
	router.NewWaitSender(b.NewSender()).Run(j)
	if len(c.runs) != 0 {
		t.Errorf("a replica was sent %d runs (digest reads?)", len(c.runs))
	}
	var plain, apart []string
	for _, r := range a.runs {
		var names []string
		serialRun := false
		for _, cmd := range r.Cmds {
			names = append(names, cmd.Reqs[0].Cmd.String())
			serialRun = serialRun || proto.Serial(cmd.Read, cmd.Write, cmd.Reqs)
			if cmd.Digest != rpc.DigestNone {
				t.Errorf("%v sent as a digest read", cmd.Reqs[0].Cmd)
			}
		}
		if serialRun {
			apart = append(apart, names...)
		} else {
			plain = append(plain, names...)
		}
	}
	if strings.Join(apart, ",") != "SET_IF_ABSENT,GET" || strings.Join(plain, ",") != "SET,SET" {
		t.Errorf("serial run %v, ordinary run %v; want [SET_IF_ABSENT GET] and [SET SET]", apart, plain)
	}
}

// TestSerialRunsQueue: while a sender has MaxInFlight serial runs in
// flight to a node, the serial commands it flushes for the node wait and
// go as one run when one comes back (so a node batches their rounds);
// ordinary runs do not wait behind them.
func TestSerialRunsQueue(t *testing.T) {
	a := &fakeNode{addr: "a", gate: make(chan struct{})}
	b := testBackend(t, 1, a)
	k := enc(keyOn(t, b, "a"))
	s := b.NewSender()
	var answered sync.WaitGroup
	submit := func(levels [2]proto.Consistency, request string) {
		answered.Add(1)
		j := &router.Job{Items: []router.Item{{Levels: levels, Reqs: []*proto.Request{req(t, request)}}},
			Done: func(*router.Job) { answered.Done() }}
		j.Start()
		s.Submit(j)
		s.Flush()
	}
	runs := func() []*rpc.Run {
		a.mu.Lock()
		defer a.mu.Unlock()
		return append([]*rpc.Run(nil), a.runs...)
	}
	serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
	for i := range 4 {
		submit(serial, fmt.Sprintf("SET:STR %s (1)%d", k, i))
	}
	if got := runs(); len(got) != 2 { // MaxInFlight is 2
		t.Fatalf("%d serial runs sent while 2 are in flight, want 2", len(got))
	}
	submit([2]proto.Consistency{}, "GET "+k)
	if got := runs(); len(got) != 3 || proto.Serial(got[2].Cmds[0].Read, got[2].Cmds[0].Write, got[2].Cmds[0].Reqs) {
		t.Fatalf("an ordinary command waited behind serial runs: %d runs", len(got))
	}
	close(a.gate)
	answered.Wait()
	got := runs()
	if len(got) != 4 || len(got[3].Cmds) != 2 {
		t.Fatalf("runs %v; want the two waiting serial commands in one fourth run", got)
	}
}

// TestSerialWriteIsSentAgain: a serial write carries an id, and when its
// node drops the connection after it was sent, or answers that its fate
// is not confirmed, it goes to the next replica with the same id, marked
// as sent again (that node answers from the key's applied record, and
// runs it only if the record shows no earlier sending did), instead of
// answering "not confirmed" at once.
func TestSerialWriteIsSentAgain(t *testing.T) {
	for _, tc := range []struct {
		name    string
		fail    func(*rpc.Run) error
		lost    bool // a answers StatusNotConfirmed instead of failing
		notSent bool // the first sending never left: the second is a first
	}{
		{name: "connection reset", fail: func(*rpc.Run) error { return fmt.Errorf("%w: connection reset", rpc.ErrClosed) }},
		{name: "not confirmed", lost: true},
		{name: "never sent", fail: func(*rpc.Run) error { return fmt.Errorf("%w: connection refused", rpc.ErrNotSent) }, notSent: true},
	} {
		a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
		b := testBackend(t, 2, a, c)
		k := keyOn(t, b, "a", "c")
		a.fail = tc.fail
		if tc.lost {
			a.notConfirmed = true
		}
		serial := [2]proto.Consistency{proto.ConsSerial, proto.ConsSerial}
		j := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "SET:STR "+enc(k)+" (1)w")}}}}
		router.NewWaitSender(b.NewSender()).Run(j)
		if j.Items[0].Err != nil || string(j.Items[0].Replies[0]) != "OK" {
			t.Fatalf("%s: %+v", tc.name, j.Items[0])
		}
		if len(a.runs) != 1 || len(c.runs) != 1 {
			t.Fatalf("%s: %d runs to a, %d to c; want one each", tc.name, len(a.runs), len(c.runs))
		}
		first, again := a.runs[0].Cmds[0], c.runs[0].Cmds[0]
		if first.ID == ([16]byte{}) || again.ID != first.ID {
			t.Fatalf("%s: ids %x then %x; want one id, sent twice", tc.name, first.ID, again.ID)
		}
		switch {
		case first.Resent:
			t.Errorf("%s: the first sending is marked resent", tc.name)
		case tc.notSent && again.Resent:
			t.Errorf("%s: a sending after one that never left is marked resent: it would not run anywhere", tc.name)
		case !tc.notSent && !again.Resent:
			t.Errorf("%s: the second sending is not marked resent: it could run twice", tc.name)
		}
		// A resent write says from when an earlier sending may have run
		// it, so that its node can tell from the key's record that it
		// did not: the first run's departure, less the clocks' offsets.
		wantFrom := a.runs[0].Deadline - (b.cfg.RequestTimeout + 3*b.cfg.MaxClockOffset).Milliseconds() - 1
		if tc.notSent {
			wantFrom = 0
		}
		if again.RanFrom != wantFrom {
			t.Errorf("%s: the second sending runs from %d, want %d (first deadline %d)", tc.name, again.RanFrom, wantFrom, a.runs[0].Deadline)
		}
		read := &router.Job{Items: []router.Item{{Levels: serial, Reqs: []*proto.Request{req(t, "GET "+enc(k))}}}}
		router.NewWaitSender(b.NewSender()).Run(read)
		for _, r := range append(a.runs, c.runs...) {
			if cmd := r.Cmds[0]; cmd.Reqs[0].Cmd == proto.CmdGet && cmd.ID != ([16]byte{}) {
				t.Errorf("%s: a read got id %x", tc.name, cmd.ID)
			}
		}
	}
}

// TestDigestLeavesAPeerThatKeepsDisagreeing: a replica cut off from a
// coordinator misses its writes, so its digest disagrees on every key
// written meanwhile and each such read takes a second round trip. After
// three disagreements in a row it is asked after the others for that
// coordinator's reads, for a while, and the digest comes from a replica
// that has the writes.
func TestDigestLeavesAPeerThatKeepsDisagreeing(t *testing.T) {
	a, c, d := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}, &fakeNode{addr: "d"}
	b := testBackend(t, 3, a, c, d)
	k := keyOn(t, b, "c", "a", "d")
	a.data[k], c.data[k], d.data[k] = "new", "new", "old" // d, c's partner, missed the write
	for i := range 5 {
		a.runs, c.runs, d.runs = nil, nil, nil
		if got := runJob(t, b, "GET "+enc(k)); got[0] != "OK:STR (3)new" {
			t.Fatalf("read %d: %q", i, got[0])
		}
		asked := "d"
		if i >= digestMissesToAvoid {
			asked = "a"
		}
		digestOnly := func(n *fakeNode) bool {
			return len(n.runs) > 0 && n.runs[0].Cmds[0].Digest == rpc.DigestOnly
		}
		if got := map[string]bool{"a": digestOnly(a), "d": digestOnly(d)}; !got[asked] || len(got) != 2 || got["a"] == got["d"] {
			t.Errorf("read %d: digest asked of a %v, d %v; want of %s", i, got["a"], got["d"], asked)
		}
	}
}

// TestWriteIsNotConfirmedBeforeItsDeadline: a write whose connection
// broke after its run left may still reach the node (the network or a
// closed socket's buffer holds it) and run until the run's deadline; the
// client is told it is not confirmed only after that deadline plus the
// clock offset, so a write reported as failed cannot take effect after
// the report. (A chaos run caught a write the router had reported as
// failed running 0.4 s later over newer acknowledged writes.)
func TestWriteIsNotConfirmedBeforeItsDeadline(t *testing.T) {
	a, c := &fakeNode{addr: "a"}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	a.fail = func(*rpc.Run) error { return fmt.Errorf("%w: connection reset", rpc.ErrClosed) }
	got := runJob(t, b, "SET:STR "+enc(k)+" (1)w")
	answered := time.Now()
	if !strings.Contains(got[0], "not confirmed") {
		t.Fatalf("a write whose connection broke: %q; want not confirmed", got[0])
	}
	a.mu.Lock()
	deadline := time.UnixMilli(a.runs[0].Deadline)
	a.mu.Unlock()
	if past := deadline.Add(b.cfg.MaxClockOffset); answered.Before(past) {
		t.Errorf("answered %v before the run's deadline plus the clock offset; the node could still run it", past.Sub(answered))
	}
}

// TestJobPlacesAPartitionOnce: the items of one job that name one
// partition all go to one node, even when its coordinator is suspected
// between two of them (a read of a key the job writes runs in that node's
// run, in the job's order); the next job is placed afresh.
func TestJobPlacesAPartitionOnce(t *testing.T) {
	a, c := &fakeNode{addr: "a", pingsLost: true}, &fakeNode{addr: "c"}
	b := testBackend(t, 2, a, c)
	k := keyOn(t, b, "a", "c")
	read := &router.Item{Reqs: []*proto.Request{req(t, "GET "+enc(k))}}
	write := &router.Item{Reqs: []*proto.Request{req(t, "SET:STR "+enc(k)+" (1)w")}}
	var keys [][]byte
	var pk jobPicks
	pk.reset(b.routes.Load())
	first, _, err := b.place(read, &keys, &pk)
	if err != nil || first != "a" {
		t.Fatalf("the read is placed on %q (%v), want a", first, err)
	}
	b.suspect("a", errors.New("a test's suspicion"))
	if second, _, err := b.place(write, &keys, &pk); err != nil || second != first {
		t.Fatalf("the job's write is placed on %q (%v), its read on %q", second, err, first)
	}
	pk.reset(b.routes.Load())
	if next, _, err := b.place(write, &keys, &pk); err != nil || next != "c" {
		t.Fatalf("the next job's write is placed on %q (%v), want c (a is suspected)", next, err)
	}
}
