package snapshot

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"

	"github.com/klauspost/compress/zstd"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/record"
)

const (
	magic = "VANITYSS"
	// version 2 frames with package record; version 1 files (frames of
	// their own: kind:u8 length:u32 crc:u32 payload) are still read.
	version = 2

	kindMeta  = 1
	kindChunk = 2
	kindEnd   = 3

	// chunkSize is the uncompressed size at which a chunk is cut.
	chunkSize = 1 << 20
	// maxFrame bounds a frame's declared length before it is read.
	maxFrame = 64 << 20
)

// level is the chunks' zstd level: the fastest compresses snapshot-like
// chunks 1.3-2x faster than the default for the same size within 1%
// (BenchmarkChunkLevels; docs/decisions.md).
const level = zstd.SpeedFastest

// ErrCorrupt is wrapped by every error about the content of a file.
var ErrCorrupt = errors.New("snapshot: corrupt")

// Meta describes a snapshot.
type Meta struct {
	Partitions int       // partition count of the layout the snapshot was taken in
	Position   uint64    // WAL position covered
	Created    hlc.Stamp // when the snapshot was started
}

// Writer writes a snapshot, partition by partition, each from a Capture.
type Writer struct {
	w        *bufio.Writer
	enc      *zstd.Encoder
	chunks   uint64
	total    uint64
	frameBuf []byte // the frame being written
	err      error
}

// Capture holds one partition's deltas encoded as a chunk's records, so
// that a partition can be captured under its lock and compressed and
// written after it is released (Writer.Partition). Reset reuses it.
type Capture struct {
	recs []byte
	// cuts are the offsets in recs where chunks end: the first record
	// boundary at or past each chunkSize.
	cuts    []int
	n       []uint64 // records in each chunk, the last one included
	scratch []byte
}

// Size returns the bytes c holds.
func (c *Capture) Size() int { return len(c.recs) }

// Reset empties c, keeping its storage.
func (c *Capture) Reset() {
	c.recs, c.cuts, c.n = c.recs[:0], c.cuts[:0], c.n[:0]
}

// Trim empties c, and lets its storage go if c has grown past max bytes
// (a state larger than a capture is meant to hold), so that one kept for
// reuse does not hold on to that much.
func (c *Capture) Trim(max int) {
	c.Reset()
	if cap(c.recs) > max {
		c.recs = nil
	}
	if cap(c.scratch) > max {
		c.scratch = nil
	}
}

// Add appends a delta.
func (c *Capture) Add(d *storage.Delta) {
	c.scratch = storage.AppendDelta(c.scratch[:0], d)
	c.recs = binary.AppendUvarint(c.recs, uint64(len(c.scratch)))
	c.recs = append(c.recs, c.scratch...)
	if len(c.n) == len(c.cuts) {
		c.n = append(c.n, 0) // a chunk begins
	}
	c.n[len(c.n)-1]++
	begun := 0
	if len(c.cuts) > 0 {
		begun = c.cuts[len(c.cuts)-1]
	}
	if len(c.recs)-begun >= chunkSize {
		c.cuts = append(c.cuts, len(c.recs))
	}
}

// NewWriter writes the header and meta frame to w.
func NewWriter(w io.Writer, m Meta) (*Writer, error) {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(level), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, fmt.Errorf("snapshot: zstd encoder: %w", err)
	}
	sw := &Writer{w: bufio.NewWriterSize(w, 256<<10), enc: enc}
	hdr := append([]byte(magic), 0, version, 0, 0)
	if _, err := sw.w.Write(hdr); err != nil {
		return nil, err
	}
	meta, start := sw.begin(kindMeta)
	meta = binary.AppendUvarint(meta, uint64(m.Partitions))
	meta = binary.AppendUvarint(meta, m.Position)
	meta = binary.AppendUvarint(meta, m.Created.Time)
	meta = binary.AppendUvarint(meta, m.Created.Actor)
	sw.end(meta, start)
	return sw, sw.err
}

// begin starts a frame of kind in the writer's frame buffer; the caller
// appends the payload and calls end.
func (w *Writer) begin(kind byte) ([]byte, int) {
	rec, start := record.Begin(w.frameBuf[:0])
	return append(rec, kind), start
}

// end frames and writes the frame begun at start.
func (w *Writer) end(rec []byte, start int) {
	w.frameBuf = rec
	if w.err != nil {
		return
	}
	record.End(rec, start)
	if _, err := w.w.Write(rec); err != nil {
		w.err = err
	}
}

