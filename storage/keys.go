package storage

import (
	"bytes"
	"slices"
)

// Keys returns, in byte order, up to max keys of db that a reader sees at
// wall time now (live and not expired) and sort after `after`, for which
// match (if not nil) is true; more reports whether keys are left after
// the last one returned. The keys are copies.
func (s *Shard) Keys(db int, after []byte, match func(key []byte) bool, now int64, max int) (keys [][]byte, more bool) {
	var found []string
	for k, e := range s.dbs[db] {
		kb := []byte(k) // does not escape: the compiler converts without copying
		if bytes.Compare(kb, after) <= 0 || !s.live(db, kb, e, now) || match != nil && !match(kb) {
			continue
		}
		found = append(found, k)
	}
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

// Live returns the number of keys of db a reader sees at wall time now:
// those shown, less those whose deadline has passed (the expiry sweep
// removes them soon), so it walks the keys with a deadline only.
func (s *Shard) Live(db int, now int64) int {
	n := s.shown[db]
	for k, at := range s.volatile[db] {
		if now > at && shows(s.dbs[db][k]) {
			n--
		}
	}
	return n
}

func (s *Shard) live(db int, key []byte, e *entry, now int64) bool {
	return e.visible() != nil && !s.expired(db, key, now)
}
