package serial

// Ballot orders proposals for one key: a hybrid-clock stamp, then the
// proposing actor's id, so two proposers never share one. The zero Ballot
// is below every other and means "none".
type Ballot struct {
	Stamp uint64
	Actor uint64
}

// Less reports whether b orders before o.
func (b Ballot) Less(o Ballot) bool {
	return b.Stamp < o.Stamp || b.Stamp == o.Stamp && b.Actor < o.Actor
}

// IsZero reports whether b is the zero ballot.
func (b Ballot) IsZero() bool { return b == Ballot{} }

// Next is the ballot right after b for the same actor (nothing orders
// between them): where an applied record that knows nothing before b
// starts to cover.
func (b Ballot) Next() Ballot { return Ballot{Stamp: b.Stamp + 1, Actor: b.Actor} }

// Above returns a ballot for actor above seen, drawn from the actor's
// clock reading now (stamps only grow: a stale clock still moves past
// seen).
func Above(seen Ballot, actor, now uint64) Ballot {
	b := Ballot{Stamp: now, Actor: actor}
	if !seen.Less(b) {
		b = Ballot{Stamp: seen.Stamp + 1, Actor: actor}
	}
	return b
}

// Register is one key's acceptor state on one replica.
type Register struct {
	Promised Ballot // no proposal below this one is accepted
	Accepted Ballot // the last proposal accepted (zero: none)
	State    []byte // that proposal's state, opaque here
}

// Prepare answers a proposer's Prepare(b): the register to keep (log it
// durably before answering) and whether b is promised. A refusal leaves
// the register as it was; the proposer learns r.Promised from it.
func (r Register) Prepare(b Ballot) (Register, bool) {
	if !r.Promised.Less(b) {
		return r, false
	}
	r.Promised = b
	return r, true
}

// Accept answers Accept(b, state): accepted when b is at least the
// promised ballot. Accepting also promises b: a lower Prepare is refused
// afterwards.
func (r Register) Accept(b Ballot, state []byte) (Register, bool) {
	if b.Less(r.Promised) {
		return r, false
	}
	r.Promised, r.Accepted, r.State = b, b, state
	return r, true
}

// Join merges two copies of a register (anti-entropy, a partition moving
// in): the higher promise, and the proposal with the higher ballot.
func Join(a, b Register) Register {
	out := a
	if out.Promised.Less(b.Promised) {
		out.Promised = b.Promised
	}
	if a.Accepted.Less(b.Accepted) {
		out.Accepted, out.State = b.Accepted, b.State
	}
	return out
}
