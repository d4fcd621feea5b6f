package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// DB is a pool of connections to one server or router, for applications:
// every call takes a context, borrows a connection (dialling one if fewer
// than PoolSize are open, else waiting for one), and gives it back. A
// connection that fails or whose call is cancelled mid-way is closed and
// replaced by the next call. A read whose connection broke is retried on
// a fresh one (MaxRetries); a write is not, since it may have run: its
// error says the outcome is unknown. DB is safe for concurrent use.
//
// Session commands (SWITCH_DB, AUTH, CONSISTENCY, transactions by hand,
// SUBSCRIBE) would change a pooled connection for the next borrower: DB
// refuses them (ErrSessionCommand); Options set the database and levels,
// TxPipeline runs transactions, and a Client from Dial subscribes.
type DB struct {
	addr  string
	opts  Options
	idle  chan *Client
	slots chan struct{} // one token per open connection
	done  atomic.Bool
	dials atomic.Int64 // connections ever opened (tests and stats)
}

// ErrNil is returned by the typed calls for a missing key (a NULL reply).
var ErrNil = errors.New("client: nil: no such key")

// ErrFenced matches the error of a FENCED write refused because a
// FENCED write with a newer token of its lock wrote the key (PROTOCOL.md
// §12.11): the lock has passed to a newer holder.
var ErrFenced = errors.New("client: fenced: a newer holder of the lock wrote the key")

// ErrOutOfMemory matches the error of a write refused because the node
// that would run it is past its memory limit (PROTOCOL.md §12.2): delete
// keys, let them expire, or raise the node's --max-memory.
var ErrOutOfMemory = errors.New("client: out of memory: the server refuses writes that add data")

// ErrSessionCommand is returned by DB for commands that change the state
// of the connection they run on.
var ErrSessionCommand = errors.New("client: a session command on a pooled connection; use Options or a Client from Dial")

// ErrPoolClosed is returned by the calls of a closed DB.
var ErrPoolClosed = errors.New("client: DB closed")

// ServerError is a reply whose status is an error (ERROR, DENIED,
// BAD_REQUEST, BAD_TYPE, INTERNAL_ERROR, BAD_STATE).
type ServerError struct {
	Status proto.Status
	Msg    string // the reply's body, if any
}

// Is makes a server's refusal of a FENCED write match ErrFenced, and its
// refusal of a write past its memory limit ErrOutOfMemory.
func (e *ServerError) Is(target error) bool {
	switch target {
	case ErrFenced:
		return e.Status == proto.StatusError && strings.HasPrefix(e.Msg, proto.MsgFenced+":")
	case ErrOutOfMemory:
		return e.Status == proto.StatusError && strings.HasPrefix(e.Msg, proto.MsgOutOfMemory+":")
	}
	return false
}

func (e *ServerError) Error() string {
	if e.Msg == "" {
		return "vanity: " + e.Status.String()
	}
	return "vanity: " + e.Status.String() + ": " + e.Msg
}

// DefaultPoolSize is Options.PoolSize when it is zero.
const DefaultPoolSize = 16

// Open returns a pool for addr. It dials one connection first, so a wrong
// address or password fails here rather than at the first call.
func Open(ctx context.Context, addr string, opts Options) (*DB, error) {
	if opts.PoolSize <= 0 {
		opts.PoolSize = DefaultPoolSize
	}
	if opts.MaxRetries == 0 {
		opts.MaxRetries = 2
	}
	db := &DB{addr: addr, opts: opts, idle: make(chan *Client, opts.PoolSize), slots: make(chan struct{}, opts.PoolSize)}
	c, err := db.get(ctx)
	if err != nil {
		return nil, err
	}
	db.put(c, nil)
	return db, nil
}

// Close closes the idle connections; those in use close when returned.
func (db *DB) Close() error {
	db.done.Store(true)
	for {
		select {
		case c := <-db.idle:
			c.Close()
			<-db.slots
		default:
			return nil
		}
	}
}

// get borrows a connection: an idle one, a new one while fewer than
// PoolSize are open, or the next one given back.
func (db *DB) get(ctx context.Context) (*Client, error) {
	if db.done.Load() {
		return nil, ErrPoolClosed
	}
	for {
		select {
		case c := <-db.idle:
			if c.alive() {
				return c, nil
			}
			c.Close() // the server closed it (a restart): open another
			<-db.slots
			continue
		default:
		}
		break
	}
	select {
	case c := <-db.idle:
		return c, nil
	case db.slots <- struct{}{}:
		opts := db.opts
		if d, ok := ctx.Deadline(); ok && (opts.DialTimeout == 0 || time.Until(d) < opts.DialTimeout) {
			opts.DialTimeout = max(time.Until(d), time.Millisecond)
		}
		c, err := Dial(db.addr, opts)
		if err != nil {
			<-db.slots
			return nil, err
		}
		db.dials.Add(1)
		return c, nil
	case <-ctx.Done():
		return nil, fmt.Errorf("client: waiting for one of %d connections: %w", db.opts.PoolSize, ctx.Err())
	}
}

