package main

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"time"
)

// protocol encodes requests and reads replies for one kind of server.
type protocol interface {
	name() string
	// login runs whatever a fresh connection needs before the workload.
	login(c *wire) error
	// appendOp appends one request of operation op on key.
	appendOp(dst []byte, op op, key []byte, value []byte) []byte
	// appendBatch appends one request carrying n operations (Vanity's
	// PIPE); for Redis, n requests back to back.
	batchSize(n int) int
	// readReply reads one reply and reports whether it is an error.
	readReply(r *bufio.Reader) (bool, error)
	// splitReply finds the first reply in b: its size (0: incomplete) and
	// whether it is an error.
	splitReply(b []byte) (int, bool)
}

type op uint8

const (
	opGet op = iota
	opSet
	opIncr
	opPush
	opPop
	opSAdd
	opHSet
)

// wire is one connection.
type wire struct {
	nc net.Conn
	r  *bufio.Reader
	w  *bufio.Writer
}

func dial(addr string) (*wire, error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return nil, err
	}
	return &wire{nc: nc, r: bufio.NewReaderSize(nc, 64<<10), w: bufio.NewWriterSize(nc, 64<<10)}, nil
}

// ---- Vanity ----

type vanityProto struct {
	levels string // sent as CONSISTENCY after login, when set
}

func (vanityProto) name() string { return "vanity" }

func (p vanityProto) login(c *wire) error {
	reqs := []string{"AUTH (6)vanity (6)vanity"}
	if p.levels != "" {
		reqs = append(reqs, "CONSISTENCY "+p.levels)
	}
	for _, req := range reqs {
		frame := binary.BigEndian.AppendUint32(nil, uint32(len(req)))
		c.w.Write(append(frame, req...))
		if err := c.w.Flush(); err != nil {
			return err
		}
		reply, err := readVanityFrame(c.r)
		if err != nil {
			return err
		}
		if string(reply) != "OK" {
			return fmt.Errorf("%s: %q", strings.Fields(req)[0], reply)
		}
	}
	return nil
}

func appendVStr(dst, s []byte) []byte {
	dst = append(dst, '(')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, ')')
	return append(dst, s...)
}

func (p vanityProto) appendOp(dst []byte, o op, key, value []byte) []byte {
	switch o {
	case opGet:
		return appendVStr(append(dst, "GET "...), key)
	case opSet:
		return appendVStr(append(appendVStr(append(dst, "SET:STR "...), key), ' '), value)
	case opIncr:
		return append(appendVStr(append(dst, "INCR_INT "...), key), " 1"...)
	case opPush:
		return append(appendVStr(append(appendVStr(append(dst, "LIST_PUSH_RIGHT "...), key), " (1)["...), value), ']')
	case opPop:
		return append(appendVStr(append(dst, "LIST_POP_LEFT "...), key), " 1"...)
	case opSAdd:
		return append(appendVStr(append(appendVStr(append(dst, "SET_ADD "...), key), " (1){"...), value[:min(len(value), 8)]), '}')
	case opHSet:
		return append(appendVStr(appendVStr(append(appendVStr(append(dst, "HASH_UPDATE "...), key), " (1){"...), []byte("field")), value), '}')
	}
	return dst
}

func (p vanityProto) batchSize(n int) int { return 1 }

func readVanityFrame(r *bufio.Reader) ([]byte, error) {
	hdr, err := r.Peek(4)
	if err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint32(hdr))
	if n+4 <= r.Size() {
		b, err := r.Peek(n + 4)
		if err != nil {
			return nil, err
		}
		out := b[4:]
		r.Discard(n + 4)
		return out, nil
	}
	r.Discard(4)
	b := make([]byte, n)
	_, err = io.ReadFull(r, b)
	return b, err
}

func (vanityProto) readReply(r *bufio.Reader) (bool, error) {
	b, err := readVanityFrame(r)
	if err != nil {
		return false, err
	}
	return vanityError(b), nil
}

