package storage

import (
	"cmp"
	"fmt"
	"math"
	"math/bits"
	"slices"
	"strings"

	"github.com/cespare/xxhash/v2"
	"github.com/vanitydb/vanity/proto"
)

// SET_SCAN and HASH_SCAN (PROTOCOL.md §12.18): a set's members or a hash's
// fields a page at a time. Members are visited in the order of a hash of
// their bytes, and a cursor is the hash a page starts from: the pages of
// one scan cover disjoint ranges of hashes that together cover them all, so
// a member present for the whole scan is returned exactly once, on any
// copy (the hash does not depend on where the collection is stored).

// memberScanPages is how many pages a whole scan takes at most, whatever
// the count: finding a page costs time in the collection's size (every
// member's hash), so a page holds at least this fraction of it.
const memberScanPages = 16

// memberHash places a member in the order of a scan: 63 bits, so that a
// cursor is a non-negative INT.
func memberHash(name string) int64 { return int64(xxhash.Sum64String(name) >> 1) }

// hashedMember is a member and its place in a scan.
type hashedMember struct {
	h    int64
	name string
}

// memberPage returns the live members of x whose hashes lie in [cursor,
// next), in hash order: at least count of them (when that many are
// left), at least a memberScanPages-th of x, and every member sharing the
// last one's hash. next is 0 when no member is left past the page.
func memberPage(x *memberMap, cursor int64, count int) (page []hashedMember, next int64) {
	if x == nil {
		return nil, 0
	}
	// The hashes from the cursor on, in a slice without pointers (which
	// the collector skips); the members are hashed again below, which
	// costs less than keeping every hash.
	n := x.names.len()
	left := make([]int64, 0, n)
	for i := range n {
		if h := memberHash(x.names.at(i)); h >= cursor {
			left = append(left, h)
		}
	}
	// The page ends at the take-th smallest hash left, ties included; the
	// next starts at the smallest hash past it.
	last := int64(math.MaxInt64)
	if take := max(count, (n+memberScanPages-1)/memberScanPages); take < len(left) {
		last, next = kthSmallest(left, take-1), math.MaxInt64
	}
	for i := range n {
		switch h := memberHash(x.names.at(i)); {
		case h < cursor:
		case h <= last:
			page = append(page, hashedMember{h, x.names.at(i)})
		default:
			next = min(next, h)
		}
	}
	slices.SortFunc(page, func(a, b hashedMember) int {
		return cmp.Or(cmp.Compare(a.h, b.h), strings.Compare(a.name, b.name))
	})
	return page, next
}

// kthSmallest returns the k-th smallest of hs (0: the smallest), which it
// reorders: a quickselect in linear time, that sorts what is left if its
// pivots keep splitting badly (members chosen so that their hashes defeat
// the pivots must not make a page cost quadratic time).
func kthSmallest(hs []int64, k int) int64 {
	lo, hi := 0, len(hs)-1
	for depth := 2 * bits.Len(uint(len(hs))); lo < hi; depth-- {
		if depth == 0 {
			slices.Sort(hs[lo : hi+1])
			break
		}
		a, b, c := hs[lo], hs[lo+(hi-lo)/2], hs[hi]
		p := max(min(a, b), min(max(a, b), c)) // the median of the three
		i, j := lo, hi
		for i <= j {
			for hs[i] < p {
				i++
			}
			for hs[j] > p {
				j--
			}
			if i <= j {
				hs[i], hs[j] = hs[j], hs[i]
				i++
				j--
			}
		}
		switch {
		case k <= j:
			hi = j
		case k >= i:
			lo = i
		default:
			return hs[k] // between the two parts: equal to the pivot
		}
	}
	return hs[k]
}

// scanMembers runs SET_SCAN and HASH_SCAN on x (nil: a missing key), of
// kind t: the next cursor and the page's members matching the pattern (a
// hash's with their values).
func scanMembers(req *proto.Request, t proto.Type, x *memberMap, dst []byte) []byte {
	cursor, pattern, count := req.Int[0], req.Str[1], req.Int[1]
	if count < 1 || count > proto.MaxScanCount {
		return proto.AppendErrorMsg(dst, fmt.Sprintf("%s count must be between 1 and %d", req.Cmd, proto.MaxScanCount))
	}
	if cursor < 0 {
		return proto.AppendErrorMsg(dst, fmt.Sprintf("invalid %s cursor %d: use 0 to start, then the cursor the last %s returned",
			req.Cmd, cursor, req.Cmd))
	}
	page, next := memberPage(x, cursor, int(count))
	if len(pattern) > 0 {
		page = slices.DeleteFunc(page, func(m hashedMember) bool { return !proto.MatchPattern(pattern, []byte(m.name)) })
	}
	dst = proto.AppendContainerHeader(append(dst, proto.ReplyOK...), proto.TypeArr, 2)
	dst = proto.AppendContainerHeader(proto.AppendInt(dst, next), t, len(page))
	for _, m := range page {
		dst = proto.AppendBody(dst, m.name)
		if t == proto.TypeHash {
			dst = proto.AppendBody(dst, x.valueOf(m.name))
		}
	}
	return proto.AppendContainerEnd(proto.AppendContainerEnd(dst, t), proto.TypeArr)
}
