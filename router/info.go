package router

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/vanitydb/vanity/proto"
)

// InfoField is one line of INFO: its section, its name and its value.
type InfoField struct{ Section, Name, Value string }

// Describer is a backend that adds its own lines to INFO (persistence in
// the single process, the cluster's shape in a router).
type Describer interface {
	Describe(ctx context.Context) ([]InfoField, error)
}

// info answers INFO: OK:HASH of "section.name" to value, sections in the
// order server, clients, memory, the backend's, keyspace, commandstats.
func (c *conn) info(out []byte) []byte {
	fields := c.srv.infoServer()
	if d, ok := c.srv.cfg.Backend.(Describer); ok {
		more, err := d.Describe(c.ctx)
		if err != nil {
			return c.backendError(out, err)
		}
		fields = append(fields, more...)
	}
	if kl, ok := c.srv.cfg.Backend.(KeyLister); ok {
		for db := range numDBs {
			n, err := kl.CountKeys(c.ctx, db, c.sess.cons[0])
			if err != nil {
				return c.backendError(out, err)
			}
			if n > 0 {
				fields = append(fields, InfoField{"keyspace", "db" + strconv.Itoa(db), c.keyspaceLine(db, n)})
			}
		}
	}
	fields = append(fields, c.srv.metrics.commandStats()...)
	out = proto.AppendContainerHeader(append(out, proto.ReplyOK...), proto.TypeHash, len(fields))
	for _, f := range fields {
		out = proto.AppendBody(out, f.Section+"."+f.Name)
		out = proto.AppendBody(out, f.Value)
	}
	return proto.AppendContainerEnd(out, proto.TypeHash)
}

// keyspaceLine is INFO's keyspace value for db, which holds n keys:
// keys=n,expires=e,avg_ttl=ms as Redis writes it (tools such as Redis
// exporters read expires), where the backend counts the keys with a
// deadline ahead; keys=n alone where it cannot.
func (c *conn) keyspaceLine(db int, n int64) string {
	line := "keys=" + strconv.FormatInt(n, 10)
	ec, ok := c.srv.cfg.Backend.(ExpiryCounter)
	if !ok {
		return line
	}
	e, left, err := ec.CountExpiring(c.ctx, db)
	if err != nil {
		return line
	}
	avg := int64(0)
	if e > 0 {
		avg = left / e
	}
	return line + ",expires=" + strconv.FormatInt(e, 10) + ",avg_ttl=" + strconv.FormatInt(avg, 10)
}

// infoServer is what the router knows of itself and its process.
func (s *Server) infoServer() []InfoField {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	u := func(v uint64) string { return strconv.FormatUint(v, 10) }
	return []InfoField{
		{"server", "version", s.cfg.Version},
		{"server", "go_version", runtime.Version()},
		{"server", "process_id", strconv.Itoa(os.Getpid())},
		{"server", "uptime_seconds", strconv.FormatInt(int64(time.Since(s.started).Seconds()), 10)},
		{"server", "event_loops", strconv.Itoa(s.cfg.EventLoops)},
		{"clients", "connected", strconv.Itoa(s.connCount())},
		{"clients", "max", strconv.Itoa(s.cfg.MaxClients)},
		{"clients", "blocked", strconv.FormatInt(s.blocked.Load(), 10)},
		{"memory", "heap_in_use_bytes", u(ms.HeapInuse)},
		{"memory", "heap_objects", u(ms.HeapObjects)},
		{"memory", "from_os_bytes", u(ms.Sys)},
		{"memory", "gc_cycles", u(uint64(ms.NumGC))},
		{"memory", "max_memory_bytes", u(s.cfg.MaxMemory)},
	}
}

// connCount is the number of open client connections.
func (s *Server) connCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// commandStats is a line per command that ran: calls, and the mean and
// the 99th percentile (from the histogram's buckets) of its latency.
func (m *metrics) commandStats() []InfoField {
	var out []InfoField
	for c := proto.CmdPing; c.Valid(); c++ {
		var h dto.Metric
		if err := m.latency[c].Write(&h); err != nil || h.Histogram.GetSampleCount() == 0 {
			continue
		}
		var calls dto.Metric
		_ = m.requests[c].Write(&calls)
		hist := h.Histogram
		n := hist.GetSampleCount()
		p99 := "over"
		for _, b := range hist.GetBucket() {
			if float64(b.GetCumulativeCount()) >= 0.99*float64(n) {
				p99 = fmt.Sprintf("%.0f", b.GetUpperBound()*1e6)
				break
			}
		}
		out = append(out, InfoField{"commandstats", c.String(), fmt.Sprintf("calls=%d,usec_per_call=%.1f,p99_usec<=%s",
			uint64(calls.Counter.GetValue()), hist.GetSampleSum()/float64(n)*1e6, p99)})
	}
	return out
}
