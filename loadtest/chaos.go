package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/proto"
)

// chaosSummary is the one-line JSON report of a chaos run.
type chaosSummary struct {
	Seconds      float64        `json:"seconds"`
	Faults       map[string]int `json:"faults,omitempty"` // by kind, from scripts/chaos
	Workers      int            `json:"workers"`
	SetsAcked    int            `json:"sets_acked"`
	SetsLost     int            `json:"sets_lost"`
	LostExamples []string       `json:"lost_examples,omitempty"`
	IncrsAcked   int            `json:"incrs_acked"`
	IncrsUnsure  int            `json:"incrs_unsure"` // sent, no reply: may or may not have applied
	Counter      int64          `json:"counter"`
	CounterOK    bool           `json:"counter_ok"` // acked <= counter <= acked+unsure
	PushesAcked  int            `json:"pushes_acked"`
	PushesLost   int            `json:"pushes_lost"`
	ErrorReplies int            `json:"error_replies"`
	ConnErrors   int            `json:"conn_errors"`
	RecoverySecs float64        `json:"recovery_seconds"` // from the end of the workload until every acknowledged write read back
	// With -nodes: from the end of the workload until every replica of
	// every partition had the same digest (identical data), and whether
	// that happened within the recovery time.
	ConvergeSecs  float64  `json:"converged_seconds,omitempty"`
	Converged     *bool    `json:"converged,omitempty"`
	Diverged      int      `json:"partitions_diverged,omitempty"`
	Lost          int      `json:"lost"` // sets_lost + pushes_lost + counter shortfall
	WrongValues   int      `json:"wrong_values"`
	UnknownStatus []string `json:"unknown_status,omitempty"`
	// Registers: keys each worker alone overwrites with increasing
	// values, read back between writes. A read, or the final value, older
	// than the last write acknowledged before it is a write that took
	// effect after newer ones (a failed write landing late).
	RegisterWrites   int      `json:"register_writes_acked"`
	RegisterReads    int      `json:"register_reads"`
	RegisterStale    int      `json:"register_reads_stale"`
	RegisterBehind   int      `json:"registers_behind"`
	RegisterExamples []string `json:"register_examples,omitempty"`
	// Optimistic increments of one key (chaoswatch.go): commits
	// acknowledged, commits that ran nothing, commits of unknown outcome,
	// acknowledged commits that wrote a value another one wrote too
	// (increments lost), the key's final value and whether it is the
	// largest value written. Reported, not failed on.
	WatchCommits     int   `json:"watch_commits_acked"`
	WatchChanged     int   `json:"watch_commits_changed"`
	WatchUnsure      int   `json:"watch_commits_unsure"`
	WatchLostUpdates int   `json:"watch_lost_updates"`
	WatchFinal       int64 `json:"watch_final"`
	WatchFinalOK     bool  `json:"watch_final_ok"`
}

// registersPerWorker is how many keys each worker overwrites.
const registersPerWorker = 4

// chaosLog records what the cluster acknowledged.
type chaosLog struct {
	prefix string // of every key of this run: runs on one cluster do not mix
	mu     sync.Mutex
	sets   map[string]string
	incrs  int
	unsure int
	pushes map[string]int
	errs   int
	conn   int
	// Registers: the last value acknowledged and the highest tried, by key.
	acked, tried map[string]int
	regWrites    int
	regReads     int
	regStale     int
	regExamples  []string
	start        time.Time // the workload's, near scripts/chaos's start, from which chaos.faults counts
	watch        watchLog
}

