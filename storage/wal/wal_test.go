package wal

import (
	"bytes"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/vanitydb/vanity/storage/vfs"
)

func body(i int) []byte {
	return []byte(fmt.Sprintf("record-%d-%s", i, bytes.Repeat([]byte{'x'}, i%37)))
}

func open(t *testing.T, fsys vfs.FS, p Policy, next uint64, seg int64) *Log {
	t.Helper()
	l, err := Open(Config{FS: fsys, Dir: "/wal", Policy: p, SegmentSize: seg, Interval: 5 * time.Millisecond}, next)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func replayAll(t *testing.T, fsys vfs.FS, repair bool) ([][]byte, ReplayResult, error) {
	t.Helper()
	var got [][]byte
	res, err := Replay(fsys, "/wal", repair, 0, func(seq uint64, b []byte) error {
		if int(seq) != len(got)+1 {
			return fmt.Errorf("sequence %d after %d records", seq, len(got))
		}
		got = append(got, append([]byte(nil), b...))
		return nil
	})
	return got, res, err
}

// recordsIn counts the records in the segments as they are now, without
// changing them (Replay cuts the zeros after the last one).
func recordsIn(t *testing.T, m *vfs.Mem) int {
	t.Helper()
	segs, err := listSegments(m, "/wal")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range segs {
		data, err := m.ReadFile(filepath.Join("/wal", s.name))
		if err != nil {
			t.Fatal(err)
		}
		for {
			_, _, size, ok := parseRecord(data)
			if !ok {
				break
			}
			data = data[size:]
			n++
		}
	}
	return n
}

func TestAppendReplay(t *testing.T) {
	for _, p := range []Policy{SyncAlways, SyncEverySecond, SyncNever} {
		m := vfs.NewMem()
		l := open(t, m, p, 1, 4096) // small segments: many rotations
		for i := 1; i <= 500; i++ {
			seq, err := l.Append(body(i))
			if err != nil || seq != uint64(i) {
				t.Fatalf("%v: append %d: %d %v", p, i, seq, err)
			}
			if err := l.Wait(seq); err != nil {
				t.Fatal(err)
			}
		}
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
		if p == SyncAlways && l.Segments() < 5 { // other policies write in bigger batches
			t.Errorf("%v: only %d segments", p, l.Segments())
		}
		got, res, err := replayAll(t, m, false)
		if err != nil || len(got) != 500 || res.Last != 500 {
			t.Fatalf("%v: replay: %d records, last %d, %v", p, len(got), res.Last, err)
		}
		for i, b := range got {
			if !bytes.Equal(b, body(i+1)) {
				t.Fatalf("%v: record %d differs", p, i+1)
			}
		}
		// Reopening continues the sequence in a new segment.
		l = open(t, m, p, res.Last+1, 4096)
		if seq, _ := l.Append(body(501)); seq != 501 {
			t.Fatalf("next sequence %d", seq)
		}
		l.Close()
		if got, _, err := replayAll(t, m, false); err != nil || len(got) != 501 {
			t.Fatalf("after reopening: %d records, %v", len(got), err)
		}
	}
}

// gatedFS holds every fsync of a segment until the gate opens, standing
// in for a slow disk, and counts them.
type gatedFS struct {
	vfs.FS
	gate  chan struct{}
	mu    sync.Mutex
	syncs int
}

type gatedFile struct {
	vfs.File
	g *gatedFS
}

func (g *gatedFS) Create(name string) (vfs.File, error) {
	f, err := g.FS.Create(name)
	if err != nil || !strings.HasSuffix(name, ".wal") {
		return f, err // the head file is not the log's group commit
	}
	return &gatedFile{f, g}, err
}

func (f *gatedFile) Sync() error {
	<-f.g.gate
	f.g.mu.Lock()
	f.g.syncs++
	f.g.mu.Unlock()
	return f.File.Sync()
}

// TestGroupCommit checks that writers under SyncAlways that arrive while an
// fsync is in flight share the next one, and that each record is durable
// when its Wait returns.
func TestGroupCommit(t *testing.T) {
	m := vfs.NewMem()
	g := &gatedFS{FS: m, gate: make(chan struct{})}
	l := open(t, g, SyncAlways, 1, 1<<30)
	const writers = 16
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			seq, err := l.Append(body(w))
			if err == nil {
				err = l.Wait(seq)
			}
			errs <- err
		}(w)
	}
	// Every writer has appended while the first fsync is held.
	deadline := time.Now().Add(10 * time.Second)
	for l.Last() < writers {
		if time.Now().After(deadline) {
			t.Fatal("writers did not append")
		}
		time.Sleep(time.Millisecond) // polling with a deadline
	}
	close(g.gate)
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	m.Crash() // without Close: only what was fsynced survives
	got, _, err := replayAll(t, m, false)
	if err != nil || len(got) != writers {
		t.Fatalf("%d records survived the crash, want %d (%v)", len(got), writers, err)
	}
	if g.syncs > 2 {
		t.Errorf("%d fsyncs for %d concurrent records: no group commit", g.syncs, writers)
	}
	l.Close()
}

