package cli

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// errClosed is returned by do once the server has closed the connection.
var errClosed = errors.New("connection closed")

// session is one connection. Its reader goroutine reads every frame: an
// ASYNC frame (a pub/sub message) is printed when it arrives, anything else
// is the reply to the request in flight. The session owns the goroutine
// and close waits for it.
type session struct {
	nc      net.Conn
	w       *bufio.Writer
	replies chan []byte   // the reply to the request in flight
	done    chan struct{} // closed when the reader stops; err says why
	err     error
	async   func(proto.Reply)
	wg      sync.WaitGroup
}

func dial(addr string, timeout time.Duration, tlsCfg *tls.Config, async func(proto.Reply)) (*session, error) {
	var nc net.Conn
	var err error
	if tlsCfg != nil {
		nc, err = tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, tlsCfg)
	} else {
		nc, err = net.DialTimeout("tcp", addr, timeout)
	}
	if err != nil {
		return nil, err
	}
	s := &session{
		nc:      nc,
		w:       bufio.NewWriter(nc),
		replies: make(chan []byte, 1),
		done:    make(chan struct{}),
		async:   async,
	}
	s.wg.Add(1)
	go s.read()
	return s, nil
}

func (s *session) read() {
	defer s.wg.Done()
	defer close(s.done)
	frames := proto.NewFrameReader(bufio.NewReaderSize(s.nc, 64<<10), proto.MaxReply)
	for {
		p, err := frames.Next()
		if err != nil {
			if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
				err = errClosed
			}
			s.err = err
			return
		}
		if bytes.HasPrefix(p, []byte(proto.StatusAsync.String())) {
			if r, perr := proto.ParseReply(p); perr == nil {
				s.async(r)
			}
			continue
		}
		select {
		case s.replies <- bytes.Clone(p):
		default:
			s.err = fmt.Errorf("a reply nobody asked for: %q", p)
			return
		}
	}
}

// do sends one request payload and returns the reply payload.
func (s *session) do(payload []byte) ([]byte, error) {
	if err := s.send(payload); err != nil {
		return nil, err
	}
	select {
	case p := <-s.replies:
		return p, nil
	case <-s.done:
		return nil, s.err
	}
}

func (s *session) send(payload []byte) error {
	s.w.Write(proto.AppendFrame(nil, payload))
	if err := s.w.Flush(); err != nil {
		select {
		case <-s.done:
			return s.err
		default:
			return err
		}
	}
	return nil
}

// wait blocks until the server closes the connection (a subscriber in
// one-shot mode prints messages until then).
func (s *session) wait() error {
	<-s.done
	return s.err
}

func (s *session) close() {
	s.nc.Close()
	s.wg.Wait()
}
