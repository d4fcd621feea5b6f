package rpc

import (
	"encoding/binary"
	"slices"
)

// The serial path's messages (docs/serial.md): a proposer's phases
// (Prepare, Accept, Peek) to an acceptor of a key's partition, and the
// acceptor's Vote. A call of KindPhases carries the phases of several
// keys for one acceptor, which answers them all at once (one fsync):
//
//	ballot = time:u64 actor:u64                                  (an hlc.Stamp; big-endian)
//	phase  = kind:u8 db:u8 ballot deadline:u64 next:u64 key state applied (key, state, applied: len bytes)
//	vote   = yes:u8 ballot state applied                                  (state, applied: len bytes)
//	phases = count:uvarint phase*
//	votes  = count:uvarint vote*

// Phase is, by Kind, a Prepare (KindPrepare, State empty), an Accept of
// the proposal State (KindAccept: the key's whole state, a storage delta),
// a Peek at the register (KindPeek, promising nothing), or a Learn of a
// chosen proposal State (KindLearn: taken as its Accept would be, for an
// acceptor the round did not ask; its vote is empty and means nothing),
// for Key in DB at ballot (Time, Actor). An Accept with Next (a ballot
// time above Time) also promises ballot (Next, Actor) once it is accepted:
// the proposer's standing promise, which lets its next command on the key
// skip Prepare. An acceptor does nothing with a phase that arrives after
// Deadline (unix milliseconds by the proposer's clock). An Accept's (or a
// Learn's) Applied, if any, is the applied record (serial.Applied) that
// goes with its State, kept at the same ballot.
type Phase struct {
	Kind        Kind
	DB          int
	Time, Actor uint64
	Deadline    int64
	Next        uint64
	Key         []byte
	State       []byte
	Applied     []byte
}

// AppendPhase encodes m.
func AppendPhase(dst []byte, m *Phase) []byte {
	dst = append(dst, byte(m.Kind), byte(m.DB))
	dst = binary.BigEndian.AppendUint64(dst, m.Time)
	dst = binary.BigEndian.AppendUint64(dst, m.Actor)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Deadline))
	dst = binary.BigEndian.AppendUint64(dst, m.Next)
	dst = appendBytes(dst, m.Key)
	dst = appendBytes(dst, m.State)
	return appendBytes(dst, m.Applied)
}

// DecodePhase decodes AppendPhase's payload; Key and State alias b.
func DecodePhase(b []byte, m *Phase) error {
	rest, err := readPhase(b, m)
	if err == nil && len(rest) != 0 {
		err = ErrMalformed
	}
	return err
}

// phaseHeader is the length of a phase's fixed fields.
const phaseHeader = 34

// readPhase decodes the phase at the start of b and returns what follows.
func readPhase(b []byte, m *Phase) ([]byte, error) {
	if len(b) < phaseHeader {
		return nil, ErrMalformed
	}
	m.Kind = Kind(b[0])
	switch m.Kind {
	case KindPrepare, KindAccept, KindPeek, KindLearn:
	default:
		return nil, ErrMalformed
	}
	m.DB = int(b[1])
	m.Time = binary.BigEndian.Uint64(b[2:])
	m.Actor = binary.BigEndian.Uint64(b[10:])
	m.Deadline = int64(binary.BigEndian.Uint64(b[18:]))
	m.Next = binary.BigEndian.Uint64(b[26:])
	var err error
	b = b[phaseHeader:]
	if m.Key, b, err = readBytes(b); err != nil {
		return nil, err
	}
	if m.State, b, err = readBytes(b); err != nil {
		return nil, err
	}
	if m.Applied, b, err = readBytes(b); err != nil {
		return nil, err
	}
	if len(m.Key) == 0 || (m.Next != 0 && (m.Kind != KindAccept || m.Next <= m.Time)) {
		return nil, ErrMalformed
	}
	return b, nil
}

