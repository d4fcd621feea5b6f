// Package wal is Vanity's write-ahead log: an append-only sequence of
// records, each holding the deltas of one command, in segment files.
//
// # Format
//
// A segment file is named by the sequence number of its first record
// (%020d.wal) and holds records back to back; the segment being written is
// filled with zeros ahead of its records (Config.ZeroAhead), which a
// rotation or a clean close cuts:
//
//	record  = length:u32 crc:u32 payload[length]      (package record)
//	payload = seq:uvarint body
//
// Sequence numbers start at 1 and increase by one from record to record,
// across segments. The format is append-only: ONLY APPEND new fields to the
// end of body, never change what exists.
//
// # Durability
//
// Append hands a record to the log and returns its sequence number; a
// writer goroutine owned by the Log writes batches to the file. The fsync
// policy decides when data is durable:
//
//   - SyncAlways: Wait(seq) returns once the record is fsynced. Writers that
//     arrive while an fsync is in flight share the next one (group commit).
//   - SyncEverySecond: fsynced once a second. A machine crash loses at
//     most about a second of writes.
//   - SyncNever: never fsynced by the log; the OS decides.
//
// Under these two, Wait(seq) returns once the record is written to the
// file (handed to the OS), again shared by every writer that arrives
// meanwhile: a process crash (kill -9) loses no acknowledged write.
//
// A failed write or fsync sticks: every later Append and Wait returns it,
// and nothing is retried (a retried fsync can report success for data the
// kernel already dropped). Restart clears it once the caller has a
// snapshot holding every record appended: the segments are dropped and
// the log goes on after them.
//
// About once a second the writer records the last sequence known durable
// in the file "head" beside the segments.
//
// # Recovery
//
// Replay reads every segment in order. The zeros that end the last segment
// are cut, and an incomplete record before them (its bytes end where the
// zeros begin) is a torn write from a crash: the segment is cut there.
// Any other bad record, a complete last one with a bad checksum included
// (unless its own last bytes are zeros), is corruption, and so are a log
// that starts after what the snapshot covers and one that ends before its
// head: Replay refuses, naming what is wrong, unless asked to repair, which cuts the log
// at that point, drops the segments after it and records the new end.
//
// Log is safe for concurrent use.
package wal

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vanitydb/vanity/storage/record"
	"github.com/vanitydb/vanity/storage/vfs"
)

// Policy is when the log fsyncs.
type Policy int

const (
	SyncEverySecond Policy = iota // the default
	SyncAlways
	SyncNever
)

// ParsePolicy reads "always", "everysec" or "no".
func ParsePolicy(s string) (Policy, error) {
	switch s {
	case "always":
		return SyncAlways, nil
	case "everysec":
		return SyncEverySecond, nil
	case "no":
		return SyncNever, nil
	}
	return 0, fmt.Errorf("wal: unknown fsync policy %q (always, everysec or no)", s)
}

func (p Policy) String() string {
	return [...]string{"everysec", "always", "no"}[p]
}

// MaxRecord bounds a record's payload.
const MaxRecord = 1 << 30

// ErrCorrupt is wrapped by Replay's error for a damaged log.
var ErrCorrupt = errors.New("wal: corrupt")

// ErrClosed is returned by Append and Wait after Close.
var ErrClosed = errors.New("wal: closed")

// Config configures a Log.
type Config struct {
	FS          vfs.FS
	Dir         string
	Policy      Policy
	SegmentSize int64 // rotate after this many bytes (default 64 MiB)
	// ZeroAhead is how far ahead of its records a segment is filled with
	// zeros (default 1 MiB; negative: not at all). A record then lands in
	// space the file already has, and fdatasync(2) writes its data alone,
	// not the file's new size with it (about 30% less per sync here;
	// docs/decisions.md).
	ZeroAhead int64
	Interval  time.Duration // everysec period (default 1s)
	Logger    *slog.Logger
	// OnSync, if set, is told how long each fsync of the log took (for
	// metrics); it must not block.
	OnSync func(took time.Duration)
	// OnAppend, if set, is told the size of each record appended (for
	// metrics).
	OnAppend func(bytes int)
}

