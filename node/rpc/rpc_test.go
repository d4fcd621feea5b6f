package rpc

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/vanitydb/vanity/proto"
)

func serve(t *testing.T, secret string, h Handler) string {
	t.Helper()
	return serveListener(t, secret, h).addr
}

type testServer struct {
	addr string
	srv  *Server
}

// serveListener starts a server on a loopback port, after setup (inline
// handler, lent kinds) if given; the test's cleanup closes it (again).
func serveListener(t *testing.T, secret string, h Handler, setup ...func(*Server)) testServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer([]byte(secret), h, nil)
	for _, f := range setup {
		f(s)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return testServer{addr: l.Addr().String(), srv: s}
}

func echo(_ context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
	if kind == KindInfo {
		return StatusError, append(dst, "no info"...)
	}
	return StatusOK, append(append(dst, byte(kind)), payload...)
}

func TestCallsMultiplexed(t *testing.T) {
	addr := serve(t, "s3cret", echo)
	c := NewClient(addr, []byte("s3cret"), 2)
	defer c.Close()
	var wg sync.WaitGroup
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				msg := []byte(fmt.Sprintf("g%d-%d", g, i))
				out, err := c.Call(context.Background(), KindPing, msg)
				if err != nil || !bytes.Equal(out[1:], msg) || Kind(out[0]) != KindPing {
					t.Errorf("call %s: %q %v", msg, out, err)
					return
				}
			}
		}(g)
	}
	wg.Wait()
	_, err := c.Call(context.Background(), KindInfo, nil)
	var rerr *Error
	if !errors.As(err, &rerr) || rerr.Status != StatusError || rerr.Message != "no info" {
		t.Fatalf("error status: %v", err)
	}
}

func TestWrongSecretRefused(t *testing.T) {
	addr := serve(t, "right", echo)
	c := NewClient(addr, []byte("wrong"), 1)
	defer c.Close()
	if _, err := c.Call(context.Background(), KindPing, nil); err == nil {
		t.Fatal("a client with the wrong secret was served")
	}
}

func TestDeadline(t *testing.T) {
	block := make(chan struct{})
	addr := serve(t, "", func(ctx context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		if kind == KindPersist {
			select {
			case <-block:
			case <-ctx.Done():
			}
		}
		return StatusOK, dst
	})
	defer close(block)
	c := NewClient(addr, nil, 1)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Call(ctx, KindPersist, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("got %v", err)
	}
	// The connection still serves other calls.
	if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
		t.Fatal(err)
	}
}

func TestPostsOfOrderedKindKeepOrder(t *testing.T) {
	var mu sync.Mutex
	var got []string
	addr := serve(t, "", func(_ context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		mu.Lock()
		got = append(got, string(payload))
		mu.Unlock()
		return StatusOK, dst
	})
	c := NewClient(addr, nil, 4)
	defer c.Close()
	for i := 0; i < 500; i++ {
		if err := c.Post(KindPublish, []byte(fmt.Sprint(i))); err != nil {
			t.Fatal(err)
		}
	}
	// A call of the same kind follows the posts on their connection.
	if _, err := c.Call(context.Background(), KindPublish, []byte("last")); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 501 {
		t.Fatalf("%d messages arrived", len(got))
	}
	for i := 0; i < 500; i++ {
		if got[i] != fmt.Sprint(i) {
			t.Fatalf("message %d arrived as %q", i, got[i])
		}
	}
}

func TestServerCloseFailsCalls(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	s := NewServer(nil, func(ctx context.Context, k Kind, p, dst []byte) (Status, []byte) {
		<-ctx.Done()
		return StatusOK, dst
	}, nil)
	go s.Serve(l)
	c := NewClient(l.Addr().String(), nil, 1)
	defer c.Close()
	errc := make(chan error, 1)
	go func() {
		_, err := c.Call(context.Background(), KindPing, nil)
		errc <- err
	}()
	// Wait until the call is in flight, then close the server.
	for {
		c.mu.Lock()
		cc := c.conns[0]
		c.mu.Unlock()
		n := 0
		if cc != nil {
			cc.mu.Lock()
			n = len(cc.pending)
			cc.mu.Unlock()
		}
		if n > 0 {
			break
		}
		time.Sleep(time.Millisecond) // polling until the call is registered
	}
	s.Close()
	if err := <-errc; err == nil {
		t.Fatal("a call survived the server closing")
	}
}

