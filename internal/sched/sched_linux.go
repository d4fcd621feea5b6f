package sched

import (
	"errors"
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// Linux's numbers for the policies (sched(7)).
const (
	sysNormal = 0 // SCHED_OTHER
	sysBatch  = 3 // SCHED_BATCH
)

func (p Policy) sys() (uint32, error) {
	switch p {
	case Normal:
		return sysNormal, nil
	case Batch:
		return sysBatch, nil
	}
	return 0, fmt.Errorf("%w: %v", ErrPolicy, p)
}

// Apply gives every thread of the process policy p, keeping each thread's
// nice value. Threads the runtime starts while it runs are caught by
// listing the threads again until a listing finds none left to set; a
// thread that ends meanwhile is skipped. The first failure to set a
// thread that still runs is returned (a sandbox may forbid the call).
func Apply(p Policy) error {
	want, err := p.sys()
	if err != nil {
		return err
	}
	done := map[int]bool{}
	for {
		tids, err := Threads(0)
		if err != nil {
			return err
		}
		fresh := 0
		for _, tid := range tids {
			if done[tid] {
				continue
			}
			fresh++
			if err := set(tid, want); err != nil && !errors.Is(err, unix.ESRCH) {
				return fmt.Errorf("sched: setting thread %d to %v: %w", tid, p, err)
			}
			done[tid] = true
		}
		if fresh == 0 {
			return nil
		}
	}
}

// Of returns the policy of thread tid (0: the calling thread; any
// process's thread), and whether it is one of Policy's.
func Of(tid int) (Policy, bool, error) {
	attr, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return 0, false, fmt.Errorf("sched: reading thread %d's policy: %w", tid, err)
	}
	switch attr.Policy {
	case sysNormal:
		return Normal, true, nil
	case sysBatch:
		return Batch, true, nil
	}
	return 0, false, nil
}

// Threads returns the ids of the threads of process pid (0: this one)
// now.
func Threads(pid int) ([]int, error) {
	dir := "/proc/self/task"
	if pid != 0 {
		dir = "/proc/" + strconv.Itoa(pid) + "/task"
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("sched: listing the threads: %w", err)
	}
	tids := make([]int, 0, len(ents))
	for _, e := range ents {
		if tid, err := strconv.Atoi(e.Name()); err == nil {
			tids = append(tids, tid)
		}
	}
	return tids, nil
}

func set(tid int, policy uint32) error {
	attr, err := unix.SchedGetAttr(tid, 0)
	if err != nil {
		return err
	}
	if attr.Policy == policy {
		return nil
	}
	attr.Policy = policy
	attr.Priority = 0
	return unix.SchedSetAttr(tid, attr, 0)
}