// Partition writes partition p's deltas, captured at WAL position pos, as
// chunks of about chunkSize uncompressed bytes each.
func (w *Writer) Partition(p int, pos uint64, c *Capture) error {
	from := 0
	for i, count := range c.n {
		to := len(c.recs)
		if i < len(c.cuts) {
			to = c.cuts[i]
		}
		chunk, start := w.begin(kindChunk)
		chunk = binary.AppendUvarint(chunk, uint64(p))
		chunk = binary.AppendUvarint(chunk, pos)
		chunk = binary.AppendUvarint(chunk, count)
		chunk = w.enc.EncodeAll(c.recs[from:to], chunk)
		w.end(chunk, start)
		w.chunks++
		w.total += count
		from = to
	}
	return w.err
}

// Close writes the end frame (the chunks were written by Partition) and
// flushes. It does not close or sync the underlying writer.
func (w *Writer) Close() error {
	end, start := w.begin(kindEnd)
	end = binary.AppendUvarint(end, w.chunks)
	end = binary.AppendUvarint(end, w.total)
	w.end(end, start)
	if w.err == nil {
		w.err = w.w.Flush()
	}
	_ = w.enc.Close()
	return w.err
}

// Read reads a snapshot from r: it calls meta once, then apply for every
// delta in file order, with its partition and that partition's WAL
// position. It verifies every checksum and the end frame, and reports
// ErrCorrupt (naming the offset) for anything malformed; apply may have
// been called for earlier deltas by then.
func Read(r io.Reader, meta func(Meta) error, apply func(p int, pos uint64, d *storage.Delta) error) error {
	dec, err := NewDecoder()
	if err != nil {
		return err
	}
	defer dec.Close()
	return ReadChunks(r, meta, func(c *Chunk) error {
		return dec.Deltas(c, func(d *storage.Delta) error { return apply(c.Partition, c.Position, d) })
	})
}

// Chunk is one compressed chunk of a partition's deltas.
type Chunk struct {
	Partition int
	Position  uint64
	Count     uint64
	Offset    int64  // in the file, for error messages
	Data      []byte // zstd-compressed records; owned by the chunk
}

// ReadChunks reads a snapshot's frames, verifying checksums and the end
// frame, and hands over each chunk still compressed, so that callers can
// decode chunks in parallel (with one Decoder per goroutine).
func ReadChunks(r io.Reader, meta func(Meta) error, chunk func(*Chunk) error) error {
	br := bufio.NewReaderSize(r, 256<<10)
	var hdr [12]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		return fmt.Errorf("%w: header: %v", ErrCorrupt, err)
	}
	if string(hdr[:8]) != magic {
		return fmt.Errorf("%w: not a snapshot file", ErrCorrupt)
	}
	readFrame := readFrame
	switch v := binary.BigEndian.Uint16(hdr[8:]); v {
	case version:
	case 1:
		readFrame = readFrameV1
	default:
		return fmt.Errorf("%w: unsupported version %d (this build reads 1 and 2; a newer Vanity wrote it?)", ErrCorrupt, v)
	}
	off := int64(len(hdr))
	var chunks, total uint64
	for first := true; ; first = false {
		kind, payload, n, err := readFrame(br, off)
		if err != nil {
			return err
		}
		off += n
		if first != (kind == kindMeta) {
			return fmt.Errorf("%w: meta frame misplaced at offset %d", ErrCorrupt, off-n)
		}
		pr := payloadReader{b: payload}
		switch kind {
		case kindMeta:
			m := Meta{Partitions: int(pr.uvarint()), Position: pr.uvarint()}
			m.Created = hlc.Stamp{Time: pr.uvarint(), Actor: pr.uvarint()}
			if pr.bad {
				return fmt.Errorf("%w: bad meta frame", ErrCorrupt)
			}
			if err := meta(m); err != nil {
				return err
			}
		case kindChunk:
			c := &Chunk{Partition: int(pr.uvarint()), Position: pr.uvarint(), Count: pr.uvarint(), Offset: off - n}
			if pr.bad || c.Partition < 0 {
				return fmt.Errorf("%w: bad chunk header at offset %d", ErrCorrupt, off-n)
			}
			c.Data = payload[pr.off:]
			if err := chunk(c); err != nil {
				return err
			}
			chunks++
			total += c.Count
		case kindEnd:
			if c, t := pr.uvarint(), pr.uvarint(); pr.bad || c != chunks || t != total {
				return fmt.Errorf("%w: end frame counts do not match the file", ErrCorrupt)
			}
			return nil
		default:
			return fmt.Errorf("%w: unknown frame kind %d at offset %d", ErrCorrupt, kind, off-n)
		}
	}
}