func (c *Config) defaults() {
	if c.FS == nil {
		c.FS = vfs.OS{}
	}
	if c.SegmentSize == 0 {
		c.SegmentSize = 64 << 20
	}
	if c.ZeroAhead == 0 {
		c.ZeroAhead = 1 << 20
	}
	if c.Interval == 0 {
		c.Interval = time.Second
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
}

func segmentName(first uint64) string { return fmt.Sprintf("%020d.wal", first) }

// segment is a segment file and the first sequence number in it.
type segment struct {
	name  string
	first uint64
}

func listSegments(fsys vfs.FS, dir string) ([]segment, error) {
	names, err := fsys.List(dir)
	if err != nil {
		if vfs.IsNotExist(err) {
			return nil, nil
		}
		return nil, err
	}
	var out []segment
	for _, n := range names {
		if !strings.HasSuffix(n, ".wal") {
			continue
		}
		first, err := strconv.ParseUint(strings.TrimSuffix(n, ".wal"), 10, 64)
		if err != nil {
			continue
		}
		out = append(out, segment{name: n, first: first})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].first < out[j].first })
	return out, nil
}

// AppendRecord appends a framed record with sequence number seq.
func AppendRecord(dst []byte, seq uint64, body []byte) []byte {
	dst, start := record.Begin(dst)
	dst = binary.AppendUvarint(dst, seq)
	dst = append(dst, body...)
	record.End(dst, start)
	return dst
}

// parseRecord reads the record at b[0:]; ok is false when it is missing,
// incomplete or fails its checksum.
func parseRecord(b []byte) (seq uint64, body []byte, size int, ok bool) {
	seq, body, size, err := parseRecordErr(b)
	return seq, body, size, err == nil
}

// parseRecordErr is parseRecord with the reason a record does not parse:
// record.ErrIncomplete when b ends inside it.
func parseRecordErr(b []byte) (seq uint64, body []byte, size int, err error) {
	payload, size, err := record.Parse(b, MaxRecord)
	if err != nil {
		return 0, nil, 0, err
	}
	seq, k := binary.Uvarint(payload)
	if k <= 0 {
		return 0, nil, 0, fmt.Errorf("%w: no sequence number", record.ErrCorrupt)
	}
	return seq, payload[k:], size, nil
}

// ReplayResult describes what Replay found.
type ReplayResult struct {
	Last      uint64 // sequence number of the last record, 0 if none
	Records   int
	TornBytes int64  // bytes of a torn record cut from the end of the last segment (not the zeros after it)
	Repaired  string // non-empty when repair dropped data: what and where
}

// Replay calls fn for every record in dir in order and returns what it
// found. A torn tail is cut from the last segment: a last record the
// bytes end inside (or zeros to the end, a file extended without its
// data), with nothing valid after it. Anything else that does not verify,
// a complete last record with a bad checksum included, is damage: an
// error wrapping ErrCorrupt, unless repair is set: then the log is cut at
// the damage and later segments are removed.
//
// Records up to covered (which a snapshot holds) may be missing between
// segments: a snapshot can cover records that were still in the log's
// buffer when the process died, and the log then reopened after them.
// The log must start right after covered at the latest: records between
// are lost (the snapshot that held them was deleted or replaced by an
// older one), which is damage too.
//
// The log's head file records, about once a second, the last sequence
// known durable: a log that ends before it has lost its end (a segment
// truncated, or cut at a record boundary, which nothing else shows), and
// that is damage too.
func Replay(fsys vfs.FS, dir string, repair bool, covered uint64, fn func(seq uint64, body []byte) error) (ReplayResult, error) {
	res, err := replay(fsys, dir, repair, covered, fn)
	if err != nil {
		return res, err
	}
	head, ok := readHead(fsys, dir)
	end := max(res.Last, covered)
	if !ok || head <= end {
		return res, nil
	}
	missing := fmt.Sprintf("the log ends at sequence %d, but sequence %d was durable: its end is missing (a segment truncated or removed?)", end, head)
	if !repair {
		return res, fmt.Errorf("%w: %s; start with the repair option to start without it", ErrCorrupt, missing)
	}
	res.Repaired = strings.TrimPrefix(res.Repaired+"; ", "; ") + missing
	if err := writeHead(fsys, dir, end); err != nil {
		return res, err
	}
	return res, nil
}

