// Package hll is HyperLogLog in Redis's string format, so that PFADD,
// PFCOUNT and PFMERGE count as Redis's do and a sketch moves between a
// Redis and Vanity as a plain string (GET, SET, DUMP, RESTORE).
//
// A sketch has 16384 registers of 6 bits. An element's 64-bit MurmurHash2
// (MurmurHash64A, seed 0xadc83b19) picks a register with its low 14 bits;
// the register keeps the longest run of zeros, plus one, seen at the
// bottom of the other 50 bits. The string is a 16-byte header ("HYLL",
// the encoding, three zero bytes, a cached cardinality of 8 bytes whose
// top bit says it is stale) and then either the dense registers (12288
// bytes, 6 bits each, the lowest first) or the sparse form: runs of zero
// registers (ZERO: 1 to 64, one byte; XZERO: up to 16384, two bytes) and
// runs of 1 to 4 registers holding one value of 1 to 32 (VAL, one byte).
// A sketch is written sparse while that takes at most SparseMax bytes and
// every value fits, dense otherwise, and dense stays dense.
//
// The cardinality is Otmar Ertl's improved raw estimator ("New
// cardinality estimation algorithms for HyperLogLog sketches", 2017), as
// Redis computes it since 5.0, over the histogram of register values.
//
// The package is pure: bytes in, bytes out.
package hll

import (
	"encoding/binary"
	"math"
	"math/bits"
)

const (
	precision = 14
	registers = 1 << precision // 16384
	regBits   = 6
	q         = 64 - precision // 50: the bits that count zeros
	denseSize = registers * regBits / 8
	hdrSize   = 16
	// SparseMax is the longest sparse form written (Redis's
	// hll-sparse-max-bytes default); past it the sketch is dense.
	SparseMax = 3000
	maxVal    = 32 // the largest value a sparse VAL run holds

	encDense  = 0
	encSparse = 1

	seed = 0xadc83b19
)

// Registers are a sketch's registers, one byte each.
type Registers [registers]uint8

// Sketch is a decoded sketch: its registers, and whether its string was
// dense (it is written dense again).
type Sketch struct {
	Regs  Registers
	Dense bool
}

// Decode reads a sketch from s; ok is false when s is not one (a string
// that is no sketch is refused, as Redis refuses it).
func Decode(s []byte) (sk Sketch, ok bool) {
	if len(s) < hdrSize || string(s[:4]) != "HYLL" {
		return sk, false
	}
	body := s[hdrSize:]
	switch s[4] {
	case encDense:
		if len(body) != denseSize {
			return sk, false
		}
		sk.Dense = true
		for i := range sk.Regs {
			sk.Regs[i] = denseGet(body, i)
		}
		return sk, true
	case encSparse:
		i := 0
		for k := 0; k < len(body); k++ {
			op := body[k]
			switch {
			case op&0xc0 == 0x00: // ZERO
				i += int(op&0x3f) + 1
			case op&0xc0 == 0x40: // XZERO
				if k+1 >= len(body) {
					return sk, false
				}
				i += (int(op&0x3f)<<8 | int(body[k+1])) + 1
				k++
			default: // VAL
				run, v := int(op&0x3)+1, op>>2&0x1f+1
				if i+run > registers {
					return sk, false
				}
				for j := range run {
					sk.Regs[i+j] = v
				}
				i += run
			}
			if i > registers {
				return sk, false
			}
		}
		return sk, i == registers
	}
	return sk, false
}

// New returns an empty sketch's string (sparse: every register zero).
func New() []byte {
	var sk Sketch
	return sk.Encode()
}

// Encode writes the sketch with a stale cache: sparse if it was not dense
// and its sparse form fits, dense otherwise.
func (sk *Sketch) Encode() []byte {
	if !sk.Dense {
		if b, ok := sk.sparse(); ok {
			return b
		}
	}
	out := header(encDense, hdrSize+denseSize)
	out = out[:hdrSize+denseSize]
	for i, v := range sk.Regs {
		denseSet(out[hdrSize:], i, v)
	}
	return out
}

// header starts a sketch's string of encoding enc, its cache stale.
func header(enc byte, size int) []byte {
	out := make([]byte, hdrSize, size)
	copy(out, "HYLL")
	out[4] = enc
	out[15] = 0x80 // the cached cardinality is stale
	return out
}

// sparse writes the sparse form, or reports that it does not fit.
func (sk *Sketch) sparse() ([]byte, bool) {
	out := header(encSparse, hdrSize+64)
	for i := 0; i < registers; {
		v := sk.Regs[i]
		run := 1
		for i+run < registers && sk.Regs[i+run] == v {
			run++
		}
		i += run
		switch {
		case v > maxVal:
			return nil, false
		case v == 0:
			for run > 0 {
				if run > 64 {
					n := min(run, registers)
					out = append(out, 0x40|byte((n-1)>>8), byte(n-1))
					run -= n
				} else {
					out = append(out, byte(run-1))
					run = 0
				}
			}
		default:
			for run > 0 {
				n := min(run, 4)
				out = append(out, 0x80|(v-1)<<2|byte(n-1))
				run -= n
			}
		}
		if len(out)-hdrSize > SparseMax {
			return nil, false
		}
	}
	return out, true
}