func TestMessages(t *testing.T) {
	var reqs [3]proto.Request
	for i, text := range []string{"HASH_SET (1)k (1){(1)f(1)v}", "GET (1)k", "INCR_INT (1)n -4"} {
		if err := proto.ParseRequest([]byte(text), &reqs[i]); err != proto.ErrNone {
			t.Fatal(err)
		}
	}
	in := Run{Ring: 42, Deadline: 1700000000123, Floor: 1700000000122<<16 | 7, Cmds: []Cmd{
		{DB: 3, Read: proto.ConsOne, Write: proto.ConsSerial, ID: [16]byte{1, 15: 9}, Resent: true, RanFrom: 1700000000100, Reqs: []*proto.Request{&reqs[0]}},
		{DB: 0, Read: proto.ConsSerial, Digest: WithDigest, Peer: "127.0.0.1:7401", Reqs: []*proto.Request{&reqs[0]}},
		{DB: 16, Digest: WithDigest, Reqs: []*proto.Request{&reqs[1], &reqs[2]}},
	}}
	b := AppendRun(nil, &in)
	var out Run
	if err := DecodeRun(b, &out); err != nil {
		t.Fatal(err)
	}
	if out.Ring != 42 || out.Deadline != in.Deadline || out.Floor != in.Floor || len(out.Cmds) != 3 || out.Requests() != 4 || out.Answers() != 6 {
		t.Fatalf("decoded %+v", out)
	}
	for i, c := range out.Cmds {
		w := in.Cmds[i]
		if c.DB != w.DB || c.Read != w.Read || c.Write != w.Write || c.Digest != w.Digest || c.ID != w.ID || c.Resent != w.Resent || c.RanFrom != w.RanFrom || c.Peer != w.Peer || len(c.Reqs) != len(w.Reqs) {
			t.Fatalf("command %d: %+v, want %+v", i, c, w)
		}
		for j, r := range c.Reqs {
			if r.Cmd != w.Reqs[j].Cmd || string(r.Key()) != string(w.Reqs[j].Key()) || r.Int != w.Reqs[j].Int {
				t.Fatalf("command %d request %d: %+v", i, j, r)
			}
		}
	}
	// Every proper prefix, and a session command, are refused.
	for n := 0; n < len(b); n++ {
		if DecodeRun(b[:n], &out) == nil {
			t.Fatalf("a %d-byte prefix of %d decoded", n, len(b))
		}
	}
	ping := proto.Request{Cmd: proto.CmdAuth, Str: [3][]byte{[]byte("u"), []byte("p")}}
	if DecodeRun(AppendRun(nil, &Run{Cmds: []Cmd{{Reqs: []*proto.Request{&ping}}}}), &out) == nil {
		t.Fatal("a session command decoded as part of a run")
	}
	if _, err := DecodeStrings([]byte{5, 1}); err == nil {
		t.Fatal("truncated strings accepted")
	}
}

// FuzzDecodeRun checks that no payload panics the decoder and that what it
// accepts re-encodes to a payload that decodes alike.
func FuzzDecodeRun(f *testing.F) {
	var req proto.Request
	proto.ParseRequest([]byte("SET:STR (1)k (1)v"), &req)
	f.Add(AppendRun(nil, &Run{Ring: 1, Cmds: []Cmd{{Reqs: []*proto.Request{&req, &req}}}}))
	f.Fuzz(func(t *testing.T, b []byte) {
		var r Run
		if DecodeRun(b, &r) != nil {
			return
		}
		var again Run
		if err := DecodeRun(AppendRun(nil, &r), &again); err != nil || again.Requests() != r.Requests() {
			t.Fatalf("re-encoded run does not decode alike: %v", err)
		}
	})
}

// TestGoAnswersThroughCallbacks: calls made with Go get their answers in
// their callbacks, an error status as *Error.
func TestGoAnswersThroughCallbacks(t *testing.T) {
	addr := serve(t, "k", echo)
	c := NewClient(addr, []byte("k"), 2)
	defer c.Close()
	type answer struct {
		i   int
		out []byte
		err error
	}
	answers := make(chan answer, 100)
	for i := 0; i < 100; i++ {
		kind := KindPing
		if i%10 == 9 {
			kind = KindInfo
		}
		c.Go(kind, []byte(fmt.Sprint(i)), time.Minute, func(out []byte, err error) { answers <- answer{i, out, err} })
	}
	for range 100 {
		a := <-answers
		var rerr *Error
		switch {
		case a.i%10 == 9 && (!errors.As(a.err, &rerr) || rerr.Message != "no info"):
			t.Fatalf("call %d: %v", a.i, a.err)
		case a.i%10 != 9 && (a.err != nil || string(a.out[1:]) != fmt.Sprint(a.i)):
			t.Fatalf("call %d: %q %v", a.i, a.out, a.err)
		}
	}
}

