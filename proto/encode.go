package proto

import "strconv"

// AppendRequest appends a canonical request text for req, which
// ParseRequest reads back into an equal Request. Nodes receive requests
// from routers in this form. A top-level PING keeps its raw payload; PIPE
// is not encodable (a router splits pipes into their entries).
func AppendRequest(dst []byte, req *Request) []byte {
	switch req.Once {
	case OnceFirst:
		dst = append(AppendBody(append(dst, "ONCE "...), req.OnceID), ' ')
	case OnceRetry:
		dst = append(AppendBody(append(dst, "RETRY "...), req.OnceID), ' ')
	}
	if req.Fenced {
		dst = AppendBody(append(dst, "FENCED "...), req.Fence.Lock)
		dst = append(strconv.AppendInt(append(dst, ' '), req.Fence.Token, 10), ' ')
	}
	dst = append(dst, req.Cmd.String()...)
	var nStr, nInt, nCons, nEnds int
	for _, a := range commands[req.Cmd].args {
		switch a {
		case argRaw:
			return append(dst, req.Raw...)
		case argStr:
			dst = AppendBody(append(dst, ' '), req.Str[nStr])
			nStr++
		case argInt:
			dst = strconv.AppendInt(append(dst, ' '), req.Int[nInt], 10)
			nInt++
		case argFloat:
			dst = appendFloatArg(append(dst, ' '), req.Float)
		case argArr, argList:
			dst = appendSeqArg(append(dst, ' '), req.Elems, '[', ']', 1)
		case argSet:
			dst = appendSeqArg(append(dst, ' '), req.Elems, '{', '}', 1)
		case argHash:
			dst = appendSeqArg(append(dst, ' '), req.Elems, '{', '}', 2)
		case argLevel:
			dst = append(append(dst, ' '), req.Level.String()...)
		case argCons:
			dst = append(append(dst, ' '), req.Cons[nCons].String()...)
			nCons++
		case argEnd:
			dst = append(append(dst, ' '), req.Ends[nEnds].String()...)
			nEnds++
		case argWhen:
			dst = append(append(dst, ' '), req.When.String()...)
		case argKeyIf:
			dst = append(append(dst, ' '), req.If.String()...)
		case argUnit:
			dst = append(append(dst, ' '), req.Unit.String()...)
		case argBitOp:
			dst = append(append(dst, ' '), req.Op.String()...)
		case argTTLMode:
			dst = append(append(dst, ' '), req.TTL.String()...)
		case argType:
			dst = append(append(dst, ':'), req.Type.String()...)
			dst = AppendBody(append(dst, ' '), req.Str[0])
			dst = appendValueArg(append(dst, ' '), req, false)
		case argMillis:
			dst = strconv.AppendInt(append(dst, ' '), req.Int[1], 10)
		case argAlso:
			dst = appendValueArg(append(dst, ' '), req, true)
		}
	}
	return dst
}

// appendValueArg writes the value of req.Type at req.typed(second).
func appendValueArg(dst []byte, req *Request, second bool) []byte {
	s, n, f := req.typed(second)
	switch req.Type {
	case TypeStr:
		return AppendBody(dst, *s)
	case TypeInt:
		return strconv.AppendInt(dst, *n, 10)
	case TypeFloat:
		return appendFloatArg(dst, *f)
	}
	return dst
}

// appendFloatArg writes a float so that it parses back to the same value:
// the shortest round-tripping decimal, or inf, -inf, nan.
func appendFloatArg(dst []byte, f float64) []byte {
	switch {
	case f != f:
		return append(dst, "nan"...)
	case f > 1.7976931348623157e308:
		return append(dst, "inf"...)
	case f < -1.7976931348623157e308:
		return append(dst, "-inf"...)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

func appendSeqArg(dst []byte, elems [][]byte, open, close byte, per int) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendInt(dst, int64(len(elems)/per), 10)
	dst = append(dst, ')', open)
	for _, e := range elems {
		dst = AppendBody(dst, e)
	}
	return append(dst, close)
}
