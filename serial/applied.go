package serial

import (
	"encoding/binary"
	"errors"
	"slices"
)

// ID names one command on the serial path (its proposer's actor and a
// counter of that proposer), so that the states a key goes through can
// say which commands they hold.
type ID [16]byte

// Applied is the record a key's state carries of the commands applied
// along its chain of states: every command applied at a ballot at or above
// Since is listed (older ones may be, or may have been dropped: the record
// is bounded). A proposer that finds its command listed in the latest
// state knows that state holds its effect, and finishes it rather than
// running the command again; one that finds it absent, while every ballot
// it proposed it at is covered, knows no state to come can hold it, and
// runs it (docs/serial.md, "Applied records").
type Applied struct {
	Since   Ballot
	Entries []Entry // in the order they were applied
}

// Entry is one command in an Applied record: its id, the ballot it was
// applied at and its reply, unless the reply was too long to keep
// (Omitted).
type Entry struct {
	ID      ID
	At      Ballot
	Reply   []byte
	Omitted bool
}

// Find returns the entry of command id, if the record lists it.
func (a *Applied) Find(id ID) (Entry, bool) {
	for i := range a.Entries {
		if a.Entries[i].ID == id {
			return a.Entries[i], true
		}
	}
	return Entry{}, false
}

// Has reports whether the record lists command id.
func (a *Applied) Has(id ID) bool {
	_, ok := a.Find(id)
	return ok
}

// Covers reports whether a command proposed at b would be listed if it
// had been applied.
func (a *Applied) Covers(b Ballot) bool { return !b.Less(a.Since) }

// Add records that e was applied: e appended, and the oldest entries
// dropped beyond bound (at least e is kept); Since then moves up to the
// oldest entry kept. It reuses the record's entries, so a record decoded
// for one proposal is extended without copying it.
func (a *Applied) Add(e Entry, bound int) {
	if drop := len(a.Entries) - max(bound-1, 0); drop > 0 {
		n := copy(a.Entries, a.Entries[drop:])
		clear(a.Entries[n:])
		a.Entries = append(a.Entries[:n], e)
		a.Since = a.Since.max(a.Entries[0].At)
		return
	}
	a.Entries = append(a.Entries, e)
}

func (b Ballot) max(o Ballot) Ballot {
	if b.Less(o) {
		return o
	}
	return b
}

// ErrMalformedApplied is returned for a record that does not decode.
var ErrMalformedApplied = errors.New("serial: malformed applied record")

// AppendApplied encodes a:
//
//	since:ballot count:uvarint (id:16 at:ballot omitted:u8 len:uvarint reply)*
//	ballot = stamp:u64 actor:u64 (big-endian)
func AppendApplied(dst []byte, a *Applied) []byte {
	dst = slices.Grow(dst, a.size()) // one allocation, not one per doubling
	dst = appendBallot(dst, a.Since)
	dst = binary.AppendUvarint(dst, uint64(len(a.Entries)))
	for _, e := range a.Entries {
		dst = append(dst, e.ID[:]...)
		dst = appendBallot(dst, e.At)
		omitted := byte(0)
		if e.Omitted {
			omitted = 1
		}
		dst = append(dst, omitted)
		dst = binary.AppendUvarint(dst, uint64(len(e.Reply)))
		dst = append(dst, e.Reply...)
	}
	return dst
}

// size is the length of a's encoding (AppendApplied).
func (a *Applied) size() int {
	n := ballotSize + binary.MaxVarintLen64
	for _, e := range a.Entries {
		n += len(e.ID) + ballotSize + 1 + binary.MaxVarintLen64 + len(e.Reply)
	}
	return n
}

// ballotSize is the length of an encoded ballot (appendBallot).
const ballotSize = 16

// DecodeApplied decodes AppendApplied's form; replies alias b.
func DecodeApplied(b []byte) (Applied, error) {
	var a Applied
	var ok bool
	if a.Since, b, ok = readBallot(b); !ok {
		return a, ErrMalformedApplied
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k)/34 {
		return a, ErrMalformedApplied
	}
	b = b[k:]
	a.Entries = make([]Entry, n)
	for i := range a.Entries {
		e := &a.Entries[i]
		if len(b) < len(e.ID) {
			return a, ErrMalformedApplied
		}
		copy(e.ID[:], b)
		if e.At, b, ok = readBallot(b[len(e.ID):]); !ok || len(b) < 1 || b[0] > 1 {
			return a, ErrMalformedApplied
		}
		e.Omitted = b[0] == 1
		l, k := binary.Uvarint(b[1:])
		if k <= 0 || l > uint64(len(b)-1-k) {
			return a, ErrMalformedApplied
		}
		b = b[1+k:]
		e.Reply, b = b[:l:l], b[l:]
	}
	if len(b) != 0 {
		return a, ErrMalformedApplied
	}
	return a, nil
}

func appendBallot(dst []byte, b Ballot) []byte {
	dst = binary.BigEndian.AppendUint64(dst, b.Stamp)
	return binary.BigEndian.AppendUint64(dst, b.Actor)
}

func readBallot(b []byte) (Ballot, []byte, bool) {
	if len(b) < 16 {
		return Ballot{}, nil, false
	}
	return Ballot{Stamp: binary.BigEndian.Uint64(b), Actor: binary.BigEndian.Uint64(b[8:])}, b[16:], true
}
