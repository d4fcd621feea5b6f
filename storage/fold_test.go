package storage

import (
	"fmt"
	"testing"

	"github.com/vanitydb/vanity/proto"
	"github.com/vanitydb/vanity/storage/hlc"
)

// TestFoldedCommandsRunInOrder: commands folded into one proposal (Run
// after Run on one Proposal) answer and leave what the same commands
// answer and leave proposed one after another, each at its own ballot on
// the state the one before left: each sees the one before it, although
// the fold's state is stamped at one ballot.
func TestFoldedCommandsRunInOrder(t *testing.T) {
	for _, cmds := range [][]string{
		{"SET:INT (1)k 1", "INCR_INT (1)k 5", "INCR_INT (1)k 2", "GET (1)k"},
		{"SET:STR (1)k (1)x", "SET:STR (1)k (1)y", "GET_SET:STR (1)k (1)z", "GET (1)k"},
		{"SET:STR (1)k (1)x", "DEL (1)k", "SET_IF_ABSENT:STR (1)k (1)y", "GET (1)k"},
		{"LIST_PUSH_RIGHT (1)k (2)[(1)a(1)b]", "LIST_POP_LEFT (1)k 1", "LIST_PUSH_LEFT (1)k (1)[(1)c]", "LIST_PUSH_RIGHT (1)k (1)[(1)d]", "LIST_RANGE (1)k 0 -1"},
		// (Replies that list a set or hash come in no set order: the reads
		// below name one member or field.)
		{"SET_ADD (1)k (2){(1)x(1)y}", "SET_DISCARD (1)k (1){(1)x}", "SET_ADD (1)k (1){(1)x}", "SET_DISCARD (1)k (1){(1)y}", "SET_CONTAINS (1)k (1)y"},
		{"HASH_SET (1)k (2){(1)f(1)1(1)g(1)2}", "HASH_INCR (1)k (1)f 41", "HASH_SET (1)k (1){(1)f(1)3}", "HASH_GET (1)k (1)f"},
	} {
		reqs := make([]*proto.Request, len(cmds))
		for i, text := range cmds {
			reqs[i] = new(proto.Request)
			if err := proto.ParseRequest([]byte(text), reqs[i]); err != proto.ErrNone {
				t.Fatalf("parse %q: %v", text, err)
			}
		}
		b := hlc.Stamp{Time: 1_000_000 << hlc.LogicalBits, Actor: 1}
		zero := func(int) int { return 0 }

		// One after another, each at a ballot of its own.
		var chain []string
		var state []byte
		for i, req := range reqs {
			p, reply, err := Propose(0, []byte("k"), state, hlc.Stamp{Time: b.Time + uint64(i)<<hlc.LogicalBits, Actor: 1}, b, req, zero, nil)
			if err != nil {
				t.Fatal(err)
			}
			chain = append(chain, string(reply))
			state = p.AppendState(nil)
		}

		// Folded into one proposal at b.
		p, err := Restate(0, []byte("k"), nil, b, b)
		if err != nil {
			t.Fatal(err)
		}
		var fold []string
		wrote := make([]bool, len(reqs))
		for i, req := range reqs {
			reply, w := p.Run(req, zero, nil)
			fold = append(fold, string(reply))
			wrote[i] = w
		}
		if fmt.Sprint(fold) != fmt.Sprint(chain) {
			t.Errorf("%q folded: %q; one after another: %q", cmds, fold, chain)
		}
		if wrote[len(wrote)-1] || !wrote[0] || !p.Wrote {
			t.Errorf("%q: wrote %v (the last is a read), proposal wrote %v", cmds, wrote, p.Wrote)
		}
		if d := p.State(); d.MaxStamp() != b {
			t.Errorf("%q: the fold's state is stamped up to %v, want its ballot %v", cmds, d.MaxStamp(), b)
		}
	}
}
