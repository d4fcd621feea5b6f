package rpc

import (
	"encoding/binary"
	"errors"

	"github.com/vanitydb/vanity/proto"
)

// Message payloads. Integers are uvarints unless noted.
//
//	run      = ring:u64 deadline:u64 floor:u64 n cmd*     (KindRun; u64s big-endian)
//	cmd      = digest:u8 db:u8 read:u8 write:u8 n request* (digest: a Digest)
//	request  = proto.AppendBinary's form
//	answer   = clock:u64 items                             (KindRun's answer)
//	items    = n (len (status:u8 reply))*                  (Run.Answers of them)

// ErrMalformed is returned for payloads that do not decode.
var ErrMalformed = errors.New("rpc: malformed payload")

// AppendStrings encodes a list of byte strings: n (len bytes)*.
func AppendStrings(dst []byte, ss [][]byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(ss)))
	for _, s := range ss {
		dst = binary.AppendUvarint(dst, uint64(len(s)))
		dst = append(dst, s...)
	}
	return dst
}

// DecodeStrings decodes AppendStrings; the results alias b.
func DecodeStrings(b []byte) ([][]byte, error) {
	return decodeList(b, func(s []byte) ([]byte, bool) { return s, true })
}

// decodeList decodes a list that AppendStrings' layout encodes, each
// string turned into an element by conv (false: malformed); the elements
// may alias b.
func decodeList[T any](b []byte, conv func([]byte) (T, bool)) ([]T, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, ErrMalformed
	}
	b = b[k:]
	out := make([]T, n)
	for i := range out {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, ErrMalformed
		}
		var ok bool
		if out[i], ok = conv(b[k : k+int(l)]); !ok {
			return nil, ErrMalformed
		}
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, ErrMalformed
	}
	return out, nil
}

// Item is one request's outcome in an answer.
type Item struct {
	Status Status
	Reply  []byte // the reply, or the error message
}

// AppendItem appends one item to a list under construction: callers
// append the count first with binary.AppendUvarint.
func AppendItem(dst []byte, st Status, reply []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(reply)+1))
	dst = append(dst, byte(st))
	return append(dst, reply...)
}

// AppendAnswerHeader starts a run's answer: the node's clock once the
// run is done (hlc.Clock.Last), then the items, appended with
// binary.AppendUvarint (their count) and AppendItem.
func AppendAnswerHeader(dst []byte, clock uint64) []byte {
	return binary.BigEndian.AppendUint64(dst, clock)
}

// DecodeAnswer decodes a run's answer; replies alias b.
func DecodeAnswer(b []byte) (clock uint64, items []Item, err error) {
	if len(b) < 8 {
		return 0, nil, ErrMalformed
	}
	items, err = DecodeItems(b[8:])
	return binary.BigEndian.Uint64(b), items, err
}

// DecodeItems decodes a list of items; replies alias b.
func DecodeItems(b []byte) ([]Item, error) {
	return decodeList(b, func(s []byte) (Item, bool) {
		if len(s) == 0 {
			return Item{}, false
		}
		return Item{Status: Status(s[0]), Reply: s[1:]}, true
	})
}

// Run is what a router sends a storage node in one call: the data
// commands of one turn of its event loop whose partitions the node
// coordinates. The in-process server hands the same structure to its node
// without encoding it.
type Run struct {
	// Ring is the version of the ring the caller routed by (0: none); a
	// node names it when it refuses a partition it does not serve.
	Ring uint64
	// Deadline, in unix milliseconds by the caller's clock, is when the
	// caller stops waiting; a node does not start a command after it (0:
	// none). So a request delayed in the network cannot take effect after
	// its caller has reported it failed (docs/decisions.md).
	Deadline int64
	// Floor is the latest hybrid-clock time (hlc.Stamp.Time) the caller
	// has seen in answers: the node moves its clock past it before
	// anything runs, so what a command writes stamps after every write
	// its caller saw acknowledged, whichever node stamped those (a RESET
	// stamped on every node, a write coordinated elsewhere before a
	// failover). 0: none.
	Floor uint64
	Cmds  []Cmd

	reqs []proto.Request  // storage for decoded requests
	ptrs []*proto.Request // and for the Cmds' Reqs
	ends []int            // where each command's requests end in reqs
}

