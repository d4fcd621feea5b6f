package node

import (
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/replication"
	"github.com/vanitydb/vanity/storage/wal"
)

func parsed(t testing.TB, s string) *proto.Request {
	var r proto.Request
	if err := proto.ParseRequest([]byte(s), &r); err != proto.ErrNone {
		t.Fatalf("%q: %v", s, err)
	}
	return r.Clone()
}

// TestGetPathAllocatesNothing guards the read hot path: executing a GET
// and encoding its reply into a reused buffer allocates nothing.
func TestGetPathAllocatesNothing(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	n := newNode(t, Config{Partitions: 64})
	do(t, n, 0, "SET:STR (10)key:000001 (100)"+string(make([]byte, 100)))
	run := &rpc.Run{Cmds: []rpc.Cmd{{Reqs: []*proto.Request{parsed(t, "GET (10)key:000001")}}}}
	var res Result
	n.apply(run, &res, false, nil)
	allocs := testing.AllocsPerRun(1000, func() {
		n.apply(run, &res, false, nil)
		if len(res.Replies) < 100 {
			panic("short reply")
		}
	})
	if allocs != 0 {
		t.Fatalf("GET allocates %v times per request", allocs)
	}
}

// TestWritePathAllocations bounds the write paths. Overwriting a string
// copies the key into its delta and the value once into a cell, which the
// shard adopts; an INCR copies the key and makes one array for the slot
// versions its result absorbs and the slot it grows.
func TestWritePathAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under the race detector")
	}
	for _, c := range []struct{ name, req, what string }{
		{"SET", "SET:STR (10)key:000001 (100)" + string(make([]byte, 100)), "key and value"},
		{"INCR", "INCR_INT (10)key:000002 1", "key and slots"},
	} {
		n := newNode(t, Config{Partitions: 64})
		run := &rpc.Run{Cmds: []rpc.Cmd{{Reqs: []*proto.Request{parsed(t, c.req)}}}}
		var res Result
		n.apply(run, &res, false, nil)
		allocs := testing.AllocsPerRun(1000, func() {
			n.apply(run, &res, false, nil)
		})
		if allocs > 2 {
			t.Fatalf("%s allocates %v times per request, want at most 2 (%s)", c.name, allocs, c.what)
		}
	}
}

func BenchmarkExecGet(b *testing.B) {
	n, _ := New(Config{})
	for i := 0; i < 10000; i++ {
		do(b, n, 0, "SET:STR (9)key:"+strconv.Itoa(10000+i)+" (100)"+string(make([]byte, 100)))
	}
	reqs := make([]*proto.Request, 10000)
	for i := range reqs {
		reqs[i] = parsed(b, "GET (9)key:"+strconv.Itoa(10000+i))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		run := &rpc.Run{Cmds: []rpc.Cmd{{Reqs: make([]*proto.Request, 1)}}}
		var res Result
		i := 0
		for pb.Next() {
			run.Cmds[0].Reqs[0] = reqs[i%len(reqs)]
			n.apply(run, &res, false, nil)
			i++
		}
	})
}

func BenchmarkExecSet(b *testing.B) {
	n, _ := New(Config{})
	reqs := make([]*proto.Request, 10000)
	for i := range reqs {
		reqs[i] = parsed(b, "SET:STR (9)key:"+strconv.Itoa(10000+i)+" (100)"+string(make([]byte, 100)))
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		run := &rpc.Run{Cmds: []rpc.Cmd{{Reqs: make([]*proto.Request, 1)}}}
		var res Result
		i := 0
		for pb.Next() {
			run.Cmds[0].Reqs[0] = reqs[i%len(reqs)]
			n.apply(run, &res, false, nil)
			i++
		}
	})
}

// BenchmarkExpireMillion writes a million keys with one deadline, lets it
// pass, and sweeps until none is left, reporting the sweep's total time and
// its longest single call (each call holds one partition lock at a time).
func BenchmarkExpireMillion(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		var now atomic.Int64
		now.Store(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli())
		n, _ := New(Config{Now: func() time.Time { return time.UnixMilli(now.Load()) }})
		for k := 0; k < 1_000_000; k++ {
			key := "key:" + strconv.Itoa(10_000_000+k)
			runEach(n, 0, parse(b, "SET:STR (12)"+key+" (10)0123456789", "SET_EXPIRY (12)"+key+" 1"))
		}
		now.Add(2000)
		b.StartTimer()
		start := time.Now()
		var longest time.Duration
		calls := 0
		for n.Keys(0) > 0 {
			t0 := time.Now()
			n.SweepExpired(25 * time.Millisecond)
			longest = max(longest, time.Since(t0))
			calls++
		}
		b.ReportMetric(time.Since(start).Seconds(), "s-to-empty")
		b.ReportMetric(float64(longest.Milliseconds()), "ms-longest-call")
		b.ReportMetric(float64(calls), "calls")
	}
}

