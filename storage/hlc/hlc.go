package hlc

import (
	"strconv"
	"sync/atomic"
)

// LogicalBits is the width of the logical counter inside Stamp.Time.
const LogicalBits = 16

// MaxWall is the largest wall time, in unix milliseconds, a Stamp can hold.
const MaxWall = 1<<(64-LogicalBits) - 1

// Stamp is a hybrid logical clock value with the actor that produced it.
type Stamp struct {
	Time  uint64 // wall ms << LogicalBits | logical counter
	Actor uint64
}

// Compare returns -1, 0 or +1 as s orders before, equal to or after o.
func (s Stamp) Compare(o Stamp) int {
	switch {
	case s.Time < o.Time:
		return -1
	case s.Time > o.Time:
		return 1
	case s.Actor < o.Actor:
		return -1
	case s.Actor > o.Actor:
		return 1
	}
	return 0
}

// Less reports whether s orders before o.
func (s Stamp) Less(o Stamp) bool {
	return s.Time < o.Time || s.Time == o.Time && s.Actor < o.Actor
}

// IsZero reports whether s is the zero stamp, which orders before all others.
func (s Stamp) IsZero() bool { return s == Stamp{} }

// Wall returns the wall-clock part in unix milliseconds.
func (s Stamp) Wall() int64 { return int64(s.Time >> LogicalBits) }

// Max returns the later of s and o.
func (s Stamp) Max(o Stamp) Stamp {
	if s.Less(o) {
		return o
	}
	return s
}

// EndOfMilli returns the largest stamp whose wall time is ms: every write
// made at or before ms orders at or before it.
func EndOfMilli(ms int64) Stamp {
	if ms < 0 {
		return Stamp{}
	}
	if ms > MaxWall {
		ms = MaxWall
	}
	return Stamp{Time: uint64(ms)<<LogicalBits | (1<<LogicalBits - 1), Actor: ^uint64(0)}
}

func (s Stamp) String() string {
	return strconv.FormatInt(s.Wall(), 10) + "." + strconv.FormatUint(s.Time&(1<<LogicalBits-1), 10) +
		"@" + strconv.FormatUint(s.Actor, 16)
}

// Clock issues stamps for one actor.
type Clock struct {
	actor uint64
	now   func() int64 // physical time in unix milliseconds
	last  atomic.Uint64
}

// NewClock returns a clock for actor reading physical time from now.
func NewClock(actor uint64, now func() int64) *Clock {
	return &Clock{actor: actor, now: now}
}

// Actor returns the clock's actor id.
func (c *Clock) Actor() uint64 { return c.actor }

// Now returns a stamp later than every stamp previously issued or observed.
func (c *Clock) Now() Stamp { return c.NowAt(c.now()) }

// Physical reads the clock's physical time source (unix milliseconds), for
// NowAt.
func (c *Clock) Physical() int64 { return c.now() }

// NowAt is Now with the physical time read earlier (Physical), by a caller
// that issues several stamps in a short span (a run of commands) and reads
// the time once for them: still later than every stamp issued or observed,
// its wall part at least phys.
func (c *Clock) NowAt(phys int64) Stamp {
	p := uint64(min(max(phys, 0), MaxWall)) << LogicalBits
	for {
		last := c.last.Load()
		next := max(p, last+1)
		if c.last.CompareAndSwap(last, next) {
			return Stamp{Time: next, Actor: c.actor}
		}
	}
}

// Last returns the latest stamp the clock has issued or observed (zero
// Actor): every stamp issued so far is at most it, every later one above.
func (c *Clock) Last() Stamp { return Stamp{Time: c.last.Load()} }

// Observe advances the clock past s, so later stamps order after it.
func (c *Clock) Observe(s Stamp) {
	for {
		last := c.last.Load()
		if s.Time <= last || c.last.CompareAndSwap(last, s.Time) {
			return
		}
	}
}