// headName is the file, beside the segments, that records the last
// sequence known durable.
const headName = "head"

// readHead returns the sequence the head file records; ok is false when
// there is none or it does not verify (then nothing can be checked).
func readHead(fsys vfs.FS, dir string) (uint64, bool) {
	b, err := readAll(fsys, filepath.Join(dir, headName))
	if err != nil {
		return 0, false
	}
	payload, _, err := record.Parse(b, 16)
	if err != nil {
		return 0, false
	}
	seq, k := binary.Uvarint(payload)
	return seq, k > 0
}

// writeHead records seq as the last sequence known durable.
func writeHead(fsys vfs.FS, dir string, seq uint64) error {
	return vfs.WriteAtomic(fsys, filepath.Join(dir, headName), func(w io.Writer) error {
		_, err := w.Write(record.Append(nil, binary.AppendUvarint(nil, seq)))
		return err
	})
}

func replay(fsys vfs.FS, dir string, repair bool, covered uint64, fn func(seq uint64, body []byte) error) (ReplayResult, error) {
	var res ReplayResult
	segs, err := listSegments(fsys, dir)
	if err != nil {
		return res, err
	}
	if len(segs) > 0 && segs[0].first > covered+1 {
		missing := fmt.Sprintf("the log starts at sequence %d, but the snapshot covers sequences up to %d only (0: no snapshot): %d to %d are missing",
			segs[0].first, covered, covered+1, segs[0].first-1)
		if !repair {
			return res, fmt.Errorf("%w: %s; was the snapshot deleted or replaced by an older one? Start with the repair option to load what is there, without them", ErrCorrupt, missing)
		}
		res.Repaired = missing
	}
	for i, s := range segs {
		if res.Last != 0 && s.first > res.Last+1 && s.first-1 <= covered {
			res.Last = s.first - 1 // the gap is in the snapshot
		}
		path := filepath.Join(dir, s.name)
		data, err := readAll(fsys, path)
		if err != nil {
			return res, fmt.Errorf("wal: read %s: %w", path, err)
		}
		off := 0
		for off < len(data) {
			seq, body, size, perr := parseRecordErr(data[off:])
			if perr == nil && res.Last != 0 && seq != res.Last+1 {
				perr = fmt.Errorf("%w: sequence %d after %d", record.ErrCorrupt, seq, res.Last) // a record from elsewhere, or damage
			}
			if perr != nil {
				written := trimZeros(data[off:])
				torn := len(written) == 0 || tornRecord(perr, written)
				if i == len(segs)-1 && torn && (len(written) == 0 || !validAfter(data, off, off+len(written), res.Last)) {
					res.TornBytes = int64(len(written))
					if err := cut(fsys, path, int64(off)); err != nil {
						return res, err
					}
					return res, nil
				}
				where := fmt.Sprintf("%s at offset %d", path, off)
				if !repair {
					return res, fmt.Errorf("%w: bad record in %s (after sequence %d: %v); start with the repair option to cut the log there, losing what follows", ErrCorrupt, where, res.Last, perr)
				}
				if err := cut(fsys, path, int64(off)); err != nil {
					return res, err
				}
				for _, later := range segs[i+1:] {
					if err := fsys.Remove(filepath.Join(dir, later.name)); err != nil {
						return res, err
					}
				}
				res.Repaired = strings.TrimPrefix(res.Repaired+"; ", "; ") +
					fmt.Sprintf("cut %s (%v) and removed %d later segments", where, perr, len(segs)-i-1)
				return res, fsys.SyncDir(dir)
			}
			if err := fn(seq, body); err != nil {
				return res, err
			}
			res.Last = seq
			res.Records++
			off += size
		}
	}
	return res, nil
}