// cmdChaos runs a recording workload against a router while something
// else (scripts/chaos) breaks the cluster, then checks every acknowledged
// write and prints a one-line JSON summary. It exits non-zero if an
// acknowledged write is missing or the counter is off.
func cmdChaos(args []string) error {
	fs := flag.NewFlagSet("chaos", flag.ExitOnError)
	addr := fs.String("addr", "", "router address (required)")
	workers := fs.Int("workers", 8, "client connections writing")
	duration := fs.Duration("duration", 30*time.Second, "how long to write")
	recovery := fs.Duration("recovery", 2*time.Minute, "how long to wait for every acknowledged write to read back")
	faults := fs.String("faults", "", "file listing the faults injected meanwhile, one per line (scripts/chaos)")
	nodes := fs.String("nodes", "", "comma-separated debug addresses of the nodes: wait until their replicas hold identical data")
	fs.Parse(args)
	if *addr == "" {
		return errors.New("chaos: -addr is required")
	}
	lg := &chaosLog{prefix: fmt.Sprintf("chaos-%x-", time.Now().UnixNano()), sets: map[string]string{}, pushes: map[string]int{},
		acked: map[string]int{}, tried: map[string]int{}, start: time.Now()}
	start := time.Now()
	stop := time.Now().Add(*duration)
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			chaosWorker(*addr, w, stop, lg)
		}(w)
	}
	wg.Wait()
	s := chaosSummary{Seconds: time.Since(start).Seconds(), Workers: *workers}
	end := time.Now()
	if err := chaosVerify(*addr, lg, &s, end.Add(*recovery)); err != nil {
		return err
	}
	s.RecoverySecs = time.Since(end).Seconds()
	if *nodes != "" {
		ok := chaosConverge(strings.Split(*nodes, ","), &s, end.Add(*recovery))
		s.Converged = &ok
		if ok {
			s.ConvergeSecs = time.Since(end).Seconds()
			// Once the replicas agree, writes delayed in the network have
			// landed or never will: the registers are read once more.
			if err := chaosVerify(*addr, lg, &s, end.Add(*recovery)); err != nil {
				return err
			}
		}
	}
	if *faults != "" {
		if data, err := os.ReadFile(*faults); err == nil {
			s.Faults = map[string]int{}
			for _, l := range strings.Split(strings.TrimSpace(string(data)), "\n") {
				if f := strings.Fields(l); len(f) > 1 {
					s.Faults[f[1]]++
				}
			}
		}
	}
	line, _ := json.Marshal(s)
	fmt.Println(string(line))
	if s.Lost > 0 || s.WrongValues > 0 || !s.CounterOK || s.Converged != nil && !*s.Converged ||
		s.RegisterStale > 0 || s.RegisterBehind > 0 {
		os.Exit(3)
	}
	return nil
}

// chaosWorker writes unique keys, increments one counter, pushes onto its
// own list, overwrites its registers and makes an optimistic increment of
// a shared key until stop, reconnecting after connection errors.
func chaosWorker(addr string, w int, stop time.Time, lg *chaosLog) {
	list := fmt.Sprintf("%slist-%d", lg.prefix, w)
	var c *client.Client
	for i := 0; time.Now().Before(stop); i++ {
		if c == nil {
			var err error
			if c, err = client.Dial(addr, client.Options{}); err != nil {
				lg.note(func() { lg.conn++ })
				time.Sleep(100 * time.Millisecond) // the router is unreachable: retry shortly
				continue
			}
		}
		key, val := fmt.Sprintf("%s%d-%d", lg.prefix, w, i), "v"+strconv.Itoa(i)
		r, err := c.Set(key, val)
		if !lg.outcome(r, err, func() { lg.sets[key] = val }, nil) {
			c.Close()
			c = nil
			continue
		}
		lg.note(func() { lg.unsure++ }) // counted as unsure until its reply says otherwise
		r, err = c.IncrInt(lg.prefix+"counter", 1)
		// An error reply may come after the node applied it (a node killed
		// before it answered), so only OK settles an increment.
		if !lg.outcome(r, err, func() { lg.incrs++; lg.unsure-- }, nil) {
			c.Close()
			c = nil
			continue
		}
		r, err = c.ListPushRight(list, val)
		if !lg.outcome(r, err, func() { lg.pushes[list]++ }, nil) {
			c.Close()
			c = nil
			continue
		}
		if !chaosRegister(c, w, i, lg) || !chaosWatch(c, lg) {
			c.Close()
			c = nil
		}
	}
	if c != nil {
		c.Close()
	}
}