// Cmd is one command, or the commands of a transaction (they run as one
// unit: nothing else runs on their partitions in between), with the
// session state they run under.
type Cmd struct {
	DB     int
	Read   proto.Consistency
	Write  proto.Consistency
	Digest Digest
	// ID, if not zero, names a write on the serial path so that it takes
	// effect once however often it is sent (the router resends one whose
	// fate it does not know): the node's proposer records it in the key's
	// applied record (docs/serial.md). Resent marks a sending after the
	// first: its proposer answers from the record, and runs it only if
	// the record shows no earlier sending ran it: it lists every command
	// proposed from RanFrom (unix milliseconds, by any node's clock: the
	// first sending's time less the clocks' largest offsets), which so
	// ran if any did (serial.Applied.CoversFrom). RanFrom 0: unknown (a
	// client's RETRY), and the command never runs.
	ID      [16]byte
	Resent  bool
	RanFrom int64
	// Peer, for a SERIAL read sent WithDigest, is the RPC address of the
	// one other replica the caller asked at the same time for its
	// register (DigestOnly): the node answers from its own copy only if
	// the two make a majority of the key's acceptors (docs/serial.md,
	// "Reads in one round trip").
	Peer string
	Reqs []*proto.Request
}

// Digest says whether a command answers with the digest of its keys'
// states: a router's quorum read compares the digests of several replicas
// instead of having one coordinator join their states. ONLY APPEND.
type Digest uint8

const (
	DigestNone Digest = iota // run; one answer per request
	DigestOnly               // do not run: one answer, the digest (8 bytes, big-endian)
	WithDigest               // run, then answer the digest too, as one more answer
	numDigests
)

// Answers returns how many answers c gets.
func (c *Cmd) Answers() int {
	switch c.Digest {
	case DigestOnly:
		return 1
	case WithDigest:
		return len(c.Reqs) + 1
	}
	return len(c.Reqs)
}

// Requests returns the number of requests in r.
func (r *Run) Requests() int {
	n := 0
	for i := range r.Cmds {
		n += len(r.Cmds[i].Reqs)
	}
	return n
}

// Answers returns the number of answers r gets.
func (r *Run) Answers() int {
	n := 0
	for i := range r.Cmds {
		n += r.Cmds[i].Answers()
	}
	return n
}

// AppendRun encodes r.
func AppendRun(dst []byte, r *Run) []byte {
	dst = binary.BigEndian.AppendUint64(dst, r.Ring)
	dst = binary.BigEndian.AppendUint64(dst, uint64(r.Deadline))
	dst = binary.BigEndian.AppendUint64(dst, r.Floor)
	dst = binary.AppendUvarint(dst, uint64(len(r.Cmds)))
	for i := range r.Cmds {
		dst = AppendCmd(dst, &r.Cmds[i])
	}
	return dst
}

// AppendCmd encodes one command of a run:
//
//	digest:u8 db:u8 read:u8 write:u8 flags:u8 [id:16 if flags&1]
//	[peer-length:u8 peer if flags&4] [ran-from:u64 if flags&8]
//	count:uvarint request*
//	flags = 1: an ID follows; 2: Resent; 4: a Peer follows; 8: RanFrom
func AppendCmd(dst []byte, c *Cmd) []byte {
	flags := byte(0)
	if c.ID != ([16]byte{}) {
		flags |= 1
	}
	if c.Resent {
		flags |= 2
	}
	if c.Peer != "" && len(c.Peer) <= 255 { // a longer one is left out: no fast read
		flags |= 4
	}
	if c.RanFrom > 0 {
		flags |= 8
	}
	dst = append(dst, byte(c.Digest), byte(c.DB), byte(c.Read), byte(c.Write), flags)
	if flags&1 != 0 {
		dst = append(dst, c.ID[:]...)
	}
	if flags&4 != 0 {
		dst = append(append(dst, byte(len(c.Peer))), c.Peer...)
	}
	if flags&8 != 0 {
		dst = binary.BigEndian.AppendUint64(dst, uint64(c.RanFrom))
	}
	dst = binary.AppendUvarint(dst, uint64(len(c.Reqs)))
	for _, req := range c.Reqs {
		dst = proto.AppendBinary(dst, req)
	}
	return dst
}