// trimZeros returns b without its trailing zero bytes: the records of a
// segment end where its zeros begin (Config.ZeroAhead, or a file the
// system extended without its data).
func trimZeros(b []byte) []byte {
	i := len(b)
	for i > 0 && b[i-1] == 0 {
		i--
	}
	return b[:i]
}

// tornRecord reports whether the record that failed with perr at the
// front of written (a segment's bytes up to its zeros) is a write the
// crash interrupted: the written bytes end inside it. Zeros the record
// should have held (pages of the write that did not reach the disk) are
// taken for the end, so a complete record whose last bytes are zeros and
// whose checksum fails is called torn too, and cut.
func tornRecord(perr error, written []byte) bool {
	if errors.Is(perr, record.ErrIncomplete) {
		return true
	}
	_, _, _, err := parseRecordErr(written)
	return errors.Is(err, record.ErrIncomplete)
}

// validAfter reports whether a valid record that continues the sequence
// starts anywhere after the damaged one at off (and before end: none
// starts in the zeros after the last written byte): if so the damage is
// not a torn tail.
func validAfter(data []byte, off, end int, last uint64) bool {
	for k := off + 1; k < end && k+record.HeaderSize <= len(data); k++ {
		if seq, _, _, ok := parseRecord(data[k:]); ok && seq > last {
			return true
		}
	}
	return false
}

// readAll reads a whole segment into a buffer sized up front.
func readAll(fsys vfs.FS, path string) ([]byte, error) {
	size, err := fsys.Size(path)
	if err != nil {
		return nil, err
	}
	f, err := fsys.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	buf := make([]byte, size)
	n, err := io.ReadFull(f, buf)
	if err == io.ErrUnexpectedEOF || err == io.EOF {
		err = nil // the file shrank meanwhile: use what is there
	}
	return buf[:n], err
}

func cut(fsys vfs.FS, path string, size int64) error {
	f, err := fsys.OpenAppend(path)
	if err != nil {
		return err
	}
	err = f.Truncate(size)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("wal: cut %s at %d: %w", path, size, err)
	}
	return nil
}

// Log is an open write-ahead log.
type Log struct {
	cfg Config

	mu      sync.Mutex
	cond    *sync.Cond // signalled when synced or err changes
	buf     []byte     // records appended but not yet written
	next    uint64     // sequence number of the next Append
	synced  uint64     // highest sequence number known durable
	written uint64     // highest sequence number handed to the OS
	err     error
	closing bool
	// forceSync asks the writer to fsync up to this sequence number
	// whatever the policy (Sync).
	forceSync uint64
	syncing   bool // a waiter is writing and fsyncing (SyncAlways)
	// inflight is the last sequence an fsync of the writer, running
	// without ioMu, covers (0: none runs); a waiter for it need not sync.
	inflight uint64
	// rotateAt asks the writer to start a new segment once everything
	// before this sequence number is written (Rotate).
	rotateAt uint64
	kick     chan struct{}
	done     chan struct{}
	spare    []byte // a written batch's buffer, for reuse

	// ioMu serializes taking a batch and writing it, so batches reach the
	// file in order; held by the writer goroutine for each step and by a
	// Wait that writes the buffer itself. Lock order: ioMu, then mu.
	ioMu     sync.Mutex
	file     vfs.File
	fileSize int64 // bytes of records in file
	filled   int64 // the file's length: fileSize, then zeros (ZeroAhead)
	zeros    []byte
	noZeros  bool      // the segment could not take its zeros (a full disk): plain appends
	segs     []segment // existing segments, oldest first (guarded by mu)
	// gen counts Restarts (guarded by ioMu): an fsync made without ioMu
	// on a file a Restart has since dropped does not count.
	gen uint64
	// head is the sequence the head file records (writer goroutine).
	head uint64
}

