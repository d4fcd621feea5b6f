package cluster

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// Transport carries runs to one storage node.
type Transport interface {
	// Run runs r on the node and calls done once with one item per
	// request of r, in order, or with an error for the whole run (see
	// rpc.ErrNotSent: whether the run may have reached the node). done
	// may be called before Run returns. r must stay unchanged until then.
	Run(r *rpc.Run, timeout time.Duration, done func(items []rpc.Item, err error))
}

// pinger is a Transport that can also ask its node for a bare answer: a
// serial run's time says nothing of its node's health, a ping does
// (Backend.pingSlow).
type pinger interface {
	// Ping calls done once with nil when the node answers within timeout,
	// or with the error that kept it from answering.
	Ping(timeout time.Duration, done func(error))
}

// rpcTransport reaches a node over the internal RPC. seen is the
// router's causal floor: the latest node clock its answers showed, sent
// with every run (rpc.Run.Floor), so a node stamps a command after every
// write this router has seen answered, wherever that write was stamped.
type rpcTransport struct {
	c       *rpc.Client
	seen    *clockFloor
	metrics *rpcMetrics
	took    prometheus.Observer // the node's run times (metrics.seconds)
}

// clockFloor is the latest node clock (an opaque hybrid-clock time) a
// router has seen.
type clockFloor struct{ t atomic.Uint64 }

// observe raises the floor to t.
func (f *clockFloor) observe(t uint64) {
	for {
		cur := f.t.Load()
		if t <= cur || f.t.CompareAndSwap(cur, t) {
			return
		}
	}
}

// runPayloads recycles the buffers runs are encoded into (Go copies them).
var runPayloads = sync.Pool{New: func() any { return new([]byte) }}

func (t *rpcTransport) Run(r *rpc.Run, timeout time.Duration, done func([]rpc.Item, error)) {
	r.Floor = t.seen.t.Load()
	sent := time.Now()
	buf := runPayloads.Get().(*[]byte)
	*buf = rpc.AppendRun((*buf)[:0], r)
	defer runPayloads.Put(buf)
	t.c.Go(rpc.KindRun, *buf, timeout, func(out []byte, err error) {
		if err != nil {
			t.metrics.runFailed(t.c.Addr(), err)
			done(nil, err)
			return
		}
		t.took.Observe(time.Since(sent).Seconds())
		clock, items, err := rpc.DecodeAnswer(out)
		t.seen.observe(clock)
		if err == nil && len(items) != r.Answers() {
			err = fmt.Errorf("%w: %d answers, %d expected", rpc.ErrMalformed, len(items), r.Answers())
		}
		done(items, err)
	})
}

// Ping implements pinger over the internal RPC.
func (t *rpcTransport) Ping(timeout time.Duration, done func(error)) {
	t.c.Go(rpc.KindPing, nil, timeout, func(_ []byte, err error) { done(err) })
}

// ref ties a command of a run to the job item it came from. A part of a
// digest read (dr set) delivers its answer there instead.
type ref struct {
	j  *router.Job
	i  int
	dr *digestRead
	// tied: a read of a key its job writes (namesWritten), which only its
	// run answers, in the job's order: sent to another replica, it could
	// run after a later write of the job, or before an earlier one.
	tied bool
}

// nodeRun is what one node gets from one flush.
type nodeRun struct {
	addr   string
	t      Transport
	run    *rpc.Run
	refs   []ref
	serial bool // its commands take the serial path: sent apart, not queued

	// A run unanswered for long (slowAfter) has its reads sent elsewhere
	// (hedged); the answer, if it comes, skips them.
	mu       sync.Mutex
	answered bool
	hedged   []bool
}

// Sender is a router.Sender: it puts each submitted item in the run of
// the node that coordinates its partitions, and sends each node its run
// at Flush, one call per node per turn. Items spanning partitions
// coordinated by different nodes, and RESET, run on a goroutine of the
// backend (scatter.go). In the single process every item goes to the one
// node, in process.
type Sender struct {
	b      *Backend  // nil in the single process
	one    Transport // the single process's node
	runs   map[string]*nodeRun
	serial map[string]*nodeRun // the serial commands for each node
	order  []*nodeRun
	keys   [][]byte
	others []string // a digest read's other replicas (scratch)
	placed []placement
	picks  jobPicks
	queues map[string]*nodeQueue // runs in flight to each node
	// serialQueues: serial runs in flight to each node, queued apart (an
	// ordinary run must not wait for rounds of consensus)
	serialQueues map[string]*nodeQueue

	// While the sender's loop reads the backend's sockets (Polling), a
	// run that comes back leaves its node's backlog for the turn's Flush
	// (held), which sends it together with what the turn submitted: the
	// loop reads its clients before the backend's sockets, so sent at
	// once the backlog left without the turn's commands, and those waited
	// for the next answer.
	turn    sync.Mutex
	polling bool
	held    []*nodeQueue
}

