package resp

import (
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/vanitydb/vanity/proto"
)

// RedisVersion is the Redis whose commands and replies the listener
// follows: the version HELLO and INFO give, which clients and tools parse
// to tell what they may send (Vanity's own is INFO's version field).
const RedisVersion = "7.0.0"

// AppendHello appends HELLO's reply in protocol version v, for the
// connection whose CLIENT ID is id: a map (RESP3) or its flat array
// (RESP2). The server is one Redis to its clients, a router too (mode
// standalone: they need no cluster client).
func AppendHello(dst []byte, v Version, id int64) []byte {
	dst = AppendMap(dst, v, 7)
	dst = AppendBulk(AppendBulk(dst, "server"), "vanity")
	dst = AppendBulk(AppendBulk(dst, "version"), RedisVersion)
	dst = AppendInt(AppendBulk(dst, "proto"), int64(v))
	dst = AppendInt(AppendBulk(dst, "id"), id)
	dst = AppendBulk(AppendBulk(dst, "mode"), "standalone")
	dst = AppendBulk(AppendBulk(dst, "role"), "master")
	return AppendArray(AppendBulk(dst, "modules"), 0)
}

// AppendPush appends a pub/sub message or (un)subscription reply: a push
// (RESP3) or an array (RESP2) of kind, the channel (null when nil), and
// the payload: a count for (un)subscriptions, the message otherwise.
func AppendPush(dst []byte, v Version, kind string, channel []byte, count int64, message []byte) []byte {
	if v == RESP3 {
		dst = header(dst, '>', 3)
	} else {
		dst = AppendArray(dst, 3)
	}
	dst = AppendBulk(dst, kind)
	if channel == nil {
		dst = AppendNull(dst, v)
	} else {
		dst = AppendBulk(dst, channel)
	}
	if message != nil {
		return AppendBulk(dst, message)
	}
	return AppendInt(dst, count)
}

// AppendTime appends TIME's reply for t: its Unix seconds and the
// microseconds past them, as bulk strings.
func AppendTime(dst []byte, t time.Time) []byte {
	dst = AppendArray(dst, 2)
	dst = AppendBulk(dst, strconv.FormatInt(t.Unix(), 10))
	return AppendBulk(dst, strconv.Itoa(t.Nanosecond()/1000))
}

// AppendRole appends ROLE's reply: a master at replication offset 0 with
// no replicas.
func AppendRole(dst []byte) []byte {
	return AppendArray(AppendInt(AppendBulk(AppendArray(dst, 3), "master"), 0), 0)
}

// AppendPatternMessage appends Redis's push of a message to a connection
// following a pattern that matches its channel: pmessage, the pattern,
// the channel and the message.
func AppendPatternMessage(dst []byte, v Version, pattern, channel, message []byte) []byte {
	if v == RESP3 {
		dst = header(dst, '>', 4)
	} else {
		dst = AppendArray(dst, 4)
	}
	dst = AppendBulk(dst, "pmessage")
	dst = AppendBulk(dst, pattern)
	dst = AppendBulk(dst, channel)
	return AppendBulk(dst, message)
}

// AppendCommandInfo appends COMMAND's description of s (Redis 7's ten
// fields; no ACL categories, tips, key specs or subcommands).
func AppendCommandInfo(dst []byte, v Version, s *Spec) []byte {
	dst = AppendArray(dst, 10)
	dst = AppendBulk(dst, s.Name)
	dst = AppendInt(dst, int64(s.Arity))
	dst = AppendSet(dst, v, len(s.Flags))
	for _, f := range s.Flags {
		dst = AppendSimple(dst, f)
	}
	for _, k := range s.Keys {
		dst = AppendInt(dst, int64(k))
	}
	for range 4 {
		dst = AppendArray(dst, 0)
	}
	return dst
}

// AppendCommandDocs appends COMMAND DOCS's entry of s: its name, then a
// map of summary, since, group and its arguments (parseArgs), from which
// redis-cli draws its help and hints.
func AppendCommandDocs(dst []byte, v Version, s *Spec) []byte {
	dst = AppendBulk(dst, s.Name)
	dst = AppendMap(dst, v, 4)
	dst = AppendBulk(AppendBulk(dst, "summary"), s.Summary)
	dst = AppendBulk(AppendBulk(dst, "since"), "1.0.0")
	dst = AppendBulk(AppendBulk(dst, "group"), s.Group)
	return appendArgs(AppendBulk(dst, "arguments"), v, parseArgs(s.Args))
}

