package router

import (
	"bytes"
	"encoding/binary"
	"strconv"
	"testing"

	"github.com/vanitydb/vanity/proto"
)

// FuzzHandle feeds any request frame to an authenticated connection: the
// server must not crash (a nested PIPE once overflowed its stack), and
// every reply it gives is one well-formed frame holding one reply.
func FuzzHandle(f *testing.F) {
	for _, s := range []string{
		"GET (1)k", "SET:STR (1)k (1)v", "PIPE(2)GET(1)kSET:STR (1)k (1)v", "PIPE(1)PIPE(1)PIPE(1)PING",
		"PIPE(3)GET(1)kFOO(1)xGET(1)k", "TRANSACT_BEGIN", "PIPE(2)TRANSACT_BEGINGET(1)k", "MANY_GET (2)[(1)a(1)b]",
		"SET_UNION (2)[(1)a(1)b]", "AUTH (6)vanity (6)vanity", "PIPE(10900000)GET(3)foo", "SWITCH_DB 3",
		"CONSISTENCY ONE ALL", "PUBLISH (1)c (1)m", "HASH_SET (1)h (1){(1)f(1)v}", "LIST_PUSH_LEFT (1)l (2)[(1)a(1)b]",
		"LIST_MOVE (1)l (1)m RIGHT LEFT", "SUBSCRIBE_PATTERN (2)c*", "INCR_NUMBER (1)n 1.5", "SET_EXPIRY_AT (1)k 1",
		"SET_KEEP_TTL:STR (1)k (1)v", "SET_SCAN (1)s 0 (1)* 10", "HASH_SCAN (1)h 5 (0) 1", "SET_RANDOM (1)s -3",
		"HASH_RANDOM (1)h 2", "LIST_POS (1)l (1)a -1 0", "GET_EXPIRY_AT (1)k", "COPY (1)k (1)j", "COPY_IF_ABSENT (1)k (1)j",
		"TRANSACT_WATCH (2)[(1)k(1)j]", "PIPE(4)TRANSACT_WATCH (1)[(1)k]TRANSACT_BEGINGET (1)kTRANSACT_COMMIT",
		"PIPE(2)SET:STR (1)k (1)vTRANSACT_WATCH (1)[(1)k]", "TRANSACT_UNWATCH", "KEY_VERSION (1)k",
		"PIPE(3)TRANSACT_BEGINKEY_VERSION_IS (1)k -5GET (1)k",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		c := testConn(t)
		c.srv.cfg.OnTerminate = func() {}
		if c.answer(frame) != actReply {
			return
		}
		if len(c.out) < 4 || int(binary.BigEndian.Uint32(c.out)) != len(c.out)-4 {
			t.Fatalf("%q: reply frame %q", frame, c.out)
		}
		if _, err := proto.ParseReply(c.out[4:]); err != nil {
			t.Fatalf("%q: reply %q does not parse: %v", frame, c.out[4:], err)
		}
	})
}

// FuzzHandleRESP feeds any bytes to an authenticated RESP connection, as
// a Redis client would send them: the server must not crash, and what it
// writes is a sequence of well-formed RESP replies.
func FuzzHandleRESP(f *testing.F) {
	for _, s := range []string{
		"*2\r\n$3\r\nGET\r\n$1\r\nk\r\n", "SET k v EX 10\r\n", "DEL a b c\r\nTTL a\r\n", "MULTI\r\nINCR n\r\nEXEC\r\n",
		"HELLO 3\r\nHGETALL h\r\n", "SUBSCRIBE a b\r\nUNSUBSCRIBE\r\n", "SCAN 0 MATCH * COUNT 5\r\n", "COMMAND DOCS get\r\n",
		"*1\r\n$-5\r\n", "*3\r\n$4\r\nLPOP\r\n$1\r\nl\r\n$1\r\n3\r\n", "MSET a 1 b\r\n", "CLIENT SETNAME x\r\nCLIENT GETNAME\r\n",
		"\"unbalanced\r\n", "CONFIG GET *\r\n", "QUIT\r\n",
		"PSUBSCRIBE a* b?\r\nPUNSUBSCRIBE\r\n", "LMOVE a b left RIGHT\r\n", "SMISMEMBER s a b\r\nTIME\r\n",
		"EXPIREAT k 1\r\nSTRLEN k\r\n", "HINCRBYFLOAT h f 0.5\r\n",
		"SET k v EXAT 1\r\nSET k v KEEPTTL\r\n", "SSCAN s 0 MATCH a* COUNT 2\r\nHSCAN h 0\r\n", "SRANDMEMBER s -2\r\n",
		"HRANDFIELD h -2 WITHVALUES\r\nLPOS l a RANK -1 COUNT 0\r\n", "GETEX k PX 5\r\nPEXPIRETIME k\r\n",
		"COPY a b DB 0 REPLACE\r\nSINTERCARD 2 a b LIMIT 0\r\nSAVE\r\n",
		"WATCH a b\r\nMULTI\r\nGET a\r\nEXEC\r\n", "WATCH a\r\nUNWATCH\r\nMULTI\r\nWATCH a\r\nEXEC\r\n",
		"MULTI\r\nPING\r\nPING hi\r\nUNWATCH\r\nEXEC\r\n",
		"EXPIRE k 10 NX\r\nPEXPIREAT k 1 XX LT\r\n", "SET k v NX GET EXAT 1\r\nSET k v XX KEEPTTL GET\r\n",
		"LPUSHX l a\r\nRPUSHX l b c\r\n", "CLIENT LIST ID 1 2\r\nCLIENT INFO\r\n",
		"SET n 10\r\nAPPEND n 5\r\nINCR n\r\nDECRBY n 7\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c := testConn(t)
		c.wire = wireRESP
		c.srv.cfg.OnTerminate = func() {}
		for len(in) > 0 {
			size, _, err := c.next(in)
			if err != nil {
				c.protocolError(err)
				break
			}
			if size == 0 {
				break
			}
			in = in[size:]
			act := c.handleNext()
			c.settle()
			if act == actClose {
				break
			}
		}
		for out := c.out; len(out) > 0; {
			n := respReply(out)
			if n <= 0 {
				t.Fatalf("malformed reply at %q", out)
			}
			out = out[n:]
		}
	})
}

// respReply returns the length of the RESP2 or RESP3 reply at the front
// of b, or 0 if there is no well-formed one.
func respReply(b []byte) int {
	end := bytes.Index(b, []byte("\r\n"))
	if end < 1 {
		return 0
	}
	line, i := b[1:end], end+2
	switch b[0] {
	case '+', '-', ':', ',', '#', '_':
		return i
	case '$':
		n, err := strconv.Atoi(string(line))
		if err != nil || n < -1 {
			return 0
		}
		if n == -1 {
			return i
		}
		if len(b) < i+n+2 || string(b[i+n:i+n+2]) != "\r\n" {
			return 0
		}
		return i + n + 2
	case '*', '~', '%', '>':
		n, err := strconv.Atoi(string(line))
		if err != nil || n < -1 {
			return 0
		}
		if b[0] == '%' {
			n *= 2
		}
		for range max(n, 0) {
			k := respReply(b[i:])
			if k == 0 {
				return 0
			}
			i += k
		}
		return i
	}
	return 0
}