// nodeQueue limits the runs a sender has in flight to one node: while the
// limit is reached, what is flushed for the node waits and goes as one run
// when one comes back. Under load this makes each run carry more commands
// (fewer system calls, fewer wake-ups per command, on both sides); alone,
// a command goes at once.
type nodeQueue struct {
	s        *Sender
	limit    int // runs in flight at most
	mu       sync.Mutex
	inflight int
	backlog  *nodeRun
	held     bool // the backlog waits for the sender's Flush (Sender.Polling)
}

// placement is where an item goes, or why it cannot.
type placement struct {
	addr string
	t    Transport
	err  error
}

// NewSender implements router.Backend.
func (b *Backend) NewSender() router.Sender {
	return &Sender{b: b, runs: map[string]*nodeRun{}, serial: map[string]*nodeRun{}, queues: map[string]*nodeQueue{},
		serialQueues: map[string]*nodeQueue{}}
}

// Submit implements router.Sender. A job with an item whose partitions
// different nodes coordinate runs item by item, in order, on a goroutine
// of the backend: its items must take effect in their order.
func (s *Sender) Submit(j *router.Job) {
	if s.b == nil {
		for i := range j.Items {
			s.add("", s.one, ref{j: j, i: i})
		}
		return
	}
	if s.serialBesideOrdinary(j) {
		for i := range j.Items {
			if it := &j.Items[i]; proto.Serial(it.Levels[0], it.Levels[1], it.Reqs) {
				s.b.serialID(it)
			}
		}
		s.b.goInOrder(j)
		return
	}
	placed := s.placed[:0]
	s.picks.reset(s.b.routes.Load())
	for i := range j.Items {
		addr, t, err := s.b.place(&j.Items[i], &s.keys, &s.picks)
		if errors.Is(err, errSpans) {
			s.b.goInOrder(j)
			return
		}
		placed = append(placed, placement{addr, t, err})
	}
	written := s.jobWrites(j)
	for i, pl := range placed {
		it := &j.Items[i]
		r := ref{j: j, i: i, tied: s.namesWritten(written, it)}
		switch {
		case pl.err != nil:
			j.Fail(i, pl.err)
		case proto.Serial(it.Levels[0], it.Levels[1], it.Reqs):
			if r.tied || !s.addSerialDigestRead(pl.addr, pl.t, j, i) {
				s.addSerial(pl.addr, pl.t, r)
			}
		case r.tied || !s.addDigestRead(pl.addr, pl.t, j, i):
			s.add(pl.addr, pl.t, r)
		}
	}
	clear(placed)
	s.placed = placed[:0]
}

// nodeRuns recycles nodeRuns once their answers are handed out.
var nodeRuns = sync.Pool{New: func() any { return &nodeRun{run: &rpc.Run{}} }}

// free returns nr to the pool.
func (nr *nodeRun) free() {
	clear(nr.run.Cmds)
	clear(nr.refs)
	nr.run.Cmds, nr.refs, nr.t = nr.run.Cmds[:0], nr.refs[:0], nil
	nr.answered, nr.hedged, nr.serial = false, nr.hedged[:0], false
	nodeRuns.Put(nr)
}

// add appends the item r names to the run of the node at addr.
func (s *Sender) add(addr string, t Transport, r ref) {
	s.addCmd(addr, t, itemCmd(&r.j.Items[r.i]), r)
}

// addSerial appends the item r names to the serial run of the node at
// addr: the node runs rounds of consensus for it (docs/serial.md), which
// take longer than the commands of an ordinary run, so they go apart. A
// write gets an id (its client's, if it has one), so that it can be sent
// again when its fate is unknown and still take effect once.
func (s *Sender) addSerial(addr string, t Transport, r ref) {
	it := &r.j.Items[r.i]
	s.b.serialID(it)
	s.addSerialCmd(addr, t, itemCmd(it), r)
}

