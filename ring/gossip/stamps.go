package gossip

// StampsTag is the tag in which a node says it reads deltas with compact
// stamps (storage.SetCompactStamps). Nodes of older versions lack it, and
// refuse such deltas.
const (
	StampsTag     = "stamps"
	CompactStamps = "compact"
)

// ReadCompactStamps reports whether every storage node among members
// reads compact stamps: only then may a node write them, since what it
// writes reaches the others (replicas, hints, transfers, anti-entropy).
// A failed node counts, as it may come back as it was; so does one that
// left, which goes on handing its partitions over (syncing with the
// others) after gossip says it left, until gossip forgets it
// (--reap-timeout).
func ReadCompactStamps(members []Member) bool {
	for _, m := range members {
		if m.Role == RoleNode && m.Tags[StampsTag] != CompactStamps {
			return false
		}
	}
	return true
}