// alive reports whether an idle connection is still open: the server has
// not closed it (a peek that would block) and sent nothing unasked. One
// non-blocking system call.
func (c *Client) alive() bool {
	if c.r.Buffered() > 0 {
		return false
	}
	sc, ok := c.nc.(syscall.Conn)
	if !ok {
		return true
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	open := false
	var b [1]byte
	err = raw.Read(func(fd uintptr) bool {
		n, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		open = n < 0 && (err == syscall.EAGAIN || err == syscall.EWOULDBLOCK)
		return true // never wait
	})
	return err == nil && open
}

// put gives c back, or closes it when its call failed in a way that may
// leave the stream out of step (anything but an error reply).
func (db *DB) put(c *Client, err error) {
	var se *ServerError
	if (err != nil && !errors.As(err, &se) && !errors.Is(err, ErrNil)) || db.done.Load() {
		c.Close()
		<-db.slots
		return
	}
	db.idle <- c
}

// Do runs one command and returns its reply. An error reply is returned as
// a *ServerError; a NULL reply is a reply (the typed calls make it ErrNil).
func (db *DB) Do(ctx context.Context, command string, args ...any) (Reply, error) {
	payload, err := Encode(command, args...)
	if err != nil {
		return Reply{}, err
	}
	cmd, _ := proto.MatchCommand(payload)
	if cmd.ChangesSession() {
		return Reply{}, fmt.Errorf("%w: %s", ErrSessionCommand, cmd)
	}
	for attempt := 0; ; attempt++ {
		r, sent, err := db.send(ctx, payload)
		if err == nil || !sent || !brokenConn(err) || ctxErr(ctx) != nil {
			return r, err
		}
		if cmd.Class() != proto.ClassRead || attempt >= db.opts.MaxRetries {
			if cmd.Class() != proto.ClassRead {
				return r, fmt.Errorf("client: %s: the connection failed after the request was sent, so it may have run: %w", cmd, err)
			}
			return r, err
		}
	}
}

// Watch runs an optimistic transaction on one connection of the pool
// (PROTOCOL.md §12.21): it watches keys, then calls fn with the
// connection, on which fn reads what it needs and commits a Tx. That
// commit returns ErrChanged, having run nothing, if a watched key changed
// since Watch began; fn's error is Watch's, and the caller retries on
// ErrChanged. The keys are forgotten before the connection goes back.
func (db *DB) Watch(ctx context.Context, fn func(c *Client) error, keys ...string) error {
	c, err := db.get(ctx)
	if err != nil {
		return err
	}
	if err = c.session(ctx, "TRANSACT_WATCH", keys); err != nil {
		db.put(c, err)
		return err
	}
	ferr := fn(c)
	err = c.session(ctx, "TRANSACT_UNWATCH")
	db.put(c, err)
	if ferr != nil {
		return ferr
	}
	return err
}

// session runs a command that changes c's session and expects OK; an
// error reply is a *ServerError.
func (c *Client) session(ctx context.Context, command string, args ...any) error {
	payload, err := Encode(command, args...)
	if err != nil {
		return err
	}
	out, err := c.rawContext(ctx, payload)
	if err != nil {
		return err
	}
	r, err := proto.ParseReply(out)
	if err != nil {
		return err
	}
	return replyError(r)
}

// send sends payload once on a pooled connection and reads its reply; an
// error reply is a *ServerError. sent is false when no connection could
// be had: nothing left.
func (db *DB) send(ctx context.Context, payload []byte) (r Reply, sent bool, err error) {
	c, err := db.get(ctx)
	if err != nil {
		return Reply{}, false, err
	}
	raw, err := c.rawContext(ctx, payload)
	if err == nil {
		if r, err = proto.ParseReply(raw); err == nil {
			err = replyError(r)
		}
	}
	db.put(c, err)
	return r, true, err
}

// replyError returns the error an error reply stands for, or nil.
func replyError(r Reply) error {
	switch r.Status {
	case proto.StatusOK, proto.StatusNull, proto.StatusPong, proto.StatusQueued:
		return nil
	}
	return &ServerError{Status: r.Status, Msg: string(r.Body)}
}

// brokenConn reports an error that ended the connection (not a reply).
func brokenConn(err error) bool {
	var se *ServerError
	var ne net.Error
	return !errors.As(err, &se) && (errors.Is(err, ErrClosed) || errors.Is(err, ErrTimeout) || errors.As(err, &ne) ||
		errors.Is(err, os.ErrDeadlineExceeded))
}

// rawContext is Raw bounded by ctx as well as by the client's timeouts.
func (c *Client) rawContext(ctx context.Context, payload []byte) ([]byte, error) {
	out, err := c.exchange(ctx, [][]byte{payload})
	if err != nil {
		return nil, err
	}
	return out[0], nil
}

// exchange sends reqs back to back and reads one reply each, bounded by
// ctx and by the client's write and read timeouts. A call cancelled, past
// its deadline or failed closes the connection (a late reply would be
// taken for the next request's).
func (c *Client) exchange(ctx context.Context, reqs [][]byte) ([][]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	_ = c.nc.SetWriteDeadline(until(ctx, c.writeTimeout))
	defer c.nc.SetDeadline(time.Time{})
	stop := context.AfterFunc(ctx, func() { _ = c.nc.SetDeadline(time.Now()) })
	defer stop()
	out := make([][]byte, len(reqs))
	err := c.exchangeLocked(ctx, reqs, out)
	if err != nil {
		c.nc.Close()
		if cerr := ctxErr(ctx); cerr != nil {
			return nil, fmt.Errorf("client: %w; connection closed", cerr)
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			return nil, fmt.Errorf("%w (read %v, write %v)", ErrTimeout, c.readTimeout, c.writeTimeout)
		}
		return nil, err
	}
	return out, nil
}

func (c *Client) exchangeLocked(ctx context.Context, reqs, out [][]byte) error {
	for _, r := range reqs {
		if err := c.sendLocked(r); err != nil {
			return err
		}
	}
	if err := c.w.Flush(); err != nil {
		return err
	}
	c.readBy(ctx)
	for i := range reqs {
		p, err := c.receiveLocked()
		if err != nil {
			return err
		}
		out[i] = p
	}
	return nil
}

// readBy bounds the wait for replies. A cancellation that came before the
// new deadline was set would be lost with it (the AfterFunc already ran):
// it is applied again.
func (c *Client) readBy(ctx context.Context) {
	_ = c.nc.SetReadDeadline(until(ctx, c.readTimeout))
	if ctx.Err() != nil {
		_ = c.nc.SetDeadline(time.Now())
	}
}

// until is the deadline of one direction of a call: d from now (none
// when d is 0), or ctx's deadline if that comes first.
func until(ctx context.Context, d time.Duration) time.Time {
	var t time.Time
	if d > 0 {
		t = time.Now().Add(d)
	}
	if cd, ok := ctx.Deadline(); ok && (t.IsZero() || cd.Before(t)) {
		t = cd
	}
	return t
}

// ctxErr is ctx's error, counting a deadline that has passed although
// the context's timer has not fired yet (the socket's deadline is the
// same instant).
func ctxErr(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		return context.DeadlineExceeded
	}
	return nil
}