// addSerialCmd appends a command for ref r to the serial run of the node
// at addr.
func (s *Sender) addSerialCmd(addr string, t Transport, c rpc.Cmd, r ref) {
	nr := s.runOf(s.serial, addr, t)
	nr.serial = true
	nr.run.Cmds = append(nr.run.Cmds, c)
	nr.refs = append(nr.refs, r)
}

// jobWrites returns the keys the items of job j write, when it has both
// reads and writes (nil otherwise).
func (s *Sender) jobWrites(j *router.Job) map[string]bool {
	if len(j.Items) < 2 {
		return nil
	}
	reads, writes := false, false
	for i := range j.Items {
		ro := proto.ReadOnly(j.Items[i].Reqs)
		reads, writes = reads || ro, writes || !ro
	}
	if !reads || !writes {
		return nil
	}
	var written map[string]bool
	for i := range j.Items {
		if it := &j.Items[i]; !proto.ReadOnly(it.Reqs) {
			if written == nil {
				written = map[string]bool{}
			}
			s.eachKey(it, func(k string) bool { written[k] = true; return true })
		}
	}
	return written
}

// namesWritten reports whether read it names a key an item of its job
// writes (written: jobWrites). Such a read is no digest read: the other
// replicas' digests may be taken before or after a write of the job
// reached them, and the read run again when they differ would see the
// job's later writes too. In the coordinator's run it reads, in the job's
// order, what the items before it left (an ordinary read joined with the
// other replicas' states fetched before the run; a serial one in its
// wave).
func (s *Sender) namesWritten(written map[string]bool, it *router.Item) bool {
	if written == nil || !proto.ReadOnly(it.Reqs) {
		return false // only reads are digest reads
	}
	found := false
	s.eachKey(it, func(k string) bool {
		found = written[k]
		return !found
	})
	return found
}

// eachKey calls fn with each key it names, qualified by its database,
// until fn returns false.
func (s *Sender) eachKey(it *router.Item, fn func(k string) bool) {
	s.keys = s.keys[:0]
	for _, r := range it.Reqs {
		s.keys = r.Keys(s.keys)
	}
	for _, k := range s.keys {
		if !fn(string(append([]byte{byte(it.DB)}, k...))) {
			return
		}
	}
}

// serialID gives serial item it its id: its client's (ONCE, RETRY), or a
// new one for a write that has none.
func (b *Backend) serialID(it *router.Item) {
	switch {
	case len(it.Reqs) == 1 && it.Reqs[0].Once != proto.OnceNone:
		it.ID = proto.OnceID(it.Reqs[0].OnceID)
	case it.ID == ([16]byte{}) && !proto.ReadOnly(it.Reqs):
		it.ID = b.newID()
	}
}

// serialBesideOrdinary reports whether job j has a serial item and an
// ordinary one naming a common key (in one database). They would go in
// different runs, which a node runs side by side: such a job runs item by
// item, in order, so that each item sees the ones before it.
func (s *Sender) serialBesideOrdinary(j *router.Job) bool {
	var kinds uint8
	for i := range j.Items {
		kinds |= serialBit(&j.Items[i])
	}
	if kinds != 3 {
		return false
	}
	seen := map[string]uint8{}
	both := false
	for i := range j.Items {
		it := &j.Items[i]
		s.eachKey(it, func(k string) bool {
			seen[k] |= serialBit(it)
			both = seen[k] == 3
			return !both
		})
		if both {
			return true
		}
	}
	return false
}

// serialBit is 2 for a serial item, 1 for an ordinary one.
func serialBit(it *router.Item) uint8 {
	if proto.Serial(it.Levels[0], it.Levels[1], it.Reqs) {
		return 2
	}
	return 1
}

// itemCmd is the command an item runs as. A client's RETRY is sent as
// resent: it runs nowhere.
func itemCmd(it *router.Item) rpc.Cmd {
	return rpc.Cmd{DB: it.DB, Read: it.Levels[0], Write: it.Levels[1], ID: it.ID, Resent: isRetry(it), Reqs: it.Reqs}
}

// isRetry reports whether item it is a client's RETRY.
func isRetry(it *router.Item) bool { return len(it.Reqs) == 1 && it.Reqs[0].Once == proto.OnceRetry }