// TestTornTail cuts the last segment at every byte offset inside its last
// records: replay keeps exactly the complete records before the cut and
// trims the rest.
func TestTornTail(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 1, 1<<30)
	var ends []int // file size after each record
	for i := 1; i <= 20; i++ {
		seq, _ := l.Append(body(i))
		l.Wait(seq)
		ends = append(ends, len(AppendRecord(nil, seq, body(i))))
	}
	l.Close()
	for i := 1; i < len(ends); i++ {
		ends[i] += ends[i-1]
	}
	path := filepath.Join("/wal", segmentName(1))
	full, _ := m.ReadFile(path)
	// A crash tears only what was not yet durable, which the head file
	// has not recorded: it holds an earlier sequence.
	if err := writeHead(m, "/wal", 14); err != nil {
		t.Fatal(err)
	}
	for cutAt := ends[13]; cutAt <= len(full); cutAt++ {
		m.WriteFile(path, full[:cutAt])
		got, res, err := replayAll(t, m, false)
		if err != nil {
			t.Fatalf("cut at %d: %v", cutAt, err)
		}
		want := 0
		for want < len(ends) && ends[want] <= cutAt {
			want++
		}
		if len(got) != want {
			t.Fatalf("cut at %d: %d records, want %d", cutAt, len(got), want)
		}
		size, _ := m.Size(path)
		// Zeros at the end of what was cut are not counted as torn.
		if want > 0 && size != int64(ends[want-1]) || res.TornBytes != int64(len(trimZeros(full[ends[max(want-1, 0)]:cutAt]))) && want > 0 {
			t.Fatalf("cut at %d: file left at %d bytes, torn %d", cutAt, size, res.TornBytes)
		}
	}
}

