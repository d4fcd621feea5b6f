package router

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router/users"
	"golang.org/x/crypto/bcrypt"
)

// mapBackend is a fake Backend holding strings, enough for GET and SET;
// its senders run the jobs submitted to them when flushed. A command on
// the key "unavailable" fails as a cluster's would without its quorum.
type mapBackend struct {
	mu sync.Mutex
	m  map[string]string
}

func (b *mapBackend) exec(req *proto.Request, dst []byte) []byte {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch req.Cmd {
	case proto.CmdGet:
		v, ok := b.m[string(req.Key())]
		if !ok {
			return append(dst, proto.ReplyNull...)
		}
		return proto.AppendStr(append(dst, proto.ReplyOK...), v)
	case proto.CmdSet:
		if _, ok := b.m[string(req.Key())]; !ok {
			b.m[string(req.Key())] = string(req.Str[1])
		}
		return append(dst, proto.ReplyOK...)
	}
	return append(dst, proto.ReplyError...)
}

func (b *mapBackend) NewSender() Sender { return &mapSender{b: b} }

func (b *mapBackend) Persist(context.Context) error { return ErrPersistenceDisabled }

// mapSender runs its jobs at Flush; the replies live in its buffer until
// the next Flush (by then every job of this one has been spliced).
type mapSender struct {
	b       *mapBackend
	jobs    []*Job
	buf     []byte
	replies [][]byte
}

func (s *mapSender) Submit(j *Job) { s.jobs = append(s.jobs, j) }

func (s *mapSender) Flush() {
	jobs := s.jobs
	s.jobs = nil
	s.buf = s.buf[:0]
	for _, j := range jobs {
		for i := range j.Items {
			if reqs := j.Items[i].Reqs; len(reqs) > 0 && string(reqs[0].Key()) == "unavailable" {
				j.Fail(i, &CommandError{Msg: "unavailable: no quorum (test)"})
				continue
			}
			s.replies = s.replies[:0]
			for _, req := range j.Items[i].Reqs {
				start := len(s.buf)
				s.buf = s.b.exec(req, s.buf)
				s.replies = append(s.replies, s.buf[start:len(s.buf):len(s.buf)])
			}
			j.Answer(i, s.replies...)
		}
	}
	s.jobs = jobs[:0]
}

func testConn(t testing.TB) *conn {
	t.Helper()
	store, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
	if err != nil {
		t.Fatal(err)
	}
	c := pipeConn(t, testServer(t, Config{Users: store}))
	if act := c.handle([]byte("AUTH (6)vanity (6)vanity")); act != actReply {
		t.Fatal("AUTH gave no reply")
	}
	c.out = c.out[:0]
	return c
}

// testServer is a server of cfg over a map backend.
func testServer(t testing.TB, cfg Config) *Server {
	cfg.Backend = &mapBackend{m: map[string]string{}}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// pipeConn returns a new, unauthenticated Vanity connection to srv over a
// pipe closed at the test's end.
func pipeConn(t testing.TB, srv *Server) *conn {
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	return newConn(srv, a, wireVanity)
}

// reply handles one request frame on c and returns the reply's payload.
func (c *conn) reply(req string) string {
	c.out = c.out[:0]
	c.handle([]byte(req))
	return string(c.out[4:])
}

// handle answers one request frame.
func (c *conn) handle(frame []byte) action {
	cmd, i := proto.ParseCommand(frame, 0)
	return c.handleCommand(frame, cmd, i)
}

// answer handles a request frame as a connection served by a goroutine
// does, running its data commands.
func (c *conn) answer(frame []byte) action {
	act := c.handle(frame)
	c.settle()
	return act
}

// TestHandleGetSetAllocatesNothing guards the router's hot path: decoding
// a GET or SET frame, checking it, and encoding the reply frame into the
// connection's buffer allocate nothing (the backend's own work aside).
func TestHandleGetSetAllocatesNothing(t *testing.T) {
	c := testConn(t)
	set := []byte("SET:STR (10)key:000001 (5)hello")
	get := []byte("GET (10)key:000001")
	c.answer(set)
	c.out = c.out[:0]
	allocs := testing.AllocsPerRun(1000, func() {
		c.answer(set)
		c.answer(get)
		c.out = c.out[:0]
	})
	if allocs != 0 {
		t.Fatalf("handling GET and SET allocates %v times", allocs)
	}
}

func TestHandleReplies(t *testing.T) {
	c := testConn(t)
	for _, tc := range []struct{ req, want string }{
		{"SET:STR (1)k (1)v", "OK"},
		{"GET (1)k", "OK:STR (1)v"},
		{"PIPE(2)GET(1)kGET(1)k", "OK:PIPE(2)OK:STR (1)vOK:STR (1)v"},
		{"PIPE(3)PIPE(1)GET(1)k", "OK:PIPE(3)OK:PIPE(1)OK:STR (1)vBAD_REQUEST(34) InvalidRequest: invalid operationBAD_REQUEST(34) InvalidRequest: invalid operation"},
		// A count the frame cannot hold is refused up front, whole: it
		// would have the server answer every missing entry (a 23-byte
		// request made a 534 MB reply).
		{"PIPE(18446744073709551615)", "BAD_REQUEST(36) InvalidRequest: length out of range"},
		{"PIPE(10900000)GET(3)foo", "BAD_REQUEST(36) InvalidRequest: length out of range"},
		{"PIPE(2)GET(1)kPIPE(5)GET(1)k", "OK:PIPE(2)OK:STR (1)vBAD_REQUEST(36) InvalidRequest: length out of range"},
		{"PIPE(2)GET(1)k", "OK:PIPE(2)OK:STR (1)vBAD_REQUEST(34) InvalidRequest: invalid operation"},
	} {
		c.out = c.out[:0]
		c.answer([]byte(tc.req))
		got := string(c.out[4:])
		if got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.req, got, tc.want)
		}
	}
}