// addCmd appends a command for ref r to the run of the node at addr.
func (s *Sender) addCmd(addr string, t Transport, c rpc.Cmd, r ref) {
	nr := s.runOf(s.runs, addr, t)
	nr.run.Cmds = append(nr.run.Cmds, c)
	nr.refs = append(nr.refs, r)
}

// runOf returns the run in runs (s.runs or s.serial) of the node at addr,
// starting it, in flush order, if this flush has none yet.
func (s *Sender) runOf(runs map[string]*nodeRun, addr string, t Transport) *nodeRun {
	nr := runs[addr]
	if nr == nil {
		nr = nodeRuns.Get().(*nodeRun)
		nr.addr, nr.t = addr, t
		runs[addr] = nr
		s.order = append(s.order, nr)
	}
	return nr
}

// Flush implements router.Sender.
func (s *Sender) Flush() {
	for _, nr := range s.order {
		if nr.serial {
			delete(s.serial, nr.addr)
			q := s.serialQueues[nr.addr]
			if q == nil {
				q = &nodeQueue{s: s, limit: s.b.cfg.MaxSerialInFlight}
				s.serialQueues[nr.addr] = q
			}
			s.b.enqueue(q, nr)
			continue
		}
		delete(s.runs, nr.addr)
		if s.b == nil {
			nr.t.Run(nr.run, 0, func(items []rpc.Item, err error) {
				settleAll(nr, items, err, nil)
				nr.free()
			})
			continue
		}
		q := s.queues[nr.addr]
		if q == nil {
			q = &nodeQueue{s: s, limit: s.b.cfg.MaxInFlight}
			s.queues[nr.addr] = q
		}
		s.b.enqueue(q, nr)
	}
	clear(s.order)
	s.order = s.order[:0]
	if s.b == nil {
		return
	}
	s.turn.Lock()
	held := s.held
	s.held = nil
	s.turn.Unlock()
	for _, q := range held {
		s.b.release(q)
	}
}

// Polling implements router.TurnSender: on is true while the sender's
// loop reads the backend's sockets. It reports, as polling ends, whether
// a backlog waits for Flush.
func (s *Sender) Polling(on bool) bool {
	s.turn.Lock()
	defer s.turn.Unlock()
	s.polling = on
	return !on && len(s.held) > 0
}

// holdForTurn reports whether q's backlog may wait for the turn's Flush
// (its loop is polling, and flushes next), and if so lists q for it.
func (s *Sender) holdForTurn(q *nodeQueue) bool {
	s.turn.Lock()
	defer s.turn.Unlock()
	if s.polling {
		s.held = append(s.held, q)
	}
	return s.polling
}

// enqueue sends nr now if the node has fewer than q.limit runs of this
// sender in flight in q and no backlog held for this Flush, and otherwise
// adds it to the backlog, which goes when one comes back (or at the end
// of this Flush, held).
func (b *Backend) enqueue(q *nodeQueue, nr *nodeRun) {
	q.mu.Lock()
	if q.inflight < q.limit && !q.held {
		q.inflight++
		q.mu.Unlock()
		b.send(nr, q)
		return
	}
	if q.backlog == nil {
		q.backlog = nr
		q.mu.Unlock()
		return
	}
	q.backlog.run.Cmds = append(q.backlog.run.Cmds, nr.run.Cmds...)
	q.backlog.refs = append(q.backlog.refs, nr.refs...)
	q.mu.Unlock()
	nr.free()
}

// release sends q's backlog held for this Flush, if it may go.
func (b *Backend) release(q *nodeQueue) {
	q.mu.Lock()
	q.held = false
	nr := q.backlog
	if nr == nil || q.inflight >= q.limit {
		q.mu.Unlock()
		return
	}
	q.backlog = nil
	q.inflight++
	q.mu.Unlock()
	b.send(nr, q)
}