// TestBitFlipsAreCorruption flips one bit at many offsets in a log of two
// segments: each flip is reported (or, in the final record, trimmed as a
// torn tail), never silently skipped over.
func TestBitFlipsAreCorruption(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 1, 2048)
	for i := 1; i <= 60; i++ {
		seq, _ := l.Append(body(i))
		l.Wait(seq)
	}
	l.Close()
	segs, _ := listSegments(m, "/wal")
	if len(segs) < 2 {
		t.Fatalf("want several segments, have %d", len(segs))
	}
	originals := map[string][]byte{}
	for _, s := range segs {
		originals[s.name], _ = m.ReadFile(filepath.Join("/wal", s.name))
	}
	restore := func() {
		for name, data := range originals {
			m.WriteFile(filepath.Join("/wal", name), data)
		}
	}
	for si, s := range segs {
		data := originals[s.name]
		for off := 0; off < len(data); off += 7 {
			restore()
			bad := bytes.Clone(data)
			bad[off] ^= 0x04
			m.WriteFile(filepath.Join("/wal", s.name), bad)
			got, res, err := replayAll(t, m, false)
			lastSegment := si == len(segs)-1
			switch {
			case errors.Is(err, ErrCorrupt):
				// detected
			case err == nil && lastSegment && len(got) < 60:
				// only a flip in the final record's length can read as a
				// torn tail (the length now runs past the end); a flip
				// anywhere else in a complete record is damage
				if res.TornBytes == 0 || off < len(data)-int(res.TornBytes) || off >= len(data)-int(res.TornBytes)+4 {
					t.Fatalf("segment %d offset %d: records lost as a torn tail (%d bytes cut)", si, off, res.TornBytes)
				}
			default:
				t.Fatalf("segment %d offset %d: flip not detected (%d records, %v)", si, off, len(got), err)
			}
		}
	}
	// Repair cuts at the damage and drops what follows.
	restore()
	first := originals[segs[0].name]
	bad := bytes.Clone(first)
	bad[len(bad)/2] ^= 0x04
	m.WriteFile(filepath.Join("/wal", segs[0].name), bad)
	got, res, err := replayAll(t, m, true)
	if err != nil || res.Repaired == "" || len(got) == 0 || len(got) >= 60 {
		t.Fatalf("repair: %d records, %q, %v", len(got), res.Repaired, err)
	}
	if after, _ := listSegments(m, "/wal"); len(after) != 1 {
		t.Fatalf("repair left %d segments", len(after))
	}
	if again, _, err := replayAll(t, m, false); err != nil || len(again) != len(got) {
		t.Fatalf("after repair: %d records, %v", len(again), err)
	}
}

// TestFsyncErrorStopsAcknowledgements checks that once an fsync fails no
// write is acknowledged any more, and the error sticks.
func TestFsyncErrorStopsAcknowledgements(t *testing.T) {
	fz := vfs.NewFaulty(vfs.NewMem())
	l := open(t, fz, SyncAlways, 1, 1<<30)
	seq, _ := l.Append(body(1))
	if err := l.Wait(seq); err != nil {
		t.Fatal(err)
	}
	fz.FailAfter(vfs.OpSync, 0)
	seq, err := l.Append(body(2))
	if err == nil {
		err = l.Wait(seq)
	}
	if !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("write after a failed fsync acknowledged: %v", err)
	}
	if _, err := l.Append(body(3)); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("append after the failure: %v", err)
	}
	l.Close()
}

func TestWriteErrorIsSticky(t *testing.T) {
	fz := vfs.NewFaulty(vfs.NewMem())
	l := open(t, fz, SyncEverySecond, 1, 1<<30)
	fz.FailAfter(vfs.OpWrite, 0)
	l.Append(body(1))
	if err := l.Sync(); !errors.Is(err, vfs.ErrInjected) {
		t.Fatalf("Sync after a failed write: %v", err)
	}
	if _, err := l.Append(body(2)); err == nil {
		t.Fatal("append accepted after a write error")
	}
	l.Close()
}

// TestWaitMeansWritten checks that under everysec and no, Wait returns
// only once the record is in the file (the OS has it; a process crash
// cannot lose it), long before the next fsync.
func TestWaitMeansWritten(t *testing.T) {
	for _, p := range []Policy{SyncEverySecond, SyncNever} {
		m := vfs.NewMem()
		l, err := Open(Config{FS: m, Dir: "/wal", Policy: p, Interval: time.Hour}, 1)
		if err != nil {
			t.Fatal(err)
		}
		var last uint64
		for i := 1; i <= 10; i++ {
			last, _ = l.Append(body(i))
		}
		if err := l.Wait(last); err != nil {
			t.Fatal(err)
		}
		if got := recordsIn(t, m); got != 10 {
			t.Fatalf("%v: %d records in the file after Wait", p, got)
		}
		m.Crash() // a machine crash: nothing was fsynced
		if got, _, _ := replayAll(t, m, false); len(got) != 0 {
			t.Fatalf("%v: %d records survived a machine crash without an fsync", p, len(got))
		}
		l.Close()
	}
}