// Typed calls. Each returns ErrNil for a missing key and *ServerError for
// an error reply (BAD_TYPE for the wrong type, ...).

// Get returns a key's value, whatever its type.
func (db *DB) Get(ctx context.Context, key string) (proto.Value, error) {
	return db.getValue(ctx, "GET", key)
}

// GetString returns a STR key's value.
func (db *DB) GetString(ctx context.Context, key string) (string, error) {
	v, err := db.Get(ctx, key)
	if err != nil {
		return "", err
	}
	if v.Type != proto.TypeStr {
		return "", &ServerError{Status: proto.StatusBadType, Msg: "not a string: " + v.Type.String()}
	}
	return string(v.Str), nil
}

// GetInt returns an INT key's value.
func (db *DB) GetInt(ctx context.Context, key string) (int64, error) {
	v, err := db.Get(ctx, key)
	if err != nil {
		return 0, err
	}
	if v.Type != proto.TypeInt {
		return 0, &ServerError{Status: proto.StatusBadType, Msg: "not an int: " + v.Type.String()}
	}
	return v.Int, nil
}

// Set stores a STR, INT or FLOAT, chosen by the Go type of value.
func (db *DB) Set(ctx context.Context, key string, value any) error {
	_, err := db.Do(ctx, "SET :"+typeWord(value), key, value)
	return err
}

// SetTTL is Set with a time to live, in one write.
func (db *DB) SetTTL(ctx context.Context, key string, value any, ttl time.Duration) error {
	_, err := db.Do(ctx, "SET_TTL :"+typeWord(value), key, value, ttlMillis(ttl))
	return err
}

// SetKeepTTL is Set keeping key's time to live (PROTOCOL.md §12.17,
// Redis's SET KEEPTTL); a missing key gets none. It reads the deadline it
// keeps, so a cluster runs it on its serial path.
func (db *DB) SetKeepTTL(ctx context.Context, key string, value any) error {
	_, err := db.Do(ctx, "SET_KEEP_TTL :"+typeWord(value), key, value)
	return err
}

// SetIf sets key to value if it holds expected, and reports whether it
// did (PROTOCOL.md §12.6). expected and value must have the same Go kind
// of type (both strings, both integers or both floats). It is
// linearizable: a cluster runs it on its serial path.
func (db *DB) SetIf(ctx context.Context, key string, expected, value any) (bool, error) {
	if typeWord(expected) != typeWord(value) {
		return false, fmt.Errorf("client: SetIf: expected is %s, value %s: they must have one type", typeWord(expected), typeWord(value))
	}
	return db.doBool(ctx, "SET_IF :"+typeWord(value), key, expected, value)
}

// SetIfAbsent sets key to value if it does not exist, and reports whether
// it did (a lock's acquisition; see SetIf for where it runs).
func (db *DB) SetIfAbsent(ctx context.Context, key string, value any) (bool, error) {
	return db.doBool(ctx, "SET_IF_ABSENT :"+typeWord(value), key, value)
}

// SetIfPresent sets key to value if it exists (as Set does: its time to
// live goes), and reports whether it did (see SetIf for where it runs).
func (db *DB) SetIfPresent(ctx context.Context, key string, value any) (bool, error) {
	return db.doBool(ctx, "SET_IF_PRESENT :"+typeWord(value), key, value)
}

// SetTTLIfAbsent sets key to value with a time to live if it does not
// exist, and reports whether it did: a lease (see SetIf for where it
// runs); its holder releases it early with DelIf.
func (db *DB) SetTTLIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	return db.doBool(ctx, "SET_TTL_IF_ABSENT :"+typeWord(value), key, value, ttlMillis(ttl))
}

// SetTTLIfPresent sets key to value with a time to live if it exists, and
// reports whether it did (see SetIf for where it runs).
func (db *DB) SetTTLIfPresent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	return db.doBool(ctx, "SET_TTL_IF_PRESENT :"+typeWord(value), key, value, ttlMillis(ttl))
}

// ExpireIf gives key a time to live of ttl when its present deadline
// allows (when: proto.DeadlineNone, DeadlineSome, DeadlineLater,
// DeadlineEarlier or DeadlineSomeEarlier, Redis's EXPIRE NX, XX, GT, LT
// and XX LT), and reports whether it did; a missing key is false
// (PROTOCOL.md §12.25). It reads the deadline it replaces, so a cluster
// runs it on its serial path.
func (db *DB) ExpireIf(ctx context.Context, key string, ttl time.Duration, when proto.DeadlineIf) (bool, error) {
	return db.doBool(ctx, "SET_EXPIRY_IF", key, ttl.Seconds(), when)
}

