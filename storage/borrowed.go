package storage

import "unsafe"

// Borrowed is storage for the slices of a command's deltas (a counter's
// slot versions, a set's or hash's members, a list's elements and
// tombstones, the values of pushed elements), reused from one command to
// the next: a delta's slices are read when it is applied and encoded, and
// kept by neither, so one array serves many commands where each delta
// allocated its own.
// The zero value is ready to use.
type Borrowed struct {
	slots   []Slot
	members []Member
	elems   []Elem
	tombs   []Tomb
	bytes   []byte // keys, pushed list values, added members, written fields (str)
}

// maxBorrow bounds the items one delta borrows: more get storage of
// their own.
const maxBorrow = 64

// maxKept bounds the items of each kind Reset keeps for the next
// commands (a long transaction grows them).
const maxKept = 1024

// maxBorrowBytes bounds a value str copies into the arena, and
// maxKeptBytes the arena Reset keeps.
const (
	maxBorrowBytes = 4 << 10
	maxKeptBytes   = 64 << 10
)

// Reset makes the storage free for the next command, whose deltas must
// not share it with the deltas before. The strings the last commands
// held are let go.
func (b *Borrowed) Reset() {
	b.slots = reset(b.slots)
	b.members = reset(b.members)
	b.elems = reset(b.elems)
	b.tombs = reset(b.tombs)
	if cap(b.bytes) > maxKeptBytes {
		b.bytes = nil
	}
	b.bytes = b.bytes[:0]
}

// str returns s as a string for a delta: one the arena holds, valid until
// Reset, for a value a shard copies rather than keeps (a list element's:
// list.go packs it; a member's or field's of a lent delta, which the join
// copies only when it keeps it), and not larger than maxBorrowBytes; else
// a string of its own. A push's value so costs no allocation of its own,
// which as garbage took fresh memory until each collection (a sixth of a
// pushing server's time, most of it page faults), nor does a member added
// again.
func (b *Borrowed) str(s []byte) string {
	if len(s) == 0 || len(s) > maxBorrowBytes {
		return string(s)
	}
	if cap(b.bytes)-len(b.bytes) < len(s) {
		// Strings given before keep the old one. A Ctx used once (a
		// serial proposal's) allocates what string(s) would have.
		b.bytes = make([]byte, 0, max(2*cap(b.bytes), len(s)))
	}
	from := len(b.bytes)
	b.bytes = append(b.bytes, s...)
	return unsafe.String(&b.bytes[from], len(s))
}

func reset[T any](s []T) []T {
	if cap(s) > maxKept {
		return nil
	}
	clear(s)
	return s[:0]
}

// The arenas of b, or nil (storage of their own) when b is nil.
func (b *Borrowed) slotsArena() *[]Slot {
	if b == nil {
		return nil
	}
	return &b.slots
}

func (b *Borrowed) membersArena() *[]Member {
	if b == nil {
		return nil
	}
	return &b.members
}

func (b *Borrowed) elemsArena() *[]Elem {
	if b == nil {
		return nil
	}
	return &b.elems
}

func (b *Borrowed) tombsArena() *[]Tomb {
	if b == nil {
		return nil
	}
	return &b.tombs
}

// borrow returns a slice of length 0 and capacity n whose storage comes
// from *arena, which grows as needed; slices borrowed before keep theirs.
// A nil arena, or more than maxBorrow items, get storage of their own.
func borrow[T any](arena *[]T, n int) []T {
	if arena == nil || n > maxBorrow {
		return make([]T, 0, n)
	}
	from := len(*arena)
	if cap(*arena)-from < n {
		*arena = make([]T, 0, max(2*cap(*arena), n, 16))
		from = 0
	}
	*arena = (*arena)[:from+n]
	return (*arena)[from : from : from+n]
}
