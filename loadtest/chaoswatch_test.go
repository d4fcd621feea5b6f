package main

import "testing"

// TestWatchSummary: acknowledged commits that wrote the same value are
// lost increments, and the final value is checked against the largest
// written and the largest sent.
func TestWatchSummary(t *testing.T) {
	for _, c := range []struct {
		name    string
		w       watchLog
		final   int64
		commits int
		lost    int
		finalOK bool
	}{
		{"serial", watchLog{wrote: map[int64]int{1: 1, 2: 1, 3: 1}, maxSent: 3}, 3, 3, 0, true},
		{"two commits of one value", watchLog{wrote: map[int64]int{1: 1, 2: 2, 3: 1}, maxSent: 3}, 3, 4, 1, true},
		{"a commit of unknown outcome ran", watchLog{wrote: map[int64]int{1: 1}, unsure: 1, maxSent: 2}, 2, 1, 0, true},
		{"behind the largest written", watchLog{wrote: map[int64]int{1: 1, 2: 1}, maxSent: 2}, 1, 2, 0, false},
		{"past anything sent", watchLog{wrote: map[int64]int{1: 1}, maxSent: 1}, 5, 1, 0, false},
		{"unreadable", watchLog{wrote: map[int64]int{1: 1}, maxSent: 1}, -1, 1, 0, false},
		{"none", watchLog{}, 0, 0, 0, true},
	} {
		var s chaosSummary
		watchSummary(&c.w, c.final, &s)
		if s.WatchCommits != c.commits || s.WatchLostUpdates != c.lost || s.WatchFinalOK != c.finalOK {
			t.Errorf("%s: commits %d, lost %d, final ok %v; want %d, %d, %v",
				c.name, s.WatchCommits, s.WatchLostUpdates, s.WatchFinalOK, c.commits, c.lost, c.finalOK)
		}
	}
}