// returned records that a run to q's node came back, answered or failed
// with err, and sends the backlog, or, while the sender's loop polls,
// leaves it for the loop's Flush (Sender.Polling). After a failure that
// leaves the node silent (no answer in time, or a connection ended for
// that), the backlog, which never left, goes to other replicas instead
// (leaveBacklog): sent to the silent node with a fresh deadline, it
// waited out a second timeout and its writes were not confirmed.
func (b *Backend) returned(q *nodeQueue, addr string, err error) {
	silent := errors.Is(err, rpc.ErrTimeout) || errors.Is(err, rpc.ErrSilent)
	q.mu.Lock()
	next := q.backlog
	if next == nil || q.held && !silent || !silent && q.s.holdForTurn(q) {
		q.held = next != nil
		q.inflight--
		q.mu.Unlock()
		return
	}
	q.backlog, q.held = nil, false
	q.mu.Unlock()
	switch {
	case silent:
		b.leaveBacklog(next, addr, err)
		// The slot stayed taken: what queued meanwhile goes the same way.
		b.returned(q, addr, err)
	default:
		b.send(next, q)
	}
}

// settleAll hands each item of a run its outcome from the node's answer
// (items) or the run's error. retry, if not nil, takes the items the node
// did not run; without it they fail.
func settleAll(nr *nodeRun, items []rpc.Item, err error, retry func(r ref, items []rpc.Item) bool) {
	k := 0
	for c, r := range nr.refs {
		n := nr.run.Cmds[c].Answers()
		if c < len(nr.hedged) && nr.hedged[c] {
			k += n
			continue // answered elsewhere
		}
		if err != nil {
			r.j.Fail(r.i, err)
			continue
		}
		part := items[k : k+n]
		k += n
		if r.dr != nil {
			r.dr.answered(r.i, part, nil)
			continue
		}
		if retry != nil && retry(r, part) {
			continue
		}
		answer(r, part)
	}
}

// answer hands item r the node's answer: its replies, or the error of
// the first request that failed.
func answer(r ref, items []rpc.Item) {
	if st, msg := firstFailure(items); st != rpc.StatusOK {
		routerRPCMetrics().failure(st)
		r.j.Fail(r.i, statusError(st, string(msg)))
		return
	}
	var replies [8][]byte
	out := replies[:0]
	for _, it := range items {
		out = append(out, it.Reply)
	}
	r.j.Answer(r.i, out...)
}

// send sends a node its run and hands each item its outcome when the
// answer comes; q, if not nil, is the node's queue the run counts in.
func (b *Backend) send(nr *nodeRun, q *nodeQueue) {
	nr.run.Ring = b.ringVersion()
	nr.run.Deadline = b.now().Add(b.cfg.RequestTimeout).UnixMilli()
	sent := time.Now()
	// A serial run takes rounds of consensus, each with an fsync: its
	// time says nothing of the node's health, so when it is slow the node
	// is pinged, and only a node that does not answer that either is
	// passed over (pingSlow).
	after := b.slowAfter(nr.addr)
	var slow *time.Timer
	if !nr.serial {
		slow = time.AfterFunc(after, func() { b.slow(nr, q, sent) })
	} else if p, ok := nr.t.(pinger); ok {
		slow = time.AfterFunc(after, func() { b.pingSlow(p, nr, q, sent, after) })
	}
	nr.t.Run(nr.run, b.cfg.RequestTimeout+b.cfg.MaxClockOffset, func(items []rpc.Item, err error) {
		nr.mu.Lock()
		nr.answered = true
		nr.mu.Unlock()
		if slow == nil || slow.Stop() {
			defer nr.free()
		} // else slow is running or ran: nr is not recycled under it
		if q != nil {
			b.returned(q, nr.addr, err)
		}
		if err == nil && len(items) != nr.run.Answers() {
			err = fmt.Errorf("%w: %d answers to %d", rpc.ErrMalformed, len(items), nr.run.Answers())
		}
		if err != nil {
			b.runFailed(nr, err)
			return
		}
		rtt := time.Since(sent)
		if nr.serial {
			rtt = 0 // not a measure of the node's round trip
		}
		b.healthy(nr.addr, rtt)
		// Commands the node did not run (it does not serve their
		// partition now, and then refuses every later one on it; or its
		// log failed and it takes no writes), and writes with an id whose
		// fate it could not learn, go elsewhere, in their order.
		var again []ref
		var cause error
		settleAll(nr, items, nil, func(r ref, items []rpc.Item) bool {
			switch st, msg := firstFailure(items); {
			case st == rpc.StatusNotConfirmed && r.dr == nil && r.j.Items[r.i].ID != ([16]byte{}) && !isRetry(&r.j.Items[r.i]):
				// A write with an id takes effect once: another replica
				// coordinates it again and learns its fate. (A client's
				// RETRY was that already: the key's record, read through
				// its consensus, does not list it, and another replica
				// would read the same record, past the first sending's
				// deadline: its answer is the client's.)
				cause = fmt.Errorf("%s: %s", nr.addr, msg)
			case st == rpc.StatusWrongRing:
				cause = fmt.Errorf("%w: %s: %s", errMoved, nr.addr, msg)
			case st == rpc.StatusRefused:
				cause = refusedError(msg)
			default:
				return false
			}
			again = append(again, r)
			return true
		})
		b.goRetry(again, nr.addr, cause, nr.run.Deadline)
	})
}

