//go:build !linux

package sched

import (
	"errors"
	"fmt"
)

// ErrUnsupported is returned by Apply for a policy this system lacks.
var ErrUnsupported = errors.New("sched: only the normal policy is available on this system")

// Apply gives the process policy p: here only Normal, which it has.
func Apply(p Policy) error {
	if p == Normal {
		return nil
	}
	return fmt.Errorf("%w (asked: %v)", ErrUnsupported, p)
}

// Threads is not available here.
func Threads(pid int) ([]int, error) { return nil, ErrUnsupported }

// Of is not available here.
func Of(tid int) (Policy, bool, error) { return 0, false, ErrUnsupported }
