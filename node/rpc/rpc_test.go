package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/vanitydb/vanity/proto"
)

func serve(t *testing.T, secret string, h Handler) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := NewServer([]byte(secret), h, nil)
	done := make(chan error, 1)
	go func() { done <- s.Serve(l) }()
	t.Cleanup(func() {
		s.Close()
		<-done
	})
	return l.Addr().String()
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
		if err := c.Post(context.Background(), KindPublish, []byte(fmt.Sprint(i))); err != nil {
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
		cc, _ := c.conn(context.Background(), false)
		cc.mu.Lock()
		n := len(cc.pending)
		cc.mu.Unlock()
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
	var req proto.Request
	proto.ParseRequest([]byte("HASH_SET (1)k (1){(1)f(1)v}"), &req)
	e, err := DecodeExec(AppendExec(nil, 42, 3, proto.ConsOne, proto.ConsAll, &req))
	if err != nil || e.Ring != 42 || e.DB != 3 || e.Read != proto.ConsOne || e.Write != proto.ConsAll ||
		string(e.Req) != "HASH_SET (1)k (1){(1)f(1)v}" {
		t.Fatalf("%+v %v", e, err)
	}
	b, err := DecodeBatch(AppendBatch(nil, 7, 1, 0, 0, []*proto.Request{&req, &req}))
	if err != nil || len(b.Reqs) != 2 || b.Ring != 7 {
		t.Fatalf("%+v %v", b, err)
	}
	if _, err := DecodeStrings([]byte{5, 1}); err == nil {
		t.Fatal("truncated strings accepted")
	}
}
