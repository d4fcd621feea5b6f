package router

import (
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// The slow log (Redis's SLOWLOG): the latest data commands that took at
// least a threshold, newest first, at most a fixed number of them. A held
// command's time is its job's, from the connection handing its held
// commands to the backend until their replies are ready: storage, and in
// a cluster the nodes, their copies and the network (commands pipelined
// together share their job's time). The commands that walk a database
// and run away from the loop (SCAN, KEYS, DB_SIZE, RANDOM_KEY, PERSIST)
// count from their start to their reply. A blocking pop's wait is not
// counted (as in Redis), nor are session and server commands, which
// answer at once.

// SlowLogConfig says which commands the slow log keeps. The zero value
// keeps none.
type SlowLogConfig struct {
	// SlowerThan is the least time a command takes to be kept; negative:
	// none is.
	SlowerThan time.Duration
	// MaxLen is how many entries the log keeps (the oldest go first).
	MaxLen int
}

// The defaults of vanity and vanity-router, Redis's, and the most entries
// a log may keep (each holds up to 32 arguments of up to 128 bytes).
const (
	DefaultSlowerThan = 10 * time.Millisecond
	DefaultSlowLogLen = 128
	MaxSlowLogLen     = 100_000
)

// The bounds of what an entry keeps of a command, Redis's: at most
// slowMaxArgs arguments (the last standing for those left out), each cut
// to slowMaxArg bytes.
const (
	slowMaxArgs = 32
	slowMaxArg  = 128
)

// SlowEntry is one command in the slow log.
type SlowEntry struct {
	ID   int64
	At   time.Time
	Took time.Duration
	Args [][]byte // the command as its client sent it, cut (slowArgs)
	Addr string   // the client's address
	Name string   // the connection's name (CLIENT SETNAME), if any
}

// slowLog is one process's slow log, shared by its connections.
type slowLog struct {
	cfg SlowLogConfig

	mu      sync.Mutex
	next    int64       // the next entry's id: ids keep growing across a reset
	entries []SlowEntry // a ring of cfg.MaxLen at most; oldest at first
	first   int         // where the oldest entry is
}

func newSlowLog(cfg SlowLogConfig) *slowLog { return &slowLog{cfg: cfg} }

// config is what CONFIG GET answers of the log's settings, under Redis's
// names.
func (l *slowLog) config() [][2]string {
	return [][2]string{
		{"slowlog-log-slower-than", strconv.FormatInt(l.cfg.SlowerThan.Microseconds(), 10)},
		{"slowlog-max-len", strconv.Itoa(l.cfg.MaxLen)},
	}
}

// slow reports whether a command that took took is kept.
func (l *slowLog) slow(took time.Duration) bool {
	return l.cfg.MaxLen > 0 && l.cfg.SlowerThan >= 0 && took >= l.cfg.SlowerThan
}

// add keeps an entry for a command; args are copied (cut), so they may be
// reused once add returns.
func (l *slowLog) add(at time.Time, took time.Duration, args [][]byte, addr, name string) {
	e := SlowEntry{At: at, Took: took, Args: slowArgs(args), Addr: addr, Name: name}
	l.mu.Lock()
	defer l.mu.Unlock()
	e.ID = l.next
	l.next++
	if len(l.entries) < l.cfg.MaxLen {
		l.entries = append(l.entries, e)
		return
	}
	l.entries[l.first] = e
	l.first = (l.first + 1) % len(l.entries)
}

// latest returns the n newest entries (all of them when n is negative),
// newest first.
func (l *slowLog) latest(n int) []SlowEntry {
	l.mu.Lock()
	defer l.mu.Unlock()
	if n < 0 || n > len(l.entries) {
		n = len(l.entries)
	}
	out := make([]SlowEntry, n)
	for i := range out {
		out[i] = l.entries[(l.first+len(l.entries)-1-i)%len(l.entries)]
	}
	return out
}

// len returns the number of entries kept.
func (l *slowLog) len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.entries)
}

// reset forgets every entry; ids go on from where they were.
func (l *slowLog) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.first = nil, 0
}