func (vanityProto) splitReply(b []byte) (int, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n := 4 + int(binary.BigEndian.Uint32(b))
	if len(b) < n {
		return 0, false
	}
	return n, vanityError(b[4:n])
}

// vanityError reports whether a reply payload is an error.
func vanityError(b []byte) bool {
	return len(b) >= 3 && (string(b[:3]) == "BAD" || string(b[:3]) == "ERR" || string(b[:3]) == "INT" || string(b[:3]) == "DEN")
}

// ---- Redis (RESP2) ----

type redisProto struct{}

func (redisProto) name() string        { return "redis" }
func (redisProto) login(*wire) error   { return nil }
func (redisProto) batchSize(n int) int { return n }

// vanityRESP is Vanity's RESP listener: Redis's protocol, after AUTH.
type vanityRESP struct{ redisProto }

func (vanityRESP) name() string { return "vanity-resp" }

func (p vanityRESP) login(c *wire) error {
	c.w.Write(appendCmd(nil, []byte("AUTH"), []byte("vanity")))
	if err := c.w.Flush(); err != nil {
		return err
	}
	failed, err := p.readReply(c.r)
	if err == nil && failed {
		err = errors.New("AUTH refused")
	}
	return err
}

func appendBulk(dst, s []byte) []byte {
	dst = append(dst, '$')
	dst = strconv.AppendInt(dst, int64(len(s)), 10)
	dst = append(dst, "\r\n"...)
	dst = append(dst, s...)
	return append(dst, "\r\n"...)
}

func appendCmd(dst []byte, args ...[]byte) []byte {
	dst = append(dst, '*')
	dst = strconv.AppendInt(dst, int64(len(args)), 10)
	dst = append(dst, "\r\n"...)
	for _, a := range args {
		dst = appendBulk(dst, a)
	}
	return dst
}

var (
	bGet   = []byte("GET")
	bSet   = []byte("SET")
	bIncr  = []byte("INCRBY")
	bOne   = []byte("1")
	bRPush = []byte("RPUSH")
	bLPop  = []byte("LPOP")
	bSAdd  = []byte("SADD")
	bHSet  = []byte("HSET")
	bField = []byte("field")
)

func (redisProto) appendOp(dst []byte, o op, key, value []byte) []byte {
	switch o {
	case opGet:
		return appendCmd(dst, bGet, key)
	case opSet:
		return appendCmd(dst, bSet, key, value)
	case opIncr:
		return appendCmd(dst, bIncr, key, bOne)
	case opPush:
		return appendCmd(dst, bRPush, key, value)
	case opPop:
		return appendCmd(dst, bLPop, key)
	case opSAdd:
		return appendCmd(dst, bSAdd, key, value[:min(len(value), 8)])
	case opHSet:
		return appendCmd(dst, bHSet, key, bField, value)
	}
	return dst
}

var errProtocol = errors.New("loadtest: unexpected reply")

func readLine(r *bufio.Reader) ([]byte, error) {
	line, err := r.ReadSlice('\n')
	if err != nil {
		return nil, err
	}
	if len(line) < 3 {
		return nil, errProtocol
	}
	return line[:len(line)-2], nil
}

func (p redisProto) readReply(r *bufio.Reader) (bool, error) {
	line, err := readLine(r)
	if err != nil {
		return false, err
	}
	switch line[0] {
	case '+', ':':
		return false, nil
	case '-':
		return true, nil
	case '$':
		n, _ := strconv.Atoi(string(line[1:]))
		if n >= 0 {
			_, err = r.Discard(n + 2)
		}
		return false, err
	case '*':
		n, _ := strconv.Atoi(string(line[1:]))
		for i := 0; i < n; i++ {
			if _, err := p.readReply(r); err != nil {
				return false, err
			}
		}
		return false, nil
	}
	return false, errProtocol
}