// Open starts a log whose next record has sequence number next (the last
// replayed sequence plus one), in a new segment.
func Open(cfg Config, next uint64) (*Log, error) {
	cfg.defaults()
	if next == 0 {
		next = 1
	}
	if err := cfg.FS.MkdirAll(cfg.Dir); err != nil {
		return nil, err
	}
	segs, err := listSegments(cfg.FS, cfg.Dir)
	if err != nil {
		return nil, err
	}
	l := &Log{cfg: cfg, next: next, synced: next - 1, written: next - 1, kick: make(chan struct{}, 1), done: make(chan struct{}), segs: segs}
	l.cond = sync.NewCond(&l.mu)
	if err := l.startSegment(next); err != nil {
		return nil, err
	}
	go l.writer()
	return l, nil
}

// startSegment creates the segment whose first record is first.
func (l *Log) startSegment(first uint64) error {
	name := segmentName(first)
	f, err := l.cfg.FS.Create(filepath.Join(l.cfg.Dir, name))
	if err != nil {
		return fmt.Errorf("wal: create segment: %w", err)
	}
	if err := l.cfg.FS.SyncDir(l.cfg.Dir); err != nil {
		f.Close()
		return fmt.Errorf("wal: sync directory: %w", err)
	}
	l.file, l.fileSize, l.filled, l.noZeros = f, 0, 0, false
	l.mu.Lock()
	if n := len(l.segs); n == 0 || l.segs[n-1].name != name {
		l.segs = append(l.segs, segment{name: name, first: first})
	}
	l.mu.Unlock()
	return nil
}

// Append adds a record and returns its sequence number. The record is
// durable only after Wait returns (under SyncAlways).
func (l *Log) Append(body []byte) (uint64, error) {
	l.mu.Lock()
	if l.err != nil {
		err := l.err
		l.mu.Unlock()
		return 0, err
	}
	seq := l.next
	l.next++
	l.buf = AppendRecord(l.buf, seq, body)
	// Under SyncAlways the waiters write and fsync (Wait); the writer
	// goroutine only takes a big buffer, or what nobody waits for (its
	// periodic round).
	kick := len(l.buf) >= 1<<20
	l.mu.Unlock()
	if l.cfg.OnAppend != nil {
		l.cfg.OnAppend(len(body))
	}
	if kick {
		select {
		case l.kick <- struct{}{}:
		default:
		}
	}
	return seq, nil
}

// Wait blocks until record seq is durable under SyncAlways, or written to
// the file (a process crash cannot lose it) under the other policies. It
// returns the log's sticky error.
func (l *Log) Wait(seq uint64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.cfg.Policy == SyncAlways {
		l.syncTo(seq)
		return l.err
	}
	// Group write: one waiter writes everything buffered while the others
	// wait for it (no hand-off to the writer goroutine; the fsync stays
	// there, once a second). The cost over not waiting is one write(2) per
	// group, and it buys that a kill -9 loses no acknowledged write.
	for l.written < seq && l.err == nil {
		l.mu.Unlock()
		l.ioMu.Lock()
		l.mu.Lock()
		if l.written < seq && l.err == nil {
			batch, last := l.take()
			l.mu.Unlock()
			err := l.write(batch)
			big := l.fileSize >= l.cfg.SegmentSize
			l.mu.Lock()
			l.wrote(batch, last, false, err)
			if big {
				select { // the writer rotates
				case l.kick <- struct{}{}:
				default:
				}
			}
		}
		l.ioMu.Unlock()
	}
	return l.err
}