func TestEverySecondSyncsWithoutWaiting(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncEverySecond, 1, 1<<30)
	for i := 1; i <= 10; i++ {
		l.Append(body(i))
	}
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	if got, _, _ := replayAll(t, m, false); len(got) != 10 {
		t.Fatalf("%d records after Sync and a crash", len(got))
	}
	l.Close()
}

func TestRemoveBefore(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 1, 1024)
	for i := 1; i <= 200; i++ {
		seq, _ := l.Append(body(i))
		l.Wait(seq)
	}
	before := l.Segments()
	if err := l.RemoveBefore(150); err != nil {
		t.Fatal(err)
	}
	after := l.Segments()
	l.Close()
	if after >= before || after < 1 {
		t.Fatalf("segments %d -> %d", before, after)
	}
	var first uint64
	Replay(m, "/wal", false, 149, func(seq uint64, _ []byte) error {
		if first == 0 {
			first = seq
		}
		return nil
	})
	if first == 0 || first > 150 {
		t.Fatalf("oldest kept record %d; records up to 150 must stay replayable from 150 on", first)
	}
}

func TestParsePolicy(t *testing.T) {
	for _, s := range []string{"always", "everysec", "no"} {
		p, err := ParsePolicy(s)
		if err != nil || p.String() != s {
			t.Errorf("%s: %v %v", s, p, err)
		}
	}
	if _, err := ParsePolicy("sometimes"); err == nil {
		t.Error("bad policy accepted")
	}
}

func BenchmarkAppendAlways(b *testing.B) {
	dir := b.TempDir()
	l, err := Open(Config{FS: vfs.OS{}, Dir: dir, Policy: SyncAlways}, 1)
	if err != nil {
		b.Fatal(err)
	}
	defer l.Close()
	rec := bytes.Repeat([]byte{'v'}, 120)
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			seq, _ := l.Append(rec)
			l.Wait(seq)
		}
	})
}

func TestRotate(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncEverySecond, 1, 1<<30)
	for i := 1; i <= 10; i++ {
		l.Append(body(i))
	}
	if err := l.Rotate(); err != nil {
		t.Fatal(err)
	}
	l.Append(body(11))
	if l.Segments() != 2 {
		t.Fatalf("%d segments after Rotate", l.Segments())
	}
	if err := l.RemoveBefore(11); err != nil {
		t.Fatal(err)
	}
	if l.Segments() != 1 {
		t.Fatalf("%d segments after removing the covered one", l.Segments())
	}
	l.Close()
	got, err := Replay(m, "/wal", false, 10, func(seq uint64, _ []byte) error {
		if seq != 11 {
			return fmt.Errorf("unexpected record %d", seq)
		}
		return nil
	})
	if err != nil || got.Records != 1 {
		t.Fatalf("%+v %v", got, err)
	}
}

// slowSyncFS wraps a file system so that Sync blocks until released.
type slowSyncFS struct {
	vfs.FS
	syncing chan struct{} // receives when a Sync starts
	release chan struct{} // a Sync returns when this is closed
}

type slowSyncFile struct {
	vfs.File
	fs *slowSyncFS
}

func (f *slowSyncFS) Create(name string) (vfs.File, error) {
	file, err := f.FS.Create(name)
	return &slowSyncFile{file, f}, err
}

func (f *slowSyncFS) OpenAppend(name string) (vfs.File, error) {
	file, err := f.FS.OpenAppend(name)
	return &slowSyncFile{file, f}, err
}

func (f *slowSyncFile) Sync() error {
	select {
	case f.fs.syncing <- struct{}{}:
	default:
	}
	<-f.fs.release
	return f.File.Sync()
}

