package proto

import "strconv"

// ParseError is the reason a request could not be parsed. Each one has an
// exact BAD_REQUEST reply (PROTOCOL.md §4.3). ONLY APPEND TO THIS LIST: the
// values travel inside the internal RPC.
type ParseError uint8

const (
	ErrNone               ParseError = iota
	ErrInvalidOperation              // invalid operation
	ErrTrailing                      // unexpected character at end of message
	ErrUnexpectedEnd                 // unexpected end of message
	ErrExpectedLength                // expected length specifier
	ErrLengthRange                   // length out of range
	ErrInvalidLength                 // invalid length
	ErrStrLength                     // string length mismatch
	ErrInvalidInt                    // invalid integer
	ErrIntRange                      // integer out of range
	ErrInvalidFloat                  // invalid float
	ErrFloatRange                    // float out of range
	ErrExpectedType                  // expected object type
	ErrInvalidType                   // invalid object type
	ErrInvalidTypeColon              // invalid object type:
	ErrInvalidLevel                  // invalid auth level
	ErrArrOpen                       // array not opened with bracket
	ErrArrClose                      // array not closed with bracket
	ErrListOpen                      // list not opened with bracket
	ErrListClose                     // list not closed with bracket
	ErrSetOpen                       // set not opened with '{' bracket
	ErrSetClose                      // set not closed with '}' bracket
	ErrHashOpen                      // hash not opened with '{' bracket
	ErrHashClose                     // hash not closed with '}' bracket
	ErrInvalidConsistency            // invalid consistency level (extension, §12.1)
	ErrPipeDepth                     // PIPE nested too deeply (extension, §12.2)
	ErrFencedCommand                 // FENCED around anything but a write of one key (extension, §12.11)
	ErrOnceCommand                   // ONCE or RETRY around anything but a write of one key or a blocking pop (extension, §12.12)
	ErrInvalidEnd                    // invalid list end (extension, §12.14)
	ErrInvalidDeadlineIf             // invalid deadline condition (extension, §12.25)
	ErrInvalidSetOption              // invalid SET option (extension, §12.26)
	ErrInvalidBitUnit                // invalid bit range unit (extension, §12.31)
	ErrInvalidBitOp                  // invalid bit operation (extension, §12.31)

	numParseErrors
)

var parseErrorText = [numParseErrors]string{
	ErrInvalidOperation:   "invalid operation",
	ErrTrailing:           "unexpected character at end of message",
	ErrUnexpectedEnd:      "unexpected end of message",
	ErrExpectedLength:     "expected length specifier",
	ErrLengthRange:        "length out of range",
	ErrInvalidLength:      "invalid length",
	ErrStrLength:          "string length mismatch",
	ErrInvalidInt:         "invalid integer",
	ErrIntRange:           "integer out of range",
	ErrInvalidFloat:       "invalid float",
	ErrFloatRange:         "float out of range",
	ErrExpectedType:       "expected object type",
	ErrInvalidType:        "invalid object type",
	ErrInvalidTypeColon:   "invalid object type:",
	ErrInvalidLevel:       "invalid auth level",
	ErrArrOpen:            "array not opened with bracket",
	ErrArrClose:           "array not closed with bracket",
	ErrListOpen:           "list not opened with bracket",
	ErrListClose:          "list not closed with bracket",
	ErrSetOpen:            "set not opened with '{' bracket",
	ErrSetClose:           "set not closed with '}' bracket",
	ErrHashOpen:           "hash not opened with '{' bracket",
	ErrHashClose:          "hash not closed with '}' bracket",
	ErrInvalidConsistency: "invalid consistency level",
	ErrPipeDepth:          "PIPE nested too deeply",
	ErrFencedCommand:      "FENCED carries a write of one key",
	ErrOnceCommand:        "ONCE and RETRY carry a write of one key or a blocking pop",
	ErrInvalidEnd:         "invalid list end",
	ErrInvalidDeadlineIf:  "invalid deadline condition",
	ErrInvalidSetOption:   "invalid SET option",
	ErrInvalidBitUnit:     "invalid bit range unit",
	ErrInvalidBitOp:       "invalid bit operation",
}

// badRequestReplies holds the complete reply payload for each ParseError,
// e.g. "BAD_REQUEST(34) InvalidRequest: invalid operation".
var badRequestReplies = func() [numParseErrors][]byte {
	var r [numParseErrors][]byte
	for e := ErrInvalidOperation; e < numParseErrors; e++ {
		body := " InvalidRequest: " + parseErrorText[e]
		r[e] = []byte("BAD_REQUEST(" + strconv.Itoa(len(body)) + ")" + body)
	}
	return r
}()

// Error returns the reason text, as sent after " InvalidRequest: ".
func (e ParseError) Error() string {
	if e >= numParseErrors {
		return "unknown parse error"
	}
	return parseErrorText[e]
}

// AppendBadRequest appends the BAD_REQUEST reply for e.
func AppendBadRequest(dst []byte, e ParseError) []byte {
	if e == ErrNone || e >= numParseErrors {
		e = ErrInvalidOperation
	}
	return append(dst, badRequestReplies[e]...)
}