// Rename gives key's value and time to live to newkey, replacing what it
// held, and deletes key (RENAME; in a cluster both must be in one
// partition: co-locate them with {tags}).
func (db *DB) Rename(ctx context.Context, key, newkey string) error {
	_, err := db.Do(ctx, "RENAME", key, newkey)
	return err
}

// RenameIfAbsent renames key to newkey if newkey does not exist, and
// reports whether it did (RENAME_IF_ABSENT).
func (db *DB) RenameIfAbsent(ctx context.Context, key, newkey string) (bool, error) {
	return db.doBool(ctx, "RENAME_IF_ABSENT", key, newkey)
}

// Copy gives newkey a copy of key's value and time to live, replacing
// what newkey held, and reports whether key existed to be copied (COPY,
// PROTOCOL.md §12.13; in a cluster both keys must be in one partition).
func (db *DB) Copy(ctx context.Context, key, newkey string) (bool, error) {
	return db.doBool(ctx, "COPY", key, newkey)
}

// DelIf deletes key if it holds expected, and reports whether it did (a
// lock's release by its holder; see SetIf for where it runs).
func (db *DB) DelIf(ctx context.Context, key string, expected any) (bool, error) {
	return db.doBool(ctx, "DEL_IF :"+typeWord(expected), key, expected)
}

// GetSet sets key to value and returns the value it replaced (ErrNil if
// there was none). See SetIf for where it runs.
func (db *DB) GetSet(ctx context.Context, key string, value any) (proto.Value, error) {
	return db.getValue(ctx, "GET_SET :"+typeWord(value), key, value)
}

// SetWith sets key to value if when holds, with the deadline ttl gives
// (proto.TTLAfter: ms from now; proto.TTLAt: ms since 1970; TTLKeep: the
// key's), and reports whether it did: Redis's SET with any of NX, XX,
// EX, PX, EXAT, PXAT and KEEPTTL (PROTOCOL.md §12.26). See SetIf for
// where it runs.
func (db *DB) SetWith(ctx context.Context, key string, value any, when proto.KeyIf, ttl proto.TTLMode, ms int64) (bool, error) {
	return db.doBool(ctx, "SET_WITH :"+typeWord(value), key, value, when, ttl, ms)
}

// GetSetWith is SetWith returning the value key held (ErrNil if none),
// as GetSet: Redis's SET ... GET with any other option.
func (db *DB) GetSetWith(ctx context.Context, key string, value any, when proto.KeyIf, ttl proto.TTLMode, ms int64) (proto.Value, error) {
	return db.getValue(ctx, "GET_SET_WITH :"+typeWord(value), key, value, when, ttl, ms)
}

// GetDel deletes key and returns the value it held (ErrNil if none). See
// SetIf for where it runs.
func (db *DB) GetDel(ctx context.Context, key string) (proto.Value, error) {
	return db.getValue(ctx, "GET_DEL", key)
}

// LockAcquire takes the lock name for owner for a lease of ttl (rounded up
// to a millisecond) if it is free, and returns its fencing token; ok is
// false if someone holds it (PROTOCOL.md §12.7; see SetIf for where it
// runs).
func (db *DB) LockAcquire(ctx context.Context, name, owner string, ttl time.Duration) (token int64, ok bool, err error) {
	r, err := db.Do(ctx, "LOCK_ACQUIRE", name, owner, ttlMillis(ttl))
	if err != nil || r.Status == proto.StatusNull {
		return 0, false, err
	}
	if r.Value.Type != proto.TypeInt {
		return 0, false, fmt.Errorf("client: LOCK_ACQUIRE answered %s, not an INT", r.Value.Type)
	}
	return r.Value.Int, true, nil
}

// LockRefresh sets the lease of the lock name, held by token, to end ttl
// from now, and reports whether token still held it.
func (db *DB) LockRefresh(ctx context.Context, name string, token int64, ttl time.Duration) (bool, error) {
	return db.doBool(ctx, "LOCK_REFRESH", name, token, ttlMillis(ttl))
}

// LockRelease frees the lock name if token holds it, and reports whether
// it did.
func (db *DB) LockRelease(ctx context.Context, name string, token int64) (bool, error) {
	return db.doBool(ctx, "LOCK_RELEASE", name, token)
}

// Fenced runs a write of one key, command and args as Do takes them
// (Fenced(ctx, "jobs", token, "SET:STR", "out", "done")), only if token
// is at least the highest token of lock that a FENCED write to that key
// carried (PROTOCOL.md §12.11); otherwise the error matches ErrFenced. It
// runs linearizably: in a cluster, on its serial path.
func (db *DB) Fenced(ctx context.Context, lock string, token int64, command string, args ...any) (Reply, error) {
	return db.Do(ctx, "FENCED", append([]any{lock, token, Verbatim(command)}, args...)...)
}