// AppendCommand appends the reply of COMMAND with args (args[0] is
// COMMAND itself): every command, COUNT, LIST, INFO or DOCS of some or
// all.
func AppendCommand(dst []byte, v Version, args [][]byte) []byte {
	if len(args) == 1 {
		dst = AppendArray(dst, len(table))
		for _, s := range table {
			dst = AppendCommandInfo(dst, v, s)
		}
		return dst
	}
	named := func() []*Spec {
		if len(args) == 2 {
			return table
		}
		out := make([]*Spec, len(args)-2)
		for i, a := range args[2:] {
			out[i] = find(a)
		}
		return out
	}
	switch strings.ToUpper(string(args[1])) {
	case "COUNT":
		return AppendInt(dst, int64(len(table)))
	case "LIST":
		dst = AppendArray(dst, len(table))
		for _, s := range table {
			dst = AppendBulk(dst, s.Name)
		}
		return dst
	case "INFO":
		specs := named()
		dst = AppendArray(dst, len(specs))
		for _, s := range specs {
			if s == nil {
				dst = AppendNull(dst, v)
				continue
			}
			dst = AppendCommandInfo(dst, v, s)
		}
		return dst
	case "DOCS":
		var specs []*Spec
		for _, s := range named() {
			if s != nil {
				specs = append(specs, s)
			}
		}
		dst = AppendMap(dst, v, len(specs))
		for _, s := range specs {
			dst = AppendCommandDocs(dst, v, s)
		}
		return dst
	}
	return AppendError(dst, "ERR", "unknown subcommand '"+string(truncate(args[1], 64))+"'. Try COMMAND, COMMAND COUNT, LIST, INFO or DOCS.")
}

// configValues are the parameters CONFIG GET answers: what clients and
// tools ask for at start (redis-benchmark reads save and appendonly).
var configValues = [][2]string{
	{"databases", "16"},
	{"save", ""},
	{"appendonly", "no"},
	{"maxmemory-policy", "noeviction"},
	{"timeout", "0"},
	{"cluster-enabled", "no"},
	{"latency-tracking", "yes"},        // LATENCY HISTOGRAM's
	{"latency-monitor-threshold", "0"}, // no monitor of latency events
}

// AppendConfig appends the reply of CONFIG with args: GET of parameters
// by glob pattern, configValues and the serving process's own settings
// (the slow log's, maxmemory);
// anything else is refused.
func AppendConfig(dst []byte, v Version, args [][]byte, own [][2]string) []byte {
	if !strings.EqualFold(string(args[1]), "GET") {
		return AppendError(dst, "ERR", "only CONFIG GET is supported; Vanity is configured by its flags (see --help)")
	}
	if len(args) < 3 {
		return AppendErr(dst, ArityError("config|get"))
	}
	var found [][2]string
	for _, kv := range slices.Concat(configValues, own) {
		for _, p := range args[2:] {
			if proto.MatchPattern(p, []byte(kv[0])) {
				found = append(found, kv)
				break
			}
		}
	}
	dst = AppendMap(dst, v, len(found))
	for _, kv := range found {
		dst = AppendBulk(AppendBulk(dst, kv[0]), kv[1])
	}
	return dst
}

// ScanReply appends SCAN's reply: the next cursor and the keys.
func ScanReply(dst []byte, cursor uint64, keys [][]byte) []byte {
	dst = AppendArray(dst, 2)
	dst = AppendBulk(dst, strconv.AppendUint(nil, cursor, 10))
	dst = AppendArray(dst, len(keys))
	return appendStrs(dst, keys)
}

// AppendMonitorLine appends what MONITOR sends of one command, in both
// protocol versions a status line: the time in seconds with microseconds,
// the database and client address in brackets, then each argument quoted
// (Redis's form: backslash escapes for quotes, backslashes and control
// characters, \xhh for other bytes that do not print).
func AppendMonitorLine(dst []byte, t time.Time, db int, addr string, args [][]byte) []byte {
	dst = append(dst, '+')
	dst = strconv.AppendInt(dst, t.Unix(), 10)
	dst = append(dst, '.')
	us := t.Nanosecond() / 1000
	for d := 100000; d > 1 && us < d; d /= 10 {
		dst = append(dst, '0')
	}
	dst = strconv.AppendInt(dst, int64(us), 10)
	dst = append(append(dst, " ["...), strconv.Itoa(db)...)
	dst = append(append(append(dst, ' '), addr...), ']')
	for _, a := range args {
		dst = appendRepr(append(dst, ' '), a)
	}
	return append(dst, '\r', '\n')
}

// appendRepr appends b quoted as Redis quotes a string for people to read.
func appendRepr(dst, b []byte) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	for _, c := range b {
		switch c {
		case '\\', '"':
			dst = append(dst, '\\', c)
		case '\n':
			dst = append(dst, '\\', 'n')
		case '\r':
			dst = append(dst, '\\', 'r')
		case '\t':
			dst = append(dst, '\\', 't')
		case '\a':
			dst = append(dst, '\\', 'a')
		case '\b':
			dst = append(dst, '\\', 'b')
		default:
			if c < ' ' || c > '~' {
				dst = append(dst, '\\', 'x', hex[c>>4], hex[c&15])
			} else {
				dst = append(dst, c)
			}
		}
	}
	return append(dst, '"')
}
