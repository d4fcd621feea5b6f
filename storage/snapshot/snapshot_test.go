package snapshot

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
	"github.com/vanitydb/vanity/storage/record"
)

// fill runs n writes of every kind against shards and returns them.
func fill(t *testing.T, nShards, n int) []*storage.Shard {
	shards := make([]*storage.Shard, nShards)
	for i := range shards {
		shards[i] = storage.NewShard(false)
	}
	wall := int64(1_000_000)
	clock := hlc.NewClock(1, func() int64 { return wall })
	locate := func(k []byte) *storage.Shard { return shards[len(k)%nShards] }
	for i := 0; i < n; i++ {
		k := "key" + strconv.Itoa(i%97) + string(rune('a'+i%5))
		reqs := []string{
			"SET:STR " + enc(k+"s") + " " + enc(fmt.Sprintf("value-%d", i)),
			"INCR_INT " + enc(k+"i") + " " + strconv.Itoa(i),
			"INCR_FLOAT " + enc(k+"f") + " 0.5",
			"LIST_PUSH_RIGHT " + enc(k+"l") + " (2)[(1)a(1)b]",
			"SET_ADD " + enc(k+"e") + " (2){" + enc(strconv.Itoa(i)) + "(1)x}",
			"HASH_UPDATE " + enc(k+"h") + " (1){" + enc(strconv.Itoa(i%7)) + enc(k) + "}",
			"SET_EXPIRY " + enc(k+"s") + " 100",
		}
		for _, r := range reqs {
			var req proto.Request
			if err := proto.ParseRequest([]byte(r), &req); err != proto.ErrNone {
				t.Fatalf("%q: %v", r, err)
			}
			wall++
			c := &storage.Ctx{T: clock.Now(), Locate: locate, DB: i % 3}
			storage.Exec(c, &req, nil)
		}
	}
	return shards
}

func enc(s string) string { return "(" + strconv.Itoa(len(s)) + ")" + s }

// dump renders a shard's states canonically (encoded deltas, sorted).
func dump(sh *storage.Shard) string {
	var out []string
	sh.Each(func(d *storage.Delta) bool {
		out = append(out, string(storage.AppendDelta(nil, d)))
		return true
	})
	sort.Strings(out)
	return fmt.Sprint(out)
}

