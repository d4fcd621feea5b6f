package storage

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/cespare/xxhash/v2"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// BenchmarkExecManyKeys runs SET and GET over more keys than the caches
// hold, spread over shards as a node's partitions spread them (100,000
// keys, 1,024 shards, random order: what the load generator sends), in
// runs of 16 commands as a loop's turn brings them, so what it measures
// is mostly the memory a command touches (b.N counts runs of 16).
func BenchmarkExecManyKeys(b *testing.B) {
	const keys, shards, run = 100_000, 1024, 16
	sh := make([]*Shard, shards)
	for i := range sh {
		sh[i] = NewShard(false)
	}
	locate := func(key []byte) *Shard { return sh[xxhash.Sum64(key)%shards] }
	var wall int64 = 1_700_000_000_000
	clock := hlc.NewClock(1, func() int64 { return wall })
	c := &Ctx{Locate: locate}
	value := fmt.Sprintf("(100)%0100d", 7)
	sets := make([]proto.Request, keys)
	gets := make([]proto.Request, keys)
	for i := range keys {
		k := fmt.Sprintf("key:%012d", i)
		if err := proto.ParseRequest(fmt.Appendf(nil, "SET:STR (%d)%s %s", len(k), k, value), &sets[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
		if err := proto.ParseRequest(fmt.Appendf(nil, "GET (%d)%s", len(k), k), &gets[i]); err != proto.ErrNone {
			b.Fatal(err)
		}
	}
	exec := func(req *proto.Request, dst []byte) []byte {
		c.T = clock.Now()
		c.Deltas = c.Deltas[:0]
		return Exec(c, req, dst[:0])
	}
	var dst []byte
	for i := range sets {
		dst = exec(&sets[i], dst)
	}
	order := rand.New(rand.NewPCG(1, 2)).Perm(keys)
	var batch [run]*proto.Request
	for _, bm := range []struct {
		name string
		reqs []proto.Request
	}{{"SET", sets}, {"GET", gets}} {
		b.Run(bm.name, func(b *testing.B) {
			next := 0
			for b.Loop() {
				for j := range batch {
					batch[j] = &bm.reqs[order[next]]
					if next++; next == keys {
						next = 0
					}
				}
				for _, req := range batch {
					dst = exec(req, dst)
				}
			}
		})
	}
}
