package gossip

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
)

// PartsTag is the tag in which a node advertises the partitions it
// serves: base64 of a bitmap, one bit per partition (EncodeParts). Serf
// limits all tags of a member to 512 bytes, which bounds a cluster to
// 2048 partitions.
const PartsTag = "parts"

// PartitionsTag carries a node's partition count, so that a router or
// node configured with another one sees the mismatch and says so instead
// of misreading the node's PartsTag.
const PartitionsTag = "partitions"

// Partitions returns the partition count member m gossips (PartitionsTag),
// or 0 if it gossips none (a router, or a node of an older version).
func (m Member) Partitions() int {
	n, err := strconv.Atoi(m.Tags[PartitionsTag])
	if err != nil || n < 0 {
		return 0
	}
	return n
}

// CheckPartitions returns the first mismatch (PartitionsMismatch) among
// members, or nil.
func CheckPartitions(members []Member, self string, count int) error {
	for _, m := range members {
		if err := m.PartitionsMismatch(self, count); err != nil {
			return err
		}
	}
	return nil
}

// PartitionsMismatch returns an error if m is a node other than self, not
// gone, whose partition count is known and not count; the error names the
// flag that fits.
func (m Member) PartitionsMismatch(self string, count int) error {
	if c := m.Partitions(); m.Role == RoleNode && m.Name != self && m.State != Left && c != 0 && c != count {
		return fmt.Errorf("%w: node %s was created with %d partitions and this process has %d: "+
			"start this process with --partitions %d (the count is fixed when a cluster is created)", ErrPartitions, m.Name, c, count, c)
	}
	return nil
}

// ErrPartitions is a partition count that differs from the cluster's.
var ErrPartitions = errors.New("partition count mismatch")

// EncodeParts renders a set of partitions (true: in the set) as a bitmap
// in base64, the PartsTag value and the form nodes report over RPC.
func EncodeParts(set []bool) string {
	b := make([]byte, (len(set)+7)/8)
	for i, in := range set {
		if in {
			b[i/8] |= 1 << (i % 8)
		}
	}
	return base64.RawStdEncoding.EncodeToString(b)
}

// DecodeParts reads EncodeParts's form for n partitions (nil if it is not
// one).
func DecodeParts(s string, n int) []bool {
	b, err := base64.RawStdEncoding.DecodeString(s)
	if err != nil || len(b) != (n+7)/8 {
		return nil
	}
	out := make([]bool, n)
	for i := range out {
		out[i] = b[i/8]&(1<<(i%8)) != 0
	}
	return out
}
