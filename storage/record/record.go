// Package record frames the records of Vanity's files. The write-ahead
// log, hint files and snapshots share one framing:
//
//	record = length:u32 crc:u32 payload[length]      (big-endian)
//	crc    = CRC-32C of the four length bytes, then the payload
//
// The checksum covers the length, so a damaged length is caught like
// damaged data instead of sending a reader off into the middle of the
// next record. What a payload holds is up to each file's format.
//
// The framing is part of every on-disk format: it never changes.
package record

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// HeaderSize is the bytes a record adds to its payload.
const HeaderSize = 8

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// ErrIncomplete says that the bytes end inside a record: a torn write at
// the end of a file, or a truncated file.
var ErrIncomplete = errors.New("record: incomplete")

// ErrCorrupt says that a record's length is out of bounds or its
// checksum does not match.
var ErrCorrupt = errors.New("record: corrupt")

// Begin reserves a record's header at the end of dst and returns where the
// record starts. The caller appends the payload and calls End, which lets
// a payload be built in place.
func Begin(dst []byte) ([]byte, int) {
	return append(dst, 0, 0, 0, 0, 0, 0, 0, 0), len(dst)
}

// End fills in the header of the record that starts at start in rec,
// whose payload is everything after the header.
func End(rec []byte, start int) {
	binary.BigEndian.PutUint32(rec[start:], uint32(len(rec)-start-HeaderSize))
	binary.BigEndian.PutUint32(rec[start+4:], checksum(rec[start:start+4], rec[start+HeaderSize:]))
}

// Append appends a record holding payload.
func Append(dst, payload []byte) []byte {
	dst, start := Begin(dst)
	dst = append(dst, payload...)
	End(dst, start)
	return dst
}

func checksum(length, payload []byte) uint32 {
	return crc32.Update(crc32.Update(0, castagnoli, length), castagnoli, payload)
}

// Parse reads the record at the start of b, whose payload may be at most
// max bytes, and returns its payload (aliasing b) and its size in b.
func Parse(b []byte, max uint32) (payload []byte, size int, err error) {
	if len(b) < HeaderSize {
		return nil, 0, ErrIncomplete
	}
	n := binary.BigEndian.Uint32(b)
	if n > max {
		return nil, 0, fmt.Errorf("%w: length %d, at most %d", ErrCorrupt, n, max)
	}
	if uint64(n) > uint64(len(b)-HeaderSize) {
		return nil, 0, ErrIncomplete
	}
	payload = b[HeaderSize : HeaderSize+int(n)]
	if checksum(b[:4], payload) != binary.BigEndian.Uint32(b[4:]) {
		return nil, 0, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return payload, HeaderSize + int(n), nil
}

// Read reads the next record from r, whose payload may be at most max
// bytes, into buf (grown as needed) and returns the payload. At the end of
// r it returns io.EOF if no byte of a record was read, and ErrIncomplete
// if some were.
func Read(r io.Reader, max uint32, buf []byte) ([]byte, error) {
	var hdr [HeaderSize]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrIncomplete
		}
		return nil, err
	}
	n := binary.BigEndian.Uint32(hdr[:])
	if n > max {
		return nil, fmt.Errorf("%w: length %d, at most %d", ErrCorrupt, n, max)
	}
	if uint64(cap(buf)) < uint64(n) {
		buf = make([]byte, n)
	}
	payload := buf[:n]
	if _, err := io.ReadFull(r, payload); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrIncomplete
		}
		return nil, err
	}
	if checksum(hdr[:4], payload) != binary.BigEndian.Uint32(hdr[4:]) {
		return nil, fmt.Errorf("%w: checksum mismatch", ErrCorrupt)
	}
	return payload, nil
}