// Vote is an acceptor's answer to a Phase. Yes: the promise (Prepare),
// with the proposal it accepted last, (Time, Actor), State (zero and
// empty: none) and its Applied record (empty: none kept at that ballot);
// or the acceptance (Accept). No: refused, (Time, Actor) being the ballot
// that outranks the phase's.
type Vote struct {
	Yes         bool
	Time, Actor uint64
	State       []byte
	Applied     []byte
}

// AppendVote encodes v.
func AppendVote(dst []byte, v *Vote) []byte {
	yes := byte(0)
	if v.Yes {
		yes = 1
	}
	dst = append(dst, yes)
	dst = binary.BigEndian.AppendUint64(dst, v.Time)
	dst = binary.BigEndian.AppendUint64(dst, v.Actor)
	dst = appendBytes(dst, v.State)
	return appendBytes(dst, v.Applied)
}

// DecodeVote decodes AppendVote's payload; State aliases b.
func DecodeVote(b []byte, v *Vote) error {
	rest, err := readVote(b, v)
	if err == nil && len(rest) != 0 {
		err = ErrMalformed
	}
	return err
}

// readVote decodes the vote at the start of b and returns what follows.
func readVote(b []byte, v *Vote) ([]byte, error) {
	if len(b) < 17 || b[0] > 1 {
		return nil, ErrMalformed
	}
	v.Yes = b[0] == 1
	v.Time = binary.BigEndian.Uint64(b[1:])
	v.Actor = binary.BigEndian.Uint64(b[9:])
	var err error
	if v.State, b, err = readBytes(b[17:]); err != nil {
		return nil, err
	}
	if v.Applied, b, err = readBytes(b); err != nil {
		return nil, err
	}
	return b, nil
}

// AppendPhases encodes the phases ms for one acceptor.
func AppendPhases(dst []byte, ms []Phase) []byte { return appendBatch(dst, ms, AppendPhase) }

// DecodePhases decodes AppendPhases' payload into ms[:0]; keys and
// states alias b.
func DecodePhases(b []byte, ms []Phase) ([]Phase, error) {
	return decodeBatch(b, ms, phaseHeader, readPhase)
}

// AppendVotes encodes an acceptor's votes, one per phase of a call, in
// the phases' order. An acceptor that has each vote only in turn appends
// the count with binary.AppendUvarint, then each vote with AppendVote.
func AppendVotes(dst []byte, vs []Vote) []byte { return appendBatch(dst, vs, AppendVote) }

// DecodeVotes decodes AppendVotes' payload into vs[:0]; states alias b.
func DecodeVotes(b []byte, vs []Vote) ([]Vote, error) { return decodeBatch(b, vs, 17, readVote) }

// appendBatch appends the count of xs, then each x with enc.
func appendBatch[T any](dst []byte, xs []T, enc func([]byte, *T) []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(xs)))
	for i := range xs {
		dst = enc(dst, &xs[i])
	}
	return dst
}

// decodeBatch decodes appendBatch's form into xs[:0] with read, each
// element taking at least least bytes (a count b cannot hold is refused
// before anything is allocated).
func decodeBatch[T any](b []byte, xs []T, least int, read func([]byte, *T) ([]byte, error)) ([]T, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k)/uint64(least) {
		return xs[:0], ErrMalformed
	}
	b = b[k:]
	xs = slices.Grow(xs[:0], int(n))[:n]
	var err error
	for i := range xs {
		if b, err = read(b, &xs[i]); err != nil {
			return xs[:0], err
		}
	}
	if len(b) != 0 {
		return xs[:0], ErrMalformed
	}
	return xs, nil
}

func appendBytes(dst, b []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(b)))
	return append(dst, b...)
}

func readBytes(b []byte) ([]byte, []byte, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)-k) {
		return nil, nil, ErrMalformed
	}
	return b[k : k+int(n)], b[k+int(n):], nil
}
