package gctune

import (
	"flag"
	"fmt"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"sync/atomic"
)

// DefaultHeadroomMiB is the floor the servers start with (--gc-headroom).
const DefaultHeadroomMiB = 64

// FlagUsage describes --gc-headroom.
const FlagUsage = "MiB the heap may grow past what the last garbage collection kept before the next one starts, when GOGC would allow less (0: GOGC alone; GOGC=off turns this off too)"

// Flag defines --gc-headroom on fs.
func Flag(fs *flag.FlagSet) *int {
	return fs.Int("gc-headroom", DefaultHeadroomMiB, FlagUsage)
}

// Bytes checks a --gc-headroom value and returns it in bytes.
func Bytes(mib int) (uint64, error) {
	if mib < 0 || mib > 1<<30 {
		return 0, fmt.Errorf("--gc-headroom %d: give MiB from 0 (GOGC alone) to %d", mib, 1<<30)
	}
	return uint64(mib) << 20, nil
}

// maxPercent bounds the percentage set for a nearly empty heap.
const maxPercent = 1 << 20

// Percent returns the GOGC percentage that lets a heap of live bytes grow
// by headroom bytes before the next collection, and never less than base.
//
// The runtime's goal for the next collection is live × (1 + GOGC/100),
// but never under a minimum heap of 4 MiB × GOGC/100 (runtime/mgcpacer.go,
// heapMinimum): for a heap of less than 4 MiB the percentage is bounded
// so that the minimum stays within live + headroom too. A live size of 0
// is unknown (no collection has run yet): Percent answers base.
func Percent(live, headroom uint64, base int) int {
	if live == 0 {
		return base
	}
	p := uint64(maxPercent)
	if headroom < p*live/100 {
		p = headroom * 100 / live
	}
	if m := (live + headroom) * 100 / heapMinimum; m < p {
		p = m
	}
	return max(base, int(p))
}

// heapMinimum is the runtime's smallest heap goal at GOGC=100.
const heapMinimum = 4 << 20

// Base returns the GOGC percentage the environment asks for (100 when
// GOGC is unset or not a number) and false when it turns the collector off.
func Base(getenv func(string) string) (int, bool) {
	v := getenv("GOGC")
	if v == "off" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil {
		return n, n >= 0
	}
	return 100, true
}

// Tuner sets GOGC after every collection (Start).
type Tuner struct {
	headroom uint64
	base     int
	percent  atomic.Int64 // the last percentage set (0: none yet)
	mu       sync.Mutex   // orders a tuning against Stop
	stopped  bool
}

// Start begins tuning with the given floor and returns the tuner, or nil
// when there is nothing to do: a zero headroom, or GOGC=off in the
// environment (the user's choice stands). It hooks the collector itself
// (a finalizer on an object dropped at once runs after each collection,
// on the runtime's finalizer goroutine) rather than a goroutine of its
// own, so that it acts between two collections however fast they come.
func Start(headroom uint64) *Tuner {
	base, on := Base(os.Getenv)
	if headroom == 0 || !on {
		return nil
	}
	t := &Tuner{headroom: headroom, base: base}
	t.arm() // the first tuning follows the first collection, when the live heap is known
	return t
}

// Stop ends the tuning and gives GOGC back its base percentage. A nil
// tuner's Stop does nothing.
func (t *Tuner) Stop() {
	if t == nil {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	t.stopped = true
	debug.SetGCPercent(t.base)
}

// Percent returns the percentage last set, 0 before the first.
func (t *Tuner) Percent() int { return int(t.percent.Load()) }

// sentinel is allocated and dropped so that its finalizer marks the end
// of a collection. Its pointer keeps it out of the tiny allocator, whose
// blocks hold several objects and free them together.
type sentinel struct{ t *Tuner }

func (t *Tuner) arm() {
	runtime.SetFinalizer(&sentinel{t: t}, func(s *sentinel) {
		if s.t.tune() {
			s.t.arm()
		}
	})
}

// tune sets the percentage for the live heap the last collection found,
// and reports false once the tuner has stopped.
func (t *Tuner) tune() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.stopped {
		return false
	}
	if p := Percent(LiveHeap(), t.headroom, t.base); int64(p) != t.percent.Load() {
		debug.SetGCPercent(p)
		t.percent.Store(int64(p))
	}
	return true
}

// LiveHeap returns the bytes of heap the last collection found live (0
// before the first): what the process holds, garbage aside.
func LiveHeap() uint64 {
	s := [1]metrics.Sample{{Name: "/gc/heap/live:bytes"}}
	metrics.Read(s[:])
	if s[0].Value.Kind() != metrics.KindUint64 {
		return 0
	}
	return s[0].Value.Uint64()
}

// SoftLimit sets the runtime's soft memory limit a quarter above
// maxMemory, a node's --max-memory (0: none, nothing set), unless
// GOMEMLIMIT gave one: as the heap nears it the collector runs more
// often, so the live heap the node checks against its limit stays fresh
// and garbage cannot take the process past it. It returns the limit set,
// 0 if none.
func SoftLimit(maxMemory uint64, getenv func(string) string) uint64 {
	if maxMemory == 0 || getenv("GOMEMLIMIT") != "" {
		return 0
	}
	soft := maxMemory + maxMemory/4
	if soft > math.MaxInt64 || soft < maxMemory {
		soft = math.MaxInt64
	}
	debug.SetMemoryLimit(int64(soft))
	return soft
}
