package sched

import (
	"errors"
	"flag"
	"fmt"
)

// Policy is a scheduling policy for the process's threads.
type Policy uint8

const (
	// Normal is the default time-sharing policy (SCHED_OTHER).
	Normal Policy = iota
	// Batch is SCHED_BATCH: time-sharing without wakeup preemption.
	Batch
)

// ErrPolicy is returned by Parse for a name that is not a policy.
var ErrPolicy = errors.New("sched: unknown scheduling policy")

// Names lists the policies' names, for a flag's help.
const Names = `"batch" or "normal"`

// Parse returns the policy named s.
func Parse(s string) (Policy, error) {
	switch s {
	case "normal":
		return Normal, nil
	case "batch":
		return Batch, nil
	}
	return 0, fmt.Errorf("%w %q: use %s", ErrPolicy, s, Names)
}

func (p Policy) String() string {
	switch p {
	case Normal:
		return "normal"
	case Batch:
		return "batch"
	}
	return fmt.Sprintf("Policy(%d)", uint8(p))
}

// Set implements flag.Value.
func (p *Policy) Set(s string) error {
	v, err := Parse(s)
	if err != nil {
		return err
	}
	*p = v
	return nil
}

// Flag defines the --sched flag on fs, with default def, and returns its
// value.
func Flag(fs *flag.FlagSet, def Policy) *Policy {
	p := def
	fs.Var(&p, "sched", "the Linux scheduling `policy` of the process's threads: "+Names+
		" (batch: a thread that wakes does not preempt the one running, which suits processes sharing cores with the ones they talk to; docs/decisions.md)")
	return &p
}
