package node

import (
	"encoding/binary"
	"fmt"
	"slices"

	"github.com/cespare/xxhash/v2"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/ring"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// Result is the outcome of a run of commands (rpc.Run): one entry per
// request, in the run's order.
type Result struct {
	// Replies holds every entry's bytes back to back: a reply in the client
	// protocol for an OK entry, a message for the others.
	Replies []byte
	Ends    []int        // where each entry ends in Replies
	Status  []rpc.Status // each entry's outcome
	// Pos is the log position the node had reached when the run ended. No
	// reply may leave before it is durable (Node.Durable): a reply can show
	// a write of another run that is not yet.
	Pos uint64

	first  []int              // each command's first entry
	out    []byte             // the encoded answer (reused)
	wrote  []cmdWrites        // commands that wrote, with their partitions
	items  []replication.Item // deltas by partition, each encoded once (captured runs)
	itemOf map[int]int        // partition to its index in items
	parts  []int              // the partitions of every cmdWrites, back to back
	st     *settling          // the coordinator's wait for the copies (reused)
}

// cmdWrites lists the partitions command cmd wrote.
type cmdWrites struct {
	cmd   int
	parts []int
}

// Entry returns entry i's status and bytes.
func (r *Result) Entry(i int) (rpc.Status, []byte) {
	start := 0
	if i > 0 {
		start = r.Ends[i-1]
	}
	return r.Status[i], r.Replies[start:r.Ends[i]]
}

// AppendItemList appends the entries to dst as rpc items (aliasing
// Replies).
func (r *Result) AppendItemList(dst []rpc.Item) []rpc.Item {
	for i := range r.Ends {
		st, b := r.Entry(i)
		dst = append(dst, rpc.Item{Status: st, Reply: b})
	}
	return dst
}

// AppendAnswer appends the result in KindRun's answer encoding, with
// clock the node's clock once the run is done.
func (r *Result) AppendAnswer(dst []byte, clock uint64) []byte {
	dst = rpc.AppendAnswerHeader(dst, clock)
	dst = binaryAppendCount(dst, len(r.Ends))
	for i := range r.Ends {
		st, b := r.Entry(i)
		dst = rpc.AppendItem(dst, st, b)
	}
	return dst
}

// reset empties r for a run of n entries, keeping its buffers: a Result
// is reused only once nothing reads its last run (Coordinator.Run's free).
func (r *Result) reset(n int) {
	clear(r.itemOf)
	*r = Result{Replies: r.Replies[:0], Ends: slices.Grow(r.Ends[:0], n), Status: slices.Grow(r.Status[:0], n),
		first: r.first[:0], out: r.out, wrote: r.wrote[:0], items: r.items[:0], itemOf: r.itemOf, parts: r.parts[:0],
		st: r.st}
}

// end closes the entry being appended to Replies.
func (r *Result) end(st rpc.Status) {
	r.Ends = append(r.Ends, len(r.Replies))
	r.Status = append(r.Status, st)
}

// refuse appends an entry with status st and message msg for each of n
// requests.
func (r *Result) refuse(n int, st rpc.Status, msg string) {
	for range n {
		r.Replies = append(r.Replies, msg...)
		r.end(st)
	}
}

// replace gives entries [from, to) status st and message msg.
func (r *Result) replace(from, to int, st rpc.Status, msg string) {
	old, ends, status := r.Replies, r.Ends, r.Status
	r.Replies, r.Ends, r.Status = make([]byte, 0, len(old)), make([]int, 0, len(ends)), make([]rpc.Status, 0, len(ends))
	prev := 0
	for i, e := range ends {
		if i >= from && i < to {
			r.Replies = append(r.Replies, msg...)
			r.end(st)
		} else {
			r.Replies = append(r.Replies, old[prev:e]...)
			r.end(status[i])
		}
		prev = e
	}
}

// cmdEntries returns the entries of command c.
func (r *Result) cmdEntries(c int) (int, int) {
	to := len(r.Ends)
	if c+1 < len(r.first) {
		to = r.first[c+1]
	}
	return r.first[c], to
}

// capture keeps one encoded delta of partition p for the other replicas.
func (r *Result) capture(p int, enc []byte) {
	if r.itemOf == nil {
		r.itemOf = map[int]int{}
	}
	i, ok := r.itemOf[p]
	if !ok {
		i = len(r.items)
		r.itemOf[p] = i
		if i < cap(r.items) { // an item of an earlier run: its buffer is reused
			r.items = r.items[:i+1]
			r.items[i] = replication.Item{Partition: p, Deltas: r.items[i].Deltas[:0]}
		} else {
			r.items = append(r.items, replication.Item{Partition: p})
		}
	}
	r.items[i].Deltas = binaryAppendCount(r.items[i].Deltas, len(enc))
	r.items[i].Deltas = append(r.items[i].Deltas, enc...)
}

// apply runs r's commands in order on this node's own copy. Each command
// takes the locks of its partitions in ascending order (every partition
// for RESET), checks that this node serves them, runs in storage, and
// logs its deltas as one record, so a transaction's commands are atomic
// and recovered together. A partition refused once is refused for the
// rest of the run, so a caller can retry those commands elsewhere in their
// order. With capture, the deltas are also kept by partition for the
// other replicas, each delta encoded once for the log, a partition on the
// move and the replicas. Nothing is durable yet: res.Pos says what to
// wait for. The clock first moves past the run's floor. skip, if not nil,
// gives commands already answered (a read that could not reach its
// replicas): they are not run. While the log has failed (retryStorage),
// writes are refused (StatusRefused) and reads run.
func (n *Node) apply(r *rpc.Run, res *Result, capture bool, skip []skipped) {
	res.reset(r.Answers())
	failed := n.failure()
	n.clock.Observe(hlc.Stamp{Time: r.Floor})
	x := n.ctxs.Get().(*execCtx)
	defer n.release(x)
	x.phys = n.clock.Physical() // one reading for the run's stamps
	var refused []int           // partitions found not held
	for ci := range r.Cmds {
		c := &r.Cmds[ci]
		res.first = append(res.first, len(res.Ends))
		if ci < len(skip) && skip[ci].st != rpc.StatusOK {
			res.refuse(c.Answers(), skip[ci].st, skip[ci].msg)
			continue
		}
		if r.Deadline != 0 {
			if x.phys = n.clock.Physical(); x.phys > r.Deadline {
				res.refuse(c.Answers(), rpc.StatusExpired, "the request's deadline passed before it ran")
				continue
			}
		}
		if failed != nil && !proto.ReadOnly(c.Reqs) {
			res.refuse(c.Answers(), rpc.StatusRefused, failed.Error())
			continue
		}
		if reply, refused := n.mem.refusal(c.Reqs); refused {
			res.refuse(c.Answers(), rpc.StatusOK, reply) // every request's reply
			continue
		}
		database := false
		x.keys = x.keys[:0]
		for _, req := range c.Reqs {
			database = database || req.Cmd.Class() == proto.ClassDatabase
			x.keys = req.Keys(x.keys)
			if req.Fenced {
				// The write reads its lock's current token (storage's
				// Ctx.fence); a cluster runs it on the serial path.
				x.keys = append(x.keys, req.Fence.Lock)
			}
		}
		if database {
			x.locks = n.lockAll(x.locks)
		} else {
			x.locks = n.lockKeys(x.keys, x.locks)
		}
		var err error
		if !database {
			err = n.checkHeld(x.locks)
			for _, p := range x.locks {
				if err == nil && slices.Contains(refused, p) {
					err = fmt.Errorf("%w: partition %d (refused earlier in this run)", ErrNotHeld, p)
				}
			}
		}
		if err != nil {
			n.unlock(x.locks)
			refused = append(refused, x.locks...)
			res.refuse(c.Answers(), rpc.StatusWrongRing, err.Error())
			continue
		}
		if c.Digest == rpc.DigestOnly {
			res.Replies = binary.BigEndian.AppendUint64(res.Replies, n.digestLocked(x, c.DB))
			res.end(rpc.StatusOK)
			n.unlock(x.locks)
			continue
		}
		n.begin(x, c.DB)
		start := len(res.Ends)
		runs := n.checksHold(x, c.Reqs)
		for _, req := range c.Reqs {
			if runs || req.Cmd == proto.CmdKeyVersionIs {
				res.Replies = n.run(x, c.DB, req, res.Replies)
			} else {
				res.Replies = proto.AppendErrorMsg(res.Replies, proto.MsgNotRun)
			}
			res.end(rpc.StatusOK)
		}
		if c.Digest == rpc.WithDigest {
			res.Replies = binary.BigEndian.AppendUint64(res.Replies, n.digestLocked(x, c.DB))
			res.end(rpc.StatusOK)
		}
		if failed != nil {
			// A read's only deltas remove keys found expired: not
			// logged while the log is down (a restart finds them
			// expired again), and in the snapshot that brings it back.
			n.unlock(x.locks)
			continue
		}
		var into *Result
		if capture && !database {
			into = res
		}
		parts, _, err := n.logCmd(x, into)
		n.unlock(x.locks)
		if err != nil {
			res.replace(start, len(res.Ends), rpc.StatusError, "write not durable: "+err.Error())
			continue
		}
		if into != nil && len(parts) > 0 {
			res.wrote = append(res.wrote, cmdWrites{cmd: ci, parts: parts})
		}
	}
	if n.wal != nil && failed == nil {
		res.Pos = n.wal.Last() // a read waits too: what it saw must be durable
	}
}

// checksHold reports whether the KEY_VERSION_IS checks among a command's
// requests (a transaction's) all hold, before any of them runs: if one
// does not, the transaction runs nothing but its checks (§12.21). Its keys'
// partitions are locked.
func (n *Node) checksHold(x *execCtx, reqs []*proto.Request) bool {
	if !storage.HasChecks(reqs) {
		return true
	}
	x.c.T = n.clock.NowAt(x.phys)
	return x.c.ChecksHold(reqs)
}

// skipped is a command answered without running.
type skipped struct {
	st  rpc.Status
	msg string
}

// logCmd encodes each delta of x once and appends it to the WAL record of
// the command, to the stream of a partition on the move, and, if into is
// not nil, to the deltas captured for the replicas. It returns the
// partitions written (captured runs only) and the record's log position.
func (n *Node) logCmd(x *execCtx, into *Result) ([]int, uint64, error) {
	if len(x.c.Deltas) == 0 {
		return nil, 0, nil
	}
	rec := x.rec[:0]
	if n.wal != nil {
		rec = binaryAppendCount(rec, len(n.parts))
		rec = binaryAppendCount(rec, len(x.c.Deltas))
	}
	var from int
	if into != nil {
		from = len(into.parts)
	}
	for k := range x.c.Deltas {
		d := &x.c.Deltas[k]
		p := x.dparts[k]
		if p < 0 {
			p = ring.PartitionOfString(d.Key, len(n.parts))
		}
		s := n.parts[p].stream
		if n.wal == nil && s == nil && (into == nil || d.DBWide) {
			continue // nobody reads its encoding (a node without a log)
		}
		var enc []byte
		if k < len(x.raw) {
			enc = x.raw[k]
		} else {
			x.scratch = storage.AppendDelta(x.scratch[:0], d)
			enc = x.scratch
		}
		if n.wal != nil {
			rec = binaryAppendCount(rec, p)
			rec = binaryAppendCount(rec, len(enc))
			rec = append(rec, enc...)
		}
		if s != nil {
			s.buf = binaryAppendCount(s.buf, len(enc))
			s.buf = append(s.buf, enc...)
			s.n++
		}
		if into != nil && !d.DBWide {
			into.capture(p, enc)
			if !slices.Contains(into.parts[from:], p) {
				into.parts = append(into.parts, p)
			}
		}
	}
	x.rec = rec
	var parts []int
	if into != nil {
		parts = into.parts[from:len(into.parts):len(into.parts)]
	}
	if n.wal == nil {
		return parts, 0, nil
	}
	n.walBytes.Add(int64(len(rec)))
	seq, err := n.wal.Append(rec)
	if err != nil {
		n.fail(err)
	}
	return parts, seq, err
}

func binaryAppendCount(dst []byte, n int) []byte { return binary.AppendUvarint(dst, uint64(n)) }

// digestLocked returns the digest of the states of x.keys in database db,
// with the database-wide resets of their partitions: the hash of each
// key's storage.AppendStateDigest, in order, which for a set, hash or list
// stands for its parts by the sum of their hashes, so a digest costs
// nothing in a collection's size. Replicas holding the same state of those
// keys have the same digest. The keys' partitions are locked.
func (n *Node) digestLocked(x *execCtx, db int) uint64 {
	var h xxhash.Digest
	h.Reset()
	var seen []int
	for _, k := range x.keys {
		p := n.partitionOf(k)
		sh := n.parts[p].shard
		if !slices.Contains(seen, p) {
			seen = append(seen, p)
			if d, ok := sh.DBReset(db); ok {
				x.scratch = storage.AppendCanonical(x.scratch[:0], &d)
				h.Write(x.scratch)
			}
		}
		var ok bool
		if x.scratch, ok = sh.AppendStateDigest(x.scratch[:0], db, k); ok {
			h.Write(x.scratch)
		}
	}
	return h.Sum64()
}