// Once runs a write of one key, or a blocking pop (LIST_POP_LEFT_WAIT),
// command and args as Do takes them, at most once, and learns its reply
// across a broken connection (PROTOCOL.md §12.12): it is sent as ONCE with id (which must name this write alone:
// a random one, or the application's own request id), and, while the
// connection breaks after sending, up to Options.MaxRetries more times as
// RETRY on a new connection, which never runs it again but answers the
// reply it first had. A RETRY whose write the key's recent commands no
// longer list answers an error saying it is not confirmed (it may have
// run). It runs linearizably: in a cluster, on its serial path.
func (db *DB) Once(ctx context.Context, id, command string, args ...any) (Reply, error) {
	rest := append([]any{id, Verbatim(command)}, args...)
	payload, err := Encode("ONCE", rest...)
	if err != nil {
		return Reply{}, err
	}
	for attempt := 0; ; attempt++ {
		r, sent, err := db.send(ctx, payload)
		if err == nil || !sent || !brokenConn(err) || ctxErr(ctx) != nil || attempt >= db.opts.MaxRetries {
			return r, err
		}
		if payload, err = Encode("RETRY", rest...); err != nil {
			return Reply{}, err
		}
	}
}

// StrAppend appends more to the string at key, or to a number's text
// (the key then holds a string), and returns its new length (see SetIf
// for where it runs).
func (db *DB) StrAppend(ctx context.Context, key, more string) (int64, error) {
	return db.doInt(ctx, "STR_APPEND", key, more)
}

// HashIncrFloat adds by to the number text of a hash field and returns
// the sum's text, which the field then holds (HASH_INCR_FLOAT, Redis's
// HINCRBYFLOAT; a cluster runs it on its serial path).
func (db *DB) HashIncrFloat(ctx context.Context, key, field string, by float64) (string, error) {
	r, err := db.Do(ctx, "HASH_INCR_FLOAT", key, field, by)
	return string(r.Value.Str), err
}

// HashIncr adds by to the integer text of a hash field and returns the sum
// (see SetIf for where it runs; INT keys count exactly in a cluster).
func (db *DB) HashIncr(ctx context.Context, key, field string, by int64) (int64, error) {
	return db.doInt(ctx, "HASH_INCR", key, field, by)
}

// HashSetIfAbsent sets field of the hash at key to value if the field is
// absent, and reports whether it did (see SetIf for where it runs).
func (db *DB) HashSetIfAbsent(ctx context.Context, key, field, value string) (bool, error) {
	return db.doBool(ctx, "HASH_SET_IF_ABSENT", key, field, value)
}

// StrRange returns the bytes of the string at key from start to end, both
// included, negative positions counting from the end (PROTOCOL.md §12.10);
// empty when there are none.
func (db *DB) StrRange(ctx context.Context, key string, start, end int64) (string, error) {
	v, err := db.getValue(ctx, "STR_RANGE", key, start, end)
	if err != nil {
		return "", err
	}
	if v.Type != proto.TypeStr {
		return "", fmt.Errorf("client: STR_RANGE answered %s, not a STR", v.Type)
	}
	return string(v.Str), nil
}

// StrSetRange overwrites the bytes of the string at key from offset with
// value (zero bytes fill a gap; an absent key starts empty) and returns
// its new length (see SetIf for where it runs).
func (db *DB) StrSetRange(ctx context.Context, key string, offset int64, value string) (int64, error) {
	return db.doInt(ctx, "STR_SET_RANGE", key, offset, value)
}

// doInt runs a command that answers OK:INT.
func (db *DB) doInt(ctx context.Context, command string, args ...any) (int64, error) {
	r, err := db.Do(ctx, command, args...)
	if err != nil {
		return 0, err
	}
	if r.Value.Type != proto.TypeInt {
		return 0, fmt.Errorf("client: %s answered %s, not an INT", command, r.Value.Type)
	}
	return r.Value.Int, nil
}

// getValue runs a command that answers as GET does.
func (db *DB) getValue(ctx context.Context, command string, args ...any) (proto.Value, error) {
	r, err := db.Do(ctx, command, args...)
	if err != nil {
		return proto.Value{}, err
	}
	if r.Status == proto.StatusNull {
		return proto.Value{}, ErrNil
	}
	return r.Value, nil
}

// doBool runs a command that answers OK:BOOL.
func (db *DB) doBool(ctx context.Context, command string, args ...any) (bool, error) {
	r, err := db.Do(ctx, command, args...)
	if err != nil {
		return false, err
	}
	if r.Value.Type != proto.TypeBool {
		return false, fmt.Errorf("client: %s answered %s, not a BOOL", command, r.Value.Type)
	}
	return r.Value.Bool, nil
}

// ttlMillis is a time to live in whole milliseconds, rounded up.
func ttlMillis(ttl time.Duration) int64 { return (ttl + time.Millisecond - 1).Milliseconds() }

// typeWord is SET's annotation for a Go value: INT, FLOAT or STR.
func typeWord(value any) string {
	switch value.(type) {
	case int, int64, int32, uint32:
		return "INT"
	case float64, float32:
		return "FLOAT"
	}
	return "STR"
}

// Del deletes a key and reports whether it existed.
func (db *DB) Del(ctx context.Context, key string) (bool, error) {
	r, err := db.Do(ctx, "DEL", key)
	var se *ServerError
	if errors.As(err, &se) && se.Status == proto.StatusError && se.Msg == "" {
		return false, nil // a bare ERROR: there was no such key (§6.2)
	}
	return err == nil && r.Status == proto.StatusOK, err
}

// Exists reports whether a key exists.
func (db *DB) Exists(ctx context.Context, key string) (bool, error) {
	r, err := db.Do(ctx, "EXISTS", key)
	return err == nil && r.Status == proto.StatusOK, err
}

// IncrInt adds by to an INT key and returns the sum.
func (db *DB) IncrInt(ctx context.Context, key string, by int64) (int64, error) {
	r, err := db.Do(ctx, "INCR_INT", key, by)
	return r.Value.Int, err
}

