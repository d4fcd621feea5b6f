package proto

import "slices"

// Set algebra (SET_UNION, SET_INTERSECT, SET_DIFF and their _LEN and _INTO
// forms) has one implementation, here beside the commands' shapes: storage
// runs it on the sets of one node, and a router on sets it read from
// several (router/cluster/scatter.go); both take the operands, combine and
// encode the reply with these functions.

// Members is a set as set algebra reads it.
type Members interface {
	// Each calls fn with every member, in unspecified order.
	Each(fn func(member string))
	Has(member string) bool
}

// NameSet is a set of members held by name (what a router builds from
// SET_ALL replies).
type NameSet map[string]struct{}

// Each implements Members.
func (s NameSet) Each(fn func(string)) {
	for m := range s {
		fn(m)
	}
}

// Has implements Members.
func (s NameSet) Has(member string) bool {
	_, ok := s[member]
	return ok
}

// Operands returns the keys a set algebra command reads and, for the
// _INTO forms, the key it replaces; ok is false for other commands.
func Operands(req *Request) (dest []byte, sources [][]byte, ok bool) {
	switch req.Cmd {
	case CmdSetUnion, CmdSetUnionLen, CmdSetIntersect, CmdSetIntersectLen, CmdSetIntersectLenUpTo, CmdSetDiffMany:
		return nil, req.Elems, true
	case CmdSetUnionInto, CmdSetIntersectInto, CmdSetDiffManyInto:
		return req.Str[0], req.Elems, true
	case CmdSetDiff, CmdSetDiffLen:
		return nil, [][]byte{req.Str[0], req.Str[1]}, true
	case CmdSetDiffInto:
		return req.Str[0], [][]byte{req.Str[1], req.Str[2]}, true
	}
	return nil, nil, false
}

// Combine returns the members of the union, intersection or difference
// (the first set less every other) that cmd asks for, over the sources in
// Operands' order; a nil source is an absent key (no members). The order
// of the result is unspecified.
func Combine(cmd Command, sources []Members) []string {
	var out []string
	switch cmd {
	case CmdSetUnion, CmdSetUnionLen, CmdSetUnionInto:
		seen := map[string]struct{}{}
		for _, s := range sources {
			if s == nil {
				continue
			}
			s.Each(func(m string) {
				if _, dup := seen[m]; !dup {
					seen[m] = struct{}{}
					out = append(out, m)
				}
			})
		}
	case CmdSetIntersect, CmdSetIntersectLen, CmdSetIntersectLenUpTo, CmdSetIntersectInto:
		if len(sources) == 0 || slices.Contains(sources, nil) {
			return nil
		}
		sources[0].Each(func(m string) {
			for _, s := range sources[1:] {
				if !s.Has(m) {
					return
				}
			}
			out = append(out, m)
		})
	default: // difference
		if len(sources) == 0 || sources[0] == nil {
			return nil
		}
		sources[0].Each(func(m string) {
			for _, s := range sources[1:] {
				if s != nil && s.Has(m) {
					return
				}
			}
			out = append(out, m)
		})
	}
	return out
}

// AppendCombined appends the reply of set algebra request req whose
// result is members: its size for the _LEN and _INTO forms (at most
// SET_INTERSECT_LEN_UPTO's limit), else the set.
func AppendCombined(dst []byte, req *Request, members []string) []byte {
	dst = append(dst, ReplyOK...)
	switch req.Cmd {
	case CmdSetIntersectLenUpTo:
		if limit := req.Int[0]; limit > 0 && int64(len(members)) > limit {
			return AppendInt(dst, limit)
		}
		return AppendInt(dst, int64(len(members)))
	case CmdSetUnionLen, CmdSetIntersectLen, CmdSetDiffLen,
		CmdSetUnionInto, CmdSetIntersectInto, CmdSetDiffInto, CmdSetDiffManyInto:
		return AppendInt(dst, int64(len(members)))
	}
	return AppendStrings(dst, TypeSet, members)
}

// IsInto reports whether cmd is a set algebra command that replaces its
// destination with the result.
func IsInto(cmd Command) bool {
	return cmd == CmdSetUnionInto || cmd == CmdSetIntersectInto || cmd == CmdSetDiffInto || cmd == CmdSetDiffManyInto
}
