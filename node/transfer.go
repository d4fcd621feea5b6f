package node

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"

	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/vfs"
)

// Partition ownership and transfer, for nodes in a cluster.
//
// A node serves only the partitions it holds. Moving partition p from
// node A to node B (when the ring makes B its primary):
//
//  1. B asks A to StartStream(p): A captures p's whole state under p's
//     lock and from then on also records every delta written to p.
//  2. B installs the state (InstallPartition, replacing whatever stale
//     copy it had) and pulls recorded deltas (PullStream) until few are
//     left, while A keeps serving p.
//  3. B asks A to FinishStream(p): under p's lock A stops serving p and
//     returns the last deltas; requests for p at A now get ErrNotHeld, so
//     routers retry at B.
//  4. B applies them, makes them durable, holds p, and tells A to
//     DropPartition(p).
//
// Installing and dropping are logged in the WAL, so recovery reproduces
// them, and each partition's state (held, handed off, absent) is saved
// beside the data: between steps 3 and 4 A keeps p's data, across
// restarts too, so that if B never got the last deltas it takes p from A
// again.

// ErrNotHeld is returned for a command on a partition this node does not
// serve (a router routed with an outdated view and should retry).
var ErrNotHeld = errors.New("node: partition not held here")

// stream records the deltas written to a partition being moved away.
type stream struct {
	buf []byte // (length uvarint, encoded delta)*
	n   int
}

// checkHeld reports ErrNotHeld if a locked partition is not served here.
func (n *Node) checkHeld(locks []int) error {
	for _, i := range locks {
		if n.parts[i].state != partServing {
			return fmt.Errorf("%w: partition %d", ErrNotHeld, i)
		}
	}
	return nil
}

// serves reports whether this node serves partition p (holds it and is
// not catching up).
func (n *Node) serves(p int) bool {
	part := &n.parts[p]
	part.mu.Lock()
	defer part.mu.Unlock()
	return part.state == partServing
}

// Held returns, by partition, whether this node serves it (holds it and
// is not catching up).
func (n *Node) Held() []bool {
	out := make([]bool, len(n.parts))
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		out[i] = p.state == partServing
		p.mu.Unlock()
	}
	return out
}

// StartCatchUp marks every held partition as catching up (see partition)
// and returns them.
func (n *Node) StartCatchUp() []int {
	var out []int
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		if p.state.held() {
			p.state = partCatching
			out = append(out, i)
		}
		p.mu.Unlock()
	}
	return out
}

// CaughtUp ends partition i's catching up: it is served again.
func (n *Node) CaughtUp(i int) {
	p := &n.parts[i]
	p.mu.Lock()
	if p.state == partCatching {
		p.state = partServing
	}
	p.mu.Unlock()
}

// Catching reports whether partition i is catching up.
func (n *Node) Catching(i int) bool {
	p := &n.parts[i]
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.state == partCatching
}

// SetHeld makes the node serve (or stop serving) partition i without
// moving any data: for a new cluster, or a partition nobody else has.
func (n *Node) SetHeld(i int, held bool) error {
	p := &n.parts[i]
	p.mu.Lock()
	switch {
	case held:
		p.state = partServing
	case p.state != partHanded:
		p.state = partAbsent
	}
	p.mu.Unlock()
	return n.saveHeld()
}

// appendStates encodes the whole state of a shard as (length, delta)*
// (a large value in several deltas: storage.Shard.EachUnsorted).
func appendStates(dst []byte, sh *storage.Shard) []byte {
	var one []byte
	sh.EachUnsorted(func(d *storage.Delta) bool {
		one = storage.AppendDelta(one[:0], d)
		dst = binary.AppendUvarint(dst, uint64(len(one)))
		dst = append(dst, one...)
		return true
	})
	return dst
}

// StartStream captures partition i's state, appended to dst, and starts
// recording its new deltas for a node that is taking it over.
func (n *Node) StartStream(dst []byte, i int) ([]byte, error) {
	if i < 0 || i >= len(n.parts) {
		return nil, fmt.Errorf("node: no partition %d", i)
	}
	p := &n.parts[i]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.state == partAbsent {
		return nil, fmt.Errorf("%w: partition %d", ErrNotHeld, i)
	}
	// A handed-off partition can be streamed again: the new owner may not
	// have received the last reply before a failure.
	out := appendStates(dst, p.shard)
	p.stream = &stream{}
	return out, nil
}

