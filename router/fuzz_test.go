package router

import (
	"encoding/binary"
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
