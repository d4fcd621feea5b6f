package node

import (
	"slices"
	"sync"
	"time"

	"github.com/vanitydb/vanity/storage/hlc"
)

// standingPromises are the proposer's standing promises (docs/serial.md,
// "Fewer round trips"): after a majority of a key's acceptors accepted
// one of its proposals, each of them has also promised the proposer's
// next ballot, reporting that proposal as the last accepted, exactly as a
// Prepare of that ballot would have. The proposer's next write of the
// key runs on the state it knows was chosen and goes straight to Accept
// at that ballot: one round trip and one fsync instead of two. A standing
// promise is used once (taken, then replaced by the next one); another
// proposer's Prepare outranks it at the acceptors, whose refusals send
// the write back to the full rounds. It is kept in memory only: a
// restarted node prepares.
//
// The promised ballot is taken from the proposer's clock when the Accept
// that asks for it leaves, so no other proposal of the node can have it
// (two proposals at one ballot would break consensus: the first version,
// which promised the accepted ballot plus one tick, let a concurrent
// Prepare of the same node draw that very ballot from its clock, and the
// checker found a GET_SET applied twice). A write through a standing
// promise is stamped when the previous one was sent: a standing promise
// older than standingFor is not used, so a key's stamps never lag the
// clock by more (tombstone grace, database resets and anti-entropy reason
// on stamps' times).
// standingFor is how long a standing promise may be used.
const standingFor = time.Minute

type standingPromises struct {
	mu    sync.Mutex
	limit int // keys kept at most; below 1 none
	m     map[standingKey]standing
}

type standingKey struct {
	db  int
	key string
}

// standing is one key's standing promise: ballot b, promised by a
// majority of each of sets (the key's replica sets then),
// whose last accepted proposal, chosen at ballot at, left state (an
// encoded delta) and its applied record.
type standing struct {
	b, at          hlc.Stamp
	state, applied []byte
	sets           [][]string
}

func newStandingPromises(limit int) *standingPromises {
	return &standingPromises{limit: limit, m: map[standingKey]standing{}}
}

// take removes and returns key's standing promise in db, if there is one
// by the replica sets sets (the key's now) younger than standingFor at
// now.
func (t *standingPromises) take(db int, key []byte, sets [][]string, now hlc.Stamp) (standing, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	k := standingKey{db, string(key)}
	st, ok := t.m[k]
	if !ok {
		return standing{}, false
	}
	delete(t.m, k)
	fresh := now.Wall()-st.b.Wall() < standingFor.Milliseconds()
	return st, fresh && slices.EqualFunc(st.sets, sets, slices.Equal)
}

// put keeps st as key's standing promise in db, dropping another key's
// when the limit is reached.
func (t *standingPromises) put(db int, key []byte, st standing) {
	if t.limit < 1 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	k := standingKey{db, string(key)}
	if _, ok := t.m[k]; !ok && len(t.m) >= t.limit {
		for old := range t.m {
			delete(t.m, old)
			break
		}
	}
	t.m[k] = st
}
