package gossip

import "encoding/base64"

// PartsTag is the tag in which a node advertises the partitions it
// serves: base64 of a bitmap, one bit per partition (EncodeParts). Serf
// limits all tags of a member to 512 bytes, which bounds a cluster to
// 2048 partitions.
const PartsTag = "parts"

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