// syncTo returns once record seq is fsynced, or the log has failed; mu
// held.
func (l *Log) syncTo(seq uint64) {
	// The first waiter writes what is buffered and fsyncs it, for
	// every record appended so far; those who arrive meanwhile wait
	// and share the next fsync (group commit, with no hand-off to
	// another goroutine: the fsync's end wakes nobody but the
	// waiters).
	for l.synced < seq && l.err == nil {
		if l.syncing {
			l.cond.Wait()
			continue
		}
		l.syncing = true
		l.mu.Unlock()
		l.ioMu.Lock()
		l.mu.Lock()
		if l.synced >= seq || l.inflight >= seq {
			// The writer's fsync, run meanwhile or running, covers
			// the record: wait for it rather than sync again.
			l.syncing = false
			l.cond.Broadcast() // waiters for l.syncing
			l.ioMu.Unlock()
			if l.synced < seq {
				l.cond.Wait()
			}
			continue
		}
		batch, last := l.take()
		l.mu.Unlock()
		err := l.write(batch)
		if err == nil {
			err = l.syncFile()
		}
		if err == nil && l.fileSize >= l.cfg.SegmentSize {
			err = l.rotate(last + 1) // what was appended meanwhile goes to the next segment
		}
		l.mu.Lock()
		l.wrote(batch, last, true, err)
		l.syncing = false
		l.cond.Broadcast()
		l.ioMu.Unlock()
	}
}

// take removes the buffered records for writing; mu and ioMu held.
func (l *Log) take() (batch []byte, last uint64) {
	batch = l.buf
	l.buf = l.spare[:0]
	l.spare = nil
	return batch, l.next - 1
}

// maxSpare bounds the buffer a log keeps for its next batch: a batch of
// one large value's record (a SETRANGE or SETBIT of hundreds of
// megabytes) is let go rather than kept for good.
const maxSpare = 4 << 20

// wrote records the outcome of writing batch (records up to last, fsynced
// if synced); mu and ioMu held.
func (l *Log) wrote(batch []byte, last uint64, synced bool, err error) {
	if cap(batch) > maxSpare {
		batch = nil
	}
	l.spare = batch
	if err != nil {
		if l.err == nil {
			l.err = fmt.Errorf("wal: %w", err)
			l.cfg.Logger.Error("write-ahead log failed; no further writes will be acknowledged", "err", err)
		}
		return
	}
	l.written = max(l.written, last)
	if synced {
		l.synced = max(l.synced, last)
	}
}

// Last returns the sequence number of the last record appended.
func (l *Log) Last() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.next - 1
}

// Err returns the sticky error, if any.
func (l *Log) Err() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.err
}

// Segments returns the number of segment files.
func (l *Log) Segments() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.segs)
}

// Sync writes and fsyncs everything appended so far, whatever the policy.
func (l *Log) Sync() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.syncTo(l.next - 1) // as Wait under SyncAlways: no hand-off to the writer
	return l.err
}

// Rotate ends the current segment after the records appended so far and
// waits until later records go to a new one, so that a snapshot covering
// those records lets RemoveBefore drop every older segment.
func (l *Log) Rotate() error {
	l.mu.Lock()
	l.rotateAt = l.next
	l.forceSync = max(l.forceSync, l.next-1)
	target := l.next - 1
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for (l.rotateAt != 0 || l.synced < target) && l.err == nil {
		l.cond.Wait()
	}
	return l.err
}

// writer writes batches of records until Close: what nobody waits for, the
// periodic fsync, asked rotations and the final one. Wait and Sync write
// and fsync in their callers (syncTo) when they need to.
func (l *Log) writer() {
	defer close(l.done)
	tick := time.NewTicker(l.cfg.Interval)
	defer tick.Stop()
	for {
		periodic := false
		select {
		case <-l.kick:
		case <-tick.C:
			periodic = true
		}
		if l.step(periodic) {
			l.saveHead()
			return
		}
		if periodic {
			l.saveHead()
		}
	}
}

