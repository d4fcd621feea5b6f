package router

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"sync"

	"github.com/vanitydb/vanity/proto"
)

// KeyLister is what SCAN, KEYS and DB_SIZE need of a backend. Keys live in
// a fixed number of partitions, whatever node holds them, so a cursor is a
// partition and the last key returned from it: a partition that moves
// between nodes during a scan is listed by whichever complete copy
// answers, and a key present for the whole scan is returned at least once.
type KeyLister interface {
	// Partitions is the number of partitions.
	Partitions() int
	// ListKeys returns up to max keys of partition p in db, in byte order,
	// after `after` and matching pattern (all when empty): the keys the
	// replicas level asks for hold.
	ListKeys(ctx context.Context, db int, level proto.Consistency, p int, after, pattern []byte, max int) (KeyPage, error)
	// CountKeys returns the number of keys in db, read at level.
	CountKeys(ctx context.Context, db int, level proto.Consistency) (int64, error)
}

// ExpiryCounter is a KeyLister that also counts the keys with a deadline
// ahead, for INFO's keyspace section (Redis's expires and avg_ttl).
type ExpiryCounter interface {
	// CountExpiring returns how many keys of db have a deadline ahead, and
	// the milliseconds left to those deadlines, summed.
	CountExpiring(ctx context.Context, db int) (n, msLeft int64, err error)
}

// KeyPage is a page of one partition's keys.
type KeyPage struct {
	Keys [][]byte // in byte order
	// More: keys are left after Last, where the next page starts. Last is
	// the page's last key or, when a backend dropped keys from the page's
	// end (keys a lagging copy still held), the last key it looked at.
	More bool
	Last []byte
}

// Cut returns p holding its first n keys at most (n ≥ 1).
func (p KeyPage) Cut(n int) KeyPage {
	if len(p.Keys) > n {
		p.Keys, p.More, p.Last = p.Keys[:n], true, p.Keys[n-1]
	}
	return p
}

// ErrBadCursor is wrapped by the errors of a SCAN cursor that is not one
// this server returned.
var ErrBadCursor = errors.New("invalid SCAN cursor")

// cursor is where a scan stands: partition part, after key after. part ==
// the number of partitions is the end.
type cursor struct {
	part  int
	after []byte
}

// parseCursor reads a cursor: "0" starts, "p" is the start of partition
// p, "p.hex" follows the key hex in partition p.
func parseCursor(s []byte, parts int) (cursor, error) {
	num, key, dotted := bytes.Cut(s, []byte("."))
	p, err := strconv.Atoi(string(num))
	if err != nil || p < 0 || p >= parts {
		return cursor{}, fmt.Errorf("%w %q: use 0 to start, then the cursor the last SCAN returned", ErrBadCursor, s)
	}
	c := cursor{part: p}
	if dotted {
		if c.after, err = hex.DecodeString(string(key)); err != nil || len(c.after) == 0 {
			return cursor{}, fmt.Errorf("%w %q: use 0 to start, then the cursor the last SCAN returned", ErrBadCursor, s)
		}
	}
	return c, nil
}

// appendCursor writes c; the end is "0", as the start is.
func appendCursor(dst []byte, c cursor, parts int) []byte {
	if c.part >= parts {
		return append(dst, '0')
	}
	dst = strconv.AppendInt(dst, int64(c.part), 10)
	if len(c.after) > 0 {
		dst = hex.AppendEncode(append(dst, '.'), c.after)
	}
	return dst
}

// scanWidth is how many partitions a scan asks for at once.
const scanWidth = 16

// scan returns about count keys from c on (fewer at the end, never more)
// and where the next call continues.
func scan(ctx context.Context, kl KeyLister, db int, level proto.Consistency, c cursor, pattern []byte, count int) ([][]byte, cursor, error) {
	parts := kl.Partitions()
	var keys [][]byte
	for c.part < parts && len(keys) < count {
		n := min(scanWidth, parts-c.part)
		type page struct {
			KeyPage
			err error
		}
		pages := make([]page, n)
		var wg sync.WaitGroup
		for i := range n {
			after := []byte(nil)
			if i == 0 {
				after = c.after
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				pg := &pages[i]
				pg.KeyPage, pg.err = kl.ListKeys(ctx, db, level, c.part+i, after, pattern, count)
			}()
		}
		wg.Wait()
		for i := range n {
			pg := pages[i]
			if pg.err != nil {
				return nil, c, pg.err
			}
			pg.KeyPage = pg.Cut(count - len(keys))
			keys = append(keys, pg.Keys...)
			if pg.More {
				return keys, cursor{part: c.part + i, after: pg.Last}, nil
			}
			if len(keys) == count {
				return keys, cursor{part: c.part + i + 1}, nil
			}
		}
		c = cursor{part: c.part + n}
	}
	return keys, c, nil
}

