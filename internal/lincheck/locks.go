package lincheck

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// Locks is a workload of locks with store-enforced fencing from
// concurrent clients of a real server or router. Each client takes one of
// Names at random (LOCK_ACQUIRE, a lease of Lease), and while it holds it
// writes "<client>:<token>" to the lock's register ("<name>:data") with
// writes fenced by its token (FENCED, PROTOCOL.md §12.11); then it
// releases the lock (LOCK_RELEASE) or, one time in four, lets the lease
// lapse and, after it, writes once more with its old token, as a holder
// that paused too long would. Check asks what safe locks must answer:
//
//   - no token was handed out twice, and no acquisition was granted while
//     an earlier one's lease still ran: by their tokens (the order the
//     lock's states were chosen in), the later one answered before the
//     earlier one's release was even asked for, or before its lease could
//     have lapsed (so tokens grow in real time too);
//   - no fenced write was taken after (in real time) one with a newer
//     token had been: the store refused every write older than its fence;
//   - no fenced write was taken that was asked for after a taking of a
//     newer token had been answered, whether or not that token's holder
//     had written yet or still held the lock: the store reads the newest
//     token the lock issued too.
//
// An acquisition or release whose outcome stays unknown (a broken
// connection, "not confirmed") is left out of the first two checks; a
// release's is counted from when it was asked for.
type Locks struct {
	T       testing.TB
	Names   []string
	Clients int
	Seed    uint64
	Lease   time.Duration
	// Dial connects client c; on an error it is tried again a
	// millisecond later (the server may be restarting).
	Dial func(c int) (*client.Client, error)

	clients
	mu     sync.Mutex
	epoch  time.Time
	held   map[string][]holding // by lock: the acquisitions answered with a token
	writes map[string][]fenceOp // by lock: the fenced writes taken
	stale  int                  // fenced writes refused as older than the lock's fence
}

// holding is one acquisition answered with a token: asked for at call,
// answered at ret, with its lease ending no earlier than call+Lease or,
// once its holder asked to release it, than release (times since epoch).
type holding struct {
	client         int
	token          int64
	call, ret, end time.Duration
}

// fenceOp is a fenced write the store took: its token, asked for at call
// and answered at ret (times since epoch).
type fenceOp struct {
	token     int64
	call, ret time.Duration
}

// Start starts the clients.
func (l *Locks) Start() {
	l.epoch, l.held, l.writes = time.Now(), map[string][]holding{}, map[string][]fenceOp{}
	l.start(l.Clients, l.client)
}

// client runs client c's takings until Stop.
func (l *Locks) client(c int) {
	rng := rand.New(rand.NewPCG(uint64(c), l.Seed))
	var cl *client.Client
	defer func() {
		if cl != nil {
			cl.Close()
		}
	}()
	do := func(cmd string, args ...any) (proto.Reply, bool) {
		var r proto.Reply
		var unknown bool
		r, unknown, cl = l.plain(c, cl, l.Dial, cmd, args...)
		return r, cl != nil && !unknown
	}
	for !l.stopped() {
		name := l.Names[rng.IntN(len(l.Names))]
		call := time.Since(l.epoch)
		r, known := do("LOCK_ACQUIRE", name, fmt.Sprintf("client-%d", c), l.Lease.Milliseconds())
		ret := time.Since(l.epoch)
		if !known || r.Status != proto.StatusOK {
			continue // refused (held), unknown or unavailable: taken by nobody we can name
		}
		if r.Value.Type != proto.TypeInt {
			l.T.Errorf("LOCK_ACQUIRE %s: unexpected reply %s", name, client.Format(r))
			return
		}
		h := holding{client: c, token: r.Value.Int, call: call, ret: ret, end: call + l.Lease}
		for range 1 + rng.IntN(2) {
			l.fenced(do, c, name, h.token)
		}
		if rng.IntN(4) == 0 {
			// It pauses past its lease, then writes with its old token.
			time.Sleep(l.Lease + 5*time.Millisecond)
			l.fenced(do, c, name, h.token)
		} else if release := time.Since(l.epoch); release < h.end {
			h.end = release
			do("LOCK_RELEASE", name, h.token)
		}
		l.mu.Lock()
		l.held[name] = append(l.held[name], h)
		l.mu.Unlock()
		l.ops.Add(1)
	}
}

