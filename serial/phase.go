package serial

import "slices"

// Outcome is where a phase of a round stands.
type Outcome uint8

const (
	Pending Outcome = iota // not enough answers yet either way
	Won                    // a majority of every replica set agreed
	Lost                   // a majority can no longer agree: start again above Highest
)

// Phase counts the answers to one phase (Prepare or Accept) of a round.
// Replicas are named; a partition whose replica set is changing has two
// sets (the old and the new) and a phase is won only with a majority of
// each (docs/serial.md, P5). An answer from a replica counts once, however
// often it arrives.
type Phase struct {
	sets [][]string
	// yes and no list the replicas that accepted (promised) and refused:
	// a handful, in room until there are more (no maps: a phase is
	// counted for every serial command).
	yes, no []string
	room    [2][5]string
	highest Ballot // the highest ballot a refusal reported
	best    Ballot // Prepare: the highest accepted ballot among the promises
	state   []byte // its state
}

// NewPhase starts counting for the given replica sets (one, or two while a
// partition moves); each must be non-empty.
func NewPhase(sets ...[]string) *Phase {
	p := &Phase{sets: sets}
	p.yes, p.no = p.room[0][:0], p.room[1][:0]
	return p
}

// answered reports whether replica's answer was counted.
func (p *Phase) answered(replica string) bool {
	return slices.Contains(p.yes, replica) || slices.Contains(p.no, replica)
}

// Promise records that replica promised, telling the proposal it had
// accepted last (zero if none).
func (p *Phase) Promise(replica string, accepted Ballot, state []byte) {
	if p.answered(replica) {
		return
	}
	p.yes = append(p.yes, replica)
	if p.best.Less(accepted) {
		p.best, p.state = accepted, state
	}
}

// Accepted records that replica accepted the phase's proposal.
func (p *Phase) Accepted(replica string) { p.Promise(replica, Ballot{}, nil) }

// Refuse records that replica refused, having promised promised.
func (p *Phase) Refuse(replica string, promised Ballot) {
	if p.answered(replica) {
		return
	}
	p.no = append(p.no, replica)
	if p.highest.Less(promised) {
		p.highest = promised
	}
}

// Outcome says whether the phase is won, lost or pending. It is lost once
// some set can no longer reach a majority of yes.
func (p *Phase) Outcome() Outcome {
	for _, set := range p.sets {
		no := 0
		for _, r := range set {
			if slices.Contains(p.no, r) {
				no++
			}
		}
		if len(set)-no < len(set)/2+1 {
			return Lost
		}
	}
	if Quorum(p.sets, func(r string) bool { return slices.Contains(p.yes, r) }) {
		return Won
	}
	return Pending
}

// Quorum reports whether the replicas for which in is true make a
// majority of every one of sets: a phase's count, and a proposer's test
// that a majority reported one proposal (a read's peek, a Prepare's
// latest).
func Quorum(sets [][]string, in func(replica string) bool) bool {
	for _, set := range sets {
		n := 0
		for _, r := range set {
			if in(r) {
				n++
			}
		}
		if n < len(set)/2+1 {
			return false
		}
	}
	return len(sets) > 0
}

// Highest is the highest ballot a refusal reported: the next round goes
// above it.
func (p *Phase) Highest() Ballot { return p.highest }

// Latest is, after a won Prepare, the proposal the next state must be
// computed from: the one with the highest accepted ballot among the
// promises (zero and nil when none had accepted any).
func (p *Phase) Latest() (Ballot, []byte) { return p.best, p.state }
