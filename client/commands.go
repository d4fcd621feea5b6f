package client

import (
	"errors"
	"fmt"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// One method per command, named after the seed client's methods (§10.3).

func (c *Client) Ping(msg string) (Reply, error) { return c.Do("PING", Verbatim(msg)) }
func (c *Client) Get(key string) (Reply, error)  { return c.Do("GET", key) }

// Set stores a STR, INT or FLOAT, chosen by the Go type of value.
func (c *Client) Set(key string, value any) (Reply, error) {
	return c.Do("SET :"+typeWord(value), key, value)
}

// SetTTL sets key to value, typed as Set types it, with a time to live
// (rounded up to a millisecond), in one write: the key is never there
// without its deadline.
func (c *Client) SetTTL(key string, value any, ttl time.Duration) (Reply, error) {
	return c.Do("SET_TTL :"+typeWord(value), key, value, ttlMillis(ttl))
}

// SetIf sets key to value if it holds expected (of the same type); the
// reply is OK:BOOL true if it did (PROTOCOL.md §12.6).
func (c *Client) SetIf(key string, expected, value any) (Reply, error) {
	return c.Do("SET_IF :"+typeWord(value), key, expected, value)
}

// SetIfAbsent sets key to value if it does not exist.
func (c *Client) SetIfAbsent(key string, value any) (Reply, error) {
	return c.Do("SET_IF_ABSENT :"+typeWord(value), key, value)
}

// DelIf deletes key if it holds expected.
func (c *Client) DelIf(key string, expected any) (Reply, error) {
	return c.Do("DEL_IF :"+typeWord(expected), key, expected)
}

func (c *Client) Delete(key string) (Reply, error)          { return c.Do("DEL", key) }
func (c *Client) Persist() (Reply, error)                   { return c.Do("PERSIST") }
func (c *Client) Reset() (Reply, error)                     { return c.Do("RESET") }
func (c *Client) Auth(user, password string) (Reply, error) { return c.Do("AUTH", user, password) }
func (c *Client) SwitchDB(db int) (Reply, error)            { return c.Do("SWITCH_DB", db) }
func (c *Client) AddUser(user, password string) (Reply, error) {
	return c.Do("ADD_USER", user, password)
}
func (c *Client) EditUser(user string, level proto.Level) (Reply, error) {
	return c.Do("EDIT_USER", user, level)
}
func (c *Client) DelUser(user string) (Reply, error) { return c.Do("DEL_USER", user) }
func (c *Client) ChangePassword(password string) (Reply, error) {
	return c.Do("CHANGE_PASSWORD", password)
}
func (c *Client) Type(key string) (Reply, error)              { return c.Do("TYPE", key) }
func (c *Client) Exists(key string) (Reply, error)            { return c.Do("EXISTS", key) }
func (c *Client) IncrInt(key string, by int64) (Reply, error) { return c.Do("INCR_INT", key, by) }
func (c *Client) DecrInt(key string, by int64) (Reply, error) { return c.Do("INCR_INT", key, -by) }
func (c *Client) IncrFloat(key string, by float64) (Reply, error) {
	return c.Do("INCR_FLOAT", key, by)
}
func (c *Client) DecrFloat(key string, by float64) (Reply, error) {
	return c.Do("INCR_FLOAT", key, -by)
}
func (c *Client) StrLen(key string) (Reply, error)      { return c.Do("STR_LEN", key) }
func (c *Client) ManyGet(keys ...string) (Reply, error) { return c.Do("MANY_GET", keys) }

func (c *Client) ListLen(key string) (Reply, error)              { return c.Do("LIST_LEN", key) }
func (c *Client) ListGet(key string, index int64) (Reply, error) { return c.Do("LIST_GET", key, index) }
func (c *Client) ListSet(key string, index int64, value string) (Reply, error) {
	return c.Do("LIST_SET", key, index, value)
}
func (c *Client) ListPushLeft(key string, values ...string) (Reply, error) {
	return c.Do("LIST_PUSH_LEFT", key, values)
}
func (c *Client) ListPushRight(key string, values ...string) (Reply, error) {
	return c.Do("LIST_PUSH_RIGHT", key, values)
}
func (c *Client) ListPopLeft(key string, count int64) (Reply, error) {
	return c.Do("LIST_POP_LEFT", key, count)
}
func (c *Client) ListPopRight(key string, count int64) (Reply, error) {
	return c.Do("LIST_POP_RIGHT", key, count)
}
func (c *Client) ListRange(key string, start, end int64) (Reply, error) {
	return c.Do("LIST_RANGE", key, start, end)
}
func (c *Client) ListTrim(key string, start, end int64) (Reply, error) {
	return c.Do("LIST_TRIM", key, start, end)
}
func (c *Client) ListRemove(key, value string, count int64) (Reply, error) {
	return c.Do("LIST_REMOVE", key, value, count)
}

func (c *Client) SetAdd(key string, members ...string) (Reply, error) {
	return c.Do("SET_ADD", key, SetOf(members))
}
func (c *Client) SetAll(key string) (Reply, error) { return c.Do("SET_ALL", key) }
func (c *Client) SetRemove(key string, count int64) (Reply, error) {
	return c.Do("SET_REMOVE", key, count)
}
func (c *Client) SetDiscard(key string, members ...string) (Reply, error) {
	return c.Do("SET_DISCARD", key, SetOf(members))
}
func (c *Client) SetLen(key string) (Reply, error) { return c.Do("SET_LEN", key) }
func (c *Client) SetContains(key, member string) (Reply, error) {
	return c.Do("SET_CONTAINS", key, member)
}
func (c *Client) SetMove(src, dst, member string) (Reply, error) {
	return c.Do("SET_MOVE", src, dst, member)
}
func (c *Client) SetUnion(keys ...string) (Reply, error) { return c.Do("SET_UNION", keys) }
func (c *Client) SetUnionInto(dst string, keys ...string) (Reply, error) {
	return c.Do("SET_UNION_INTO", dst, keys)
}
func (c *Client) SetUnionLen(keys ...string) (Reply, error)  { return c.Do("SET_UNION_LEN", keys) }
func (c *Client) SetIntersect(keys ...string) (Reply, error) { return c.Do("SET_INTERSECT", keys) }
func (c *Client) SetIntersectInto(dst string, keys ...string) (Reply, error) {
	return c.Do("SET_INTERSECT_INTO", dst, keys)
}
func (c *Client) SetIntersectLen(keys ...string) (Reply, error) {
	return c.Do("SET_INTERSECT_LEN", keys)
}

// SetIntersectLenUpTo is SetIntersectLen capped at limit (0: none).
func (c *Client) SetIntersectLenUpTo(limit int64, keys ...string) (Reply, error) {
	return c.Do("SET_INTERSECT_LEN_UPTO", keys, limit)
}
func (c *Client) SetDiff(a, b string) (Reply, error) { return c.Do("SET_DIFF", a, b) }
func (c *Client) SetDiffInto(dst, a, b string) (Reply, error) {
	return c.Do("SET_DIFF_INTO", dst, a, b)
}
func (c *Client) SetDiffLen(a, b string) (Reply, error) { return c.Do("SET_DIFF_LEN", a, b) }

func (c *Client) HashSet(key string, h Hash) (Reply, error)    { return c.Do("HASH_SET", key, h) }
func (c *Client) HashUpdate(key string, h Hash) (Reply, error) { return c.Do("HASH_UPDATE", key, h) }
func (c *Client) HashAll(key string) (Reply, error)            { return c.Do("HASH_ALL", key) }
func (c *Client) HashGet(key, field string) (Reply, error)     { return c.Do("HASH_GET", key, field) }
func (c *Client) HashContains(key, field string) (Reply, error) {
	return c.Do("HASH_CONTAINS", key, field)
}
func (c *Client) HashLen(key string) (Reply, error) { return c.Do("HASH_LEN", key) }
func (c *Client) HashKeyLen(key, field string) (Reply, error) {
	return c.Do("HASH_KEY_LEN", key, field)
}
func (c *Client) HashKeys(key string) (Reply, error)   { return c.Do("HASH_KEYS", key) }
func (c *Client) HashValues(key string) (Reply, error) { return c.Do("HASH_VALUES", key) }
func (c *Client) HashRemove(key string, fields ...string) (Reply, error) {
	return c.Do("HASH_REMOVE", key, fields)
}
func (c *Client) HashManyGet(key string, fields ...string) (Reply, error) {
	return c.Do("HASH_MANY_GET", key, fields)
}

func (c *Client) SetExpiry(key string, seconds float64) (Reply, error) {
	return c.Do("SET_EXPIRY", key, seconds)
}
func (c *Client) GetExpiry(key string) (Reply, error)   { return c.Do("GET_EXPIRY", key) }
func (c *Client) ClearExpiry(key string) (Reply, error) { return c.Do("CLEAR_EXPIRY", key) }

func (c *Client) TransactBegin() (Reply, error)   { return c.Do("TRANSACT_BEGIN") }
func (c *Client) TransactCommit() (Reply, error)  { return c.Do("TRANSACT_COMMIT") }
func (c *Client) TransactDiscard() (Reply, error) { return c.Do("TRANSACT_DISCARD") }

// TransactWatch watches keys: the next TransactCommit runs nothing, and
// answers NULL, if one of them changes first (PROTOCOL.md §12.21).
func (c *Client) TransactWatch(keys ...string) (Reply, error) { return c.Do("TRANSACT_WATCH", keys) }
func (c *Client) TransactUnwatch() (Reply, error)             { return c.Do("TRANSACT_UNWATCH") }

// KeyVersion reads key's version, for a transaction's Check.
func (c *Client) KeyVersion(key string) (Reply, error) { return c.Do("KEY_VERSION", key) }

func (c *Client) Publish(channel, message string) (Reply, error) {
	return c.Do("PUBLISH", channel, message)
}
func (c *Client) Subscribe(channel string) (Reply, error)   { return c.Do("SUBSCRIBE", channel) }
func (c *Client) Subscribed() (Reply, error)                { return c.Do("SUBSCRIBED") }
func (c *Client) Unsubscribe(channel string) (Reply, error) { return c.Do("UNSUBSCRIBE", channel) }
func (c *Client) UnsubscribeAll() (Reply, error)            { return c.Do("UNSUBSCRIBE_ALL") }

func (c *Client) Consistency(read, write proto.Consistency) (Reply, error) {
	return c.Do("CONSISTENCY", read, write)
}
func (c *Client) GetConsistency() (Reply, error) { return c.Do("GET_CONSISTENCY") }

// Exit asks the server to close the connection (no reply).
func (c *Client) Exit() error { return c.SendOnly([]byte("EXIT")) }

// Terminate asks the server to stop (no reply; ADMIN only).
func (c *Client) Terminate() error { return c.SendOnly([]byte("TERMINATE")) }

// Pipe batches requests into one PIPE request.
type Pipe struct {
	c    *Client
	reqs [][]byte
	err  error
}

// Pipe starts a batch.
func (c *Client) Pipe() *Pipe { return &Pipe{c: c} }

// Add queues a command; an encoding error surfaces from Execute.
func (p *Pipe) Add(command string, args ...any) *Pipe {
	r, err := Encode(command, args...)
	if err != nil && p.err == nil {
		p.err = err
	}
	p.reqs = append(p.reqs, r)
	return p
}

// Execute sends "PIPE(n)" and the queued requests and returns the reply,
// whose Value.Replies holds one reply per request.
func (p *Pipe) Execute() (Reply, error) {
	if p.err != nil {
		return Reply{}, p.err
	}
	b := []byte("PIPE(")
	b = append(b, []byte(itoa(len(p.reqs)))...)
	b = append(b, ')')
	for _, r := range p.reqs {
		b = append(b, r...)
	}
	p.reqs = p.reqs[:0]
	raw, err := p.c.Raw(b)
	if err != nil {
		return Reply{}, err
	}
	return proto.ParseReply(raw)
}

func itoa(n int) string {
	b, _ := Encode("", n)
	return string(b)
}

// Tx queues commands to run atomically: Commit sends TRANSACT_BEGIN, the
// commands and TRANSACT_COMMIT as one PIPE and returns the commit's reply,
// whose Value.Replies holds one reply per command.
type Tx struct{ p *Pipe }

// Scan returns one page of SCAN (PROTOCOL.md §12.4): up to count keys
// matching pattern from cursor ("0" to start) and the next cursor ("0" at
// the end).
func (c *Client) Scan(cursor, pattern string, count int) (keys []string, next string, err error) {
	r, err := c.Do("SCAN", cursor, pattern, count)
	if err != nil {
		return nil, "", err
	}
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeArr || len(r.Value.Elems) != 2 {
		return nil, "", fmt.Errorf("client: SCAN %s: %s", cursor, Format(r))
	}
	for _, k := range r.Value.Elems[1].Strs {
		keys = append(keys, string(k))
	}
	return keys, string(r.Value.Elems[0].Str), nil
}

// Keys returns every key matching pattern (small databases; Scan else).
func (c *Client) Keys(pattern string) (Reply, error) { return c.Do("KEYS", pattern) }

// DBSize returns the number of keys in the current database.
func (c *Client) DBSize() (Reply, error) { return c.Do("DB_SIZE") }

// Info returns the server's state: "section.name" to value (§12.5).
func (c *Client) Info() (map[string]string, error) {
	r, err := c.Do("INFO")
	if err != nil {
		return nil, err
	}
	if r.Status != proto.StatusOK || r.Value.Type != proto.TypeHash {
		return nil, fmt.Errorf("client: INFO: %s", Format(r))
	}
	out := make(map[string]string, len(r.Value.Strs)/2)
	for i := 0; i+1 < len(r.Value.Strs); i += 2 {
		out[string(r.Value.Strs[i])] = string(r.Value.Strs[i+1])
	}
	return out, nil
}

// Tx starts a transaction batch.
func (c *Client) Tx() *Tx { return &Tx{p: c.Pipe().Add("TRANSACT_BEGIN")} }

// Add queues a command.
func (t *Tx) Add(command string, args ...any) *Tx {
	t.p.Add(command, args...)
	return t
}

// Check makes the transaction run only if key's version is still version
// (KEY_VERSION_IS, checked before anything runs: PROTOCOL.md §12.21); if
// it is not, Commit returns ErrChanged.
func (t *Tx) Check(key string, version int64) *Tx {
	t.p.Add("KEY_VERSION_IS", key, version)
	return t
}

// ErrNotCommitted is returned when the server could not commit a batch
// (a malformed command); the transaction has been discarded.
var ErrNotCommitted = errors.New("client: transaction not committed")

// ErrChanged is returned by Commit when a key the transaction checked (or
// the session watched) changed: nothing of it ran.
var ErrChanged = errors.New("client: a checked key changed; the transaction ran nothing")

// Commit runs the queued commands atomically.
func (t *Tx) Commit() (Reply, error) {
	t.p.Add("TRANSACT_COMMIT")
	r, err := t.p.Execute()
	if err != nil {
		return Reply{}, err
	}
	n := len(r.Value.Replies)
	if r.Status == proto.StatusOK && n > 0 && r.Value.Replies[n-1].Status == proto.StatusNull {
		return r.Value.Replies[n-1], ErrChanged
	}
	if r.Status != proto.StatusOK || n == 0 || r.Value.Replies[n-1].Value.Type != proto.TypeAgg {
		if n > 0 && r.Value.Replies[0].Status == proto.StatusOK {
			t.p.c.TransactDiscard()
		}
		return r, fmt.Errorf("%w: %s", ErrNotCommitted, Format(r))
	}
	return r.Value.Replies[n-1], nil
}
