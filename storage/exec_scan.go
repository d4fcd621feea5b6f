package storage

import (
	"cmp"
	"fmt"
	"slices"

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
	for name := range x.m {
		if h := memberHash(name); h >= cursor {
			page = append(page, hashedMember{h, name})
		}
	}
	slices.SortFunc(page, func(a, b hashedMember) int {
		return cmp.Or(cmp.Compare(a.h, b.h), cmp.Compare(a.name, b.name))
	})
	take := max(count, (x.nlive()+memberScanPages-1)/memberScanPages)
	if take >= len(page) {
		return page, 0
	}
	for take < len(page) && page[take].h == page[take-1].h {
		take++
	}
	if take == len(page) {
		return page, 0
	}
	return page[:take], page[take].h
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
			dst = proto.AppendBody(dst, x.m[m.name].v)
		}
	}
	return proto.AppendContainerEnd(proto.AppendContainerEnd(dst, t), proto.TypeArr)
}