// TestUnreachablePeerIsNotSent: a call to an address nobody listens on
// fails as not sent, so a caller may send it elsewhere.
func TestUnreachablePeerIsNotSent(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	c := NewClient(addr, nil, 1)
	defer c.Close()
	errc := make(chan error, 1)
	c.Go(KindPing, nil, time.Minute, func(_ []byte, err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrNotSent) {
		t.Fatalf("got %v, want ErrNotSent", err)
	}
	if _, err := c.Call(context.Background(), KindPing, nil); !errors.Is(err, ErrNotSent) {
		t.Fatalf("Call: got %v, want ErrNotSent", err)
	}
}

// TestFailedDialIsNotRetriedAtOnce: after a dial fails, calls fail as not
// sent without dialing again until RedialAfter has passed (a peer that
// died took a dial per call, thousands a second); once it has, the next
// call dials, and a peer that is back serves it.
func TestFailedDialIsNotRetriedAtOnce(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	var dials atomic.Int64
	accepted := make(chan struct{})
	go func() { // a peer that hangs up at once: every handshake fails
		defer close(accepted)
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			nc.Close()
		}
	}()
	c := NewClient(addr, nil, 1)
	defer c.Close()
	start := time.Now()
	const calls = 200
	for range calls {
		if _, err := c.Call(context.Background(), KindPing, nil); !errors.Is(err, ErrNotSent) {
			t.Fatalf("a call to a peer that hangs up: %v, want ErrNotSent", err)
		}
	}
	elapsed := time.Since(start)
	if n, most := dials.Load(), int64(elapsed/RedialAfter)+2; n > most {
		t.Fatalf("%d calls in %v dialed %d times; want at most %d (one per %v)", calls, elapsed, n, most, RedialAfter)
	}
	l.Close()
	<-accepted
	l, err = net.Listen("tcp", addr) // the peer is back, on the same address
	if err != nil {
		t.Skipf("the address could not be listened on again: %v", err)
	}
	s := NewServer(nil, echo, nil)
	served := make(chan error, 1)
	go func() { served <- s.Serve(l) }()
	defer func() {
		s.Close()
		<-served
	}()
	deadline := time.Now().Add(5 * time.Second)
	for {
		_, err := c.Call(context.Background(), KindPing, nil)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the peer is back and calls still fail: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // polling until RedialAfter has passed
	}
}

// TestSilentPeerTimesOut: a call the peer never answers fails with
// ErrTimeout (it may have run), and later calls are served (over a new
// connection: nothing came on the old one meanwhile,
// TestSilentConnectionIsReplaced).
func TestSilentPeerTimesOut(t *testing.T) {
	release := make(chan struct{})
	addr := serve(t, "", func(ctx context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		if kind == KindPersist {
			select {
			case <-release:
			case <-ctx.Done():
			}
		}
		return StatusOK, dst
	})
	defer close(release)
	c := NewClient(addr, nil, 1)
	defer c.Close()
	errc := make(chan error, 1)
	c.Go(KindPersist, nil, 30*time.Millisecond, func(_ []byte, err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrTimeout) || errors.Is(err, ErrNotSent) {
		t.Fatalf("got %v, want ErrTimeout", err)
	}
	if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
		t.Fatal(err)
	}
}

