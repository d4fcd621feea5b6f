package client

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// fakeServer answers each request frame with answer(connection number,
// request); a nil answer closes that connection without a reply, and
// answer may block.
type fakeServer struct {
	l      net.Listener
	conns  atomic.Int32
	wg     sync.WaitGroup
	mu     sync.Mutex
	open   []net.Conn
	answer func(conn int, req string) []byte
}

func newFakeServer(t *testing.T, answer func(conn int, req string) []byte) *fakeServer {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &fakeServer{l: l, answer: answer}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			nc, err := l.Accept()
			if err != nil {
				return
			}
			n := int(s.conns.Add(1))
			s.mu.Lock()
			s.open = append(s.open, nc)
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer nc.Close()
				frames := proto.NewFrameReader(bufio.NewReader(nc), proto.MaxRequest)
				for {
					req, err := frames.Next()
					if err != nil {
						return
					}
					out := s.answer(n, string(req))
					if out == nil {
						return
					}
					if _, err := nc.Write(proto.AppendFrame(nil, out)); err != nil {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		l.Close()
		s.mu.Lock()
		for _, nc := range s.open {
			nc.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *fakeServer) addr() string { return s.l.Addr().String() }

// TestDBRetriesReadsNotWrites: when a connection breaks after the request
// left, a read is sent again on a new connection; a write is not (it may
// have run) and its error says so.
func TestDBRetriesReadsNotWrites(t *testing.T) {
	s := newFakeServer(t, func(conn int, req string) []byte {
		if conn == 1 && req != "PING" {
			return nil // the first connection breaks at its first command
		}
		if strings.HasPrefix(req, "GET") {
			return []byte("OK:STR (1)v")
		}
		return []byte("OK")
	})
	ctx := context.Background()
	db, err := Open(ctx, s.addr(), Options{NoLogin: true, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.GetString(ctx, "k"); err != nil || v != "v" {
		t.Fatalf("a read after a broken connection: %q, %v", v, err)
	}
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the broken one replaced)", n)
	}

	s2 := newFakeServer(t, func(conn int, req string) []byte {
		if conn == 1 {
			return nil
		}
		return []byte("OK")
	})
	db2, err := Open(ctx, s2.addr(), Options{NoLogin: true, PoolSize: 1}) // sends nothing: NoLogin
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	err = db2.Set(ctx, "k", "v")
	if err == nil || !strings.Contains(err.Error(), "may have run") {
		t.Fatalf("a write whose connection broke: %v", err)
	}
	if n := s2.conns.Load(); n != 1 {
		t.Errorf("the write was sent on %d connections, want 1", n)
	}
}

// TestDBContext: a call whose context ends gives up at once, with the
// context's error, and its connection is not reused; a call waiting for a
// connection of a full pool gives up when its context ends.
func TestDBContext(t *testing.T) {
	release := make(chan struct{})
	s := newFakeServer(t, func(conn int, req string) []byte {
		if strings.HasPrefix(req, "GET") {
			<-release // never answers while the test runs
		}
		return []byte("OK")
	})
	defer close(release)
	db := &DB{addr: s.addr(), opts: Options{NoLogin: true, PoolSize: 1, MaxRetries: 2},
		idle: make(chan *Client, 1), slots: make(chan struct{}, 1)}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := db.Get(ctx, "k"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a call past its deadline: %v", err)
	}
	if waited := time.Since(start); waited > 5*time.Second {
		t.Fatalf("gave up after %v", waited)
	}
	if err := db.Set(context.Background(), "k", "v"); err != nil {
		t.Fatalf("the next call: %v", err)
	}
	if n := s.conns.Load(); n != 2 {
		t.Errorf("%d connections, want 2 (the timed-out one is not reused)", n)
	}

	c, err := db.get(context.Background()) // the pool's one connection, held
	if err != nil {
		t.Fatal(err)
	}
	ctx2, cancel2 := context.WithCancel(context.Background())
	go func() { time.Sleep(50 * time.Millisecond); cancel2() }() // a caller giving up later
	if err := db.Set(ctx2, "k", "v"); !errors.Is(err, context.Canceled) || !strings.Contains(err.Error(), "waiting for one of 1") {
		t.Fatalf("waiting for a full pool: %v", err)
	}
	db.put(c, nil)
}

// TestDBPoolBound: many goroutines share PoolSize connections.
func TestDBPoolBound(t *testing.T) {
	var inFlight, most atomic.Int32
	s := newFakeServer(t, func(conn int, req string) []byte {
		n := inFlight.Add(1)
		for {
			m := most.Load()
			if n <= m || most.CompareAndSwap(m, n) {
				break
			}
		}
		time.Sleep(time.Millisecond) // a slow server, so calls overlap
		inFlight.Add(-1)
		return []byte("OK:INT 1")
	})
	ctx := context.Background()
	db, err := Open(ctx, s.addr(), Options{NoLogin: true, PoolSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var wg sync.WaitGroup
	for g := 0; g < 20; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				if _, err := db.IncrInt(ctx, "n", 1); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n := s.conns.Load(); n > 3 {
		t.Errorf("%d connections for a pool of 3", n)
	}
	if m := most.Load(); m > 3 || m < 2 {
		t.Errorf("at most %d requests at once, want 2 or 3", m)
	}
}

func TestDBRefusesSessionCommands(t *testing.T) {
	s := newFakeServer(t, func(int, string) []byte { return []byte("OK") })
	db, err := Open(context.Background(), s.addr(), Options{NoLogin: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, cmd := range []string{"SWITCH_DB", "SUBSCRIBE", "TRANSACT_BEGIN", "CONSISTENCY", "AUTH"} {
		if _, err := db.Do(context.Background(), cmd); !errors.Is(err, ErrSessionCommand) {
			t.Errorf("%s: %v, want ErrSessionCommand", cmd, err)
		}
	}
	if _, err := db.Pipeline().Do("SWITCH_DB", 2).Exec(context.Background()); !errors.Is(err, ErrSessionCommand) {
		t.Errorf("SWITCH_DB in a pipeline: %v", err)
	}
}

// TestDBCompareAndSet: the compare-and-set calls send their typed frames
// and read the BOOL answer; mixed types are refused before sending.
func TestDBCompareAndSet(t *testing.T) {
	db, frames := recordingDB(t, func(req string) string {
		if strings.HasPrefix(req, "DEL_IF") {
			return "OK:BOOL false"
		}
		return "OK:BOOL true"
	})
	ctx := context.Background()
	if ok, err := db.SetIf(ctx, "n", 10, 15); !ok || err != nil {
		t.Errorf("SetIf: %v %v", ok, err)
	}
	if ok, err := db.SetIfAbsent(ctx, "lock", "me"); !ok || err != nil {
		t.Errorf("SetIfAbsent: %v %v", ok, err)
	}
	if ok, err := db.DelIf(ctx, "lock", "me"); ok || err != nil {
		t.Errorf("DelIf: %v %v", ok, err)
	}
	if ok, err := db.SetIfPresent(ctx, "n", 3.5); !ok || err != nil {
		t.Errorf("SetIfPresent: %v %v", ok, err)
	}
	if ok, err := db.HashSetIfAbsent(ctx, "h", "f", "v"); !ok || err != nil {
		t.Errorf("HashSetIfAbsent: %v %v", ok, err)
	}
	if _, err := db.SetIf(ctx, "n", 10, "x"); err == nil {
		t.Error("SetIf of an INT expected and a STR value was sent")
	}
	want := []string{"SET_IF :INT(1)n 10 15", "SET_IF_ABSENT :STR(4)lock (2)me", "DEL_IF :STR(4)lock (2)me",
		"SET_IF_PRESENT :FLOAT(1)n 3.5", "HASH_SET_IF_ABSENT(1)h (1)f (1)v", "SET_TTL_IF_ABSENT :STR(5)lease (2)me 1500",
		"SET_TTL_IF_PRESENT :INT(1)n 7 2000", "RENAME_IF_ABSENT(1)n (1)m", "SET_KEEP_TTL :INT(1)n 9",
		"SET_EXPIRY_IF(1)n 1.5 SOME_EARLIER", "SET_WITH :STR(1)n (1)v ABSENT AT 1700000000000"}
	if ok, err := db.SetTTLIfAbsent(ctx, "lease", "me", 1500*time.Millisecond); !ok || err != nil {
		t.Errorf("SetTTLIfAbsent: %v %v", ok, err)
	}
	if ok, err := db.SetTTLIfPresent(ctx, "n", 7, 2*time.Second); !ok || err != nil {
		t.Errorf("SetTTLIfPresent: %v %v", ok, err)
	}
	if ok, err := db.RenameIfAbsent(ctx, "n", "m"); !ok || err != nil {
		t.Errorf("RenameIfAbsent: %v %v", ok, err)
	}
	if err := db.SetKeepTTL(ctx, "n", 9); err != nil {
		t.Errorf("SetKeepTTL: %v", err)
	}
	if ok, err := db.ExpireIf(ctx, "n", 1500*time.Millisecond, proto.DeadlineSomeEarlier); !ok || err != nil {
		t.Errorf("ExpireIf: %v %v", ok, err)
	}
	if ok, err := db.SetWith(ctx, "n", "v", proto.KeyAbsent, proto.TTLAt, 1700000000000); !ok || err != nil {
		t.Errorf("SetWith: %v %v", ok, err)
	}
	if got := frames(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames %q, want %q", got, want)
	}
}

// TestDBReadAndReplace: GetSet and GetDel send their frames and read the
// value replaced as Get reads one; nothing there is ErrNil.
func TestDBReadAndReplace(t *testing.T) {
	db, frames := recordingDB(t, func(req string) string {
		switch {
		case strings.HasPrefix(req, "GET_DEL"), strings.HasPrefix(req, "LIST_MOVE(4)none"), strings.HasPrefix(req, "LIST_MOVE_WAIT(4)none"):
			return "NULL"
		case strings.HasPrefix(req, "STR_APPEND"), strings.HasPrefix(req, "HASH_INCR"), strings.HasPrefix(req, "STR_SET_RANGE"):
			return "OK:INT 3"
		case strings.HasPrefix(req, "INCR_NUMBER"):
			return "OK:FLOAT 6.500000"
		case strings.HasPrefix(req, "LIST_POP_LEFT_WAIT_ANY"):
			return "OK:LIST (2)[(3)low(2)j1]"
		case strings.HasPrefix(req, "LIST_POP_RIGHT_WAIT_ANY"):
			return "OK:LIST (0)[]"
		case strings.HasPrefix(req, "LIST_PUSH_RIGHT_IF_PRESENT"), strings.HasPrefix(req, "INCR_INT_TEXT"), strings.HasPrefix(req, "LIST_INSERT"),
			strings.HasPrefix(req, "STR_GET_BIT"), strings.HasPrefix(req, "STR_SET_BIT"), strings.HasPrefix(req, "STR_BIT_"),
			strings.HasPrefix(req, "HLL_ADD"), strings.HasPrefix(req, "HLL_COUNT"):
			return "OK:INT 4"
		case strings.HasPrefix(req, "HLL_MERGE_INTO"):
			return "OK"
		}
		return "OK:STR (1)a"
	})
	ctx := context.Background()
	if v, err := db.GetSet(ctx, "k", 7); err != nil || string(v.Str) != "a" {
		t.Errorf("GetSet: %+v %v", v, err)
	}
	if v, err := db.GetSetWith(ctx, "k", 8, proto.KeyPresent, proto.TTLKeep, 0); err != nil || string(v.Str) != "a" {
		t.Errorf("GetSetWith: %+v %v", v, err)
	}
	if _, err := db.GetDel(ctx, "k"); !errors.Is(err, ErrNil) {
		t.Errorf("GetDel of nothing: %v, want ErrNil", err)
	}
	if n, err := db.StrAppend(ctx, "s", "abc"); n != 3 || err != nil {
		t.Errorf("StrAppend: %d %v", n, err)
	}
	if n, err := db.HashIncr(ctx, "h", "f", -2); n != 3 || err != nil {
		t.Errorf("HashIncr: %d %v", n, err)
	}
	if n, err := db.StrSetRange(ctx, "s", 1, "bc"); n != 3 || err != nil {
		t.Errorf("StrSetRange: %d %v", n, err)
	}
	if s, err := db.StrRange(ctx, "s", 0, -1); s != "a" || err != nil {
		t.Errorf("StrRange: %q %v", s, err)
	}
	if f, err := db.IncrNumber(ctx, "price", 1.5); f != 6.5 || err != nil {
		t.Errorf("IncrNumber: %v %v", f, err)
	}
	if s, err := db.ListMove(ctx, "jobs", "doing", proto.EndRight, proto.EndLeft); s != "a" || err != nil {
		t.Errorf("ListMove: %q %v", s, err)
	}
	if _, err := db.ListMove(ctx, "none", "doing", proto.EndLeft, proto.EndLeft); !errors.Is(err, ErrNil) {
		t.Errorf("ListMove from nothing: %v, want ErrNil", err)
	}
	if s, err := db.ListMoveWait(ctx, "jobs", "doing", proto.EndRight, proto.EndLeft, 1500*time.Millisecond); s != "a" || err != nil {
		t.Errorf("ListMoveWait: %q %v", s, err)
	}
	if _, err := db.ListMoveWait(ctx, "none", "doing", proto.EndLeft, proto.EndRight, 20*time.Millisecond); !errors.Is(err, ErrNil) {
		t.Errorf("ListMoveWait for nothing: %v, want ErrNil", err)
	}
	if k, e, err := db.ListPopWaitAny(ctx, proto.EndLeft, 1, time.Second, "high", "low"); k != "low" || fmt.Sprint(e) != "[j1]" || err != nil {
		t.Errorf("ListPopWaitAny: %q %q %v", k, e, err)
	}
	if _, _, err := db.ListPopWaitAny(ctx, proto.EndRight, 2, 20*time.Millisecond, "high"); !errors.Is(err, ErrNil) {
		t.Errorf("ListPopWaitAny for nothing: %v, want ErrNil", err)
	}
	if n, err := db.ListPushIfPresent(ctx, "log", "a", "b"); n != 4 || err != nil {
		t.Errorf("ListPushIfPresent: %d %v", n, err)
	}
	if n, err := db.IncrIntText(ctx, "visits", -2); n != 4 || err != nil {
		t.Errorf("IncrIntText: %d %v", n, err)
	}
	if n, err := db.ListInsert(ctx, "log", proto.EndLeft, "b", "a"); n != 4 || err != nil {
		t.Errorf("ListInsert: %d %v", n, err)
	}
	for _, f := range []func() (int64, error){
		func() (int64, error) { return db.GetBit(ctx, "b", 7) },
		func() (int64, error) { return db.SetBit(ctx, "b", 7, 1) },
		func() (int64, error) { return db.BitCount(ctx, "b", 0, -1, proto.UnitBit) },
		func() (int64, error) { return db.BitPos(ctx, "b", 1, 0, -1, proto.UnitByte) },
		func() (int64, error) { return db.BitPosFrom(ctx, "b", 0, 2) },
		func() (int64, error) { return db.BitOpInto(ctx, "d", proto.BitXor, "b", "c") },
		func() (int64, error) { return db.HllAdd(ctx, "h", "x", "y") },
		func() (int64, error) { return db.HllCount(ctx, "h", "g") },
		func() (int64, error) { return 4, db.HllMergeInto(ctx, "h", "g") },
	} {
		if n, err := f(); n != 4 || err != nil {
			t.Errorf("bit command: %d %v", n, err)
		}
	}
	if got, want := frames(), []string{"GET_SET :INT(1)k 7", "GET_SET_WITH :INT(1)k 8 PRESENT KEEP 0", "GET_DEL(1)k", "STR_APPEND(1)s (3)abc", "HASH_INCR(1)h (1)f -2",
		"STR_SET_RANGE(1)s 1 (2)bc", "STR_RANGE(1)s 0 -1", "INCR_NUMBER(5)price 1.5", "LIST_MOVE(4)jobs (5)doing RIGHT LEFT",
		"LIST_MOVE(4)none (5)doing LEFT LEFT", "LIST_MOVE_WAIT(4)jobs (5)doing RIGHT LEFT 1500",
		"LIST_MOVE_WAIT(4)none (5)doing LEFT RIGHT 20", "LIST_POP_LEFT_WAIT_ANY(2)[(4)high(3)low] 1 1000",
		"LIST_POP_RIGHT_WAIT_ANY(1)[(4)high] 2 20", "LIST_PUSH_RIGHT_IF_PRESENT(3)log (2)[(1)a(1)b]", "INCR_INT_TEXT(6)visits -2",
		"LIST_INSERT(3)log LEFT (1)b (1)a", "STR_GET_BIT(1)b 7", "STR_SET_BIT(1)b 7 1", "STR_BIT_COUNT(1)b 0 -1 BIT",
		"STR_BIT_POS(1)b 1 0 -1 BYTE", "STR_BIT_POS_FROM(1)b 0 2",
		"STR_BIT_OP_INTO(1)d XOR (2)[(1)b(1)c]", "HLL_ADD(1)h (2)[(1)x(1)y]", "HLL_COUNT(2)[(1)h(1)g]",
		"HLL_MERGE_INTO(1)h (1)[(1)g]"}; fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames %q, want %q", got, want)
	}
}

// recordingDB opens a DB on a fake server that answers each frame as
// answer says; frames returns the frames it got, in order.
func recordingDB(t *testing.T, answer func(req string) string) (db *DB, frames func() []string) {
	t.Helper()
	var mu sync.Mutex
	var got []string
	s := newFakeServer(t, func(_ int, req string) []byte {
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		return []byte(answer(req))
	})
	db, err := Open(context.Background(), s.addr(), Options{NoLogin: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(got)
	}
}

// TestDBFenced: Fenced sends the write inside FENCED, and a refusal
// behind a newer token matches ErrFenced (other errors do not).
func TestDBFenced(t *testing.T) {
	refusal := `fenced: lock "jobs" is at token 9, newer than this write's 7 (the write did not run)`
	db, frames := recordingDB(t, func(req string) string {
		switch {
		case strings.Contains(req, " 7 "):
			return fmt.Sprintf("ERROR(%d)%s", len(refusal), refusal)
		case strings.Contains(req, " 8 "):
			return "ERROR(13)invalid value"
		}
		return "OK"
	})
	ctx := context.Background()
	if _, err := db.Fenced(ctx, "jobs", 9, "SET:STR", "out", "done"); err != nil {
		t.Errorf("Fenced: %v", err)
	}
	if _, err := db.Fenced(ctx, "jobs", 7, "LIST_PUSH_LEFT", "q", []string{"x"}); !errors.Is(err, ErrFenced) {
		t.Errorf("Fenced behind a newer token: %v, want ErrFenced", err)
	}
	if _, err := db.Fenced(ctx, "jobs", 8, "DEL", "out"); err == nil || errors.Is(err, ErrFenced) {
		t.Errorf("another error: %v, want one that is not ErrFenced", err)
	}
	want := []string{"FENCED(4)jobs 9 SET:STR (3)out (4)done", "FENCED(4)jobs 7 LIST_PUSH_LEFT (1)q (1)[(1)x]", "FENCED(4)jobs 8 DEL (3)out"}
	if got := frames(); fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames %q, want %q", got, want)
	}
}

// TestDBOnce: Once sends ONCE, and when the connection breaks after
// sending, RETRY with the same id on a new connection, answering what the
// RETRY answers; an error reply is not retried.
func TestDBOnce(t *testing.T) {
	var mu sync.Mutex
	var got []string
	s := newFakeServer(t, func(conn int, req string) []byte {
		mu.Lock()
		got = append(got, req)
		mu.Unlock()
		switch {
		case conn == 1:
			return nil // the first connection breaks at its first command
		case strings.Contains(req, "(1)e"):
			return []byte("ERROR(3)bad")
		}
		return []byte("OK:LIST (1)[(1)a]")
	})
	ctx := context.Background()
	db, err := Open(ctx, s.addr(), Options{NoLogin: true, PoolSize: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	r, err := db.Once(ctx, "req-1", "LIST_POP_LEFT", "q", 1)
	if err != nil || len(r.Value.Strs) != 1 || string(r.Value.Strs[0]) != "a" {
		t.Fatalf("Once across a broken connection: %+v, %v", r, err)
	}
	if _, err := db.Once(ctx, "req-2", "DEL", "e"); err == nil {
		t.Error("an error reply was not returned")
	}
	want := []string{"ONCE(5)req-1 LIST_POP_LEFT (1)q 1", "RETRY(5)req-1 LIST_POP_LEFT (1)q 1", "ONCE(5)req-2 DEL (1)e"}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("frames %q, want %q", got, want)
	}
}
