package router

import (
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/resp"
)

// LATENCY (Redis's): HISTOGRAM reads the per-command latency histograms
// the router keeps anyway (the ones /metrics exports and INFO's
// commandstats read), so tools that chart it get Vanity's numbers. The
// other subcommands belong to Redis's latency monitor of events, which
// Vanity does not have: they answer as a Redis whose monitor is off
// (latency-monitor-threshold 0) does, with nothing recorded.

// latencyHelp is LATENCY HELP's reply, a line each.
var latencyHelp = []string{
	"LATENCY DOCTOR|GRAPH|HISTORY|LATEST|RESET|HISTOGRAM|HELP",
	"HISTOGRAM [command ...]",
	"    Each command's calls and its latency histogram in microseconds (cumulative counts",
	"    per bucket), of the commands named (Vanity's: Redis commands run as them) or all.",
	"LATEST, HISTORY <event>, GRAPH <event>, RESET [event ...]",
	"    Latency events: Vanity records none (no event monitor), so they answer empty.",
	"DOCTOR",
	"    Where Vanity's latencies are.",
	"HELP",
	"    This text.",
}

// latencyDoctor is LATENCY DOCTOR's report.
const latencyDoctor = "Vanity has no latency monitor of events (latency-monitor-threshold is 0). " +
	"Each command's latency is in LATENCY HISTOGRAM and INFO commandstats, the slowest commands with their arguments " +
	"in SLOWLOG, and the same histograms in vanity_request_duration_seconds on the debug address's /metrics."

// latencyArity is the argument count of the subcommands that take a
// fixed one (the command's name and the subcommand's counted).
var latencyArity = map[string]int{"LATEST": 2, "HISTORY": 3, "GRAPH": 3, "DOCTOR": 2, "HELP": 2}

// latencyRESP is LATENCY's subcommands, with Redis's replies and
// refusals.
func (c *conn) latencyRESP(args [][]byte) {
	if c.sess.acct == nil {
		c.out = resp.AppendError(c.out, "NOAUTH", "Authentication required.")
		return
	}
	sub := strings.ToUpper(string(args[1]))
	if n, ok := latencyArity[sub]; ok && len(args) != n {
		c.out = resp.AppendErr(c.out, resp.ArityError("latency|"+strings.ToLower(sub)))
		return
	}
	switch sub {
	case "LATEST", "HISTORY":
		c.out = resp.AppendArray(c.out, 0)
	case "RESET":
		c.out = resp.AppendInt(c.out, 0)
	case "GRAPH":
		c.out = resp.AppendError(c.out, "ERR", "No samples available for event '"+string(args[2])+"'")
	case "DOCTOR":
		c.out = resp.AppendBulk(c.out, latencyDoctor)
	case "HELP":
		c.out = resp.AppendArray(c.out, len(latencyHelp))
		for _, line := range latencyHelp {
			c.out = resp.AppendSimple(c.out, line)
		}
	case "HISTOGRAM":
		c.out = c.srv.metrics.appendHistograms(c.out, c.rv, args[2:])
	default:
		c.out = resp.AppendError(c.out, "ERR", "unknown subcommand '"+string(args[1][:min(len(args[1]), 128)])+"'. Try LATENCY HELP.")
	}
}

// appendHistograms appends LATENCY HISTOGRAM's reply: for each command
// named (any case; every one when none is) that has run, its calls and
// its histogram, each bucket's upper bound in microseconds and the
// cumulative count of samples up to it, the buckets that hold samples
// only. A sample is a run of the command in a connection's batch (the
// histogram's own unit), so counts can be below calls.
func (m *metrics) appendHistograms(dst []byte, v resp.Version, names [][]byte) []byte {
	type row struct {
		name  string
		calls uint64
		bkts  [][2]uint64 // upper bound in µs, cumulative count
	}
	var rows []row
	for cmd := proto.CmdPing; cmd.Valid(); cmd++ {
		name := strings.ToLower(cmd.String())
		if len(names) > 0 && !slices.ContainsFunc(names, func(n []byte) bool { return strings.EqualFold(string(n), name) }) {
			continue
		}
		var h dto.Metric
		if err := m.latency[cmd].Write(&h); err != nil || h.Histogram.GetSampleCount() == 0 {
			continue
		}
		var calls dto.Metric
		_ = m.requests[cmd].Write(&calls)
		r := row{name: name, calls: uint64(calls.Counter.GetValue())}
		last := uint64(0)
		for _, b := range h.Histogram.GetBucket() {
			if n := b.GetCumulativeCount(); n > last {
				r.bkts = append(r.bkts, [2]uint64{uint64(b.GetUpperBound() * 1e6), n})
				last = n
			}
		}
		rows = append(rows, r)
	}
	dst = resp.AppendMap(dst, v, len(rows))
	for _, r := range rows {
		dst = resp.AppendBulk(dst, r.name)
		dst = resp.AppendMap(dst, v, 2)
		dst = resp.AppendInt(resp.AppendBulk(dst, "calls"), int64(r.calls))
		dst = resp.AppendMap(resp.AppendBulk(dst, "histogram_usec"), v, len(r.bkts))
		for _, b := range r.bkts {
			dst = resp.AppendInt(resp.AppendInt(dst, int64(b[0])), int64(b[1]))
		}
	}
	return dst
}