// chaosRegister overwrites one of the worker's registers with i (values
// of a register only grow), then reads another back and checks it is not
// older than its last acknowledged write. It reports whether the
// connection is still usable.
func chaosRegister(c *client.Client, w, i int, lg *chaosLog) bool {
	key := fmt.Sprintf("%sreg-%d-%d", lg.prefix, w, i%registersPerWorker)
	lg.note(func() { lg.tried[key] = i })
	r, err := c.Set(key, strconv.Itoa(i))
	if !lg.outcome(r, err, func() { lg.acked[key] = i; lg.regWrites++ }, nil) {
		return false
	}
	read := fmt.Sprintf("%sreg-%d-%d", lg.prefix, w, (i+1)%registersPerWorker)
	lg.mu.Lock()
	floor, known := lg.acked[read]
	lg.mu.Unlock()
	r, err = c.Get(read)
	if err != nil {
		lg.note(func() { lg.conn++ })
		return false
	}
	if r.Status != proto.StatusOK {
		return true // unavailable, or never written: nothing to check
	}
	v, perr := strconv.Atoi(string(r.Value.Str))
	stale := known && (perr != nil || v < floor)
	lg.note(func() {
		lg.regReads++
		if stale {
			lg.regStale++
		}
	})
	if stale {
		// Read it again at once: a value that stays old says copies lost
		// the write; one that comes back new says the first read's path
		// went wrong.
		at := time.Since(lg.start).Seconds()
		again := "failed"
		if r2, err := c.Get(read); err == nil {
			again = string(r2.Value.Str)
		}
		lg.note(func() {
			if len(lg.regExamples) < 5 {
				lg.regExamples = append(lg.regExamples, fmt.Sprintf("at %.1fs read %s=%s after %d was acknowledged (read again: %s)",
					at, read, r.Value.Str, floor, again))
			}
		})
	}
	return true
}

func (lg *chaosLog) note(f func()) {
	lg.mu.Lock()
	f()
	lg.mu.Unlock()
}

// outcome records a reply: ok runs for OK, refused (if any) for an error
// reply. It reports whether the connection is still usable.
func (lg *chaosLog) outcome(r client.Reply, err error, ok, refused func()) bool {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	switch {
	case err != nil:
		lg.conn++
		return false
	case r.Status == proto.StatusOK:
		ok()
	default:
		lg.errs++
		if refused != nil {
			refused()
		}
	}
	return true
}

// chaosVerify reads every acknowledged write back, retrying while parts of
// the cluster are still unavailable, until deadline.
func chaosVerify(addr string, lg *chaosLog, s *chaosSummary, deadline time.Time) error {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	s.SetsAcked, s.IncrsAcked, s.IncrsUnsure, s.ErrorReplies, s.ConnErrors = len(lg.sets), lg.incrs, lg.unsure, lg.errs, lg.conn
	s.RegisterWrites, s.RegisterReads, s.RegisterStale = lg.regWrites, lg.regReads, lg.regStale
	s.PushesAcked = 0
	for _, n := range lg.pushes {
		s.PushesAcked += n
	}
	var c *client.Client
	defer func() {
		if c != nil {
			c.Close()
		}
	}()
	for {
		if c == nil {
			var err error
			if c, err = client.Dial(addr, client.Options{}); err != nil {
				if time.Now().After(deadline) {
					return err
				}
				time.Sleep(100 * time.Millisecond) // the router is coming back
				continue
			}
		}
		unavailable, err := chaosCheck(c, lg, s)
		if err != nil {
			c.Close()
			c = nil
		}
		if err == nil && unavailable == 0 {
			return nil
		}
		if time.Now().After(deadline) {
			if err != nil {
				return err
			}
			return fmt.Errorf("chaos: %d reads still unavailable after the recovery time", unavailable)
		}
		time.Sleep(200 * time.Millisecond) // waiting for nodes to come back
	}
}

