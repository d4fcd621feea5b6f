package node

import (
	"maps"
	"slices"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
)

// A QUORUM or ONE write to a serial key (one an acceptor has promised
// for) would bypass the key's consensus: the serial path takes one
// replica's whole state as the key's chosen one, so a counter incremented
// outside it could read without an older increment, and an ordinary
// write could land between a proposal's rounds. The coordinator of an
// ordinary run sends such writes on the serial path instead, with every
// other command of the run on their keys, so a run's commands on one key
// still take effect in the run's order (docs/serial.md, "Mixing with
// ordinary writes"). The client sees its usual replies, later.

// Where a command of an ordinary run goes (serialKeys).
type runPart uint8

const (
	partNow     runPart = iota // shares no key with a command that waits: the ordinary run, at once
	partSerial                 // one serial key written in the run: the serial path, in turn
	partInOrder                // shares a key with one that waits but cannot go serial: an ordinary run, in turn
)

// serialKeys returns where each of r's commands goes when some write to
// a key this node knows as serial, or one that would rewrite its key from
// a value of another type (rewrites), is among them; nil when none is. Every
// command of one key on such a key goes on the serial path (a
// transaction of that key alone too); one the serial path cannot run (of
// several keys, a transaction with checks, a digest read) that names such
// a key stays ordinary; and so does every command that
// shares a key with one of those, and so on (a transaction that writes a
// serial key and another key holds back the later read of that other
// key, and an earlier write of it): the commands that wait take turns in
// the run's order (splitRun), so each sees the ones before it. Commands
// that share no key with any of them run at once; in a run with a write
// that names no key (RESET, the whole database) every command waits.
func (n *Node) serialKeys(r *rpc.Run) []runPart {
	held := map[string]bool{} // db-qualified keys with a serial write, then every key of a command that waits
	for i := range r.Cmds {
		c := &r.Cmds[i]
		if c.Digest != rpc.DigestNone || proto.ReadOnly(c.Reqs) {
			continue
		}
		if key, ok := oneKey(c); ok && (n.isSerial(key) || n.rewrites(c)) {
			held[gateKey(c)] = true
		}
	}
	if len(held) == 0 {
		return nil
	}
	serial := maps.Clone(held)
	names := make([][]string, len(r.Cmds)) // each command's keys, db-qualified
	var keys [][]byte
	for i := range r.Cmds {
		c := &r.Cmds[i]
		keys = keys[:0]
		for _, req := range c.Reqs {
			keys = req.Keys(keys)
		}
		for _, k := range keys {
			names[i] = append(names[i], dbKey(c.DB, k))
		}
	}
	// A write that names no key (RESET) covers every key of its
	// database: then every command waits.
	all := slices.ContainsFunc(r.Cmds, func(c rpc.Cmd) bool {
		for _, req := range c.Reqs {
			if req.Cmd.IsData() && req.Cmd.Class() != proto.ClassRead && len(req.Keys(nil)) == 0 {
				return true
			}
		}
		return false
	})
	parts := make([]runPart, len(r.Cmds))
	for changed := true; changed; { // until no command that runs at once shares a key with one that waits
		changed = false
		for i := range r.Cmds {
			c := &r.Cmds[i]
			waits := all || slices.ContainsFunc(names[i], func(k string) bool { return held[k] })
			if parts[i] != partNow || !waits {
				continue
			}
			parts[i] = partInOrder
			if k := gateKey(c); k != "" && c.Digest == rpc.DigestNone && serial[k] {
				parts[i] = partSerial
			}
			for _, k := range names[i] {
				held[k] = true
			}
			changed = true
		}
	}
	return parts
}

// isSerial reports whether key's partition here holds a promise for it.
func (n *Node) isSerial(key []byte) bool {
	part := &n.parts[n.partitionOf(key)]
	part.mu.Lock()
	defer part.mu.Unlock()
	return part.shard != nil && part.shard.Serial(key)
}