// TestQueuedCallIsCancelled: a call that times out before its connection
// is up never reaches the peer, and says so (ErrNotSent).
func TestQueuedCallIsCancelled(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var kinds []Kind
	s := NewServer(nil, func(_ context.Context, kind Kind, _, dst []byte) (Status, []byte) {
		mu.Lock()
		kinds = append(kinds, kind)
		mu.Unlock()
		return StatusOK, dst
	}, nil)
	c := NewClient(l.Addr().String(), nil, 1)
	defer c.Close()
	// The listener does not accept yet: the handshake cannot finish, so
	// the call waits in the writer's queue until it times out.
	errc := make(chan error, 1)
	c.Go(KindPersist, nil, 30*time.Millisecond, func(_ []byte, err error) { errc <- err })
	if err := <-errc; !errors.Is(err, ErrNotSent) {
		t.Fatalf("got %v, want ErrNotSent", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	defer func() {
		s.Close()
		<-done
	}()
	if _, err := c.Call(context.Background(), KindPing, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(kinds) != 1 || kinds[0] != KindPing {
		t.Fatalf("the server saw %v; the cancelled call must not arrive", kinds)
	}
}

// TestInlineHandlerAnswersLater: an inline handler may keep a call and
// answer it from another goroutine, while the connection goes on reading.
func TestInlineHandlerAnswersLater(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	held := make(chan Responder, 1)
	s := NewServer(nil, echo, nil)
	s.HandleInline(func(_ context.Context, kind Kind, payload []byte, r Responder) bool {
		switch kind {
		case KindRun:
			held <- r // answered after the next call
			return true
		case KindDigest:
			r.Reply(StatusOK, []byte("inline"))
			return true
		}
		return false
	})
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	defer func() {
		s.Close()
		<-done
	}()
	c := NewClient(l.Addr().String(), nil, 1)
	defer c.Close()
	first := make(chan string, 1)
	c.Go(KindRun, nil, time.Minute, func(out []byte, err error) { first <- fmt.Sprintf("%s %v", out, err) })
	r := <-held
	if out, err := c.Call(context.Background(), KindDigest, nil); err != nil || string(out) != "inline" {
		t.Fatalf("inline call: %q %v", out, err)
	}
	if out, err := c.Call(context.Background(), KindPing, []byte("x")); err != nil || string(out[1:]) != "x" {
		t.Fatalf("handled call: %q %v", out, err)
	}
	r.Reply(StatusOK, []byte("later"))
	if got := <-first; got != "later <nil>" {
		t.Fatalf("held call answered %q", got)
	}
}

// TestLentPayloadsReuseABuffer: the payloads of a lent kind that the
// inline handler takes are read into one buffer, call after call; other
// payloads, and lent ones the handler leaves to a goroutine, are the
// handler's to keep.
func TestLentPayloadsReuseABuffer(t *testing.T) {
	var mu sync.Mutex
	bufs := map[Kind]map[*byte]bool{KindPing: {}, KindInfo: {}}
	var kept [][]byte // payloads a goroutine handler got, checked after later calls
	ts := serveListener(t, "", func(_ context.Context, kind Kind, payload, dst []byte) (Status, []byte) {
		mu.Lock()
		kept = append(kept, payload)
		mu.Unlock()
		return StatusOK, append(dst, payload...)
	}, func(s *Server) {
		s.Lend(KindPing, KindDigest)
		s.HandleInline(func(_ context.Context, kind Kind, payload []byte, r Responder) bool {
			if kind == KindDigest {
				return false // lent, but left to the Handler: it keeps the payload
			}
			mu.Lock()
			bufs[kind][unsafe.SliceData(payload)] = true
			mu.Unlock()
			r.Reply(StatusOK, payload)
			return true
		})
	})
	c := NewClient(ts.addr, nil, 1)
	defer c.Close()
	for _, k := range []Kind{KindPing, KindInfo, KindDigest, KindPing} {
		for i := range 20 {
			msg := fmt.Appendf(nil, "%d-%03d", k, i) // one size: a buffer need not grow
			out, err := c.Call(context.Background(), k, msg)
			if err != nil || !bytes.Equal(out, msg) {
				t.Fatalf("call %s: %q %v", msg, out, err)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	// One buffer for the first 20, one more for the 20 after the lent
	// payloads the Handler kept.
	if n := len(bufs[KindPing]); n != 2 {
		t.Errorf("lent payloads came in %d buffers, want 2", n)
	}
	if n := len(bufs[KindInfo]); n != 20 {
		t.Errorf("payloads not lent came in %d buffers, want one each (20)", n)
	}
	for i, p := range kept {
		if want := fmt.Sprintf("%d-%03d", KindDigest, i); string(p) != want {
			t.Errorf("a payload the Handler kept reads %q, want %q", p, want)
		}
	}
}

// TestAnswerRoundTrip decodes an encoded answer back to its items, and
// refuses every proper prefix of it, an empty item and trailing bytes.
func TestAnswerRoundTrip(t *testing.T) {
	b := AppendAnswerHeader(nil, 77)
	b = binary.AppendUvarint(b, 3)
	b = AppendItem(b, StatusOK, []byte("one"))
	b = AppendItem(b, StatusUnavailable, nil)
	b = AppendItem(b, StatusOK, []byte("three"))
	clock, items, err := DecodeAnswer(b)
	if err != nil || clock != 77 || len(items) != 3 {
		t.Fatalf("decoded clock %d, %d items, %v", clock, len(items), err)
	}
	want := []Item{{StatusOK, []byte("one")}, {StatusUnavailable, []byte{}}, {StatusOK, []byte("three")}}
	for i, it := range items {
		if it.Status != want[i].Status || string(it.Reply) != string(want[i].Reply) {
			t.Fatalf("item %d: %v %q, want %v %q", i, it.Status, it.Reply, want[i].Status, want[i].Reply)
		}
	}
	for n := 8; n < len(b); n++ {
		if _, err := DecodeItems(b[8:n]); err == nil {
			t.Fatalf("a %d-byte prefix decoded", n)
		}
	}
	if _, err := DecodeItems(append(b[8:len(b):len(b)], 0)); err == nil {
		t.Fatal("trailing bytes decoded")
	}
	if _, err := DecodeItems([]byte{1, 0}); err == nil {
		t.Fatal("an item without its status decoded")
	}
}
