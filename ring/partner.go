package ring

import "strings"

// ByPartner orders the names of a partition's other replicas as seen from
// the member named from: the names after from come first, in order, then
// those before it, so that each member's next one (cyclically, by name)
// leads. A proposer on the serial path asks a bare majority of a key's
// acceptors in this order, and a router asks the same replica for the
// digest of a read that member coordinates, so the two meet on one peer
// and its copy is current (docs/serial.md, "Fewer acceptors").
func ByPartner(from string) func(a, b string) int {
	return func(a, b string) int {
		if ab, bb := a <= from, b <= from; ab != bb {
			if ab {
				return 1
			}
			return -1
		}
		return strings.Compare(a, b)
	}
}