// Decoder decompresses chunks; each goroutine needs its own.
type Decoder struct {
	dec *zstd.Decoder
	raw []byte
}

// NewDecoder returns a chunk decoder.
func NewDecoder() (*Decoder, error) {
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxFrame*4))
	if err != nil {
		return nil, fmt.Errorf("snapshot: zstd decoder: %w", err)
	}
	return &Decoder{dec: dec}, nil
}

// Close releases the decoder.
func (d *Decoder) Close() { d.dec.Close() }

// Deltas decompresses c and calls fn for each of its deltas.
func (d *Decoder) Deltas(c *Chunk, fn func(*storage.Delta) error) error {
	var err error
	d.raw, err = d.dec.DecodeAll(c.Data, d.raw[:0])
	if err != nil {
		return fmt.Errorf("%w: chunk at offset %d: %v", ErrCorrupt, c.Offset, err)
	}
	rr := payloadReader{b: d.raw}
	for k := uint64(0); k < c.Count; k++ {
		l := rr.uvarint()
		if rr.bad || l > uint64(len(d.raw)-rr.off) {
			return fmt.Errorf("%w: record %d of chunk at offset %d", ErrCorrupt, k, c.Offset)
		}
		delta, err := storage.DecodeDelta(d.raw[rr.off : rr.off+int(l)])
		if err != nil {
			return fmt.Errorf("%w: record %d of chunk at offset %d: %v", ErrCorrupt, k, c.Offset, err)
		}
		rr.off += int(l)
		if err := fn(&delta); err != nil {
			return err
		}
	}
	if rr.off != len(d.raw) {
		return fmt.Errorf("%w: chunk at offset %d has trailing bytes", ErrCorrupt, c.Offset)
	}
	return nil
}

// readFrame reads the frame at offset off: its kind, its payload (a new
// slice) and its size in the file.
func readFrame(r io.Reader, off int64) (byte, []byte, int64, error) {
	rec, err := record.Read(r, maxFrame+1, nil)
	switch {
	case err == io.EOF:
		return 0, nil, 0, fmt.Errorf("%w: missing frame at offset %d (incomplete file)", ErrCorrupt, off)
	case errors.Is(err, record.ErrIncomplete):
		return 0, nil, 0, fmt.Errorf("%w: frame at offset %d is truncated", ErrCorrupt, off)
	case errors.Is(err, record.ErrCorrupt):
		return 0, nil, 0, fmt.Errorf("%w: frame at offset %d: %v", ErrCorrupt, off, err)
	case err != nil:
		return 0, nil, 0, err
	case len(rec) == 0:
		return 0, nil, 0, fmt.Errorf("%w: empty frame at offset %d", ErrCorrupt, off)
	}
	return rec[0], rec[1:], int64(record.HeaderSize + len(rec)), nil
}

var castagnoliV1 = crc32.MakeTable(crc32.Castagnoli)

// readFrameV1 is readFrame for version 1 files.
func readFrameV1(r io.Reader, off int64) (byte, []byte, int64, error) {
	var hdr [9]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return 0, nil, 0, fmt.Errorf("%w: missing frame at offset %d (incomplete file): %v", ErrCorrupt, off, err)
	}
	n := binary.BigEndian.Uint32(hdr[1:])
	if n > maxFrame {
		return 0, nil, 0, fmt.Errorf("%w: frame at offset %d declares %d bytes", ErrCorrupt, off, n)
	}
	payload := make([]byte, n)
	if _, err := io.ReadFull(r, payload); err != nil {
		return 0, nil, 0, fmt.Errorf("%w: frame at offset %d is truncated", ErrCorrupt, off)
	}
	crc := crc32.Update(crc32.Update(0, castagnoliV1, hdr[:1]), castagnoliV1, payload)
	if crc != binary.BigEndian.Uint32(hdr[5:]) {
		return 0, nil, 0, fmt.Errorf("%w: checksum mismatch in frame at offset %d", ErrCorrupt, off)
	}
	return hdr[0], payload, int64(len(hdr)) + int64(n), nil
}

type payloadReader struct {
	b   []byte
	off int
	bad bool
}

func (p *payloadReader) uvarint() uint64 {
	if p.bad {
		return 0
	}
	v, n := binary.Uvarint(p.b[p.off:])
	if n <= 0 {
		p.bad = true
		return 0
	}
	p.off += n
	return v
}