// TestWritesGoOnDuringTheEverySecondFsync: under everysec a write waits for
// write(2) only, not for the periodic fsync, even when that fsync is slow
// (a loaded disk); the fsync then still covers what it claims.
func TestWritesGoOnDuringTheEverySecondFsync(t *testing.T) {
	m := vfs.NewMem()
	fs := &slowSyncFS{FS: m, syncing: make(chan struct{}, 1), release: make(chan struct{})}
	l, err := Open(Config{FS: fs, Dir: "/wal", Policy: SyncEverySecond, Interval: time.Millisecond, SegmentSize: 1 << 30}, 1)
	if err != nil {
		t.Fatal(err)
	}
	first, _ := l.Append(body(1))
	<-fs.syncing // the periodic fsync has started and hangs
	for i := 2; i <= 20; i++ {
		seq, _ := l.Append(body(i))
		if err := l.Wait(seq); err != nil { // would block until release if the fsync held the file
			t.Fatal(err)
		}
	}
	if got, _, err := replayAll(t, m, false); err != nil || len(got) != 20 {
		t.Fatalf("%d records in the file while the fsync hangs (%v)", len(got), err)
	}
	close(fs.release)
	if err := l.Sync(); err != nil {
		t.Fatal(err)
	}
	m.Crash()
	if got, _, _ := replayAll(t, m, false); len(got) != 20 || first != 1 {
		t.Fatalf("%d records after Sync and a crash", len(got))
	}
	l.Close()
}

// TestGapCoveredBySnapshot: a log reopened after records a snapshot holds
// (they were still buffered when the process died) leaves a gap between
// segments; Replay accepts it up to the snapshot's position and refuses
// it beyond.
func TestGapCoveredBySnapshot(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 1, 1<<20)
	for i := 1; i <= 5; i++ {
		seq, _ := l.Append(body(i))
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	l = open(t, m, SyncAlways, 9, 1<<20) // records 6-8 are in a snapshot
	for i := 9; i <= 10; i++ {
		seq, _ := l.Append(body(i))
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
	}
	l.Close()
	var seqs []uint64
	res, err := Replay(m, "/wal", false, 8, func(seq uint64, _ []byte) error {
		seqs = append(seqs, seq)
		return nil
	})
	if err != nil || res.Last != 10 || fmt.Sprint(seqs) != "[1 2 3 4 5 9 10]" {
		t.Fatalf("covered gap: %v, last %d, records %v", err, res.Last, seqs)
	}
	if _, err := Replay(m, "/wal", false, 7, func(uint64, []byte) error { return nil }); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a gap the snapshot does not cover: %v", err)
	}
}

// TestDamagedLastRecordIsNotTorn: a complete final record whose checksum
// does not match is damage (an acknowledged write would be lost), not a
// torn write; zeros to the end of the segment (a file extended without its
// data) are torn.
func TestDamagedLastRecordIsNotTorn(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 1, 1<<20)
	for i := 1; i <= 5; i++ {
		seq, _ := l.Append(body(i))
		l.Wait(seq)
	}
	l.Close()
	path := filepath.Join("/wal", segmentName(1))
	full, _ := m.ReadFile(path)
	bad := bytes.Clone(full)
	bad[len(bad)-1] ^= 0x01 // the last byte of the last record's payload
	m.WriteFile(path, bad)
	if _, _, err := replayAll(t, m, false); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a bit flip in the last record: %v", err)
	}
	got, res, err := replayAll(t, m, true)
	if err != nil || len(got) != 4 || res.Repaired == "" {
		t.Fatalf("repair: %d records, %q, %v", len(got), res.Repaired, err)
	}
	m.WriteFile(path, append(bytes.Clone(full), make([]byte, 100)...))
	if got, res, err := replayAll(t, m, false); err != nil || len(got) != 5 || res.TornBytes != 0 {
		t.Fatalf("a zeroed tail: %d records, %d torn, %v", len(got), res.TornBytes, err)
	}
	if size, _ := m.Size(path); size != int64(len(full)) {
		t.Fatalf("a zeroed tail: the segment keeps %d bytes, want its records' %d", size, len(full))
	}
	// A record of which only the first page reached the disk, in a segment
	// filled with zeros ahead (Config.ZeroAhead): the zeros it should have
	// held are no damage but the end of what was written.
	sixth := AppendRecord(nil, 6, bytes.Repeat([]byte{'y'}, 300))
	torn := append(append(bytes.Clone(full), sixth[:100]...), make([]byte, 1000)...)
	m.WriteFile(path, torn)
	if got, res, err := replayAll(t, m, false); err != nil || len(got) != 5 || res.TornBytes != 100 {
		t.Fatalf("a torn record before zeros: %d records, %d torn, %v", len(got), res.TornBytes, err)
	}
}

