package clustertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/vanitydb/vanity/client"
	"github.com/vanitydb/vanity/node/rpc"
	"github.com/vanitydb/vanity/proto"
)

// TestResentSerialWriteSettles: a serial write a router sends again after
// losing its first sending (rpc.Cmd.Resent) runs, through real rounds
// among three nodes, when the key's applied record reaches back to the
// first sending (RanFrom) without listing it: no sending ran it. Sent
// again once more, it answers its first reply without running a second
// time. A resending that does not know when the write was first sent
// (RanFrom 0, as a client's RETRY), or whose first sending is older than
// what the record still lists, answers "not confirmed", and neither runs.
// On a key no replica holds, a resent write runs whenever it was first
// sent.
func TestResentSerialWriteSettles(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	expect(t, cl, "CONSISTENCY SERIAL SERIAL", "OK")
	before := time.Now().UnixMilli() - 10_000
	var incr proto.Request
	if err := proto.ParseRequest([]byte("INCR_INT (1)k 1"), &incr); err != proto.ErrNone {
		t.Fatal(err)
	}
	resend := func(id byte, ranFrom int64) (rpc.Status, string) {
		t.Helper()
		run := rpc.Run{Deadline: time.Now().Add(10 * time.Second).UnixMilli(), Cmds: []rpc.Cmd{{
			Read: proto.ConsSerial, Write: proto.ConsSerial, ID: [16]byte{0xab, 15: id}, Resent: true, RanFrom: ranFrom,
			Reqs: []*proto.Request{&incr}}}}
		items := runOverRPC(t, c, c.Nodes[0], &run, 1)
		return items[0].Status, string(items[0].Reply)
	}
	// A fresh key: its record is complete from the start.
	if st, reply := resend(1, before); st != rpc.StatusOK || reply != "OK:INT 1" {
		t.Fatalf("resent on a fresh key: %v %q; want OK:INT 1", st, reply)
	}
	// More writes than the record keeps in its window: it drops the
	// oldest, and no longer reaches back 10 s.
	for i := 2; i <= 40; i++ {
		expect(t, cl, "INCR_INT (1)k 1", fmt.Sprintf("OK:INT %d", i))
	}
	after := time.Now().UnixMilli() + 1
	if st, reply := resend(2, 0); st != rpc.StatusNotConfirmed {
		t.Fatalf("resent without its first sending's time: %v %q; want not confirmed", st, reply)
	}
	if st, reply := resend(3, before); st != rpc.StatusNotConfirmed {
		t.Fatalf("resent, first sent before what the record lists: %v %q; want not confirmed", st, reply)
	}
	expect(t, cl, "GET (1)k", "OK:INT 40")
	for range 2 {
		if st, reply := resend(4, after); st != rpc.StatusOK || reply != "OK:INT 41" {
			t.Fatalf("resent, first sent after the record's last write: %v %q; want OK:INT 41, once", st, reply)
		}
	}
	expect(t, cl, "GET (1)k", "OK:INT 41")
}

// TestClientRetryIsAskedOnce: a client's RETRY whose id the key's record
// does not list answers "not confirmed" from the first replica that read
// the record; the router does not send it to another replica past the
// first sending's deadline (which cost a RETRY 2.5 s, and would read the
// same record), while a RETRY of a write that ran answers its reply.
func TestClientRetryIsAskedOnce(t *testing.T) {
	c := New(t, 3, 1, Options{Replicas: 3})
	c.WaitReplicated(3)
	cl := dial(t, c.Routers[0].Addr, client.Options{})
	sendings := func() (n int64) {
		for _, nd := range c.Nodes {
			st := nd.Service.Serial()
			for i := range len(st.Resent) {
				n += st.Resent[i].Load()
			}
		}
		return n
	}
	expect(t, cl, "ONCE (2)w1 INCR_INT (1)k 5", "OK:INT 5",
		"RETRY (2)w1 INCR_INT (1)k 5", "OK:INT 5")
	before := sendings()
	expect(t, cl, "RETRY (2)w2 INCR_INT (1)k 5",
		"ERROR(128)unavailable: the write was sent again and is not among the key's recent commands; it is not confirmed (it may have been applied)",
		"GET (1)k", "OK:INT 5")
	if n := sendings() - before; n != 1 {
		t.Errorf("the RETRY reached the nodes %d times, want once", n)
	}
}