// fenced writes client c's entry to lock name's register, fenced by
// token.
func (l *Locks) fenced(do func(string, ...any) (proto.Reply, bool), c int, name string, token int64) {
	call := time.Since(l.epoch)
	r, known := do("FENCED", name, token, client.Verbatim("SET:STR"), name+":data", fmt.Sprintf("%d:%d", c, token))
	ret := time.Since(l.epoch)
	l.mu.Lock()
	defer l.mu.Unlock()
	switch {
	case !known:
	case r.Status == proto.StatusOK:
		l.writes[name] = append(l.writes[name], fenceOp{token: token, call: call, ret: ret})
	case r.Status == proto.StatusError && strings.HasPrefix(string(r.Body), proto.MsgFenced+":"):
		l.stale++
	}
}

// WaitFor waits until n acquisitions have been answered with a token,
// failing the test if that takes longer than within.
func (l *Locks) WaitFor(n int64, within time.Duration) {
	l.T.Helper()
	l.waitFor(l.T, n, within)
}

// leaseSlack is how much earlier than the test's clock says a node may
// end a lease: they read one clock, but a lease's deadline is counted in
// whole milliseconds from when the command runs.
const leaseSlack = 5 * time.Millisecond

// Check checks the takings and the fenced writes (after Stop).
func (l *Locks) Check() {
	l.T.Helper()
	takings, writes := 0, 0
	for _, name := range l.Names {
		takings += len(l.held[name])
		writes += len(l.writes[name])
		for _, f := range takingFaults(name, l.held[name]) {
			l.T.Error(f)
		}
		for _, f := range fenceFaults(name, l.writes[name]) {
			l.T.Error(f)
		}
		for _, f := range issuedFaults(name, l.held[name], l.writes[name]) {
			l.T.Error(f)
		}
	}
	l.T.Logf("locks: %d takings, %d fenced writes taken, %d refused as stale", takings, writes, l.stale)
}

// takingFaults returns what lock name's takings hs break: a token handed
// out twice, or one granted while an earlier token's lease still ran
// (which a token answered before an earlier one was asked for is too:
// a lease ends after it is asked for).
func takingFaults(name string, hs []holding) []string {
	hs = slices.Clone(hs)
	slices.SortFunc(hs, func(a, b holding) int { return cmp.Compare(a.token, b.token) })
	var faults []string
	for i, a := range hs {
		for _, b := range hs[i+1:] {
			switch {
			case b.token == a.token:
				faults = append(faults, fmt.Sprintf("lock %s: token %d handed to clients %d and %d", name, a.token, a.client, b.client))
			case b.ret+leaseSlack < a.end:
				faults = append(faults, fmt.Sprintf("lock %s: client %d took it (token %d) by %v, while client %d's lease (token %d, asked for at %v) ran until at least %v",
					name, b.client, b.token, b.ret, a.client, a.token, a.call, a.end))
			}
		}
	}
	return faults
}

// fenceFaults returns what lock name's fenced writes break: one taken
// although a write with a newer token had been answered before it was
// asked for (the fence was at that token by then).
func fenceFaults(name string, ws []fenceOp) []string {
	byRet := slices.Clone(ws)
	slices.SortFunc(byRet, func(a, b fenceOp) int { return cmp.Compare(a.ret, b.ret) })
	byCall := slices.Clone(ws)
	slices.SortFunc(byCall, func(a, b fenceOp) int { return cmp.Compare(a.call, b.call) })
	var faults []string
	var done int    // writes of byRet answered before the current one was asked for
	var top fenceOp // the newest token among them
	for _, w := range byCall {
		for ; done < len(byRet) && byRet[done].ret < w.call; done++ {
			if byRet[done].token > top.token {
				top = byRet[done]
			}
		}
		if w.token < top.token {
			faults = append(faults, fmt.Sprintf("lock %s: a write fenced by token %d taken (asked for at %v), after one of token %d was answered at %v",
				name, w.token, w.call, top.token, top.ret))
		}
	}
	return faults
}

// issuedFaults returns what lock name's fenced writes ws break against
// its takings hs: one taken although it was asked for after a taking of a
// newer token was answered, whether or not that token's holder had
// written yet or still held the lock (the lock keeps the newest token it
// issued).
func issuedFaults(name string, hs []holding, ws []fenceOp) []string {
	var faults []string
	for _, w := range ws {
		for _, h := range hs {
			if h.token > w.token && h.ret < w.call {
				faults = append(faults, fmt.Sprintf("lock %s: a write fenced by token %d taken (asked for at %v), after client %d's taking of token %d was answered at %v",
					name, w.token, w.call, h.client, h.token, h.ret))
			}
		}
	}
	return faults
}
