package proto

import (
	"bufio"
	"encoding/binary"
	"errors"
	"io"
	"math"
)

// MaxRequest is the largest request payload a server accepts (512 MiB).
const MaxRequest = 512 << 20

// MaxScanCount bounds the count of SCAN, SET_SCAN and HASH_SCAN (§12.4,
// §12.18): a page is built in memory.
const MaxScanCount = 100_000

// MaxRandomDraws bounds SET_RANDOM's and HASH_RANDOM's draws with repeats
// (a negative count, §12.19): nothing else bounds that reply.
const MaxRandomDraws = 1_000_000

// MaxReply is the largest payload a frame can carry.
const MaxReply = math.MaxUint32

// ErrFrameTooLarge is returned for a declared frame length over the limit.
var ErrFrameTooLarge = errors.New("proto: frame too large")

// keepBig is the largest out-of-buffer frame buffer kept for reuse.
const keepBig = 1 << 20

// FrameReader reads length-prefixed frames from a buffered reader. Frames
// that fit in the reader's buffer are returned without copying.
type FrameReader struct {
	r       *bufio.Reader
	max     int
	pending int    // bytes of the last frame still to discard from r
	big     []byte // storage for frames larger than r's buffer
}

// NewFrameReader returns a FrameReader over r refusing payloads above max.
func NewFrameReader(r *bufio.Reader, max int) *FrameReader {
	return &FrameReader{r: r, max: max}
}

// SetLimit changes the largest payload Next accepts (a server's limit
// grows once a session authenticates).
func (f *FrameReader) SetLimit(max int) { f.max = max }

// Next returns the payload of the next frame. It is valid until the next
// call. A declared length above the limit gives ErrFrameTooLarge before any
// payload byte is read; a stream that ends inside a frame gives
// io.ErrUnexpectedEOF.
func (f *FrameReader) Next() ([]byte, error) {
	if err := f.discard(); err != nil {
		return nil, err
	}
	hdr, err := f.r.Peek(4)
	if err != nil {
		if err == io.EOF && len(hdr) > 0 {
			err = io.ErrUnexpectedEOF
		}
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr))
	if uint64(binary.BigEndian.Uint32(hdr)) > uint64(f.max) {
		return nil, ErrFrameTooLarge
	}
	if 4+n <= f.r.Size() {
		b, err := f.r.Peek(4 + n)
		if err != nil {
			return nil, unexpected(err)
		}
		f.pending = 4 + n
		return b[4:], nil
	}
	if _, err := f.r.Discard(4); err != nil {
		return nil, unexpected(err)
	}
	return f.readBig(n)
}

// readBig reads an n-byte payload that does not fit in the reader's buffer,
// growing the destination only as bytes arrive, so a peer that declares a
// large frame and sends nothing costs little.
func (f *FrameReader) readBig(n int) ([]byte, error) {
	buf := f.big[:0]
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, max(2*cap(buf), 64<<10)))
			copy(grown, buf)
			buf = grown
		}
		m, err := io.ReadFull(f.r, buf[len(buf):min(n, cap(buf))])
		buf = buf[:len(buf)+m]
		if err != nil {
			return nil, unexpected(err)
		}
	}
	if cap(buf) <= keepBig {
		f.big = buf
	} else {
		f.big = nil
	}
	return buf, nil
}

func (f *FrameReader) discard() error {
	if f.pending == 0 {
		return nil
	}
	n := f.pending
	f.pending = 0
	_, err := f.r.Discard(n)
	return err
}

// Ready reports whether a complete frame is already buffered, so that the
// next call to Next will not block. Servers flush replies when it is false.
func (f *FrameReader) Ready() bool {
	avail := f.r.Buffered() - f.pending
	if avail < 4 {
		return false
	}
	hdr, err := f.r.Peek(f.pending + 4)
	if err != nil {
		return false
	}
	n := int(binary.BigEndian.Uint32(hdr[f.pending:]))
	return n > f.max || avail >= 4+n
}

// SplitFrame finds the first frame in b, a stream's unread bytes. It
// returns the frame's payload and its size with the header (0 and a nil
// payload when b does not hold all of it yet), or ErrFrameTooLarge as soon
// as the header declares a payload above max.
func SplitFrame(b []byte, max int) ([]byte, int, error) {
	if len(b) < 4 {
		return nil, 0, nil
	}
	n := uint64(binary.BigEndian.Uint32(b))
	if n > uint64(max) {
		return nil, 0, ErrFrameTooLarge
	}
	if uint64(len(b)) < 4+n {
		return nil, 0, nil
	}
	return b[4 : 4+n], 4 + int(n), nil
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}

// BeginFrame reserves room for a frame header and returns the buffer and the
// frame's start offset, to be passed to EndFrame after the payload.
func BeginFrame(dst []byte) ([]byte, int) {
	return append(dst, 0, 0, 0, 0), len(dst)
}

// EndFrame fills in the header of the frame started at start. A payload too
// large for a frame is replaced by INTERNAL_ERROR "response too large".
func EndFrame(dst []byte, start int) []byte {
	n := len(dst) - start - 4
	if uint64(n) > MaxReply {
		dst = AppendInternalError(dst[:start+4], MsgResponseTooLarge)
		n = len(dst) - start - 4
	}
	binary.BigEndian.PutUint32(dst[start:], uint32(n))
	return dst
}

// AppendFrame appends payload as one frame.
func AppendFrame(dst, payload []byte) []byte {
	dst, start := BeginFrame(dst)
	dst = append(dst, payload...)
	return EndFrame(dst, start)
}