func (p redisProto) splitReply(b []byte) (int, bool) {
	nl := bytes.IndexByte(b, '\n')
	if nl < 1 {
		return 0, false
	}
	line := b[:nl+1]
	switch b[0] {
	case '+', ':':
		return len(line), false
	case '-':
		return len(line), true
	case '$':
		n, _ := strconv.Atoi(string(bytes.TrimRight(line[1:], "\r\n")))
		if n < 0 {
			return len(line), false
		}
		if len(b) < len(line)+n+2 {
			return 0, false
		}
		return len(line) + n + 2, false
	case '*':
		n, _ := strconv.Atoi(string(bytes.TrimRight(line[1:], "\r\n")))
		at, bad := len(line), false
		for range max(n, 0) {
			size, b2 := p.splitReply(b[at:])
			if size == 0 {
				return 0, false
			}
			at, bad = at+size, bad || b2
		}
		return at, bad
	}
	return len(line), true // not RESP: count it as an error
}

// ---- workload ----

// workload describes what each connection sends.
type workload struct {
	name     string
	ops      []op // chosen per request, by readPct for get/set mixes
	readPct  int  // for mixed: percentage of GETs (ops = {get, set})
	keys     int
	zipf     bool
	valueLen int
	pipe     int // Vanity PIPE batch size (0: none); Redis: commands per write
}

// keyGen picks keys.
type keyGen struct {
	rng  *rand.Rand
	zipf *rand.Zipf
	n    int
	buf  []byte
}

func newKeyGen(w *workload, seed uint64) *keyGen {
	g := &keyGen{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), n: w.keys}
	if w.zipf {
		g.zipf = rand.NewZipf(g.rng, 1.1, 1, uint64(w.keys-1))
	}
	return g
}

func (g *keyGen) next() []byte {
	var k uint64
	if g.zipf != nil {
		k = g.zipf.Uint64()
	} else {
		k = uint64(g.rng.IntN(g.n))
	}
	g.buf = keyName(g.buf[:0], int(k))
	return g.buf
}

func keyName(dst []byte, i int) []byte {
	dst = append(dst, "key:"...)
	s := strconv.Itoa(i)
	for j := len(s); j < 8; j++ {
		dst = append(dst, '0')
	}
	return append(dst, s...)
}

func (w *workload) pick(g *keyGen, seq int) op {
	if w.readPct > 0 && len(w.ops) == 2 {
		if g.rng.IntN(100) < w.readPct {
			return opGet
		}
		return opSet
	}
	return w.ops[seq%len(w.ops)]
}

// errNoRing is the error of -client=loop where io_uring is missing.
var errNoRing = errors.New("loadtest: no io_uring here (-client=loop-plain goes without)")

// appendRequest appends one request (a PIPE of w.pipe operations for
// Vanity when w.pipe > 0) and returns how many replies it will produce.
func appendRequest(p protocol, w *workload, g *keyGen, value []byte, seq int, dst []byte) ([]byte, int) {
	if w.pipe <= 1 {
		return appendFrame(p, dst, func(b []byte) []byte { return p.appendOp(b, w.pick(g, seq), g.next(), value) }), 1
	}
	if _, isVanity := p.(vanityProto); isVanity {
		dst = appendFrame(p, dst, func(b []byte) []byte {
			b = append(b, "PIPE("...)
			b = strconv.AppendInt(b, int64(w.pipe), 10)
			b = append(b, ')')
			for i := 0; i < w.pipe; i++ {
				b = p.appendOp(b, w.pick(g, seq+i), g.next(), value)
			}
			return b
		})
		return dst, 1
	}
	for i := 0; i < w.pipe; i++ {
		dst = p.appendOp(dst, w.pick(g, seq+i), g.next(), value)
	}
	return dst, w.pipe
}

// appendFrame frames what fill appends, for Vanity; Redis needs none.
func appendFrame(p protocol, dst []byte, fill func([]byte) []byte) []byte {
	if _, isVanity := p.(vanityProto); !isVanity {
		return fill(dst)
	}
	start := len(dst)
	dst = append(dst, 0, 0, 0, 0)
	dst = fill(dst)
	binary.BigEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
	return dst
}

