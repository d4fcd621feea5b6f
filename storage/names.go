package storage

import "slices"

// nameList holds the live members (or fields) of a set or hash once each,
// in no order, for picks at random (memberMap.names). Past nameChunk
// names it is chunks of nameChunk, all full but the last: growing appends
// a chunk and copies none of the names before it. A slice of millions of
// names copied whole whenever it grew, with a write barrier for each
// name's pointer while the collector marks, stalled an add (and its
// partition) for 208 ms at 4,000,000 members.
type nameList struct {
	chunks [][]string
	n      int
}

// nameBits sets the chunk length: 1,024 names, 16 KiB (a variable so that
// tests can make chunks of a few names).
var nameBits = 10

func (l *nameList) len() int { return l.n }

func (l *nameList) at(i int) string {
	return l.chunks[i>>nameBits][i&(1<<nameBits-1)]
}

func (l *nameList) set(i int, s string) {
	l.chunks[i>>nameBits][i&(1<<nameBits-1)] = s
}

// push appends s and returns its place.
func (l *nameList) push(s string) int {
	k := len(l.chunks)
	if k == 0 || len(l.chunks[k-1]) == 1<<nameBits {
		size := 1 << nameBits
		if k == 0 {
			size = 4 // the first chunk grows as a slice does, up to its full length
		}
		l.chunks = append(l.chunks, make([]string, 0, size))
		k++
	}
	l.chunks[k-1] = append(l.chunks[k-1], s)
	l.n++
	return l.n - 1
}

// pop removes the last name. An empty last chunk is dropped; a first
// chunk left mostly empty is given back.
func (l *nameList) pop() {
	k := len(l.chunks) - 1
	c := l.chunks[k]
	c[len(c)-1] = ""
	c = c[:len(c)-1]
	l.n--
	switch {
	case len(c) == 0:
		l.chunks[k] = nil
		l.chunks = l.chunks[:k]
		if k == 0 {
			l.chunks = nil
		}
	case k == 0 && cap(c) > 64 && len(c) < cap(c)/4:
		l.chunks[0] = slices.Clone(c)
	default:
		l.chunks[k] = c
	}
}

// all returns a copy of the names.
func (l *nameList) all() []string {
	out := make([]string, 0, l.n)
	for _, c := range l.chunks {
		out = append(out, c...)
	}
	return out
}
