package node

import (
	"testing"

	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
)

func parse(t testing.TB, texts ...string) []*proto.Request {
	t.Helper()
	out := make([]*proto.Request, len(texts))
	for i, s := range texts {
		var r proto.Request
		if err := proto.ParseRequest([]byte(s), &r); err != proto.ErrNone {
			t.Fatalf("%q: %v", s, err)
		}
		out[i] = r.Clone()
	}
	return out
}

// runRun runs r through the node's one-copy coordinator and returns each
// entry as text: an OK entry is its reply, another "<status>: <message>".
func runRun(n *Node, r *rpc.Run) []string {
	c := NewLocalCoordinator(n)
	ch := make(chan *Result, 1)
	c.Run(r, new(Result), func(res *Result) { ch <- res }, nil)
	res := <-ch
	out := make([]string, len(res.Ends))
	for i := range out {
		st, b := res.Entry(i)
		if st == rpc.StatusOK {
			out[i] = string(b)
		} else {
			out[i] = st.String() + ": " + string(b)
		}
	}
	return out
}

// runEach runs each request as a command of its own, all in one run.
func runEach(n *Node, db int, reqs []*proto.Request) []string {
	r := &rpc.Run{}
	for _, req := range reqs {
		r.Cmds = append(r.Cmds, rpc.Cmd{DB: db, Reqs: []*proto.Request{req}})
	}
	return runRun(n, r)
}

// runTx runs reqs as one command (a transaction).
func runTx(n *Node, db int, reqs []*proto.Request) []string {
	return runRun(n, &rpc.Run{Cmds: []rpc.Cmd{{DB: db, Reqs: reqs}}})
}

func do(t testing.TB, n *Node, db int, request string) string {
	t.Helper()
	return runEach(n, db, parse(t, request))[0]
}