// IncrIntText is IncrInt that also counts a string or FLOAT holding an
// integer's text, which becomes an INT (INCR_INT_TEXT, Redis's INCRBY;
// PROTOCOL.md §12.29; in a cluster that conversion runs on the serial
// path).
func (db *DB) IncrIntText(ctx context.Context, key string, by int64) (int64, error) {
	r, err := db.Do(ctx, "INCR_INT_TEXT", key, by)
	return r.Value.Int, err
}

// ListPush appends values (ListPushRight) and returns the new length.
func (db *DB) ListPush(ctx context.Context, key string, values ...string) (int64, error) {
	r, err := db.Do(ctx, "LIST_PUSH_RIGHT", key, values)
	return r.Value.Int, err
}

// ListPushIfPresent appends values to key's list only if it exists
// (LIST_PUSH_RIGHT_IF_PRESENT, Redis's RPUSHX): the new length, 0 when
// there is no list. It reads whether the list is there, so a cluster runs
// it on its serial path.
func (db *DB) ListPushIfPresent(ctx context.Context, key string, values ...string) (int64, error) {
	r, err := db.Do(ctx, "LIST_PUSH_RIGHT_IF_PRESENT", key, values)
	return r.Value.Int, err
}

// BitOpInto stores in dest the bytes of the keys' strings combined by
// op (proto.BitNot: of one key; shorter strings count as zero bytes)
// and returns the length stored, 0 when dest was deleted
// (STR_BIT_OP_INTO, Redis's BITOP; in a cluster every key in one
// partition).
func (db *DB) BitOpInto(ctx context.Context, dest string, op proto.BitOp, keys ...string) (int64, error) {
	r, err := db.Do(ctx, "STR_BIT_OP_INTO", dest, op, keys)
	return r.Value.Int, err
}

// HllAdd counts elements in key's HyperLogLog sketch (HLL_ADD, Redis's
// PFADD): 1 when its estimate may have changed or it was created, else 0.
func (db *DB) HllAdd(ctx context.Context, key string, elements ...string) (int64, error) {
	r, err := db.Do(ctx, "HLL_ADD", key, elements)
	return r.Value.Int, err
}

// HllCount returns the estimated number of distinct elements counted in
// the keys' sketches together (HLL_COUNT, Redis's PFCOUNT; in a cluster
// every key in one partition).
func (db *DB) HllCount(ctx context.Context, keys ...string) (int64, error) {
	r, err := db.Do(ctx, "HLL_COUNT", keys)
	return r.Value.Int, err
}

// HllMergeInto raises dest's sketch to each of the keys' (HLL_MERGE_INTO,
// Redis's PFMERGE; in a cluster every key in one partition).
func (db *DB) HllMergeInto(ctx context.Context, dest string, keys ...string) error {
	_, err := db.Do(ctx, "HLL_MERGE_INTO", dest, keys)
	return err
}

// GetBit returns the bit at offset of key's string (STR_GET_BIT, Redis's
// GETBIT): 0 beyond its end or for no key.
func (db *DB) GetBit(ctx context.Context, key string, offset int64) (int64, error) {
	r, err := db.Do(ctx, "STR_GET_BIT", key, offset)
	return r.Value.Int, err
}

// SetBit sets (bit 1) or clears (bit 0) the bit at offset of key's
// string, zero bytes filling any gap, and returns the bit it held
// (STR_SET_BIT, Redis's SETBIT). It rewrites the string, so a cluster
// runs it on its serial path.
func (db *DB) SetBit(ctx context.Context, key string, offset, bit int64) (int64, error) {
	r, err := db.Do(ctx, "STR_SET_BIT", key, offset, bit)
	return r.Value.Int, err
}

// BitCount counts the bits set in key's string from start to end, both
// included, in bytes or bits, negative positions from the end
// (STR_BIT_COUNT; 0 -1 proto.UnitByte is the whole string).
func (db *DB) BitCount(ctx context.Context, key string, start, end int64, unit proto.BitUnit) (int64, error) {
	r, err := db.Do(ctx, "STR_BIT_COUNT", key, start, end, unit)
	return r.Value.Int, err
}

// BitPos returns the first bit equal to bit (0 or 1) in key's string
// from start to end, in bytes or bits, or -1 (STR_BIT_POS).
func (db *DB) BitPos(ctx context.Context, key string, bit, start, end int64, unit proto.BitUnit) (int64, error) {
	r, err := db.Do(ctx, "STR_BIT_POS", key, bit, start, end, unit)
	return r.Value.Int, err
}

// BitPosFrom returns the first bit equal to bit from byte start to the
// end of key's string, which goes on with zero bits past its end (no key
// is all zeros); -1 when looking for a 1 that is not there
// (STR_BIT_POS_FROM, Redis's BITPOS without an end).
func (db *DB) BitPosFrom(ctx context.Context, key string, bit, start int64) (int64, error) {
	r, err := db.Do(ctx, "STR_BIT_POS_FROM", key, bit, start)
	return r.Value.Int, err
}

// ListInsert puts value beside the first element equal to pivot, before
// it (proto.EndLeft, Redis's LINSERT BEFORE) or after it (proto.EndRight):
// the new length, -1 when no element equals pivot, 0 when there is no
// list (LIST_INSERT). It reads where the pivot is, so a cluster runs it
// on its serial path.
func (db *DB) ListInsert(ctx context.Context, key string, side proto.End, pivot, value string) (int64, error) {
	r, err := db.Do(ctx, "LIST_INSERT", key, side, pivot, value)
	return r.Value.Int, err
}

