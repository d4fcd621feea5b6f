package snapshot

import (
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/vanitydb/vanity/storage"
	"github.com/vanitydb/vanity/storage/hlc"
)

// chunks builds 64 partitions' chunks of 100 string keys each, with
// 100-byte values that are all one byte ("same", the load generator's),
// short JSON documents ("json") or random bytes ("random").
func chunks(valueKind string) [][]byte {
	r := rand.New(rand.NewPCG(1, 2))
	var out [][]byte
	for p := 0; p < 64; p++ {
		var buf []byte
		for i := 0; i < 100; i++ {
			v := make([]byte, 100)
			switch valueKind {
			case "same":
				for j := range v {
					v[j] = 'v'
				}
			case "json":
				s := fmt.Sprintf(`{"id":%d,"user":"user-%d","score":%d,"tags":["a%d","b%d"],"ok":true}`, r.IntN(1e9), r.IntN(1e6), r.IntN(1e5), r.IntN(100), r.IntN(100))
				v = []byte(s)
			case "random":
				for j := range v {
					v[j] = byte(r.IntN(256))
				}
			}
			d := storage.Delta{Key: fmt.Sprintf("key:%d", r.IntN(1e6)), Reset: hlc.Stamp{Time: r.Uint64() >> 20, Actor: 3}}
			d.Val = storage.ValDelta{Kind: 1, TS: d.Reset, Reg: d.Reset, Str: string(v)}
			rec := storage.AppendDelta(nil, &d)
			buf = binary.AppendUvarint(buf, uint64(len(rec)))
			buf = append(buf, rec...)
		}
		out = append(out, buf)
	}
	return out
}

// BenchmarkChunkLevels compresses snapshot chunks at zstd's fastest and
// default levels, reporting the compressed/raw ratio: the figures behind
// the writer's level (docs/decisions.md).
func BenchmarkChunkLevels(b *testing.B) {
	for _, kind := range []string{"same", "json", "random"} {
		cs := chunks(kind)
		raw := 0
		for _, c := range cs {
			raw += len(c)
		}
		for _, lv := range []zstd.EncoderLevel{zstd.SpeedFastest, zstd.SpeedDefault} {
			enc, _ := zstd.NewWriter(nil, zstd.WithEncoderLevel(lv), zstd.WithEncoderConcurrency(1))
			b.Run(kind+"/"+lv.String(), func(b *testing.B) {
				var dst []byte
				size := 0
				for b.Loop() {
					size = 0
					for _, c := range cs {
						dst = enc.EncodeAll(c, dst[:0])
						size += len(dst)
					}
				}
				b.ReportMetric(float64(size)/float64(raw), "ratio")
				b.SetBytes(int64(raw))
			})
		}
	}
}
