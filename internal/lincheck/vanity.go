package lincheck

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// FenceLock is the lock the fenced writes of RegisterCommand name.
const FenceLock = "lincheck"

// RegisterCommand picks one of the register operations the histories of
// Vanity's compare-and-set commands are made of, on key: a read (GET), a
// write (SET) of val, a compare-and-set from seen (the last value the
// client knows; SET_IF, or DEL_IF to delete) when it knows one, a
// set-if-absent, a swap (GET_SET of val, GET_DEL), or a SET of val
// FENCED by FenceLock's token. It returns the operation and its command
// and arguments in client.Do's form.
func RegisterCommand(rng *rand.Rand, key, val, seen string, token int64) (RegisterOp, string, []any) {
	switch n := rng.IntN(9); {
	case n == 0:
		return RegisterOp{Kind: Read}, "GET", []any{key}
	case n == 1:
		return RegisterOp{Kind: Write, New: val}, "SET :STR", []any{key, val}
	case n == 2 && seen != "":
		return RegisterOp{Kind: CompareAndSet, Old: seen, New: val}, "SET_IF :STR", []any{key, seen, val}
	case n == 4 && seen != "":
		return RegisterOp{Kind: CompareAndSet, Old: seen, New: ""}, "DEL_IF :STR", []any{key, seen}
	case n == 5:
		return RegisterOp{Kind: Swap, New: val}, "GET_SET :STR", []any{key, val}
	case n == 6:
		return RegisterOp{Kind: Swap}, "GET_DEL", []any{key}
	case n >= 7:
		return RegisterOp{Kind: FencedWrite, New: val, Token: token}, "FENCED", []any{FenceLock, token, client.Verbatim("SET:STR"), key, val}
	}
	return RegisterOp{Kind: CompareAndSet, New: val}, "SET_IF_ABSENT :STR", []any{key, val}
}

// RegisterOutput returns the output of op (RegisterCommand's) that reply
// r shows, and false when r is not a reply op's command can get.
func RegisterOutput(op RegisterOp, r proto.Reply) (any, bool) {
	switch {
	case (op.Kind == Read || op.Kind == Swap) && r.Status == proto.StatusNull:
		return "", true
	case (op.Kind == Read || op.Kind == Swap) && r.Status == proto.StatusOK && r.Value.Type == proto.TypeStr:
		return string(r.Value.Str), true
	case (op.Kind == Write || op.Kind == FencedWrite) && r.Status == proto.StatusOK:
		return true, true
	case op.Kind == FencedWrite && r.Status == proto.StatusError && strings.HasPrefix(string(r.Body), proto.MsgFenced+":"):
		return false, true
	case op.Kind == CompareAndSet && r.Status == proto.StatusOK && r.Value.Type == proto.TypeBool:
		return r.Value.Bool, true
	}
	return nil, false
}

// Seen returns what a client knows key holds after op answered out: the
// value read or written, or before (what it knew) if op wrote nothing.
func Seen(op RegisterOp, out any, before string) string {
	switch {
	case op.Kind == Read:
		return out.(string)
	case op.Kind == Swap, out == true:
		return op.New
	}
	return before
}

// Registers is a workload of register operations (RegisterCommand's)
// from concurrent clients of a real server or router, each key's recorded
// in its own History. A client whose connection breaks records its
// operation as Unknown and goes on as a new client (a client's operations
// must not overlap); an operation refused unrun (an "unavailable … did
// not run" error) is not recorded, one answered "not confirmed" is
// Unknown. Fenced writes take tokens from a counter shared by every
// client, some of them a little behind it, so that some run behind
// newer ones and must be refused.
type Registers struct {
	T       testing.TB
	Keys    []string
	Clients int
	Seed    uint64
	// Dial connects client w; on an error it is tried again a
	// millisecond later (the server may be restarting).
	Dial func(w int) (*client.Client, error)

	clients
	mu       sync.Mutex
	hist     [][]History // per generation of keys (NextKeys), per key
	refusals []refusal   // operations refused unrun, for a failing history's report
	epoch    time.Time
	unknown  atomic.Int64
	ids      atomic.Int32
	tokens   atomic.Int64
}

// lost is where an operation of unknown outcome returns: after
// everything.
const lost = math.MaxInt64 / 2

// Start starts the clients.
func (w *Registers) Start() {
	w.hist = [][]History{make([]History, len(w.Keys))}
	w.epoch = time.Now()
	w.ids.Store(int32(w.Clients))
	w.tokens.Store(1000)
	w.start(w.Clients, w.client)
}

func (w *Registers) now() int64 { return int64(time.Since(w.epoch)) }