// ListRange returns the elements from start to end, both included.
func (db *DB) ListRange(ctx context.Context, key string, start, end int64) ([]string, error) {
	r, err := db.Do(ctx, "LIST_RANGE", key, start, end)
	return strs(r.Value.Strs), err
}

// IncrNumber adds by to whatever holds a number and returns the sum: a
// FLOAT as IncrFloat does, or an INT or a string of a number's text,
// which becomes a FLOAT (INCR_NUMBER, Redis's INCRBYFLOAT; in a cluster
// that conversion runs on the serial path).
func (db *DB) IncrNumber(ctx context.Context, key string, by float64) (float64, error) {
	r, err := db.Do(ctx, "INCR_NUMBER", key, by)
	return r.Value.Float, err
}

// ListMove takes the element at source's from end, pushes it at dest's to
// end and returns it, in one write; ErrNil when source is empty
// (LIST_MOVE; in a cluster both keys must be in one partition: co-locate
// them with {tags}). Moving a job from a queue to a list of jobs in
// progress, and removing it from there once done, loses none when a
// worker dies.
func (db *DB) ListMove(ctx context.Context, source, dest string, from, to proto.End) (string, error) {
	r, err := db.Do(ctx, "LIST_MOVE", source, dest, from, to)
	if err != nil {
		return "", err
	}
	if r.Status == proto.StatusNull {
		return "", ErrNil
	}
	return string(r.Value.Str), nil
}

// ListPopWaitAny pops up to count elements at end from (proto.EndLeft:
// the heads) of the first of keys that has one, waiting up to wait (up
// to an hour, in whole milliseconds; 0 is one try of the keys that waits
// for nothing) for one: the key and the elements, or ErrNil when none
// came (LIST_POP_LEFT_WAIT_ANY, LIST_POP_RIGHT_WAIT_ANY; Redis's BLPOP,
// BRPOP and BLMPOP of several keys, and with 0 LMPOP). The connection
// waits too.
func (db *DB) ListPopWaitAny(ctx context.Context, from proto.End, count int64, wait time.Duration, keys ...string) (string, []string, error) {
	cmd := "LIST_POP_LEFT_WAIT_ANY"
	if from == proto.EndRight {
		cmd = "LIST_POP_RIGHT_WAIT_ANY"
	}
	r, err := db.Do(ctx, cmd, keys, count, wait.Milliseconds())
	if err != nil {
		return "", nil, err
	}
	if len(r.Value.Strs) == 0 {
		return "", nil, ErrNil
	}
	return string(r.Value.Strs[0]), strs(r.Value.Strs[1:]), nil
}

// ListMoveWait is ListMove waiting up to wait (up to an hour, in whole
// milliseconds; 0: one try) for an element: ErrNil when none came (LIST_MOVE_WAIT).
// The connection waits too.
func (db *DB) ListMoveWait(ctx context.Context, source, dest string, from, to proto.End, wait time.Duration) (string, error) {
	r, err := db.Do(ctx, "LIST_MOVE_WAIT", source, dest, from, to, wait.Milliseconds())
	if err != nil {
		return "", err
	}
	if r.Status == proto.StatusNull {
		return "", ErrNil
	}
	return string(r.Value.Str), nil
}

// SetAdd adds members and returns how many were new.
func (db *DB) SetAdd(ctx context.Context, key string, members ...string) (int64, error) {
	r, err := db.Do(ctx, "SET_ADD", key, SetOf(members))
	return r.Value.Int, err
}

// SetMembers returns a set's members.
func (db *DB) SetMembers(ctx context.Context, key string) ([]string, error) {
	r, err := db.Do(ctx, "SET_ALL", key)
	return strs(r.Value.Strs), err
}

// ListPos returns the indexes of up to count elements of a list equal to
// element (0: every match), from the rank-th match on (1: the first from
// the head, -1: the first from the tail); LIST_POS, PROTOCOL.md §12.20.
func (db *DB) ListPos(ctx context.Context, key, element string, rank, count int64) ([]int64, error) {
	return db.ListPosWithin(ctx, key, element, rank, count, 0)
}

// ListPosWithin is ListPos among the first maxlen elements the search
// meets only (the last, for a negative rank; 0: all): LIST_POS_WITHIN,
// Redis's LPOS MAXLEN.
func (db *DB) ListPosWithin(ctx context.Context, key, element string, rank, count, maxlen int64) ([]int64, error) {
	r, err := db.Do(ctx, "LIST_POS_WITHIN", key, element, rank, count, maxlen)
	var out []int64
	for _, v := range r.Value.Elems {
		out = append(out, v.Int)
	}
	return out, err
}

// SetRandom returns count distinct members of a set chosen at random (all
// of them if it has fewer), or for a negative count, -count draws that may
// repeat (SET_RANDOM, PROTOCOL.md §12.19); the set is unchanged.
func (db *DB) SetRandom(ctx context.Context, key string, count int64) ([]string, error) {
	r, err := db.Do(ctx, "SET_RANDOM", key, count)
	return strs(r.Value.Strs), err
}

// HashRandom returns count distinct fields of a hash chosen at random with
// their values (all of them if it has fewer), or for a negative count,
// -count draws that may repeat (HASH_RANDOM, PROTOCOL.md §12.19).
func (db *DB) HashRandom(ctx context.Context, key string, count int64) ([]Field, error) {
	r, err := db.Do(ctx, "HASH_RANDOM", key, count)
	var out []Field
	for i := 0; i+1 < len(r.Value.Strs); i += 2 {
		out = append(out, Field{string(r.Value.Strs[i]), string(r.Value.Strs[i+1])})
	}
	return out, err
}