// maxRunRequests bounds the requests of one run, checked before anything
// is allocated for them.
const maxRunRequests = 1 << 20

// DecodeRun decodes AppendRun's payload into r, reusing its storage. The
// requests alias b. Only data commands are accepted, each in a database
// below 17 (16 for clients, one for the cluster's own data).
func DecodeRun(b []byte, r *Run) error {
	if len(b) < 24 {
		return ErrMalformed
	}
	r.Ring = binary.BigEndian.Uint64(b)
	r.Deadline = int64(binary.BigEndian.Uint64(b[8:]))
	r.Floor = binary.BigEndian.Uint64(b[16:])
	b = b[24:]
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return ErrMalformed
	}
	b = b[k:]
	r.Cmds = r.Cmds[:0]
	r.reqs = r.reqs[:0]
	ends := r.ends[:0]
	for i := uint64(0); i < n; i++ {
		if len(b) < 5 || Digest(b[0]) >= numDigests || b[1] > 16 || proto.Consistency(b[2]) > proto.ConsSerial ||
			proto.Consistency(b[3]) > proto.ConsSerial || b[4] > 15 {
			return ErrMalformed
		}
		c := Cmd{Digest: Digest(b[0]), DB: int(b[1]), Read: proto.Consistency(b[2]), Write: proto.Consistency(b[3]), Resent: b[4]&2 != 0}
		flags := b[4]
		b = b[5:]
		if flags&1 != 0 {
			if len(b) < len(c.ID) {
				return ErrMalformed
			}
			b = b[copy(c.ID[:], b):]
		}
		if flags&4 != 0 {
			if len(b) < 1 || len(b) < 1+int(b[0]) || b[0] == 0 {
				return ErrMalformed
			}
			c.Peer, b = string(b[1:1+int(b[0])]), b[1+int(b[0]):]
		}
		if flags&8 != 0 {
			if len(b) < 8 || int64(binary.BigEndian.Uint64(b)) <= 0 {
				return ErrMalformed
			}
			c.RanFrom, b = int64(binary.BigEndian.Uint64(b)), b[8:]
		}
		m, k := binary.Uvarint(b)
		if k <= 0 || m == 0 || m > uint64(len(b)) || uint64(len(r.reqs))+m > maxRunRequests {
			return ErrMalformed
		}
		b = b[k:]
		for j := uint64(0); j < m; j++ {
			if len(r.reqs) < cap(r.reqs) {
				r.reqs = r.reqs[:len(r.reqs)+1] // reused: DecodeBinary resets it, keeping its Elems
			} else {
				r.reqs = append(r.reqs, proto.Request{})
			}
			req := &r.reqs[len(r.reqs)-1]
			var err error
			if b, err = proto.DecodeBinary(b, req); err != nil || !req.Cmd.IsData() {
				return ErrMalformed
			}
		}
		ends = append(ends, len(r.reqs))
		r.Cmds = append(r.Cmds, c)
	}
	if len(b) != 0 {
		return ErrMalformed
	}
	// Pointers are taken once r.reqs has stopped growing.
	r.ptrs = r.ptrs[:0]
	for j := range r.reqs {
		r.ptrs = append(r.ptrs, &r.reqs[j])
	}
	from := 0
	for i, to := range ends {
		r.Cmds[i].Reqs = r.ptrs[from:to:to]
		from = to
	}
	r.ends = ends
	return nil
}