// PullStream returns (and forgets) the deltas recorded since the last pull.
func (n *Node) PullStream(i int) ([]byte, int, error) {
	p := &n.parts[i]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stream == nil {
		return nil, 0, fmt.Errorf("node: partition %d is not streaming", i)
	}
	out, count := p.stream.buf, p.stream.n
	p.stream.buf, p.stream.n = nil, 0
	return out, count, nil
}

// FinishStream stops serving partition i and returns the last deltas.
func (n *Node) FinishStream(i int) ([]byte, error) {
	p := &n.parts[i]
	p.mu.Lock()
	if p.stream == nil {
		p.mu.Unlock()
		return nil, fmt.Errorf("node: partition %d is not streaming", i)
	}
	out := p.stream.buf
	p.stream = nil
	p.state = partHanded
	p.mu.Unlock()
	return out, n.saveHeld()
}

// Claimed returns, by partition, whether this node serves it or has handed
// it off without confirmation: either way no other node may take it over
// as empty.
func (n *Node) Claimed() []bool {
	out := make([]bool, len(n.parts))
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		out[i] = p.state != partAbsent
		p.mu.Unlock()
	}
	return out
}

// Handing reports how many partitions are served here or handed off but
// not yet confirmed by their new owner.
func (n *Node) Handing() int {
	c := 0
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		if p.state != partAbsent {
			c++
		}
		p.mu.Unlock()
	}
	return c
}

// AbortStream stops recording for a transfer that failed; the partition
// stays served here.
func (n *Node) AbortStream(i int) {
	p := &n.parts[i]
	p.mu.Lock()
	p.stream = nil
	p.mu.Unlock()
}

// decodeStates decodes (length, delta)* into deltas.
func decodeStates(b []byte) ([]storage.Delta, error) {
	ds, _, err := decodeStatesOnto(nil, nil, b, nil)
	return ds, err
}

// decodeStatesOnto decodes (length, delta)* onto ds, and each delta's
// encoding (aliasing b) onto raw; the deltas' slices borrow their storage
// from bw, unless it is nil.
func decodeStatesOnto(ds []storage.Delta, raw [][]byte, b []byte, bw *storage.Borrowed) ([]storage.Delta, [][]byte, error) {
	for len(b) > 0 {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return ds, raw, errors.New("node: malformed partition stream")
		}
		enc := b[k : k+int(l)]
		ds = append(ds, storage.Delta{})
		if err := storage.DecodeDeltaInto(enc, &ds[len(ds)-1], bw); err != nil {
			return ds[:len(ds)-1], raw, err
		}
		raw = append(raw, enc)
		b = b[k+int(l):]
	}
	return ds, raw, nil
}

// InstallPartition replaces partition i's state with a streamed one (not
// yet serving it). The replacement is logged so recovery redoes it.
func (n *Node) InstallPartition(i int, states []byte) error {
	ds, err := decodeStates(states)
	if err != nil {
		return err
	}
	p := &n.parts[i]
	p.mu.Lock()
	defer p.mu.Unlock()
	// The RESETs this node took for the partition before its copy came
	// stay: the copy may come from a node they missed (node.run), and
	// joined after its states they remove what is older.
	for db := range storage.NumDBs {
		if d, ok := p.shard.DBReset(db); ok {
			ds = append(ds, d)
		}
	}
	if err := n.logClear(i); err != nil {
		return err
	}
	p.shard = storage.NewShard(n.cfg.KeepTombstones)
	return n.applyLocked(i, ds)
}

// ApplyStream joins streamed deltas into partition i.
func (n *Node) ApplyStream(i int, deltas []byte) error {
	ds, err := decodeStates(deltas)
	if err != nil {
		return err
	}
	p := &n.parts[i]
	p.mu.Lock()
	defer p.mu.Unlock()
	return n.applyLocked(i, ds)
}

// applyLocked applies deltas to partition i and logs them.
func (n *Node) applyLocked(i int, ds []storage.Delta) error {
	if len(ds) == 0 {
		return nil
	}
	x := n.ctxs.Get().(*execCtx)
	defer n.release(x)
	for k := range ds {
		n.clock.Observe(ds[k].MaxStamp())
		n.parts[i].shard.Apply(&ds[k])
	}
	x.c.Deltas = append(x.c.Deltas[:0], ds...)
	x.dparts = x.dparts[:0]
	for range ds {
		x.dparts = append(x.dparts, i)
	}
	_, seq, err := n.logCmd(x, nil)
	if err == nil && seq > 0 {
		err = n.wal.Sync() // a transferred partition must not be lost
		if err != nil {
			n.fail(err)
		}
	}
	return err
}