func BenchmarkHandleGet(b *testing.B) {
	c := testConn(b)
	c.answer([]byte("SET:STR (10)key:000001 (100)" + string(make([]byte, 100))))
	get := []byte("GET (10)key:000001")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		c.out = c.out[:0]
		c.answer(get)
	}
}

// TestTwoServersInOneProcess checks that servers share no state: two run
// side by side on their own listeners, backends and user stores.
func TestTwoServersInOneProcess(t *testing.T) {
	var addrs []string
	for i := 0; i < 2; i++ {
		store, err := users.New(users.Config{Cost: bcrypt.MinCost}, nil, "vanity", "vanity")
		if err != nil {
			t.Fatal(err)
		}
		srv, err := New(Config{Backend: &mapBackend{m: map[string]string{}}, Users: store})
		if err != nil {
			t.Fatal(err)
		}
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- srv.Serve(l) }()
		t.Cleanup(func() {
			srv.Shutdown(context.Background())
			if err := <-done; err != ErrServerClosed {
				t.Errorf("Serve returned %v", err)
			}
		})
		addrs = append(addrs, l.Addr().String())
	}
	talk := func(addr string, reqs ...string) []string {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		defer nc.Close()
		var out []string
		r := bufio.NewReader(nc)
		fr := proto.NewFrameReader(r, proto.MaxRequest)
		for _, q := range reqs {
			nc.Write(proto.AppendFrame(nil, []byte(q)))
			p, err := fr.Next()
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, string(p))
		}
		return out
	}
	talk(addrs[0], "AUTH (6)vanity (6)vanity", "SET:STR (1)k (5)first", "ADD_USER (5)user1 (5)pass1")
	got := talk(addrs[1], "AUTH (6)vanity (6)vanity", "GET (1)k", "ADD_USER (5)user1 (5)pass1")
	if got[1] != "NULL" || got[2] != "OK" {
		t.Fatalf("the second server saw the first one's data or users: %q", got)
	}
}

// nested returns levels PIPEs, each holding the next, around GET (1)k.
func nested(levels int) []byte {
	return append(bytes.Repeat([]byte("PIPE(1)"), levels), "GET(1)k"...)
}

// TestPipeDepth: PIPEs nest up to proto.MaxPipeDepth levels; one more is
// refused with BAD_REQUEST, which poisons what follows it. A frame of
// 1,500,000 levels (10.5 MB, which overflowed the stack) gets the same
// reply, and the connection goes on.
func TestPipeDepth(t *testing.T) {
	c := testConn(t)
	c.answer([]byte("SET:STR (1)k (1)v"))
	deep := string(proto.AppendBadRequest(nil, proto.ErrPipeDepth))
	want := func(levels int, inner string) string {
		return strings.Repeat("OK:PIPE(1)", levels) + inner
	}
	for _, tc := range []struct {
		levels int
		want   string
	}{
		{proto.MaxPipeDepth, want(proto.MaxPipeDepth, "OK:STR (1)v")},
		{proto.MaxPipeDepth + 1, want(proto.MaxPipeDepth, deep)},
		{1_500_000, want(proto.MaxPipeDepth, deep)},
	} {
		c.out = c.out[:0]
		c.answer(nested(tc.levels))
		if got := string(c.out[4:]); got != tc.want {
			t.Errorf("%d levels: got %q, want %q", tc.levels, got, tc.want)
		}
	}
	c.out = c.out[:0]
	c.answer([]byte("PIPE(2)" + string(nested(proto.MaxPipeDepth)) + "GET(1)k"))
	if got, w := string(c.out[4:]), "OK:PIPE(2)"+want(proto.MaxPipeDepth-1, deep)+
		deep; got != w {
		t.Errorf("a too deep entry does not poison the rest: %q", got)
	}
	if order := orderOf(proto.CmdPipe, nested(1_500_000)); order != orderFree {
		t.Errorf("order of a depth bomb: %v", order)
	}
}
