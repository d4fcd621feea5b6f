package client

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// Options configure a connection.
type Options struct {
	Username, Password string // default user vanity; its default password vanity only when no Password is given
	NoLogin            bool   // skip AUTH
	DB                 int    // database to switch to after login (0: stay)
	DialTimeout        time.Duration
	// Timeout bounds each request's write and the wait for its reply
	// (default 30 s; negative: none); ReadTimeout and WriteTimeout, when
	// set, replace it for one direction. A request that times out closes
	// the connection: a late reply would be taken for the next request's.
	Timeout, ReadTimeout, WriteTimeout time.Duration
	// ReadLevel and WriteLevel are the session's consistency levels in a
	// cluster (§12.1); QUORUM, the zero value, is the server's default.
	ReadLevel, WriteLevel proto.Consistency
	// TLS, when set, makes the connection speak TLS with this
	// configuration (a server started with --tls-cert).
	TLS *tls.Config
	// PoolSize bounds the connections a DB opens (default
	// DefaultPoolSize); MaxRetries is how many times a DB retries a read
	// whose connection broke (default 2; negative: never).
	PoolSize, MaxRetries int
}

// Reply is a decoded reply.
type Reply = proto.Reply

// Client is a connection to a Vanity server.
type Client struct {
	mu      sync.Mutex
	nc      net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	pending int      // requests sent whose replies are unread
	async   [][]byte // ASYNC payloads set aside
	// readTimeout bounds the wait for a reply, writeTimeout the sending of
	// a request (0: none).
	readTimeout, writeTimeout time.Duration
}

// ErrTimeout is returned when a reply does not come within the client's
// Timeout; the connection is then closed.
var ErrTimeout = errors.New("client: no reply in time; connection closed")

// ErrClosed is returned once the server has closed the connection.
var ErrClosed = errors.New("client: connection closed")

// Dial connects, authenticates unless opts.NoLogin, and switches database if
// opts.DB is set. An authentication failure is returned as an error.
func Dial(addr string, opts Options) (*Client, error) {
	timeout := opts.DialTimeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	var nc net.Conn
	var err error
	if opts.TLS != nil {
		nc, err = tls.DialWithDialer(&net.Dialer{Timeout: timeout}, "tcp", addr, opts.TLS)
	} else {
		nc, err = net.DialTimeout("tcp", addr, timeout)
	}
	if err != nil {
		return nil, err
	}
	c := New(nc)
	base := opts.Timeout
	if base == 0 {
		base = 30 * time.Second
	}
	c.readTimeout, c.writeTimeout = max(base, 0), max(base, 0)
	if opts.ReadTimeout != 0 {
		c.readTimeout = max(opts.ReadTimeout, 0)
	}
	if opts.WriteTimeout != 0 {
		c.writeTimeout = max(opts.WriteTimeout, 0)
	}
	if !opts.NoLogin {
		u, p := opts.Username, opts.Password
		if u == "" {
			u = "vanity" // the first administrator
		}
		if p == "" && opts.Username == "" {
			p = "vanity" // its well-known default password
		}
		r, err := c.Auth(u, p)
		if err != nil {
			nc.Close()
			return nil, err
		}
		if r.Status != proto.StatusOK {
			nc.Close()
			return nil, fmt.Errorf("client: AUTH as %q: %s", u, Format(r))
		}
	}
	if opts.ReadLevel != proto.ConsQuorum || opts.WriteLevel != proto.ConsQuorum {
		if r, err := c.Consistency(opts.ReadLevel, opts.WriteLevel); err != nil || r.Status != proto.StatusOK {
			nc.Close()
			if err == nil {
				err = fmt.Errorf("client: CONSISTENCY: %s", Format(r))
			}
			return nil, err
		}
	}
	if opts.DB != 0 {
		if r, err := c.SwitchDB(opts.DB); err != nil || r.Status != proto.StatusOK {
			nc.Close()
			if err == nil {
				err = fmt.Errorf("client: SWITCH_DB %d: %s", opts.DB, Format(r))
			}
			return nil, err
		}
	}
	return c, nil
}