// result is what one run measured.
type result struct {
	ops      uint64 // operations completed (a PIPE of n counts n)
	errors   uint64
	from     time.Time     // when the measured time began (after the warm-up)
	elapsed  time.Duration // the measured time
	lat      hist          // per request (a PIPE batch is one request)
	requests uint64
}

// throughput is operations per second over the measured time.
func (r *result) throughput() float64 { return float64(r.ops) / r.elapsed.Seconds() }

// add counts o's operations, errors, requests and latencies into r.
func (r *result) add(o *result) {
	r.lat.merge(&o.lat)
	r.ops += o.ops
	r.errors += o.errors
	r.requests += o.requests
}

// runClosed drives conns connections, each keeping depth requests in
// flight, for d after warmup.
func runClosed(addr string, p protocol, w *workload, conns, depth int, warmup, d time.Duration) (*result, error) {
	var mu sync.Mutex
	total := &result{}
	start := make(chan struct{})
	var measureFrom, measureTo time.Time
	var wg sync.WaitGroup
	errs := make(chan error, conns)
	value := make([]byte, w.valueLen)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	for c := 0; c < conns; c++ {
		wc, err := dial(addr)
		if err != nil {
			return nil, err
		}
		if err := p.login(wc); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func(c int, wc *wire) {
			defer wg.Done()
			defer wc.nc.Close()
			local := &result{}
			g := newKeyGen(w, uint64(c+1))
			sent := make([]time.Time, 0, depth)
			expect := make([]int, 0, depth)
			buf := make([]byte, 0, 64<<10)
			<-start
			seq := 0
			send := func() error {
				var n int
				buf, n = appendRequest(p, w, g, value, seq, buf[:0])
				seq += max(1, w.pipe)
				sent = append(sent, time.Now())
				expect = append(expect, n)
				_, err := wc.w.Write(buf)
				return err
			}
			for i := 0; i < depth; i++ {
				if err := send(); err != nil {
					errs <- err
					return
				}
			}
			if err := wc.w.Flush(); err != nil {
				errs <- err
				return
			}
			for {
				// Flush what is queued before waiting for replies to it.
				if wc.w.Buffered() > 0 && wc.r.Buffered() == 0 {
					if err := wc.w.Flush(); err != nil {
						errs <- err
						return
					}
				}
				for k := 0; k < expect[0]; k++ {
					bad, err := p.readReply(wc.r)
					if err != nil {
						errs <- err
						return
					}
					if bad {
						local.errors++
					}
				}
				now := time.Now()
				if now.After(measureFrom) && now.Before(measureTo) {
					local.lat.record(now.Sub(sent[0]))
					local.requests++
					local.ops += uint64(max(1, w.pipe))
				}
				sent = sent[1:]
				expect = expect[1:]
				if now.After(measureTo) {
					if len(sent) == 0 {
						break
					}
					continue
				}
				if err := send(); err != nil {
					errs <- err
					return
				}
			}
			mu.Lock()
			total.add(local)
			mu.Unlock()
		}(c, wc)
	}
	measureFrom = time.Now().Add(warmup)
	measureTo = measureFrom.Add(d)
	total.from = measureFrom
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	total.elapsed = d
	return total, nil
}

// runOpen sends at a fixed total rate, spread over conns connections, and
// measures latency from each request's intended send time, so queueing
// delay is not hidden (no coordinated omission).
func runOpen(addr string, p protocol, w *workload, conns int, rate float64, warmup, d time.Duration) (*result, error) {
	return runOpenUntil(addr, p, w, conns, rate, warmup, d, nil)
}