// BenchmarkRecover1M measures a restart: loading a snapshot of a million
// 100-byte strings, and replaying a WAL of a million writes.
func BenchmarkRecover1M(b *testing.B) {
	dir := b.TempDir()
	path := dir + "/vanity.db"
	cfg := Config{SnapshotPath: path, WALDir: WALPath(path), Partitions: 64}
	n, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	value := strings.Repeat("v", 100)
	for k := 0; k < 1_000_000; k++ {
		runEach(n, 0, parse(b, "SET:STR (12)key:"+strconv.Itoa(10_000_000+k)+" (100)"+value))
	}
	b.Run("wal", func(b *testing.B) {
		n.wal.Sync()
		for i := 0; i < b.N; i++ {
			r, err := New(Config{WALDir: WALPath(path), Partitions: 64})
			if err != nil || r.Keys(0) != 1_000_000 {
				b.Fatalf("%v, %d keys", err, r.Keys(0))
			}
			r.Close()
		}
	})
	if err := n.Persist(); err != nil {
		b.Fatal(err)
	}
	n.Close()
	b.Run("snapshot", func(b *testing.B) {
		for i := 0; i < b.N; i++ {
			r, err := New(Config{SnapshotPath: path, Partitions: 64})
			if err != nil || r.Keys(0) != 1_000_000 {
				b.Fatalf("%v, %d keys", err, r.Keys(0))
			}
		}
	})
}

// wireReplica is a replication.Replica in process that takes the path of
// a replicate-many call without the socket: the payload is encoded as
// rpcReplica does and applied as the RPC server's handler does.
type wireReplica struct {
	name string
	n    *Node
}

func (w wireReplica) Name() string { return w.name }

func (w wireReplica) Send(items []replication.Item, _ time.Duration, done func(error)) {
	buf := payloads.Get().(*[]byte)
	*buf = appendStoreItems((*buf)[:0], items)
	sb := storeBatches.Get().(*storeBatch)
	err := sb.decode(*buf)
	if err == nil {
		_, err = w.n.applyReplicas(sb.parts, sb.deltas)
	}
	sb.free()
	payloads.Put(buf)
	done(err)
}

func (w wireReplica) Ask(_ []replication.StateReq, _ time.Duration, done func([]replication.StateAnswer, error)) {
	done(nil, rpc.ErrNotSent)
}

// BenchmarkReplicatedSet runs runs of 100 SETs at QUORUM through a
// coordinator whose two other replicas are nodes in process: the work of
// all three copies of a write, per SET, without the sockets.
func BenchmarkReplicatedSet(b *testing.B) {
	const perRun = 100
	node := func() *Node {
		n := newNode(b, Config{Partitions: 1024, WALDir: b.TempDir(), Fsync: wal.SyncEverySecond})
		b.Cleanup(func() { n.Close() })
		return n
	}
	n, r1, r2 := node(), node(), node()
	others := []replication.Replica{wireReplica{"r1", r1}, wireReplica{"r2", r2}}
	c := &Coordinator{node: n, log: slog.New(slog.DiscardHandler), readRepairs: new(atomic.Int64),
		replicas: func(int) ([]replication.Replica, int) { return others, 3 }}
	reqs := make([]*proto.Request, 10000)
	for i := range reqs {
		reqs[i] = parsed(b, "SET:STR (9)key:"+strconv.Itoa(10000+i)+" (100)"+string(make([]byte, 100)))
	}
	run := &rpc.Run{Cmds: make([]rpc.Cmd, perRun)}
	res := new(Result)
	b.ReportAllocs()
	b.ResetTimer()
	k := 0
	for i := 0; i < b.N; i += perRun {
		for j := range run.Cmds {
			run.Cmds[j] = rpc.Cmd{Write: proto.ConsQuorum, Reqs: reqs[k%len(reqs) : k%len(reqs)+1]}
			k += 7
		}
		c.Run(run, res, func(*Result) {}, nil)
	}
}

// BenchmarkApplyRunManyKeys applies runs of 64 commands, each on a key
// drawn from 100,000, as one loop's turn brings them to a node: the time
// per command, most of it spent waiting for each key's slot, bytes and
// value to come from memory (docs/decisions.md, "A shard's keys are a
// table of our own"). Every key is written twice first, the second time
// in shuffled order, so that a value no longer sits next to its key, as
// after a while of writes.
func BenchmarkApplyRunManyKeys(b *testing.B) {
	const keys, runLen = 100000, 64
	value := string(make([]byte, 100))
	for _, c := range []struct{ name, fill, req string }{
		{"GET", "SET:STR (16)key:%012d (100)" + value, "GET (16)key:%012d"},
		{"SET", "SET:STR (16)key:%012d (100)" + value, "SET:STR (16)key:%012d (100)" + value},
		{"INCR", "INCR_INT (20)counter:%012d 1", "INCR_INT (20)counter:%012d 1"},
	} {
		n := newNode(b, Config{})
		for i := 0; i < keys; i++ {
			do(b, n, 0, fmt.Sprintf(c.fill, i))
		}
		rng := rand.New(rand.NewPCG(1, 2))
		for _, i := range rng.Perm(keys) {
			do(b, n, 0, fmt.Sprintf(c.fill, i))
		}
		reqs := make([]*proto.Request, 1<<16)
		for i := range reqs {
			reqs[i] = parsed(b, fmt.Sprintf(c.req, rng.IntN(keys)))
		}
		b.Run(c.name, func(b *testing.B) {
			run := &rpc.Run{Cmds: make([]rpc.Cmd, runLen)}
			var res Result
			b.ReportAllocs()
			at := 0
			for i := 0; i < b.N; i += runLen {
				for j := range run.Cmds {
					run.Cmds[j].Reqs = append(run.Cmds[j].Reqs[:0], reqs[at%len(reqs)])
					at++
				}
				n.apply(run, &res, false, nil)
				if len(res.Ends) != runLen {
					b.Fatalf("%d replies to %d commands", len(res.Ends), runLen)
				}
			}
		})
	}
}