// SetScan returns one page of SET_SCAN (PROTOCOL.md §12.18): members
// matching pattern ("" for all) from cursor (0 to start), about count of
// them, and the next cursor (0 at the end). A member present for the
// whole scan comes exactly once.
func (db *DB) SetScan(ctx context.Context, key string, cursor int64, pattern string, count int) (members []string, next int64, err error) {
	page, next, err := db.memberScan(ctx, "SET_SCAN", key, cursor, pattern, count)
	return strs(page), next, err
}

// HashScan is SetScan of a hash's fields, with their values.
func (db *DB) HashScan(ctx context.Context, key string, cursor int64, pattern string, count int) (fields map[string]string, next int64, err error) {
	page, next, err := db.memberScan(ctx, "HASH_SCAN", key, cursor, pattern, count)
	fields = make(map[string]string, len(page)/2)
	for i := 0; i+1 < len(page); i += 2 {
		fields[string(page[i])] = string(page[i+1])
	}
	return fields, next, err
}

// memberScan sends cmd (SET_SCAN or HASH_SCAN) and splits its reply.
func (db *DB) memberScan(ctx context.Context, cmd, key string, cursor int64, pattern string, count int) ([][]byte, int64, error) {
	r, err := db.Do(ctx, cmd, key, cursor, pattern, count)
	if err != nil {
		return nil, 0, err
	}
	if r.Value.Type != proto.TypeArr || len(r.Value.Elems) != 2 || r.Value.Elems[0].Type != proto.TypeInt {
		return nil, 0, fmt.Errorf("client: %s %s %d: %s", cmd, key, cursor, Format(r))
	}
	return r.Value.Elems[1].Strs, r.Value.Elems[0].Int, nil
}

// HashUpdate sets fields, keeping the others, and returns how many were new.
func (db *DB) HashUpdate(ctx context.Context, key string, fields map[string]string) (int64, error) {
	h := make(Hash, 0, len(fields))
	for k, v := range fields {
		h = append(h, Field{k, v})
	}
	r, err := db.Do(ctx, "HASH_UPDATE", key, h)
	return r.Value.Int, err
}

// HashGet returns a field's value; ErrNil when the key or the field is
// missing.
func (db *DB) HashGet(ctx context.Context, key, field string) (string, error) {
	r, err := db.Do(ctx, "HASH_GET", key, field)
	var se *ServerError
	if errors.As(err, &se) && se.Status == proto.StatusError && se.Msg == proto.MsgBadKey {
		return "", ErrNil
	}
	return string(r.Value.Str), err
}

// HashAll returns every field of a hash.
func (db *DB) HashAll(ctx context.Context, key string) (map[string]string, error) {
	r, err := db.Do(ctx, "HASH_ALL", key)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(r.Value.Strs)/2)
	for i := 0; i+1 < len(r.Value.Strs); i += 2 {
		out[string(r.Value.Strs[i])] = string(r.Value.Strs[i+1])
	}
	return out, nil
}

// Publish sends a message to a channel's subscribers.
func (db *DB) Publish(ctx context.Context, channel, message string) error {
	_, err := db.Do(ctx, "PUBLISH", channel, message)
	return err
}

func strs(b [][]byte) []string {
	out := make([]string, len(b))
	for i, s := range b {
		out[i] = string(s)
	}
	return out
}

// Pipeline queues commands to send on one connection back to back, each
// a request of its own (no PIPE frame): one round trip for all of them.
type Pipeline struct {
	db   *DB
	reqs [][]byte
	tx   bool
	err  error
}

// Pipeline starts a batch of commands.
func (db *DB) Pipeline() *Pipeline { return &Pipeline{db: db} }

// TxPipeline starts a batch that runs as one transaction (TRANSACT_BEGIN
// ... TRANSACT_COMMIT): Exec returns the commands' replies from the commit.
func (db *DB) TxPipeline() *Pipeline { return &Pipeline{db: db, tx: true} }

// Do queues a command; an encoding error surfaces from Exec.
func (p *Pipeline) Do(command string, args ...any) *Pipeline {
	r, err := Encode(command, args...)
	if err == nil {
		if c, _ := proto.MatchCommand(r); c.ChangesSession() {
			err = fmt.Errorf("%w: %s", ErrSessionCommand, c)
		}
	}
	if err != nil && p.err == nil {
		p.err = err
	}
	p.reqs = append(p.reqs, r)
	return p
}

// Exec sends the queued commands and returns one reply per command (error
// replies included: check each with its Status). It is not retried: some
// commands may have run when a connection fails.
func (p *Pipeline) Exec(ctx context.Context) ([]Reply, error) {
	if p.err != nil {
		return nil, p.err
	}
	reqs := p.reqs
	p.reqs = nil
	if p.tx {
		reqs = append(append([][]byte{[]byte("TRANSACT_BEGIN")}, reqs...), []byte("TRANSACT_COMMIT"))
	}
	c, err := p.db.get(ctx)
	if err != nil {
		return nil, err
	}
	raws, err := c.exchange(ctx, reqs)
	p.db.put(c, err)
	if err != nil {
		return nil, err
	}
	replies := make([]Reply, len(raws))
	for i, raw := range raws {
		if replies[i], err = proto.ParseReply(raw); err != nil {
			return nil, err
		}
	}
	if !p.tx {
		return replies, nil
	}
	commit := replies[len(replies)-1]
	if commit.Status != proto.StatusOK || commit.Value.Type != proto.TypeAgg {
		return nil, fmt.Errorf("%w: %s", ErrNotCommitted, Format(commit))
	}
	return commit.Value.Replies, nil
}
