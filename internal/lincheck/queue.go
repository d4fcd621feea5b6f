package lincheck

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// Queues is a workload of lists used as queues from concurrent clients
// of a real server or router: each client pushes unique elements at the
// tail (LIST_PUSH_RIGHT) and pops one at the head (LIST_POP_LEFT) at
// random, each with a request id (ONCE; after a broken connection or a
// "not confirmed", RETRY, which never runs it again and answers its first
// reply: PROTOCOL.md §12.12), a third of the pops as blocking pops of
// 20 ms (LIST_POP_LEFT_WAIT), and records what was acknowledged. Check
// then drains the lists and asks what an exactly-once queue must answer:
// no element is delivered twice (by two pops, or by a pop and the drain),
// every element delivered was pushed, and every acknowledged push is
// delivered, except at most one per pop whose outcome stayed unknown
// after its RETRYs (it may have taken an element with it).
type Queues struct {
	T       testing.TB
	Keys    []string
	Clients int
	Seed    uint64
	// Dial connects client c; on an error it is tried again a
	// millisecond later (the server may be restarting).
	Dial func(c int) (*client.Client, error)

	clients
	mu        sync.Mutex
	pushed    map[string]bool // element → acknowledged (false: outcome unknown)
	delivered map[string]int  // element → times a pop or the drain returned it
	lostPops  int             // pops whose outcome is unknown
}

// Start starts the clients.
func (q *Queues) Start() {
	q.pushed, q.delivered = map[string]bool{}, map[string]int{}
	q.start(q.Clients, q.client)
}

func (q *Queues) client(c int) {
	rng := rand.New(rand.NewPCG(uint64(c), q.Seed))
	var cl *client.Client
	defer func() {
		if cl != nil {
			cl.Close()
		}
	}()
	for seq := 0; !q.stopped(); seq++ {
		key := q.Keys[rng.IntN(len(q.Keys))]
		push := rng.IntN(2) == 0
		elem := fmt.Sprintf("q%d-%d", c, seq)
		cmd, args := "LIST_POP_LEFT", []any{key, 1}
		if push {
			cmd, args = "LIST_PUSH_RIGHT", []any{key, []string{elem}}
		}
		var r proto.Reply
		var unknown bool
		if !push && rng.IntN(3) == 0 {
			// A blocking pop, waiting up to 20 ms: its tries carry its id,
			// and only the one that takes an element is recorded.
			cmd, args = "LIST_POP_LEFT_WAIT", []any{key, 1, 20}
		}
		r, unknown, cl = q.once(c, cl, elem, cmd, args)
		if cl == nil && !unknown && q.stopped() {
			return // stopped before sending
		}
		q.mu.Lock()
		switch {
		case push && unknown:
			q.pushed[elem] = false
		case !push && unknown:
			q.lostPops++
		case r.Status == proto.StatusError && strings.Contains(string(r.Body), "did not run"):
		case push && r.Status == proto.StatusOK:
			q.pushed[elem] = true
			q.ops.Add(1)
		case !push && r.Status == proto.StatusOK && r.Value.Type == proto.TypeList:
			for _, e := range r.Value.Strs {
				q.delivered[string(e)]++
			}
			q.ops.Add(1)
		default:
			q.mu.Unlock()
			q.T.Errorf("%s on %s: unexpected reply %s", map[bool]string{true: "push", false: "pop"}[push], key, client.Format(r))
			return
		}
		q.mu.Unlock()
	}
}

// WaitFor waits until n pushes and pops have been answered, failing the
// test if that takes longer than within.
func (q *Queues) WaitFor(n int64, within time.Duration) {
	q.T.Helper()
	q.waitFor(q.T, n, within)
}

// maxRetries bounds the RETRYs of one operation.
const maxRetries = 5

// once runs cmd with id as ONCE through cl, and, while its outcome is
// unknown (the connection broke, or "not confirmed"), as RETRY on a new
// connection if need be; unknown says the last answer left it unknown.
// It returns the connection to go on with (nil: none).
func (q *Queues) once(c int, cl *client.Client, id, cmd string, args []any) (proto.Reply, bool, *client.Client) {
	word := "ONCE"
	for try := 0; ; try++ {
		if cl = q.connect(c, cl, q.Dial); cl == nil {
			return proto.Reply{}, try > 0, nil // stopped: unknown if sent before
		}
		r, err := cl.Do(word, append([]any{id, client.Verbatim(cmd)}, args...)...)
		if err != nil {
			cl.Close()
			cl = nil
		}
		unknown := err != nil || r.Status == proto.StatusError && strings.Contains(string(r.Body), "not confirmed")
		// A RETRY refused unrun (no majority in time) learned nothing.
		unknown = unknown || word == "RETRY" && r.Status == proto.StatusError && strings.Contains(string(r.Body), "did not run")
		if !unknown || try == maxRetries {
			return r, unknown, cl
		}
		word = "RETRY" // it may have run: never again
	}
}

// Check drains every list through c (after Stop) and checks the
// deliveries.
func (q *Queues) Check(c *client.Client) {
	q.T.Helper()
	for _, key := range q.Keys {
		r, err := c.Do("LIST_RANGE", key, 0, -1)
		if err != nil || r.Status == proto.StatusError {
			q.T.Fatalf("draining %s: %v %s", key, err, client.Format(r))
		}
		for _, e := range r.Value.Strs {
			q.delivered[string(e)]++
		}
	}
	var twice, phantom, lost []string
	for e, n := range q.delivered {
		if n > 1 {
			twice = append(twice, e)
		}
		if _, ok := q.pushed[e]; !ok {
			phantom = append(phantom, e)
		}
	}
	acked := 0
	for e, ok := range q.pushed {
		if ok {
			acked++
			if q.delivered[e] == 0 {
				lost = append(lost, e)
			}
		}
	}
	if len(twice) > 0 || len(phantom) > 0 || len(lost) > q.lostPops {
		q.T.Errorf("queues: %d elements delivered twice %v, %d never pushed %v, %d acknowledged pushes never delivered %v (%d pops of unknown outcome may explain as many)",
			len(twice), twice, len(phantom), phantom, len(lost), lost, q.lostPops)
	}
	q.T.Logf("queues: %d pushes acknowledged, %d elements delivered, %d pops of unknown outcome, %d acknowledged elements undelivered",
		acked, len(q.delivered), q.lostPops, len(lost))
}
