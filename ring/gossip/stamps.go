package gossip

// StampsTag is the tag in which a node says it reads deltas with compact
// stamps (storage.SetCompactStamps). Nodes of older versions lack it, and
// refuse such deltas.
const (
	StampsTag     = "stamps"
	CompactStamps = "compact"
)

// ReadCompactStamps reports whether every storage node among members
// that has not left reads compact stamps: only then may a node write
// them, since what it writes reaches the others (replicas, hints,
// transfers). A failed node counts: it may come back as it was.
func ReadCompactStamps(members []Member) bool {
	for _, m := range members {
		if m.Role == RoleNode && m.State != Left && m.Tags[StampsTag] != CompactStamps {
			return false
		}
	}
	return true
}
