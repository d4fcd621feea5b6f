package replication

import (
	"context"
	"encoding/binary"
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// shardCopy is a Copy over an in-memory shard, counting what it is asked.
type shardCopy struct {
	sh             *storage.Shard
	digests, joins int
}

func (c *shardCopy) Digest(_ context.Context, _ int, horizon uint64, root uint64) (Digest, error) {
	c.digests++
	dg := c.sh.Digest(hlc.Stamp{Time: horizon})
	out := Digest{Root: dg.Root()}
	if out.Root != root {
		out.Leaves = dg[:]
	}
	return out, nil
}

func (c *shardCopy) Buckets(_ context.Context, _ int, horizon uint64, buckets []int) ([]byte, error) {
	var in [storage.DigestLeaves]bool
	for _, b := range buckets {
		in[b] = true
	}
	var out []byte
	c.sh.EachIn(&in, hlc.Stamp{Time: horizon}, func(d *storage.Delta) bool {
		one := storage.AppendDelta(nil, d)
		out = binary.AppendUvarint(out, uint64(len(one)))
		out = append(out, one...)
		return true
	})
	return out, nil
}

func (c *shardCopy) Store(_ context.Context, items []Item) error {
	c.joins++
	for _, it := range items {
		if err := c.join(it.Deltas); err != nil {
			return err
		}
	}
	return nil
}

func (c *shardCopy) join(states []byte) error {
	for len(states) > 0 {
		l, k := binary.Uvarint(states)
		d, err := storage.DecodeDelta(states[k : k+int(l)])
		if err != nil {
			return err
		}
		c.sh.Apply(&d)
		states = states[k+int(l):]
	}
	return nil
}

func strDelta(key, val string, t uint64) storage.Delta {
	s := hlc.Stamp{Time: t << hlc.LogicalBits, Actor: 1}
	return storage.Delta{Key: key, Val: storage.ValDelta{Kind: proto.TypeStr, TS: s, Reg: s, Str: val}}
}

func render(sh *storage.Shard) map[string]string {
	out := map[string]string{}
	sh.Each(func(d *storage.Delta) bool {
		out[d.Key] = fmt.Sprintf("%+v", *d)
		return true
	})
	return out
}

// TestSyncMakesCopiesEqual: two copies that each missed different writes
// (and one key written on both with different values) end equal after one
// round, having exchanged only the differing keys' buckets; a second
// round finds them equal at the digest root and moves nothing.
func TestSyncMakesCopiesEqual(t *testing.T) {
	a, b := &shardCopy{sh: storage.NewShard(true)}, &shardCopy{sh: storage.NewShard(true)}
	for i := 0; i < 500; i++ {
		d := strDelta(fmt.Sprintf("k%d", i), "v", 10)
		a.sh.Apply(&d)
		b.sh.Apply(&d)
	}
	onlyA, onlyB := strDelta("only-a", "x", 20), strDelta("only-b", "y", 20)
	a.sh.Apply(&onlyA)
	b.sh.Apply(&onlyB)
	older, newer := strDelta("k7", "old", 30), strDelta("k7", "new", 31)
	a.sh.Apply(&newer)
	b.sh.Apply(&older)
	ctx := context.Background()
	res, err := Sync(ctx, 0, 0, a, b)
	if err != nil {
		t.Fatal(err)
	}
	if res.Buckets < 1 || res.Buckets > 3 {
		t.Fatalf("%d buckets differed; three keys did", res.Buckets)
	}
	ra, rb := render(a.sh), render(b.sh)
	if fmt.Sprint(ra) != fmt.Sprint(rb) {
		t.Fatalf("copies differ after a round:\n%v\n%v", ra, rb)
	}
	if len(ra) != 502 || ra["k7"] == "" || a.sh.Digest(hlc.Stamp{}).Root() != b.sh.Digest(hlc.Stamp{}).Root() {
		t.Fatalf("%d keys after the round, want 502", len(ra))
	}
	if d, _ := a.sh.State(0, []byte("k7")); d.Val.Str != "new" {
		t.Fatalf("k7 = %q, want the later write", d.Val.Str)
	}
	full, _ := a.Buckets(ctx, 0, 0, allBuckets())
	if res.In+res.Out >= len(full)/10 {
		t.Fatalf("moved %d+%d bytes for 3 keys of 502 (all: %d)", res.In, res.Out, len(full))
	}
	joins := a.joins + b.joins
	res, err = Sync(ctx, 0, 0, b, a)
	if err != nil || res.Buckets != 0 || a.joins+b.joins != joins {
		t.Fatalf("second round: %+v, %v, %d joins", res, err, a.joins+b.joins-joins)
	}
}

func allBuckets() []int {
	b := make([]int, storage.DigestLeaves)
	for i := range b {
		b[i] = i
	}
	return b
}