// DropPartition forgets partition i's data after it moved away.
func (n *Node) DropPartition(i int) error {
	p := &n.parts[i]
	p.mu.Lock()
	if p.state.held() {
		p.mu.Unlock()
		return fmt.Errorf("node: partition %d is still served here", i)
	}
	if err := n.logClear(i); err != nil {
		p.mu.Unlock()
		return err
	}
	p.shard = storage.NewShard(n.cfg.KeepTombstones)
	was := p.state
	p.state = partAbsent
	p.mu.Unlock()
	if was == partHanded {
		return n.saveHeld() // no longer kept for its new owner
	}
	return nil
}

// logClear writes a WAL record that empties partition i on replay:
// partitions, count 0, partition.
func (n *Node) logClear(i int) error {
	if n.wal == nil {
		return nil
	}
	rec := binary.AppendUvarint(nil, uint64(len(n.parts)))
	rec = binary.AppendUvarint(rec, 0)
	rec = binary.AppendUvarint(rec, uint64(i))
	seq, err := n.wal.Append(rec)
	if err == nil {
		// Durable before the caller goes on: a dropped partition must
		// not come back after a crash.
		err = n.wal.Wait(seq)
	}
	if err != nil {
		n.fail(err)
		return err
	}
	return nil
}

// readFile returns a small file's contents, or nil if it does not exist.
func readFile(fsys vfs.FS, path string) ([]byte, error) {
	f, err := fsys.Open(path)
	if vfs.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf, err := io.ReadAll(f)
	if buf == nil && err == nil {
		buf = []byte{} // empty, but there
	}
	return buf, err
}

// heldPath is where the held set is saved ("" in memory only).
func (n *Node) heldPath() string { return n.cfg.HeldPath }

// The held set is saved as one byte per partition: heldAbsent,
// heldHeld (served or catching up; a restart catches up anyway) or
// heldHanded. A handed-off partition keeps its data across a restart
// until its new owner confirms it: should the new owner have missed the
// hand-off's last deltas, it takes the partition again from here.
const (
	heldAbsent byte = iota
	heldHeld
	heldHanded
)

// loadHeld reads the held set saved by saveHeld; partitions not held lose
// whatever stale data recovery brought back.
func (n *Node) loadHeld() error {
	path := n.heldPath()
	if path == "" {
		return nil
	}
	buf, err := readFile(n.fs, path)
	if buf == nil || err != nil {
		return err
	}
	if len(buf) != len(n.parts) {
		return fmt.Errorf("node: %s lists %d partitions, the data has %d", path, len(buf), len(n.parts))
	}
	for i := range n.parts {
		p := &n.parts[i]
		switch buf[i] {
		case heldHeld:
			p.state = partServing
		case heldHanded:
			p.state = partHanded
		case heldAbsent:
			p.state = partAbsent
			p.shard = storage.NewShard(n.cfg.KeepTombstones)
		default:
			return fmt.Errorf("node: %s: partition %d has state %d, want 0, 1 or 2 (the file is damaged: remove it, and the node takes its partitions from its peers)", path, i, buf[i])
		}
	}
	return nil
}

// saveHeld writes the held set atomically (see heldHeld). The states are
// read under heldMu, so of two concurrent saves the later one reads and
// writes last.
func (n *Node) saveHeld() error {
	path := n.heldPath()
	if path == "" {
		return nil
	}
	n.heldMu.Lock()
	defer n.heldMu.Unlock()
	buf := make([]byte, len(n.parts))
	for i := range n.parts {
		p := &n.parts[i]
		p.mu.Lock()
		switch {
		case p.state.held():
			buf[i] = heldHeld
		case p.state == partHanded:
			buf[i] = heldHanded
		}
		p.mu.Unlock()
	}
	return vfs.WriteAtomic(n.fs, path, func(w io.Writer) error {
		_, err := w.Write(buf)
		return err
	})
}

// PartitionStates counts this node's partitions by state: serving,
// catching up after a restart, handed off and kept until confirmed (the
// rest are absent).
func (n *Node) PartitionStates() (serving, catching, handed int) {
	for i := range n.parts {
		part := &n.parts[i]
		part.mu.Lock()
		switch part.state {
		case partServing:
			serving++
		case partCatching:
			catching++
		case partHanded:
			handed++
		}
		part.mu.Unlock()
	}
	return serving, catching, handed
}
