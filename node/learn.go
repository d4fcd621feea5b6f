package node

import (
	"sync/atomic"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/serial"
)

// A round asks a bare majority of its acceptors first (rounds.go), so the
// others miss what it chose. The learner brings it to them: a chosen
// Accept's proposal goes to each acceptor that did not vote for it (not
// asked, refused, or silent) as a Learn (docs/serial.md, "Fewer
// acceptors"), sent later with others (later.go); to this node's own
// copy at once (round.endLocked).
// A Learn costs its acceptor no fsync and its proposer no vote to count,
// and one call carries the choices of many rounds. A Learn that is lost
// (the acceptor down, the call failed) is not sent again: the key's next
// round that asks that acceptor, read repair and anti-entropy bring its
// copy up, as for any replica.
type learner = laterSends[acceptor, rpc.Phase]

// learnTimeout bounds a call of Learns.
const learnTimeout = time.Second

// newLearner returns a learner that counts the Learns it sends in learned.
func newLearner(learned *atomic.Int64) *learner {
	return newLaterSends(func(a acceptor, ms []rpc.Phase) {
		learned.Add(int64(len(ms)))
		a.Phases(ms, learnTimeout, func([]rpc.Vote, error) {})
	})
}

// learns returns, as Learns, the phases of call c whose proposals the
// round chose at an Accept that c's acceptor did not vote for (it was not
// asked, refused, or did not answer).
func learns(c *call) []rpc.Phase {
	var out []rpc.Phase
	for j, p := range c.props {
		if p.m.Kind == rpc.KindAccept && !c.yes[j] && p.ph != nil && p.ph.Outcome() == serial.Won {
			m := c.ms[j]
			m.Kind, m.Next, m.Deadline = rpc.KindLearn, 0, 0
			out = append(out, m)
		}
	}
	return out
}