// step is one round of the writer; it reports whether the log is closing.
//
// A periodic or forced fsync runs without ioMu, so group writes in Wait go
// on meanwhile: the fsync covers at least what was written before it
// started, which is all it claims. Only this goroutine closes or replaces
// the file, so the file stays valid until the fsync is done. Rotating
// (asked by Rotate) and closing keep ioMu throughout, so that no record
// lands in the old segment after the rotation point.
func (l *Log) step(periodic bool) (closing bool) {
	l.ioMu.Lock()
	l.mu.Lock()
	last := l.next - 1
	closing = l.closing
	force := l.forceSync > l.synced
	rotate := l.rotateAt > 0 && l.rotateAt <= last+1
	full := l.fileSize >= l.cfg.SegmentSize
	if len(l.buf) == 0 && !closing && !force && !rotate && !full && !(periodic && last > l.synced) {
		l.mu.Unlock()
		l.ioMu.Unlock()
		return false
	}
	batch, last := l.take()
	l.mu.Unlock()
	err := l.write(batch)
	doSync := force || closing || l.cfg.Policy == SyncAlways || l.cfg.Policy == SyncEverySecond && periodic
	if err == nil && closing {
		err = l.trim() // a clean stop leaves no zeros for replay to cut
	}
	if err == nil && doSync {
		if rotate || closing {
			err = l.syncFile()
		} else {
			f, gen := l.file, l.gen
			l.mu.Lock()
			l.inflight = last
			l.mu.Unlock()
			l.ioMu.Unlock()
			err = l.timedSync(f)
			l.ioMu.Lock()
			if gen != l.gen {
				err, doSync = nil, false // the file was dropped by Restart meanwhile
			}
		}
	}
	if err == nil && (l.fileSize >= l.cfg.SegmentSize || rotate && l.fileSize > 0) && !closing {
		l.mu.Lock()
		first := max(last, l.written) + 1 // group writes may have added records meanwhile
		l.mu.Unlock()
		err = l.rotate(first)
	}
	l.mu.Lock()
	l.inflight = 0
	if rotate {
		l.rotateAt = 0
	}
	l.wrote(batch, last, doSync, err)
	l.cond.Broadcast()
	l.mu.Unlock()
	l.ioMu.Unlock()
	return closing
}

// saveHead records in the head file, if it moved, the last sequence
// known durable (about once a second, from the writer). A failure costs
// only the check it allows; the log goes on.
func (l *Log) saveHead() {
	l.mu.Lock()
	synced, failed := l.synced, l.err != nil && l.err != ErrClosed
	l.mu.Unlock()
	if synced <= l.head || failed {
		return
	}
	if err := writeHead(l.cfg.FS, l.cfg.Dir, synced); err != nil {
		l.cfg.Logger.Warn("write-ahead log: could not record its durable end", "err", err)
		return
	}
	l.head = synced
}

func (l *Log) write(batch []byte) error {
	if len(batch) == 0 {
		return nil
	}
	if end := l.fileSize + int64(len(batch)); end > l.filled && l.cfg.ZeroAhead > 0 && !l.noZeros {
		if err := l.zeroTo(end + l.cfg.ZeroAhead); err != nil {
			// No room for the zeros (a disk filling up): the records may
			// still fit, so cut what was laid and go on appending, as
			// without zeros, until the segment ends.
			if err := l.trim(); err != nil {
				return err
			}
			l.noZeros = true
		}
	}
	n, err := l.file.WriteAt(batch, l.fileSize)
	l.fileSize += int64(n)
	l.filled = max(l.filled, l.fileSize)
	return err
}

// zeroTo fills the segment with zeros from its length to end. The zeros
// are made durable by the next fsync, with the records then written; from
// there on records overwrite zeros and the file's length stays.
func (l *Log) zeroTo(end int64) error {
	if l.zeros == nil {
		l.zeros = make([]byte, 64<<10)
	}
	for l.filled < end {
		n, err := l.file.WriteAt(l.zeros[:min(int64(len(l.zeros)), end-l.filled)], l.filled)
		l.filled += int64(n)
		if err != nil {
			return err
		}
	}
	return nil
}

