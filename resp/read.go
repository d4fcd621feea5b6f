package resp

import (
	"bytes"
	"errors"
	"fmt"

	"github.com/vanitydb/vanity/proto"
)

// ErrProtocol is wrapped by every error of a malformed command; the
// listener answers it as Redis does ("-ERR Protocol error: ..." with the
// text after it) and closes the connection.
var ErrProtocol = errors.New("protocol error")

// ErrTooLarge is wrapped when a command declares more than the limits
// allow; it is refused before its bytes are buffered.
var ErrTooLarge = errors.New("protocol error: too large")

// Limits bound what one command may declare.
type Limits struct {
	MaxArgs   int // elements of the command array (default 1<<20)
	MaxBulk   int // bytes of one argument (default 512 MiB)
	MaxInline int // bytes of an inline command line (default 64 KiB)
}

func (l Limits) withDefaults() Limits {
	if l.MaxArgs <= 0 {
		l.MaxArgs = 1 << 20
	}
	if l.MaxBulk <= 0 {
		l.MaxBulk = 512 << 20
	}
	if l.MaxInline <= 0 {
		l.MaxInline = 64 << 10
	}
	return l
}

// ReadCommand reads one command from the front of b: a RESP array of bulk
// strings ("*2\r\n$3\r\nGET\r\n$3\r\nfoo\r\n"), or an inline command (words
// separated by spaces, ending in "\n" or "\r\n", as redis-cli and telnet
// send). It returns the arguments (aliasing b), and how many bytes they
// took; n is 0 when b does not yet hold the whole command (read more and
// call again). An error is final: answer it and close the connection.
// An empty inline line is skipped (n > 0, no args).
func ReadCommand(b []byte, lim Limits, args [][]byte) ([][]byte, int, error) {
	lim = lim.withDefaults()
	args = args[:0]
	if len(b) == 0 {
		return args, 0, nil
	}
	if b[0] != '*' {
		return readInline(b, lim, args)
	}
	count, i, err := readNumber(b, 1, '*')
	if err != nil || i == 0 {
		return args, 0, err
	}
	if count <= 0 {
		return args, i, nil // *0 and *-1: nothing to run
	}
	if count > int64(lim.MaxArgs) {
		return args, 0, fmt.Errorf("%w: %d arguments, over the limit of %d", ErrTooLarge, count, lim.MaxArgs)
	}
	for k := int64(0); k < count; k++ {
		if i == len(b) {
			return args[:0], 0, nil
		}
		if b[i] != '$' {
			return args[:0], 0, fmt.Errorf("%w: expected '$', got '%c'", ErrProtocol, b[i])
		}
		size, j, err := readNumber(b, i+1, '$')
		if err != nil || j == 0 {
			return args[:0], 0, err
		}
		if size < 0 {
			return args[:0], 0, fmt.Errorf("%w: invalid bulk length", ErrProtocol)
		}
		if size > int64(lim.MaxBulk) {
			return args[:0], 0, fmt.Errorf("%w: an argument of %d bytes, over the limit of %d", ErrTooLarge, size, lim.MaxBulk)
		}
		end := j + int(size)
		if end+2 > len(b) {
			return args[:0], 0, nil
		}
		if b[end] != '\r' || b[end+1] != '\n' {
			return args[:0], 0, fmt.Errorf("%w: a bulk string does not end with CRLF", ErrProtocol)
		}
		args = append(args, b[j:end:end])
		i = end + 2
	}
	return args, i, nil
}

// readNumber reads the decimal after a type byte at b[i:] up to CRLF; it
// returns the position after the CRLF, or 0 when the line is incomplete.
func readNumber(b []byte, i int, kind byte) (int64, int, error) {
	end := bytes.IndexByte(b[i:], '\n')
	if end < 0 {
		if len(b)-i > 32 {
			return 0, 0, fmt.Errorf("%w: invalid %s length", ErrProtocol, lengthName(kind))
		}
		return 0, 0, nil
	}
	line := b[i : i+end]
	if len(line) == 0 || line[len(line)-1] != '\r' {
		return 0, 0, fmt.Errorf("%w: invalid %s length", ErrProtocol, lengthName(kind))
	}
	line = line[:len(line)-1]
	neg := len(line) > 0 && line[0] == '-'
	digits := line
	if neg {
		digits = line[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, 0, fmt.Errorf("%w: invalid %s length", ErrProtocol, lengthName(kind))
	}
	var n int64
	for _, c := range digits {
		if c < '0' || c > '9' {
			return 0, 0, fmt.Errorf("%w: invalid %s length", ErrProtocol, lengthName(kind))
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, i + end + 1, nil
}

func lengthName(kind byte) string {
	if kind == '*' {
		return "multibulk"
	}
	return "bulk"
}

// readInline reads a line of space-separated words, quoted as
// proto.SplitWords reads them.
func readInline(b []byte, lim Limits, args [][]byte) ([][]byte, int, error) {
	end := bytes.IndexByte(b, '\n')
	if end < 0 {
		if len(b) > lim.MaxInline {
			return args, 0, fmt.Errorf("%w: an inline command of more than %d bytes", ErrTooLarge, lim.MaxInline)
		}
		return args, 0, nil
	}
	if end > lim.MaxInline {
		return args, 0, fmt.Errorf("%w: an inline command of more than %d bytes", ErrTooLarge, lim.MaxInline)
	}
	line := bytes.TrimSuffix(b[:end], []byte("\r"))
	// Inline quoting is redis-cli's, which is the CLI's: one splitter.
	words, err := proto.SplitWords(string(line))
	if err != nil {
		return args, 0, fmt.Errorf("%w: unbalanced quotes in request", ErrProtocol)
	}
	for _, w := range words {
		args = append(args, w.Text)
	}
	return args, end + 1, nil
}