// New wraps an established connection.
func New(nc net.Conn) *Client {
	return &Client{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriterSize(nc, 64<<10)}
}

// Close closes the connection.
func (c *Client) Close() error { return c.nc.Close() }

// Conn returns the underlying connection.
func (c *Client) Conn() net.Conn { return c.nc }

// Send queues one request payload without waiting for its reply. Call
// Flush, then Receive once per request sent.
func (c *Client) Send(payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.sendLocked(payload)
}

func (c *Client) sendLocked(payload []byte) error {
	var hdr [4]byte
	binary.BigEndian.PutUint32(hdr[:], uint32(len(payload)))
	if _, err := c.w.Write(hdr[:]); err != nil {
		return err
	}
	if _, err := c.w.Write(payload); err != nil {
		return err
	}
	c.pending++
	return nil
}

// Flush writes queued requests.
func (c *Client) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.w.Flush()
}

// Receive reads the next reply payload, setting ASYNC frames aside.
func (c *Client) Receive() ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer c.deadline()()
	return c.timedOut(c.receiveLocked())
}

// deadline bounds the wait for a reply by the read timeout, and returns
// what lifts the bound.
func (c *Client) deadline() func() {
	if c.readTimeout <= 0 {
		return func() {}
	}
	_ = c.nc.SetReadDeadline(time.Now().Add(c.readTimeout))
	return func() { _ = c.nc.SetReadDeadline(time.Time{}) }
}

// timedOut closes the connection after a timeout (its stream is out of
// step) and says so.
func (c *Client) timedOut(p []byte, err error) ([]byte, error) {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.nc.Close()
		return nil, fmt.Errorf("%w (%v)", ErrTimeout, c.readTimeout)
	}
	return p, err
}

func (c *Client) receiveLocked() ([]byte, error) {
	for {
		p, err := c.readFrame()
		if err != nil {
			return nil, err
		}
		if isAsync(p) {
			c.async = append(c.async, p)
			continue
		}
		c.pending--
		return p, nil
	}
}

func isAsync(p []byte) bool { return len(p) >= 5 && string(p[:5]) == "ASYNC" }

func (c *Client) readFrame() ([]byte, error) {
	var hdr [4]byte
	if _, err := io.ReadFull(c.r, hdr[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrClosed
		}
		return nil, err
	}
	p := make([]byte, binary.BigEndian.Uint32(hdr[:]))
	if _, err := io.ReadFull(c.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, ErrClosed
		}
		return nil, err
	}
	return p, nil
}

// Raw sends one request payload and returns the raw reply payload.
func (c *Client) Raw(payload []byte) ([]byte, error) {
	return c.rawContext(context.Background(), payload)
}

// SendOnly sends a request that gets no reply (EXIT, TERMINATE).
func (c *Client) SendOnly(payload []byte) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.sendLocked(payload); err != nil {
		return err
	}
	c.pending--
	return c.w.Flush()
}

// Do encodes a command with its arguments, sends it and decodes the reply.
func (c *Client) Do(command string, args ...any) (Reply, error) {
	req, err := Encode(command, args...)
	if err != nil {
		return Reply{}, err
	}
	raw, err := c.Raw(req)
	if err != nil {
		return Reply{}, err
	}
	return proto.ParseReply(raw)
}

// ReadAsync returns the next ASYNC message payload. With block false it
// returns nil if none is waiting; with block true it reads from the
// connection until one arrives (replies must not be outstanding).
func (c *Client) ReadAsync(block bool) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for len(c.async) == 0 {
		if !block {
			return nil, nil
		}
		if c.pending > 0 {
			return nil, errors.New("client: replies are outstanding")
		}
		p, err := c.readFrame()
		if err != nil {
			return nil, err
		}
		if !isAsync(p) {
			return nil, fmt.Errorf("client: unexpected reply %q", p)
		}
		c.async = append(c.async, p)
	}
	p := c.async[0]
	c.async = c.async[1:]
	return p, nil
}

// Format renders a reply as its wire text, for messages and logs.
func Format(r Reply) string { return string(proto.AppendReply(nil, r)) }
