// Package proto implements the Vanity client wire protocol: framing, the
// request grammar, typed reply values and status codes. PROTOCOL.md is the
// contract; this package is its executable form. It imports nothing but the
// standard library.
//
// # Frames
//
// Every message in either direction is one frame:
//
//	+----------------------------+---------------------------+
//	| length: uint32, big-endian | payload: `length` bytes   |
//	+----------------------------+---------------------------+
//
// A request frame holds exactly one request; batching goes through PIPE.
// Declared request lengths above MaxRequest are refused before any byte of
// the payload is buffered (ReadFrame returns ErrFrameTooLarge and the caller
// closes the connection).
//
// # Requests
//
//	request   = *WS command-word arguments *WS
//	str       = "(" 1*DIGIT ")" <n raw bytes>
//	int       = ["+"/"-"] 1*DIGIT
//	float     = ["+"/"-"] (decimal / "inf" / "infinity" / "nan")
//	arr, list = "(" n ")" "[" *(*WS str) *WS "]"
//	set       = "(" n ")" "{" *(*WS str) *WS "}"
//	hash      = "(" n ")" "{" *(*WS str *WS str) *WS "}"
//
// Command words match by longest known prefix (MatchCommand). Arguments are
// decoded by Parser into a reused Request whose byte slices point into the
// frame buffer: they are valid until the buffer is reused, and whoever keeps
// them must copy them.
//
// # Replies
//
//	reply = status [ body / value ]
//	body  = "(" n ")" <n bytes>            ; ERROR(7)bad key
//	value = ":" type " " payload           ; OK:STR (3)bar, OK:INT 5
//	      / ":PIPE(" n ")" n*reply         ; no space after PIPE and AGG
//
// Encoders are append functions (AppendStr, AppendInt, ...) writing into a
// caller-owned buffer, so the hot path allocates nothing. ParseReply decodes
// a reply payload into a Reply tree for clients and tests.
//
// # Command lines and help
//
// words.go reads a command line typed by a person ("set foo bar") into the
// Request a frame decodes to, from the same command table (SplitWords,
// ParseWords); help.go documents each command for people (Params, Summary,
// Group, Alias), which the CLIs' help and completion print.
//
// # Set algebra
//
// algebra.go holds the one implementation of SET_UNION, SET_INTERSECT,
// SET_DIFF and their _LEN and _INTO forms over any Members (Operands,
// Combine, AppendCombined): storage runs it on a node's sets, a router on
// sets read from several nodes.
//
// # SET's forms
//
// setform.go says what each command of SET's family does as a SetForm (a
// condition on the key, a deadline, whether the reply is the value
// replaced) and which command runs a form: storage runs every form through
// one function, and the RESP edge turns SET's options into a form.
//
// # Golden files
//
// testdata/golden.txt holds request and reply bytes, exercised by the Go
// tests here, the end-to-end tests and the Python client's tests, so that the
// implementations cannot drift apart.
//
// # Thread safety
//
// A Parser is owned by one goroutine. The encoders and MatchCommand are safe
// for concurrent use.
package proto
