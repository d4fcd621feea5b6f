package serial

import (
	"encoding/binary"
	"errors"
	"math"
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
//
// Complete bounds the same by time, for a proposer that does not know the
// ballots a command was proposed at (a router's resending of a write
// another node coordinated first): every command applied along the chain
// and proposed (Entry.Proposed) after Complete is listed.
type Applied struct {
	Since    Ballot
	Complete uint64  // in the unit of ballots' stamps (hybrid-clock time); Unknown: none
	Entries  []Entry // in the order they were applied
}

// Unknown is the Complete of a record that does not say (one encoded
// before records kept it): its reader bounds it from Since.
const Unknown = math.MaxUint64

// Entry is one command in an Applied record: its id, the ballot it was
// applied at, the time its proposer ran it at (its hybrid clock's, as a
// ballot's stamp is), and its reply, unless the reply was too long to
// keep (Omitted).
type Entry struct {
	ID       ID
	At       Ballot
	Proposed uint64
	Reply    []byte
	Omitted  bool
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

// CoversFrom reports whether a command proposed at time t or later would
// be listed if it had been applied.
func (a *Applied) CoversFrom(t uint64) bool { return a.Complete < t }

// Add records that e was applied: e appended, and the oldest entries
// dropped beyond bound (at least e is kept); Since then moves up to the
// oldest entry kept, and Complete to the latest time a dropped one was
// proposed at. It reuses the record's entries, so a record decoded for
// one proposal is extended without copying it.
func (a *Applied) Add(e Entry, bound int) { a.AddKeeping(e, bound, bound, 0) }

// AddKeeping is Add keeping also, beyond bound and up to most entries,
// those proposed at recent or later, so that the record of a key written
// often still reaches back that far in time (CoversFrom). A record starts
// keeping them only when its last bound entries (e among them) span at
// least twice bound/most of the time since recent (the key is written at
// most half as often as most entries could reach back), and goes on
// until more than most entries are that recent (more would not reach back
// either): then it keeps bound again. So a hot key's records stay as
// small as Add's (a key written above the limit rarely looks slow enough
// over its last bound writes to start), and one written near it does not
// drop to bound at every burst.
func (a *Applied) AddKeeping(e Entry, bound, most int, recent uint64) {
	bound, most = max(bound, 1), max(most, bound, 1)
	total := len(a.Entries) + 1
	drop := max(total-bound, 0)
	if drop > 0 && most > bound && e.Proposed > recent {
		keeping := len(a.Entries) > bound // it kept recent entries before
		if !keeping {
			oldest := e.Proposed // of the last bound entries
			if bound > 1 {
				oldest = a.Entries[total-bound].Proposed
			}
			window := e.Proposed - recent
			keeping = oldest <= e.Proposed && (e.Proposed-oldest)*uint64(most) >= 2*window*uint64(bound)
		}
		if keeping {
			old := 0
			for old < drop && a.Entries[old].Proposed < recent {
				old++
			}
			if total-old <= most {
				drop = old
			}
		}
	}
	if drop == 0 {
		a.Entries = append(a.Entries, e)
		return
	}
	for _, d := range a.Entries[:drop] {
		a.Complete = max(a.Complete, d.Proposed)
	}
	n := copy(a.Entries, a.Entries[drop:])
	clear(a.Entries[n:])
	a.Entries = append(a.Entries[:n], e)
	a.Since = a.Since.max(a.Entries[0].At)
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
//	0xff since:ballot complete:uvarint count:uvarint
//	(id:16 at-stamp:varint at-actor:u64 proposed:varint omitted:u8 len:uvarint reply)*
//	ballot = stamp:u64 actor:u64 (big-endian)
//
// An entry's ballot stamp is kept as its difference from the entry's
// before it (the first's from since), its proposed time as its difference
// from its ballot's stamp (a standing promise's ballot is drawn when the
// key's previous write left, a Prepare's just before its Accept): about
// four bytes each where a stamp takes eight, so that a record with times
// is no longer than one without was.
//
// The first byte tells it from the form before Complete, which began with
// since (a stamp's first byte is 0xff only some thousands of years on).
func AppendApplied(dst []byte, a *Applied) []byte {
	dst = slices.Grow(dst, a.size()) // one allocation, not one per doubling
	dst = append(dst, timedRecord)
	dst = appendBallot(dst, a.Since)
	dst = binary.AppendUvarint(dst, a.Complete)
	dst = binary.AppendUvarint(dst, uint64(len(a.Entries)))
	prev := a.Since.Stamp
	for _, e := range a.Entries {
		dst = append(dst, e.ID[:]...)
		dst = binary.AppendVarint(dst, int64(e.At.Stamp-prev))
		dst = binary.BigEndian.AppendUint64(dst, e.At.Actor)
		dst = binary.AppendVarint(dst, int64(e.Proposed-e.At.Stamp))
		prev = e.At.Stamp
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

// timedRecord begins the encoding of a record with times (AppendApplied).
const timedRecord = 0xff

// size is the length of a's encoding (AppendApplied).
func (a *Applied) size() int {
	n := 1 + ballotSize + 2*binary.MaxVarintLen64
	for _, e := range a.Entries {
		n += len(e.ID) + ballotSize + 2*binary.MaxVarintLen64 + 1 + len(e.Reply)
	}
	return n
}

// ballotSize is the length of an encoded ballot (appendBallot).
const ballotSize = 16

// DecodeApplied decodes AppendApplied's form, or the one before it
// (without times: Complete is Unknown, and each entry's Proposed 0);
// replies alias b.
func DecodeApplied(b []byte) (Applied, error) {
	var a Applied
	var ok bool
	timed := len(b) > 0 && b[0] == timedRecord
	if timed {
		b = b[1:]
	}
	if a.Since, b, ok = readBallot(b); !ok {
		return a, ErrMalformedApplied
	}
	a.Complete = Unknown
	entrySize := 34
	if timed {
		k := 0
		if a.Complete, k = binary.Uvarint(b); k <= 0 {
			return a, ErrMalformedApplied
		}
		b, entrySize = b[k:], 28
	}
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k)/uint64(entrySize) {
		return a, ErrMalformedApplied
	}
	b = b[k:]
	prev := a.Since.Stamp
	a.Entries = make([]Entry, n)
	for i := range a.Entries {
		e := &a.Entries[i]
		if len(b) < len(e.ID) {
			return a, ErrMalformedApplied
		}
		copy(e.ID[:], b)
		if b = b[len(e.ID):]; timed {
			d, k := binary.Varint(b)
			if k <= 0 || len(b) < k+8 {
				return a, ErrMalformedApplied
			}
			e.At = Ballot{Stamp: prev + uint64(d), Actor: binary.BigEndian.Uint64(b[k:])}
			prev, b = e.At.Stamp, b[k+8:]
			if d, k = binary.Varint(b); k <= 0 {
				return a, ErrMalformedApplied
			}
			e.Proposed, b = e.At.Stamp+uint64(d), b[k:]
		} else if e.At, b, ok = readBallot(b); !ok {
			return a, ErrMalformedApplied
		}
		if len(b) < 1 || b[0] > 1 {
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