// randomKeyPage is how many keys RANDOM_KEY lists to pick one from.
const randomKeyPage = 64

// randomKey answers RANDOM_KEY: a key picked at random among the first
// keys listed from a partition picked at random (the next ones when it is
// empty), or NULL for an empty database. A key of a sparse partition is
// likelier than one of a full partition: random, not uniform.
func (c *conn) randomKey(out []byte) []byte {
	kl, ok := c.srv.cfg.Backend.(KeyLister)
	if !ok {
		return proto.AppendErrorMsg(out, "this server cannot list keys")
	}
	n, err := kl.CountKeys(c.ctx, c.sess.db, c.sess.cons[0])
	switch {
	case err != nil:
		return c.backendError(out, err)
	case n == 0:
		return append(out, proto.ReplyNull...) // without a walk over every partition
	}
	for _, cur := range []cursor{{part: rand.IntN(kl.Partitions())}, {}} {
		keys, _, err := scan(c.ctx, kl, c.sess.db, c.sess.cons[0], cur, nil, randomKeyPage)
		if err != nil {
			return c.backendError(out, err)
		}
		if len(keys) > 0 {
			return proto.AppendStr(append(out, proto.ReplyOK...), keys[rand.IntN(len(keys))])
		}
	}
	return append(out, proto.ReplyNull...)
}

// scanCommand answers SCAN: OK:ARR (2)[:STR cursor :LIST keys].
func (c *conn) scanCommand(out []byte, req *proto.Request) []byte {
	kl, ok := c.srv.cfg.Backend.(KeyLister)
	if !ok {
		return proto.AppendErrorMsg(out, "this server cannot list keys")
	}
	if req.Int[0] < 1 || req.Int[0] > proto.MaxScanCount {
		return proto.AppendErrorMsg(out, fmt.Sprintf("SCAN count must be between 1 and %d", proto.MaxScanCount))
	}
	cur, err := parseCursor(req.Str[0], kl.Partitions())
	if err != nil {
		return proto.AppendErrorMsg(out, err.Error())
	}
	keys, next, err := scan(c.ctx, kl, c.sess.db, c.sess.cons[0], cur, req.Str[1], int(req.Int[0]))
	if err != nil {
		return c.backendError(out, err)
	}
	out = proto.AppendContainerHeader(append(out, proto.ReplyOK...), proto.TypeArr, 2)
	out = proto.AppendStr(out, appendCursor(nil, next, kl.Partitions()))
	out = proto.AppendStrings(out, proto.TypeList, keys)
	return proto.AppendContainerEnd(out, proto.TypeArr)
}

// keysCommand answers KEYS: every matching key, as long as the reply stays
// within MaxReply.
func (c *conn) keysCommand(out []byte, req *proto.Request) []byte {
	kl, ok := c.srv.cfg.Backend.(KeyLister)
	if !ok {
		return proto.AppendErrorMsg(out, "this server cannot list keys")
	}
	var all [][]byte
	size := 0
	for cur := (cursor{}); cur.part < kl.Partitions(); {
		var keys [][]byte
		var err error
		keys, cur, err = scan(c.ctx, kl, c.sess.db, c.sess.cons[0], cur, req.Str[0], proto.MaxScanCount)
		if err != nil {
			return c.backendError(out, err)
		}
		for _, k := range keys {
			size += len(k) + 12
		}
		if size > c.srv.cfg.MaxReply {
			return proto.AppendErrorMsg(out, fmt.Sprintf(
				"KEYS matches more than --max-reply (%d bytes) of keys: use SCAN with a cursor", c.srv.cfg.MaxReply))
		}
		all = append(all, keys...)
	}
	return proto.AppendStrings(append(out, proto.ReplyOK...), proto.TypeList, all)
}

// dbSizeCommand answers DB_SIZE.
func (c *conn) dbSizeCommand(out []byte) []byte {
	kl, ok := c.srv.cfg.Backend.(KeyLister)
	if !ok {
		return proto.AppendErrorMsg(out, "this server cannot count keys")
	}
	n, err := kl.CountKeys(c.ctx, c.sess.db, c.sess.cons[0])
	if err != nil {
		return c.backendError(out, err)
	}
	return proto.AppendInt(append(out, proto.ReplyOK...), n)
}