// NextKeys moves the clients to new keys, one for each of Keys (named
// "KEY/g" for the g-th generation), each with a history of its own. A
// long run that moves on every so often keeps each history short
// enough for the checker to decide: how long it takes grows with a
// history's length and its operations of unknown outcome, not with the
// number of histories.
func (w *Registers) NextKeys() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.hist = append(w.hist, make([]History, len(w.Keys)))
}

// generation returns the current generation of keys and its histories.
func (w *Registers) generation() (int, []History) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.hist) - 1, w.hist[len(w.hist)-1]
}

// keyName is the name of key k in generation g.
func (w *Registers) keyName(g, k int) string {
	if g == 0 {
		return w.Keys[k]
	}
	return fmt.Sprintf("%s/%d", w.Keys[k], g)
}

// client runs client c's operations until Stop.
func (w *Registers) client(c int) {
	rng := rand.New(rand.NewPCG(uint64(c), w.Seed))
	id := c
	seen := make([]string, len(w.Keys)) // the last value this client knows of each key
	gen := 0
	var cl *client.Client
	defer func() {
		if cl != nil {
			cl.Close()
		}
	}()
	for seq := 0; !w.stopped(); seq++ {
		if cl = w.connect(c, cl, w.Dial); cl == nil {
			return // stopped
		}
		g, hist := w.generation()
		if g != gen {
			gen = g
			clear(seen) // new keys: absent
		}
		k := rng.IntN(len(w.Keys))
		key, val := w.keyName(g, k), fmt.Sprintf("c%d-%d", c, seq)
		token := w.tokens.Add(1) - int64(rng.IntN(4))
		op, cmd, args := RegisterCommand(rng, key, val, seen[k], token)
		call := w.now()
		r, err := cl.Do(cmd, args...)
		ret := w.now()
		if err != nil { // the connection broke: the outcome is unknown
			hist[k].Add(id, op, Unknown, call, lost)
			w.unknown.Add(1)
			id = int(w.ids.Add(1))
			cl.Close()
			cl = nil
			continue
		}
		out, ok := RegisterOutput(op, r)
		switch {
		case ok:
			hist[k].Add(id, op, out, call, ret)
			w.ops.Add(1)
			seen[k] = Seen(op, out, seen[k])
		case r.Status == proto.StatusError && strings.Contains(string(r.Body), "not confirmed"):
			hist[k].Add(id, op, Unknown, call, lost)
			w.unknown.Add(1)
			id = int(w.ids.Add(1)) // a client's operations do not overlap
		case r.Status == proto.StatusError && strings.Contains(string(r.Body), "did not run"):
			w.mu.Lock() // no effect: nothing to record in the history
			w.refusals = append(w.refusals, refusal{gen: g, key: k, val: val, call: call, ret: ret, reply: client.Format(r)})
			w.mu.Unlock()
		default:
			w.T.Errorf("%s %v: unexpected reply %s", cmd, args, client.Format(r))
			return
		}
	}
}

// WaitFor waits until n operations have been answered, failing the test
// if that takes longer than within.
func (w *Registers) WaitFor(n int64, within time.Duration) {
	w.T.Helper()
	w.waitFor(w.T, n, within)
}

// refusal is an operation answered "did not run": the history leaves it
// out, as having had no effect.
type refusal struct {
	gen, key  int
	val       string // the value it would have written
	call, ret int64
	reply     string
}

// logRefusals logs the operations on key k of generation g that were
// refused unrun: a history that is not linearizable may hold the effect
// of one of them.
func (w *Registers) logRefusals(g, k int) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, r := range w.refusals {
		if r.gen == g && r.key == k {
			w.T.Logf("%s: refused unrun at %d..%d, value %q: %s", w.keyName(g, k), r.call, r.ret, r.val, r.reply)
		}
	}
}

// Check checks each key's history under Register, every generation's
// (with decided, a history the checker cannot decide within timeout
// fails too), and logs the counts. Call it after Stop.
func (w *Registers) Check(timeout time.Duration, decided bool) {
	w.T.Helper()
	w.mu.Lock()
	hists, refused := w.hist, len(w.refusals)
	w.mu.Unlock()
	for g := range hists {
		for k := range w.Keys {
			check := hists[g][k].Check
			if decided {
				check = hists[g][k].CheckDecided
			}
			if err := check(Register, timeout); err != nil {
				w.T.Errorf("%s: %v", w.keyName(g, k), err)
				if errors.Is(err, ErrNotLinearizable) {
					w.logRefusals(g, k)
				}
			}
		}
	}
	w.T.Logf("%d operations answered (%d generations of %d keys), %d of unknown outcome, %d refused unrun",
		w.ops.Load(), len(hists), len(w.Keys), w.unknown.Load(), refused)
}
