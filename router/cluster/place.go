package cluster

import (
	"errors"
	"fmt"
	"maps"
	"time"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/router"
)

// errSpans says that an item's partitions are coordinated by different
// nodes (or that it is RESET, which reaches every node).
var errSpans = errors.New("cluster: the command spans nodes")

// jobPicks keeps, while one job is placed, the routes and the node
// chosen for each partition, so that the job's items of one partition
// all go to one node whatever changes meanwhile (a node found suspect,
// new routes): a read of a key the job writes is no digest read because
// it runs in that node's run, in the job's order (namesWritten); placed
// on another node, it ran beside the job's later writes and could answer
// one of them.
type jobPicks struct {
	rt *routes
	to map[int]string
}

// reset readies the picks for the next job.
func (pk *jobPicks) reset(rt *routes) {
	pk.rt = rt
	clear(pk.to)
}

// pick returns partition p's node: the one pk chose before, else b's
// pick by rt, which pk (if not nil) keeps.
func (pk *jobPicks) pick(b *Backend, rt *routes, p int) string {
	if pk == nil {
		return b.pick(rt, p, nil)
	}
	if a, ok := pk.to[p]; ok {
		return a
	}
	a := b.pick(rt, p, nil)
	if pk.to == nil {
		pk.to = map[int]string{}
	}
	pk.to[p] = a
	return a
}

// place chooses the node that runs item it: the coordinator, by the
// current routes, of every partition its keys live in; with pk (not
// nil), the one pk chose for a partition before.
func (b *Backend) place(it *router.Item, keys *[][]byte, pk *jobPicks) (string, Transport, error) {
	*keys = (*keys)[:0]
	for _, r := range it.Reqs {
		if r.Cmd.Class() == proto.ClassDatabase {
			if len(it.Reqs) > 1 {
				return "", nil, &router.CommandError{Msg: "RESET cannot run in a transaction in a cluster"}
			}
			return "", nil, errSpans
		}
		*keys = r.Keys(*keys)
	}
	if serialPerKey(it) {
		return "", nil, errSpans // each key read on its own (scatter)
	}
	rt := b.routes.Load()
	if pk != nil {
		rt = pk.rt
	}
	addr := ""
	first := -1
	for _, k := range *keys {
		p := b.partition(k)
		if p == first {
			continue
		}
		switch c := it.Reqs[0].Cmd; {
		case first < 0:
		case len(it.Reqs) > 1:
			return "", nil, &router.CommandError{Msg: "transaction keys (watched keys too) span partitions; co-locate them with {tags}"}
		case c.OnePartition():
			return "", nil, &router.CommandError{Msg: c.String() + "'s keys are in different partitions: a cluster runs it within a partition only; co-locate them with {tags} (key{t}, other{t})"}
		}
		a := pk.pick(b, rt, p)
		switch {
		case a == "":
			return "", nil, &router.CommandError{Msg: fmt.Sprintf("unavailable: no storage node serves partition %d", p)}
		case first < 0:
			addr = a
		case a != addr:
			return "", nil, errSpans
		}
		first = p
	}
	if first < 0 { // no keys (MANY_GET of none): any node answers
		if addr = b.pick(rt, 0, nil); addr == "" {
			return "", nil, &router.CommandError{Msg: "unavailable: no storage node"}
		}
	}
	return addr, b.transport(addr), nil
}

// pick returns the first candidate coordinator of partition p that is
// neither suspected nor in tried; if every candidate is suspected, the
// first one not tried (pickAlive); if gossip has found every candidate
// failed, and none was tried yet, the first (its error says so).
func (b *Backend) pick(rt *routes, p int, tried []string) string {
	if a := b.pickAlive(rt, p, tried); a != "" {
		return a
	}
	if owners := rt.ownersOf(p); len(tried) == 0 && len(owners) > 0 {
		return owners[0]
	}
	return ""
}