// denseGet reads register i of dense registers p, a string's or a
// slice's.
func denseGet[P ~string | ~[]byte](p P, i int) uint8 {
	b, fb := i*regBits/8, uint(i*regBits&7)
	v := uint(p[b]) >> fb
	if b+1 < len(p) {
		v |= uint(p[b+1]) << (8 - fb)
	}
	return uint8(v & 63)
}

func denseSet(p []byte, i int, v uint8) {
	b, fb := i*regBits/8, uint(i*regBits&7)
	p[b] = p[b]&^byte(63<<fb) | byte(uint(v)<<fb)
	if b+1 < len(p) {
		p[b+1] = p[b+1]&^byte(63>>(8-fb)) | byte(uint(v)>>(8-fb))
	}
}

// Add counts element in the sketch and reports whether a register grew.
func (sk *Sketch) Add(element []byte) bool {
	i, n := registerOf(element)
	if n > sk.Regs[i] {
		sk.Regs[i] = n
		return true
	}
	return false
}

// registerOf is the register element picks and the value it offers it.
func registerOf(element []byte) (int, uint8) {
	h := murmur64a(element)
	i := h & (registers - 1)
	h = h>>precision | 1<<q
	return int(i), uint8(bits.TrailingZeros64(h) + 1)
}

// AddTo counts elements in the sketch whose string is s (exists false:
// none yet, an empty sketch) and returns the sketch's new string when a
// register grew (changed); ok is false when s is no sketch. A dense
// sketch is read and changed in place, register by register, in a copy
// made at its first change (an element that raises nothing costs its
// hash); a sparse one is decoded and written again.
func AddTo(s string, exists bool, elements [][]byte) (out []byte, changed, ok bool) {
	if exists && len(s) == hdrSize+denseSize && s[:4] == "HYLL" && s[4] == encDense {
		for _, e := range elements {
			i, n := registerOf(e)
			if out == nil {
				if n <= denseGet(s[hdrSize:], i) {
					continue
				}
				out = []byte(s)
				out[15] |= 0x80 // the cached cardinality is stale
			}
			if n > denseGet(out[hdrSize:], i) {
				denseSet(out[hdrSize:], i, n)
			}
		}
		return out, out != nil, true
	}
	var sk Sketch
	if exists {
		if sk, ok = Decode([]byte(s)); !ok {
			return nil, false, false
		}
	}
	for _, e := range elements {
		if sk.Add(e) {
			changed = true
		}
	}
	if changed {
		out = sk.Encode()
	}
	return out, changed, true
}

// Merge raises each register to other's where other's is higher.
func (sk *Sketch) Merge(other *Sketch) {
	for i, v := range other.Regs {
		sk.Regs[i] = max(sk.Regs[i], v)
	}
	sk.Dense = sk.Dense || other.Dense
}

// Count estimates how many distinct elements the sketch has counted.
func (sk *Sketch) Count() uint64 {
	var hist [64]int
	for _, v := range sk.Regs {
		hist[v]++
	}
	const m = float64(registers)
	z := m * tau((m-float64(hist[q+1]))/m)
	for j := q; j >= 1; j-- {
		z += float64(hist[j])
		z *= 0.5
	}
	z += m * sigma(float64(hist[0])/m)
	const alphaInf = 0.721347520444481703680 // 1 / (2 ln 2)
	return uint64(math.Round(alphaInf * m * m / z))
}

// sigma and tau are the series of Ertl's estimator, summed until a term
// no longer changes the sum.
func sigma(x float64) float64 {
	if x == 1 {
		return math.Inf(1)
	}
	y, z := 1.0, x
	for {
		x *= x
		prev := z
		z += x * y
		y += y
		if z == prev {
			return z
		}
	}
}

func tau(x float64) float64 {
	if x == 0 || x == 1 {
		return 0
	}
	y, z := 1.0, 1-x
	for {
		x = math.Sqrt(x)
		prev := z
		y *= 0.5
		z -= (1 - x) * (1 - x) * y
		if z == prev {
			return z / 3
		}
	}
}

// murmur64a is Austin Appleby's MurmurHash64A of b with the sketch's
// seed, reading 8-byte blocks little-endian.
func murmur64a(b []byte) uint64 {
	const m, r = 0xc6a4a7935bd1e995, 47
	h := uint64(seed) ^ uint64(len(b))*m
	for len(b) >= 8 {
		k := binary.LittleEndian.Uint64(b)
		k *= m
		k ^= k >> r
		k *= m
		h ^= k
		h *= m
		b = b[8:]
	}
	if len(b) > 0 {
		for i := len(b) - 1; i >= 0; i-- {
			h ^= uint64(b[i]) << (8 * uint(i))
		}
		h *= m
	}
	h ^= h >> r
	h *= m
	h ^= h >> r
	return h
}