// TestLogAfterAMissingSnapshot: a log that starts after sequence 1 needs a
// snapshot covering what came before it; without one (deleted, or an
// older one put back) the start is refused, and repair loads what is
// there.
func TestLogAfterAMissingSnapshot(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 20001, 1<<20)
	seq, _ := l.Append(body(1))
	l.Wait(seq)
	l.Close()
	for _, covered := range []uint64{0, 19999} {
		_, err := Replay(m, "/wal", false, covered, func(uint64, []byte) error { return nil })
		if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), fmt.Sprintf("%d to 20000 are missing", covered+1)) {
			t.Fatalf("covered %d: %v", covered, err)
		}
	}
	if res, err := Replay(m, "/wal", false, 20000, func(uint64, []byte) error { return nil }); err != nil || res.Records != 1 {
		t.Fatalf("covered by the snapshot: %+v, %v", res, err)
	}
	if res, err := Replay(m, "/wal", true, 0, func(uint64, []byte) error { return nil }); err != nil || res.Records != 1 || res.Repaired == "" {
		t.Fatalf("repair: %+v, %v", res, err)
	}
}

// TestRestartAfterFailure: a log whose write failed refuses everything
// until Restart, which fails while the file system still does; once it
// works again, Restart drops the untrusted segments and the log takes
// records after Last in a new one.
func TestRestartAfterFailure(t *testing.T) {
	for _, p := range []Policy{SyncAlways, SyncEverySecond} {
		fz := vfs.NewFaulty(vfs.NewMem())
		l := open(t, fz, p, 1, 1<<30)
		for i := 1; i <= 3; i++ {
			seq, _ := l.Append(body(i))
			if err := l.Wait(seq); err != nil {
				t.Fatal(err)
			}
		}
		fz.FailAfter(vfs.OpWrite, 0)
		fz.FailAfter(vfs.OpCreate, 0)
		seq, _ := l.Append(body(4))
		if err := l.Wait(seq); !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("%v: a failed write: %v", p, err)
		}
		if err := l.Restart(); !errors.Is(err, vfs.ErrInjected) {
			t.Fatalf("%v: Restart while the disk still fails: %v", p, err)
		}
		if _, err := l.Append(body(5)); err == nil {
			t.Fatalf("%v: append accepted before a successful Restart", p)
		}
		fz.FailAfter(vfs.OpWrite, -1)
		fz.FailAfter(vfs.OpCreate, -1)
		if err := l.Restart(); err != nil {
			t.Fatalf("%v: Restart: %v", p, err)
		}
		seq, err := l.Append(body(5))
		if err != nil || seq != 5 {
			t.Fatalf("%v: append after Restart: %d, %v", p, seq, err)
		}
		if err := l.Wait(seq); err != nil {
			t.Fatalf("%v: wait after Restart: %v", p, err)
		}
		if err := l.Sync(); err != nil {
			t.Fatal(err)
		}
		l.Close()
		var seqs []uint64
		if _, err := Replay(fz, "/wal", false, 4, func(s uint64, _ []byte) error {
			seqs = append(seqs, s)
			return nil
		}); err != nil || fmt.Sprint(seqs) != "[5]" {
			t.Fatalf("%v: after Restart the log holds %v (%v); the snapshot holds 1-4", p, seqs, err)
		}
	}
}