// chaosCheck reads everything once; it returns how many reads were
// unavailable (to retry) and fills s with what was lost.
func chaosCheck(c *client.Client, lg *chaosLog, s *chaosSummary) (unavailable int, err error) {
	s.SetsLost, s.PushesLost, s.WrongValues, s.LostExamples, s.UnknownStatus = 0, 0, 0, nil, nil
	s.RegisterExamples = append([]string(nil), lg.regExamples...)
	keys := make([]string, 0, len(lg.sets))
	for k := range lg.sets {
		keys = append(keys, k)
	}
	for from := 0; from < len(keys); from += 200 {
		batch := keys[from:min(from+200, len(keys))]
		for _, k := range batch {
			if err := c.Send(mustEncode("GET", k)); err != nil {
				return 0, err
			}
		}
		if err := c.Flush(); err != nil {
			return 0, err
		}
		for _, k := range batch {
			raw, err := c.Receive()
			if err != nil {
				return 0, err
			}
			r, err := proto.ParseReply(raw)
			if err != nil {
				return 0, err
			}
			switch {
			case r.Status == proto.StatusOK && string(r.Value.Str) == lg.sets[k]:
			case r.Status == proto.StatusOK:
				s.WrongValues++
			case r.Status == proto.StatusNull:
				s.SetsLost++
				if len(s.LostExamples) < 5 {
					s.LostExamples = append(s.LostExamples, k)
				}
			case r.Status == proto.StatusError && strings.Contains(string(raw), "unavailable"):
				unavailable++
			default:
				if len(s.UnknownStatus) < 5 {
					s.UnknownStatus = append(s.UnknownStatus, string(raw))
				}
				unavailable++
			}
		}
	}
	for list, n := range lg.pushes {
		r, err := c.ListLen(list)
		if err != nil {
			return 0, err
		}
		if r.Status != proto.StatusOK {
			unavailable++
			continue
		}
		if int(r.Value.Int) < n {
			s.PushesLost += n - int(r.Value.Int)
		}
	}
	r, err := c.Get(lg.prefix + "counter")
	if err != nil {
		return 0, err
	}
	switch r.Status {
	case proto.StatusOK:
		s.Counter = r.Value.Int
	case proto.StatusNull:
		s.Counter = 0
	default:
		unavailable++
	}
	s.CounterOK = s.Counter >= int64(lg.incrs) && s.Counter <= int64(lg.incrs+lg.unsure)
	s.RegisterBehind = 0
	for key, floor := range lg.acked {
		r, err := c.Get(key)
		if err != nil {
			return 0, err
		}
		if r.Status != proto.StatusOK {
			unavailable++
			continue
		}
		v, perr := strconv.Atoi(string(r.Value.Str))
		if perr != nil || v < floor || v > lg.tried[key] {
			s.RegisterBehind++
			if len(s.RegisterExamples) < 10 {
				s.RegisterExamples = append(s.RegisterExamples,
					fmt.Sprintf("%s ended at %s; last acknowledged %d, last tried %d", key, r.Value.Str, floor, lg.tried[key]))
			}
		}
	}
	final := int64(-1)
	if r, err := c.Get(lg.prefix + "watched"); err != nil {
		return 0, err
	} else if r.Status == proto.StatusOK || r.Status == proto.StatusNull {
		final = r.Value.Int
	} else {
		unavailable++
	}
	watchSummary(&lg.watch, final, s)
	s.Lost = s.SetsLost + s.PushesLost + max(0, lg.incrs-int(s.Counter))
	return unavailable, nil
}

func mustEncode(cmd string, args ...any) []byte {
	b, err := client.Encode(cmd, args...)
	if err != nil {
		panic(err)
	}
	return b
}

// chaosConverge polls the nodes' digests (/debug/digests: the root of
// every partition each serves) until every partition's replicas report
// the same root, or deadline. It records how many partitions still
// differed last.
func chaosConverge(nodes []string, s *chaosSummary, deadline time.Time) bool {
	hc := &http.Client{Timeout: 10 * time.Second}
	for {
		roots := map[string]map[string]bool{} // partition -> distinct roots
		answered := 0
		for _, addr := range nodes {
			resp, err := hc.Get("http://" + addr + "/debug/digests")
			if err != nil {
				continue
			}
			var got map[string]string
			err = json.NewDecoder(resp.Body).Decode(&got)
			resp.Body.Close()
			if err != nil {
				continue
			}
			answered++
			for p, root := range got {
				if roots[p] == nil {
					roots[p] = map[string]bool{}
				}
				roots[p][root] = true
			}
		}
		s.Diverged = 0
		for _, rs := range roots {
			if len(rs) > 1 {
				s.Diverged++
			}
		}
		if answered == len(nodes) && s.Diverged == 0 {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(500 * time.Millisecond) // replicas converge by hints and anti-entropy rounds
	}
}
