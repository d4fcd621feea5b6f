package rpc

import "encoding/binary"

// Key listing (SCAN, KEYS and DB_SIZE):
//
//	keys query = db partition max after:str pattern:str   (KindKeys)
//	keys page  = more:u8 strings                          (its answer; AppendStrings)
//	count      = db                                       (KindCount)
//	counts     = n (count+1)*                             (its answer; 0: not served completely)
//	expiring   = db                                       (KindExpiring)
//	expiries   = n ((count+1) msLeft)*                    (its answer; count+1 0: not served completely)

// KeysQuery asks a node for a page of one partition's keys.
type KeysQuery struct {
	DB, Partition, Max int
	After, Pattern     []byte
}

// AppendKeysQuery encodes q.
func AppendKeysQuery(dst []byte, q KeysQuery) []byte {
	dst = binary.AppendUvarint(dst, uint64(q.DB))
	dst = binary.AppendUvarint(dst, uint64(q.Partition))
	dst = binary.AppendUvarint(dst, uint64(q.Max))
	return AppendStrings(dst, [][]byte{q.After, q.Pattern})
}

// DecodeKeysQuery decodes AppendKeysQuery; the strings alias b.
func DecodeKeysQuery(b []byte) (KeysQuery, error) {
	var q KeysQuery
	var v [3]uint64
	for i := range v {
		x, k := binary.Uvarint(b)
		if k <= 0 || x > 1<<31 {
			return q, ErrMalformed
		}
		v[i], b = x, b[k:]
	}
	ss, err := DecodeStrings(b)
	if err != nil || len(ss) != 2 {
		return q, ErrMalformed
	}
	return KeysQuery{DB: int(v[0]), Partition: int(v[1]), Max: int(v[2]), After: ss[0], Pattern: ss[1]}, nil
}

// AppendKeysPage encodes a page of keys and whether more follow.
func AppendKeysPage(dst []byte, keys [][]byte, more bool) []byte {
	flag := byte(0)
	if more {
		flag = 1
	}
	return AppendStrings(append(dst, flag), keys)
}

// DecodeKeysPage decodes AppendKeysPage; the keys alias b.
func DecodeKeysPage(b []byte) (keys [][]byte, more bool, err error) {
	if len(b) < 1 || b[0] > 1 {
		return nil, false, ErrMalformed
	}
	keys, err = DecodeStrings(b[1:])
	return keys, b[0] == 1, err
}

// AppendCounts encodes a count per partition, -1 for a partition the node
// does not serve completely.
func AppendCounts(dst []byte, counts []int) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(counts)))
	for _, c := range counts {
		dst = binary.AppendUvarint(dst, uint64(c+1))
	}
	return dst
}

// DecodeCounts decodes AppendCounts.
func DecodeCounts(b []byte) ([]int, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, ErrMalformed
	}
	b = b[k:]
	counts := make([]int, n)
	for i := range counts {
		x, k := binary.Uvarint(b)
		if k <= 0 || x > 1<<62 {
			return nil, ErrMalformed
		}
		counts[i], b = int(x)-1, b[k:]
	}
	if len(b) != 0 {
		return nil, ErrMalformed
	}
	return counts, nil
}

// AppendExpiring encodes, per partition, the keys with a deadline ahead
// (-1 for a partition the node does not serve completely) and the
// milliseconds left to those deadlines, summed.
func AppendExpiring(dst []byte, counts []int, msLeft []int64) []byte {
	dst = binary.AppendUvarint(dst, uint64(len(counts)))
	for i, c := range counts {
		dst = binary.AppendUvarint(dst, uint64(c+1))
		dst = binary.AppendUvarint(dst, uint64(msLeft[i]))
	}
	return dst
}

// DecodeExpiring decodes AppendExpiring.
func DecodeExpiring(b []byte) (counts []int, msLeft []int64, err error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > uint64(len(b)) {
		return nil, nil, ErrMalformed
	}
	b = b[k:]
	counts, msLeft = make([]int, n), make([]int64, n)
	for i := range counts {
		var v [2]uint64
		for j := range v {
			x, k := binary.Uvarint(b)
			if k <= 0 || x > 1<<62 {
				return nil, nil, ErrMalformed
			}
			v[j], b = x, b[k:]
		}
		counts[i], msLeft[i] = int(v[0])-1, int64(v[1])
	}
	if len(b) != 0 {
		return nil, nil, ErrMalformed
	}
	return counts, msLeft, nil
}