// slow handles a run not answered within slowAfter: its node is
// suspected (new commands go to other candidates), its reads go to
// another replica now, and so do the commands queued behind it for that
// node (q's backlog, never sent); its writes, and its reads tied to them
// (ref.tied), wait for their answer or the deadline. (A serial write handed on at once, to settle from the key's
// applied record, could run there and then again here once its entry had
// left the record: runItem sends a write again only past the deadline.)
func (b *Backend) slow(nr *nodeRun, q *nodeQueue, sent time.Time) {
	nr.mu.Lock()
	if nr.answered {
		nr.mu.Unlock()
		return
	}
	var again []ref
	var parts []ref
	for c, r := range nr.refs {
		if r.dr == nil && (r.tied || !proto.ReadOnly(nr.run.Cmds[c].Reqs)) {
			continue
		}
		for len(nr.hedged) <= c {
			nr.hedged = append(nr.hedged, false)
		}
		nr.hedged[c] = true
		if r.dr != nil {
			parts = append(parts, r)
		} else {
			again = append(again, r)
		}
	}
	nr.mu.Unlock()
	routerRPCMetrics().hedged.Add(float64(len(again) + len(parts)))
	err := fmt.Errorf("no answer from %s in %v", nr.addr, time.Since(sent).Round(time.Millisecond))
	b.suspect(nr.addr, err)
	for _, r := range parts {
		r.dr.answered(r.i, nil, err)
	}
	b.goRetry(again, nr.addr, err, nr.run.Deadline)
	b.replaceBacklog(q, nr.addr, err)
}

// pingSlow handles a serial run not answered within slowAfter (wait): its
// node is pinged, and if the ping gets no answer within wait either, the
// run is slow as an ordinary run would be (its reads go to another
// replica now, and the node is suspected), and the serial commands queued
// behind it for that node (q's backlog, never sent) go to other replicas
// now too. Without it, serial commands sent or queued to a node that was
// cut off or paused waited for the whole request timeout, and every
// client of the router stalled that long.
func (b *Backend) pingSlow(p pinger, nr *nodeRun, q *nodeQueue, sent time.Time, wait time.Duration) {
	p.Ping(wait, func(err error) {
		if err != nil {
			b.slow(nr, q, sent)
		}
	})
}

// replaceBacklog sends the commands waiting in q for the node at addr,
// which does not answer (cause), to other replicas (leaveBacklog).
func (b *Backend) replaceBacklog(q *nodeQueue, addr string, cause error) {
	if q == nil {
		return
	}
	q.mu.Lock()
	nr := q.backlog
	q.backlog = nil
	q.mu.Unlock()
	if nr != nil {
		b.leaveBacklog(nr, addr, cause)
	}
}

// leaveBacklog sends nr, commands that waited for the node at addr, which
// does not answer (cause), to other replicas, each in its order: they
// never left this router. A connection has one job with the backend at a
// time, so none of them follows a command of its own connection still out
// to that node; they may run before commands of other connections that
// are, which are concurrent with them.
func (b *Backend) leaveBacklog(nr *nodeRun, addr string, cause error) {
	// A run that never left goes elsewhere whole (runFailed).
	b.runFailed(nr, fmt.Errorf("%w: queued for %s, which does not answer: %v", rpc.ErrNotSent, addr, cause))
	nr.free()
}

