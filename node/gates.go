package node

import (
	"slices"
	"sync"

	"github.com/vanitydb/vanity/node/rpc"
)

// keyGates lets one run at a time propose writes on a key from this node
// (docs/serial.md, "Contention"): a run waits for the gates of its keys,
// taken in key order so that runs sharing keys cannot wait for each
// other in a ring, and its proposals, made once it holds them, find the
// standing promise the last run left instead of colliding with it.
// Proposers on other nodes still contend, as Paxos allows.
type keyGates struct {
	mu sync.Mutex
	m  map[string]*gate
}

type gate struct {
	sync.Mutex
	refs int // runs holding or waiting for it
}

// lock takes the gates of keys (each a database and key, gateKey) and
// returns what gives them back.
func (g *keyGates) lock(keys []string) (unlock func()) {
	slices.Sort(keys)
	keys = slices.Compact(keys)
	gs := make([]*gate, len(keys))
	g.mu.Lock()
	if g.m == nil {
		g.m = map[string]*gate{}
	}
	for i, k := range keys {
		if gs[i] = g.m[k]; gs[i] == nil {
			gs[i] = &gate{}
			g.m[k] = gs[i]
		}
		gs[i].refs++
	}
	g.mu.Unlock()
	for _, x := range gs {
		x.Lock()
	}
	return func() {
		for _, x := range gs {
			x.Unlock()
		}
		g.mu.Lock()
		for i, k := range keys {
			if gs[i].refs--; gs[i].refs == 0 {
				delete(g.m, k)
			}
		}
		g.mu.Unlock()
	}
}

// gateKey names command c's key for the gates and waves, or "" when c is
// not one request on one key (its proposal ends at once).
func gateKey(c *rpc.Cmd) string {
	key, ok := oneKey(c)
	if !ok {
		return ""
	}
	return dbKey(c.DB, key)
}

// dbKey is key qualified by its database, as gates and waves name keys.
func dbKey(db int, key []byte) string { return string(append([]byte{byte(db)}, key...)) }

// serialWaves splits r's commands into waves run one after another, and
// each wave into folds, each proposed as one (newProposal): a command
// goes one wave after the last earlier command on its key, so a run's
// commands on one key take effect in the run's order, each proposed once
// the one before it is chosen (and on the promise it won); but a command
// foldable after the one before it on its key joins that one's fold
// instead, up to maxFold commands, and runs on the state it leaves, in
// the same Accept. keys returns every command's gateKey.
func serialWaves(r *rpc.Run) (waves [][][]int, keys []string) {
	type last struct{ wave, fold int } // a key's latest fold
	at := map[string]last{}
	keys = make([]string, len(r.Cmds))
	for i := range r.Cmds {
		c := &r.Cmds[i]
		k := gateKey(c)
		keys[i] = k
		l, seen := at[k] // never for "": a command on no single key
		w := 0
		if seen {
			if f := waves[l.wave][l.fold]; len(f) < maxFold && foldable(&r.Cmds[f[0]], true) && foldable(c, false) {
				waves[l.wave][l.fold] = append(f, i)
				continue
			}
			w = l.wave + 1
		}
		if w == len(waves) {
			waves = append(waves, nil)
		}
		waves[w] = append(waves[w], []int{i})
		if k != "" {
			at[k] = last{w, len(waves[w]) - 1}
		}
	}
	return waves, keys
}

// maxFold bounds the commands folded into one proposal: each lists its
// id in the key's applied record, which keeps maxApplied, so a fold never
// pushes its own first command out.
const maxFold = maxApplied