// pickAlive returns the first candidate of partition p that gossip has
// not found failed and that is not in tried, preferring one the router
// does not suspect (a node that came back stays suspected until a probe
// reaches it); or "".
func (b *Backend) pickAlive(rt *routes, p int, tried []string) string {
	fallback := ""
	for _, a := range rt.ownersOf(p) {
		if contains(tried, a) || rt.failed[a] != "" {
			continue
		}
		if !b.suspected(a) {
			return a
		}
		if fallback == "" {
			fallback = a
		}
	}
	return fallback
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func (b *Backend) transport(addr string) Transport {
	if b.dial != nil {
		return b.dial(addr)
	}
	if known := b.known.Load(); known != nil {
		if t := (*known)[addr]; t != nil {
			return t
		}
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	t := b.transports[addr]
	if t == nil {
		c := b.clientLocked(addr)
		t = &rpcTransport{c: c, seen: &b.seen, metrics: routerRPCMetrics(),
			took: routerRPCMetrics().seconds.WithLabelValues(c.Addr())}
		b.transports[addr] = t
		known := maps.Clone(b.transports)
		b.known.Store(&known)
	}
	return t
}

func (b *Backend) now() time.Time { return b.cfg.Now() }

// goRetry runs items again, elsewhere and in their order, on a goroutine
// of the backend: the node at addr did not run them (or, for reads, did
// not answer), or could not learn whether it had; cause is its error, and
// deadline (unix milliseconds) the deadline of the run that carried them
// there.
func (b *Backend) goRetry(refs []ref, addr string, cause error, deadline int64) {
	if len(refs) == 0 {
		return
	}
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		for _, r := range refs {
			b.runItem(r, []string{addr}, cause, deadline)
		}
	}()
}

// goInOrder runs the items of j one after another on a goroutine of the
// backend, each to completion before the next: those whose partitions
// different nodes coordinate are split (scatter.go), the others go to
// their node.
func (b *Backend) goInOrder(j *router.Job) {
	b.wg.Add(1)
	go func() {
		defer b.wg.Done()
		var keys [][]byte
		for i := range j.Items {
			it := &j.Items[i]
			_, _, err := b.place(it, &keys, nil)
			switch {
			case errors.Is(err, errSpans):
				out, err := b.scatter(b.life, it.DB, it.Levels, it.Reqs[0])
				if err != nil {
					j.Fail(i, err)
				} else {
					j.Answer(i, out)
				}
			case err != nil:
				j.Fail(i, err)
			default:
				b.runItem(ref{j: j, i: i}, nil, nil, 0)
			}
		}
	}()
}

// runItem sends item r to the next candidate until one runs it, RetryFor
// passes, or the router stops, and hands it its outcome. tried lists the
// nodes that failed it already, cause their last error, and sent the
// deadline of the run that failed it (0: none). Between rounds it asks
// the nodes what they serve (a partition may have moved) and backs off
// briefly.
// refusedError is a node's refusal to take writes (StatusRefused: its log
// failed), as the cause of a retry.
type refusedError string

func (e refusedError) Error() string { return string(e) }

func (b *Backend) runItem(r ref, tried []string, cause error, sent int64) {
	it := &r.j.Items[r.i]
	deadline := time.Now().Add(b.cfg.RetryFor)
	wait := 2 * time.Millisecond
	p := 0
	if keys := it.Reqs[0].Keys(nil); len(keys) > 0 {
		p = b.partition(keys[0])
	}
	moving := errors.Is(cause, errMoved)
	// An item with an id that reached a node before (a failed run's, or
	// this loop's) may have taken effect there: a node runs it again only
	// if the key's applied record shows it did not (rpc.Cmd.RanFrom, from
	// the first such sending).
	ran := mayHaveRun(cause)
	var ranFrom, unsure int64 // unsure: the latest deadline of a sending that may have run
	if ran {
		ranFrom, unsure = b.ranFrom(sent), sent
	}
	// A write that may have run is reported not confirmed only past every
	// such sending's deadline and the clocks' offset (notConfirmedPast): a
	// sending still under way cannot take effect after the report.
	fail := func(err error) {
		if ran && !proto.ReadOnly(it.Reqs) {
			b.waitPast(unsure)
		}
		r.j.Fail(r.i, err)
	}
	refreshed := false
	var keys [][]byte
	for {
		if moving && b.spread(r, &keys, ran, fail) {
			return
		}
		if addr := b.pick(b.routes.Load(), p, tried); addr != "" {
			resent := it.ID != ([16]byte{}) && ran
			if resent && !proto.ReadOnly(it.Reqs) {
				// A write sent again may run where its key's record shows
				// that no sending ran it (node.neverRan): it leaves only
				// once no earlier sending can still run, past their
				// deadlines and the clocks' offset. An earlier sending
				// still under way (on a node paused or cut off) could
				// otherwise run after this one, once this one's entry had
				// left the key's record.
				b.waitPast(unsure)
			}
			deadline := b.now().Add(b.cfg.RequestTimeout).UnixMilli()
			items, err := b.runOn(addr, it, resent, ranFrom, deadline)
			switch st, msg := firstFailure(items); {
			case err != nil:
				b.suspect(addr, err)
				cause = err
				if mayHaveRun(err) {
					if !ran {
						ran, ranFrom = true, b.ranFrom(deadline)
					}
					unsure = max(unsure, deadline)
				}
				tried = append(tried, addr)
				if !errors.Is(err, rpc.ErrNotSent) && !proto.ReadOnly(it.Reqs) && it.ID == ([16]byte{}) {
					b.notConfirmedPast([]ref{r}, deadline, notConfirmed(addr, err))
					return
				}
				continue
			case st == rpc.StatusWrongRing:
				cause = fmt.Errorf("%w: %s: %s", errMoved, addr, msg)
				moving = true
				tried = append(tried, addr)
				continue
			case st == rpc.StatusRefused:
				// Its log failed: another replica coordinates the write.
				routerRPCMetrics().failure(st)
				cause = refusedError(msg)
				tried = append(tried, addr)
				continue
			case st == rpc.StatusExpired && sentBefore(it, ran):
				// This sending did not run; an earlier one may have.
				fail(&router.CommandError{Msg: fmt.Sprintf("unavailable: the write was sent again and %s; it is not confirmed (it may have been applied)", msg)})
				return
			case st == rpc.StatusNotConfirmed:
				b.waitPast(max(unsure, deadline)) // this sending may have run too
			}
			answer(r, items)
			return
		}
		// Every candidate failed. The routes may predate a restart or a
		// move: they are read again once at once. Beyond that it waits
		// while the partition moves, or while gossip still holds a
		// candidate alive (it may be restarting, or gossip may not know
		// its new address yet), up to RetryFor; a partition whose
		// candidates gossip has found failed gets its error at once.
		if !refreshed {
			refreshed = true
			b.poll(b.life)
			b.refresh()
			tried = tried[:0]
			continue
		}
		var refused refusedError
		if errors.As(cause, &refused) && !moving {
			// Every candidate refuses writes: the client gets the reason.
			fail(&router.CommandError{Msg: string(refused)})
			return
		}
		if time.Now().After(deadline) || !moving && b.allFailed(p) {
			msg := fmt.Sprintf("unavailable: partition %d: no storage node could run the command: %v", p, cause)
			if sentBefore(it, ran) {
				msg = fmt.Sprintf("unavailable: partition %d: no storage node could learn the fate of the write sent before (%v); it is not confirmed (it may have been applied)", p, cause)
			}
			fail(&router.CommandError{Msg: msg})
			return
		}
		select {
		case <-b.life.Done():
			r.j.Fail(r.i, &router.CommandError{Msg: "unavailable: the router is stopping"})
			return
		case <-time.After(wait): // backing off while a partition moves or a node comes back
		}
		// A hand-off keeps a partition unavailable for tens of
		// milliseconds (two fsyncs): short waits keep a request from
		// waiting much longer than that. A node away takes longer.
		if moving {
			wait = min(2*wait, 10*time.Millisecond)
		} else {
			wait = min(2*wait, 100*time.Millisecond)
		}
		b.poll(b.life)
		b.refresh()
		tried = tried[:0]
	}
}

// spread runs item r split across nodes, as goInOrder does, if its
// partitions have come to be coordinated by different nodes since it was
// placed (one of them moved), and reports whether it did: retried on its
// first partition's node alone, it would be refused there until RetryFor
// passed. A write that may have run already is not run again (split, it
// would not carry its id): it fails (by fail) as not confirmed.
func (b *Backend) spread(r ref, keys *[][]byte, ran bool, fail func(error)) bool {
	it := &r.j.Items[r.i]
	if _, _, err := b.place(it, keys, nil); !errors.Is(err, errSpans) {
		return false
	}
	if ran && !proto.ReadOnly(it.Reqs) {
		fail(&router.CommandError{Msg: "unavailable: a partition of the command moved after a sending that may have run; it is not confirmed (it may have been applied)"})
		return true
	}
	out, err := b.scatter(b.life, it.DB, it.Levels, it.Reqs[0])
	if err != nil {
		r.j.Fail(r.i, err)
	} else {
		r.j.Answer(r.i, out)
	}
	return true
}

// allFailed reports whether gossip has found every candidate coordinator
// of partition p failed.
func (b *Backend) allFailed(p int) bool {
	rt := b.routes.Load()
	for _, a := range rt.ownersOf(p) {
		if rt.failed[a] == "" {
			return false
		}
	}
	return true
}

// mayHaveRun reports whether a command whose attempt failed with cause
// may have taken effect: it reached the node, which did not refuse it
// unrun.
func mayHaveRun(cause error) bool {
	var refused refusedError
	return cause != nil && !errors.Is(cause, rpc.ErrNotSent) && !errors.Is(cause, errMoved) && !errors.As(cause, &refused)
}

// sentBefore reports whether write item it may have run on an earlier
// sending: its own (ran), or its client's (a RETRY).
func sentBefore(it *router.Item, ran bool) bool {
	return !proto.ReadOnly(it.Reqs) && (ran && it.ID != ([16]byte{}) || isRetry(it))
}

// errMoved marks the failure of a node that does not serve a partition
// (now): it is moving, and another node will.
var errMoved = errors.New("partition not served there")

// notConfirmed is the error of a write sent to the node at addr that gave
// no answer (err): it may have run.
func notConfirmed(addr string, err error) error {
	return &router.CommandError{Msg: fmt.Sprintf(
		"unavailable: no answer from storage node %s (%v); the write is not confirmed (it may have been applied)", addr, err)}
}

// waitPast waits until deadline (unix milliseconds; 0: none) plus
// MaxClockOffset has passed, or the router stops: from then on no node
// starts a command sent with that deadline, nor votes for its rounds.
func (b *Backend) waitPast(deadline int64) {
	if deadline <= 0 {
		return
	}
	wait := b.untilPast(deadline)
	if wait <= 0 {
		return
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
	case <-b.life.Done():
	}
}

// untilPast is how long until deadline (unix milliseconds) plus
// MaxClockOffset has passed, by this router's clock.
func (b *Backend) untilPast(deadline int64) time.Duration {
	return time.UnixMilli(deadline).Add(b.cfg.MaxClockOffset).Sub(b.now())
}

// ranFrom returns the earliest time by any node's clock (unix
// milliseconds) a command sent in a run with deadline may have run at
// (rpc.Cmd.RanFrom): the run left this router RequestTimeout before its
// deadline; the node that ran it, and the one that reads the key's
// record, may each be MaxClockOffset off this router's clock, and a
// record started on a state without one bounds the commands before it
// by its own proposer's clock, off by as much again. 0: unknown.
func (b *Backend) ranFrom(deadline int64) int64 {
	if deadline <= 0 {
		return 0
	}
	return max(deadline-(b.cfg.RequestTimeout+3*b.cfg.MaxClockOffset).Milliseconds()-1, 0)
}

// runOn runs item it alone on the node at addr, in a run with deadline
// (unix milliseconds), and waits for the answer. A resent write carries
// ranFrom (rpc.Cmd.RanFrom; 0: unknown).
func (b *Backend) runOn(addr string, it *router.Item, resent bool, ranFrom, deadline int64) ([]rpc.Item, error) {
	run := &rpc.Run{Ring: b.ringVersion(), Deadline: deadline, Cmds: []rpc.Cmd{itemCmd(it)}}
	run.Cmds[0].Resent = run.Cmds[0].Resent || resent
	if resent && !isRetry(it) {
		run.Cmds[0].RanFrom = ranFrom
	}
	type answer struct {
		items []rpc.Item
		err   error
	}
	ch := make(chan answer, 1)
	sent := time.Now()
	b.transport(addr).Run(run, b.cfg.RequestTimeout+b.cfg.MaxClockOffset, func(items []rpc.Item, err error) {
		ch <- answer{items, err}
	})
	a := <-ch
	if a.err == nil {
		b.healthy(addr, time.Since(sent))
	}
	return a.items, a.err
}

// firstFailure returns the first status other than OK among items, with
// its message.
func firstFailure(items []rpc.Item) (rpc.Status, []byte) {
	for _, it := range items {
		if it.Status != rpc.StatusOK {
			return it.Status, it.Reply
		}
	}
	return rpc.StatusOK, nil
}