// runOpenUntil is runOpen that also ends early when stop is closed; the
// result then covers the measured time up to that moment.
func runOpenUntil(addr string, p protocol, w *workload, conns int, rate float64, warmup, d time.Duration, stop <-chan struct{}) (*result, error) {
	var mu sync.Mutex
	total := &result{}
	value := make([]byte, w.valueLen)
	for i := range value {
		value[i] = 'a' + byte(i%26)
	}
	begin := time.Now().Add(50 * time.Millisecond)
	measureFrom := begin.Add(warmup)
	end := measureFrom.Add(d)
	total.from = measureFrom
	interval := time.Duration(float64(time.Second) * float64(conns) / rate)
	var wg sync.WaitGroup
	errs := make(chan error, 2*conns)
	var stoppedAt time.Time
	if stop != nil {
		go func() {
			select {
			case <-stop:
				mu.Lock()
				stoppedAt = time.Now()
				mu.Unlock()
			case <-time.After(time.Until(end)):
			}
		}()
	}
	for c := 0; c < conns; c++ {
		wc, err := dial(addr)
		if err != nil {
			return nil, err
		}
		if err := p.login(wc); err != nil {
			return nil, err
		}
		intended := make(chan time.Time, 1<<16)
		wg.Add(2)
		go func(c int) { // sender
			defer wg.Done()
			defer close(intended)
			g := newKeyGen(w, uint64(c+1))
			buf := make([]byte, 0, 64<<10)
			offset := time.Duration(c) * interval / time.Duration(conns)
			for i := 0; ; i++ {
				at := begin.Add(offset + time.Duration(i)*interval)
				if at.After(end) {
					return
				}
				select {
				case <-stop:
					return
				default:
				}
				if wait := time.Until(at); wait > 0 {
					time.Sleep(wait) // pacing the open-loop schedule
				}
				var n int
				buf, n = appendRequest(p, w, g, value, i, buf[:0])
				for k := 0; k < n; k++ {
					intended <- at
				}
				if _, err := wc.w.Write(buf); err != nil {
					errs <- err
					return
				}
				if err := wc.w.Flush(); err != nil {
					errs <- err
					return
				}
			}
		}(c)
		go func() { // receiver
			defer wg.Done()
			defer wc.nc.Close()
			local := &result{}
			for at := range intended {
				bad, err := p.readReply(wc.r)
				if err != nil {
					errs <- err
					return
				}
				if bad {
					local.errors++
				}
				if !at.Before(measureFrom) {
					local.lat.record(time.Since(at))
					local.requests++
					local.ops += uint64(max(1, w.pipe) / p.batchSize(max(1, w.pipe)))
				}
			}
			mu.Lock()
			total.add(local)
			mu.Unlock()
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	total.elapsed = d
	mu.Lock()
	if !stoppedAt.IsZero() && stoppedAt.Before(end) {
		total.elapsed = max(0, stoppedAt.Sub(measureFrom))
	}
	mu.Unlock()
	return total, nil
}

// fill writes every key once with a value, so reads hit.
func fill(addr string, p protocol, keys, valueLen int) error {
	wc, err := dial(addr)
	if err != nil {
		return err
	}
	defer wc.nc.Close()
	if err := p.login(wc); err != nil {
		return err
	}
	value := make([]byte, valueLen)
	for i := range value {
		value[i] = 'v'
	}
	var buf, key []byte
	const batch = 256
	for i := 0; i < keys; i += batch {
		buf = buf[:0]
		n := 0
		for j := i; j < min(keys, i+batch); j++ {
			key = keyName(key[:0], j)
			buf = appendFrame(p, buf, func(b []byte) []byte { return p.appendOp(b, opSet, key, value) })
			n++
		}
		if _, err := wc.w.Write(buf); err != nil {
			return err
		}
		if err := wc.w.Flush(); err != nil {
			return err
		}
		for k := 0; k < n; k++ {
			if bad, err := p.readReply(wc.r); err != nil || bad {
				return fmt.Errorf("fill: %v (error reply %v)", err, bad)
			}
		}
	}
	return nil
}