// rewrites reports whether c, one request, would rewrite its key whole
// from the value this node holds (storage's Shard.Rewrites): INCR_NUMBER
// turning an INT or a STR into a FLOAT, which the serial path makes exact.
func (n *Node) rewrites(c *rpc.Cmd) bool {
	if len(c.Reqs) != 1 || !c.Reqs[0].Cmd.MayRewrite() {
		return false
	}
	part := &n.parts[n.partitionOf(c.Reqs[0].Key())]
	part.mu.Lock()
	defer part.mu.Unlock()
	return part.shard != nil && part.shard.Rewrites(c.DB, c.Reqs[0])
}

// splitRun runs r in the parts serialKeys gave its commands: the
// commands that name no serial key as an ordinary run at once, and
// beside it those that do in turns, in r's order, each turn a maximal
// stretch of one kind (on the serial path, or an ordinary run) started
// once the one before has ended. It calls done with res holding every
// command's answers in r's order once all have ended. r is splitRun's
// until done returns.
func (s *Service) splitRun(r *rpc.Run, parts []runPart, res *Result, done func(*Result)) {
	sub := func(idx []int) *rpc.Run {
		x := &rpc.Run{Ring: r.Ring, Deadline: r.Deadline, Floor: r.Floor}
		for _, i := range idx {
			x.Cmds = append(x.Cmds, r.Cmds[i])
		}
		return x
	}
	var now []int
	var turns [][]int // indices of r, each turn one kind
	for i, p := range parts {
		switch {
		case p == partNow:
			now = append(now, i)
		case len(turns) > 0 && parts[turns[len(turns)-1][0]] == p:
			turns[len(turns)-1] = append(turns[len(turns)-1], i)
		default:
			turns = append(turns, []int{i})
		}
		if p == partSerial {
			s.upgrades.Add(1)
		}
	}
	var (
		mu        sync.Mutex
		remaining = 2 // the commands at once, and the turns
		answers   = make([][]answerEntry, len(r.Cmds))
	)
	// keep copies the answers of r's commands idx from sub (which may be
	// reused once keep returns); last ends one of the two sides, and once
	// both have ended res gets every answer in r's order.
	keep := func(idx []int, sub *Result, last bool) {
		e := copyEntries(sub)
		mu.Lock()
		for _, i := range idx {
			n := r.Cmds[i].Answers()
			answers[i], e = e[:n:n], e[n:]
		}
		if last {
			remaining--
		}
		end := remaining == 0
		mu.Unlock()
		if !end {
			return
		}
		res.reset(r.Answers())
		for _, a := range answers {
			for _, x := range a {
				res.Replies = append(res.Replies, x.reply...)
				res.end(x.st)
			}
		}
		done(res)
	}
	// turn runs turns[k], then the next.
	var turn func(k int)
	turn = func(k int) {
		if k == len(turns) {
			keep(nil, &Result{}, true)
			return
		}
		idx, last := turns[k], k == len(turns)-1
		then := func(sub *Result) {
			keep(idx, sub, last)
			if !last {
				turn(k + 1)
			}
		}
		if parts[idx[0]] == partSerial {
			sres := results.Get().(*Result)
			s.serialRun(sub(idx), sres, func() {
				then(sres)
				freeResult(sres)
			})
			return
		}
		s.coord.Run(sub(idx), results.Get().(*Result), then, freeResult)
	}
	if len(now) == 0 {
		keep(nil, &Result{}, true)
	} else {
		s.coord.Run(sub(now), results.Get().(*Result), func(x *Result) { keep(now, x, true) }, freeResult)
	}
	turn(0)
}

// answerEntry is one entry of a Result, copied.
type answerEntry struct {
	st    rpc.Status
	reply []byte
}

// copyEntries copies res's entries.
func copyEntries(res *Result) []answerEntry {
	out := make([]answerEntry, len(res.Ends))
	for i := range res.Ends {
		st, b := res.Entry(i)
		out[i] = answerEntry{st, slices.Clone(b)}
	}
	return out
}

// SerialUpgrades returns how many commands of ordinary runs this node has
// sent on the serial path because they wrote a serial key.
func (s *Service) SerialUpgrades() int64 { return s.upgrades.Load() }