// trim cuts the zeros after the records, so that a segment that is not the
// last ends with its last record: replay calls zeros there damage, since
// no write can be torn but the last segment's.
func (l *Log) trim() error {
	if l.filled == l.fileSize {
		return nil
	}
	if err := l.file.Truncate(l.fileSize); err != nil {
		return err
	}
	l.filled = l.fileSize
	return nil
}

// syncFile fsyncs the current segment (l.ioMu held).
func (l *Log) syncFile() error { return l.timedSync(l.file) }

// timedSync fsyncs f and tells OnSync how long it took.
func (l *Log) timedSync(f vfs.File) error {
	start := time.Now()
	err := f.Sync()
	if l.cfg.OnSync != nil {
		l.cfg.OnSync(time.Since(start))
	}
	return err
}

// rotate trims, syncs and closes the current segment and starts the next.
func (l *Log) rotate(first uint64) error {
	if err := l.trim(); err != nil {
		return err
	}
	if err := l.syncFile(); err != nil {
		return err
	}
	if err := l.file.Close(); err != nil {
		return err
	}
	return l.startSegment(first)
}

// RemoveBefore deletes the segments whose records all have sequence
// numbers below seq (records a snapshot already covers). The current
// segment is never removed.
func (l *Log) RemoveBefore(seq uint64) error {
	l.mu.Lock()
	var drop []segment
	for len(l.segs) > 1 && l.segs[1].first <= seq {
		drop = append(drop, l.segs[0])
		l.segs = l.segs[1:]
	}
	l.mu.Unlock()
	for _, s := range drop {
		if err := l.cfg.FS.Remove(filepath.Join(l.cfg.Dir, s.name)); err != nil && !vfs.IsNotExist(err) {
			return err
		}
	}
	if len(drop) > 0 {
		return l.cfg.FS.SyncDir(l.cfg.Dir)
	}
	return nil
}

// Restart clears a failed log once a snapshot holds the effect of every
// record appended (Last included). Its segments are dropped: after a
// failed write or fsync their pages cannot be trusted (the kernel may have
// marked them clean without writing them), and the snapshot, written
// from memory, replaces them. The log goes on in a new segment after
// Last. Nothing may be appended while it runs.
func (l *Log) Restart() error {
	l.ioMu.Lock()
	defer l.ioMu.Unlock()
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		return ErrClosed
	}
	last := l.next - 1
	l.buf = l.buf[:0] // records whose write failed: the snapshot has them
	l.mu.Unlock()
	l.gen++
	_ = l.file.Close() // not trusted; whatever it says
	if err := l.startSegment(last + 1); err != nil {
		return err // still failed; l.file stays the closed segment, which refuses everything
	}
	if err := l.RemoveBefore(last + 1); err != nil {
		return err
	}
	l.mu.Lock()
	l.written, l.synced, l.forceSync, l.rotateAt = last, last, 0, 0
	l.err = nil
	l.cond.Broadcast()
	l.mu.Unlock()
	l.cfg.Logger.Info("write-ahead log restarted after a failure", "next", last+1)
	return nil
}

// Close writes and fsyncs what is buffered, stops the writer and closes the
// segment.
func (l *Log) Close() error {
	l.mu.Lock()
	if l.closing {
		l.mu.Unlock()
		<-l.done
		return l.Err()
	}
	l.closing = true
	l.mu.Unlock()
	select {
	case l.kick <- struct{}{}:
	default:
	}
	<-l.done
	cerr := l.file.Close()
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.err == nil {
		l.err = ErrClosed
		l.cond.Broadcast()
		return cerr
	}
	if l.err == ErrClosed {
		return nil
	}
	return l.err
}
