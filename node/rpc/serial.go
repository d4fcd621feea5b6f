package rpc

import (
	"encoding/binary"
)

// The serial path's messages (docs/serial.md): a proposer's Prepare and
// Accept to each acceptor of a key's partition, and the acceptor's Vote.
//
//	ballot = time:u64 actor:u64                  (an hlc.Stamp; big-endian)
//	phase  = db:u8 ballot deadline:u64 key state  (key, state: len bytes)
//	vote   = yes:u8 ballot state                  (state: len bytes)

// Phase is a Prepare (State empty) or an Accept of the proposal State
// (the key's whole state, a storage delta) for Key in DB at ballot
// (Time, Actor). An acceptor does nothing with one that arrives after
// Deadline (unix milliseconds by the proposer's clock).
type Phase struct {
	DB          int
	Time, Actor uint64
	Deadline    int64
	Key         []byte
	State       []byte
}

// AppendPhase encodes m.
func AppendPhase(dst []byte, m *Phase) []byte {
	dst = append(dst, byte(m.DB))
	dst = binary.BigEndian.AppendUint64(dst, m.Time)
	dst = binary.BigEndian.AppendUint64(dst, m.Actor)
	dst = binary.BigEndian.AppendUint64(dst, uint64(m.Deadline))
	dst = appendBytes(dst, m.Key)
	return appendBytes(dst, m.State)
}

// DecodePhase decodes AppendPhase's payload; Key and State alias b.
func DecodePhase(b []byte, m *Phase) error {
	if len(b) < 25 {
		return ErrMalformed
	}
	m.DB = int(b[0])
	m.Time = binary.BigEndian.Uint64(b[1:])
	m.Actor = binary.BigEndian.Uint64(b[9:])
	m.Deadline = int64(binary.BigEndian.Uint64(b[17:]))
	var err error
	b = b[25:]
	if m.Key, b, err = readBytes(b); err != nil {
		return err
	}
	if m.State, b, err = readBytes(b); err != nil {
		return err
	}
	if len(b) != 0 || len(m.Key) == 0 {
		return ErrMalformed
	}
	return nil
}

// Vote is an acceptor's answer to a Phase. Yes: the promise (Prepare),
// with the proposal it accepted last, (Time, Actor) and State (zero and
// empty: none); or the acceptance (Accept). No: refused, (Time, Actor)
// being the ballot that outranks the phase's.
type Vote struct {
	Yes         bool
	Time, Actor uint64
	State       []byte
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
	return appendBytes(dst, v.State)
}

// DecodeVote decodes AppendVote's payload; State aliases b.
func DecodeVote(b []byte, v *Vote) error {
	if len(b) < 17 || b[0] > 1 {
		return ErrMalformed
	}
	v.Yes = b[0] == 1
	v.Time = binary.BigEndian.Uint64(b[1:])
	v.Actor = binary.BigEndian.Uint64(b[9:])
	var err error
	if v.State, b, err = readBytes(b[17:]); err != nil {
		return err
	}
	if len(b) != 0 {
		return ErrMalformed
	}
	return nil
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
