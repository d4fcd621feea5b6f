// Package lincheck records histories of operations on shared objects and
// checks them for linearizability with porcupine: a test records each
// operation's call and return (any clock that only moves forward) and
// its input and output, then Check says whether some order of the
// operations, each taking effect between its call and its return,
// explains every output under a model. A history that fails is kept as
// porcupine's visualization (an HTML file) for debugging. For tests only.
//
// The models: Log, an append-only sequence (each append answers the
// sequence up to and including its element: where it landed), and
// Register, a value read, written, compared-and-set, swapped and written
// behind a fence, the objects the serial path (docs/serial.md) makes
// linearizable. An operation whose reply never came is recorded with the
// output Unknown: the Register model lets it have taken effect or not.
// Registers (vanity.go) is the workload that records registers'
// histories from clients of a real server or router; Queues (queue.go)
// and Locks (locks.go) are workloads checked by what their objects must
// answer (no element delivered twice or lost; no lock held twice, no
// stale fenced write taken) rather than by porcupine.
package lincheck

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"
)

// History collects operations; it is safe for concurrent use.
type History struct {
	mu  sync.Mutex
	ops []porcupine.Operation
}

// Add records one completed operation of client, called at call and
// returned at ret, with its input and output.
func (h *History) Add(client int, input, output any, call, ret int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ops = append(h.ops, porcupine.Operation{ClientId: client, Input: input, Output: output, Call: call, Return: ret})
}

// Len is the number of operations recorded.
func (h *History) Len() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.ops)
}

// ErrNotLinearizable is wrapped by Check's error for a history no order
// explains.
var ErrNotLinearizable = errors.New("history is not linearizable")

// ErrUndecided is CheckDecided's error when the checker ran out of time.
var ErrUndecided = errors.New("the checker ran out of time before deciding")

// Check returns nil if the history is linearizable under model, or if the
// checker runs out of time (undecided is not a failure). A history that
// is not is written as an HTML visualization under $VANITY_LINCHECK_DIR
// (or the system's temporary directory), named in the error.
func (h *History) Check(model porcupine.Model, timeout time.Duration) error {
	if err := h.CheckDecided(model, timeout); !errors.Is(err, ErrUndecided) {
		return err
	}
	return nil
}

// CheckDecided is Check, except that running out of time is an error
// (ErrUndecided): for a test whose histories must be decided to count.
func (h *History) CheckDecided(model porcupine.Model, timeout time.Duration) error {
	h.mu.Lock()
	ops := append([]porcupine.Operation(nil), h.ops...)
	h.mu.Unlock()
	res, info := porcupine.CheckOperationsVerbose(model, ops, timeout)
	switch res {
	case porcupine.Unknown:
		return fmt.Errorf("%w: %d operations in %v", ErrUndecided, len(ops), timeout)
	case porcupine.Ok:
		return nil
	}
	dir := os.Getenv("VANITY_LINCHECK_DIR")
	if dir == "" {
		dir = os.TempDir()
	}
	path := filepath.Join(dir, fmt.Sprintf("lincheck-%d.html", time.Now().UnixNano()))
	if err := porcupine.VisualizePath(model, info, path); err != nil {
		return fmt.Errorf("%w: %d operations (visualization failed: %v)", ErrNotLinearizable, len(ops), err)
	}
	return fmt.Errorf("%w: %d operations; see %s", ErrNotLinearizable, len(ops), path)
}

// Append is an append of Elem to a Log; its output is the log up to and
// including the element, where it landed.
type Append struct{ Elem string }

// Log is the model of an append-only sequence whose appends say where
// they landed: from state s, Append{x} answering o is legal when o is s
// followed by x.
var Log = porcupine.Model{
	Init: func() any { return "" },
	Step: func(state, input, output any) (bool, any) {
		next := state.(string) + input.(Append).Elem
		return output.(string) == next, next
	},
	DescribeOperation: func(input, output any) string {
		return fmt.Sprintf("append(%s) → %q", input.(Append).Elem, output)
	},
}

// RegisterOp is an operation on a Register: a read (output: the value,
// "" when unset), a write of New (output: true), a compare-and-set of New
// if the value is Old (output: whether it was), a swap to New (output:
// the value it replaced; New "" deletes), or a fenced write of New
// carrying Token (output: whether the register's fence let it run).
type RegisterOp struct {
	Kind     RegisterKind
	Old, New string
	Token    int64
}

// RegisterKind is what a RegisterOp does.
type RegisterKind uint8

const (
	Read RegisterKind = iota
	Write
	CompareAndSet
	Swap
	FencedWrite
)

// Unknown is the output of an operation whose reply never came (its
// connection broke): it may or may not have taken effect. Record it
// returning at the end of the history.
const Unknown unknown = 0

type unknown uint8

// regState is a Register's state: its value, and its fence, the highest
// token a fenced write that ran carried (PROTOCOL.md §12.11; writes
// without a token leave it).
type regState struct {
	Value  string
	Fence  int64
	Fenced bool // some fenced write ran: Fence counts
}

// next returns the states s may be in after op ran, answering out.
func (s regState) next(op RegisterOp, out any) []any {
	if _, lost := out.(unknown); lost {
		if op.Kind == Read {
			return []any{s}
		}
		// It may have run or not: each possible outcome is legal.
		var states []any
		for _, o := range []any{true, false, s.Value} {
			for _, n := range s.next(op, o) {
				if !slices.Contains(states, n) {
					states = append(states, n)
				}
			}
		}
		return append(states, s)
	}
	switch op.Kind {
	case Read:
		if out == s.Value {
			return []any{s}
		}
	case Write:
		if out == true {
			return []any{regState{op.New, s.Fence, s.Fenced}}
		}
	case Swap:
		if out == s.Value {
			return []any{regState{op.New, s.Fence, s.Fenced}}
		}
	case CompareAndSet:
		switch {
		case out == true && s.Value == op.Old:
			return []any{regState{op.New, s.Fence, s.Fenced}}
		case out == false && s.Value != op.Old:
			return []any{s}
		}
	case FencedWrite:
		runs := !s.Fenced || op.Token >= s.Fence
		switch {
		case out == true && runs:
			return []any{regState{op.New, op.Token, true}}
		case out == false && !runs:
			return []any{s}
		}
	}
	return nil
}

// Register is the model of a register with reads, writes, compare-and-set,
// swaps and fenced writes; a write, compare-and-set, swap or fenced write
// whose output is Unknown may have taken effect or not.
var Register = (&porcupine.NondeterministicModel{
	Init: func() []any { return []any{regState{}} },
	Step: func(state, input, output any) []any {
		return state.(regState).next(input.(RegisterOp), output)
	},
	DescribeOperation: func(input, output any) string {
		op := input.(RegisterOp)
		switch op.Kind {
		case Read:
			return fmt.Sprintf("read → %q", output)
		case Write:
			return fmt.Sprintf("write(%q)", op.New)
		case Swap:
			return fmt.Sprintf("swap(%q) → %q", op.New, output)
		case FencedWrite:
			return fmt.Sprintf("fenced write(%q, token %d) → %v", op.New, op.Token, output)
		}
		return fmt.Sprintf("cas(%q→%q) → %v", op.Old, op.New, output)
	},
	DescribeState: func(state any) string {
		s := state.(regState)
		if s.Fenced {
			return fmt.Sprintf("%q, fence %d", s.Value, s.Fence)
		}
		return fmt.Sprintf("%q", s.Value)
	},
}).ToModel()
