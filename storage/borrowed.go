package storage

// Borrowed is storage for the slices of a command's deltas (a counter's
// slot versions, a set's or hash's members, a list's elements and
// tombstones), reused from one command to the next: a delta's slices
// are read when it is applied and encoded, and kept by neither, so one
// array serves many commands where each delta allocated its own.
// The zero value is ready to use.
type Borrowed struct {
	slots   []Slot
	members []Member
	elems   []Elem
	tombs   []Tomb
}

// maxBorrow bounds the items one delta borrows: more get storage of
// their own.
const maxBorrow = 64

// maxKept bounds the items of each kind Reset keeps for the next
// commands (a long transaction grows them).
const maxKept = 1024

// Reset makes the storage free for the next command, whose deltas must
// not share it with the deltas before. The strings the last commands
// held are let go.
func (b *Borrowed) Reset() {
	b.slots = reset(b.slots)
	b.members = reset(b.members)
	b.elems = reset(b.elems)
	b.tombs = reset(b.tombs)
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
