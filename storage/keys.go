package storage

import (
	"container/heap"
	"slices"
)

// Keys returns, in byte order, up to max keys of db that a reader sees at
// wall time now (live and not expired) and sort after `after`, for which
// match (if not nil) is true; more reports whether keys are left after
// the last one returned. The keys are copies. It keeps the max+1 least
// keys seen in a heap, so a page costs the shard's size, not a sort of
// every key after the cursor (which made paging through a big shard cost
// the square of its size).
func (s *Shard) Keys(db int, after []byte, match func(key []byte) bool, now int64, max int) (keys [][]byte, more bool) {
	if max <= 0 {
		return nil, false
	}
	least := keyHeap(make([]string, 0, min(max+1, 1024)))
	from := string(after)
	for k, e := range s.dbs[db].all() {
		if k <= from || len(least) > max && k >= least[0] || e.visible() == nil {
			continue
		}
		kb := bytesOf(k) // read, never written
		if s.expired(db, kb, now) || match != nil && !match(kb) {
			continue
		}
		if len(least) <= max {
			heap.Push(&least, k)
		} else {
			least[0] = k
			heap.Fix(&least, 0)
		}
	}
	found := []string(least)
	slices.Sort(found)
	if len(found) > max {
		found, more = found[:max], true
	}
	keys = make([][]byte, len(found))
	for i, k := range found {
		keys[i] = []byte(k)
	}
	return keys, more
}

// keyHeap is a max-heap of keys (container/heap).
type keyHeap []string

func (h keyHeap) Len() int           { return len(h) }
func (h keyHeap) Less(i, j int) bool { return h[i] > h[j] }
func (h keyHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *keyHeap) Push(x any)        { *h = append(*h, x.(string)) }
func (h *keyHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// Live returns the number of keys of db a reader sees at wall time now:
// those shown, less those whose deadline has passed (the expiry sweep
// removes them soon), so it walks the keys with a deadline only.
func (s *Shard) Live(db int, now int64) int {
	n := s.shown[db]
	for k, at := range s.volatile[db] {
		if e, ok := s.dbs[db].getString(k); now > at && ok && e.shows() {
			n--
		}
	}
	return n
}

// Expiring returns how many keys of db a reader sees at wall time now
// that have a deadline still ahead, and the milliseconds left to those
// deadlines, summed (INFO's keyspace: Redis's expires and avg_ttl).
func (s *Shard) Expiring(db int, now int64) (n int, msLeft int64) {
	for k, at := range s.volatile[db] {
		if e, ok := s.dbs[db].getString(k); at >= now && ok && e.shows() {
			n++
			msLeft += at - now
		}
	}
	return n, msLeft
}

func (s *Shard) live(db int, key []byte, e *entry, now int64) bool {
	return e.visible() != nil && !s.expired(db, key, now)
}
