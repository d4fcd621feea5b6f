package main

import (
	"math"
	"math/bits"
	"time"
)

// hist is a log-linear latency histogram in the manner of HdrHistogram:
// values in nanoseconds fall into buckets whose width is 1/128 of their
// power of two, so every recorded value is kept within 0.8%.
type hist struct {
	counts [64 * subBuckets]uint64
	n      uint64
	max    int64
	sum    float64
}

const subBits = 7
const subBuckets = 1 << subBits

func bucketOf(v int64) int {
	if v < subBuckets {
		return int(v)
	}
	exp := 63 - bits.LeadingZeros64(uint64(v)) // v >= 128, exp >= 7
	shift := exp - subBits
	return (shift+1)*subBuckets + int(uint64(v)>>shift) - subBuckets
}

// lowerBound is the smallest value of bucket b.
func lowerBound(b int) int64 {
	if b < subBuckets {
		return int64(b)
	}
	shift := b/subBuckets - 1
	return int64(b%subBuckets+subBuckets) << shift
}

func (h *hist) record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(v)]++
	h.n++
	h.sum += float64(v)
	h.max = max(h.max, v)
}

func (h *hist) merge(o *hist) {
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.max = max(h.max, o.max)
}

// quantile returns the value at quantile q (0..1), as the upper edge of
// its bucket.
func (h *hist) quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	target := uint64(math.Ceil(q * float64(h.n)))
	if target == 0 {
		target = 1
	}
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= target {
			return time.Duration(min(lowerBound(b+1)-1, h.max))
		}
	}
	return time.Duration(h.max)
}
