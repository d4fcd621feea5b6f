package rpc

import (
	"encoding/binary"
	"errors"

	"github.com/vanitydb/vanity/proto"
)

// Message payloads. Integers are uvarints unless noted.
//
//	exec   = ring:u64 db:u8 read:u8 write:u8 request      (canonical text, proto.AppendRequest)
//	batch  = ring:u64 db:u8 read:u8 write:u8 n (len request)*
//	batch response = n (len reply)*
//	exec-many  = as batch; response = n (len (status:u8 reply))*
//	reset  = db:u8

// ErrMalformed is returned for payloads that do not decode.
var ErrMalformed = errors.New("rpc: malformed payload")

// Exec is a data command for a node.
type Exec struct {
	Ring  uint64
	DB    int
	Read  proto.Consistency
	Write proto.Consistency
	Req   []byte // canonical request text
}

// AppendExec encodes a data command.
func AppendExec(dst []byte, ring uint64, db int, read, write proto.Consistency, req *proto.Request) []byte {
	dst = binary.BigEndian.AppendUint64(dst, ring)
	dst = append(dst, byte(db), byte(read), byte(write))
	return proto.AppendRequest(dst, req)
}

// DecodeExec decodes AppendExec's payload; Req aliases it.
func DecodeExec(b []byte) (Exec, error) {
	if len(b) < 11 {
		return Exec{}, ErrMalformed
	}
	return Exec{Ring: binary.BigEndian.Uint64(b), DB: int(b[8]), Read: proto.Consistency(b[9]),
		Write: proto.Consistency(b[10]), Req: b[11:]}, nil
}

// Batch is a transaction for one node.
type Batch struct {
	Ring  uint64
	DB    int
	Read  proto.Consistency
	Write proto.Consistency
	Reqs  [][]byte
}

// AppendBatch encodes a transaction batch.
func AppendBatch(dst []byte, ring uint64, db int, read, write proto.Consistency, reqs []*proto.Request) []byte {
	dst = binary.BigEndian.AppendUint64(dst, ring)
	dst = append(dst, byte(db), byte(read), byte(write))
	dst = binary.AppendUvarint(dst, uint64(len(reqs)))
	var one []byte
	for _, r := range reqs {
		one = proto.AppendRequest(one[:0], r)
		dst = binary.AppendUvarint(dst, uint64(len(one)))
		dst = append(dst, one...)
	}
	return dst
}

// DecodeBatch decodes AppendBatch's payload; the requests alias it.
func DecodeBatch(b []byte) (Batch, error) {
	if len(b) < 11 {
		return Batch{}, ErrMalformed
	}
	out := Batch{Ring: binary.BigEndian.Uint64(b), DB: int(b[8]), Read: proto.Consistency(b[9]), Write: proto.Consistency(b[10])}
	strs, err := DecodeStrings(b[11:])
	out.Reqs = strs
	return out, err
}

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
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, ErrMalformed
	}
	b = b[k:]
	out := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || l > uint64(len(b)-k) {
			return nil, ErrMalformed
		}
		out = append(out, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(b) != 0 {
		return nil, ErrMalformed
	}
	return out, nil
}

// Item is one command's outcome in an exec-many response.
type Item struct {
	Status Status
	Reply  []byte // the reply, or the error message
}

// AppendItem appends one item to an exec-many response under
// construction: callers append the count first with binary.AppendUvarint.
func AppendItem(dst []byte, st Status, reply []byte) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(reply)+1))
	dst = append(dst, byte(st))
	return append(dst, reply...)
}

// DecodeItems decodes an exec-many response; replies alias b.
func DecodeItems(b []byte) ([]Item, error) {
	strs, err := DecodeStrings(b)
	if err != nil {
		return nil, err
	}
	items := make([]Item, len(strs))
	for i, s := range strs {
		if len(s) == 0 {
			return nil, ErrMalformed
		}
		items[i] = Item{Status: Status(s[0]), Reply: s[1:]}
	}
	return items, nil
}