// runFailed handles a run that got no answer. A run that never left is
// sent elsewhere whole; otherwise reads are, and writes, which may have
// run, answer that they are not confirmed, and reads tied to writes of
// their job (ref.tied), which elsewhere could see those out of order,
// that their node did not answer.
func (b *Backend) runFailed(nr *nodeRun, err error) {
	b.suspect(nr.addr, err)
	notSent := errors.Is(err, rpc.ErrNotSent)
	var again, unsure []ref
	for c, r := range nr.refs {
		if c < len(nr.hedged) && nr.hedged[c] {
			continue // sent elsewhere already
		}
		if r.dr != nil {
			r.dr.answered(r.i, nil, err)
			continue
		}
		if r.tied && !notSent && nr.run.Cmds[c].ID == ([16]byte{}) {
			r.j.Fail(r.i, tiedReadError(nr.addr, err))
			continue
		}
		if notSent || proto.ReadOnly(nr.run.Cmds[c].Reqs) || nr.run.Cmds[c].ID != ([16]byte{}) {
			again = append(again, r) // no effect yet, none, or one at most
			continue
		}
		unsure = append(unsure, r)
	}
	b.notConfirmedPast(unsure, nr.run.Deadline, notConfirmed(nr.addr, err))
	b.goRetry(again, nr.addr, err, nr.run.Deadline)
}

// tiedReadError is the error of a read that its node did not answer
// (cause), which was sent with writes of its key (ref.tied).
func tiedReadError(addr string, cause error) error {
	return &router.CommandError{Msg: fmt.Sprintf("unavailable: %s did not answer (%v); the read was sent with writes of its key "+
		"and is not run on another replica, where it could see them out of order; send it again", addr, cause)}
}

// notConfirmedPast answers refs, writes that may have run, with err once
// their run's deadline (unix milliseconds) plus MaxClockOffset has passed:
// until then the node may still start them (a run whose connection broke
// after it left may be in the network, or in a closed socket's buffer the
// kernel still sends), and a write reported as failed must not take
// effect after the report. A run that timed out is past it already.
func (b *Backend) notConfirmedPast(refs []ref, deadline int64, err error) {
	if len(refs) == 0 {
		return
	}
	fail := func() {
		for _, r := range refs {
			r.j.Fail(r.i, err)
		}
	}
	wait := b.untilPast(deadline)
	if wait <= 0 {
		fail()
		return
	}
	b.wg.Add(1)
	time.AfterFunc(wait, func() {
		defer b.wg.Done()
		fail()
	})
}

// statusError is the error a client gets for a node's answer st with
// message msg: a storage failure is internal; everything else is about
// replicas or time, answered as ERROR (PROTOCOL.md §12.1).
func statusError(st rpc.Status, msg string) error {
	switch st {
	case rpc.StatusError:
		return errors.New(msg)
	case rpc.StatusExpired:
		return &router.CommandError{Msg: "unavailable: " + msg + " (the command did not run)"}
	case rpc.StatusRefused:
		return &router.CommandError{Msg: msg}
	}
	return &router.CommandError{Msg: "unavailable: " + msg}
}

// Local is the single process's Backend: one node, reached in process,
// serving every partition; each Flush hands it one run.
type Local struct{ node LocalNode }

// NewLocal returns the Backend of the one node in process.
func NewLocal(n LocalNode) *Local { return &Local{node: n} }

// NewSender implements router.Backend.
func (l *Local) NewSender() router.Sender {
	return &Sender{one: l.node.NewTransport(), runs: map[string]*nodeRun{}}
}

// Persist implements router.Backend.
func (l *Local) Persist(ctx context.Context) error { return l.node.Persist(ctx) }

// RunsItemsWhole implements router.WholeBackend: the one node locks every
// partition an item names.
func (l *Local) RunsItemsWhole() {}

// do runs one item and waits for it: the path of the backend's own
// requests (users) and of the parts of commands spanning nodes.
func (b *Backend) do(ctx context.Context, db int, levels [2]proto.Consistency, reqs ...*proto.Request) ([][]byte, error) {
	j := &router.Job{Items: []router.Item{{DB: db, Levels: levels, Reqs: reqs}}}
	router.NewWaitSender(b.NewSender()).Run(j)
	it := &j.Items[0]
	return it.Replies, it.Err
}

// doOne is do for one request, returning its reply.
func (b *Backend) doOne(ctx context.Context, db int, levels [2]proto.Consistency, req *proto.Request) ([]byte, error) {
	out, err := b.do(ctx, db, levels, req)
	if err != nil {
		return nil, err
	}
	return out[0], nil
}