func write(t testing.TB, shards []*storage.Shard, m Meta) []byte {
	var buf bytes.Buffer
	w, err := NewWriter(&buf, m)
	if err != nil {
		t.Fatal(err)
	}
	var c Capture
	for p, sh := range shards {
		c.Reset()
		sh.Each(func(d *storage.Delta) bool {
			c.Add(d)
			return true
		})
		if err := w.Partition(p, uint64(100+p), &c); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	shards := fill(t, 3, 3000)
	m := Meta{Partitions: 3, Position: 42, Created: hlc.Stamp{Time: 99, Actor: 1}}
	data := write(t, shards, m)
	got := make([]*storage.Shard, 3)
	for i := range got {
		got[i] = storage.NewShard(false)
	}
	var gotMeta Meta
	err := Read(bytes.NewReader(data), func(m Meta) error { gotMeta = m; return nil },
		func(p int, pos uint64, d *storage.Delta) error {
			if pos != uint64(100+p) {
				t.Fatalf("partition %d read with position %d", p, pos)
			}
			got[p].Apply(d)
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	if gotMeta != m {
		t.Errorf("meta %+v, want %+v", gotMeta, m)
	}
	for i := range shards {
		if dump(got[i]) != dump(shards[i]) {
			t.Errorf("partition %d differs after the round trip", i)
		}
	}
	t.Logf("snapshot of %d keys: %d bytes", shards[0].Len(0)+shards[1].Len(0)+shards[2].Len(0), len(data))
}

// TestLargePartitionSpansChunks: a partition larger than a chunk is cut
// into chunks of about chunkSize at delta boundaries, each counting its
// own deltas, and reads back whole.
func TestLargePartitionSpansChunks(t *testing.T) {
	const keys = 30_000 // about 3.3 MiB of records
	value := strings.Repeat("v", 100)
	var c Capture
	for i := range keys {
		d := storage.Delta{Key: fmt.Sprintf("key:%06d", i), Reset: hlc.Stamp{Time: uint64(i + 1), Actor: 1}}
		d.Val = storage.ValDelta{Kind: 1, TS: d.Reset, Reg: d.Reset, Str: value}
		c.Add(&d)
	}
	var buf bytes.Buffer
	w, err := NewWriter(&buf, Meta{Partitions: 2})
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Partition(1, 7, &c); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	var counts []uint64
	dec, err := NewDecoder()
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	seen := map[string]bool{}
	err = ReadChunks(bytes.NewReader(buf.Bytes()), noop, func(ch *Chunk) error {
		counts = append(counts, ch.Count)
		n := uint64(0)
		err := dec.Deltas(ch, func(d *storage.Delta) error {
			if ch.Partition != 1 || ch.Position != 7 || d.Val.Str != value {
				t.Fatalf("chunk of partition %d at %d holds %q", ch.Partition, ch.Position, d.Val.Str)
			}
			seen[d.Key] = true
			n++
			return nil
		})
		if n != ch.Count {
			t.Errorf("a chunk says %d deltas and holds %d", ch.Count, n)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(counts) != 4 || len(seen) != keys {
		t.Errorf("%d chunks (%v) holding %d keys, want 4 chunks holding %d", len(counts), counts, len(seen), keys)
	}
}

// TestTrimKeepsASmallCapture: Trim empties a capture, keeps storage up to
// its bound for the next use, and lets a larger one go.
func TestTrimKeepsASmallCapture(t *testing.T) {
	var c Capture
	d := storage.Delta{Key: "k", Reset: hlc.Stamp{Time: 1, Actor: 1}}
	d.Val = storage.ValDelta{Kind: 1, TS: d.Reset, Reg: d.Reset, Str: strings.Repeat("v", 1000)}
	for range 100 {
		c.Add(&d)
	}
	c.Trim(1 << 20)
	if c.Size() != 0 || cap(c.recs) == 0 {
		t.Fatalf("trimmed to 1 MiB: %d bytes held, capacity %d; want none held, the storage kept", c.Size(), cap(c.recs))
	}
	c.Add(&d)
	c.Trim(1 << 10)
	if c.Size() != 0 || cap(c.recs) != 0 || cap(c.scratch) > 1<<10 {
		t.Fatalf("trimmed to 1 KiB: %d bytes held, capacities %d and %d; want the storage let go", c.Size(), cap(c.recs), cap(c.scratch))
	}
}

func TestEmptySnapshot(t *testing.T) {
	data := write(t, nil, Meta{})
	calls := 0
	if err := Read(bytes.NewReader(data), func(Meta) error { return nil },
		func(int, uint64, *storage.Delta) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("err %v, %d deltas", err, calls)
	}
}

func noop(Meta) error                          { return nil }
func ignore(int, uint64, *storage.Delta) error { return nil }

// TestTruncationDetected cuts the file at many offsets: every prefix must be
// refused, because only a complete file has its end frame.
func TestTruncationDetected(t *testing.T) {
	data := write(t, fill(t, 2, 200), Meta{Partitions: 2})
	step := max(1, len(data)/500)
	for n := 0; n < len(data); n += step {
		if err := Read(bytes.NewReader(data[:n]), noop, ignore); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d/%d bytes: got %v, want ErrCorrupt", n, len(data), err)
		}
	}
}

// TestBitFlipsDetected flips one bit at many offsets: every change must be
// reported, never silently accepted.
func TestBitFlipsDetected(t *testing.T) {
	data := write(t, fill(t, 2, 200), Meta{Partitions: 2})
	step := max(1, len(data)/400)
	for off := 0; off < len(data); off += step {
		bad := bytes.Clone(data)
		bad[off] ^= 0x10
		if err := Read(bytes.NewReader(bad), noop, ignore); err == nil {
			t.Fatalf("flip at offset %d/%d was not detected", off, len(data))
		}
	}
}

// toV1 rewrites a snapshot in the version 1 framing: kind:u8 length:u32
// crc:u32 payload, the CRC-32C over kind and payload.
func toV1(t *testing.T, data []byte) []byte {
	out := append([]byte(nil), data[:12]...)
	binary.BigEndian.PutUint16(out[8:], 1)
	tab := crc32.MakeTable(crc32.Castagnoli)
	for b := data[12:]; len(b) > 0; {
		rec, n, err := record.Parse(b, 1<<30)
		if err != nil {
			t.Fatal(err)
		}
		b = b[n:]
		kind, payload := rec[0], rec[1:]
		out = append(out, kind)
		out = binary.BigEndian.AppendUint32(out, uint32(len(payload)))
		out = binary.BigEndian.AppendUint32(out, crc32.Update(crc32.Update(0, tab, []byte{kind}), tab, payload))
		out = append(out, payload...)
	}
	return out
}

// TestReadsVersion1: files written before record framing still load, and
// their damage is still caught.
func TestReadsVersion1(t *testing.T) {
	shards := fill(t, 2, 500)
	data := toV1(t, write(t, shards, Meta{Partitions: 2}))
	got := []*storage.Shard{storage.NewShard(false), storage.NewShard(false)}
	if err := Read(bytes.NewReader(data), noop, func(p int, _ uint64, d *storage.Delta) error {
		got[p].Apply(d)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range shards {
		if dump(got[i]) != dump(shards[i]) {
			t.Errorf("partition %d differs read from version 1", i)
		}
	}
	bad := bytes.Clone(data)
	bad[len(bad)/2] ^= 0x10
	if err := Read(bytes.NewReader(bad), noop, ignore); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("a damaged version 1 file: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(write(f, nil, Meta{}))
	f.Add([]byte("VANITYSS\x00\x01\x00\x00"))
	f.Fuzz(func(t *testing.T, b []byte) {
		sh := storage.NewShard(true)
		_ = Read(bytes.NewReader(b), noop, func(p int, _ uint64, d *storage.Delta) error {
			sh.Apply(d)
			return nil
		})
	})
}
