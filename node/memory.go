package node

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// A node's memory limit (Config.MaxMemory, --max-memory; PROTOCOL.md
// §12.2). Past it the node refuses the writes that add data and runs the
// rest (reads, deletes, pops, deadlines), so a client that fills memory
// gets an error instead of the kernel ending the process. What it checks
// is the live heap the last garbage collection found: everything the
// process holds, garbage aside, as Redis's used_memory counts its
// allocations. Writes from other replicas (deltas, transfers, repair) are
// never refused: a replica that refused them would keep an older copy.

// memCheckEvery is how often Run reads the live heap.
const memCheckEvery = 100 * time.Millisecond

// memCollectGap is the least time between two collections the guard
// forces: while over the limit, once writes that make room have run, a
// collection learns what they freed (without one, a node that takes no
// new data allocates little, and the next collection, hence the reading
// that lets writes in again, could be far off).
const memCollectGap = time.Second

// memGuard decides whether the node refuses writes that add data. Run
// feeds it the live heap (observe); apply and the serial proposer ask it
// about each command (refusal). Its decisions are functions of what it was
// fed and of the time it is given.
type memGuard struct {
	limit uint64 // bytes; 0: no limit
	// refused holds the reply a write that adds data gets while the node
	// is over its limit, nil while under.
	refused atomic.Pointer[string]
	// refusals counts the commands refused.
	refusals atomic.Int64
	// made counts the writes run while over that may have made room
	// (deletes, pops, an expiry sweep's removals).
	made atomic.Int64
	// Observe's own, on Run's goroutine.
	shown     uint64    // the live heap the reply names, in MiB
	collected time.Time // the last collection it asked for
}

// refusal returns the reply for a command of requests reqs (one, or a
// transaction's) and true when the node refuses it. A
// transaction that adds data anywhere is refused whole.
func (g *memGuard) refusal(reqs []*proto.Request) (string, bool) {
	r := g.refused.Load()
	if r == nil {
		return "", false
	}
	for _, req := range reqs {
		if req.AddsData() {
			g.refusals.Add(1)
			return *r, true
		}
	}
	if !proto.ReadOnly(reqs) {
		g.made.Add(1)
	}
	return "", false
}

// freed tells the guard that n keys were removed other than by a
// client's write (expiry).
func (g *memGuard) freed(n int) {
	if n > 0 && g.refused.Load() != nil {
		g.made.Add(int64(n))
	}
}

// observe takes a reading of the live heap at now and reports whether a
// collection should run: the node is over its limit, writes that make
// room ran since the last forced one, and memCollectGap has passed.
func (g *memGuard) observe(live uint64, now time.Time) (collect bool) {
	if g.limit == 0 || live <= g.limit {
		g.refused.Store(nil)
		g.made.Store(0)
		g.shown = 0
		return false
	}
	if mib := live >> 20; mib != g.shown || g.refused.Load() == nil {
		g.shown = mib
		reply := string(proto.AppendErrorMsg(nil, fmt.Sprintf("%s: this node's live heap is %s, over its --max-memory of %s; "+
			"writes that add data are refused until deletes or expiries make room (or --max-memory is raised)",
			proto.MsgOutOfMemory, formatBytes(live), formatBytes(g.limit))))
		g.refused.Store(&reply)
	}
	if now.Sub(g.collected) < memCollectGap || g.made.Load() == 0 {
		return false
	}
	g.made.Store(0)
	g.collected = now
	return true
}

// OverMemory reports whether the node refuses writes that add data now
// (for metrics).
func (n *Node) OverMemory() bool { return n.mem.refused.Load() != nil }

// MaxMemory returns the node's memory limit in bytes (0: none).
func (n *Node) MaxMemory() uint64 { return n.cfg.MaxMemory }

// MemoryRefusals returns how many commands the memory limit refused.
func (n *Node) MemoryRefusals() int64 { return n.mem.refusals.Load() }

// checkMemory reads the live heap and, when the guard asks, collects.
func (n *Node) checkMemory() {
	if n.mem.observe(n.cfg.LiveHeap(), n.cfg.Now()) {
		n.cfg.Collect()
	}
}

// formatBytes writes n bytes as the refusal names them: MiB with one
// decimal under 10 GiB, GiB above.
func formatBytes(n uint64) string {
	if n >= 10<<30 {
		return strconv.FormatFloat(float64(n)/(1<<30), 'f', 1, 64) + " GiB"
	}
	return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB"
}