// slowArgs copies what an entry keeps of args: at most slowMaxArgs, the
// last of them saying how many more there were, each at most slowMaxArg
// bytes and a note of how many more it had.
func slowArgs(args [][]byte) [][]byte {
	n := len(args)
	if n > slowMaxArgs {
		n = slowMaxArgs - 1
	}
	out := make([][]byte, 0, min(len(args), slowMaxArgs))
	for _, a := range args[:n] {
		if len(a) > slowMaxArg {
			a = append(append([]byte(nil), a[:slowMaxArg]...), "... ("+strconv.Itoa(len(a)-slowMaxArg)+" more bytes)"...)
		} else {
			a = append([]byte(nil), a...)
		}
		out = append(out, a)
	}
	if n < len(args) {
		out = append(out, []byte("... ("+strconv.Itoa(len(args)-n)+" more arguments)"))
	}
	return out
}

// logAway puts a command run away from the loop (exec) in the slow log
// if it took long enough since start: a Redis command as its client sent
// it, a Vanity one as its request's text.
func (c *conn) logAway(req *proto.Request, start time.Time) {
	took := time.Since(start)
	if !c.srv.slow.slow(took) {
		return
	}
	args := c.cur.args
	if c.wire != wireRESP {
		args = [][]byte{proto.AppendRequest(nil, req)}
	}
	c.srv.slow.add(start, took, args, c.remote.String(), c.name)
}

// slowLogHelp is SLOWLOG HELP's reply, a line each.
var slowLogHelp = []string{
	"SLOWLOG GET|LEN|RESET|HELP: the data commands this process served slowly.",
	"GET [count]",
	"    The newest count entries (10 by default; -1: every one), newest first: each its id,",
	"    unix time, microseconds taken, the command's arguments, client address and name.",
	"LEN",
	"    How many entries the log holds.",
	"RESET",
	"    Empties the log (ids go on).",
	"HELP",
	"    This text.",
}

// slowLogRESP is SLOWLOG GET, LEN, RESET and HELP, with Redis's replies
// and refusals. The log holds other users' keys and values: an ADMIN's.
func (c *conn) slowLogRESP(args [][]byte) {
	if c.sess.acct == nil {
		c.out = resp.AppendError(c.out, "NOAUTH", "Authentication required.")
		return
	}
	sub := strings.ToUpper(string(args[1]))
	if sub != "HELP" && c.refusedNonAdmin("SLOWLOG shows other users' commands: an ADMIN's command") {
		return
	}
	l := c.srv.slow
	switch {
	case sub == "GET" && len(args) <= 3:
		n := int64(10)
		if len(args) == 3 {
			var err error
			if n, err = strconv.ParseInt(string(args[2]), 10, 64); err != nil || n < -1 {
				c.out = resp.AppendError(c.out, "ERR", "count should be greater than or equal to -1")
				return
			}
		}
		c.out = appendSlowEntries(c.out, l.latest(int(min(n, math.MaxInt32))))
	case sub == "LEN" && len(args) == 2:
		c.out = resp.AppendInt(c.out, int64(l.len()))
	case sub == "RESET" && len(args) == 2:
		l.reset()
		c.out = resp.AppendSimple(c.out, "OK")
	case sub == "HELP" && len(args) == 2:
		c.out = resp.AppendArray(c.out, len(slowLogHelp))
		for _, line := range slowLogHelp {
			c.out = resp.AppendSimple(c.out, line)
		}
	case sub == "LEN" || sub == "RESET" || sub == "HELP":
		c.out = resp.AppendErr(c.out, resp.ArityError("slowlog|"+strings.ToLower(sub)))
	case sub == "GET":
		c.out = resp.AppendError(c.out, "ERR", "unknown subcommand or wrong number of arguments for 'get'. Try SLOWLOG HELP.")
	default:
		c.out = resp.AppendError(c.out, "ERR", "unknown subcommand '"+string(args[1][:min(len(args[1]), 128)])+"'. Try SLOWLOG HELP.")
	}
}

// appendSlowEntries appends SLOWLOG GET's reply: each entry an array of
// its id, unix time, microseconds, arguments, client address and name.
func appendSlowEntries(dst []byte, es []SlowEntry) []byte {
	dst = resp.AppendArray(dst, len(es))
	for _, e := range es {
		dst = resp.AppendArray(dst, 6)
		dst = resp.AppendInt(dst, e.ID)
		dst = resp.AppendInt(dst, e.At.Unix())
		dst = resp.AppendInt(dst, e.Took.Microseconds())
		dst = resp.AppendArray(dst, len(e.Args))
		for _, a := range e.Args {
			dst = resp.AppendBulk(dst, a)
		}
		dst = resp.AppendBulk(resp.AppendBulk(dst, e.Addr), e.Name)
	}
	return dst
}