// TestTruncatedLogIsDamage: the head file records the durable end of the
// log; a log cut short of it (at a record boundary or inside a record) is
// refused, and repair starts on what is left and records the new end.
func TestTruncatedLogIsDamage(t *testing.T) {
	m := vfs.NewMem()
	l := open(t, m, SyncAlways, 1, 1<<30)
	var ends []int
	size := 0
	for i := 1; i <= 40; i++ {
		seq, _ := l.Append(body(i))
		l.Wait(seq)
		size += len(AppendRecord(nil, seq, body(i)))
		ends = append(ends, size)
	}
	l.Close() // records the head: 40
	if head, ok := readHead(m, "/wal"); !ok || head != 40 {
		t.Fatalf("head %d, %v after Close", head, ok)
	}
	path := filepath.Join("/wal", segmentName(1))
	full, _ := m.ReadFile(path)
	for _, cutAt := range []int{ends[19], ends[19] + 3, len(full) / 2} {
		m.WriteFile(path, full[:cutAt])
		if _, _, err := replayAll(t, m, false); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "sequence 40 was durable") {
			t.Fatalf("cut at %d of %d: %v", cutAt, len(full), err)
		}
	}
	got, res, err := replayAll(t, m, true)
	if err != nil || res.Repaired == "" || len(got) >= 40 {
		t.Fatalf("repair: %d records, %q, %v", len(got), res.Repaired, err)
	}
	if again, _, err := replayAll(t, m, false); err != nil || len(again) != len(got) {
		t.Fatalf("after repair: %d records, %v", len(again), err)
	}
	// The head moves while the log runs, about once a second.
	l = open(t, m, SyncEverySecond, uint64(len(got)+1), 1<<30)
	seq, _ := l.Append(body(99))
	l.Wait(seq)
	deadline := time.Now().Add(10 * time.Second)
	for {
		if head, _ := readHead(m, "/wal"); head == seq {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the head did not move while the log ran")
		}
		time.Sleep(10 * time.Millisecond) // polling the writer's once-a-second round
	}
	l.Close()
}

// TestZeroAhead checks that a segment is filled with zeros ahead of its
// records (so a sync writes data alone), that a clean close and a
// rotation cut the zeros, and that after a kill the zeros are cut without
// being called a torn write.
func TestZeroAhead(t *testing.T) {
	m := vfs.NewMem()
	l, err := Open(Config{FS: m, Dir: "/wal", Policy: SyncEverySecond, Interval: time.Hour, ZeroAhead: 4096}, 1)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join("/wal", segmentName(1))
	records := 0
	for i := 1; i <= 10; i++ {
		seq, _ := l.Append(body(i))
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
		records += len(AppendRecord(nil, seq, body(i)))
	}
	if size, _ := m.Size(path); size <= int64(records) {
		t.Fatalf("segment of %d bytes for %d bytes of records: not filled ahead", size, records)
	}
	// A kill -9 now leaves the zeros: replay cuts them, and no torn write.
	got, res, err := replayAll(t, m, false)
	if err != nil || len(got) != 10 || res.TornBytes != 0 {
		t.Fatalf("after a kill: %d records, %d torn bytes, %v", len(got), res.TornBytes, err)
	}
	if size, _ := m.Size(path); size != int64(records) {
		t.Fatalf("after replay the segment keeps %d bytes, want %d", size, records)
	}
	l.Close()

	// A clean close cuts the zeros itself; so does each rotation, which
	// replay checks: zeros in a segment that is not the last are damage.
	m = vfs.NewMem()
	l, err = Open(Config{FS: m, Dir: "/wal", Policy: SyncAlways, SegmentSize: 300, ZeroAhead: 4096}, 1)
	if err != nil {
		t.Fatal(err)
	}
	records = 0
	for i := 1; i <= 40; i++ {
		seq, _ := l.Append(body(i))
		if err := l.Wait(seq); err != nil {
			t.Fatal(err)
		}
		records += len(AppendRecord(nil, seq, body(i)))
	}
	if err := l.Close(); err != nil {
		t.Fatal(err)
	}
	segs, _ := listSegments(m, "/wal")
	total := int64(0)
	for _, s := range segs {
		size, _ := m.Size(filepath.Join("/wal", s.name))
		total += size
	}
	if len(segs) < 3 || total != int64(records) {
		t.Fatalf("%d segments of %d bytes in all, want several holding the %d bytes of records", len(segs), total, records)
	}
	if got, res, err := replayAll(t, m, false); err != nil || len(got) != 40 || res.TornBytes != 0 {
		t.Fatalf("after a clean close: %d records, %d torn bytes, %v", len(got), res.TornBytes, err)
	}
}

// smallDiskFS gives every file room for capacity bytes: a write past it
// writes what fits and fails with ENOSPC, as a full disk does.
type smallDiskFS struct {
	vfs.FS
	capacity int64
}

type smallDiskFile struct {
	vfs.File
	capacity int64
}

func (s smallDiskFS) Create(name string) (vfs.File, error) {
	f, err := s.FS.Create(name)
	if err != nil {
		return nil, err
	}
	return smallDiskFile{f, s.capacity}, nil
}

func (f smallDiskFile) WriteAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) <= f.capacity {
		return f.File.WriteAt(p, off)
	}
	n, err := f.File.WriteAt(p[:max(0, f.capacity-off)], off)
	if err == nil {
		err = syscall.ENOSPC
	}
	return n, err
}

// TestZerosOnAFullDisk: a disk without room for a segment's zeros still
// takes the records that fit, and fails (sticky) only on a record that
// does not.
func TestZerosOnAFullDisk(t *testing.T) {
	m := vfs.NewMem()
	const capacity = 8 << 10
	l, err := Open(Config{FS: smallDiskFS{m, capacity}, Dir: "/wal", Policy: SyncAlways, ZeroAhead: 64 << 10}, 1)
	if err != nil {
		t.Fatal(err)
	}
	written := 0
	var failed error
	for i := 1; failed == nil; i++ {
		seq, err := l.Append(body(i))
		if err == nil {
			err = l.Wait(seq)
		}
		if err != nil {
			failed = err
			break
		}
		written += len(AppendRecord(nil, seq, body(i)))
	}
	if !errors.Is(failed, syscall.ENOSPC) || written < capacity-200 {
		t.Fatalf("%d bytes of records taken on a disk of %d, then %v", written, capacity, failed)
	}
	m.Crash()
	if got, _, err := replayAll(t, m, false); err != nil || len(got) == 0 {
		t.Fatalf("after the disk filled: %d records, %v", len(got), err)
	}
}

// TestLargeBatchBufferIsNotKept appends one record larger than maxSpare
// (a large value's) and waits for it: the log lets that batch's buffer go
// instead of keeping it for the next batch, and a small batch's buffer is
// kept as before.
func TestLargeBatchBufferIsNotKept(t *testing.T) {
	l, err := Open(Config{FS: vfs.NewMem(), Dir: "/wal", Policy: SyncEverySecond, Interval: time.Hour}, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	spare := func() int {
		l.mu.Lock()
		defer l.mu.Unlock()
		return cap(l.spare)
	}
	seq, _ := l.Append(bytes.Repeat([]byte{'v'}, 2*maxSpare))
	if err := l.Wait(seq); err != nil {
		t.Fatal(err)
	}
	if n := spare(); n > maxSpare {
		t.Errorf("after a record of %d bytes the log keeps a buffer of %d", 2*maxSpare, n)
	}
	seq, _ = l.Append(body(1))
	if err := l.Wait(seq); err != nil {
		t.Fatal(err)
	}
	if spare() == 0 {
		t.Errorf("after a small record the log keeps no buffer for the next batch")
	}
}
